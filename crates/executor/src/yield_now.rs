//! [`yield_now`]: let other tasks run.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Returns `Pending` once after waking itself, so the executor runs other queued tasks before
/// polling this one again. Works under any executor; the future is `Send`. It spends nothing of
/// the cooperative budget ([crate docs](crate#cooperative-budget)): it yields every time.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use executor::{Executor, yield_now};
///
/// let ex = Executor::new();
/// let log = Arc::new(Mutex::new(Vec::new()));
/// for name in ["a", "b"] {
///     let log = log.clone();
///     ex.spawn(async move {
///         for i in 0..2 {
///             log.lock().unwrap().push(format!("{name}{i}"));
///             yield_now().await;
///         }
///     });
/// }
/// ex.run();
/// assert_eq!(*log.lock().unwrap(), ["a0", "b0", "a1", "b1"]);
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await;
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            // Not a charge site of the cooperative budget: the first poll always yields, so
            // a loop around `yield_now` cannot keep its runner, and this `Ready` comes at the
            // start of a later poll, with a full budget.
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
