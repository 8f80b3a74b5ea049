//! The driver: one lazily started thread that owns the wheel and fires every timer.
//!
//! # Protocol
//!
//! Futures never touch the wheel. They hand ops to the driver: *insert* on first poll, *cancel*
//! when a timer the wheel holds is dropped. Each thread appends its ops to a batch of its own
//! (a `Vec` behind a mutex that only that thread and the driver ever take, never while the
//! wheel is walked); a thread without thread-locals (one being torn down) uses a lock-free
//! `SegQueue` instead. Each round the driver swaps every batch out, applies the ops, fires what
//! is due, wakes the wakers (after the wheel work, with nothing shared held), and parks until
//! the earliest exact deadline, or without a timeout if no timer is pending.
//!
//! `target` says when the parked driver will next look at the batches: the ns deadline of its
//! park, `u64::MAX` for an untimed park, or [`AWAKE`] while it runs (or once an unpark is on its
//! way). A producer unparks the driver only if its op is due before `target` (an insert: its
//! deadline; a cancel: [`LINGER`] from now). The swap to [`AWAKE`] makes sure only one producer
//! pays for the unpark.
//!
//! # Invariants
//!
//! 1. **No lost wake-up.** The driver stores `target` and then locks every batch once more to
//!    look for ops before it parks. A producer appends its op and reads `target` under its
//!    batch's lock. If the driver's look locks that batch after the producer, it sees the op
//!    and does not park; if before, the producer's lock comes after the driver's unlock, so
//!    the producer reads the new `target` and unparks it if its op is due earlier. (The
//!    shared queue has no lock: there both sides put a `SeqCst` fence between their write
//!    and their read.)
//! 2. **No op is lost.** A batch leaves the registry only once its thread has exited (the
//!    registry holds its last clone), and the driver takes its remaining ops then.
//! 3. **Bounded memory.** A cancelled timer's entry is freed within about [`LINGER`]: the
//!    cancel asks for that. Queued inserts are bounded too: every [`BACKLOG`]-th op of a
//!    thread unparks the driver whatever its deadline. The driver's scratch vectors shrink
//!    after a burst ([`KEEP_CAPACITY`]).
//! 4. **The driver runs no user code outside `catch_unwind`**, and never drops a waker (see
//!    [`crate::entry`]); if it dies anyway, timer operations panic rather than hang.
//!
//! # Performance
//!
//! Each of these is kept for the benchmark (`benches/benches/timers.rs`) it serves:
//!
//! * **Per-thread batches** instead of one shared queue, and **taking an insert back** from
//!   its own batch when a timer is dropped before the driver saw it: `create_poll_drop`
//!   (create, poll once, drop) costs one uncontended lock per op and never reaches the
//!   driver thread.
//! * **[`LINGER`]**: after a round that handled ops the driver looks again within 1 ms even if
//!   nothing is due, so that while timers keep coming (`sleep_100k`, the lateness workloads)
//!   a producer whose deadline is further off need not unpark it.
//! * **Tight timer slack** (below): the 1000-sleeps-over-1-s lateness workload, whose p50
//!   would otherwise carry the kernel's default 50 µs.

use std::cell::OnceCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering, fence};
use std::sync::{Arc, OnceLock};
use std::task::Waker;
use std::time::{Duration, Instant};

use crossbeam_queue::SegQueue;
use parking_lot::Mutex;
use wakers::{Parker, Unparker};

use crate::entry::Entry;
use crate::wheel::Wheel;

/// `target` while the driver runs or an unpark is in flight.
pub(crate) const AWAKE: u64 = 0;
/// Each thread unparks the driver on every `BACKLOG`-th op it pushes, whatever the deadline.
const BACKLOG: u32 = 4096;
/// The driver's scratch vectors (wakers to wake, batches taken) are freed after a round that
/// grew them past this many items, so a burst does not pin its memory for good; below it,
/// they are kept to save an allocation per round.
const KEEP_CAPACITY: usize = 4096;
/// After a round that handled ops, the driver looks at the queue again within this many ns
/// even if no timer is due, so that while timers keep coming, a producer whose deadline is
/// further off than that does not have to unpark it. One idle round later it parks as planned.
const LINGER: u64 = 1_000_000;

pub(crate) enum Op {
    Insert(Arc<Entry>),
    Cancel(Arc<Entry>),
    /// Makes the driver thread panic: how the tests reach the dead-driver path, which no
    /// user code can (see [`spawn`]).
    #[cfg(test)]
    Crash,
}

