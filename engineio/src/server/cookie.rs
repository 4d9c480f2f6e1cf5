//! The session cookie set on the handshake (`cookie` option), with every attribute of the
//! `cookie` package the reference serializes it with, in its order.

use std::time::{Duration, SystemTime};

use http::HeaderValue;
use thiserror::Error;

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax`, the reference's default.
    Lax,
    /// `SameSite=None`: sent on cross-site requests too (a load balancer's sticky cookie for a
    /// page of another site). Browsers refuse it without `Secure`, so it always carries
    /// `Secure`.
    None,
}

impl SameSite {
    fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

/// The `Priority` attribute (a Chrome extension the `cookie` package writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Priority {
    /// `Priority=Low`.
    Low,
    /// `Priority=Medium`.
    Medium,
    /// `Priority=High`.
    High,
}

/// A cookie name, domain or path the `Set-Cookie` syntax does not allow.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CookieError {
    /// The name is not a token (RFC 6265).
    #[error("invalid cookie name {0:?}")]
    Name(String),
    /// The domain has characters a domain cannot have.
    #[error("invalid cookie domain {0:?}")]
    Domain(String),
    /// The path has a control character or a `;`.
    #[error("invalid cookie path {0:?}")]
    Path(String),
}

/// The cookie that carries the session id (`cookie` option): what a load balancer's sticky
/// sessions read.
///
/// The default is the reference's: `io=<sid>; Path=/; HttpOnly; SameSite=Lax`.
///
/// ```
/// use engineio::server::{Cookie, SameSite};
/// use std::time::Duration;
/// // A sticky cookie for a page served from another site.
/// let cookie = Cookie::new("lb")?
///     .domain("example.com")?
///     .max_age(Duration::from_secs(3600))
///     .same_site(SameSite::None);
/// assert_eq!(
///     cookie.to_header("abc").unwrap(),
///     "lb=abc; Max-Age=3600; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=None"
/// );
/// # Ok::<(), engineio::server::CookieError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    name: String,
    path: Option<String>,
    domain: Option<String>,
    max_age: Option<Duration>,
    expires: Option<SystemTime>,
    http_only: bool,
    secure: bool,
    partitioned: bool,
    priority: Option<Priority>,
    same_site: Option<SameSite>,
}

impl Default for Cookie {
    fn default() -> Self {
        Self {
            name: "io".into(),
            path: Some("/".into()),
            domain: None,
            max_age: None,
            expires: None,
            http_only: true,
            secure: false,
            partitioned: false,
            priority: None,
            same_site: Some(SameSite::Lax),
        }
    }
}

