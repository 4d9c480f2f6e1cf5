//! The chat's web page, served from memory. (The browser client is the Socket.IO server's:
//! `/socket.io/socket.io.js`, see [`crate::start`].)

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::Full;

/// One file of the site.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: Bytes,
}

/// The files of the page, read once at start.
#[derive(Clone)]
pub struct Site {
    assets: Arc<Vec<Asset>>,
}

/// The folder of the example.
pub(crate) fn example_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> Result<Bytes, String> {
    let path = example_dir().join(relative);
    std::fs::read(&path).map(Bytes::from).map_err(|e| {
        format!(
            "cannot read {}: {e} (run scripts/chat, which installs the browser client)",
            path.display()
        )
    })
}

impl Site {
    /// Reads the page.
    pub fn load() -> Result<Self, String> {
        let files = [
            ("/", "text/html; charset=utf-8", "static/index.html"),
            (
                "/chat.js",
                "text/javascript; charset=utf-8",
                "static/chat.js",
            ),
            ("/chat.css", "text/css; charset=utf-8", "static/chat.css"),
        ];
        let assets = files
            .into_iter()
            .map(|(path, content_type, file)| {
                Ok(Asset {
                    path,
                    content_type,
                    body: read(file)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self {
            assets: Arc::new(assets),
        })
    }

    /// The response for a path: a file, or 404.
    pub fn serve(&self, path: &str) -> Response<Full<Bytes>> {
        let path = if path == "/index.html" { "/" } else { path };
        let Some(asset) = self.assets.iter().find(|a| a.path == path) else {
            let mut response = Response::new(Full::new(Bytes::from_static(b"not found")));
            *response.status_mut() = StatusCode::NOT_FOUND;
            return response;
        };
        let mut response = Response::new(Full::new(asset.body.clone()));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}
