//! [`Parker`] and [`Unparker`]: block a thread until another thread says go.
//!
//! # The protocol
//!
//! One `AtomicU32` holds the parker's state:
//!
//! * `EMPTY`: no token is pending and nobody is asleep.
//! * `PARKED`: the owning thread is asleep in [`Parker::park`] (or about to be) and must be
//!   woken with `Thread::unpark`.
//! * `NOTIFIED`: an unpark token is pending; the next park consumes it and returns at once.
//!
//! `unpark` is one `swap(NOTIFIED)`; only when the old state was `PARKED` does it take the
//! cold path and wake the thread. So unparking a thread that is running costs one atomic and no
//! system call, and any number of unparks between two parks collapse into one token.
//!
//! `park` first tries `NOTIFIED -> EMPTY` (the token is consumed, no sleep). Otherwise it moves
//! `EMPTY -> PARKED` and sleeps in `std::thread::park` until it can move `NOTIFIED -> EMPTY`.
//! The thread's own std park token may be spent by other code on the same thread, and may also
//! arrive late and cause a spurious return: both are harmless because the loop only trusts
//! this parker's state word. That is what keeps a wake-up from being lost or stolen.
//!
//! The `Thread` to wake sits behind a mutex that only the cold paths touch, so a `Parker` can
//! be moved to another thread before it parks: `park` records the current thread first.
//! `unpark` clones the handle out of the mutex and wakes the thread after letting go of it, so
//! the woken thread never finds that mutex held when it parks again.
//!
//! There is no spinning before the sleep: a bounded ~1 µs spin was measured against a thread
//! round trip (`benches`, `block_on/round_trip`) and made it about 20% slower on a loaded
//! 2-core machine, because the wake-up it waits for takes several µs to arrive and the spin
//! takes CPU from the thread that would send it.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use futures_task::{ArcWake, WakerRef};

use crate::sync::{AtomicU32, Mutex, Ordering, Thread, current_thread, park_thread};

const EMPTY: u32 = 0;
const PARKED: u32 = 1;
const NOTIFIED: u32 = 2;

/// The state shared by a [`Parker`], its [`Unparker`]s and its wakers.
pub(crate) struct Inner {
    state: AtomicU32,
    /// The thread that parks (or last parked). Read only by an unpark that saw `PARKED`.
    thread: Mutex<Thread>,
}

impl Inner {
    fn new() -> Self {
        Inner {
            state: AtomicU32::new(EMPTY),
            thread: Mutex::new(current_thread()),
        }
    }

    #[inline]
    fn unpark(&self) {
        // Release: whatever the waker did before waking is visible to the parked thread.
        if self.state.swap(NOTIFIED, Ordering::AcqRel) == PARKED {
            // Clone the handle and let go of the lock before the system call: the woken
            // thread's next park takes this lock, and must not find it held.
            let thread = self.thread.lock().clone();
            thread.unpark();
        }
    }

    /// Consumes a pending token, if there is one.
    #[inline]
    fn try_consume(&self) -> bool {
        self.state
            .compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Parks until unparked or until `deadline`. Returns whether a token was consumed.
    #[inline]
    fn park(&self, deadline: Option<Instant>) -> bool {
        self.try_consume() || self.park_slow(deadline)
    }

    #[cold]
    fn park_slow(&self, deadline: Option<Instant>) -> bool {
        if deadline.is_some_and(|d| d <= Instant::now()) {
            return false;
        }
        {
            let me = current_thread();
            let mut thread = self.thread.lock();
            if thread.id() != me.id() {
                *thread = me;
            }
        }
        match self
            .state
            .compare_exchange(EMPTY, PARKED, Ordering::Acquire, Ordering::Acquire)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                // A token arrived between the fast path and now: take it.
                self.state.store(EMPTY, Ordering::Relaxed);
                return true;
            }
            Err(_) => unreachable!("a Parker was parked by two threads at once"),
        }
        loop {
            match deadline {
                None => park_thread(),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        // Withdraw; if an unpark won the race, its token is ours.
                        return match self.state.compare_exchange(
                            PARKED,
                            EMPTY,
                            Ordering::Acquire,
                            Ordering::Acquire,
                        ) {
                            Ok(_) => false,
                            Err(_) => {
                                self.state.store(EMPTY, Ordering::Relaxed);
                                true
                            }
                        };
                    }
                    park_timeout(deadline - now);
                }
            }
            if self.try_consume() {
                return true;
            }
        }
    }
}

#[cfg(not(loom))]
fn park_timeout(d: Duration) {
    std::thread::park_timeout(d);
}

#[cfg(loom)]
fn park_timeout(_: Duration) {
    // loom has no clock: model a timed park as one that may time out at any point.
    loom::thread::yield_now();
}

impl ArcWake for Inner {
    #[inline]
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.unpark();
    }
}

/// Parks the thread that owns it until an [`Unparker`] or a waker from [`Parker::waker`]
/// unparks it.
///
/// An unpark that comes before the park is not lost: the park then returns at once. Several
/// unparks before one park count as one. A `Parker` may be moved to another thread, but it is
/// not `Sync`: one thread parks on it at a time.
///
/// # Examples
///
/// ```
/// use std::thread;
/// use wakers::Parker;
///
/// let parker = Parker::new();
/// let unparker = parker.unparker();
/// thread::spawn(move || unparker.unpark());
/// parker.park(); // returns once the other thread has unparked us
/// ```
pub struct Parker {
    inner: Arc<Inner>,
    /// `!Sync`: two threads parking on one state word would each steal the other's token.
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

impl Parker {
    /// Creates a parker with no pending token.
    ///
    /// ```
    /// let parker = wakers::Parker::new();
    /// assert!(!parker.park_timeout(std::time::Duration::from_millis(1)));
    /// ```
    pub fn new() -> Parker {
        Parker {
            inner: Arc::new(Inner::new()),
            _not_sync: PhantomData,
        }
    }

