//! [`Scheduler`]: the handle each task keeps to whoever runs it. One type for the three kinds
//! of task: plain (the executor's queues), timed ([`Builder::task_timing`]) and simulated
//! ([`sim`](crate::sim)).
//!
//! # Why one type
//!
//! A task cell is generic over its future and its scheduler, so every scheduler type makes its
//! own copy of the cell's `run` for each future type, and each copy calls the future's `poll`.
//! With a scheduler type per kind, every future spawned through [`spawn`](crate::spawn) would
//! have three callers of its `poll`, and with three (measured) the compiler keeps it out of
//! line in the plain run; the waker calls inside it would then go through the vtable
//! instead of being inlined too. With one type the plain run is the only caller, and the
//! kinds differ by a tag tested where they behave differently (queueing, and around a poll),
//! a bit of a word read anyway. Callgrind, bench profile (thin LTO), one thread, one type
//! against three: −46 instructions per ping-pong turn (of 757), +10 per `yield_now` round
//! trip (the tag tests, of 261), spawn-and-await unchanged.
//!
//! # Representation
//!
//! One word: a pointer obtained from `Arc::into_raw`, with the kind in its two low bits.
//! Invariants:
//!
//! 1. `word` with the tag bits cleared is `Arc::<T>::into_raw` of the type `T` its tag names
//!    ([`Shared`], [`TimedTask`] or [`SimTask`]), and the `Scheduler` owns that strong count:
//!    only its drop gives it back, with the same `T`.
//! 2. Every such `T` is aligned to at least 4 bytes (checked at compile time), so the tag bits
//!    of the pointer are zero and tagging loses nothing.

use std::fmt;
use std::mem::align_of;
use std::sync::Arc;

use join_handle::{Runnable, Schedule, TaskEvent, TaskRef};

use crate::shared::Shared;
use crate::timing::TimedTask;

#[cfg(doc)]
use crate::Builder;

/// The tag bits of the word.
const TAG_MASK: usize = 0b11;
/// A plain task: the word points to the executor's [`Shared`].
const PLAIN: usize = 0;
/// A timed task: the word points to its [`TimedTask`].
const TIMED: usize = 1;
/// A simulated task: the word points to its [`SimTask`].
const SIM: usize = 2;

// Invariant 2.
const _: () = assert!(
    align_of::<Shared>() > TAG_MASK
        && align_of::<TimedTask>() > TAG_MASK
        && align_of::<SimTask>() > TAG_MASK
);

/// A simulated task's schedule: the one its simulator handed out.
pub(crate) struct SimTask(pub(crate) Arc<dyn Schedule>);

/// The handle each task keeps: see the module doc.
pub(crate) struct Scheduler {
    /// A tagged `Arc` pointer (invariants 1 and 2).
    word: *const u8,
}

// SAFETY: a `Scheduler` owns an `Arc` of `Shared`, `TimedTask` or `SimTask` (invariant 1),
// each `Send + Sync` (asserted below), and only hands out shared references to it.
unsafe impl Send for Scheduler {}
// SAFETY: as for `Send`.
unsafe impl Sync for Scheduler {}

const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Shared>();
    send_sync::<TimedTask>();
    send_sync::<SimTask>();
};

