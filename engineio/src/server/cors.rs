//! Cross-origin resource sharing, with the behaviour of the `cors` package the reference
//! server uses.

use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::Full;

/// Decides whether an origin (`None`: the request has no `Origin`) may call the server.
pub type OriginCheck = Arc<dyn Fn(Option<&str>) -> bool + Send + Sync>;

/// Which origins may call the server from a browser.
#[derive(Clone)]
pub enum CorsOrigin {
    /// Any origin: `Access-Control-Allow-Origin: *`.
    Any,
    /// Any origin, echoed back (works with credentials).
    Mirror,
    /// Only these origins, echoed back when they match.
    List(Vec<String>),
    /// The origins a function allows, echoed back (the `cors` package's `origin` function).
    /// A refused origin gets no CORS header at all, and its preflight is not answered as one:
    /// it goes on to the server as any request, as the reference lets it.
    Predicate(OriginCheck),
}

impl std::fmt::Debug for CorsOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CorsOrigin::Any => f.write_str("Any"),
            CorsOrigin::Mirror => f.write_str("Mirror"),
            CorsOrigin::List(list) => f.debug_tuple("List").field(list).finish(),
            CorsOrigin::Predicate(_) => f.write_str("Predicate(..)"),
        }
    }
}

impl PartialEq for CorsOrigin {
    /// Two predicates are equal when they are the same function.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (CorsOrigin::Any, CorsOrigin::Any) | (CorsOrigin::Mirror, CorsOrigin::Mirror) => true,
            (CorsOrigin::List(a), CorsOrigin::List(b)) => a == b,
            (CorsOrigin::Predicate(a), CorsOrigin::Predicate(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for CorsOrigin {}

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
    exposed_headers: Option<String>,
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

    /// The origins `allow` accepts, echoed back; `allow` gets the request's `Origin`
    /// (`None` without one).
    ///
    /// ```
    /// use engineio::server::Cors;
    /// let cors = Cors::predicate(|origin| origin.is_some_and(|o| o.ends_with(".example.com")));
    /// # let _ = cors;
    /// ```
    pub fn predicate(allow: impl Fn(Option<&str>) -> bool + Send + Sync + 'static) -> Self {
        Self::new(CorsOrigin::Predicate(Arc::new(allow)))
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
            exposed_headers: None,
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

    /// The response headers a page's script may read (`exposedHeaders`): sent as
    /// `Access-Control-Expose-Headers` on every answer, preflights included, as the `cors`
    /// package does.
    pub fn exposed_headers(mut self, headers: impl Into<String>) -> Self {
        self.exposed_headers = Some(headers.into());
        self
    }

    /// How long a browser may cache a preflight answer, in seconds.
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Whether the request's origin gets CORS headers at all: every origin but one a
    /// predicate refuses.
    pub(crate) fn admits(&self, origin: Option<&HeaderValue>) -> bool {
        match &self.origin {
            CorsOrigin::Predicate(allow) => allow(origin.and_then(|o| o.to_str().ok())),
            _ => true,
        }
    }

    /// Adds the headers of an actual (not preflight) request's response.
    pub(crate) fn apply(&self, origin: Option<&HeaderValue>, out: &mut HeaderMap) {
        if !self.admits(origin) {
            return;
        }
        self.apply_origin(origin, out);
        if let Some(exposed) = self.exposed_headers.as_deref() {
            if let Ok(exposed) = HeaderValue::from_str(exposed) {
                out.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, exposed);
            }
        }
    }

    fn apply_origin(&self, origin: Option<&HeaderValue>, out: &mut HeaderMap) {
        match (&self.origin, origin) {
            (CorsOrigin::Any, _) => {
                out.insert(
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                );
            }
            (CorsOrigin::Mirror | CorsOrigin::Predicate(_), Some(origin)) => {
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
            // An allowed request without `Origin`: `false` as the value, which the `cors`
            // package then leaves out.
            (CorsOrigin::Predicate(_), None) => {
                out.append(header::VARY, HeaderValue::from_static("Origin"));
            }
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
