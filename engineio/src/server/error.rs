//! The server's HTTP errors and their one mapping to the wire.

use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};
use http_body_util::Full;
use thiserror::Error;

use super::hooks::ErrorContext;
use super::request::Query;
use crate::TransportKind;

/// A request the server refuses, with the reference server's codes and messages.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// Code 0: the `transport` parameter names no enabled transport.
    #[error("Transport unknown")]
    UnknownTransport,
    /// Code 1: no session has this id.
    #[error("Session ID unknown")]
    UnknownSid,
    /// Code 2: a handshake that is not a GET.
    #[error("Bad handshake method")]
    BadHandshakeMethod,
    /// Code 3: a request that does not fit the session or the protocol.
    #[error("Bad request")]
    BadRequest,
    /// Code 3: a request on a transport the session does not use.
    #[error("Bad request")]
    TransportMismatch {
        /// The request's transport.
        transport: TransportKind,
        /// The session's.
        previous: TransportKind,
    },
    /// Code 3: a WebSocket handshake that is not a WebSocket upgrade.
    #[error("Bad request")]
    TransportHandshakeError,
    /// Code 3: the session-id generator failed, with why.
    #[error("Bad request")]
    IdGeneration(String),
    /// Code 3: a middleware refused the request, with its message.
    #[error("Bad request")]
    MiddlewareFailure(String),
    /// Code 4: the allow-request hook refused, with its message.
    #[error("{0}")]
    Forbidden(String),
    /// Code 5: an `EIO` other than 4.
    #[error("Unsupported protocol version")]
    UnsupportedProtocolVersion,
    /// A polling body larger than the payload limit.
    #[error("Payload Too Large")]
    PayloadTooLarge,
    /// A method other than GET or POST on a session.
    #[error("Internal Server Error")]
    BadMethod,
    /// A handshake while the server holds its maximum number of sessions.
    #[error("Too many sessions")]
    TooManySessions,
    /// A handshake from a client address that holds its quota of sessions
    /// (`max_sessions_per_address`).
    #[error("Too many sessions from this address")]
    TooManySessionsFromAddress,
    /// A handshake after the server started closing.
    #[error("Server shutting down")]
    ShuttingDown,
    /// A polling body that did not arrive in time.
    #[error("Request Timeout")]
    BodyTimeout,
    /// A WebSocket request on a connection served without HTTP upgrades.
    #[error("WebSocket upgrade unavailable: serve the connection with upgrades enabled")]
    UpgradeUnavailable,
}

impl RequestError {
    /// The protocol's error code, when the error has one.
    pub fn code(&self) -> Option<u8> {
        Some(match self {
            RequestError::UnknownTransport => 0,
            RequestError::UnknownSid => 1,
            RequestError::BadHandshakeMethod => 2,
            RequestError::BadRequest
            | RequestError::TransportMismatch { .. }
            | RequestError::TransportHandshakeError
            | RequestError::IdGeneration(_)
            | RequestError::MiddlewareFailure(_)
            | RequestError::UpgradeUnavailable => 3,
            RequestError::Forbidden(_) => 4,
            RequestError::UnsupportedProtocolVersion => 5,
            RequestError::PayloadTooLarge
            | RequestError::BadMethod
            | RequestError::TooManySessions
            | RequestError::TooManySessionsFromAddress
            | RequestError::ShuttingDown
            | RequestError::BodyTimeout => return None,
        })
    }

    /// The `connection_error` context of a refusal the reference reports, `None` for the
    /// others (a transport's own refusals, and our limits).
    pub(crate) fn context(&self, query: &Query, method: &Method) -> Option<ErrorContext> {
        let owned = |name: &str| query.get(name).map(str::to_owned);
        Some(match self {
            RequestError::UnknownTransport => ErrorContext::UnknownTransport {
                transport: owned("transport"),
            },
            RequestError::UnknownSid => ErrorContext::UnknownSid {
                sid: owned("sid").unwrap_or_default(),
            },
            RequestError::BadHandshakeMethod => ErrorContext::BadHandshakeMethod {
                method: method.to_string(),
            },
            RequestError::TransportMismatch {
                transport,
                previous,
            } => ErrorContext::TransportMismatch {
                transport: transport.as_str().to_owned(),
                previous_transport: previous.as_str().to_owned(),
            },
            RequestError::TransportHandshakeError => ErrorContext::TransportHandshakeError,
            RequestError::IdGeneration(error) => ErrorContext::IdGenerationError {
                error: error.clone(),
            },
            RequestError::MiddlewareFailure(error) => ErrorContext::MiddlewareFailure {
                error: error.clone(),
            },
            RequestError::Forbidden(message) => ErrorContext::Forbidden {
                message: message.clone(),
            },
            RequestError::UnsupportedProtocolVersion => {
                ErrorContext::UnsupportedProtocolVersion { protocol: 3 }
            }
            _ => return None,
        })
    }

    /// The message of the error's code, as the reference's `connection_error` carries it:
    /// code 4 is always `Forbidden` there, the hook's own message being in the context.
    pub(crate) fn code_message(code: u8) -> &'static str {
        match code {
            0 => "Transport unknown",
            1 => "Session ID unknown",
            2 => "Bad handshake method",
            3 => "Bad request",
            4 => "Forbidden",
            _ => "Unsupported protocol version",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            RequestError::Forbidden(_) => StatusCode::FORBIDDEN,
            RequestError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            RequestError::BadMethod => StatusCode::INTERNAL_SERVER_ERROR,
            RequestError::TooManySessions | RequestError::ShuttingDown => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            RequestError::TooManySessionsFromAddress => StatusCode::TOO_MANY_REQUESTS,
            RequestError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Whether the server refuses a new session for want of room: it is full or closing, or
    /// the client holds its quota.
    fn unavailable(&self) -> bool {
        matches!(
            self,
            RequestError::TooManySessions
                | RequestError::TooManySessionsFromAddress
                | RequestError::ShuttingDown
        )
    }

    /// The response to a plain HTTP request: `{"code":N,"message":"..."}` as JSON. A refused
    /// new session (503, which the reference never answers) has no protocol code, so its body
    /// is `{"message":"..."}`; the other errors without a code have no body, as the
    /// reference's 413 and 500.
    pub fn to_response(&self) -> Response<Full<Bytes>> {
        let body = match self.code() {
            Some(code) => serde_json::json!({ "code": code, "message": self.to_string() }),
            None if self.unavailable() => serde_json::json!({ "message": self.to_string() }),
            None => return status_only(self.status()),
        };
        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
        *response.status_mut() = self.status();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }

    /// The response to a refused WebSocket request: 400, the message as an HTML body, and
    /// the connection closed, as the reference server's `abortUpgrade` answers; 503 instead
    /// of 400 for a new session refused for want of room (429 for a client over its quota).
    pub fn to_upgrade_response(&self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::from(self.to_string())));
        *response.status_mut() = match self.unavailable() {
            true => self.status(),
            false => StatusCode::BAD_REQUEST,
        };
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        response
    }
}

fn status_only(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}
