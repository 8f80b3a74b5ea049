//! [`Readiness`]: one atomic word per source with its readiness bits and a tick per direction.
//!
//! # Layout
//!
//! ```text
//!  63      56 55            32 31             8 7      6        0
//! ┌──────────┬────────────────┬────────────────┬───────┬──────────┐
//! │  unused  │ write tick (24)│ read tick (24) │ spare │ flags (6)│
//! └──────────┴────────────────┴────────────────┴───────┴──────────┘
//! flags: READABLE, WRITABLE, READ_CLOSED, WRITE_CLOSED, ERROR, SHUTDOWN
//! ```
//!
//! # Who sets and clears what
//!
//! * **The reactor** ([`Readiness::set`]) ORs in the bits of an event and bumps the tick of
//!   every direction the event concerns. Only the reactor ever sets readiness bits.
//! * **A task** ([`Readiness::clear`]) clears its direction's clearable bits after its
//!   operation returned `WouldBlock`, and only if that direction's tick is still the one it
//!   saw before the operation. If an event arrived meanwhile, the tick moved and the clear is
//!   skipped: the event is not erased, and the task retries the operation.
//! * **A stream read that came back short** (fewer bytes than asked, more than none: the
//!   socket's receive queue was empty at that instant) clears `READABLE` the same way
//!   ([`Readiness::clear_drained`], same tick rule), so the next read waits for the next edge
//!   instead of trying once more only to get `WouldBlock`. It leaves `ERROR` for the next
//!   read to find.
//! * `READ_CLOSED` and `WRITE_CLOSED` are final: no one clears them. An operation on a closed
//!   direction returns at once (end of stream or an error), never `WouldBlock`.
//! * **Deregistration** ([`Readiness::shut_down`]) sets `SHUTDOWN`, after which every wait
//!   completes with an error. It is never cleared.
//!
//! # Why a tick per direction
//!
//! With one tick shared by both directions, a writable event arriving during a read bumps the
//! tick the reader saw, so the reader's clear is skipped and it retries, which is harmless;
//! but two tasks reading and writing at once keep invalidating each other's ticks and can
//! retry forever. Each direction's clear looks only at its own tick, so the other direction's
//! events never interfere.
//!
//! # Tick wrap
//!
//! A tick counts modulo 2^24. A clear is wrongly applied only if exactly a multiple of 2^24
//! events for one direction arrive during one operation on that direction (each event needs a
//! turn of the reactor: over 16 million turns during one syscall). The increment is masked, so
//! a wrapping tick never carries into the other tick or the flags.

use crate::sync::{AtomicU64, Ordering};

/// Data can be read (or a connection accepted).
pub(crate) const READABLE: u64 = 1 << 0;
/// Data can be written (or a connect finished).
pub(crate) const WRITABLE: u64 = 1 << 1;
/// The peer shut down its writing half: reads return end of stream. Final.
pub(crate) const READ_CLOSED: u64 = 1 << 2;
/// Writes can no longer succeed. Final.
pub(crate) const WRITE_CLOSED: u64 = 1 << 3;
/// The socket has a pending error; both directions are woken so one of them reports it.
pub(crate) const ERROR: u64 = 1 << 4;
/// The source was deregistered: every wait completes with an error. Final.
pub(crate) const SHUTDOWN: u64 = 1 << 5;

const TICK_BITS: u32 = 24;
const TICK_MASK: u64 = (1 << TICK_BITS) - 1;
const READ_TICK_SHIFT: u32 = 8;
const WRITE_TICK_SHIFT: u32 = READ_TICK_SHIFT + TICK_BITS;

/// One of the two directions a task can wait on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Reading, receiving, accepting.
    Read,
    /// Writing, sending, connecting.
    Write,
}

impl Direction {
    /// The bits that let an operation in this direction proceed.
    fn ready_mask(self) -> u64 {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }

    /// The bits a `WouldBlock` clears (the closed bits are final).
    fn clear_mask(self) -> u64 {
        match self {
            Direction::Read => READABLE | ERROR,
            Direction::Write => WRITABLE | ERROR,
        }
    }

    fn tick_shift(self) -> u32 {
        match self {
            Direction::Read => READ_TICK_SHIFT,
            Direction::Write => WRITE_TICK_SHIFT,
        }
    }
}

