//! [`Source`]: what the reactor keeps per registered fd: the readiness word and one waker slot
//! per direction.
//!
//! # The no-lost-wake-up argument
//!
//! The reactor delivers an event in two steps: (R1) [`Readiness::set`] stores the bits
//! (`AcqRel`), then (R2) wakes the direction's [`WakerSlot`] (which takes the slot's lock).
//! A task waiting in [`Source::poll_ready`] (T1) looks at the word, and if the direction is
//! not ready, (T2) registers its waker in the slot (the same lock) and (T3) looks at the word
//! again, returning `Pending` only if it is still not ready.
//!
//! The slot's lock orders R2 and T2. If R2 comes after T2, it finds the task's waker and wakes
//! it. If R2 comes before T2, then R1 happened before T2's lock, and T3 sees the bits. Either
//! way the task does not sleep through the event. A task's clear after `WouldBlock` cannot
//! erase R1 either: it clears only if the direction's tick is the one it saw before its
//! operation, and R1 bumps that tick (see [`readiness`](crate::readiness)).
//!
//! Deregistration is the same two steps with `SHUTDOWN` as the bits and both slots woken, so
//! a waiter never sleeps through it.
//!
//! The loom model at the end of this file checks this argument against the real code.

use std::io;
use std::task::{Context, Poll};

use wakers::WakerSlot;

use crate::readiness::{Direction, Readiness, Seen, Woken};

/// Per-fd state shared by the reactor and the handle's owner.
#[derive(Debug)]
pub(crate) struct Source {
    readiness: Readiness,
    reader: WakerSlot,
    writer: WakerSlot,
}

/// The error a wait on a deregistered source completes with.
pub(crate) fn gone() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "the I/O source was deregistered from the reactor while a task waited on it",
    )
}

impl Source {
    pub(crate) fn new() -> Source {
        Source {
            readiness: Readiness::new(),
            reader: WakerSlot::new(),
            writer: WakerSlot::new(),
        }
    }

    fn slot(&self, dir: Direction) -> &WakerSlot {
        match dir {
            Direction::Read => &self.reader,
            Direction::Write => &self.writer,
        }
    }

    /// Steps T1–T3: ready with the tick to clear on `WouldBlock`, or `Pending` with the waker
    /// registered, or an error if the source was deregistered.
    pub(crate) fn poll_ready(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<io::Result<u32>> {
        match self.readiness.get(dir) {
            Seen::Ready(tick) => return Poll::Ready(Ok(tick)),
            Seen::Shutdown => return Poll::Ready(Err(gone())),
            Seen::NotReady => {}
        }
        self.slot(dir).register(cx.waker());
        match self.readiness.get(dir) {
            Seen::Ready(tick) => Poll::Ready(Ok(tick)),
            Seen::Shutdown => Poll::Ready(Err(gone())),
            Seen::NotReady => Poll::Pending,
        }
    }

    /// After `WouldBlock`: clears `dir` if no event came since the task saw `tick`.
    pub(crate) fn clear(&self, dir: Direction, tick: u32) {
        self.readiness.clear(dir, tick);
    }

    /// A short stream read (see [`Readiness::clear_drained`]).
    pub(crate) fn clear_drained(&self, tick: u32) {
        self.readiness.clear_drained(tick);
    }

    /// Step R1 only: stores an event's bits and says which directions to wake. The reactor
    /// takes the wakers with [`take_wakers`](Source::take_wakers) and wakes them after
    /// releasing its locks.
    pub(crate) fn set_readiness(&self, bits: u64) -> Woken {
        self.readiness.set(bits)
    }

    /// Step R2: the wakers of the woken directions (the slots are left empty).
    pub(crate) fn take_wakers(&self, woken: Woken, out: &mut Vec<std::task::Waker>) {
        if woken.read {
            out.extend(self.reader.take());
        }
        if woken.write {
            out.extend(self.writer.take());
        }
    }

    /// Deregistration: every current and later waiter completes with [`gone`].
    pub(crate) fn shut_down(&self) {
        self.readiness.shut_down();
        self.reader.wake();
        self.writer.wake();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::readiness::READABLE;

    #[test]
    fn a_waiter_wakes_with_an_error_when_the_source_is_shut_down() {
        let source = Source::new();
        let counter = wakers::CountingWaker::new();
        let waker = counter.waker();
        let mut cx = Context::from_waker(&waker);
        assert!(source.poll_ready(Direction::Read, &mut cx).is_pending());
        assert!(source.poll_ready(Direction::Write, &mut cx).is_pending());
        source.shut_down();
        assert_eq!(counter.wakes(), 2, "both directions' waiters are woken");
        let Poll::Ready(Err(e)) = source.poll_ready(Direction::Read, &mut cx) else {
            panic!("a deregistered source reports an error")
        };
        assert_eq!(e.kind(), io::ErrorKind::NotConnected);
    }

    #[test]
    fn an_event_before_the_first_poll_is_seen_without_waiting() {
        let source = Source::new();
        source.set_readiness(READABLE);
        let waker = wakers::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(matches!(
            source.poll_ready(Direction::Read, &mut cx),
            Poll::Ready(Ok(1))
        ));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::readiness::READABLE;
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicBool, Ordering};

    /// The reactor's "set readiness + wake" against a task's "WouldBlock → clear → register".
    /// The socket is modelled by `data`: the reactor's event follows the data's arrival. The
    /// task starts with a stale readiness (an earlier event whose data it already read), so
    /// its first operation may return WouldBlock. At the end the task has either read the data
    /// or is parked with a waker that the reactor woke.
    #[test]
    fn loom_set_and_wake_vs_would_block_clear_register() {
        loom::model(|| {
            let source = Arc::new(Source::new());
            let data = Arc::new(AtomicBool::new(false));
            source.set_readiness(READABLE); // the stale event
            let (s2, d2) = (source.clone(), data.clone());
            let reactor = loom::thread::spawn(move || {
                d2.store(true, Ordering::Release); // the kernel has data...
                let woken = s2.set_readiness(READABLE); // ...the poller reports it
                let mut out = Vec::new();
                s2.take_wakers(woken, &mut out);
                out.into_iter().for_each(std::task::Waker::wake);
            });
            let counter = wakers::CountingWaker::new();
            let waker = counter.waker();
            let mut cx = Context::from_waker(&waker);
            let mut read = false;
            let mut parked = false;
            for _ in 0..3 {
                match source.poll_ready(Direction::Read, &mut cx) {
                    Poll::Ready(Ok(tick)) => {
                        if data.load(Ordering::Acquire) {
                            read = true;
                            break;
                        }
                        source.clear(Direction::Read, tick); // WouldBlock
                    }
                    Poll::Pending => {
                        parked = true;
                        break;
                    }
                    Poll::Ready(Err(e)) => panic!("{e}"),
                }
            }
            reactor.join().unwrap();
            assert!(read || parked, "the task neither read nor parked");
            if parked {
                assert!(counter.wakes() > 0, "the task parked and no one woke it");
            }
        });
    }
}
