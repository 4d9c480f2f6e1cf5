//! The server's HTTP errors and their one mapping to the wire.

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use thiserror::Error;

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
            RequestError::BadRequest | RequestError::UpgradeUnavailable => 3,
            RequestError::Forbidden(_) => 4,
            RequestError::UnsupportedProtocolVersion => 5,
            RequestError::PayloadTooLarge
            | RequestError::BadMethod
            | RequestError::TooManySessions
            | RequestError::BodyTimeout => return None,
        })
    }

    fn status(&self) -> StatusCode {
        match self {
            RequestError::Forbidden(_) => StatusCode::FORBIDDEN,
            RequestError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            RequestError::BadMethod => StatusCode::INTERNAL_SERVER_ERROR,
            RequestError::TooManySessions => StatusCode::SERVICE_UNAVAILABLE,
            RequestError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The response to a plain HTTP request: `{"code":N,"message":"..."}` as JSON.
    pub fn to_response(&self) -> Response<Full<Bytes>> {
        let Some(code) = self.code() else {
            return status_only(self.status());
        };
        let body = serde_json::json!({ "code": code, "message": self.to_string() }).to_string();
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = self.status();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }

    /// The response to a refused WebSocket request: always 400, the message as an HTML body,
    /// and the connection closed, as the reference server answers.
    pub fn to_upgrade_response(&self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::from(self.to_string())));
        *response.status_mut() = StatusCode::BAD_REQUEST;
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
