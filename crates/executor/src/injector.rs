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

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use crossbeam_queue::{ArrayQueue, SegQueue};
use join_handle::Runnable;

use crate::next_slot::NextSlot;
use crate::sleepers::WATCH_INTERVAL;

/// Entries in the preallocated ring: 24 KiB per executor on 64-bit targets.
pub(crate) const RING_CAPACITY: usize = 1024;

/// Entries in a runner's local queue (6 KiB); a full local queue moves its older half to the
/// injector ([`LocalQueue::spill_older_half`]).
pub(crate) const LOCAL_CAPACITY: usize = 256;

/// A runner loop's own queue: where tasks woken or spawned on its thread go, so that two
/// runners do not fight over one queue's ends. Other runners steal from it when idle.
///
/// Only the owner pushes (its wakes and spawns, and what it steals); anyone pops. So once
/// the owner has made room, its next push succeeds.
///
/// # The next slot
///
/// Next to the FIFO ring, a slot for one task: the first task that a task's poll on the
/// owner's thread wakes. The owner takes it before anything else, so in a pair of tasks
/// passing messages the receiver runs right after the sender, while the channel they share
/// is still in the core's cache. The owner takes at most `MAX_SLOT_RUNS` (in `runner`) slot
/// tasks in a row while other tasks wait; then the slot task goes to the back of the ring, so
/// two tasks that keep waking each other cannot starve the others. Everything else goes to
/// the ring, in order: a second task woken in the same poll, every spawned task (`Shared`
/// queues those with [`push`](LocalQueue::push)), and what is queued while no task's poll
/// (or destructor) runs ([`polling`] is false): a task that woke itself (the task cell
/// queues it after its poll, so a yield still goes behind every waiting task), a task woken
/// by another's completion (a join handle's waiter: run at once, it would be polled again
/// for every child that completes instead of once for many), `block_on`'s own wakes.
///
/// The slot is part of the queue for everyone else: [`len`](LocalQueue::len),
/// [`is_empty`](LocalQueue::is_empty) and [`pop`](LocalQueue::pop) count it, so a sleeper's
/// look sees its task, a thief takes it (after the ring's), and a leaving runner moves it
/// out. A push into it is a `SeqCst` read-modify-write of its state, as a push into the
/// ring is of the ring's tail, so the no-lost-wake-up argument of [`sleepers`](crate::sleepers)
/// covers it. The slot is a [`NextSlot`]: the task inline next to one state word.
///
/// # Order on overflow
///
/// A full queue moves its older half, oldest first, to the tail of the injector, and then
/// takes the new task. Runners pop the injector before their own queue, so the moved tasks,
/// which were queued before everything left here, still run first: tasks woken in a burst
/// run in wake order (all but the first, which takes the slot). (Sending the new task to the
/// injector instead would let every task woken after the queue filled overtake the ones
/// already in it.)
///
/// Next to the tasks, the owner's progress: a counter it moves every time it takes a task,
/// and that an idle runner compares over time to tell a busy owner (which will come back for its queued
/// task soon) from one that blocks or computes in a poll (whose task it should take).
#[derive(Debug)]
pub(crate) struct LocalQueue {
    tasks: ArrayQueue<Runnable>,
    /// The next slot (see "The next slot"); only the owner pushes into it.
    slot: NextSlot<Runnable>,
    /// Written only by the owner, `Relaxed`: a stale read only delays or hastens one steal.
    progress: AtomicU32,
}

/// Whether a task's future is being polled (or dropped) on this thread: the task cell marks
/// the current task for exactly that long ([`TaskId::current`](join_handle::TaskId::current)),
/// not while it queues the task again after a self-wake nor while it completes.
#[inline]
pub(crate) fn polling() -> bool {
    join_handle::TaskId::current().is_some()
}

impl LocalQueue {
    pub(crate) fn new(capacity: usize) -> LocalQueue {
        LocalQueue {
            tasks: ArrayQueue::new(capacity),
            slot: NextSlot::new(),
            progress: AtomicU32::new(0),
        }
    }

