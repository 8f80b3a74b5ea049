//! Virtual time: [`now`] and the [`VirtualClock`] a simulator installs on its thread.
//!
//! Outside a simulation every timer uses the real clock and the driver thread. A simulator
//! (the `sim` crate) makes a [`VirtualClock`] and [`enter`](VirtualClock::enter)s it on its
//! thread; while it is entered, on that thread:
//!
//! * [`now`] returns the clock's virtual instant instead of [`Instant::now`];
//! * a timer that has to wait registers with the clock instead of the driver, so no driver
//!   thread is started, and a dropped one is removed from the clock;
//! * nothing fires by itself: the simulator asks the clock for the due timers
//!   ([`VirtualClock::fire_due`]) and moves time forward ([`VirtualClock::advance_to_next`]).
//!
//! # Invariants
//!
//! 1. Virtual time never goes backwards; it moves only in [`VirtualClock::advance_to_next`].
//! 2. `timers` holds every live timer the clock owns under the key `(deadline, seq)`, `seq`
//!    counting insertions: due timers come out in deadline order, ties in registration order,
//!    the same in every run (no addresses or hashes decide an order).
//! 3. An entry in `timers` is `REGISTERED` (the clock moved it there from `QUEUED` on insert)
//!    until the clock fires it or its future cancels it; either takes it out of both maps.
//! 4. Cost outside a simulation: `simulating()` is one relaxed load of `SIMULATING` (and a
//!    branch) when no thread of the process has a clock entered; the thread-local lookup runs
//!    only when one has, out of line, so the paths around it inline as they did without it.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::entry::{Entry, REGISTERED};

/// How many threads have a virtual clock entered right now. Zero in a normal process, so the
/// timers' hot paths skip the thread-local lookup (invariant 4).
static SIMULATING: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static CLOCK: RefCell<Option<Rc<VirtualClock>>> = const { RefCell::new(None) };
}

/// The current time: [`Instant::now`], or the virtual time of the simulation driving this
/// thread.
///
/// Use it instead of `Instant::now()` in code that should run under the `sim` crate's
/// simulator: inside a simulation it moves only when the simulator moves time forward, and a
/// timer fires exactly when `now()` reaches its deadline.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let before = Instant::now();
/// let now = timers::now(); // not simulating: the real clock
/// assert!(now >= before && now <= Instant::now());
///
/// let clock = std::rc::Rc::new(timers::hooks::VirtualClock::new());
/// let _entered = clock.enter();
/// assert_eq!(timers::now(), clock.now());
/// ```
#[inline]
pub fn now() -> Instant {
    if simulating()
        && let Some(now) = virtual_now()
    {
        return now;
    }
    Instant::now()
}

/// Whether any thread has a clock entered (invariant 4): the whole cost of a hook outside a
/// simulation, kept this small so that the timers' hot paths inline as before.
#[inline(always)]
pub(crate) fn simulating() -> bool {
    SIMULATING.load(Ordering::Relaxed) != 0
}

/// The virtual time of the clock entered on this thread, if any.
#[cold]
#[inline(never)]
fn virtual_now() -> Option<Instant> {
    CLOCK
        .try_with(|c| c.borrow().as_ref().map(|clock| clock.now()))
        .ok()
        .flatten()
}

