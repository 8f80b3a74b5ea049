//! The opt-in monitor thread: the long-poll watchdog ([`Builder::long_poll_watchdog`]), the
//! lost-task report ([`Builder::on_lost_task`]) and the busy-task report
//! ([`Builder::on_busy_task`]).
//!
//! Both work from the same data as [`Executor::dump`](crate::Executor::dump): snapshots of the
//! executor's registered tasks, read by a thread of their own every [`Monitor::period`]. No
//! runner does anything extra per poll, and the monitor never polls a task or waits for a
//! runner, so it sees a runner that is stuck.
//!
//! * A poll is identified by its task's id and poll count (the count grows at the start of
//!   every poll). A task seen `Running` with the same count in samples `threshold` apart has
//!   been in one poll at least that long: it is reported once, while it still runs.
//! * A task seen lost (idle, no waker anywhere) is reported once.
//! * A task seen with a wake streak (pending polls in a row during which it was woken,
//!   counted in its state word) of at least the threshold is reported once per streak.
//!
//! With the monitor on, every task enters the registry when it is spawned (not only when it
//! first waits), so a task that blocks in its very first poll is seen too; that costs a lock
//! per spawn and per completion, only then. A long poll is reported at most two periods after
//! it passed the threshold, a lost task at most one period after it was lost: the period is a
//! quarter of the watchdog threshold (at least [`MIN_PERIOD`]), or [`SAMPLE_PERIOD`] without
//! a watchdog.
//!
//! The thread holds only a weak reference to the executor and exits within one period of
//! the executor being dropped.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Weak};
use std::thread;
use std::time::{Duration, Instant};

use join_handle::{TaskId, TaskSnapshot, TaskState};

use crate::Builder;
use crate::shared::Shared;

/// The shortest sampling period: below this the monitor thread would cost more than it finds.
const MIN_PERIOD: Duration = Duration::from_millis(1);
/// The sampling period when no watchdog sets a shorter one: often enough for a person
/// watching, rarely enough to cost nothing measurable.
const SAMPLE_PERIOD: Duration = Duration::from_millis(100);

type OnLongPoll = Arc<dyn Fn(&TaskSnapshot, Duration) + Send + Sync>;
type OnTask = Arc<dyn Fn(&TaskSnapshot) + Send + Sync>;

/// What the monitor thread reports; `None` of both: no thread.
#[derive(Clone, Default)]
pub(crate) struct Monitor {
    long_poll: Option<(Duration, OnLongPoll)>,
    lost: Option<OnTask>,
    busy: Option<(u64, OnTask)>,
}

impl Monitor {
    pub(crate) fn is_on(&self) -> bool {
        self.long_poll.is_some() || self.lost.is_some() || self.busy.is_some()
    }

    fn period(&self) -> Duration {
        match &self.long_poll {
            Some((threshold, _)) => (*threshold / 4).max(MIN_PERIOD),
            None => SAMPLE_PERIOD,
        }
    }

    /// Starts the thread, if anything is to be reported.
    pub(crate) fn start(&self, shared: &Arc<Shared>) {
        if !self.is_on() {
            return;
        }
        let monitor = self.clone();
        let shared = Arc::downgrade(shared);
        thread::Builder::new()
            .name("executor-monitor".to_string())
            .spawn(move || monitor.run(shared))
            .expect("failed to start the executor's monitor thread");
    }

    fn run(self, shared: Weak<Shared>) {
        let period = self.period();
        // Running polls seen, by (task, poll count): when first seen, whether reported.
        let mut running: HashMap<(TaskId, u64), (Instant, bool)> = HashMap::new();
        let mut reported_lost: HashSet<TaskId> = HashSet::new();
        let mut reported_busy: HashSet<TaskId> = HashSet::new();
        loop {
            thread::sleep(period);
            let tasks = match shared.upgrade() {
                Some(shared) if !shared.is_closed() => shared.snapshots(),
                _ => return,
            };
            let now = Instant::now();
            if let Some((threshold, report)) = &self.long_poll {
                let mut still = HashMap::with_capacity(running.len());
                for t in tasks.iter().filter(|t| t.state() == TaskState::Running) {
                    let key = (t.id(), t.polls());
                    let (since, mut done) = running.get(&key).copied().unwrap_or((now, false));
                    // Seen running at `since` (a sample), so it has run at least `now - since`
                    // (and started at most one period before `since`).
                    let ran = now - since;
                    if !done && ran >= *threshold {
                        report_quietly(|| report(t, ran));
                        done = true;
                    }
                    still.insert(key, (since, done));
                }
                running = still;
            }
            if let Some(report) = &self.lost {
                let mut lost_now = HashSet::new();
                for t in tasks.iter().filter(|t| t.is_lost()) {
                    if !reported_lost.contains(&t.id()) {
                        report_quietly(|| report(t));
                    }
                    lost_now.insert(t.id());
                }
                reported_lost = lost_now;
            }
            if let Some((threshold, report)) = &self.busy {
                let mut busy_now = HashSet::new();
                for t in tasks.iter().filter(|t| t.self_wake_streak() >= *threshold) {
                    if !reported_busy.contains(&t.id()) {
                        report_quietly(|| report(t));
                    }
                    busy_now.insert(t.id());
                }
                reported_busy = busy_now;
            }
        }
    }
}