    /// Queues a task at the tail of the ring; gives it back if the ring is full. The tail is
    /// updated with a `SeqCst` read-modify-write (the no-lost-wake-up argument in
    /// [`sleepers`](crate::sleepers) relies on it).
    #[inline]
    pub(crate) fn push(&self, runnable: Runnable) -> Result<(), Runnable> {
        self.tasks.push(runnable)
    }

    /// Queues a task woken on the owner's thread: in the slot if a task's poll woke it and the
    /// slot is free (see "The next slot"), else at the tail of the ring.
    /// Gives it back if the ring is full. Either way a `SeqCst` read-modify-write (of the
    /// slot's state or the ring's tail).
    ///
    /// # Safety
    ///
    /// Only the queue's owner calls it: the thread of the runner that made the queue.
    #[inline]
    pub(crate) unsafe fn push_woken(&self, runnable: Runnable) -> Result<(), Runnable> {
        // One call of the ring's `push` for both cases: with two, the compiler stopped
        // inlining it (+17 instructions per yield).
        let runnable = if polling() {
            // SAFETY: the caller is the owner, the slot's one pusher.
            match unsafe { self.slot.push(runnable) } {
                Ok(()) => return Ok(()),
                Err(runnable) => runnable,
            }
        } else {
            runnable
        };
        self.tasks.push(runnable)
    }

    /// The queue is full (the owner's push failed): moves its older half, in order, to the
    /// tail of `injector`, to make room for newer tasks (see "Order on overflow"). Returns
    /// how many it moved: fewer than half if thieves emptied it meanwhile. Only the owner
    /// calls it, so nothing is pushed here while it runs.
    #[cold]
    pub(crate) fn spill_older_half(&self, injector: &Injector) -> usize {
        let mut moved = 0;
        while moved < self.tasks.capacity().div_ceil(2) {
            let Some(runnable) = self.tasks.pop() else {
                break;
            };
            injector.push(runnable);
            moved += 1;
        }
        moved
    }

    /// Takes the task at the head of the ring, or, if the ring is empty, the slot's.
    #[inline]
    pub(crate) fn pop(&self) -> Option<Runnable> {
        self.tasks.pop().or_else(|| self.pop_slot())
    }

    /// Takes the slot's task.
    #[inline]
    pub(crate) fn pop_slot(&self) -> Option<Runnable> {
        self.slot.take()
    }

    /// Tasks queued, the slot's included (`SeqCst` loads of the ends and the slot's state).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.tasks.len() + usize::from(self.slot.is_full())
    }

    /// Whether the ring is empty (the slot not counted).
    #[inline]
    pub(crate) fn ring_is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Whether no task is queued, in the ring or the slot (`SeqCst` loads of the ends and the
    /// slot's state).
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.tasks.is_empty() && !self.slot.is_full()
    }

    /// The owner took a task: records `tick`, a count that moved since the last one.
    #[inline]
    pub(crate) fn set_progress(&self, tick: u32) {
        self.progress.store(tick, Ordering::Relaxed);
    }

    /// The owner's last recorded pop count.
    pub(crate) fn progress(&self) -> u32 {
        self.progress.load(Ordering::Relaxed)
    }
}

/// What a runner saw of the other runners' queues at its looks before sleeping
/// ([`Shared::look`](crate::shared::Shared::look)): each owner's progress, since when we have
/// seen it at that value, and whether a watch has run its full interval since the last look.
/// Together they tell whether an owner is stalled.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// (queue address, owner's progress, when a look first saw that progress) for every other
    /// runner at the last look.
    progress: Vec<(usize, u32, Instant)>,
    /// The last look's records, rebuilt by the next one.
    scratch: Vec<(usize, u32, Instant)>,
    /// When the current look started.
    now: Option<Instant>,
    /// A watch has run its full interval since the last look: an owner whose progress still
    /// equals its record took no task for that long.
    aged: bool,
    /// A lone task's push woke us since the last look: its runner is active.
    pushed: bool,
}

impl Seen {
    /// Starts a look: the caller records every other runner's queue, then calls
    /// [`moved`](Seen::moved).
    pub(crate) fn start(&mut self) {
        self.start_at(Instant::now());
    }

    /// [`start`](Seen::start) at `now` (tests choose the clock).
    fn start_at(&mut self, now: Instant) {
        self.scratch.clear();
        self.aged = false;
        self.now = Some(now);
    }