    /// Blocks the current thread until a token is available, then consumes it.
    ///
    /// Returns at once if an unpark happened since the last park.
    ///
    /// ```
    /// let parker = wakers::Parker::new();
    /// parker.unparker().unpark();
    /// parker.park(); // the token is already there: no wait
    /// ```
    #[inline]
    pub fn park(&self) {
        self.inner.park(None);
    }

    /// Like [`park`](Parker::park), but gives up after `timeout`.
    ///
    /// Returns `true` if a token was consumed (the parker was unparked), `false` if the time ran
    /// out. It never returns `false` early.
    ///
    /// ```
    /// use std::time::Duration;
    /// let parker = wakers::Parker::new();
    /// assert!(!parker.park_timeout(Duration::from_millis(5)));
    /// parker.unparker().unpark();
    /// assert!(parker.park_timeout(Duration::from_secs(60)));
    /// ```
    pub fn park_timeout(&self, timeout: Duration) -> bool {
        // A timeout too large to add to `now` means "forever".
        self.inner.park(Instant::now().checked_add(timeout))
    }

    /// Like [`park`](Parker::park), but gives up at `deadline`. Returns `true` if unparked.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let parker = wakers::Parker::new();
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// assert!(!parker.park_deadline(deadline));
    /// assert!(Instant::now() >= deadline);
    /// ```
    pub fn park_deadline(&self, deadline: Instant) -> bool {
        self.inner.park(Some(deadline))
    }

    /// Returns a handle that unparks this parker from any thread.
    ///
    /// ```
    /// let parker = wakers::Parker::new();
    /// let unparker = parker.unparker();
    /// std::thread::spawn(move || unparker.unpark()).join().unwrap();
    /// parker.park();
    /// ```
    pub fn unparker(&self) -> Unparker {
        Unparker {
            inner: self.inner.clone(),
        }
    }

    /// Returns a [`Waker`] whose `wake` unparks this parker: the lesson's thread-parking waker.
    ///
    /// ```
    /// let parker = wakers::Parker::new();
    /// let waker = parker.waker();
    /// std::thread::spawn(move || waker.wake());
    /// parker.park();
    /// ```
    pub fn waker(&self) -> Waker {
        futures_task::waker(self.inner.clone())
    }

    /// Borrows a [`Waker`] for this parker without touching its reference count.
    ///
    /// The borrowed waker is what a poll loop hands to `Context::from_waker`: a future that does
    /// not keep its waker costs no atomic operation, and one that does pays for its own clone.
    /// It [`will_wake`](Waker::will_wake) the same task as [`Parker::waker`].
    ///
    /// ```
    /// let parker = wakers::Parker::new();
    /// let waker = parker.waker_ref();
    /// waker.wake_by_ref();
    /// assert!(parker.waker().will_wake(&waker));
    /// parker.park();
    /// ```
    #[inline]
    pub fn waker_ref(&self) -> WakerRef<'_> {
        futures_task::waker_ref(&self.inner)
    }
}

impl Default for Parker {
    fn default() -> Self {
        Parker::new()
    }
}

impl fmt::Debug for Parker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parker").finish_non_exhaustive()
    }
}

/// Unparks a [`Parker`] from any thread. Cheap to clone.
///
/// ```
/// let parker = wakers::Parker::new();
/// let unparker = parker.unparker();
/// let other = unparker.clone();
/// other.unpark();
/// parker.park();
/// ```
#[derive(Clone)]
pub struct Unparker {
    inner: Arc<Inner>,
}

impl Unparker {
    /// Makes a token available to the parker, waking it if it is parked.
    ///
    /// Costs one atomic operation when the parker's thread is not asleep.
    ///
    /// ```
    /// let parker = wakers::Parker::new();
    /// parker.unparker().unpark();
    /// assert!(parker.park_timeout(std::time::Duration::ZERO));
    /// ```
    #[inline]
    pub fn unpark(&self) {
        self.inner.unpark();
    }
}

impl fmt::Debug for Unparker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unparker").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn many_unparks_make_one_token() {
        let parker = Parker::new();
        let unparker = parker.unparker();
        for _ in 0..10 {
            unparker.unpark();
        }
        assert!(parker.park_timeout(Duration::ZERO));
        assert!(!parker.park_timeout(Duration::from_millis(1)));
    }

    #[test]
    fn a_stolen_std_token_does_not_end_the_park() {
        // Another user of the thread's own park token must not make our park return early.
        let parker = Parker::new();
        std::thread::current().unpark();
        let start = Instant::now();
        assert!(!parker.park_timeout(Duration::from_millis(20)));
        assert!(start.elapsed() >= Duration::from_millis(20));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;

    /// An unpark racing a park is never lost: the park always returns.
    #[test]
    fn unpark_races_park() {
        loom::model(|| {
            let parker = Parker::new();
            let unparker = parker.unparker();
            let t = loom::thread::spawn(move || unparker.unpark());
            parker.park();
            t.join().unwrap();
        });
    }

    /// Two parks need two unparks; a token is used once.
    #[test]
    fn two_rounds() {
        loom::model(|| {
            let parker = Parker::new();
            let unparker = parker.unparker();
            let t = loom::thread::spawn(move || {
                unparker.unpark();
                unparker.unpark();
            });
            parker.park();
            t.join().unwrap();
            // The second unpark may or may not have merged with the first.
            let _ = parker.park_timeout(Duration::ZERO);
        });
    }
}
