//! Service tests of the engine hooks (headers, connection errors, ids, middlewares), the
//! trailing slash, CORS predicates and exposed headers, and the static files.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::*;
use engineio::server::{
    ConnectionError, Cookie, Cors, Decoration, ErrorContext, Refusal, SameSite, StaticFile,
    StaticFiles,
};
use http::{header, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};

fn sid_of(reply: &Reply) -> String {
    let open: serde_json::Value = serde_json::from_str(&reply.body[1..]).unwrap();
    open["sid"].as_str().unwrap().to_owned()
}

/// `initial_headers` runs on the handshake only, after the session cookie is set; `headers`
/// on every response of the session; neither on a refusal.
#[tokio::test(start_paused = true)]
async fn initial_headers_and_headers() {
    let builder = fast()
        .cookie(Cookie::default())
        .initial_headers(|headers, request| {
            assert!(
                headers.contains_key(header::SET_COOKIE),
                "the cookie comes first"
            );
            let lb = format!("lb=node1; Path={}", request.uri.path());
            headers.append(header::SET_COOKIE, HeaderValue::from_str(&lb).unwrap());
        })
        .headers(|headers, request| {
            let method = HeaderValue::from_str(request.method.as_str()).unwrap();
            headers.insert("x-seen", method);
        });
    let (server, _rx) = server(builder);
    let handshake = get(&server, "EIO=4&transport=polling").await;
    let sid = sid_of(&handshake);
    let cookies: Vec<_> = handshake
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .collect();
    assert_eq!(
        cookies,
        [
            format!("io={sid}; Path=/; HttpOnly; SameSite=Lax").as_str(),
            "lb=node1; Path=/engine.io/"
        ]
    );
    assert_eq!(handshake.headers["x-seen"], "GET");
    let posted = post(&server, &poll_query(&sid), "4hi").await;
    assert_eq!(posted.headers["x-seen"], "POST");
    assert!(
        !posted.headers.contains_key(header::SET_COOKIE),
        "not initial"
    );
    let refused = get(&server, "EIO=4&transport=polling&sid=nope").await;
    assert_eq!(refused.status, 400);
    assert!(!refused.headers.contains_key("x-seen"));
}

/// A cross-site sticky cookie: `SameSite=None` is always `Secure`.
#[tokio::test(start_paused = true)]
async fn a_cross_site_cookie_is_secure() {
    let cookie = Cookie::new("AWSALB")
        .unwrap()
        .domain("example.com")
        .unwrap()
        .max_age(std::time::Duration::from_secs(60))
        .same_site(SameSite::None);
    let (server, _rx) = server(fast().cookie(cookie));
    let reply = get(&server, "EIO=4&transport=polling").await;
    let expected = format!(
        "AWSALB={}; Max-Age=60; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=None",
        sid_of(&reply)
    );
    assert_eq!(reply.headers["set-cookie"], expected.as_str());
}

type Reports = Arc<Mutex<Vec<(u8, String, ErrorContext, String)>>>;

