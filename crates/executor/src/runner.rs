//! The loops that drive tasks: until no task is alive (`run`), until a future completes
//! (`block_on`), or until shutdown (worker threads).
//!
//! Each is a [`Runner`]: it has a local queue for the tasks woken or spawned on its thread,
//! takes work from its queue's next slot (the first task the last poll woke, [`MAX_SLOT_RUNS`]
//! in a row at most), the injector, its own queue, or (when all are empty) half of another
//! runner's queue, and parks through [`Sleepers`](crate::sleepers::Sleepers) when there is
//! none anywhere: register, check again, park. It never spins. When a runner leaves, its
//! local tasks move to the injector, and if tasks are queued it passes a wake-up on (a push
//! may have picked it as the sleeper to wake, and it is not coming back).
//!
//! Every poll (of a task, or of `block_on`'s own future) starts with a full cooperative
//! budget ([`wakers::budget`]); the runner holds a budget scope for as long as it runs.
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_task::ArcWake;
use join_handle::Runnable;
use wakers::budget;
use wakers::idle::{self, IdleDriver};

use crate::current::{self, Enter};
use crate::idle::{RunnerParker, RunnerUnparker};
use crate::injector::{LocalQueue, Seen};
use crate::shared::Shared;
use crate::sleepers::{Look, Park, WATCH_INTERVAL, Woken};

/// How many tasks `block_on` runs between two polls of its own future when that future keeps
/// waking itself: enough to amortise the poll, few enough to keep it responsive.
const BLOCK_ON_BATCH: usize = 64;

/// Every this many pops a runner looks at its own queue before the injector (the other pops
/// look at the injector first, so tasks from outside keep lesson 2's FIFO order). Without it, a
/// steady stream into the injector would starve the local queue. A prime, so that it does not
/// fall into step with tasks that re-queue on a regular cycle (every 2nd, 4th, 10th poll...):
/// otherwise the same tasks would always be the ones taken out of turn. Small enough that local
/// tasks wait behind at most 60 injector pops.
pub(crate) const LOCAL_FIRST_INTERVAL: u32 = 61;

/// Every this many pops a runner also takes a non-blocking turn of the installed
/// [`IdleDriver`] (the I/O reactor), so a runner that never runs out of tasks does not leave
/// I/O undelivered. The same tick as [`LOCAL_FIRST_INTERVAL`], so the events' tasks, pushed
/// onto our local queue, are taken first; tokio turns its driver at the same rate.
const DRIVER_POLL_INTERVAL: u32 = LOCAL_FIRST_INTERVAL;

/// How many tasks in a row a runner takes from its queue's next slot (see
/// [`LocalQueue`]'s "The next slot") while other tasks wait, before the slot task goes to the
/// back of the ring: two tasks that keep waking each other run back to back this many times,
/// then every task queued before them gets its turn, so a queued task waits at most this
/// many extra polls per round. Each hand-over in a row finds the pair's channel in the cache:
/// on the 100-pair ping-pong (`benches/examples/pp_threads.rs`), 7 took 7-9 % less CPU per
/// message than 3 (tokio's choice), and 15 no less than 7.
const MAX_SLOT_RUNS: u32 = 7;

/// One thread's loop over one executor's tasks.
struct Runner<'a> {
    shared: &'a Arc<Shared>,
    local: Arc<LocalQueue>,
    parker: RunnerParker,
    /// The idle driver this runner told it may wait in it (`runner_enter`), if one exists.
    driver: Option<&'static dyn IdleDriver>,
    id: usize,
    /// Counts our looks for a task; published in our queue's progress at each one that
    /// found a task, for watchers.
    tick: u32,
    /// Other runners' progress at our last look before sleeping.
    seen: Seen,
    /// A push woke us and we have not taken a task since: pass the wake-up on if more wait.
    woken_by_push: bool,
    /// Tasks taken from our queue's next slot in a row.
    slot_runs: u32,
    _enter: Enter,
    _budget: budget::Scope,
}

