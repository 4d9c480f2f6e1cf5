//! The official browser client, served under the server's path as the reference serves it
//! (`serveClient`): `socket.io.js`, `socket.io.min.js`, `socket.io.esm.min.js`,
//! `socket.io.msgpack.min.js` and their source maps.
//!
//! The project carries no copy of the client: the files come from the `socket.io-client`
//! package the application installs from npm (`npm install socket.io-client`), read once at
//! start-up from its `dist/` folder. Its version (from its `package.json`) is the files'
//! `ETag`, as the reference's is its own version.

use std::path::{Path, PathBuf};

use engineio::server::StaticFiles;
use http::HeaderValue;
use thiserror::Error;

/// The files the reference serves under its path, each from `dist/` of the client package.
pub const CLIENT_FILES: [&str; 8] = [
    "socket.io.esm.min.js",
    "socket.io.esm.min.js.map",
    "socket.io.js",
    "socket.io.js.map",
    "socket.io.min.js",
    "socket.io.min.js.map",
    "socket.io.msgpack.min.js",
    "socket.io.msgpack.min.js.map",
];

/// The client package cannot be served.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ClientBundleError {
    /// Its `package.json` cannot be read.
    #[error(
        "cannot read {path}: {source} (install the browser client: `npm install socket.io-client`, \
         and give the path of node_modules/socket.io-client)"
    )]
    Manifest {
        /// The `package.json` looked for.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// Its `package.json` is not that of `socket.io-client`, or has no version.
    #[error("{path} is not the package.json of socket.io-client (name and version expected)")]
    NotTheClient {
        /// The `package.json` read.
        path: PathBuf,
    },
    /// A file of the bundle is missing.
    #[error("cannot read {path}: {source} (is socket.io-client installed completely?)")]
    File {
        /// The file looked for.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
}

/// Reads the client files from the `socket.io-client` package at `package_dir` (the folder
/// of its `package.json`, usually `node_modules/socket.io-client`).
///
/// ```no_run
/// let files = socketio::client_bundle::load("node_modules/socket.io-client".as_ref())?;
/// assert!(files.names().any(|name| name == "socket.io.min.js"));
/// # Ok::<(), socketio::client_bundle::ClientBundleError>(())
/// ```
pub fn load(package_dir: &Path) -> Result<StaticFiles, ClientBundleError> {
    let manifest = package_dir.join("package.json");
    let text =
        std::fs::read_to_string(&manifest).map_err(|source| ClientBundleError::Manifest {
            path: manifest.clone(),
            source,
        })?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|_| ClientBundleError::NotTheClient {
            path: manifest.clone(),
        })?;
    let version = match (json["name"].as_str(), json["version"].as_str()) {
        (Some("socket.io-client"), Some(version)) => version,
        _ => return Err(ClientBundleError::NotTheClient { path: manifest }),
    };
    let mut files = StaticFiles::new(version);
    for name in CLIENT_FILES {
        let path = package_dir.join("dist").join(name);
        let content_type = match name.ends_with(".map") {
            true => "application/json; charset=utf-8",
            false => "application/javascript; charset=utf-8",
        };
        files = files
            .load(name, &path, HeaderValue::from_static(content_type))
            .map_err(|source| ClientBundleError::File { path, source })?;
    }
    Ok(files)
}
