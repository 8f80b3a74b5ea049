//! [`Watch`]: no silent hang when nothing drives an executor.
//!
//! `Executor::new()` has no threads of its own, and spawning onto it before anything drives
//! it is allowed (the task waits in the queue). But a program that spawns and then awaits the
//! handle somewhere else (`block_on::block_on(handle)`, another executor) waits forever. We
//! keep the meaning of `new()` and make that wait speak: if an executor has live tasks and no
//! thread has driven it for [`UNDRIVEN_GRACE`], a message on standard error names the
//! executor (where it was created) and says how to drive it. It is printed at most once per
//! executor; nothing else changes (no panic: the program may still drive it later).
//!
//! # When the watch is armed, and why a report is never false
//!
//! A *driver* is a runner loop: a `run` or `block_on` call, or an owned worker thread.
//!
//! 1. The watch is armed when a task is spawned while no driver is active, or when the last
//!    driver leaves while tasks are alive; at most one arming per executor is pending
//!    (`armed`). Executors with owned worker threads are never watched: their workers drive
//!    them from `build()` until the executor drops, even while they are still starting.
//! 2. Arming records `started`, the number of drivers ever started, and asks the watchdog
//!    thread to look again after [`UNDRIVEN_GRACE`].
//! 3. At that time the report is made only if no driver is active, no driver started since
//!    the arming (`started` unchanged), and a task is alive. A runner thread that was just
//!    starting at arming time has started by then (a thread starts in well under a
//!    millisecond; the grace period is a thousand times that), so it is not reported; and if
//!    one does start later than that, the message is still true: for that whole second, no
//!    thread drove the executor.
//!
//! All counters are `SeqCst`: a driver that starts before the check is seen by it (3), and one
//! that starts after arming changes `started`.

use std::collections::VecDeque;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::thread;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::shared::Shared;

/// How long an executor with live tasks may go undriven before we say so: a thousand times
/// what a thread takes to start (so a runner thread that is just starting is never reported),
/// and short enough that whoever watches a hung program reads why within a second.
pub(crate) const UNDRIVEN_GRACE: Duration = Duration::from_secs(1);

/// One executor's watch. Lives in its `Shared`.
#[derive(Debug)]
pub(crate) struct Watch {
    shared: Weak<Shared>,
    created_at: &'static Location<'static>,
    local: bool,
    /// Drivers running now.
    active: AtomicUsize,
    /// Drivers started so far.
    started: AtomicUsize,
    /// Owned worker threads drive the executor: never watched.
    has_workers: AtomicBool,
    armed: AtomicBool,
    reported: AtomicBool,
}

impl Watch {
    pub(crate) fn new(
        shared: Weak<Shared>,
        created_at: &'static Location<'static>,
        local: bool,
    ) -> Watch {
        Watch {
            shared,
            created_at,
            local,
            active: AtomicUsize::new(0),
            started: AtomicUsize::new(0),
            has_workers: AtomicBool::new(false),
            armed: AtomicBool::new(false),
            reported: AtomicBool::new(false),
        }
    }

    /// The executor has owned worker threads (called before they start).
    pub(crate) fn set_has_workers(&self) {
        self.has_workers.store(true, Ordering::SeqCst);
    }

    /// A task was spawned: arm if nothing drives the executor (step 1). On the spawn path:
    /// while a driver is active, this is one load of a word that changes only when a runner
    /// loop starts or ends.
    #[inline]
    pub(crate) fn spawned(&self) {
        if self.active.load(Ordering::SeqCst) == 0 {
            self.arm();
        }
    }

    /// A runner loop starts.
    pub(crate) fn driver_started(&self) {
        self.started.fetch_add(1, Ordering::SeqCst);
        self.active.fetch_add(1, Ordering::SeqCst);
    }

    /// A runner loop ends; `tasks_alive` says whether it leaves tasks behind (step 1).
    pub(crate) fn driver_left(&self, tasks_alive: bool) {
        if self.active.fetch_sub(1, Ordering::SeqCst) == 1 && tasks_alive {
            self.arm();
        }
    }

