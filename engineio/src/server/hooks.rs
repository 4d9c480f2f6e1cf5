//! The hooks of the server, as the reference's `io.engine` offers them: headers added to the
//! handshake and to every response (`initial_headers`, `headers`), refused connections
//! (`connection_error`), session ids of the application's choice (`generateId`) and
//! middlewares on the raw requests (`engine.use`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::request::Parts;
use http::{Extensions, HeaderMap, HeaderName, HeaderValue};

use super::socket::Handshake;
use super::EngineResponse;

/// Adds or changes headers of a response; gets the response's headers and the request.
pub type HeadersHook = Arc<dyn Fn(&mut HeaderMap, &Parts) + Send + Sync>;

/// Told of every refused connection.
pub type ConnectionErrorHook = Arc<dyn Fn(&ConnectionError<'_>) + Send + Sync>;

/// The future a session-id generator returns: the id, or why there is none (the handshake is
/// then refused with code 3, `ID_GENERATION_ERROR`).
pub type IdFuture = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;

/// Makes the id of a new session from its handshake (`generateId`).
pub type GenerateId = Arc<dyn Fn(&Handshake) -> IdFuture + Send + Sync>;

/// The future a middleware returns.
pub type MiddlewareFuture = Pin<Box<dyn Future<Output = Result<Decoration, Refusal>> + Send>>;

/// A middleware on every raw request of the server (`engine.use`): it reads the request and
/// lets it through, decorated, or refuses it. Middlewares run in the order they were added,
/// before the protocol looks at the request; not on CORS preflights, nor on the client files.
pub type Middleware = Arc<dyn Fn(&Parts) -> MiddlewareFuture + Send + Sync>;

/// What a middleware adds to a request it lets through.
///
/// ```
/// use engineio::server::Decoration;
/// use http::{header, HeaderValue};
/// #[derive(Clone)]
/// struct User(String);
/// let decoration = Decoration::default()
///     .header(header::SET_COOKIE, HeaderValue::from_static("seen=1"))
///     .extension(User("ada".into()));
/// # let _ = decoration;
/// ```
#[derive(Debug, Default, Clone)]
pub struct Decoration {
    pub(crate) headers: HeaderMap,
    pub(crate) extensions: Extensions,
}

impl Decoration {
    /// Adds a header to the response of the request, whatever it is (as a middleware's
    /// `res.setHeader` in the reference).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Adds a value to the request: later middlewares find it in the request's extensions,
    /// and a handshake keeps it in [`Handshake::extensions`].
    pub fn extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extensions.insert(value);
        self
    }
}

/// A middleware's refusal.
#[derive(Debug)]
pub enum Refusal {
    /// Refused as the reference refuses a middleware's error: 400, code 3, `Bad request`, and
    /// a `connection_error` with the context `MIDDLEWARE_FAILURE` carrying this message.
    BadRequest(String),
    /// Answered with this response, as a middleware that ends the response itself.
    Respond(EngineResponse),
}

/// A connection the server refused, as the reference's `connection_error` event tells it.
#[derive(Debug)]
pub struct ConnectionError<'a> {
    /// The request (its method, URL, headers and extensions).
    pub request: &'a Parts,
    /// The protocol's error code (0 to 5).
    pub code: u8,
    /// The message of the code (`Session ID unknown`, ...; `Forbidden` for code 4, whose
    /// body carries the allow-request hook's message, in the context too).
    pub message: String,
    /// What the server knew of the refusal.
    pub context: ErrorContext,
}

/// The `context` of a refused connection, with the reference's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorContext {
    /// Code 0: the `transport` asked for (`None`: no parameter).
    UnknownTransport {
        /// The `transport` query parameter.
        transport: Option<String>,
    },
    /// Code 1: the `sid` asked for.
    UnknownSid {
        /// The `sid` query parameter.
        sid: String,
    },
    /// Code 2: the method of a handshake that is not a GET.
    BadHandshakeMethod {
        /// The request's method.
        method: String,
    },
    /// Code 3, `TRANSPORT_MISMATCH`: a request on a transport the session does not use.
    TransportMismatch {
        /// The transport of the request.
        transport: String,
        /// The session's transport.
        previous_transport: String,
    },
    /// Code 3, `TRANSPORT_HANDSHAKE_ERROR`: a WebSocket handshake without the upgrade.
    TransportHandshakeError,
    /// Code 3, `ID_GENERATION_ERROR`: the id generator failed, or gave an id no session may
    /// have (empty, too long, with control characters, or taken).
    IdGenerationError {
        /// Why.
        error: String,
    },
    /// Code 3, `MIDDLEWARE_FAILURE`: a middleware refused the request.
    MiddlewareFailure {
        /// The middleware's message.
        error: String,
    },
    /// Code 4: the allow-request hook refused.
    Forbidden {
        /// Its message.
        message: String,
    },
    /// Code 5: a protocol revision the server does not serve.
    UnsupportedProtocolVersion {
        /// The revision asked for (3: as the reference reads `EIO`, anything but 4).
        protocol: u8,
    },
}

impl ErrorContext {
    /// The `name` of a code 3 context, as the reference names it.
    pub fn name(&self) -> Option<&'static str> {
        Some(match self {
            ErrorContext::TransportMismatch { .. } => "TRANSPORT_MISMATCH",
            ErrorContext::TransportHandshakeError => "TRANSPORT_HANDSHAKE_ERROR",
            ErrorContext::IdGenerationError { .. } => "ID_GENERATION_ERROR",
            ErrorContext::MiddlewareFailure { .. } => "MIDDLEWARE_FAILURE",
            _ => return None,
        })
    }
}

/// The values the middlewares added to a request, kept apart from the extensions of the
/// connection (hyper's upgrade and the like) so that a handshake keeps only them.
#[derive(Debug, Default, Clone)]
pub(crate) struct Decorated(pub(crate) Extensions);

/// The hooks of a server, all off by default; the builder's methods add them.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Run on a session's first response, in order (`initial_headers`).
    pub initial_headers: Vec<HeadersHook>,
    /// Run on every response of a session, in order (`headers`).
    pub headers: Vec<HeadersHook>,
    /// Told of every refused connection (`connection_error`).
    pub connection_error: Vec<ConnectionErrorHook>,
    /// Makes the session ids (`generateId`).
    pub generate_id: Option<GenerateId>,
    /// Run on every request, in order (`engine.use`).
    pub middlewares: Vec<Middleware>,
}

/// The longest session id a generator may give: ids travel in every request's query.
pub(crate) const MAX_ID_LEN: usize = 256;

/// Checks an id from a generator.
pub(crate) fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(format!("a session id must have 1 to {MAX_ID_LEN} bytes"));
    }
    if id.chars().any(char::is_control) {
        return Err("a session id cannot have control characters".into());
    }
    Ok(())
}
