//! The long-polling transport: GET drains the session, POST feeds it.

use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderValue, Response};
use http_body::Body;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};

use super::driver::Shared;
use super::error::RequestError;
use crate::packet::Packet;
use crate::payload;
use crate::session::{Input, SessionError};
use crate::{DisconnectReason, TransportKind};

/// A boxed error, as request bodies report them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The response carrying a payload to the client.
pub(crate) fn payload_response(packets: &[Packet]) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(payload::encode(packets))));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
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
) -> Result<Response<Full<Bytes>>, RequestError> {
    shared.input(Input::PollStart).map_err(refused)?;
    let mut held = HeldPoll {
        shared,
        answered: false,
    };
    loop {
        let notified = held.shared.poll.notified();
        let packets = held.shared.lock().take_payload(max_payload);
        if let Some(packets) = packets {
            held.answered = true;
            held.shared.wake();
            return Ok(payload_response(&packets));
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

/// A POST: decodes the body's packets and feeds them to the session.
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
    if binary_content {
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
    let Ok(packets) = payload::decode(&body) else {
        drop(post);
        return fail(DisconnectReason::ParseError, RequestError::BadRequest);
    };
    {
        let mut session = shared.lock();
        let now = super::driver::now();
        for packet in packets {
            if let Err(error) = session.handle(now, Input::Recv(TransportKind::Polling, packet)) {
                drop(session);
                drop(post);
                shared.wake();
                return Err(refused(error));
            }
        }
    }
    drop(post);
    Ok(ok_response())
}