/// One thread's ops, waiting for the driver.
#[derive(Default)]
struct Batch {
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    ops: Vec<Op>,
    /// Ops this thread has pushed, modulo [`BACKLOG`].
    pushed: u32,
}

pub(crate) struct Driver {
    /// Every thread's batch. Locked by a thread once, to add its batch, and by the driver.
    batches: Mutex<Vec<Arc<Batch>>>,
    /// For ops from threads whose thread-locals are gone.
    queue: SegQueue<Op>,
    pub(crate) target: AtomicU64,
    /// The driver thread's; `None` when the timers are [`folded`](crate::folded) into the
    /// idle driver's waits, and there is no thread.
    unparker: Option<Unparker>,
    epoch: Instant,
    /// [`ALIVE`], or why no driver thread serves this driver any more.
    health: AtomicU8,
    /// The wheel and the round's scratch space, for whoever runs a round: the driver thread,
    /// or (folded) the thread that holds the idle driver's right to wait.
    pub(crate) core: Mutex<Core>,
    /// Folded: the deadline (ns) the last round planned for (`u64::MAX`: none), so that a
    /// non-blocking turn knows without a lock whether a round is due.
    pub(crate) next_due: AtomicU64,
    /// Folded: an op was pushed since a round last took them (a hint for non-blocking turns;
    /// a wait looks at the batches themselves).
    pub(crate) pending: AtomicBool,
}

/// What a round works on.
pub(crate) struct Core {
    wheel: Wheel<Arc<Entry>>,
    /// Wakers of the timers the round fired.
    wake: Vec<Waker>,
    /// Batches swapped out of the registry.
    taken: Vec<Vec<Op>>,
}

impl Core {
    fn new() -> Core {
        Core {
            wheel: Wheel::new(),
            wake: Vec::new(),
            taken: Vec::new(),
        }
    }
}

/// `health`: the driver thread runs.
const ALIVE: u8 = 0;
/// `health`: a panic escaped the driver thread's loop (a bug of ours: user code runs only
/// under `catch_unwind`), and the thread has ended.
const PANICKED: u8 = 1;
/// `health`: this process is a child forked from one whose driver was running; `fork()`
/// copies only the forking thread, so the child has no driver thread.
const FORKED: u8 = 2;

static DRIVER: OnceLock<Driver> = OnceLock::new();

thread_local! {
    /// This thread's batch, also listed in `Driver::batches`.
    static BATCH: OnceCell<Arc<Batch>> = const { OnceCell::new() };
}

/// The driver, started on first use.
///
/// # Panics
///
/// Panics if the driver thread cannot be spawned, or if it is gone: a panic escaped it (a bug
/// in this crate), or this process was forked from one whose driver was running. A timer
/// operation then fails loudly instead of hanging for ever.
pub(crate) fn driver() -> &'static Driver {
    match DRIVER.get() {
        Some(driver) => driver.alive(),
        None => start_global().alive(),
    }
}

/// Makes the process's driver: folded into the idle driver's waits if one is installed
/// (see [`folded`](crate::folded)), else with a thread of its own.
#[cold]
fn start_global() -> &'static Driver {
    let mut folded = false;
    let driver = DRIVER.get_or_init(|| {
        if wakers::idle::installed().is_some() {
            folded = true;
            // A forked child has no copy of the threads that run the rounds either (the
            // idle driver's), so timers there fail the same clear way.
            after_fork_in_child(mark_forked);
            return Driver::folded();
        }
        let parker = Parker::new();
        let driver = Driver::new(&parker);
        spawn(|| DRIVER.wait(), parker);
        after_fork_in_child(mark_forked);
        driver
    });
    if folded {
        crate::folded::install(driver);
    }
    driver
}

/// Starts the driver thread for the driver `get` returns (called on that thread).
fn spawn(get: impl FnOnce() -> &'static Driver + Send + 'static, parker: Parker) {
    std::thread::Builder::new()
        .name("timers-driver".into())
        .spawn(move || {
            tighten_timer_slack();
            let driver = get();
            // The loop runs user code only under `catch_unwind`; should a panic of ours
            // escape it anyway, every later timer operation says so instead of hanging.
            if catch_unwind(AssertUnwindSafe(|| driver.run(parker))).is_err() {
                driver.health.store(PANICKED, Ordering::Relaxed);
            }
        })
        .unwrap_or_else(|e| panic!("timers: cannot start the timer driver thread: {e}"));
}

