//! Opt-in per-task timing ([`Builder::task_timing`]): how long each task has spent being
//! polled, and how long scheduled but waiting for a runner.
//!
//! # Off: one tested bit
//!
//! Timing is decided once, when the executor is built. Every task of every executor has the
//! same cell type (the [`Scheduler`] module says why that matters); a timed task's
//! `Scheduler` is tagged timed and points to its [`TimedTask`], which holds the task's
//! [`Clock`]. Off (the default), a poll tests that tag before and after, and a queueing tests
//! it once (a bit of a word the code reads anyway); nothing else runs.
//!
//! # What is measured, and where
//!
//! * **Queued**: from the moment the task is queued (spawned, or handed to
//!   [`Schedule::schedule`] by a wake or by its own re-queue after a poll) to the start of its
//!   next poll.
//! * **In poll**: from the start of a poll of the task's future to its end (a panic ends it
//!   too).
//!
//! A [`Clock`] keeps both totals and a mark: what the task is doing now (queued, polling,
//! idle) and since when, in one word, so a snapshot adds the current stretch to its total.
//! Invariants:
//!
//! 1. Only a poll of the task writes its totals, and polls of one task never overlap (the cell
//!    guarantees it), so the totals have one writer at a time: a load and a store, no RMW.
//! 2. The mark is written by the poll (start: polling, end: idle) and by `schedule` (queued).
//!    `schedule` runs only while the task is not running (a wake during a poll is handed to
//!    `schedule` after the poll's end), so the marks of one task come in order:
//!    queued, polling, idle (or queued), polling, ...
//! 3. Readers (a dump, the monitor) read the totals and the mark without locks: a total may be
//!    one stretch behind the mark for an instant; never torn, never negative.
//!
//! On the cost when on: every poll reads the clock twice (start, end) and every queueing once,
//! and every spawn and completion takes the timing table's lock (the table maps a task's id
//! to its clock, for dumps). The executor's docs state what that measured to.
//!
//! [`Schedule::schedule`]: join_handle::Schedule::schedule

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use join_handle::{JoinHandle, Runnable, TaskEvent, TaskId, TaskRef, TaskSnapshot};
use parking_lot::Mutex;

use crate::Builder;
use crate::scheduler::Scheduler;
use crate::shared::Shared;

#[cfg(doc)]
use join_handle::Schedule;

/// The clocks of an executor's live tasks, by id: how a snapshot finds a task's times.
#[derive(Debug, Default)]
pub(crate) struct Timings {
    clocks: Mutex<HashMap<TaskId, Arc<Clock>>>,
}

impl Timings {
    /// Makes a timed task: `spawn` (a `Builder::spawn` or `spawn_local` of the task's future
    /// and options) gets a timed [`Scheduler`], which holds the task's clock; the clock enters
    /// the table before the task is queued. Never inlined, so the spawn path without timing
    /// stays the code it is without this module.
    #[cold]
    #[inline(never)]
    pub(crate) fn spawn<T>(
        self: &Arc<Self>,
        shared: &Arc<Shared>,
        spawn: impl FnOnce(Scheduler) -> (Runnable, JoinHandle<T>),
    ) -> (Runnable, JoinHandle<T>) {
        let clock = Arc::new(Clock::new());
        let task = Arc::new(TimedTask {
            shared: shared.clone(),
            clock: clock.clone(),
            timings: self.clone(),
        });
        let (runnable, handle) = spawn(Scheduler::timed(task));
        self.clocks.lock().insert(handle.id(), clock);
        (runnable, handle)
    }

    /// `snapshot` with the task's times attached, if it has a clock here.
    pub(crate) fn attach(&self, snapshot: TaskSnapshot) -> TaskSnapshot {
        let clock = self.clocks.lock().get(&snapshot.id()).cloned();
        with_clock(snapshot, clock.as_deref())
    }

    /// [`attach`](Timings::attach) for many snapshots, under one lock.
    pub(crate) fn attach_all(&self, snapshots: Vec<TaskSnapshot>) -> Vec<TaskSnapshot> {
        let clocks = self.clocks.lock();
        snapshots
            .into_iter()
            .map(|s| {
                let clock = clocks.get(&s.id()).map(|c| &**c);
                with_clock(s, clock)
            })
            .collect()
    }
}

/// `snapshot` with the times `clock` has measured so far, if there is one.
fn with_clock(snapshot: TaskSnapshot, clock: Option<&Clock>) -> TaskSnapshot {
    match clock {
        Some(clock) => {
            let (in_poll, queued) = clock.read();
            snapshot.with_times(in_poll, queued)
        }
        None => snapshot,
    }
}

/// Nanoseconds since the first use of a timing clock in this process: the time base of every
/// [`Clock`] (two bits below it hold the phase, so it lasts 2^62 ns, about 146 years).
fn now() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let nanos = EPOCH.get_or_init(Instant::now).elapsed().as_nanos();
    u64::try_from(nanos).unwrap_or(u64::MAX) & TIME_MASK
}

/// The mark's low two bits: what the task is doing since the mark's time.
const PHASE_BITS: u32 = 2;
const PHASE_MASK: u64 = (1 << PHASE_BITS) - 1;
/// The times that fit above the phase bits.
const TIME_MASK: u64 = u64::MAX >> PHASE_BITS;
const IDLE: u64 = 0;
const QUEUED: u64 = 1;
const POLLING: u64 = 2;