/// What a task saw when it looked at one direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// The direction is ready; the tick to hand back to [`Readiness::clear`].
    Ready(u32),
    /// Not ready: wait for the reactor.
    NotReady,
    /// The source was deregistered.
    Shutdown,
}

/// What [`Readiness::set`] changed: which directions' waiters to wake.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Woken {
    pub(crate) read: bool,
    pub(crate) write: bool,
}

/// The readiness word of one source.
#[derive(Debug)]
pub(crate) struct Readiness {
    word: AtomicU64,
}

fn tick_of(word: u64, dir: Direction) -> u32 {
    ((word >> dir.tick_shift()) & TICK_MASK) as u32
}

fn bump(word: u64, dir: Direction) -> u64 {
    let shift = dir.tick_shift();
    let tick = ((word >> shift) + 1) & TICK_MASK;
    (word & !(TICK_MASK << shift)) | (tick << shift)
}

impl Readiness {
    /// A word with no readiness and both ticks at zero: the first event arrives from the
    /// poller (registration reports the current state as an edge).
    pub(crate) fn new() -> Readiness {
        Readiness {
            word: AtomicU64::new(0),
        }
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn with_word(word: u64) -> Readiness {
        Readiness {
            word: AtomicU64::new(word),
        }
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn word(&self) -> u64 {
        self.word.load(Ordering::SeqCst)
    }

    /// Looks at one direction (`Acquire`: a task that sees a bit also sees what the poller
    /// reported before setting it).
    pub(crate) fn get(&self, dir: Direction) -> Seen {
        let word = self.word.load(Ordering::Acquire);
        if word & SHUTDOWN != 0 {
            Seen::Shutdown
        } else if word & dir.ready_mask() != 0 {
            Seen::Ready(tick_of(word, dir))
        } else {
            Seen::NotReady
        }
    }

    /// The reactor's edge: ORs in `bits` and bumps the tick of each direction they concern.
    /// Returns the directions whose waiters must be woken (the caller wakes them after this
    /// store, so a waiter that re-checks after registering sees the bits).
    pub(crate) fn set(&self, bits: u64) -> Woken {
        let woken = Woken {
            read: bits & Direction::Read.ready_mask() != 0,
            write: bits & Direction::Write.ready_mask() != 0,
        };
        let mut word = self.word.load(Ordering::Relaxed);
        loop {
            let mut new = word | bits;
            if woken.read {
                new = bump(new, Direction::Read);
            }
            if woken.write {
                new = bump(new, Direction::Write);
            }
            match self
                .word
                .compare_exchange_weak(word, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return woken,
                Err(actual) => word = actual,
            }
        }
    }

    /// A task's `WouldBlock`: clears `dir`'s clearable bits if its tick is still `tick`.
    /// Returns whether it cleared (false: an event arrived during the operation; retry it).
    pub(crate) fn clear(&self, dir: Direction, tick: u32) -> bool {
        let mut word = self.word.load(Ordering::Relaxed);
        loop {
            if tick_of(word, dir) != tick || word & SHUTDOWN != 0 {
                return false;
            }
            let new = word & !dir.clear_mask();
            match self
                .word
                .compare_exchange_weak(word, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => word = actual,
            }
        }
    }

    /// A short stream read: clears `READABLE` if the read tick is still `tick`. Returns
    /// whether it cleared.
    pub(crate) fn clear_drained(&self, tick: u32) -> bool {
        let mut word = self.word.load(Ordering::Relaxed);
        loop {
            if tick_of(word, Direction::Read) != tick || word & SHUTDOWN != 0 {
                return false;
            }
            let new = word & !READABLE;
            match self
                .word
                .compare_exchange_weak(word, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => word = actual,
            }
        }
    }

    /// Deregistration: marks the source gone. Every later [`get`](Readiness::get) sees it.
    pub(crate) fn shut_down(&self) {
        self.word.fetch_or(SHUTDOWN, Ordering::AcqRel);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn an_event_sets_bits_and_bumps_only_its_direction() {
        let r = Readiness::new();
        assert_eq!(r.get(Direction::Read), Seen::NotReady);
        let woken = r.set(READABLE);
        assert_eq!(
            woken,
            Woken {
                read: true,
                write: false
            }
        );
        assert_eq!(r.get(Direction::Read), Seen::Ready(1));
        assert_eq!(r.get(Direction::Write), Seen::NotReady);
        assert_eq!(tick_of(r.word(), Direction::Write), 0);
    }

    #[test]
    fn clear_with_the_seen_tick_clears() {
        let r = Readiness::new();
        r.set(READABLE | WRITABLE);
        let Seen::Ready(t) = r.get(Direction::Read) else {
            panic!("ready")
        };
        assert!(r.clear(Direction::Read, t));
        assert_eq!(r.get(Direction::Read), Seen::NotReady);
        // The other direction is untouched.
        assert_eq!(r.get(Direction::Write), Seen::Ready(1));
    }

    #[test]
    fn a_short_read_clears_readable_only_with_the_seen_tick_and_keeps_error() {
        let r = Readiness::new();
        r.set(READABLE | ERROR);
        let Seen::Ready(t) = r.get(Direction::Read) else {
            panic!("ready")
        };
        // An event during the read: nothing is cleared.
        r.set(READABLE);
        assert!(!r.clear_drained(t));
        let Seen::Ready(t) = r.get(Direction::Read) else {
            panic!("ready")
        };
        assert!(r.clear_drained(t));
        assert_eq!(r.word() & (READABLE | ERROR), ERROR, "the error stays");
        // End of stream is final.
        r.set(READ_CLOSED);
        let Seen::Ready(t) = r.get(Direction::Read) else {
            panic!("ready")
        };
        assert!(r.clear_drained(t));
        assert!(matches!(r.get(Direction::Read), Seen::Ready(_)));
    }

    #[test]
    fn an_event_during_the_operation_is_not_erased() {
        let r = Readiness::new();
        r.set(READABLE);
        let Seen::Ready(t) = r.get(Direction::Read) else {
            panic!("ready")
        };
        r.set(READABLE); // arrives while the task's read is in the kernel
        assert!(!r.clear(Direction::Read, t));
        assert!(matches!(r.get(Direction::Read), Seen::Ready(_)));
    }

    #[test]
    fn the_other_directions_events_do_not_block_a_clear() {
        // The shared-tick livelock: a writable event must not invalidate a reader's tick.
        let r = Readiness::new();
        r.set(READABLE);
        let Seen::Ready(t) = r.get(Direction::Read) else {
            panic!("ready")
        };
        r.set(WRITABLE);
        assert!(r.clear(Direction::Read, t));
        assert_eq!(r.get(Direction::Read), Seen::NotReady);
    }

    #[test]
    fn closed_bits_are_final() {
        let r = Readiness::new();
        r.set(READ_CLOSED);
        let Seen::Ready(t) = r.get(Direction::Read) else {
            panic!("ready")
        };
        assert!(r.clear(Direction::Read, t));
        assert_eq!(r.get(Direction::Read), Seen::Ready(t));
    }

    #[test]
    fn error_wakes_both_directions() {
        let r = Readiness::new();
        assert_eq!(
            r.set(ERROR),
            Woken {
                read: true,
                write: true
            }
        );
        assert!(matches!(r.get(Direction::Write), Seen::Ready(_)));
    }

    #[test]
    fn tick_wraps_without_carrying_into_its_neighbours() {
        let max_read = TICK_MASK << READ_TICK_SHIFT;
        let max_write = TICK_MASK << WRITE_TICK_SHIFT;
        let r = Readiness::with_word(max_read | max_write);
        r.set(READABLE | WRITABLE);
        let word = r.word();
        assert_eq!(tick_of(word, Direction::Read), 0);
        assert_eq!(tick_of(word, Direction::Write), 0);
        assert_eq!(
            word,
            READABLE | WRITABLE,
            "no carry into flags or the unused bits"
        );
        // A task that saw the tick just before the wrap must not clear the new event.
        assert!(!r.clear(Direction::Read, TICK_MASK as u32));
        assert!(r.clear(Direction::Read, 0));
    }

    #[test]
    fn shutdown_is_final_and_blocks_clears() {
        let r = Readiness::new();
        r.set(READABLE);
        r.shut_down();
        assert_eq!(r.get(Direction::Read), Seen::Shutdown);
        assert!(!r.clear(Direction::Read, 1));
        r.set(READABLE);
        assert_eq!(r.get(Direction::Write), Seen::Shutdown);
    }
}