/// Runs in a forked child (see [`after_fork_in_child`]): the driver thread was not copied.
extern "C" fn mark_forked() {
    if let Some(driver) = DRIVER.get() {
        driver.health.store(FORKED, Ordering::Relaxed);
    }
}

/// Registers `child` to run in the child process after every `fork()`.
#[cfg(unix)]
fn after_fork_in_child(child: extern "C" fn()) {
    use std::ffi::c_int;
    type Handler = Option<unsafe extern "C" fn()>;
    unsafe extern "C" {
        fn pthread_atfork(prepare: Handler, parent: Handler, child: Handler) -> c_int;
    }
    // SAFETY: `pthread_atfork` stores the three function pointers; `child` is a plain
    // `extern "C"` function that only does an atomic store on a `'static` (async-signal-safe,
    // as a forked child of a multi-threaded process requires). On failure (ENOMEM) the child
    // just is not marked, as before; nothing else depends on the result.
    unsafe {
        pthread_atfork(None, None, Some(child));
    }
}

#[cfg(not(unix))]
fn after_fork_in_child(_: extern "C" fn()) {}

/// Asks Linux to end the driver's timed parks on time: by default a sleeping thread's timeout
/// may be stretched by up to 50 µs (the "timer slack") to batch wake-ups, and every timer in
/// the process would be that much later. One thread, one system call, made once.
#[cfg(target_os = "linux")]
fn tighten_timer_slack() {
    use std::ffi::{c_int, c_ulong};
    unsafe extern "C" {
        fn prctl(option: c_int, ...) -> c_int;
    }
    const PR_SET_TIMERSLACK: c_int = 29;
    // SAFETY: `prctl(PR_SET_TIMERSLACK, ns)` takes one unsigned long and only changes the
    // calling thread's timer slack; it touches no memory of ours. A failure (say, a seccomp
    // filter) just leaves the default slack, so its result is not needed.
    unsafe {
        prctl(PR_SET_TIMERSLACK, 1 as c_ulong);
    }
}

#[cfg(not(target_os = "linux"))]
fn tighten_timer_slack() {}

impl Driver {
    fn new(parker: &Parker) -> Driver {
        Driver {
            batches: Mutex::new(Vec::new()),
            queue: SegQueue::new(),
            target: AtomicU64::new(AWAKE),
            unparker: Some(parker.unparker()),
            epoch: Instant::now(),
            health: AtomicU8::new(ALIVE),
            core: Mutex::new(Core::new()),
            next_due: AtomicU64::new(u64::MAX),
            pending: AtomicBool::new(false),
        }
    }

    /// A driver with no thread, for [`folded`](crate::folded). `target` starts [`AWAKE`]: no
    /// wait is planned, and the idle driver's next turn looks at the batches.
    pub(crate) fn folded() -> Driver {
        Driver {
            batches: Mutex::new(Vec::new()),
            queue: SegQueue::new(),
            target: AtomicU64::new(AWAKE),
            unparker: None,
            epoch: Instant::now(),
            health: AtomicU8::new(ALIVE),
            core: Mutex::new(Core::new()),
            next_due: AtomicU64::new(u64::MAX),
            pending: AtomicBool::new(false),
        }
    }

    /// `self`, if its thread still runs; else the panic documented on [`driver`].
    #[inline]
    fn alive(&self) -> &Driver {
        if self.health.load(Ordering::Relaxed) != ALIVE {
            self.gone();
        }
        self
    }

    #[cold]
    fn gone(&self) -> ! {
        match self.health.load(Ordering::Relaxed) {
            FORKED => panic!(
                "timers: this process was forked from one whose timer driver was running, and \
                 fork() does not copy the threads that fire the timers; timers cannot be used \
                 in the child (call exec, or use timers only after forking)"
            ),
            _ => panic!(
                "timers: the timer driver thread has died (a panic escaped it; please report \
                 this bug); no timer in this process can fire any more"
            ),
        }
    }

