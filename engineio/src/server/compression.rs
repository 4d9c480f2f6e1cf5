//! HTTP compression of polling responses (the reference's `httpCompression`): gzip or
//! deflate, as the request's `Accept-Encoding` allows, for bodies of at least a threshold.
//! The static files are served in brotli too, as the reference serves its client bundle.

use std::io::Write;

use flate2::write::{GzEncoder, ZlibEncoder};
use http::{header, HeaderMap, HeaderValue};

/// A content coding the server can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// `br`.
    Brotli,
    /// `gzip`.
    Gzip,
    /// `deflate`: the zlib format (RFC 1950), as HTTP defines it and Node's zlib writes it.
    Deflate,
}

impl Encoding {
    /// The codings of polling responses, in the reference's order of preference.
    pub(crate) const POLLING: [Encoding; 2] = [Encoding::Gzip, Encoding::Deflate];
    /// The codings of static files, in the reference's order of preference.
    pub(crate) const FILES: [Encoding; 3] = [Encoding::Brotli, Encoding::Gzip, Encoding::Deflate];

    fn name(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
        }
    }

    /// The `Content-Encoding` value.
    pub(crate) fn header(self) -> HeaderValue {
        HeaderValue::from_static(self.name())
    }

    /// Compresses `body` at zlib's default level (Node's default too).
    pub(crate) fn compress(self, body: &[u8]) -> std::io::Result<Vec<u8>> {
        let level = flate2::Compression::default();
        let out = Vec::with_capacity(body.len() / 2);
        match self {
            Encoding::Brotli => {
                // Node's defaults: quality 11, a 4 MiB window.
                let mut out = out;
                let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
                encoder.write_all(body)?;
                encoder.flush()?;
                drop(encoder);
                Ok(out)
            }
            Encoding::Gzip => {
                let mut encoder = GzEncoder::new(out, level);
                encoder.write_all(body)?;
                encoder.finish()
            }
            Encoding::Deflate => {
                let mut encoder = ZlibEncoder::new(out, level);
                encoder.write_all(body)?;
                encoder.finish()
            }
        }
    }
}

/// How a GET's response may be compressed: the threshold, and the coding the client takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Compression {
    pub(crate) threshold: usize,
    pub(crate) encoding: Encoding,
}

impl Compression {
    /// The compression for a request, `None` when the option is off or the client accepts
    /// neither coding.
    pub(crate) fn for_request(threshold: Option<usize>, headers: &HeaderMap) -> Option<Self> {
        let threshold = threshold?;
        let accept = headers.get(header::ACCEPT_ENCODING)?.to_str().ok()?;
        negotiate(accept, &Encoding::POLLING).map(|encoding| Self {
            threshold,
            encoding,
        })
    }
}

/// How well the client takes one of our codings.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Preference {
    quality: f32,
    /// Named exactly (1) rather than through `*` (0).
    exact: u8,
    /// Its place in the client's header.
    order: usize,
}

/// Picks one of `ours` as the `negotiator` package the reference uses does: highest quality,
/// then an exact name over `*`, then the client's order, then ours. A quality of 0 refuses
/// the coding.
pub(crate) fn negotiate(accept: &str, ours: &[Encoding]) -> Option<Encoding> {
    let mut best: Option<(Preference, Encoding)> = None;
    for &encoding in ours {
        let Some(preference) = preference(accept, encoding).filter(|p| p.quality > 0.0) else {
            continue;
        };
        let better = match best {
            None => true,
            Some((b, _)) => {
                let (new, old) = ((preference.quality, preference.exact), (b.quality, b.exact));
                new > old || (new == old && preference.order < b.order)
            }
        };
        if better {
            best = Some((preference, encoding));
        }
    }
    best.map(|(_, encoding)| encoding)
}

/// The most specific entry of the header naming `encoding` (itself or `*`).
fn preference(accept: &str, encoding: Encoding) -> Option<Preference> {
    let mut found: Option<Preference> = None;
    for (order, entry) in accept.split(',').enumerate() {
        let mut parts = entry.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let exact = match name {
            "*" => 0,
            _ if name.eq_ignore_ascii_case(encoding.name()) => 1,
            _ => continue,
        };
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let candidate = Preference {
            quality,
            exact,
            order,
        };
        let more_specific = match found {
            None => true,
            Some(f) => (exact, quality) > (f.exact, f.quality),
        };
        if more_specific {
            found = Some(candidate);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_the_reference() {
        let negotiate = |accept| negotiate(accept, &Encoding::POLLING);
        assert_eq!(negotiate("gzip, deflate, br"), Some(Encoding::Gzip));
        assert_eq!(negotiate("deflate, gzip"), Some(Encoding::Deflate));
        assert_eq!(negotiate("deflate"), Some(Encoding::Deflate));
        assert_eq!(negotiate("gzip;q=0.5, deflate"), Some(Encoding::Deflate));
        assert_eq!(negotiate("*"), Some(Encoding::Gzip));
        assert_eq!(negotiate("gzip;q=0, *"), Some(Encoding::Deflate));
        assert_eq!(negotiate("br, identity"), None);
        assert_eq!(negotiate("gzip;q=0"), None);
        assert_eq!(negotiate(""), None);
    }

    #[test]
    fn files_take_brotli_too() {
        let negotiate = |accept| negotiate(accept, &Encoding::FILES);
        // The client's order first, as the reference's negotiator (0.6) reads it.
        assert_eq!(negotiate("gzip, deflate, br"), Some(Encoding::Gzip));
        assert_eq!(negotiate("br, gzip"), Some(Encoding::Brotli));
        assert_eq!(negotiate("*"), Some(Encoding::Brotli));
        assert_eq!(negotiate("gzip, deflate"), Some(Encoding::Gzip));
        assert_eq!(negotiate("br;q=0.1, gzip"), Some(Encoding::Gzip));
    }

    #[test]
    fn brotli_round_trips() {
        let body = b"socket.io ".repeat(1000);
        let compressed = Encoding::Brotli.compress(&body).unwrap();
        assert!(compressed.len() < body.len() / 10);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &compressed[..], &mut out).unwrap();
        assert_eq!(out, body);
    }
}
