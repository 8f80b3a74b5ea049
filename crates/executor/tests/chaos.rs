//! A seeded chaos test of the whole runtime: `Executor` (with and without worker threads) and
//! `LocalExecutor`, under a random mix of everything a real program does to it at once.
//!
//! Each run, from one seed, spawns tasks that finish at once, yield in loops, sleep on the
//! timer driver (so the driver thread wakes them), wait for wakes from a foreign thread, block
//! or compute inside a poll, panic, panic in their future's drop, spawn children, or stay
//! pending forever; some have their timers registered by short-lived threads. Meanwhile handles
//! are kept, dropped, or aborted, a foreign thread wakes tasks at random (before, during and
//! after the drop), and the executor is dropped in the middle of all of it (sometimes by one
//! of its own tasks). Then it checks:
//!
//! * every kept `JoinHandle` resolves within a deadline, with a result its task could give
//!   (the output, a panic, or a cancellation; never an output after a panicking drop);
//! * every future is dropped exactly once (a counter per future);
//! * every timer fires or is cancelled: a task awaiting a timer registered elsewhere finishes
//!   or is cancelled, never hangs;
//! * no abort (the process survives) and no hang (the deadline).
//!
//! `cargo test -p executor --test chaos` runs a few seeds (a few seconds). A failing run
//! prints its seed; `CHAOS_SEED=<seed>` replays exactly that seed's plan (thread timing still
//! varies). `cargo test -p executor --release --test chaos -- --ignored` runs new seeds for
//! `CHAOS_MINUTES` minutes (default 3).

mod common;

use std::future::{Future, pending, poll_fn};
use std::panic;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use block_on::block_on;
use common::within;
use executor::{Executor, JoinError, JoinHandle, LocalExecutor, spawn, yield_now};

/// Generous: only turns a hang into a failure.
const DEADLINE: Duration = Duration::from_secs(60);
/// Seeds of the short run (CI).
pub(crate) const CI_SEEDS: u64 = 30;
/// Futures one run may track (tasks and their children).
const MAX_FUTURES: usize = 1024;
/// Every panic this file causes on purpose starts with this, so the hook can keep quiet.
const CHAOS: &str = "chaos:";

/// splitmix64: a small, seedable generator, so that a seed replays the same plan.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// What one run shares between its tasks, its foreign threads and its checks.
struct World {
    /// Drops of each tracked future, by id.
    drops: Vec<AtomicU8>,
    next_id: AtomicUsize,
    /// Wakers published by tasks waiting for the foreign waker.
    wakers: Mutex<Vec<Waker>>,
    stop: AtomicBool,
}

impl World {
    fn new() -> Arc<World> {
        Arc::new(World {
            drops: (0..MAX_FUTURES).map(|_| AtomicU8::new(0)).collect(),
            next_id: AtomicUsize::new(0),
            wakers: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        })
    }

    /// A fresh id, or `None` when the run has tracked as many futures as it can.
    fn id(&self) -> Option<usize> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        (id < MAX_FUTURES).then_some(id)
    }
}

/// A future that counts its own drop, and may panic in it.
struct Tracked<F> {
    inner: Pin<Box<F>>,
    id: usize,
    world: Arc<World>,
    panic_on_drop: bool,
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<F> Drop for Tracked<F> {
    fn drop(&mut self) {
        self.world.drops[self.id].fetch_add(1, Ordering::SeqCst);
        if self.panic_on_drop && !thread::panicking() {
            panic!("{CHAOS} a future whose drop panics");
        }
    }
}

/// What a task does.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Ready,
    Yields(u32),
    SelfWakingForever,
    Sleeps(u64),
    SleepPast,
    ForeignWake,
    Blocks(u64),
    Computes(u64),
    Panics,
    Spawner(u32),
    PendingForever,
    TimerFromShortLivedThread(u64),
}

