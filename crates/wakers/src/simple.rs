//! Wakers that need no executor: [`noop_waker`] and [`waker_fn`].

use std::sync::Arc;
use std::task::{Wake, Waker};

/// Returns a waker that does nothing when woken.
///
/// Useful to poll a future once by hand, where nobody needs to be told about progress. It
/// allocates nothing.
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll};
///
/// let waker = wakers::noop_waker();
/// let mut cx = Context::from_waker(&waker);
/// let mut ready = pin!(async { 7 });
/// assert_eq!(ready.as_mut().poll(&mut cx), Poll::Ready(7));
/// ```
pub fn noop_waker() -> Waker {
    Waker::noop().clone()
}

/// Returns a waker that calls `f` on every wake.
///
/// `f` runs on whichever thread wakes, once per `wake` or `wake_by_ref`; it should be short and
/// must not panic. One allocation per call of `waker_fn`; clones share it.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// let woken = Arc::new(AtomicBool::new(false));
/// let flag = woken.clone();
/// let waker = wakers::waker_fn(move || flag.store(true, Ordering::SeqCst));
/// waker.wake();
/// assert!(woken.load(Ordering::SeqCst));
/// ```
pub fn waker_fn<F: Fn() + Send + Sync + 'static>(f: F) -> Waker {
    Waker::from(Arc::new(FnWake(f)))
}

struct FnWake<F>(F);

impl<F: Fn() + Send + Sync + 'static> Wake for FnWake<F> {
    fn wake(self: Arc<Self>) {
        (self.0)();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        (self.0)();
    }
}