    /// `instant` as ns since the epoch: 0 if before it, `u64::MAX` if more than 584 years after.
    pub(crate) fn ns(&self, instant: Instant) -> u64 {
        let d = instant.saturating_duration_since(self.epoch);
        d.as_secs()
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(d.subsec_nanos()))
    }

    pub(crate) fn instant(&self, ns: u64) -> Option<Instant> {
        self.epoch.checked_add(Duration::from_nanos(ns))
    }

    /// Hands `op` to the driver, unparking it if `deadline` (ns) beats its plan.
    pub(crate) fn submit(&self, op: Op, deadline: u64) {
        let mut op = Some(op);
        // `target` is read under the batch's lock: see "No lost wake-up" in the module docs.
        let seen = BATCH.try_with(|batch| {
            let batch = batch.get_or_init(|| self.new_batch());
            let mut pending = batch.pending.lock();
            pending.ops.extend(op.take());
            pending.pushed += 1;
            let backlog = pending.pushed == BACKLOG;
            if backlog {
                pending.pushed = 0;
            }
            self.pending.store(true, Ordering::Relaxed);
            (self.target.load(Ordering::Relaxed), backlog)
        });
        let (target, backlog) = match (seen, op) {
            (Ok(seen), None) => seen,
            // No thread-locals any more (this thread is being torn down): the shared queue.
            (_, Some(op)) => {
                self.queue.push(op);
                self.pending.store(true, Ordering::Relaxed);
                fence(Ordering::SeqCst);
                (self.target.load(Ordering::Relaxed), true)
            }
            (Err(_), None) => unreachable!("the op was pushed only if the closure ran"),
        };
        if (deadline < target || (backlog && target != AWAKE))
            && self.target.swap(AWAKE, Ordering::AcqRel) != AWAKE
        {
            match &self.unparker {
                Some(thread) => thread.unpark(),
                // Folded: the plan is the idle driver's wait (step 7 in `folded`).
                None => {
                    if let Some(idle) = wakers::idle::installed() {
                        idle.wake();
                    }
                }
            }
        }
    }

    /// Hands the driver a cancel op for `entry`, which its wheel holds. The driver is asked
    /// to look within [`LINGER`], so the entry's memory is freed within about a millisecond
    /// even when no timer is due for an hour; a burst of cancels costs one unpark, not one
    /// each (while the driver lingers, its `target` is already that close).
    pub(crate) fn cancel(&self, entry: Arc<Entry>) {
        let soon = self.ns(Instant::now()).saturating_add(LINGER);
        self.submit(Op::Cancel(entry), soon);
    }

    /// Takes back the insert of `entry` if it is still the last op of this thread's batch.
    /// Then the driver never sees the entry. Returns whether it was taken back.
    pub(crate) fn take_back(&self, entry: &Arc<Entry>) -> bool {
        BATCH
            .try_with(|batch| {
                let Some(batch) = batch.get() else {
                    return false;
                };
                let ops = &mut batch.pending.lock().ops;
                let last = matches!(ops.last(), Some(Op::Insert(e)) if Arc::ptr_eq(e, entry));
                // The popped clone is dropped under the lock; the caller still holds the entry,
                // so that frees nothing and runs no user code.
                last && ops.pop().is_some()
            })
            .unwrap_or(false)
    }

    #[cold]
    fn new_batch(&self) -> Arc<Batch> {
        let batch = Arc::new(Batch::default());
        self.batches.lock().push(batch.clone());
        batch
    }

    /// Whether any op is waiting (for the last look before parking).
    pub(crate) fn has_ops(&self) -> bool {
        !self.queue.is_empty()
            || self
                .batches
                .lock()
                .iter()
                .any(|batch| !batch.pending.lock().ops.is_empty())
    }

    /// One round: applies the waiting ops, fires what is due (running the wakers) and returns
    /// when to look next (ns; `None`: only when an op comes), [`LINGER`] included.
    pub(crate) fn round(&self, core: &mut Core) -> Option<u64> {
        let Core { wheel, wake, taken } = core;
        let now = self.ns(Instant::now());
        let handled = self.drain(wheel, now, wake, taken);
        let now = self.ns(Instant::now());
        let next = wheel.poll(now, |entry| wake.extend(entry.fire()));
        for waker in wake.drain(..) {
            // A waker is user code: its panic must not stop every timer of the process.
            // (The driver runs no other user code: a cancelled timer's waker is dropped by
            // the thread that cancels it.)
            let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
        }
        if wake.capacity() > KEEP_CAPACITY {
            *wake = Vec::new();
        }
        wheel.shrink(|entry, key| entry.key.store(key, Ordering::Relaxed));
        match next {
            _ if handled == 0 => next,
            None => Some(now.saturating_add(LINGER)),
            Some(deadline) => Some(deadline.min(now.saturating_add(LINGER))),
        }
    }

    fn run(&self, parker: Parker) -> ! {
        loop {
            let next = self.round(&mut self.core.lock());
            self.target
                .store(next.unwrap_or(u64::MAX), Ordering::SeqCst);
            fence(Ordering::SeqCst);
            if self.has_ops() {
                self.target.store(AWAKE, Ordering::Relaxed);
                continue;
            }
            match next.and_then(|ns| self.instant(ns)) {
                Some(deadline) => _ = parker.park_deadline(deadline),
                None => parker.park(),
            }
            self.target.store(AWAKE, Ordering::SeqCst);
        }
    }

    /// Applies every waiting op to the wheel; returns how many there were.
    ///
    /// Batches are swapped out under the registry lock, then applied with no lock held.
    fn drain(
        &self,
        wheel: &mut Wheel<Arc<Entry>>,
        now: u64,
        wake: &mut Vec<Waker>,
        taken: &mut Vec<Vec<Op>>,
    ) -> usize {
        let mut handled = 0;
        while let Some(op) = self.queue.pop() {
            apply(op, wheel, now, wake);
            handled += 1;
        }
        {
            let mut batches = self.batches.lock();
            for batch in batches.iter() {
                let ops = &mut batch.pending.lock().ops;
                if !ops.is_empty() {
                    taken.push(std::mem::take(ops));
                }
            }
            // A batch only we hold belongs to a thread that has exited. That thread may have
            // pushed after the swap above and then exited: take those ops too, or an insert
            // would never fire and a cancel would keep its entry until the deadline. With
            // its last clone dropped (a release decrement, paired with the fence), no one
            // can push to it again.
            batches.retain(|batch| {
                if Arc::strong_count(batch) > 1 {
                    return true;
                }
                fence(Ordering::Acquire);
                let ops = &mut batch.pending.lock().ops;
                if !ops.is_empty() {
                    taken.push(std::mem::take(ops));
                }
                false
            });
        }
        for ops in taken.drain(..) {
            handled += ops.len();
            for op in ops {
                apply(op, wheel, now, wake);
            }
        }
        if taken.capacity() > KEEP_CAPACITY {
            *taken = Vec::new();
        }
        handled
    }
}