/// One task's timing state: totals in nanoseconds, and what it does since when (module
/// invariants 1 to 3).
#[derive(Debug)]
pub(crate) struct Clock {
    /// `time << PHASE_BITS | phase`.
    mark: AtomicU64,
    in_poll: AtomicU64,
    queued: AtomicU64,
}

impl Clock {
    /// A clock for a task queued now (it is spawned queued).
    fn new() -> Clock {
        Clock {
            mark: AtomicU64::new(now() << PHASE_BITS | QUEUED),
            in_poll: AtomicU64::new(0),
            queued: AtomicU64::new(0),
        }
    }

    fn set_mark(&self, time: u64, phase: u64) {
        self.mark
            .store(time << PHASE_BITS | phase, Ordering::Release);
    }

    /// Adds `nanos` to a total: invariant 1 (one writer), so no read-modify-write.
    fn add(total: &AtomicU64, nanos: u64) {
        let sum = total.load(Ordering::Relaxed).saturating_add(nanos);
        total.store(sum, Ordering::Release);
    }

    /// The task was queued (`schedule`): invariant 2.
    fn queued_now(&self) {
        self.set_mark(now(), QUEUED);
    }

    /// A poll starts: the wait in the queue (if any) ends.
    fn poll_starts(&self) {
        let start = now();
        let mark = self.mark.load(Ordering::Acquire);
        if mark & PHASE_MASK == QUEUED {
            Clock::add(&self.queued, start.saturating_sub(mark >> PHASE_BITS));
        }
        self.set_mark(start, POLLING);
    }

    /// A poll ends (returned or unwound): it started at the mark's time, which nothing else
    /// writes while the poll runs (invariant 2).
    fn poll_ends(&self) {
        let end = now();
        let start = self.mark.load(Ordering::Relaxed) >> PHASE_BITS;
        Clock::add(&self.in_poll, end.saturating_sub(start));
        self.set_mark(end, IDLE);
    }

    /// (in poll, queued), each with the current stretch added if the task is in it.
    fn read(&self) -> (Duration, Duration) {
        let mark = self.mark.load(Ordering::Acquire);
        let mut in_poll = self.in_poll.load(Ordering::Acquire);
        let mut queued = self.queued.load(Ordering::Acquire);
        let ongoing = now().saturating_sub(mark >> PHASE_BITS);
        match mark & PHASE_MASK {
            POLLING => in_poll = in_poll.saturating_add(ongoing),
            QUEUED => queued = queued.saturating_add(ongoing),
            _ => {}
        }
        (Duration::from_nanos(in_poll), Duration::from_nanos(queued))
    }
}

/// What a timed task's [`Scheduler`] points to: the executor, and the task's clock, read
/// when the task is queued and around every poll; the task leaves the timing table when it
/// completes.
#[derive(Debug)]
pub(crate) struct TimedTask {
    shared: Arc<Shared>,
    clock: Arc<Clock>,
    timings: Arc<Timings>,
}

impl TimedTask {
    /// Queues the task, noting the time (invariant 2).
    #[cold]
    #[inline(never)]
    pub(crate) fn schedule(&self, runnable: Runnable) {
        self.clock.queued_now();
        self.shared.push(runnable);
    }

    /// A poll starts ([`Schedule::before_poll`]).
    #[cold]
    #[inline(never)]
    pub(crate) fn poll_starts(&self) {
        self.clock.poll_starts();
    }

    /// The poll ends, returned or unwound ([`Schedule::after_poll`]).
    #[cold]
    #[inline(never)]
    pub(crate) fn poll_ends(&self) {
        self.clock.poll_ends();
    }

    /// The executor's own handling, and the clock leaves the table when the task completes.
    #[inline(never)]
    pub(crate) fn task_event(&self, task: &TaskRef, event: TaskEvent) {
        if let TaskEvent::Completed { .. } = event {
            let clock = self.timings.clocks.lock().remove(&task.id());
            drop(clock); // outside the lock
        }
        self.shared.task_event(task, event);
    }
}

impl<E> Builder<E> {
    /// Measures, per task, the time spent being polled and the time spent scheduled but
    /// waiting for a runner: [`TaskSnapshot::time_in_poll`] and [`TaskSnapshot::time_queued`]
    /// in dumps and in the reports' snapshots, and a column of each in a dump's table
    /// (default: off).
    ///
    /// Off costs a tested bit before and after each poll and at each queueing: the task's
    /// scheduler says whether it is timed, and nothing else runs. On, every poll reads the
    /// clock twice and every queueing once (a clock read is 35 to 60 ns on a loaded 2-core VM),
    /// and every spawn and completion takes the timing table's lock and allocates the task's
    /// clock. Measured with callgrind on one thread (bench profile), for tasks that do nothing
    /// else: +142 % instructions per `yield_now` round trip (+373), +107 % per ping-pong turn
    /// (+746), +127 % per spawn-and-await (+1 130); in wall time a poll of an empty task took
    /// about 4 times as long. A task that does real work per poll pays the same absolute cost,
    /// a far smaller share. Memory: about 110 bytes more per live task.
    ///
    /// ```
    /// let ex = executor::Executor::builder().task_timing(true).build();
    /// let _waiting = ex.spawn(std::future::pending::<()>());
    /// ex.block_on(executor::yield_now());
    /// let dump = ex.dump();
    /// let task = dump.tasks().next().unwrap();
    /// assert!(task.time_in_poll().is_some() && task.time_queued().is_some());
    /// println!("{dump}"); // with "in poll" and "queued" columns
    /// ```
    pub fn task_timing(mut self, on: bool) -> Self {
        self.timing = on;
        self
    }
}