impl Kind {
    fn pick(rng: &mut Rng, short_lived_timers: bool) -> Kind {
        match rng.below(12) {
            0 => Kind::Ready,
            1 => Kind::Yields(rng.below(200) as u32),
            2 => Kind::SelfWakingForever,
            3 => Kind::Sleeps(rng.below(3000)),
            4 => Kind::SleepPast,
            5 => Kind::ForeignWake,
            6 => Kind::Blocks(rng.below(2)),
            7 => Kind::Computes(rng.below(300)),
            8 => Kind::Panics,
            9 => Kind::Spawner(rng.below(4) as u32),
            10 if short_lived_timers => Kind::TimerFromShortLivedThread(rng.below(3000)),
            _ => Kind::PendingForever,
        }
    }

    /// Whether the task can finish with its output (if nothing cancels it).
    fn can_finish(self) -> bool {
        !matches!(
            self,
            Kind::SelfWakingForever | Kind::Panics | Kind::PendingForever
        )
    }
}

/// Waits for one wake from the foreign waker thread.
fn foreign_wake(world: Arc<World>) -> impl Future<Output = ()> + Send {
    let mut registered = false;
    poll_fn(move |cx| {
        if registered {
            return Poll::Ready(());
        }
        registered = true;
        world.wakers.lock().unwrap().push(cx.waker().clone());
        Poll::Pending
    })
}

/// A sleep registered by a thread that exits right after: the awaiting task gets it later.
fn timer_from_short_lived_thread(micros: u64) -> impl Future<Output = ()> + Send {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut sleep = timers::sleep(Duration::from_micros(micros));
        let waker = wakers::noop_waker();
        let _ = Pin::new(&mut sleep).poll(&mut Context::from_waker(&waker));
        let _ = tx.send(sleep);
    });
    async move {
        let sleep = rx.recv().expect("the registering thread sends its sleep");
        sleep.await
    }
}

/// The body of a task of `kind`; returns `id` if it finishes.
async fn body(kind: Kind, id: usize, world: Arc<World>, depth: u32) -> u64 {
    match kind {
        Kind::Ready => {}
        Kind::Yields(n) => {
            for _ in 0..n {
                yield_now().await;
            }
        }
        Kind::SelfWakingForever => loop {
            yield_now().await;
        },
        Kind::Sleeps(micros) => timers::sleep(Duration::from_micros(micros)).await,
        Kind::SleepPast => {
            let past = Instant::now();
            for _ in 0..300 {
                timers::sleep_until(past).await;
            }
        }
        Kind::ForeignWake => foreign_wake(world.clone()).await,
        Kind::Blocks(ms) => thread::sleep(Duration::from_millis(ms)),
        Kind::Computes(micros) => {
            let start = Instant::now();
            while start.elapsed() < Duration::from_micros(micros) {
                std::hint::spin_loop();
            }
        }
        Kind::Panics => {
            yield_now().await;
            panic!("{CHAOS} a task that panics");
        }
        Kind::Spawner(children) => {
            let mut handles = Vec::new();
            for i in 0..children {
                if depth >= 2 {
                    break;
                }
                let child_kind = [Kind::Ready, Kind::Yields(3), Kind::Sleeps(500)][i as usize % 3];
                if let Some(child) = tracked(child_kind, &world, false, depth + 1) {
                    handles.push(spawn(child.1));
                }
            }
            for handle in handles {
                // The child may be cancelled by the executor's drop: that is fine.
                let _ = handle.try_join().await;
            }
        }
        Kind::PendingForever => pending::<()>().await,
        Kind::TimerFromShortLivedThread(micros) => timer_from_short_lived_thread(micros).await,
    }
    id as u64
}

type Task = Tracked<Pin<Box<dyn Future<Output = u64> + Send>>>;

/// A tracked future of `kind`, with its id (`None` once the run is out of ids).
fn tracked(
    kind: Kind,
    world: &Arc<World>,
    panic_on_drop: bool,
    depth: u32,
) -> Option<(usize, Task)> {
    let id = world.id()?;
    let inner: Pin<Box<dyn Future<Output = u64> + Send>> =
        Box::pin(body(kind, id, world.clone(), depth));
    Some((
        id,
        Tracked {
            inner: Box::pin(inner),
            id,
            world: world.clone(),
            panic_on_drop,
        },
    ))
}

/// A kept handle and what its task may legally end with.
struct Kept {
    id: usize,
    kind: Kind,
    panic_on_drop: bool,
    handle: JoinHandle<u64>,
}