    /// Records `queue`'s progress now. An owner at the progress the last look saw keeps that
    /// look's date: a look repeated after every early wake-up (a push, an I/O event) must not
    /// restart the clock that judges its owner stalled.
    pub(crate) fn record(&mut self, queue: &LocalQueue) {
        let (queue, progress) = (addr(queue), queue.progress());
        let since = self
            .progress
            .iter()
            .find(|old| old.0 == queue && old.1 == progress)
            .map(|old| old.2)
            .or(self.now)
            .unwrap_or_else(Instant::now);
        self.scratch.push((queue, progress, since));
    }

    /// Ends a look: whether some owner took a task since the previous look, or a lone task's
    /// push woke us since (either says work is flowing, though no queue may hold a task right
    /// now).
    pub(crate) fn moved(&mut self) -> bool {
        let moved = self.scratch.iter().any(|new| {
            self.progress
                .iter()
                .any(|old| old.0 == new.0 && old.1 != new.1)
        });
        std::mem::swap(&mut self.progress, &mut self.scratch);
        std::mem::take(&mut self.pushed) || moved
    }

    /// The runner is awake again: `watched_out` if it slept as a watcher and no push woke
    /// it (the watch ran its full interval, or ended early for another reason: its own
    /// token, an I/O event, a task on its own queue; that only hastens one steal), `pushed`
    /// if a lone task's push woke it.
    pub(crate) fn woke(&mut self, watched_out: bool, pushed: bool) {
        self.aged = watched_out;
        self.pushed = pushed;
    }

    /// Whether `queue`'s owner has taken no task for at least a watch: its progress equals
    /// the last look's record, and that look came before a watch that ran its full interval,
    /// or looks have seen the owner at that progress for [`WATCH_INTERVAL`] already (however
    /// often we were woken early meanwhile). (A queue freed and another allocated at its
    /// address could match by chance: that costs one early steal, nothing else.)
    pub(crate) fn stalled(&self, queue: &LocalQueue) -> bool {
        self.stalled_at(queue, Instant::now())
    }

    /// [`stalled`](Seen::stalled) at `now` (tests choose the clock).
    fn stalled_at(&self, queue: &LocalQueue, now: Instant) -> bool {
        let (queue, progress) = (addr(queue), queue.progress());
        self.progress.iter().any(|&(a, p, since)| {
            a == queue
                && p == progress
                && (self.aged || now.saturating_duration_since(since) >= WATCH_INTERVAL)
        })
    }
}

