//! [`Reactor`]: the process-wide poller, the registered sources, and who waits in it.
//!
//! # Invariants
//!
//! 1. **One registration per fd**, edge-triggered, for read, write and their closed halves,
//!    made in [`Reactor::register`] and undone in [`Reactor::deregister`] *before* the fd is
//!    closed (a closed-but-registered fd, or a `dup` of it, would keep reporting events).
//! 2. **The right to wait is the poller lock.** Whoever holds [`Reactor::poller`] may turn it;
//!    everyone else registers and deregisters through the [`mio::Registry`], which needs no
//!    lock. Only one thread ever waits in the poller. The holder keeps the lock until the
//!    wakers of its turn have run, so a [`wake`](IdleDriver::wake) made by the holder itself
//!    (a waker it runs unparks the runner that is this very thread) is a no-op: the holder is
//!    not blocked, and it looks at its own state again after the turn.
//! 3. **A turn** waits, then, holding the slab lock once for the whole batch, looks each token
//!    up (a stale generation is dropped, see [`slab`](crate::slab)), stores the event's bits
//!    ([`Source::set_readiness`]) and takes the wakers to run. The wakers run after the slab
//!    lock is released, so a woken task can register or deregister at once.
//! 4. **Who waits.** The reactor is an [`IdleDriver`]: it installs itself when created, and an
//!    executor runner with nothing to do blocks in it ([`IdleDriver::try_wait`]), so the
//!    events are delivered on that runner's thread and the tasks they wake run there. Busy
//!    runners take a non-blocking turn every so many tasks ([`IdleDriver::poll_now`]). A
//!    fallback thread, `reactor`, waits only when no runner does:
//!    * with **no runner** entered ([`IdleDriver::runner_enter`]), it holds the poller and
//!      waits with no timeout (I/O under `block_on::block_on` or a foreign executor);
//!    * with runners, it **watches**: every period it looks whether a runner turned the
//!      poller since its last look. If one did, the runners drive, and it stands aside, and
//!      its next period is twice as long ([`WATCH_PERIOD`] at first, at most
//!      [`MAX_WATCH_PERIOD`]; back to the first after a quiet period). If
//!      none did and a runner is blocked in the poller, all is quiet: it sleeps with no timeout
//!      until that runner comes out of its wait (that runner wakes it). If none did and none
//!      waits, every runner is busy in a long poll (say, one that blocks its thread): it takes
//!      the poller itself, with no timeout, until a runner asks for it back.
//!    * **Handing back.** A runner whose [`try_wait`](IdleDriver::try_wait) finds the poller
//!      held by the fallback (`fallback_holds`, set before it locks and cleared after it
//!      unlocks) says so (`handing_back`) and counts a turn, wakes the poller, takes the lock
//!      when the fallback lets go and makes a non-blocking turn; its next wait is then its
//!      own. While `handing_back` is non-zero, whoever takes the lock (the fallback again, or
//!      another runner that got there first) does not block in the poller: the waiting
//!      runner's wake may have been spent on the wait it ended, so nothing would end a new
//!      one. A runner that finds another runner in the poller parks on its own parker.
//!
//!    A runner's last look at its own token is made with the lock held (`may_wait`), so a
//!    wake meant for it that ended the previous holder's wait is not lost.
//!
//!    So while everything is idle, exactly one thread sleeps in the poller and the fallback,
//!    if it does not hold it, sleeps with no timeout: no thread wakes. The watch wakes up
//!    periodically only while runners turn the poller (they are busy anyway), at most every
//!    [`MAX_WATCH_PERIOD`] once they have kept at it, or while none of them can.
//!
//!    The price of the back-off: I/O that only the fallback could deliver (every runner stuck
//!    in a long poll) waits at most the period in progress plus the next, so up to twice
//!    [`MAX_WATCH_PERIOD`] after the runners stop turning. tokio has no such watch: there,
//!    I/O waits until a worker is free, however long that takes.
//! 5. **Deregistration wakes.** [`Reactor::deregister`] marks the source shut down and wakes
//!    both directions, so a waiter completes with an error instead of sleeping forever.
//! 6. **Wakes coalesce.** [`wake`](IdleDriver::wake) sets `woken` and writes the poller's waker
//!    (an eventfd on Linux) only if `woken` was clear; a turn clears `woken` after its poll
//!    returns (any poll, blocking or not, may take the write). A wake that found `woken` set while the write it joined was already taken by a
//!    returning wait is not lost: the clear is a swap, which reads that wake's swap, so what
//!    the waking thread did before (setting a runner's token) happens before the clear, before
//!    the poller lock is let go, and so before the next holder's look at its token.
//! 7. **Timers in the wait.** When a timer library has handed its timers to the idle driver
//!    ([`wakers::idle::IdleTimers`]; `timers` does when the reactor exists before its first
//!    timer waits), every turn fires them: a holder about to wait runs their round first
//!    (`before_wait`, with the poller held and marked as held, so their wakers count as the
//!    holder's, invariant 2, and a runner's `may_wait` sees a token they set), waits no
//!    longer than the deadline it returns, and after the poll runs `after_wait`; a turn that
//!    does not wait runs `poll`. The promise the timers rely on, that another turn always
//!    comes, is invariant 4's: a runner that looks for work again or takes a non-blocking
//!    turn, else the fallback, which always turns while no runner does.