impl<'a> Runner<'a> {
    fn new(shared: &'a Arc<Shared>) -> Runner<'a> {
        let local = shared.add_runner();
        let _enter = Enter::new(shared, &local);
        Runner {
            shared,
            local,
            parker: RunnerParker::new(),
            driver: idle::installed().inspect(|d| d.runner_enter()),
            id: shared.sleepers.new_id(),
            tick: 0,
            seen: Seen::default(),
            woken_by_push: false,
            slot_runs: 0,
            _enter,
            _budget: budget::Scope::enter(),
        }
    }

    /// Polls a task once, with a full budget.
    #[inline]
    fn run_task(&self, runnable: Runnable) {
        budget::refill();
        runnable.run();
    }

    /// The next task to run, from the injector, our own queue, or another runner's.
    ///
    /// Always inlined into the loops: with the idle driver's turn in it, plain `#[inline]` let
    /// it go out of line, and its queue pops with it (+38 instructions per yield, callgrind).
    #[inline(always)]
    fn next(&mut self) -> Option<Runnable> {
        self.tick = self.tick.wrapping_add(1);
        let shared = self.shared;
        // A pop of an empty crossbeam queue issues a `SeqCst` fence; `is_empty` is two loads.
        // A stale "empty" only delays the injector by one pop: the sleep path looks again,
        // properly fenced, before anyone parks.
        let global = || {
            if shared.queue.is_empty() {
                None
            } else {
                shared.queue.pop()
            }
        };
        let found = if self.tick.is_multiple_of(LOCAL_FIRST_INTERVAL) {
            const { assert!(DRIVER_POLL_INTERVAL == LOCAL_FIRST_INTERVAL) };
            self.poll_driver();
            self.local.pop().or_else(global)
        } else if let Some(runnable) = self.take_slot() {
            return Some(self.took(runnable));
        } else {
            global().or_else(|| self.local.pop())
        };
        self.slot_runs = 0;
        let runnable = match found {
            Some(runnable) => runnable,
            None => shared.steal(&self.local, self.tick as usize, &self.seen)?,
        };
        Some(self.took(runnable))
    }

    /// The task in our queue's next slot, unless we took [`MAX_SLOT_RUNS`] in a row and other
    /// tasks wait in our ring or the injector: then it goes to the back of the ring, and the
    /// caller takes the next task in order. (With nobody waiting the move would only cost:
    /// in a chain of spawns, a push and a pop every `MAX_SLOT_RUNS + 1`th link.)
    #[inline(always)]
    fn take_slot(&mut self) -> Option<Runnable> {
        let runnable = self.local.pop_slot()?;
        if self.slot_runs < MAX_SLOT_RUNS {
            self.slot_runs += 1;
            return Some(runnable);
        }
        if self.local.ring_is_empty() && self.shared.queue.is_empty() {
            return Some(runnable);
        }
        self.shared.requeue(&self.local, runnable);
        None
    }

    /// We are about to run `runnable`: records our progress, and passes a wake-up on if a
    /// push woke us and more tasks wait.
    #[inline(always)]
    fn took(&mut self, runnable: Runnable) -> Runnable {
        // Only a task taken counts: a runner that wakes to find nothing has not moved, so
        // two idle runners do not keep each other watching.
        self.local.set_progress(self.tick);
        if std::mem::take(&mut self.woken_by_push) && self.shared.has_work() {
            self.shared.sleepers.notify_one();
        }
        runnable
    }

    /// The installed idle driver, telling it on first sight that we may wait in it.
    #[cold]
    fn enter_driver(&mut self) -> Option<&'static dyn IdleDriver> {
        let driver = idle::installed()?;
        driver.runner_enter();
        self.driver = Some(driver);
        Some(driver)
    }

    /// A non-blocking turn of the idle driver, if one is installed ([`DRIVER_POLL_INTERVAL`]).
    #[inline]
    fn poll_driver(&mut self) {
        if let Some(driver) = self.driver.or_else(|| self.enter_driver()) {
            driver.poll_now();
        }
    }

    /// Sleeps unless `ready()` holds or there is work: in the idle driver if one is installed
    /// and free, else on our parker; until someone unparks us, or for at most
    /// [`WATCH_INTERVAL`] while other runners hold lone tasks (then a steal takes those whose
    /// owner did not move meanwhile). Registers as a sleeper first, so that a push after our
    /// last look at the queues wakes us (the argument in [`sleepers`](crate::sleepers)).
    fn sleep(&mut self, ready: impl Fn() -> bool) {
        let driver = self.driver.or_else(|| self.enter_driver());
        let sleepers = &self.shared.sleepers;
        sleepers.register(self.id, self.parker.unparker());
        let (shared, local, seen) = (self.shared, &self.local, &mut self.seen);
        let park = sleepers.decide(|| {
            if ready() {
                Look::Work
            } else {
                shared.look(local, seen)
            }
        });
        // The driver's timer round may queue one of our tasks on our own queue (see
        // `RunnerParker::sleep`).
        let queued = || !local.is_empty();
        let parker = &self.parker;
        // A panic out of the driver's wait (a waker its turn runs) must not leave us listed
        // as a sleeper, nor counted as a watcher: a push would wake us, and nobody would come
        // back to clear `notified`; a lone push would count on a watcher that is gone.
        let slept = catch_unwind(AssertUnwindSafe(|| match park {
            Park::No => {}
            Park::Watch => parker.sleep(driver, Some(WATCH_INTERVAL), &queued),
            Park::Indefinitely => parker.sleep(driver, None, &queued),
        }));
        if park == Park::Watch {
            sleepers.stop_watching();
        }
        if let Err(panic) = slept {
            // Our `Drop` passes a wake-up on if tasks are queued.
            sleepers.leave(self.id);
            resume_unwind(panic);
        }
        let woken = sleepers.leave(self.id);
        self.woken_by_push = woken != Woken::Other;
        self.seen.woke(
            park == Park::Watch && !self.woken_by_push,
            woken == Woken::LonePush,
        );
    }
}

