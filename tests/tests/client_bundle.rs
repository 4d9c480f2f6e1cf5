//! End-to-end: the official browser client served by our Socket.IO server under its path
//! (`Builder::serve_client`), from the `socket.io-client` package installed with npm (the
//! chat example's, pinned to 4.8.4; `scripts/browser` installs it), as the reference serves it.

use std::path::PathBuf;

use e2e::http;
use socketio::client_bundle::{ClientBundleError, CLIENT_FILES};
use socketio::server::{serve, SocketIo};

fn client_package() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/chat/node_modules/socket.io-client")
}

async fn start() -> String {
    let package = client_package();
    assert!(
        package.join("package.json").is_file(),
        "socket.io-client missing: run scripts/browser (npm ci in examples/chat) [{}]",
        package.display()
    );
    let io = SocketIo::builder()
        .serve_client(&package)
        .expect("the client package")
        .build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(serve(listener, io));
    addr
}

/// Every file of the bundle, as the reference answers it: the version `ETag`, the cache and
/// type headers, the bytes of the package's file; `304` on `If-None-Match` (strong or weak).
#[tokio::test]
async fn every_client_file_with_the_references_headers() {
    let addr = start().await;
    for name in CLIENT_FILES {
        let target = format!("/socket.io/{name}");
        let response = http::request(&addr, "GET", &target, &[], "").await;
        assert_eq!(response.status, 200, "{name}");
        assert_eq!(response.header("etag"), Some("\"4.8.4\""), "{name}");
        assert_eq!(response.header("cache-control"), Some("public, max-age=0"));
        let content_type = match name.ends_with(".map") {
            true => "application/json; charset=utf-8",
            false => "application/javascript; charset=utf-8",
        };
        assert_eq!(
            response.header("content-type"),
            Some(content_type),
            "{name}"
        );
        let file = std::fs::read(client_package().join("dist").join(name)).expect("file");
        assert_eq!(response.body.as_bytes(), &file[..], "{name}");
        for tag in ["\"4.8.4\"", "W/\"4.8.4\""] {
            let headers = [("If-None-Match", tag)];
            let cached = http::request(&addr, "GET", &target, &headers, "").await;
            assert_eq!(
                (cached.status, cached.body.as_str()),
                (304, ""),
                "{name} {tag}"
            );
        }
    }
    let gzip = [("Accept-Encoding", "gzip")];
    let compressed = http::request(&addr, "GET", "/socket.io/socket.io.js", &gzip, "").await;
    assert_eq!(compressed.header("content-encoding"), Some("gzip"));
    // The query string of a cache-buster does not matter; other names are the protocol's.
    let busted = http::request(&addr, "GET", "/socket.io/socket.io.min.js?v=1", &[], "").await;
    assert_eq!(busted.status, 200);
    let other = http::request(&addr, "GET", "/socket.io/socket.io.core.js", &[], "").await;
    assert_eq!(other.status, 400);
}

/// A missing or wrong package is a clear error at start-up, naming what to install.
#[test]
fn a_missing_client_is_an_error_at_start_up() {
    let missing = std::env::temp_dir().join("no-socket.io-client-here");
    let error = SocketIo::builder()
        .serve_client(&missing)
        .err()
        .expect("an error");
    assert!(
        matches!(error, ClientBundleError::Manifest { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("npm install socket.io-client"),
        "{error}"
    );
    let not_the_client = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node");
    let error = SocketIo::builder()
        .serve_client(&not_the_client)
        .err()
        .expect("an error");
    assert!(
        matches!(error, ClientBundleError::NotTheClient { .. }),
        "{error}"
    );
}
