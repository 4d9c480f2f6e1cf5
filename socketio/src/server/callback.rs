//! Running the application's callbacks, plain closures or async ones.
//!
//! Every callback (event, catch-all, connection and disconnect handlers, middlewares, the
//! dynamic-namespace predicate) is called where it is due, in order: on the connection's own
//! task for what a client sent. An async callback's future is polled there once, so that it
//! *starts* in order, and what is left of it runs as a task of its own, so that a handler that
//! awaits holds back neither its socket's next events nor anybody else. A task costs no thread:
//! ten thousand handlers waiting on a timer are ten thousand small futures.
//!
//! A panic in a callback is caught, logged with what was running, and harms nothing else.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_util::FutureExt;

/// What an async callback returns once boxed.
pub type CallbackFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Marks the plain-closure form of a callback (in the `M` parameter of the handler traits,
/// such as [`EventHandler`](super::EventHandler)); users never name it.
#[derive(Debug)]
pub enum Plain {}

/// Marks the async form of a callback: a closure that returns a future.
#[derive(Debug)]
pub enum Async {}

/// Calls a callback with panics caught; an async one is started here and finished by a task.
pub(crate) fn run(what: &dyn fmt::Display, call: impl FnOnce() -> Option<CallbackFuture>) {
    run_holding(what, call, || ());
}

/// [`run`], with `hold()` kept by the task that finishes an async callback, if one is needed,
/// and dropped when it ends: how a connection counts the callbacks still running for it.
pub(crate) fn run_holding<G: Send + 'static>(
    what: &dyn fmt::Display,
    call: impl FnOnce() -> Option<CallbackFuture>,
    hold: impl FnOnce() -> G,
) {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(None) => {}
        Ok(Some(future)) => start_holding(what, future, hold),
        Err(panic) => report(what, &*panic),
    }
}

/// Polls a future once here and, unless that finished it, spawns the rest.
pub(crate) fn start(what: &dyn fmt::Display, future: CallbackFuture) {
    start_holding(what, future, || ());
}

/// [`start`], with `hold()` kept by the spawned task until it ends.
///
/// The first poll sees a waker that does nothing: whatever the future waits for, the spawned
/// task polls it again at once with its own waker, which every future registers anew on each
/// poll.
pub(crate) fn start_holding<G: Send + 'static>(
    what: &dyn fmt::Display,
    mut future: CallbackFuture,
    hold: impl FnOnce() -> G,
) {
    let mut cx = Context::from_waker(Waker::noop());
    match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx))) {
        Ok(Poll::Ready(())) => {}
        Ok(Poll::Pending) => {
            let what = what.to_string();
            let held = hold();
            tokio::spawn(async move {
                if let Err(panic) = AssertUnwindSafe(future).catch_unwind().await {
                    report(&what, &*panic);
                }
                drop(held);
            });
        }
        Err(panic) => report(what, &*panic),
    }
}

/// A future that was polled once and may go on; `None` when it finished (or panicked, which
/// was logged).
pub(crate) fn poll_once<T>(
    what: &dyn fmt::Display,
    future: &mut Pin<Box<dyn Future<Output = T> + Send>>,
) -> Option<Poll<T>> {
    let mut cx = Context::from_waker(Waker::noop());
    match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx))) {
        Ok(poll) => Some(poll),
        Err(panic) => {
            report(what, &*panic);
            None
        }
    }
}

/// Logs a caught panic with what was running.
pub(crate) fn report(what: &dyn fmt::Display, panic: &(dyn Any + Send)) {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned());
    tracing::error!(%message, "{what} panicked");
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn a_future_that_finishes_at_once_is_not_spawned_and_panics_are_caught() {
        let runs = Arc::new(AtomicUsize::new(0));
        let seen = runs.clone();
        run(&"ready", move || {
            Some(Box::pin(async move {
                seen.fetch_add(1, Ordering::SeqCst);
            }))
        });
        // Ran inline: counted before this task yields.
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        run(&"plain panic", || panic!("boom"));
        run(&"async panic", || Some(Box::pin(async { panic!("boom") })));
        let seen = runs.clone();
        run(&"later", move || {
            Some(Box::pin(async move {
                tokio::task::yield_now().await;
                seen.fetch_add(1, Ordering::SeqCst);
            }))
        });
        assert_eq!(runs.load(Ordering::SeqCst), 1, "the rest is spawned");
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
