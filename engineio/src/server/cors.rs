//! Cross-origin resource sharing, with the behaviour of the `cors` package the reference
//! server uses.

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::Full;

/// Which origins may call the server from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigin {
    /// Any origin: `Access-Control-Allow-Origin: *`.
    Any,
    /// Any origin, echoed back (works with credentials).
    Mirror,
    /// Only these origins, echoed back when they match.
    List(Vec<String>),
}

/// CORS options.
///
/// ```
/// use engineio::server::Cors;
/// let cors = Cors::origins(["https://example.com"]).credentials(true);
/// # let _ = cors;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    origin: CorsOrigin,
    credentials: bool,
    methods: String,
    allowed_headers: Option<String>,
    max_age: Option<u64>,
}

impl Cors {
    /// Any origin (`*`).
    pub fn any() -> Self {
        Self::new(CorsOrigin::Any)
    }

    /// Any origin, echoed back.
    pub fn mirror() -> Self {
        Self::new(CorsOrigin::Mirror)
    }

    /// Only the given origins.
    pub fn origins<S: Into<String>>(origins: impl IntoIterator<Item = S>) -> Self {
        Self::new(CorsOrigin::List(
            origins.into_iter().map(Into::into).collect(),
        ))
    }

    fn new(origin: CorsOrigin) -> Self {
        Self {
            origin,
            credentials: false,
            methods: "GET,HEAD,PUT,PATCH,POST,DELETE".into(),
            allowed_headers: None,
            max_age: None,
        }
    }

    /// Allows credentials (cookies) on cross-origin requests.
    pub fn credentials(mut self, allow: bool) -> Self {
        self.credentials = allow;
        self
    }

    /// The headers a preflight allows; by default the ones the browser asks for.
    pub fn allowed_headers(mut self, headers: impl Into<String>) -> Self {
        self.allowed_headers = Some(headers.into());
        self
    }

    /// How long a browser may cache a preflight answer, in seconds.
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Adds the headers of an actual (not preflight) request's response.
    pub(crate) fn apply(&self, origin: Option<&HeaderValue>, out: &mut HeaderMap) {
        match (&self.origin, origin) {
            (CorsOrigin::Any, _) => {
                out.insert(
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                );
            }
            (CorsOrigin::Mirror, Some(origin)) => {
                out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
                out.append(header::VARY, HeaderValue::from_static("Origin"));
            }
            (CorsOrigin::List(list), origin) => {
                if let Some(origin) =
                    origin.filter(|o| list.iter().any(|l| l.as_bytes() == o.as_bytes()))
                {
                    out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
                }
                out.append(header::VARY, HeaderValue::from_static("Origin"));
            }
            (CorsOrigin::Mirror, None) => {}
        }
        if self.credentials {
            out.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }

    /// The answer to a preflight (`OPTIONS`) request.
    pub(crate) fn preflight(&self, request: &HeaderMap) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::NO_CONTENT;
        let out = response.headers_mut();
        self.apply(request.get(header::ORIGIN), out);
        if let Ok(methods) = HeaderValue::from_str(&self.methods) {
            out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
        }
        let allowed = match &self.allowed_headers {
            Some(headers) => HeaderValue::from_str(headers).ok(),
            None => {
                out.append(
                    header::VARY,
                    HeaderValue::from_static("Access-Control-Request-Headers"),
                );
                request.get(header::ACCESS_CONTROL_REQUEST_HEADERS).cloned()
            }
        };
        if let Some(allowed) = allowed {
            out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allowed);
        }
        if let Some(max_age) = self.max_age {
            out.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(max_age));
        }
        out.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        response
    }
}
