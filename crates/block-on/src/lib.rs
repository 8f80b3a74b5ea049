//! `block_on`: run one future to completion on the current thread.
//!
//! This is the first executor of the lessons (exercise 1): poll the future; if it is pending,
//! park the thread until its waker unparks it; poll again.
//!
//! ```
//! assert_eq!(block_on::block_on(async { 6 * 7 }), 42);
//! ```
//!
//! # What it promises
//!
//! * **No allocation per call.** Each thread keeps one [`Parker`] per nesting depth, made on
//!   first use and reused by every later call at that depth (the first
//!   [`MAX_CACHED_DEPTH`] depths; deeper calls allocate a parker of their own).
//! * **No reference counting per poll.** The future gets a borrowed waker
//!   ([`Parker::waker_ref`]); only a future that keeps its waker pays for the clone.
//! * **No busy polling.** A pending future that nobody wakes leaves the thread parked.
//! * **No lost wake-up.** A wake between the poll returning `Pending` and the park leaves a
//!   token in the parker, and the park returns at once.
//! * **Nesting works.** A `block_on` inside a future driven by `block_on` gets its own parker,
//!   so it can neither deadlock nor steal the outer call's wake-up.
//! * **Panics pass through.** A panic in the future unwinds to the caller; the thread's parkers
//!   stay usable.
//! * **Spurious polls, and their bound.** Calls at one depth share that depth's parker, so a
//!   waker a future kept after its call returned (or a wake that arrived just as a call
//!   completed, or a call that unwound) still unparks it: each such wake costs the call then
//!   running at that depth at most one extra poll, and wakes that come while it is not
//!   parked coalesce into one. There is no bound on how many stale wakes a kept waker makes,
//!   so there is none on the extra polls; as everywhere in Rust, a future must treat a poll
//!   as a hint, never as proof that what it waits for has happened.
//!
//! # Where it sits
//!
//! ```text
//! executor ──┬── join-handle          (the task cell and JoinHandle)
//!            └── wakers               (Parker, WakerSlot, test wakers)
//! block-on ───── wakers
//! timers ─────── wakers
//! ```
//!
//! `block_on` drives one future; the `executor` crate's `Executor::block_on` also runs
//! spawned tasks while it waits.

use std::cell::{Cell, OnceCell};
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use wakers::Parker;

/// How many nesting levels of `block_on` keep a cached parker per thread.
///
/// Calls nested deeper than this still work; each allocates a parker for its own use.
pub const MAX_CACHED_DEPTH: usize = 8;

/// The per-thread state: how deep the current `block_on` nesting is, and one parker per depth.
struct Local {
    depth: Cell<usize>,
    parkers: [OnceCell<Parker>; MAX_CACHED_DEPTH],
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            depth: Cell::new(0),
            parkers: [const { OnceCell::new() }; MAX_CACHED_DEPTH],
        }
    };
}

/// Restores the nesting depth when a `block_on` call ends, by return or by unwind.
struct DepthGuard<'a> {
    depth: &'a Cell<usize>,
    saved: usize,
}

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        self.depth.set(self.saved);
    }
}

/// Blocks the current thread until `future` completes, and returns its output.
///
/// The thread sleeps while the future is pending and wakes when the future's waker is woken,
/// from any thread. See the [crate docs](crate) for what is and is not allocated.
///
/// # Panics
///
/// A panic inside `future` propagates to the caller.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let (tx, rx) = std::sync::mpsc::channel();
/// let waiter = std::future::poll_fn(move |cx| {
///     // Stash the waker with the other thread, then wait to be woken.
///     match rx.try_recv() {
///         Ok(v) => std::task::Poll::Ready(v),
///         Err(_) => {
///             let waker = cx.waker().clone();
///             let tx = tx.clone();
///             std::thread::spawn(move || {
///                 std::thread::sleep(Duration::from_millis(10));
///                 tx.send(5).unwrap();
///                 waker.wake();
///             });
///             std::task::Poll::Pending
///         }
///     }
/// });
/// assert_eq!(block_on::block_on(waiter), 5);
/// ```
///
/// Nested calls are fine:
///
/// ```
/// use block_on::block_on;
/// let outer = block_on(async { block_on(async { 1 }) + 1 });
/// assert_eq!(outer, 2);
/// ```
#[inline]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut future = Some(future.as_mut());
    let done = LOCAL.try_with(|local| {
        let saved = local.depth.get();
        local.depth.set(saved + 1);
        let _guard = DepthGuard {
            depth: &local.depth,
            saved,
        };
        let future = future.take().expect("taken once");
        match local.parkers.get(saved) {
            Some(cell) => drive(future, cell.get_or_init(Parker::new)),
            None => drive(future, &Parker::new()),
        }
    });
    match done {
        Ok(output) => output,
        // Called from a thread-local destructor after ours was torn down: use a fresh parker.
        Err(_) => drive(
            future
                .take()
                .expect("not polled when the thread-local was gone"),
            &Parker::new(),
        ),
    }
}

/// The poll loop: poll, park on `Pending`, repeat.
#[inline]
fn drive<F: Future + ?Sized>(mut future: Pin<&mut F>, parker: &Parker) -> F::Output {
    let waker = parker.waker_ref();
    let mut cx = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => parker.park(),
        }
    }
}