fn recording(reports: &Reports) -> impl Fn(&ConnectionError<'_>) + Send + Sync + 'static {
    let reports = Arc::clone(reports);
    move |error| {
        let uri = error.request.uri.to_string();
        let report = (
            error.code,
            error.message.clone(),
            error.context.clone(),
            uri,
        );
        reports.lock().unwrap().push(report);
    }
}

/// Every refusal the reference reports, with its code, message and context.
#[tokio::test(start_paused = true)]
async fn connection_errors_carry_the_references_contexts() {
    let reports = Reports::default();
    let builder = fast()
        .transports(true, true)
        .allow_request(|h| {
            let refuse = h.query_param("deny").is_some();
            async move {
                if refuse {
                    Err("denied".to_owned())
                } else {
                    Ok(())
                }
            }
        })
        .on_connection_error(recording(&reports));
    let (server, _rx) = server(builder);
    let sid = open(&server).await;
    get(&server, "EIO=4&transport=carrier-pigeon").await;
    get(&server, "EIO=4&transport=polling&sid=unknown").await;
    post(&server, "EIO=4&transport=polling", "").await;
    get(&server, "EIO=4&transport=websocket").await;
    get(&server, &format!("EIO=4&transport=websocket&sid={sid}")).await;
    get(&server, "EIO=4&transport=polling&deny=1").await;
    get(&server, "EIO=3&transport=polling").await;
    let reports = reports.lock().unwrap();
    let got: Vec<_> = reports
        .iter()
        .map(|(c, m, x, _)| (*c, m.as_str(), x.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                0,
                "Transport unknown",
                ErrorContext::UnknownTransport {
                    transport: Some("carrier-pigeon".into())
                }
            ),
            (
                1,
                "Session ID unknown",
                ErrorContext::UnknownSid {
                    sid: "unknown".into()
                }
            ),
            (
                2,
                "Bad handshake method",
                ErrorContext::BadHandshakeMethod {
                    method: "POST".into()
                }
            ),
            (3, "Bad request", ErrorContext::TransportHandshakeError),
            (
                3,
                "Bad request",
                ErrorContext::TransportMismatch {
                    transport: "websocket".into(),
                    previous_transport: "polling".into()
                }
            ),
            (
                4,
                "denied",
                ErrorContext::Forbidden {
                    message: "denied".into()
                }
            ),
            (
                5,
                "Unsupported protocol version",
                ErrorContext::UnsupportedProtocolVersion { protocol: 3 }
            ),
        ]
    );
    assert_eq!(
        reports[1].3,
        "/engine.io/?EIO=4&transport=polling&sid=unknown"
    );
    assert_eq!(reports[3].2.name(), Some("TRANSPORT_HANDSHAKE_ERROR"));
}

/// The generator's id is the session's; a failing or unusable generator refuses the
/// handshake with code 3 and `ID_GENERATION_ERROR`.
#[tokio::test(start_paused = true)]
async fn generate_id_names_the_sessions() {
    let reports = Reports::default();
    let builder = fast()
        .generate_id(|handshake| {
            let id = handshake.query_param("want").map(str::to_owned);
            async move { id.ok_or_else(|| "no id wanted".to_owned()) }
        })
        .on_connection_error(recording(&reports));
    let (server, mut rx) = server(builder);
    let reply = get(&server, "EIO=4&transport=polling&want=user-42").await;
    assert_eq!(sid_of(&reply), "user-42");
    assert_eq!(next(&mut rx).await, Seen::Connect("user-42".into()));
    let failed = get(&server, "EIO=4&transport=polling").await;
    assert_error(&failed, 400, 3, "Bad request");
    let taken = get(&server, "EIO=4&transport=polling&want=user-42").await;
    assert_error(&taken, 400, 3, "Bad request");
    let empty = get(&server, "EIO=4&transport=polling&want=").await;
    assert_error(&empty, 400, 3, "Bad request");
    let contexts: Vec<_> = reports
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.2.clone())
        .collect();
    assert_eq!(
        contexts[0],
        ErrorContext::IdGenerationError {
            error: "no id wanted".into()
        }
    );
    assert_eq!(
        contexts[1],
        ErrorContext::IdGenerationError {
            error: "the id is taken".into()
        }
    );
    assert!(matches!(
        &contexts[2],
        ErrorContext::IdGenerationError { .. }
    ));
    assert_eq!(server.session_count(), 1);
}

#[derive(Clone, Debug, PartialEq)]
struct User(String);

