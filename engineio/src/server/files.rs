//! Named files the server answers under its path before the protocol sees the request: how
//! the Socket.IO server serves its client bundle (`serveClient`), with the reference's
//! headers: a version `ETag`, `304` when `If-None-Match` names it, `Cache-Control:
//! public, max-age=0`, and the body in br, gzip or deflate as the client accepts.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::Full;

use super::compression::{negotiate, Encoding};
use super::config::ServerConfig;
use super::EngineResponse;

/// One file: its bytes, its type, and its compressed forms, made once when first asked for.
#[derive(Debug, Clone)]
pub struct StaticFile {
    body: Bytes,
    content_type: HeaderValue,
    compressed: [OnceLock<Option<Bytes>>; 3],
}

impl StaticFile {
    /// A file of these bytes and this `Content-Type`.
    pub fn new(body: impl Into<Bytes>, content_type: HeaderValue) -> Self {
        Self {
            body: body.into(),
            content_type,
            compressed: Default::default(),
        }
    }

    /// The body in `encoding`; `None` when compressing failed (the file then goes as is).
    fn compressed(&self, encoding: Encoding) -> Option<Bytes> {
        let slot = Encoding::FILES.iter().position(|&e| e == encoding)?;
        let made = self.compressed[slot].get_or_init(|| match encoding.compress(&self.body) {
            Ok(bytes) => Some(Bytes::from(bytes)),
            Err(error) => {
                tracing::warn!(%error, "compressing a static file failed; it goes uncompressed");
                None
            }
        });
        made.clone()
    }
}

/// The files a server answers under its path, by name, all of one version (their `ETag`).
///
/// ```
/// use engineio::server::{Builder, StaticFile, StaticFiles};
/// use http::HeaderValue;
/// let files = StaticFiles::new("1.0.0")
///     .with("hello.js", StaticFile::new("alert(1)", HeaderValue::from_static("application/javascript")));
/// // GET /engine.io/hello.js answers it.
/// let builder = Builder::new().static_files(files);
/// # let _ = builder;
/// ```
#[derive(Debug, Clone)]
pub struct StaticFiles {
    files: Arc<HashMap<String, StaticFile>>,
    version: String,
}

impl StaticFiles {
    /// No files yet; their `ETag` is `"<version>"`.
    pub fn new(version: &str) -> Self {
        Self {
            files: Arc::new(HashMap::new()),
            version: version.to_owned(),
        }
    }

    /// Adds a file under `name` (the part of the URL after the server's path).
    pub fn with(mut self, name: &str, file: StaticFile) -> Self {
        Arc::make_mut(&mut self.files).insert(name.to_owned(), file);
        self
    }

    /// Adds the file at `path` under `name`; an error when it cannot be read.
    pub fn load(self, name: &str, path: &Path, content_type: HeaderValue) -> std::io::Result<Self> {
        let body = std::fs::read(path)?;
        Ok(self.with(name, StaticFile::new(body, content_type)))
    }

    /// The names of the files.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The version, as the `ETag` carries it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The answer to a request for one of the files, `None` when it asks for none of them.
    /// Any method is answered, as the reference answers it.
    pub(crate) fn answer(&self, parts: &Parts, config: &ServerConfig) -> Option<EngineResponse> {
        let name = parts.uri.path().strip_prefix(config.path.as_str())?;
        let file = self.files.get(name)?;
        let etag = format!("\"{}\"", self.version);
        let asked = parts.headers.get(header::IF_NONE_MATCH);
        if asked.is_some_and(|tag| tag == etag.as_str() || tag == format!("W/{etag}").as_str()) {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            return Some(response);
        }
        let accept = parts.headers.get(header::ACCEPT_ENCODING);
        let encoding = accept
            .and_then(|accept| accept.to_str().ok())
            .and_then(|accept| negotiate(accept, &Encoding::FILES));
        let compressed = encoding.and_then(|e| Some((e, file.compressed(e)?)));
        let body = compressed.as_ref().map_or(&file.body, |(_, body)| body);
        let mut response = Response::new(Full::new(body.clone()));
        let headers = response.headers_mut();
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=0"),
        );
        headers.insert(header::CONTENT_TYPE, file.content_type.clone());
        if let Ok(etag) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, etag);
        }
        if let Some((encoding, _)) = compressed {
            headers.insert(header::CONTENT_ENCODING, encoding.header());
        }
        Some(response)
    }
}