impl Drop for Runner<'_> {
    fn drop(&mut self) {
        if let Some(driver) = self.driver {
            driver.runner_leave();
        }
        self.shared.remove_runner(&self.local);
        if self.shared.has_work() {
            self.shared.sleepers.notify_one();
        }
    }
}

/// Runs tasks on this thread until no spawned task is alive.
///
/// # Panics
///
/// Panics if called from inside one of `shared`'s tasks (`what` names the caller's method).
pub(crate) fn run(shared: &Arc<Shared>, what: &str) {
    current::assert_not_in_own_task(shared, what);
    let mut runner = Runner::new(shared);
    current::set_polling_tasks(Some(shared));
    loop {
        while let Some(runnable) = runner.next() {
            runner.run_task(runnable);
        }
        if shared.is_idle() {
            return;
        }
        runner.sleep(|| shared.is_idle());
    }
}

/// A worker thread's loop: runs tasks until the executor stops its workers. It looks at the
/// stop flag before every task, so tasks that keep waking themselves cannot hold it (and the
/// executor's drop, which joins it) forever.
pub(crate) fn work(shared: Arc<Shared>) {
    let mut runner = Runner::new(&shared);
    current::set_polling_tasks(Some(&shared));
    let stopping = || shared.stop_workers.load(Ordering::Acquire);
    while !stopping() {
        match runner.next() {
            Some(runnable) => runner.run_task(runnable),
            None => runner.sleep(stopping),
        }
    }
    drop(runner);
    if shared.is_closed() {
        // A task on this thread dropped its own executor: the shutdown ran while that task
        // was still being polled, so whatever it registered or queued since is cancelled now.
        shared.shutdown();
    }
}

/// The waker of `block_on`'s own future: note the wake, unpark the blocked thread.
struct MainWaker {
    woken: AtomicBool,
    unparker: RunnerUnparker,
}

impl ArcWake for MainWaker {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        if !arc_self.woken.swap(true, Ordering::AcqRel) {
            arc_self.unparker.unpark();
        }
    }
}

