//! Service tests of the engine hooks: headers, connection errors, ids, middlewares; and the
//! session cookie.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::*;
use engineio::server::{ConnectionError, Cookie, Decoration, ErrorContext, Refusal, SameSite};
use http::{header, HeaderValue, Request};
use http_body_util::Full;

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
                "Forbidden",
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