/// What to do with each new handle.
fn keep_drop_or_abort(rng: &mut Rng, kept: &mut Vec<Kept>, new: Kept) {
    match rng.below(10) {
        0..=1 => drop(new.handle),
        2 => {
            new.handle.abort();
            kept.push(new);
        }
        _ => kept.push(new),
    }
}

/// Wakes the published wakers at random, from before the drop until told to stop.
fn foreign_waker(world: Arc<World>, seed: u64) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut rng = Rng(seed ^ 0x5eed);
        while !world.stop.load(Ordering::Acquire) {
            let taken: Vec<Waker> = {
                let mut wakers = world.wakers.lock().unwrap();
                let n = wakers.len();
                let k = if n == 0 {
                    0
                } else {
                    rng.below(n as u64 + 1) as usize
                };
                wakers.drain(..k).collect()
            };
            for waker in taken {
                waker.wake();
            }
            thread::sleep(Duration::from_micros(rng.below(500)));
        }
        // Wakers left over are woken after the drop, then dropped here.
        for waker in std::mem::take(&mut *world.wakers.lock().unwrap()) {
            waker.wake();
        }
    })
}

/// Checks one kept handle's result against its task.
fn check(seed: u64, kept: Kept) {
    let Kept {
        id,
        kind,
        panic_on_drop,
        handle,
    } = kept;
    let result: Result<u64, JoinError> = block_on(handle.try_join());
    match result {
        Ok(out) => {
            assert!(
                kind.can_finish() && !panic_on_drop,
                "seed {seed}: task {id} ({kind:?}, panic_on_drop {panic_on_drop}) gave an output"
            );
            assert_eq!(
                out, id as u64,
                "seed {seed}: task {id} gave another task's output"
            );
        }
        Err(err) if err.is_panic() => assert!(
            panic_on_drop || matches!(kind, Kind::Panics),
            "seed {seed}: task {id} ({kind:?}) panicked"
        ),
        Err(err) => assert!(err.is_cancelled(), "seed {seed}: task {id}: {err:?}"),
    }
}

/// Which executor a run drives.
#[derive(Debug, Clone, Copy)]
enum Flavour {
    /// `Executor` with this many workers (0: driven by `block_on` on the test thread).
    Shared {
        workers: usize,
        dropped_by_own_task: bool,
    },
    Local,
}

/// Spawns the plan's tasks through `spawn`, returns the handles kept.
fn spawn_plan(
    rng: &mut Rng,
    world: &Arc<World>,
    tasks: usize,
    short_lived_timers: bool,
    mut spawn: impl FnMut(Task) -> JoinHandle<u64>,
) -> Vec<Kept> {
    let mut kept = Vec::new();
    for _ in 0..tasks {
        let kind = Kind::pick(rng, short_lived_timers);
        let panic_on_drop = rng.chance(5);
        let Some((id, task)) = tracked(kind, world, panic_on_drop, 0) else {
            break;
        };
        let handle = spawn(task);
        let new = Kept {
            id,
            kind,
            panic_on_drop,
            handle,
        };
        keep_drop_or_abort(rng, &mut kept, new);
    }
    kept
}