/// Runs tasks on this thread until `future` completes, polling `future` only when woken.
pub(crate) fn block_on<F: Future>(shared: &Arc<Shared>, future: F) -> F::Output {
    let mut runner = Runner::new(shared);
    let main = Arc::new(MainWaker {
        woken: AtomicBool::new(true),
        unparker: runner.parker.unparker(),
    });
    let waker = futures_task::waker_ref(&main);
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if main.woken.swap(false, Ordering::AcqRel) {
            current::set_polling_tasks(None);
            budget::refill();
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            current::set_polling_tasks(Some(shared));
        }
        let mut ran = 0;
        while ran < BLOCK_ON_BATCH {
            let Some(runnable) = runner.next() else {
                break;
            };
            runner.run_task(runnable);
            ran += 1;
        }
        // Nothing to run: sleep, unless our own future was woken meanwhile (say, it yielded
        // because its budget was spent), when registering as a sleeper would be wasted.
        if ran == 0 && !main.woken.load(Ordering::Acquire) {
            runner.sleep(|| main.woken.load(Ordering::Acquire));
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::future::poll_fn;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex, mpsc};
    use std::task::{Poll, Waker};
    use std::thread;
    use std::time::{Duration, Instant};

    use super::MAX_SLOT_RUNS;
    use crate::Executor;
    use crate::sleepers::WATCH_INTERVAL;

    /// Tasks spawned.
    const SPAWNS: usize = 1_000;
    /// How long the spawning future blocks its thread before each spawn: long enough that an
    /// idle runner woken by one spawn is back asleep before the next.
    const GAP: Duration = Duration::from_micros(50);

    /// A future on one of two runners spawns tasks one at a time, blocking its thread a little
    /// before each: every spawn is a lone task on its runner's queue, which that runner takes
    /// itself a moment later. The idle runner watches that runner rather than being woken for
    /// each spawn: each wake-up by a push needs a watch interval in which nothing moved, so
    /// they are bounded by the elapsed time, not by the spawns. (Waking the idle runner for
    /// every lone push gave about one wake-up per spawn here.)
    #[test]
    fn lone_spawns_wake_the_idle_runner_per_watch_interval_not_per_spawn() {
        let ex = Executor::builder().worker_threads(1).build();
        let start = Instant::now();
        ex.block_on(async {
            for _ in 0..SPAWNS {
                thread::sleep(GAP);
                drop(crate::spawn(async {}));
                crate::yield_now().await; // lets this runner take the task
            }
        });
        let elapsed = start.elapsed();
        let wakes = ex.shared.sleepers.wakes.load(Ordering::Relaxed);
        let intervals = (elapsed.as_nanos() / WATCH_INTERVAL.as_nanos()) as usize;
        eprintln!("{wakes} wake-ups in {elapsed:?} for {SPAWNS} spawns");
        assert!(
            wakes <= intervals + 10,
            "{wakes} wake-ups in {elapsed:?} for {SPAWNS} spawns"
        );
    }

    /// The bound, counted in watches rather than in wall time (which a loaded machine
    /// stretches): a lone task queued behind a poll that blocks its runner starts on the idle
    /// runner after at most two watches of [`WATCH_INTERVAL`] each.
    #[test]
    fn a_lone_task_behind_a_blocked_poll_starts_elsewhere_within_two_watches() {
        let ex = Executor::builder().worker_threads(1).build();
        for _ in 0..3 {
            let before = ex.shared.sleepers.watches.load(Ordering::Relaxed);
            let (tx, rx) = mpsc::channel();
            ex.block_on(async {
                // Queued alone on this runner's queue, behind this very poll...
                drop(crate::spawn(async move { tx.send(()).unwrap() }));
                // ...which blocks its thread until the task has run elsewhere (the time-out
                // only turns a hang into a failure).
                rx.recv_timeout(Duration::from_secs(10))
                    .expect("the task waited behind the blocked poll");
            });
            let watches = ex.shared.sleepers.watches.load(Ordering::Relaxed) - before;
            assert!(watches <= 2, "{watches} watches before the task started");
        }
    }

    #[test]
    fn two_tasks_that_keep_waking_each_other_let_a_queued_task_run_after_a_few_hand_overs() {
        let ex = Executor::new();
        let stop = Arc::new(AtomicBool::new(false));
        let polls = Arc::new(AtomicUsize::new(0));
        let polls_before = ex.block_on(async {
            // Each poll of either wakes the other (into the slot) and waits, until `stop`.
            let partner: Arc<Mutex<Option<Waker>>> = Arc::default();
            let pair: Vec<_> = (0..2)
                .map(|_| {
                    let (partner, stop, polls) = (partner.clone(), stop.clone(), polls.clone());
                    crate::spawn(poll_fn(move |cx| {
                        if stop.load(Ordering::SeqCst) {
                            if let Some(other) = partner.lock().unwrap().take() {
                                other.wake();
                            }
                            return Poll::Ready(());
                        }
                        polls.fetch_add(1, Ordering::SeqCst);
                        let other = partner.lock().unwrap().replace(cx.waker().clone());
                        if let Some(other) = other {
                            other.wake();
                        }
                        Poll::Pending
                    }))
                })
                .collect();
            // Queued behind the pair's first polls, on the same runner (the only one).
            let queued = {
                let (stop, polls) = (stop.clone(), polls.clone());
                crate::spawn(async move {
                    stop.store(true, Ordering::SeqCst);
                    polls.load(Ordering::SeqCst)
                })
            };
            let polls_before = queued.await;
            for task in pair {
                task.await;
            }
            polls_before
        });
        // The pair's first two polls, plus the slot runs in a row the cap allows. Without the
        // cap only the every-`LOCAL_FIRST_INTERVAL`th pick from the ring, which skips the slot,
        // would let the queued task run.
        assert!(
            polls_before <= 2 + MAX_SLOT_RUNS as usize,
            "the pair ran {polls_before} times before the queued task"
        );
    }

    /// Once no task runs, watching stops: the idle runners park without a timeout, so an idle
    /// executor wakes no thread. (Waits until the count of watches stays put for a while,
    /// then checks that it stays put; a watcher that kept waking would never get there.)
    #[test]
    fn an_idle_executor_stops_watching() {
        let ex = Executor::builder().worker_threads(2).build();
        for _ in 0..3 {
            // Tasks spawning tasks on both workers, so that both watch at some point.
            ex.block_on(async {
                for _ in 0..100 {
                    crate::spawn(async {
                        drop(crate::spawn(async {}));
                    })
                    .await;
                }
            });
        }
        let watches = || ex.shared.sleepers.watches.load(Ordering::Relaxed);
        let quiet_for = |window: Duration| {
            let before = watches();
            thread::sleep(window);
            watches() == before
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(0..3).all(|_| quiet_for(10 * WATCH_INTERVAL)) {
            assert!(
                Instant::now() < deadline,
                "the runners never stopped watching"
            );
        }
        assert!(
            quiet_for(100 * WATCH_INTERVAL),
            "a runner watched an idle executor"
        );
    }
}