impl Cookie {
    /// The default cookie under another name.
    pub fn new(name: &str) -> Result<Self, CookieError> {
        let token = |b: u8| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b);
        if name.is_empty() || !name.bytes().all(token) {
            return Err(CookieError::Name(name.to_owned()));
        }
        Ok(Self {
            name: name.to_owned(),
            ..Self::default()
        })
    }

    /// The `Path` attribute (`/`); `None` leaves it out.
    pub fn path(mut self, path: Option<&str>) -> Result<Self, CookieError> {
        if let Some(path) = path {
            if path.bytes().any(|b| b.is_ascii_control() || b == b';') {
                return Err(CookieError::Path(path.to_owned()));
            }
        }
        self.path = path.map(str::to_owned);
        Ok(self)
    }

    /// The `Domain` attribute (none).
    pub fn domain(mut self, domain: &str) -> Result<Self, CookieError> {
        let valid = |b: u8| b.is_ascii_alphanumeric() || b"-.".contains(&b);
        if domain.is_empty() || !domain.bytes().all(valid) {
            return Err(CookieError::Domain(domain.to_owned()));
        }
        self.domain = Some(domain.to_owned());
        Ok(self)
    }

    /// The `Max-Age` attribute, in whole seconds (none: a session cookie).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// The `Expires` attribute (none).
    pub fn expires(mut self, at: SystemTime) -> Self {
        self.expires = Some(at);
        self
    }

    /// The `HttpOnly` attribute (on).
    pub fn http_only(mut self, on: bool) -> Self {
        self.http_only = on;
        self
    }

    /// The `Secure` attribute (off; always on with `SameSite=None`).
    pub fn secure(mut self, on: bool) -> Self {
        self.secure = on;
        self
    }

    /// The `Partitioned` attribute (off).
    pub fn partitioned(mut self, on: bool) -> Self {
        self.partitioned = on;
        self
    }

    /// The `Priority` attribute (none).
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = Some(priority);
        self
    }

    /// The `SameSite` attribute (`Lax`); `None` (the option) leaves it out.
    pub fn same_site(mut self, same_site: impl Into<Option<SameSite>>) -> Self {
        self.same_site = same_site.into();
        self
    }

    /// The cookie's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the cookie is sent with `Secure`: when asked, and always with `SameSite=None`.
    pub fn is_secure(&self) -> bool {
        self.secure || self.same_site == Some(SameSite::None)
    }

    /// The `Set-Cookie` value for a session id, the id percent-encoded as
    /// `encodeURIComponent` does. `None` only for an id that no header can carry.
    pub fn to_header(&self, sid: &str) -> Option<HeaderValue> {
        let mut value = format!("{}={}", self.name, encode_value(sid));
        if let Some(max_age) = self.max_age {
            value.push_str(&format!("; Max-Age={}", max_age.as_secs()));
        }
        if let Some(domain) = &self.domain {
            value.push_str(&format!("; Domain={domain}"));
        }
        if let Some(path) = &self.path {
            value.push_str(&format!("; Path={path}"));
        }
        if let Some(expires) = self.expires {
            value.push_str(&format!("; Expires={}", httpdate::fmt_http_date(expires)));
        }
        let flags = [
            (self.http_only, "; HttpOnly"),
            (self.is_secure(), "; Secure"),
            (self.partitioned, "; Partitioned"),
        ];
        for (_, flag) in flags.iter().filter(|(on, _)| *on) {
            value.push_str(flag);
        }
        if let Some(priority) = self.priority {
            value.push_str(&format!("; Priority={priority:?}"));
        }
        if let Some(same_site) = self.same_site {
            value.push_str(&format!("; SameSite={}", same_site.as_str()));
        }
        HeaderValue::from_str(&value).ok()
    }
}

/// `encodeURIComponent`: everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )` percent-encoded.
fn encode_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cookie_is_the_references() {
        let header = Cookie::default().to_header("abc").expect("a valid header");
        assert_eq!(header, "io=abc; Path=/; HttpOnly; SameSite=Lax");
    }

    /// Every attribute, in the order of the `cookie` package (0.7) the reference uses.
    #[test]
    fn every_attribute_in_the_references_order() {
        let cookie = Cookie::new("sticky")
            .unwrap()
            .path(Some("/app"))
            .unwrap()
            .domain("example.com")
            .unwrap()
            .max_age(Duration::from_millis(90_500))
            .expires(SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777))
            .secure(true)
            .partitioned(true)
            .priority(Priority::High)
            .same_site(SameSite::Strict);
        assert_eq!(
            cookie.to_header("a b/c").unwrap(),
            "sticky=a%20b%2Fc; Max-Age=90; Domain=example.com; Path=/app; \
             Expires=Sun, 06 Nov 1994 08:49:37 GMT; HttpOnly; Secure; Partitioned; \
             Priority=High; SameSite=Strict"
        );
        let bare = Cookie::default()
            .path(None)
            .unwrap()
            .http_only(false)
            .same_site(None);
        assert_eq!(bare.to_header("x").unwrap(), "io=x");
    }

    #[test]
    fn same_site_none_is_always_secure() {
        let cookie = Cookie::default().secure(false).same_site(SameSite::None);
        assert!(cookie.is_secure());
        assert_eq!(
            cookie.to_header("s").unwrap(),
            "io=s; Path=/; HttpOnly; Secure; SameSite=None"
        );
    }

    #[test]
    fn invalid_names_domains_and_paths_are_refused() {
        assert_eq!(Cookie::new("a b"), Err(CookieError::Name("a b".into())));
        assert_eq!(Cookie::new(""), Err(CookieError::Name(String::new())));
        assert!(Cookie::default().domain("exa mple.com").is_err());
        assert!(Cookie::default().path(Some("/a;b")).is_err());
    }
}