use std::cell::Cell;
use std::io;
use std::os::fd::RawFd;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use std::sync::{Arc, OnceLock};
use std::task::Waker;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token};
use parking_lot::{Mutex, MutexGuard};
use wakers::idle::{IdleDriver, IdleTimers};
use wakers::{Parker, Unparker};

use crate::slab::{Slab, WAKE_TOKEN};
use crate::source::Source;

/// Events taken from the kernel per turn. A larger batch saves turns under load; the kernel
/// keeps what does not fit for the next turn, so nothing is lost. 1024 events are 12 KiB.
const EVENTS_PER_TURN: usize = 1024;

/// The fallback thread's first watch period (invariant 4): how soon it notices that the
/// runners stopped turning the poller after a quiet spell, or after they began. 5 ms: a stall
/// of a few ms.
pub(crate) const WATCH_PERIOD: Duration = Duration::from_millis(5);

/// The longest watch period, reached while the runners keep turning the poller. It bounds how
/// long I/O waits once every runner is stuck in a long poll (twice this at most), and it is
/// the fallback's wake-up rate while the runners are busy: 20 ms is 50 wake-ups a second, a
/// context switch of the serving core each (at 200 a second, the fallback took 0.7 % of a hyper
/// server's CPU samples), and a stall of tens of ms in a case tokio does not bound at all.
pub(crate) const MAX_WATCH_PERIOD: Duration = Duration::from_millis(20);

/// The watch period after one of `period`: doubled while the runners turn the poller, back to
/// the first after a quiet one (invariant 4).
fn next_watch_period(period: Duration, runners_turned: bool) -> Duration {
    if runners_turned {
        (period * 2).min(MAX_WATCH_PERIOD)
    } else {
        WATCH_PERIOD
    }
}

/// The poller and what one turn needs, behind the lock that is the right to wait.
#[derive(Debug)]
struct Poller {
    poll: Poll,
    events: Events,
    to_wake: Vec<Waker>,
}

/// The process-wide reactor.
#[derive(Debug)]
pub(crate) struct Reactor {
    registry: Registry,
    poller: Mutex<Poller>,
    slab: Mutex<Slab>,
    /// Ends the poller's current or next wait (invariant 6).
    waker: mio::Waker,
    /// A wake was written and no wait has returned since (invariant 6).
    woken: AtomicBool,
    /// Runners entered and not left (invariant 4).
    runners: AtomicUsize,
    /// Turns made by runners, waiting or not: the fallback's sign that runners drive.
    runner_turns: AtomicUsize,
    /// A runner is blocked in the poller.
    runner_waiting: AtomicBool,
    /// Runners waiting for the poller lock to take the poller back from the fallback.
    handing_back: AtomicUsize,
    /// The fallback holds (or is about to take, or has just let go of) the poller.
    fallback_holds: AtomicBool,
    /// The fallback sleeps until the waiting runner comes out.
    fallback_asleep: AtomicBool,
    /// Wakes the fallback thread's parker.
    fallback: OnceLock<Unparker>,
}

