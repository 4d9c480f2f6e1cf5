//! The long-polling transport: GET drains the session, POST feeds it.

use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderValue, Response};
use http_body::Body;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};

use super::compression::Compression;
use super::driver::Shared;
use super::error::RequestError;
use super::inbound::{self, Fed};
use crate::codec::{self, Codec};
use crate::session::{Batch, Input, SessionError};
use crate::{DisconnectReason, Protocol, TransportKind};

/// A boxed error, as request bodies report them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The response carrying a payload to the client, compressed as the reference would: when
/// the client accepts a coding, the body reaches the threshold and a packet may be compressed.
pub(crate) fn payload_response(
    batch: &Batch,
    codec: Codec,
    compression: Option<Compression>,
) -> Response<Full<Bytes>> {
    let body = codec.encode_payload(&batch.packets);
    // Explicit UTF-8, for pages not served as UTF-8; a v3 binary payload is octets.
    let content_type = match body {
        codec::Body::Text(_) => "text/plain; charset=UTF-8",
        codec::Body::Binary(_) => "application/octet-stream",
    };
    let body = body.into_bytes();
    let compressed = compression
        .filter(|c| batch.compress && body.len() >= c.threshold)
        .and_then(|c| Some((c.encoding, c.encoding.compress(&body).ok()?)));
    let mut response = match compressed {
        Some((encoding, bytes)) => {
            let mut response = Response::new(Full::new(Bytes::from(bytes)));
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_ENCODING, encoding.header());
            response
        }
        None => Response::new(Full::new(Bytes::from(body))),
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn ok_response() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"ok")));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn refused(error: SessionError) -> RequestError {
    match error {
        SessionError::Closed => RequestError::UnknownSid,
        SessionError::TransportMismatch => RequestError::TransportMismatch {
            transport: TransportKind::Polling,
            previous: TransportKind::WebSocket,
        },
        _ => RequestError::BadRequest,
    }
}

/// Tells the session when a GET goes away unanswered (the client hung up).
struct HeldPoll {
    shared: Arc<Shared>,
    answered: bool,
}

impl Drop for HeldPoll {
    fn drop(&mut self) {
        if !self.answered {
            let _ = self.shared.input(Input::PollAborted);
        }
    }
}

/// A GET: waits until the session has packets for the client.
pub(crate) async fn get(
    shared: Arc<Shared>,
    max_payload: usize,
    compression: Option<Compression>,
) -> Result<Response<Full<Bytes>>, RequestError> {
    let codec = shared.polling_codec();
    shared.input(Input::PollStart).map_err(refused)?;
    let mut held = HeldPoll {
        shared,
        answered: false,
    };
    loop {
        let notified = held.shared.poll.notified();
        let batch = held.shared.lock().take_batch(max_payload);
        if let Some(batch) = batch {
            held.answered = true;
            held.shared.wake();
            return Ok(payload_response(&batch, codec, compression));
        }
        notified.await;
    }
}

/// Ends a POST in the session however the request ends.
struct ActivePost<'a>(&'a Shared);

impl Drop for ActivePost<'_> {
    fn drop(&mut self) {
        let _ = self.0.input(Input::PostEnd);
    }
}

/// A POST: decodes the body's packets and feeds them to the session, answering once the
/// driver has taken its messages.
pub(crate) async fn post<B>(
    shared: Arc<Shared>,
    body: B,
    binary_content: bool,
    max_payload: usize,
    body_timeout: std::time::Duration,
) -> Result<Response<Full<Bytes>>, RequestError>
where
    B: Body + Send,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let fail = |reason, error| {
        let _ = shared.input(Input::TransportEnded(TransportKind::Polling, reason));
        Err(error)
    };
    let codec = shared.polling_codec();
    if binary_content && codec.protocol() == Protocol::V4 {
        // EIO4 bodies are text; the reference server refuses binary content.
        return fail(DisconnectReason::TransportError, RequestError::BadRequest);
    }
    shared.input(Input::PostStart).map_err(refused)?;
    let post = ActivePost(&shared);
    // A body that trickles in is bounded in time as well as in size.
    let read = tokio::time::timeout(body_timeout, Limited::new(body, max_payload).collect());
    let Ok(read) = read.await else {
        drop(post);
        return fail(DisconnectReason::TransportError, RequestError::BodyTimeout);
    };
    let body = match read {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            drop(post);
            return fail(
                DisconnectReason::TransportError,
                RequestError::PayloadTooLarge,
            );
        }
        Err(_) => {
            drop(post);
            return fail(DisconnectReason::TransportError, RequestError::BadRequest);
        }
    };
    match inbound::feed(&shared, codec.payload_packets(&body, binary_content)).await {
        Fed::Done => {}
        Fed::Malformed(_) => {
            drop(post);
            return fail(DisconnectReason::ParseError, RequestError::BadRequest);
        }
        Fed::Refused(error) => {
            drop(post);
            return Err(refused(error));
        }
    }
    drop(post);
    Ok(ok_response())
}