/// The clock entered on this thread, if any (only asked when [`simulating`]).
#[cold]
#[inline(never)]
pub(crate) fn clock() -> Option<Rc<VirtualClock>> {
    CLOCK.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// Withdraws `entry` from the clock entered on this thread, if that clock holds it.
#[cold]
#[inline(never)]
pub(crate) fn cancel(entry: &Arc<Entry>) -> bool {
    clock().is_some_and(|clock| clock.cancel(entry))
}

/// Virtual time for a simulator: the clock that [`now`] and every timer use on a thread where
/// it is [`enter`](VirtualClock::enter)ed.
///
/// `!Send`: it belongs to the simulator's thread. It starts at the real instant it was made,
/// so `Instant`s from before it (deadlines made outside) keep their meaning.
///
/// ```
/// use std::rc::Rc;
/// use std::task::{Context, Poll};
/// use std::time::Duration;
/// use timers::hooks::VirtualClock;
///
/// let clock = Rc::new(VirtualClock::new());
/// let _entered = clock.enter();
/// let mut hour = timers::sleep(Duration::from_secs(3600));
/// let waker = wakers::CountingWaker::new();
/// let w = waker.waker();
/// assert!(std::pin::Pin::new(&mut hour).poll(&mut Context::from_waker(&w)).is_pending());
///
/// // Nothing is due yet; jump to the next deadline and fire it.
/// assert!(clock.fire_due().is_empty());
/// assert_eq!(clock.advance_to_next(), Some(Duration::from_secs(3600)));
/// for (_, waker) in clock.fire_due() {
///     waker.wake();
/// }
/// assert_eq!(waker.wakes(), 1);
/// assert!(std::pin::Pin::new(&mut hour).poll(&mut Context::from_waker(&w)).is_ready());
/// ```
pub struct VirtualClock {
    state: RefCell<State>,
    /// `!Send + !Sync`: entries hold no thread affinity, but the clock is one thread's.
    _one_thread: PhantomData<Rc<()>>,
}

struct State {
    /// The real instant virtual time 0 stands for.
    base: Instant,
    /// Virtual ns since `base`.
    now: u64,
    /// Live timers by `(deadline ns, seq)` (invariant 2).
    timers: BTreeMap<(u64, u64), Arc<Entry>>,
    /// Where each live timer sits in `timers`, to cancel it. Only looked up, never iterated.
    keys: HashMap<*const Entry, (u64, u64)>,
    seq: u64,
}

impl VirtualClock {
    /// A clock at virtual time zero, which stands for the real instant of this call.
    ///
    /// ```
    /// let clock = timers::hooks::VirtualClock::new();
    /// assert_eq!(clock.elapsed(), std::time::Duration::ZERO);
    /// ```
    pub fn new() -> VirtualClock {
        VirtualClock {
            state: RefCell::new(State {
                base: Instant::now(),
                now: 0,
                timers: BTreeMap::new(),
                keys: HashMap::new(),
                seq: 0,
            }),
            _one_thread: PhantomData,
        }
    }

    /// Makes this the clock of the current thread until the guard drops (then the clock
    /// entered before, if any, is back).
    ///
    /// ```
    /// use std::rc::Rc;
    /// let clock = Rc::new(timers::hooks::VirtualClock::new());
    /// {
    ///     let _entered = clock.enter();
    ///     assert_eq!(timers::now(), clock.now());
    /// }
    /// assert!(timers::now() >= clock.now()); // the real clock again
    /// ```
    pub fn enter(self: &Rc<Self>) -> ClockGuard {
        SIMULATING.fetch_add(1, Ordering::Relaxed);
        let previous = CLOCK.with(|c| c.replace(Some(self.clone())));
        ClockGuard {
            previous,
            _one_thread: PhantomData,
        }
    }

    /// The virtual instant.
    ///
    /// ```
    /// let clock = timers::hooks::VirtualClock::new();
    /// assert_eq!(clock.now(), clock.now()); // it does not move by itself
    /// ```
    pub fn now(&self) -> Instant {
        let state = self.state.borrow();
        add_ns(state.base, state.now)
    }

    /// Virtual time since the clock was made.
    ///
    /// ```
    /// let clock = timers::hooks::VirtualClock::new();
    /// assert_eq!(clock.elapsed(), std::time::Duration::ZERO);
    /// ```
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.state.borrow().now)
    }

    /// How many timers wait on this clock.
    ///
    /// ```
    /// let clock = timers::hooks::VirtualClock::new();
    /// assert_eq!(clock.pending(), 0);
    /// ```
    pub fn pending(&self) -> usize {
        self.state.borrow().timers.len()
    }

    /// Moves virtual time to the earliest pending deadline, if that is ahead, and returns the
    /// new [`elapsed`](VirtualClock::elapsed) time; `None` (and no move) if no timer is
    /// pending. Fires nothing: call [`fire_due`](VirtualClock::fire_due) next.
    ///
    /// ```
    /// let clock = timers::hooks::VirtualClock::new();
    /// assert_eq!(clock.advance_to_next(), None);
    /// ```
    pub fn advance_to_next(&self) -> Option<Duration> {
        let mut state = self.state.borrow_mut();
        // A timer cancelled while its clock was not entered is still here: drop it.
        while let Some(entry) = state.timers.first_entry() {
            if entry.get().state() == REGISTERED {
                break;
            }
            let entry = entry.remove();
            state.keys.remove(&Arc::as_ptr(&entry));
        }
        let (&(deadline, _), _) = state.timers.first_key_value()?;
        state.now = state.now.max(deadline);
        Some(Duration::from_nanos(state.now))
    }

    /// Takes every timer whose deadline has come out of the clock, marks it fired, and returns
    /// its deadline (as time since the clock was made) and waker, in deadline order, ties in
    /// registration order. The caller wakes them, in that order or another of its choosing.
    ///
    /// ```
    /// let clock = timers::hooks::VirtualClock::new();
    /// assert!(clock.fire_due().is_empty());
    /// ```
    pub fn fire_due(&self) -> Vec<(Duration, Waker)> {
        let mut fired = Vec::new();
        let mut state = self.state.borrow_mut();
        let now = state.now;
        while let Some(entry) = state.timers.first_entry() {
            let (deadline, _) = *entry.key();
            if deadline > now {
                break;
            }
            let entry = entry.remove();
            state.keys.remove(&Arc::as_ptr(&entry));
            // Invariant 3: REGISTERED -> FIRED; `None` only if nobody registered a waker.
            if let Some(waker) = entry.fire() {
                fired.push((Duration::from_nanos(deadline), waker));
            }
        }
        fired
    }

    /// `instant` as virtual ns: 0 before the clock's start, saturating far out.
    pub(crate) fn ns(&self, instant: Instant) -> u64 {
        let d = instant.saturating_duration_since(self.state.borrow().base);
        u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
    }

    /// Takes over a timer that has to wait: `entry` is `QUEUED`, its deadline in virtual ns.
    pub(crate) fn insert(&self, entry: Arc<Entry>) {
        let registered = entry.try_register();
        debug_assert!(registered, "a timer is inserted right after it is queued");
        let mut state = self.state.borrow_mut();
        let key = (entry.deadline, state.seq);
        state.seq += 1;
        state.keys.insert(Arc::as_ptr(&entry), key);
        state.timers.insert(key, entry);
    }

    /// Withdraws `entry` if this clock holds it; `false` if it belongs to the real driver.
    /// The caller may have marked it `CANCELLED` and taken its waker already.
    pub(crate) fn cancel(&self, entry: &Arc<Entry>) -> bool {
        let removed = {
            let mut state = self.state.borrow_mut();
            match state.keys.remove(&Arc::as_ptr(entry)) {
                Some(key) => state.timers.remove(&key),
                None => return false,
            }
        };
        // The waker is user code: drop it with no borrow held.
        drop(entry.take_waker());
        entry.cancel();
        drop(removed);
        true
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        VirtualClock::new()
    }
}

