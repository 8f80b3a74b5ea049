//! [`Reactor`]: the process-wide poller, the registered sources, and the thread that waits.
//!
//! # Invariants
//!
//! 1. **One registration per fd**, edge-triggered, for read, write and their closed halves,
//!    made in [`Reactor::register`] and undone in [`Reactor::deregister`] *before* the fd is
//!    closed (a closed-but-registered fd, or a `dup` of it, would keep reporting events).
//! 2. **The right to wait is the poller lock.** Whoever holds [`Reactor::poller`] may call
//!    [`Reactor::turn`]; everyone else registers and deregisters through the [`mio::Registry`],
//!    which needs no lock. Only one thread ever waits in the poller.
//! 3. **A turn** waits, then, holding the slab lock once for the whole batch, looks each token
//!    up (a stale generation is dropped, see [`slab`](crate::slab)), stores the event's bits
//!    ([`Source::set_readiness`]) and takes the wakers to run. The wakers run after both locks
//!    are released, so a woken task can register or deregister at once.
//! 4. **Who waits.** Today a single fallback thread, `reactor`, started with the first
//!    registration, turns with no timeout, forever. With nothing registered or nothing ready it
//!    sleeps in the kernel and spends no CPU (there is no periodic wake-up).
//! 5. **Deregistration wakes.** [`Reactor::deregister`] marks the source shut down and wakes
//!    both directions, so a waiter completes with an error instead of sleeping forever.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::Waker;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token};
use parking_lot::Mutex;

use crate::slab::{Slab, WAKE_TOKEN};
use crate::source::Source;

/// Events taken from the kernel per turn. A larger batch saves turns under load; the kernel
/// keeps what does not fit for the next turn, so nothing is lost. 1024 events are 12 KiB.
const EVENTS_PER_TURN: usize = 1024;

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
}

static REACTOR: OnceLock<Reactor> = OnceLock::new();
/// Set once the fallback thread runs; until then [`Reactor::get`] retries starting it.
static DRIVER_STARTED: AtomicBool = AtomicBool::new(false);
/// Serialises the first [`Reactor::get`] calls.
static INIT: Mutex<()> = Mutex::new(());

impl Reactor {
    /// The reactor, created (with its fallback thread) on first use. Fails if the poller or
    /// the thread cannot be created (out of fds or memory), and then is tried again next time.
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
                REACTOR.get_or_init(|| Reactor {
                    registry,
                    poller: Mutex::new(Poller {
                        poll,
                        events: Events::with_capacity(EVENTS_PER_TURN),
                        to_wake: Vec::new(),
                    }),
                    slab: Mutex::new(Slab::default()),
                })
            }
        };
        if !DRIVER_STARTED.load(Ordering::Acquire) {
            std::thread::Builder::new()
                .name("reactor".into())
                .spawn(move || {
                    loop {
                        reactor.turn(None);
                    }
                })?;
            DRIVER_STARTED.store(true, Ordering::Release);
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

    /// One turn (invariant 3): waits up to `timeout` (`None`: until an event), delivers the
    /// events, wakes their waiters. Returns how many events were delivered.
    pub(crate) fn turn(&self, timeout: Option<Duration>) -> usize {
        let mut poller = self.poller.lock();
        let Poller {
            poll,
            events,
            to_wake,
        } = &mut *poller;
        if let Err(e) = poll.poll(events, timeout) {
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
        let mut wakers = std::mem::take(to_wake);
        drop(poller);
        wakers.drain(..).for_each(Waker::wake);
        // Give the buffer back for the next turn (if the lock is free; otherwise a fresh
        // one is allocated next time, which is only a missed reuse).
        if let Some(mut poller) = self.poller.try_lock()
            && poller.to_wake.capacity() < wakers.capacity()
        {
            poller.to_wake = wakers;
        }
        delivered
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