static REACTOR: OnceLock<Reactor> = OnceLock::new();
/// Set once the fallback thread runs; until then [`Reactor::get`] retries starting it.
static DRIVER_STARTED: AtomicBool = AtomicBool::new(false);
/// Serialises the first [`Reactor::get`] calls.
static INIT: Mutex<()> = Mutex::new(());

thread_local! {
    /// This thread holds the poller lock (invariant 2).
    static HOLDS_POLLER: Cell<bool> = const { Cell::new(false) };
}

/// Marks this thread as the poller's holder while it runs a turn's wakers (invariant 2),
/// until dropped (also when a waker panics).
struct Holding;

impl Holding {
    fn enter() -> Holding {
        HOLDS_POLLER.set(true);
        Holding
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        HOLDS_POLLER.set(false);
    }
}

/// Who takes a turn: a runner counts it (invariant 4).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Turner {
    Runner,
    Fallback,
}

impl Reactor {
    /// The reactor, created (with its fallback thread) on first use and installed as the
    /// process's [`IdleDriver`]. Fails if the poller or the thread cannot be created (out of
    /// fds or memory), and then is tried again next time.
    pub(crate) fn get() -> io::Result<&'static Reactor> {
        if let Some(r) = REACTOR.get()
            && DRIVER_STARTED.load(Ordering::Acquire)
        {
            return Ok(r);
        }
        let _init = INIT.lock();
        let reactor = match REACTOR.get() {
            Some(r) => r,
            None => {
                let poll = Poll::new()?;
                let registry = poll.registry().try_clone()?;
                let waker = mio::Waker::new(&registry, Token(WAKE_TOKEN))?;
                REACTOR.get_or_init(|| Reactor {
                    registry,
                    poller: Mutex::new(Poller {
                        poll,
                        events: Events::with_capacity(EVENTS_PER_TURN),
                        to_wake: Vec::new(),
                    }),
                    slab: Mutex::new(Slab::default()),
                    waker,
                    woken: AtomicBool::new(false),
                    runners: AtomicUsize::new(0),
                    runner_turns: AtomicUsize::new(0),
                    runner_waiting: AtomicBool::new(false),
                    handing_back: AtomicUsize::new(0),
                    fallback_holds: AtomicBool::new(false),
                    fallback_asleep: AtomicBool::new(false),
                    fallback: OnceLock::new(),
                })
            }
        };
        if !DRIVER_STARTED.load(Ordering::Acquire) {
            let parker = Parker::new();
            let unparker = parker.unparker();
            std::thread::Builder::new()
                .name("reactor".into())
                .spawn(move || reactor.fallback(parker))?;
            let _ = reactor.fallback.set(unparker);
            DRIVER_STARTED.store(true, Ordering::Release);
            wakers::idle::install(reactor);
        }
        Ok(reactor)
    }

    /// Registers `fd` (invariant 1) and returns its source and token.
    pub(crate) fn register(&self, fd: RawFd) -> io::Result<(Arc<Source>, usize)> {
        let source = Arc::new(Source::new());
        let token = self.slab.lock().insert(source.clone())?;
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = self
            .registry
            .register(&mut SourceFd(&fd), Token(token), interest)
        {
            self.slab.lock().remove(token);
            return Err(e);
        }
        Ok((source, token))
    }

    /// Undoes [`register`](Reactor::register) (invariants 1 and 5). Call it before closing `fd`.
    pub(crate) fn deregister(&self, fd: RawFd, token: usize) {
        // An error here means the fd is already gone from the poller (closed elsewhere):
        // nothing is left to undo in the kernel.
        let _ = self.registry.deregister(&mut SourceFd(&fd));
        let source = self.slab.lock().remove(token);
        if let Some(source) = source {
            source.shut_down();
        }
    }

    /// One turn (invariant 3) with the poller lock held: waits up to `timeout` (`None`: until
    /// an event or a wake), delivers the events, runs their wakers, lets go of the lock.
    /// Returns how many events were delivered.
    fn turn(
        &self,
        mut poller: MutexGuard<'_, Poller>,
        timeout: Option<Duration>,
        by: Turner,
        prepared: Option<&'static dyn IdleTimers>,
    ) -> usize {
        let waits = timeout != Some(Duration::ZERO);
        if by == Turner::Runner && waits {
            self.runner_waiting.store(true, Ordering::SeqCst);
        }
        let Poller {
            poll,
            events,
            to_wake,
        } = &mut *poller;
        let polled = poll.poll(events, timeout);
        // Invariant 6: after the wait (any poll may have taken the wake's write), so a wake
        // that joined a write this poll took is followed by a look at the waker's state. A
        // read-modify-write, so it reads (and acquires) the last joining wake's swap.
        self.woken.swap(false, Ordering::AcqRel);
        if by == Turner::Runner {
            self.runner_turns.fetch_add(1, Ordering::SeqCst);
            if waits {
                self.runner_waiting.store(false, Ordering::SeqCst);
                if self.fallback_asleep.load(Ordering::SeqCst)
                    && self.fallback_asleep.swap(false, Ordering::SeqCst)
                {
                    self.unpark_fallback();
                }
            }
        }
        if let Err(e) = polled {
            // EINTR: a signal arrived; the caller turns again. Nothing else is expected from
            // epoll_wait/kevent on a valid poller.
            debug_assert_eq!(e.kind(), io::ErrorKind::Interrupted, "{e}");
            return 0;
        }
        let delivered = deliver(
            &self.slab.lock(),
            events.iter().map(|e| (e.token().0, bits_of(e))),
            to_wake,
        );
        // Invariant 2: the wakers run with the poller still held, so that a wake they make
        // on this thread (which holds it) is known to be ours. So do the timers' (invariant 7).
        {
            let _holding = Holding::enter();
            for waker in to_wake.drain(..) {
                // A waker is user code. Its panic (reported by the panic hook) must neither
                // cost the other wakers of this turn their wake nor unwind into the runner or
                // the fallback thread that holds the poller; the timers' round does the same.
                let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
            }
            match prepared {
                Some(timers) => timers.after_wait(),
                None => {
                    if let Some(timers) = wakers::idle::timers() {
                        timers.poll();
                    }
                }
            }
        }
        drop(poller);
        delivered
    }

    /// Invariant 7, before a wait, with the poller held: the installed timers' round (their
    /// wakers run as the holder's), and how long the wait may last for their sake.
    fn prepare_timers(&self) -> (Option<&'static dyn IdleTimers>, Option<Duration>) {
        let Some(timers) = wakers::idle::timers() else {
            return (None, None);
        };
        let deadline = {
            let _holding = Holding::enter();
            timers.before_wait()
        };
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        (Some(timers), timeout)
    }

    fn unpark_fallback(&self) {
        if let Some(fallback) = self.fallback.get() {
            fallback.unpark();
        }
    }

    /// The fallback thread's loop (invariant 4).
    fn fallback(&'static self, parker: Parker) -> ! {
        let mut seen = self.runner_turns.load(Ordering::SeqCst);
        // We held the poller last time round: look again without sleeping first.
        let mut took_over = false;
        let mut period = WATCH_PERIOD;
        loop {
            let alone = self.runners.load(Ordering::SeqCst) == 0;
            if alone {
                seen = self.runner_turns.load(Ordering::SeqCst);
                period = WATCH_PERIOD;
            } else {
                if !took_over {
                    // Ended early by the last runner leaving.
                    parker.park_timeout(period);
                }
                let now = self.runner_turns.load(Ordering::SeqCst);
                let quiet = now == seen;
                seen = now;
                took_over = false;
                period = next_watch_period(period, !quiet);
                if !quiet || self.runners.load(Ordering::SeqCst) == 0 {
                    continue;
                }
                if self.runner_waiting.load(Ordering::SeqCst) {
                    // A runner has waited in the poller for a whole period: sleep until it
                    // comes out (it swaps `fallback_asleep` back and unparks us).
                    self.fallback_asleep.store(true, Ordering::SeqCst);
                    if self.runner_waiting.load(Ordering::SeqCst)
                        && self.runners.load(Ordering::SeqCst) != 0
                    {
                        parker.park();
                    }
                    self.fallback_asleep.store(false, Ordering::SeqCst);
                    seen = self.runner_turns.load(Ordering::SeqCst);
                    continue;
                }
            }
            // No runner, or none turns the poller nor waits in it: take it.
            self.fallback_holds.store(true, Ordering::SeqCst);
            {
                let poller = self.poller.lock();
                // Looked at again with the lock held: a runner that entered meanwhile may
                // have asked for the poller back (counted a turn, woken the last holder) and
                // wait for this lock; its wake is spent, so we must not wait in its place.
                let alone = self.runners.load(Ordering::SeqCst) == 0;
                let asked_back = self.handing_back.load(Ordering::SeqCst) != 0;
                if !asked_back && (alone || self.runner_turns.load(Ordering::SeqCst) == seen) {
                    let (timers, timeout) = self.prepare_timers();
                    self.turn(poller, timeout, Turner::Fallback, timers);
                    took_over = true;
                }
            }
            self.fallback_holds.store(false, Ordering::SeqCst);
        }
    }
}

