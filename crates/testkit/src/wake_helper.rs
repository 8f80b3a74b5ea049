//! A thread that wakes what it is sent, for cross-thread wake-up round trips.
//!
//! Protocol of one round trip: the future sends a clone of its waker over a rendezvous-sized
//! channel and returns `Pending`; the helper raises `answered` (Release) and then wakes the
//! waker; the future's next poll takes `answered` down (Acquire swap). A poll that finds
//! `answered` down is spurious and returns `Pending` again: the wake is still on its way,
//! because the helper raises the flag before it wakes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::task::{Context, Poll, Waker};
use std::thread;

/// A long-lived thread that wakes every waker sent to it, after raising a flag the waiting
/// future checks. Dropping it stops and joins the thread, once every [`RoundTrips`] made from
/// it is gone too (each holds a way in): drop those first.
///
/// ```
/// # use std::{pin::pin, sync::Arc, task::{Context, Wake}, thread::{self, Thread}};
/// # struct Unpark(Thread);
/// # impl Wake for Unpark { fn wake(self: Arc<Self>) { self.0.unpark() } }
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let waker = Arc::new(Unpark(thread::current())).into();
/// #     let mut f = pin!(f);
/// #     loop {
/// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(&waker)) {
/// #             return v;
/// #         }
/// #         thread::park();
/// #     }
/// # }
/// let helper = testkit::WakeHelper::start();
/// // 100 times: hand the waker to the helper thread and wait to be woken by it.
/// block_on(helper.round_trips(100));
/// ```
#[derive(Debug)]
pub struct WakeHelper {
    link: Option<Link>,
    thread: Option<thread::JoinHandle<()>>,
}

/// What a [`RoundTrips`] future holds to reach the helper.
#[derive(Debug, Clone)]
struct Link {
    to_helper: SyncSender<Waker>,
    answered: Arc<AtomicBool>,
}

impl WakeHelper {
    /// Starts the helper thread.
    ///
    /// # Panics
    ///
    /// Panics if the operating system refuses to start a thread.
    pub fn start() -> WakeHelper {
        let (to_helper, wakers) = sync_channel::<Waker>(1);
        let answered = Arc::new(AtomicBool::new(false));
        let flag = answered.clone();
        let thread = thread::Builder::new()
            .name("wake helper".into())
            .spawn(move || {
                for waker in wakers {
                    flag.store(true, Ordering::Release);
                    waker.wake();
                }
            })
            .expect("start the wake helper thread");
        WakeHelper {
            link: Some(Link {
                to_helper,
                answered,
            }),
            thread: Some(thread),
        }
    }

    /// A future that goes to the helper and back `n` times, then completes. It is `Send` and
    /// `'static`, so it can be spawned as a task. Run one at a time per helper: two at once
    /// would take each other's answers.
    pub fn round_trips(&self, n: u64) -> RoundTrips {
        RoundTrips {
            link: self.link.clone().expect("the helper runs until dropped"),
            left: n,
            waiting: false,
        }
    }
}

impl Drop for WakeHelper {
    fn drop(&mut self) {
        drop(self.link.take()); // closes our end of the channel
        if let Some(thread) = self.thread.take() {
            // The loop ends once every `RoundTrips` holding a sender is gone too.
            let _ = thread.join();
        }
    }
}

/// Sends its waker to a [`WakeHelper`] and waits for the answer, a given number of times;
/// made by [`WakeHelper::round_trips`].
#[derive(Debug)]
pub struct RoundTrips {
    link: Link,
    left: u64,
    waiting: bool,
}

impl Future for RoundTrips {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.waiting {
            if !self.link.answered.swap(false, Ordering::Acquire) {
                return Poll::Pending; // spurious: the helper has not answered yet
            }
            self.waiting = false;
            self.left -= 1;
        }
        if self.left == 0 {
            return Poll::Ready(());
        }
        self.link
            .to_helper
            .send(cx.waker().clone())
            .expect("the helper thread is alive");
        self.waiting = true;
        Poll::Pending
    }
}
