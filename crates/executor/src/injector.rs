//! [`Injector`]: the run queue every runner pops from and every waker pushes to.
//!
//! A preallocated lock-free ring (crossbeam's `ArrayQueue`) in front of an unbounded
//! lock-free list (`SegQueue`) for overflow. Pushes into the ring allocate nothing, so a task
//! costs one allocation as long as the queue is shorter than the ring; a longer queue spills
//! into the list, which allocates one block per 31 entries.
//!
//! # Order
//!
//! FIFO, which is the executor's fairness rule. While the overflow list is not empty every
//! push goes to it, so a new task cannot overtake one that spilled; pops take from the ring
//! first (its entries are older than anything in the list), then from the list.

use crossbeam_queue::{ArrayQueue, SegQueue};
use join_handle::Runnable;

/// Entries in the preallocated ring: 24 KiB per executor on 64-bit targets.
pub(crate) const RING_CAPACITY: usize = 1024;

/// Entries in a runner's local queue (6 KiB); a full local queue spills into the injector.
pub(crate) const LOCAL_CAPACITY: usize = 256;

/// A runner loop's own queue: where tasks woken or spawned on its thread go, so that two
/// runners do not fight over one queue's ends. Other runners steal from it when idle.
pub(crate) type LocalQueue = ArrayQueue<Runnable>;

#[derive(Debug)]
pub(crate) struct Injector {
    ring: ArrayQueue<Runnable>,
    overflow: SegQueue<Runnable>,
}

impl Injector {
    pub(crate) fn new() -> Injector {
        Injector {
            ring: ArrayQueue::new(RING_CAPACITY),
            overflow: SegQueue::new(),
        }
    }

    #[inline]
    pub(crate) fn push(&self, runnable: Runnable) {
        if self.overflow.is_empty() {
            match self.ring.push(runnable) {
                Ok(()) => {}
                Err(runnable) => self.overflow.push(runnable),
            }
        } else {
            self.overflow.push(runnable);
        }
    }

    #[inline]
    pub(crate) fn pop(&self) -> Option<Runnable> {
        self.ring.pop().or_else(|| self.overflow.pop())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ring.is_empty() && self.overflow.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Nothing;
    use join_handle::JoinHandle;

    #[test]
    fn fifo_across_the_ring_and_the_overflow() {
        let injector = Injector::new();
        let mut handles: Vec<JoinHandle<usize>> = Vec::new();
        let mut pushed = Vec::new();
        for i in 0..RING_CAPACITY * 2 + 5 {
            let (runnable, handle) = join_handle::spawn(async move { i }, Nothing);
            pushed.push(handle.id());
            injector.push(runnable);
            handles.push(handle);
        }
        // Pop half, push more, then everything comes out in push order.
        let mut order = Vec::new();
        for _ in 0..RING_CAPACITY / 2 {
            order.push(injector.pop().unwrap().task_ref().id());
        }
        let (runnable, late) = join_handle::spawn(async { 0 }, Nothing);
        pushed.push(late.id());
        injector.push(runnable);
        while let Some(r) = injector.pop() {
            order.push(r.task_ref().id());
        }
        assert!(injector.is_empty());
        assert_eq!(order, pushed);
    }
}