/// Runs a user callback; a panic in it is caught so the monitor keeps going.
fn report_quietly(f: impl FnOnce()) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("long_poll", &self.long_poll.as_ref().map(|(t, _)| t))
            .field("lost", &self.lost.is_some())
            .field("busy", &self.busy.as_ref().map(|(n, _)| n))
            .finish()
    }
}

impl<E> Builder<E> {
    /// Reports a poll that runs longer than `threshold` (a blocking call inside async code,
    /// or a long computation), once, while it still runs: `f` gets the task's snapshot (id,
    /// name, spawn location) and a lower bound of how long the poll has run so far. Reports
    /// come at most half of `threshold` late. Starts a monitor thread, which reads task
    /// snapshots a few times per `threshold` and never polls a task; with it on, spawn and
    /// completion take the registry's lock (off, nothing is added to any path).
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let ex = executor::Executor::builder()
    ///     .long_poll_watchdog(Duration::from_millis(20), move |task, ran| {
    ///         let _ = tx.send((task.name().map(String::from), ran));
    ///     })
    ///     .build();
    /// let stuck = ex.task().name("blocking").spawn(async move {
    ///     // Blocks its thread until the watchdog has reported it.
    ///     rx.recv().unwrap()
    /// });
    /// let (name, ran) = ex.block_on(stuck);
    /// assert_eq!(name.as_deref(), Some("blocking"));
    /// assert!(ran >= Duration::from_millis(20));
    /// ```
    pub fn long_poll_watchdog(
        mut self,
        threshold: Duration,
        f: impl Fn(&TaskSnapshot, Duration) + Send + Sync + 'static,
    ) -> Self {
        self.monitor.long_poll = Some((threshold, Arc::new(f)));
        self
    }

    /// Reports each task that becomes lost (idle, and no waker for it left anywhere: it can
    /// never run again), once, within 100 ms (or a quarter of the watchdog threshold).
    /// Starts the monitor thread, as [`long_poll_watchdog`](Builder::long_poll_watchdog) does.
    ///
    /// ```
    /// use std::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let ex = executor::Executor::builder()
    ///     .worker_threads(1)
    ///     .on_lost_task(move |task| { let _ = tx.send(task.id()); })
    ///     .build();
    /// let forgotten = ex.spawn(std::future::pending::<()>());
    /// assert_eq!(rx.recv().unwrap(), forgotten.id());
    /// ```
    pub fn on_lost_task(mut self, f: impl Fn(&TaskSnapshot) + Send + Sync + 'static) -> Self {
        self.monitor.lost = Some(Arc::new(f));
        self
    }

    /// Reports each task that was woken during each of at least `polls` pending polls in a
    /// row (a task spinning on `yield_now` or on its own waker instead of waiting), once per
    /// streak, within 100 ms (or a quarter of the watchdog threshold). Counting the streak is
    /// always on (in the task's state word, [`TaskSnapshot::self_wake_streak`], saturating at
    /// 2 048); a wake from another thread landing mid-poll counts too, so pick a threshold in
    /// the hundreds or more. This starts the monitor thread, as
    /// [`long_poll_watchdog`](Builder::long_poll_watchdog) does.
    ///
    /// ```
    /// use std::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let ex = executor::Executor::builder()
    ///     .worker_threads(1)
    ///     .on_busy_task(1000, move |task| { let _ = tx.send(task.id()); })
    ///     .build();
    /// let spinner = ex.spawn(async {
    ///     loop {
    ///         executor::yield_now().await; // never waits for anything
    ///     }
    /// });
    /// assert_eq!(rx.recv().unwrap(), spinner.id());
    /// spinner.abort();
    /// ```
    pub fn on_busy_task(
        mut self,
        polls: u16,
        f: impl Fn(&TaskSnapshot) + Send + Sync + 'static,
    ) -> Self {
        self.monitor.busy = Some((u64::from(polls), Arc::new(f)));
        self
    }
}