/// Applies one op to the wheel; timers already due go to `wake`.
fn apply(op: Op, wheel: &mut Wheel<Arc<Entry>>, now: u64, wake: &mut Vec<Waker>) {
    match op {
        Op::Insert(entry) => {
            if !entry.try_register() {
                // Dropped while queued: nothing to keep.
            } else if entry.deadline <= now {
                wake.extend(entry.fire());
            } else {
                let key = wheel.insert(entry.deadline, entry);
                let entry = wheel.get(key).expect("just inserted");
                entry.key.store(key, Ordering::Relaxed);
            }
        }
        Op::Cancel(entry) => {
            // The key may be stale (fired meanwhile, slot reused): check it is ours.
            let key = entry.key.load(Ordering::Relaxed);
            if wheel.get(key).is_some_and(|held| Arc::ptr_eq(held, &entry)) {
                wheel.remove(key);
            }
        }
        #[cfg(test)]
        Op::Crash => panic!("the driver was told to crash"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_driver_makes_the_next_timer_operation_panic_clearly() {
        // A driver of its own, fed from a thread of its own (a thread's batch belongs to the
        // first driver it submits to), so the process-wide driver is untouched.
        std::thread::spawn(|| {
            let parker = Parker::new();
            let driver: &'static Driver = Box::leak(Box::new(Driver::new(&parker)));
            // Kept reachable from a static, so a leak checker sees the deliberate leak (a
            // driver lives forever) as reachable memory.
            static DRIVER: std::sync::atomic::AtomicPtr<Driver> =
                std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());
            DRIVER.store(std::ptr::from_ref(driver).cast_mut(), Ordering::Relaxed);
            spawn(move || driver, parker);
            assert!(std::ptr::eq(driver.alive(), driver));
            driver.submit(Op::Crash, 0);
            // A liveness guard, not a speed bound.
            let give_up = Instant::now() + Duration::from_secs(30);
            while driver.health.load(Ordering::Relaxed) == ALIVE {
                assert!(Instant::now() < give_up, "the driver did not crash");
                std::thread::sleep(Duration::from_millis(1));
            }
            let panic = catch_unwind(AssertUnwindSafe(|| {
                driver.alive().health.load(Ordering::Relaxed)
            }))
            .expect_err("a dead driver panics");
            let message = panic
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                .expect("a text message");
            assert!(
                message.contains("timer driver thread has died"),
                "{message}"
            );
        })
        .join()
        .expect("the test thread itself does not panic");
    }
}