impl IdleDriver for Reactor {
    fn try_wait(&self, timeout: Option<Duration>, may_wait: &dyn Fn() -> bool) -> bool {
        if let Some(poller) = self.poller.try_lock() {
            // First the timers (invariant 7): the wakers of those due may be for this runner,
            // and `may_wait` then sees its token.
            let (timers, timers_timeout) = self.prepare_timers();
            // Not if a runner waits for this lock to take the poller back from the fallback:
            // its wake may have been spent on the fallback's wait, and it would wait for ours.
            let asked_back = self.handing_back.load(Ordering::SeqCst) != 0;
            let timeout = if !asked_back && may_wait() {
                earlier(timeout, timers_timeout)
            } else {
                Some(Duration::ZERO)
            };
            self.turn(poller, timeout, Turner::Runner, timers);
            return true;
        }
        if !self.fallback_holds.load(Ordering::SeqCst) {
            // Another runner waits in the poller, or has just come out of it to run tasks.
            return false;
        }
        // Invariant 4, handing back: say so first (the fallback stands aside, and does not
        // take the lock back before we have had it), then end its wait.
        self.handing_back.fetch_add(1, Ordering::SeqCst);
        self.runner_turns.fetch_add(1, Ordering::SeqCst);
        self.wake();
        let poller = self.poller.lock();
        self.handing_back.fetch_sub(1, Ordering::SeqCst);
        self.turn(poller, Some(Duration::ZERO), Turner::Runner, None);
        true
    }