/// A borrowed view of what a [`Scheduler`] points to.
enum Kind<'a> {
    Plain(&'a Shared),
    Timed(&'a TimedTask),
    Sim(&'a SimTask),
}

impl Scheduler {
    fn tagged<T>(arc: Arc<T>, tag: usize) -> Scheduler {
        let ptr = Arc::into_raw(arc).cast::<u8>();
        debug_assert_eq!(ptr.addr() & TAG_MASK, 0, "invariant 2");
        Scheduler {
            word: ptr.map_addr(|a| a | tag),
        }
    }

    /// A plain task of `shared`.
    pub(crate) fn new(shared: Arc<Shared>) -> Scheduler {
        Scheduler::tagged(shared, PLAIN)
    }

    /// A timed task.
    pub(crate) fn timed(task: Arc<TimedTask>) -> Scheduler {
        Scheduler::tagged(task, TIMED)
    }

    /// A task of a simulator, queued through `schedule`.
    pub(crate) fn sim(schedule: Arc<dyn Schedule>) -> Scheduler {
        Scheduler::tagged(Arc::new(SimTask(schedule)), SIM)
    }

    /// The untagged pointer.
    #[inline(always)]
    fn ptr(&self) -> *const u8 {
        self.word.map_addr(|a| a & !TAG_MASK)
    }

    #[inline(always)]
    fn tag(&self) -> usize {
        self.word.addr() & TAG_MASK
    }

    /// The timed task, if this is one: one bit tested (no other tag has [`TIMED`]'s bit).
    #[inline(always)]
    fn as_timed(&self) -> Option<&TimedTask> {
        const { assert!(PLAIN & TIMED == 0 && SIM & TIMED == 0) };
        (self.word.addr() & TIMED != 0).then(|| {
            // SAFETY: invariant 1: a timed tag means a live `Arc<TimedTask>` that our count
            // keeps alive while `self` is borrowed.
            unsafe { &*self.ptr().cast::<TimedTask>() }
        })
    }

    #[inline(always)]
    fn kind(&self) -> Kind<'_> {
        let ptr = self.ptr();
        // SAFETY: invariant 1: `ptr` is a live `Arc` of the type the tag names, kept alive by
        // our strong count for as long as `self` is borrowed.
        unsafe {
            match self.tag() {
                PLAIN => Kind::Plain(&*ptr.cast::<Shared>()),
                TIMED => Kind::Timed(&*ptr.cast::<TimedTask>()),
                _ => Kind::Sim(&*ptr.cast::<SimTask>()),
            }
        }
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        let ptr = self.ptr();
        // SAFETY: invariant 1: we own one strong count of an `Arc` of the tagged type, and
        // give it back once, here.
        unsafe {
            match self.tag() {
                PLAIN => drop(Arc::from_raw(ptr.cast::<Shared>())),
                TIMED => drop(Arc::from_raw(ptr.cast::<TimedTask>())),
                _ => drop(Arc::from_raw(ptr.cast::<SimTask>())),
            }
        }
    }
}

impl fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.tag() {
            PLAIN => "plain",
            TIMED => "timed",
            _ => "simulated",
        };
        f.debug_tuple("Scheduler").field(&kind).finish()
    }
}

impl Schedule for Scheduler {
    #[inline]
    fn schedule(&self, runnable: Runnable) {
        match self.kind() {
            Kind::Plain(shared) => shared.push(runnable),
            Kind::Timed(task) => task.schedule(runnable),
            Kind::Sim(sim) => sim.0.schedule(runnable),
        }
    }

    fn task_event(&self, task: &TaskRef, event: TaskEvent) {
        match self.kind() {
            Kind::Plain(shared) => shared.task_event(task, event),
            Kind::Timed(timed) => timed.task_event(task, event),
            Kind::Sim(sim) => sim.0.task_event(task, event),
        }
    }

    #[inline]
    fn before_poll(&self) {
        if let Some(task) = self.as_timed() {
            task.poll_starts();
        }
    }

    #[inline]
    fn after_poll(&self) {
        if let Some(task) = self.as_timed() {
            task.poll_ends();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_keeps_one_count_and_gives_it_back() {
        let shared = Shared::new(None);
        let plain = Scheduler::new(shared.clone());
        assert_eq!(Arc::strong_count(&shared), 2);
        assert!(matches!(plain.kind(), Kind::Plain(s) if std::ptr::eq(s, &*shared)));
        drop(plain);
        assert_eq!(Arc::strong_count(&shared), 1);

        struct Nothing;
        impl Schedule for Nothing {
            fn schedule(&self, _: Runnable) {}
        }
        let schedule: Arc<dyn Schedule> = Arc::new(Nothing);
        let sim = Scheduler::sim(schedule.clone());
        assert_eq!(Arc::strong_count(&schedule), 2);
        assert!(matches!(sim.kind(), Kind::Sim(_)));
        assert_eq!(format!("{sim:?}"), "Scheduler(\"simulated\")");
        drop(sim);
        assert_eq!(Arc::strong_count(&schedule), 1);
    }
}