/// A cookie-session check as a middleware: requests without the session cookie are refused
/// (code 3, `MIDDLEWARE_FAILURE`); others go on, with the user in the handshake's extensions
/// and the middleware's header on the response.
#[tokio::test(start_paused = true)]
async fn middlewares_decorate_or_refuse() {
    let reports = Reports::default();
    let builder = fast()
        .middleware(|request| {
            let user = request
                .headers
                .get(header::COOKIE)
                .and_then(|c| c.to_str().ok())
                .and_then(|c| c.strip_prefix("session="))
                .map(|name| User(name.to_owned()));
            async move {
                let user = user.ok_or_else(|| Refusal::BadRequest("no session".into()))?;
                Ok(Decoration::default()
                    .header(header::CACHE_CONTROL, HeaderValue::from_static("private"))
                    .header(
                        header::HeaderName::from_static("x-user"),
                        HeaderValue::from_static("1"),
                    )
                    .extension(user))
            }
        })
        .middleware(|request| {
            // The second sees what the first added.
            let seen = request.extensions.get::<User>().cloned();
            async move {
                match seen {
                    Some(User(name)) if name == "mallory" => Err(Refusal::Respond(
                        http::Response::builder()
                            .status(401)
                            .body(Full::new(Bytes::from_static(b"go away")))
                            .unwrap(),
                    )),
                    _ => Ok(Decoration::default()),
                }
            }
        })
        .on_connection_error(recording(&reports));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let server = builder.build(HandshakeSeen(tx));
    let ask = |cookie: Option<&'static str>| {
        let mut request = Request::get("/engine.io/?EIO=4&transport=polling");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.body(Full::new(Bytes::new())).unwrap()
    };
    let refused = reply(server.handle(ask(None)).await).await;
    assert_error(&refused, 400, 3, "Bad request");
    let answered = reply(server.handle(ask(Some("session=mallory"))).await).await;
    assert_eq!((answered.status, answered.body.as_str()), (401, "go away"));
    let accepted = server.handle(ask(Some("session=ada"))).await;
    assert_eq!(accepted.status(), 200);
    // The server's own header wins, as the reference's `writeHead` over `setHeader`.
    assert_eq!(accepted.headers()[header::CACHE_CONTROL], "no-store");
    assert_eq!(accepted.headers()["x-user"], "1");
    assert_eq!(rx.recv().await, Some(Some(User("ada".into()))));
    let contexts: Vec<_> = reports
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.2.clone())
        .collect();
    assert_eq!(
        contexts,
        [ErrorContext::MiddlewareFailure {
            error: "no session".into()
        }]
    );
}

/// Reports the user a middleware put in each handshake.
struct HandshakeSeen(tokio::sync::mpsc::UnboundedSender<Option<User>>);

impl engineio::server::Handler for HandshakeSeen {
    type Connection = ();
    fn on_connect(&self, socket: engineio::server::Socket) {
        let _ = self
            .0
            .send(socket.handshake().extensions.get::<User>().cloned());
    }
    fn on_message(&self, _: &mut (), _: engineio::packet::Message) {}
    fn on_close(&self, _: (), _: engineio::DisconnectReason) {}
}

/// Without the trailing slash (`add_trailing_slash(false)`) the path matches as a prefix, as
/// the reference's; with it (the default), `/engine.io` alone is not the server's.
#[tokio::test(start_paused = true)]
async fn add_trailing_slash() {
    let (with, _rx) = server(fast());
    let bare = request(&with, Method::GET, "/engine.io?EIO=4&transport=polling", "").await;
    assert_eq!(bare.status, 404);
    let (without, _rx) = server(fast().add_trailing_slash(false));
    for uri in [
        "/engine.io?EIO=4&transport=polling",
        "/engine.io/?EIO=4&transport=polling",
    ] {
        let reply = request(&without, Method::GET, uri, "").await;
        assert_eq!(reply.status, 200, "{uri}");
    }
}