    fn poll_now(&self) {
        if let Some(poller) = self.poller.try_lock() {
            self.turn(poller, Some(Duration::ZERO), Turner::Runner, None);
        } else if self.fallback_holds.load(Ordering::SeqCst) {
            // A busy runner asks for the poller back (invariant 4).
            self.runner_turns.fetch_add(1, Ordering::SeqCst);
            self.wake();
        }
    }

    fn wake(&self) {
        if HOLDS_POLLER.get() || self.woken.swap(true, Ordering::SeqCst) {
            return;
        }
        // An error means the eventfd counter is full: a wake is pending anyway.
        let _ = self.waker.wake();
    }

    fn runner_enter(&self) {
        self.runners.fetch_add(1, Ordering::SeqCst);
    }

    fn runner_leave(&self) {
        if self.runners.fetch_sub(1, Ordering::SeqCst) == 1 {
            // The last runner left: the fallback must wait in the poller now, not in a watch.
            fence(Ordering::SeqCst);
            self.unpark_fallback();
        }
    }
}

/// The earlier of two timeouts (`None`: no timeout).
fn earlier(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// The readiness bits of one event.
fn bits_of(event: &mio::event::Event) -> u64 {
    use crate::readiness::{ERROR, READ_CLOSED, READABLE, WRITABLE, WRITE_CLOSED};
    let mut bits = 0;
    if event.is_readable() {
        bits |= READABLE;
    }
    if event.is_writable() {
        bits |= WRITABLE;
    }
    if event.is_read_closed() {
        bits |= READ_CLOSED;
    }
    if event.is_write_closed() {
        bits |= WRITE_CLOSED;
    }
    if event.is_error() {
        bits |= ERROR;
    }
    bits
}

/// Invariant 3 for one batch: stores each event's bits in its source and collects the wakers
/// to run. Events whose token is stale (or the poller's own waker) are dropped.
fn deliver(
    slab: &Slab,
    events: impl Iterator<Item = (usize, u64)>,
    to_wake: &mut Vec<Waker>,
) -> usize {
    let mut delivered = 0;
    for (token, bits) in events {
        if token == WAKE_TOKEN {
            continue;
        }
        if let Some(source) = slab.get(token) {
            let woken = source.set_readiness(bits);
            source.take_wakers(woken, to_wake);
            delivered += 1;
        }
    }
    delivered
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::readiness::{Direction, READABLE};
    use std::task::{Context, Poll as TaskPoll};

    #[test]
    fn the_watch_backs_off_while_runners_turn_and_starts_over_after_a_quiet_period() {
        let mut period = WATCH_PERIOD;
        let mut periods = Vec::new();
        for _ in 0..6 {
            period = next_watch_period(period, true);
            periods.push(period);
        }
        assert_eq!(periods[0], WATCH_PERIOD * 2);
        assert_eq!(*periods.last().unwrap(), MAX_WATCH_PERIOD);
        assert!(periods.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(next_watch_period(MAX_WATCH_PERIOD, false), WATCH_PERIOD);
    }

    #[test]
    fn a_stale_token_in_a_batch_does_not_reach_the_new_source() {
        // fd-number reuse inside one turn: the old source was deregistered and a new one took
        // its slot while the old event still sat in the batch.
        let mut slab = Slab::default();
        let old = slab.insert(Arc::new(Source::new())).unwrap();
        slab.remove(old);
        let new_source = Arc::new(Source::new());
        let new = slab.insert(new_source.clone()).unwrap();
        let counter = wakers::CountingWaker::new();
        let waker = counter.waker();
        let mut cx = Context::from_waker(&waker);
        assert!(new_source.poll_ready(Direction::Read, &mut cx).is_pending());

        let mut to_wake = Vec::new();
        let n = deliver(
            &slab,
            [(old, READABLE), (WAKE_TOKEN, READABLE)].into_iter(),
            &mut to_wake,
        );
        assert_eq!(n, 0);
        assert!(to_wake.is_empty());
        assert!(new_source.poll_ready(Direction::Read, &mut cx).is_pending());

        let n = deliver(&slab, [(new, READABLE)].into_iter(), &mut to_wake);
        assert_eq!(n, 1);
        assert_eq!(to_wake.len(), 1);
        to_wake.drain(..).for_each(Waker::wake);
        assert_eq!(counter.wakes(), 1);
        assert!(matches!(
            new_source.poll_ready(Direction::Read, &mut cx),
            TaskPoll::Ready(Ok(_))
        ));
    }
}