impl fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualClock")
            .field("elapsed", &self.elapsed())
            .field("pending", &self.pending())
            .finish()
    }
}

/// Keeps a [`VirtualClock`] entered on this thread; see [`VirtualClock::enter`].
///
/// ```
/// let clock = std::rc::Rc::new(timers::hooks::VirtualClock::new());
/// let guard = clock.enter();
/// drop(guard); // the real clock again
/// ```
#[must_use = "the clock is left as soon as the guard drops"]
pub struct ClockGuard {
    previous: Option<Rc<VirtualClock>>,
    _one_thread: PhantomData<Rc<()>>,
}

impl Drop for ClockGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CLOCK.try_with(|c| c.replace(previous));
        SIMULATING.fetch_sub(1, Ordering::Relaxed);
    }
}

impl fmt::Debug for ClockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClockGuard").finish_non_exhaustive()
    }
}

fn add_ns(base: Instant, ns: u64) -> Instant {
    base.checked_add(Duration::from_nanos(ns))
        .unwrap_or_else(crate::sleep::far_future)
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::Context;

    use super::*;

    fn poll(sleep: &mut crate::Sleep) -> bool {
        let waker = wakers::noop_waker();
        Pin::new(sleep)
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
    }

    #[test]
    fn a_dropped_timer_leaves_the_clock() {
        let clock = Rc::new(VirtualClock::new());
        let _entered = clock.enter();
        let mut sleep = crate::sleep(Duration::from_secs(5));
        assert!(!poll(&mut sleep));
        assert_eq!(clock.pending(), 1);
        drop(sleep);
        assert_eq!(clock.pending(), 0);
        assert_eq!(clock.advance_to_next(), None);
    }

    #[test]
    fn equal_deadlines_fire_in_registration_order_and_time_never_goes_back() {
        let clock = Rc::new(VirtualClock::new());
        let _entered = clock.enter();
        let deadline = crate::now() + Duration::from_secs(1);
        let counters: Vec<wakers::CountingWaker> =
            (0..3).map(|_| wakers::CountingWaker::new()).collect();
        let mut sleeps: Vec<crate::Sleep> = (0..3).map(|_| crate::sleep_until(deadline)).collect();
        for (sleep, counter) in sleeps.iter_mut().zip(&counters) {
            let waker = counter.waker();
            assert!(
                Pin::new(sleep)
                    .poll(&mut Context::from_waker(&waker))
                    .is_pending()
            );
        }
        assert_eq!(clock.advance_to_next(), Some(Duration::from_secs(1)));
        let fired = clock.fire_due();
        assert_eq!(fired.len(), 3);
        for (i, (at, waker)) in fired.into_iter().enumerate() {
            assert_eq!(at, Duration::from_secs(1));
            waker.wake();
            assert_eq!(counters[i].wakes(), 1, "timer {i} fired in its place");
        }
        assert!(sleeps.iter_mut().all(poll));
        // A deadline already behind virtual time fires without moving it back.
        let mut late = crate::sleep_until(deadline - Duration::from_millis(500));
        late.reset(deadline - Duration::from_millis(500));
        assert!(poll(&mut late), "a passed deadline is ready at once");
        assert_eq!(clock.elapsed(), Duration::from_secs(1));
    }
}