fn addr(queue: &LocalQueue) -> usize {
    queue as *const LocalQueue as usize
}

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
    use join_handle::{JoinHandle, TaskRef};

    #[test]
    fn seen_judges_an_owner_stalled_only_after_a_full_watch_without_progress() {
        let (busy, blocked) = (LocalQueue::new(4), LocalQueue::new(4));
        let mut seen = Seen::default();
        // The clock stands still (the time rule is the next test's).
        let t0 = Instant::now();
        let look = |seen: &mut Seen| {
            seen.start_at(t0);
            seen.record(&busy);
            seen.record(&blocked);
            seen.moved()
        };
        assert!(!look(&mut seen), "nothing to compare with yet");
        seen.woke(true, false);
        busy.set_progress(1);
        assert!(!seen.stalled_at(&busy, t0), "it took a task meanwhile");
        assert!(seen.stalled_at(&blocked, t0));
        assert!(look(&mut seen), "one of them moved");
        assert!(
            !seen.stalled_at(&blocked, t0),
            "a fresh look is not a watch old"
        );
        seen.woke(false, true);
        assert!(!seen.stalled_at(&blocked, t0), "woken early by a push");
        assert!(look(&mut seen), "a push that woke us counts as movement");
        assert!(!look(&mut seen));
    }

    #[test]
    fn an_owner_seen_still_for_a_watch_interval_is_stalled_however_often_we_look() {
        let (busy, blocked) = (LocalQueue::new(4), LocalQueue::new(4));
        let mut seen = Seen::default();
        let t0 = Instant::now();
        let step = WATCH_INTERVAL / 4;
        // Looks a quarter interval apart, each after an early wake-up (a push from outside):
        // no watch ever runs its full interval.
        for (i, tick) in (0..4u32).zip(1..) {
            seen.start_at(t0 + step * i);
            seen.record(&busy);
            seen.record(&blocked);
            seen.moved();
            seen.woke(false, false);
            busy.set_progress(tick);
        }
        let later = t0 + WATCH_INTERVAL;
        assert!(
            seen.stalled_at(&blocked, later),
            "still for an interval, though every look was cut short"
        );
        assert!(!seen.stalled_at(&busy, later), "it took tasks all along");
        assert!(
            !seen.stalled_at(&blocked, t0 + step * 3),
            "not yet an interval"
        );
        blocked.set_progress(7);
        assert!(!seen.stalled_at(&blocked, later), "it moved since");
    }

    #[test]
    fn a_full_local_queue_spills_its_older_half_in_order() {
        let (local, injector) = (LocalQueue::new(5), Injector::new());
        let mut ids = Vec::new();
        let mut handles: Vec<JoinHandle<()>> = Vec::new();
        let mut spawn = || {
            let (runnable, handle) = join_handle::spawn(async {}, Nothing);
            ids.push(handle.id());
            handles.push(handle);
            runnable
        };
        for _ in 0..5 {
            local.push(spawn()).unwrap();
        }
        let refused = local.push(spawn()).unwrap_err();
        assert_eq!(
            local.spill_older_half(&injector),
            3,
            "half of 5, rounded up"
        );
        local.push(refused).unwrap();
        let mut order = Vec::new();
        while let Some(r) = injector.pop().or_else(|| local.pop()) {
            order.push(r.task_ref().id());
        }
        assert_eq!(
            order, ids,
            "injector first, then the local queue: wake order"
        );
        assert_eq!(
            local.spill_older_half(&injector),
            0,
            "an empty queue moves nothing"
        );
    }

    /// Runs `f` inside the poll of a task, as a runner would.
    fn in_a_poll(f: impl FnOnce() + Send + 'static) {
        let mut f = Some(f);
        let (runnable, handle) = join_handle::spawn(
            std::future::poll_fn(move |_| {
                (f.take().expect("polled once"))();
                std::task::Poll::Ready(())
            }),
            Nothing,
        );
        runnable.run();
        assert!(handle.is_finished());
    }

    #[test]
    fn the_slot_takes_the_first_task_a_poll_queues_and_counts_as_queued() {
        let local = std::sync::Arc::new(LocalQueue::new(4));
        let mut handles: Vec<JoinHandle<()>> = Vec::new();
        let mut spawn = || {
            let (runnable, handle) = join_handle::spawn(async {}, Nothing);
            handles.push(handle);
            runnable
        };
        let task = |r: Option<Runnable>| r.map(|r| r.task_ref());
        let (before, woken, second, third, after) = (spawn(), spawn(), spawn(), spawn(), spawn());
        let (woken_ref, third_ref) = (woken.task_ref(), third.task_ref());
        let ring = [before.task_ref(), second.task_ref(), after.task_ref()];
        // SAFETY: this test's thread is the queue's one pusher (the polls below run inline on
        // it), here and at each `push_woken` below.
        unsafe { local.push_woken(before).unwrap() };
        assert!(
            local.pop_slot().is_none(),
            "queued while no poll runs: the ring"
        );
        let l = local.clone();
        in_a_poll(move || {
            // SAFETY: see above.
            unsafe {
                l.push_woken(woken).unwrap();
                l.push_woken(second).unwrap();
            }
        });
        assert_eq!(local.len(), 3, "the slot's task counts");
        assert_eq!(
            task(local.pop_slot()),
            Some(woken_ref),
            "the first one a poll queued"
        );
        assert!(local.pop_slot().is_none(), "one task at most");
        let l = local.clone();
        // SAFETY: see above.
        in_a_poll(move || unsafe { l.push_woken(third).unwrap() });
        // SAFETY: see above.
        unsafe { local.push_woken(after).unwrap() };
        let popped: Vec<TaskRef> = std::iter::from_fn(|| task(local.pop())).collect();
        let mut expected = ring.to_vec();
        expected.push(third_ref);
        assert_eq!(popped, expected, "the ring in order, then the slot");
        assert!(local.is_empty());
    }

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