    /// Step 2.
    fn arm(&self) {
        if self.has_workers.load(Ordering::SeqCst)
            || self.reported.load(Ordering::SeqCst)
            // A plain load first: spawning many tasks before driving stays read-only here.
            || self.armed.load(Ordering::SeqCst)
            || self.armed.swap(true, Ordering::SeqCst)
        {
            return;
        }
        let started = self.started.load(Ordering::SeqCst);
        watchdog().add(
            Instant::now() + UNDRIVEN_GRACE,
            self.shared.clone(),
            started,
        );
    }

    /// Step 3: the message to print, if the executor has gone undriven since the arming that
    /// saw `started` drivers.
    pub(crate) fn check(&self, started: usize, tasks_alive: bool) -> Option<String> {
        self.armed.store(false, Ordering::SeqCst);
        if self.active.load(Ordering::SeqCst) > 0
            || self.started.load(Ordering::SeqCst) != started
            || !tasks_alive
            || self.reported.swap(true, Ordering::SeqCst)
        {
            return None;
        }
        Some(self.message())
    }

    fn message(&self) -> String {
        let (kind, how) = if self.local {
            (
                "LocalExecutor",
                "a LocalExecutor runs tasks only inside its own run() or block_on(), on the \
                 thread that created it",
            )
        } else {
            (
                "Executor",
                "Executor::new() starts no threads: call run() or block_on() on it, build it \
                 with Executor::builder().worker_threads(n), or use #[executor::main]",
            )
        };
        format!(
            "executor: the {kind} created at {at} has tasks waiting, and no thread has run it \
             for {grace:?}; awaiting one of its JoinHandles elsewhere (block_on::block_on, \
             another executor) does not run it, so that wait never ends. {how}.",
            at = self.created_at,
            grace = UNDRIVEN_GRACE,
        )
    }
}

/// The armed watches, due in order (every arming waits the same grace period).
#[derive(Default)]
struct Watchdog {
    due: Mutex<Due>,
    wake: Condvar,
}

#[derive(Default)]
struct Due {
    queue: VecDeque<(Instant, Weak<Shared>, usize)>,
    /// The watchdog thread is alive. It exits when `queue` is empty, and is started again by
    /// the next arming.
    running: bool,
}

fn watchdog() -> &'static Arc<Watchdog> {
    static WATCHDOG: std::sync::OnceLock<Arc<Watchdog>> = std::sync::OnceLock::new();
    WATCHDOG.get_or_init(Arc::default)
}

impl Watchdog {
    fn add(self: &Arc<Self>, at: Instant, shared: Weak<Shared>, started: usize) {
        let mut due = self.due.lock();
        due.queue.push_back((at, shared, started));
        if due.running {
            return; // it looks at the queue's front when its current wait ends
        }
        let this = self.clone();
        let spawned = thread::Builder::new()
            .name("executor-watchdog".into())
            .spawn(move || this.run());
        // Without a thread there is no report; that must not take the spawner down.
        due.running = spawned.is_ok();
        if !due.running {
            due.queue.clear();
        }
    }

    fn run(&self) {
        let mut due = self.due.lock();
        while let Some(&(at, _, _)) = due.queue.front() {
            if Instant::now() < at {
                self.wake.wait_until(&mut due, at);
                continue;
            }
            let (_, shared, started) = due.queue.pop_front().expect("front exists");
            drop(due);
            if let Some(shared) = shared.upgrade()
                && let Some(message) = shared.watch.check(started, !shared.is_idle())
            {
                report(&message);
            }
            due = self.due.lock();
        }
        due.running = false;
    }
}

#[cfg(not(test))]
fn report(message: &str) {
    eprintln!("{message}");
}