/// A predicate decides the origins; a refused one gets no CORS header, and its preflight is
/// not answered as one. Exposed headers go on every answer.
#[tokio::test(start_paused = true)]
async fn cors_predicate_and_exposed_headers() {
    let cors = Cors::predicate(|origin| origin.is_some_and(|o| o.ends_with(".good.example")))
        .credentials(true)
        .exposed_headers("x-node");
    let (server, _rx) = server(fast().cors(cors));
    let ask = |method: Method, origin: &'static str| {
        Request::builder()
            .method(method)
            .uri("/engine.io/?EIO=4&transport=polling")
            .header(header::ORIGIN, origin)
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    let good = reply(
        server
            .handle(ask(Method::GET, "https://a.good.example"))
            .await,
    )
    .await;
    assert_eq!(
        good.headers["access-control-allow-origin"],
        "https://a.good.example"
    );
    assert_eq!(good.headers["access-control-allow-credentials"], "true");
    assert_eq!(good.headers["access-control-expose-headers"], "x-node");
    assert_eq!(good.headers["vary"], "Origin");
    let preflight = reply(
        server
            .handle(ask(Method::OPTIONS, "https://a.good.example"))
            .await,
    )
    .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.headers["access-control-expose-headers"], "x-node");
    let bad = reply(
        server
            .handle(ask(Method::GET, "https://evil.example"))
            .await,
    )
    .await;
    assert_eq!(bad.status, 200);
    for name in [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "vary",
    ] {
        assert!(!bad.headers.contains_key(name), "{name}");
    }
    let bad_preflight = reply(
        server
            .handle(ask(Method::OPTIONS, "https://evil.example"))
            .await,
    )
    .await;
    assert_error(&bad_preflight, 400, 2, "Bad handshake method");
}

/// Static files: the version ETag, 304 on a match (weak or strong), the cache headers, and
/// br, gzip or deflate as accepted; other names go on to the protocol.
#[tokio::test(start_paused = true)]
async fn static_files_with_etag_and_compression() {
    let script = "console.log('socket.io');\n".repeat(200);
    let files = StaticFiles::new("4.8.4").with(
        "client.js",
        StaticFile::new(
            script.clone(),
            HeaderValue::from_static("application/javascript; charset=utf-8"),
        ),
    );
    let (server, _rx) = server(fast().static_files(files).cors(Cors::any()));
    let ask = |headers: &[(&'static str, &'static str)]| {
        let mut request = Request::get("/engine.io/client.js");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(Full::new(Bytes::new())).unwrap()
    };
    let plain = server.handle(ask(&[])).await;
    let headers = plain.headers().clone();
    assert_eq!(plain.status(), 200);
    assert_eq!(headers["etag"], "\"4.8.4\"");
    assert_eq!(headers["cache-control"], "public, max-age=0");
    assert_eq!(
        headers["content-type"],
        "application/javascript; charset=utf-8"
    );
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(!headers.contains_key("content-encoding"));
    assert_eq!(
        plain.into_body().collect().await.unwrap().to_bytes(),
        script.as_bytes()
    );
    for tag in ["\"4.8.4\"", "W/\"4.8.4\""] {
        let cached = server.handle(ask(&[("if-none-match", tag)])).await;
        assert_eq!(cached.status(), 304, "{tag}");
    }
    let stale = server.handle(ask(&[("if-none-match", "\"4.8.3\"")])).await;
    assert_eq!(stale.status(), 200);
    for (accept, coding) in [
        ("br", "br"),
        ("gzip, deflate, br", "gzip"),
        ("deflate", "deflate"),
    ] {
        let response = server.handle(ask(&[("accept-encoding", accept)])).await;
        assert_eq!(response.headers()["content-encoding"], coding);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(decode(coding, &body), script.as_bytes());
    }
    let other = request(&server, Method::GET, "/engine.io/other.js", "").await;
    assert_error(&other, 400, 0, "Transport unknown");
}

fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    match coding {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(body).read_to_end(&mut out),
        _ => brotli_decompress(body, &mut out),
    }
    .unwrap();
    out
}

fn brotli_decompress(body: &[u8], out: &mut Vec<u8>) -> std::io::Result<usize> {
    brotli::BrotliDecompress(&mut &body[..], out)?;
    Ok(out.len())
}