/// One chaos run from `seed`.
fn run_seed(seed: u64) {
    let mut rng = Rng(seed);
    let short_lived_timers = std::env::var_os("CHAOS_NO_SHORT_LIVED_TIMERS").is_none();
    let flavour = match rng.below(4) {
        0 => Flavour::Local,
        1 => Flavour::Shared {
            workers: 0,
            dropped_by_own_task: false,
        },
        _ => Flavour::Shared {
            workers: 1 + rng.below(2) as usize,
            dropped_by_own_task: rng.chance(40),
        },
    };
    let tasks = 50 + rng.below(150) as usize;
    let run_for = Duration::from_millis(rng.below(40));
    eprintln!("chaos: seed {seed}: {flavour:?}, {tasks} tasks, drop after {run_for:?}");
    let world = World::new();
    let waker_thread = foreign_waker(world.clone(), seed);
    let kept = match flavour {
        Flavour::Local => {
            let world2 = world.clone();
            let plan_rng = rng.next();
            thread::spawn(move || {
                let mut rng = Rng(plan_rng);
                let ex = LocalExecutor::new();
                let kept = spawn_plan(&mut rng, &world2, tasks, short_lived_timers, |t| {
                    ex.spawn(t)
                });
                ex.block_on(timers::sleep(run_for));
                drop(ex);
                kept
            })
            .join()
            .expect("the local executor's thread does not panic")
        }
        Flavour::Shared {
            workers,
            dropped_by_own_task,
        } => {
            let ex = Arc::new(Executor::builder().worker_threads(workers).build());
            let mut kept = spawn_plan(&mut rng, &world, tasks, short_lived_timers, |t| ex.spawn(t));
            let drop_now = Arc::new(AtomicBool::new(false));
            if dropped_by_own_task && let Some(id) = world.id() {
                // A task holding a reference to its own executor, dropped from inside a poll
                // (perhaps the last one), followed by a spawn on the dropped executor.
                let (mine, go) = (Mutex::new(Some(ex.clone())), drop_now.clone());
                let dropper = async move {
                    while !go.load(Ordering::Acquire) {
                        timers::sleep(Duration::from_micros(200)).await;
                    }
                    drop(mine.lock().unwrap().take());
                    let _ = spawn(async { 1u64 }).try_join().await;
                    id as u64
                };
                let task = Tracked {
                    inner: Box::pin(Box::pin(dropper) as Pin<Box<dyn Future<Output = u64> + Send>>),
                    id,
                    world: world.clone(),
                    panic_on_drop: false,
                };
                kept.push(Kept {
                    id,
                    kind: Kind::Ready,
                    panic_on_drop: false,
                    handle: ex.spawn(task),
                });
            }
            if workers == 0 {
                ex.block_on(timers::sleep(run_for));
            } else {
                thread::sleep(run_for);
            }
            drop_now.store(true, Ordering::Release);
            drop(ex);
            kept
        }
    };
    for handle in kept {
        check(seed, handle);
    }
    world.stop.store(true, Ordering::Release);
    waker_thread.join().unwrap();
    // Detached tasks of an executor dropped by its own task may still be finishing on that
    // worker; every future is dropped exactly once in the end.
    let made = world.next_id.load(Ordering::Relaxed).min(MAX_FUTURES);
    let start = Instant::now();
    loop {
        let counts: Vec<u8> = world.drops[..made]
            .iter()
            .map(|d| d.load(Ordering::SeqCst))
            .collect();
        if let Some(id) = counts.iter().position(|&c| c > 1) {
            panic!("seed {seed}: future {id} dropped {} times", counts[id]);
        }
        match counts.iter().position(|&c| c == 0) {
            None => break,
            Some(id) if start.elapsed() > Duration::from_secs(10) => {
                panic!("seed {seed}: future {id} never dropped (leaked task)")
            }
            Some(_) => thread::sleep(Duration::from_millis(1)),
        }
    }
}

/// Keeps the panics this file causes on purpose off the output; others print as usual.
fn quiet_chaos_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            if !message.starts_with(CHAOS) {
                default(info);
            }
        }));
    });
}

/// Runs each seed under the deadline; a failure names the seed that replays it. Also run
/// by the reactor's `chaos_folded` test, with every timer folded into the reactor's waits.
pub(crate) fn run_seeds(seeds: impl Iterator<Item = u64>) {
    quiet_chaos_panics();
    for seed in seeds {
        let result = panic::catch_unwind(|| within(DEADLINE, move || run_seed(seed)));
        assert!(
            result.is_ok(),
            "chaos: seed {seed} failed (see above); replay it with CHAOS_SEED={seed}"
        );
    }
}

#[test]
fn chaos_a_few_seeds() {
    if let Some(seed) = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return run_seeds(std::iter::once(seed));
    }
    run_seeds(1..=CI_SEEDS);
}

#[test]
#[ignore = "minutes long: cargo test -p executor --release --test chaos -- --ignored"]
fn chaos_for_minutes() {
    let minutes: u64 = std::env::var("CHAOS_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(3);
    let until = Instant::now() + Duration::from_secs(60 * minutes);
    let first = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1000, |d| d.as_secs());
    let seeds = (first..).take_while(move |_| Instant::now() < until);
    run_seeds(seeds);
}