#[cfg(test)]
static REPORTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[cfg(test)]
fn report(message: &str) {
    REPORTS.lock().push(message.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Executor, LocalExecutor};

    /// A failure bound, not a speed check.
    const STUCK: Duration = Duration::from_secs(60);

    fn reports_about(location: &str) -> Vec<String> {
        let reports = REPORTS.lock();
        reports
            .iter()
            .filter(|r| r.contains(location))
            .cloned()
            .collect()
    }

    fn wait_for_report(location: &str) -> String {
        let since = Instant::now();
        loop {
            if let Some(r) = reports_about(location).pop() {
                return r;
            }
            assert!(since.elapsed() < STUCK, "no report about {location}");
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn here(location: &Location<'_>) -> String {
        format!("{}:{}:", location.file(), location.line())
    }

    #[test]
    fn an_undriven_executor_with_a_task_is_reported_once() {
        let (ex, at) = (Executor::new(), here(Location::caller()));
        let _task = ex.spawn(async { 1 });
        let report = wait_for_report(&at);
        assert!(report.contains("the Executor created at"), "{report}");
        assert!(report.contains("no thread has run it"), "{report}");
        assert!(report.contains("worker_threads(n)"), "{report}");
        let _more = ex.spawn(async { 2 });
        // A second arming would report after another grace period: wait for it to pass.
        thread::sleep(UNDRIVEN_GRACE * 2);
        assert_eq!(reports_about(&at).len(), 1);
    }

    #[test]
    fn a_local_executor_names_itself() {
        let (ex, at) = (LocalExecutor::new(), here(Location::caller()));
        let _task = ex.spawn(async {});
        let report = wait_for_report(&at);
        assert!(report.contains("the LocalExecutor created at"), "{report}");
    }

    #[test]
    fn a_block_on_that_leaves_tasks_behind_arms_the_watch() {
        let (ex, at) = (Executor::new(), here(Location::caller()));
        // The handle comes out in an Option: the block_on returns it, not awaits it.
        let left = ex.block_on(async { Some(crate::spawn(std::future::pending::<()>())) });
        wait_for_report(&at);
        drop(left);
    }

    #[test]
    fn a_driver_that_started_after_arming_means_no_report() {
        let watch = Watch::new(Weak::new(), Location::caller(), false);
        watch.spawned(); // armed, seeing no driver started
        assert!(watch.armed.load(Ordering::SeqCst));
        // The legitimate race: a runner thread was just starting; it runs, then leaves.
        watch.driver_started();
        watch.driver_left(false);
        assert_eq!(watch.check(0, true), None);
    }

    #[test]
    fn an_active_driver_or_no_live_task_means_no_report() {
        let watch = Watch::new(Weak::new(), Location::caller(), false);
        watch.driver_started();
        assert_eq!(watch.check(1, true), None, "a driver is active");
        watch.driver_left(false);
        assert_eq!(watch.check(1, false), None, "no task is alive");
        let report = watch.check(1, true).expect("undriven with a live task");
        assert!(report.contains("Executor::new() starts no threads"));
        assert_eq!(watch.check(1, true), None, "reported once");
    }

    #[test]
    fn workers_never_armed() {
        let watch = Watch::new(Weak::new(), Location::caller(), false);
        watch.set_has_workers();
        watch.spawned();
        assert!(!watch.armed.load(Ordering::SeqCst));
    }

    #[track_caller]
    fn pool_of_one() -> Executor {
        Executor::builder().worker_threads(1).build()
    }

    #[test]
    fn executors_with_workers_or_drivers_are_not_reported() {
        let (busy, at_busy) = (Executor::new(), here(Location::caller()));
        let (pool, at_pool) = (pool_of_one(), here(Location::caller()));
        let _a = pool.spawn(std::future::pending::<()>());
        busy.block_on(async {
            // Spawned while a driver is active: no arming.
            let _b = crate::spawn(async {});
            thread::sleep(UNDRIVEN_GRACE * 2);
        });
        assert!(reports_about(&at_pool).is_empty());
        assert!(reports_about(&at_busy).is_empty());
    }
}
