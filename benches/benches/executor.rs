//! Multi-task executors side by side, suite `executor`: ours beside tokio, async-executor and
//! futures' `LocalPool` / `ThreadPool`, on the same workloads (criterion groups):
//!
//! * `executor/spawn_10k`: spawn [`SPAWNS`] tasks, then await every handle; time per task.
//! * `executor/yield_200x1000`: [`YIELD_TASKS`] tasks that each yield [`YIELDS`] times; time per
//!   yield. Each runtime uses its own yield (`executor::yield_now`, `tokio::task::yield_now`,
//!   `futures_lite::future::yield_now` elsewhere). futures' `ThreadPool` re-polls a task that
//!   woke itself in place (its `REPOLL` loop), so there a "yield" lets no other task run.
//! * `executor/pingpong_100x1000`: [`PAIRS`] pairs of tasks; in each, one sends [`ROUND_TRIPS`]
//!   pings over a bounded async-channel and the other answers each with a pong; time per
//!   message (a ping or a pong).
//! * `executor/chain_10k`: a chain of [`CHAIN`] tasks, each spawning the next before it
//!   finishes; time per task.
//!
//! One thread: ours is `Executor::new()` driven by its `block_on`; `tokio` is a current-thread
//! runtime; `async-executor` is its `Executor` driven by `block_on(ex.run(..))`;
//! `futures-localpool` is `LocalPool::run_until`.
//!
//! Two threads (the same groups with a `_2t` suffix): ours is
//! `Executor::builder().worker_threads(1)` plus the caller's `block_on`, which runs tasks too
//! (what a user who wants two threads writes); `tokio-mt2` is a multi-thread runtime with two
//! workers (its `block_on` caller runs only the main future); `async-executor-2t` is one extra
//! thread in `ex.run(..)` plus the caller's `block_on(ex.run(..))`; `futures-threadpool` is a
//! `ThreadPool` of two threads with the caller in `futures::executor::block_on`.
//!
//! A sample is driven in one of two [`Mode`]s:
//!
//! * **block_on-driven** (how users run): a fresh runtime per sample, built and dropped outside
//!   the timed span; the root future, given to the runtime's `block_on`, spawns the tasks and
//!   awaits them. The criterion runs use this mode.
//! * **run-driven** (the shape of `cargo bench -p executor`): one runtime per implementation,
//!   built once and reused by every sample; ours spawns the root future as a task and drives
//!   it with [`Executor::run`](executor::Executor::run) (with two threads, beside its worker).
//!   Peers have no `run`: they drive the root with their `block_on` on the reused runtime.
//!
//! Before each group, a short interleaved pass per mode (every implementation in turn, several
//! rounds) prints medians, ours over the fastest peer, and paired ratios that the load
//! drifting during the sequential criterion runs cannot bias; at the end, one table lists ours
//! over the fastest peer for every workload in both modes (skipped under `--profile-time`, or
//! with `EXECUTOR_BENCH_INTERLEAVED=0`; any other value runs only the groups whose name
//! contains it, e.g. `=pingpong`). To run only the interleaved passes, give criterion a
//! filter that matches no benchmark: `cargo bench -p benches --bench executor -- none`.
//!
//! Before the timed runs, `executor/bytes_per_pending_task` spawns [`PENDING`] tasks that stay
//! pending after their first poll, and prints the live heap bytes and allocations per task for
//! every implementation (measured with [`testkit::measure_allocations`]).

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use criterion::{criterion_group, criterion_main};
use futures::FutureExt;
use futures::executor::{LocalPool, LocalSpawner, ThreadPool};
use futures::future::RemoteHandle;
use futures::task::{LocalSpawnExt, SpawnExt};

#[global_allocator]
static ALLOC: testkit::CountingAlloc = testkit::CountingAlloc;

/// Tasks per `spawn_10k` run.
const SPAWNS: u64 = 10_000;
/// Tasks in `yield_200x1000`.
const YIELD_TASKS: u64 = 200;
/// Yields per task in `yield_200x1000`.
const YIELDS: u64 = 1_000;
/// Task pairs in `pingpong_100x1000`.
const PAIRS: u64 = 100;
/// Pings (each answered by a pong) per pair in `pingpong_100x1000`.
const ROUND_TRIPS: u64 = 1_000;
/// Tasks in one `chain_10k` chain.
const CHAIN: u64 = 10_000;
/// Tasks left pending for `bytes_per_pending_task`.
const PENDING: usize = 100_000;

// ---------------------------------------------------------------------------------------------
// The implementations, behind two small traits.

/// What tasks use to spawn more tasks: cheap to clone, kept inside tasks.
trait Spawner: Clone + 'static {
    /// The awaitable handle of a spawned task.
    type Handle<T: Send + 'static>: Future<Output = T> + Send + 'static;

    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Spawns a task nobody awaits.
    fn detach<F: Future<Output = ()> + Send + 'static>(&self, future: F);

    /// Spawns the next link of a chain (not always `Send`: a `LocalSpawner` is not).
    fn spawn_link(&self, link: Link<Self>);

    /// This runtime's own way to yield.
    fn yield_now() -> impl Future<Output = ()> + Send + 'static;
}

/// A runtime: something that drives a main future and the tasks it spawns.
trait Runtime {
    type S: Spawner;
    fn spawner(&self) -> Self::S;
    fn block_on<F: Future>(&self, future: F) -> F::Output;
}

/// Ours, on one thread (`Executor::new()`) or with worker threads.
struct Ours(executor::Executor);

#[derive(Clone, Copy)]
struct OursSpawner;

impl Spawner for OursSpawner {
    type Handle<T: Send + 'static> = executor::JoinHandle<T>;

    #[inline]
    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        executor::spawn(future)
    }

    #[inline]
    fn detach<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        drop(executor::spawn(future));
    }

    #[inline]
    fn spawn_link(&self, link: Link<Self>) {
        drop(executor::spawn(link));
    }

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        executor::yield_now()
    }
}

impl Runtime for Ours {
    type S = OursSpawner;
    fn spawner(&self) -> OursSpawner {
        OursSpawner
    }
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }
}

/// A tokio runtime, current-thread or multi-thread.
struct Tokio(tokio::runtime::Runtime);

#[derive(Clone, Copy)]
struct TokioSpawner;

type TokioHandle<T> =
    futures::future::Map<tokio::task::JoinHandle<T>, fn(Result<T, tokio::task::JoinError>) -> T>;

impl Spawner for TokioSpawner {
    type Handle<T: Send + 'static> = TokioHandle<T>;

    #[inline]
    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::spawn(future).map(Result::unwrap as fn(_) -> _)
    }

    #[inline]
    fn detach<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        drop(tokio::spawn(future));
    }

    #[inline]
    fn spawn_link(&self, link: Link<Self>) {
        drop(tokio::spawn(link));
    }

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        tokio::task::yield_now()
    }
}

impl Runtime for Tokio {
    type S = TokioSpawner;
    fn spawner(&self) -> TokioSpawner {
        TokioSpawner
    }
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }
}

/// An async-executor `Executor`, driven by the caller and by `extra` more threads.
struct AsyncExecutor {
    ex: Arc<async_executor::Executor<'static>>,
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl AsyncExecutor {
    /// Tasks hold an `Arc` of the executor to spawn more tasks (one clone per chain link, as
    /// a `LocalSpawner` clone is one for `LocalPool`); it is freed once the last task and
    /// thread let go, so a fresh executor per sample does not pile up.
    fn new(extra: usize) -> AsyncExecutor {
        let ex = Arc::new(async_executor::Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let threads = (0..extra)
            .map(|_| {
                let stopped = stopped.clone();
                let ex = ex.clone();
                thread::spawn(move || {
                    let _ = futures_lite::future::block_on(ex.run(stopped.recv()));
                })
            })
            .collect();
        AsyncExecutor {
            ex,
            stop: Some(stop),
            threads,
        }
    }
}

impl Drop for AsyncExecutor {
    fn drop(&mut self) {
        drop(self.stop.take()); // closes the channel: every `run` returns
        for t in self.threads.drain(..) {
            t.join().expect("an async-executor thread panicked");
        }
    }
}

#[derive(Clone)]
struct AsyncExecutorSpawner(Arc<async_executor::Executor<'static>>);

impl Spawner for AsyncExecutorSpawner {
    type Handle<T: Send + 'static> = async_executor::Task<T>;

    #[inline]
    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.spawn(future)
    }

    #[inline]
    fn detach<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        self.0.spawn(future).detach();
    }

    #[inline]
    fn spawn_link(&self, link: Link<Self>) {
        self.0.spawn(link).detach();
    }

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        futures_lite::future::yield_now()
    }
}

impl Runtime for AsyncExecutor {
    type S = AsyncExecutorSpawner;
    fn spawner(&self) -> AsyncExecutorSpawner {
        AsyncExecutorSpawner(self.ex.clone())
    }
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        futures_lite::future::block_on(self.ex.run(future))
    }
}

/// futures' `LocalPool`.
struct FuturesLocalPool {
    pool: std::cell::RefCell<LocalPool>,
    spawner: LocalSpawner,
}

impl FuturesLocalPool {
    fn new() -> FuturesLocalPool {
        let pool = LocalPool::new();
        let spawner = pool.spawner();
        FuturesLocalPool {
            pool: std::cell::RefCell::new(pool),
            spawner,
        }
    }
}

impl Spawner for LocalSpawner {
    type Handle<T: Send + 'static> = RemoteHandle<T>;

    #[inline]
    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_local_with_handle(future)
            .expect("the pool is alive")
    }

    #[inline]
    fn detach<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        self.spawn_local(future).expect("the pool is alive");
    }

    #[inline]
    fn spawn_link(&self, link: Link<Self>) {
        self.spawn_local(link).expect("the pool is alive");
    }

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        futures_lite::future::yield_now()
    }
}

impl Runtime for FuturesLocalPool {
    type S = LocalSpawner;
    fn spawner(&self) -> LocalSpawner {
        self.spawner.clone()
    }
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.pool.borrow_mut().run_until(future)
    }
}

/// futures' `ThreadPool`; the caller waits in `futures::executor::block_on`.
struct FuturesThreadPool(ThreadPool);

impl Spawner for ThreadPool {
    type Handle<T: Send + 'static> = RemoteHandle<T>;

    #[inline]
    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_with_handle(future).expect("the pool is alive")
    }

    #[inline]
    fn detach<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        self.spawn_ok(future);
    }

    #[inline]
    fn spawn_link(&self, link: Link<Self>) {
        self.spawn_ok(link);
    }

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        futures_lite::future::yield_now()
    }
}

impl Runtime for FuturesThreadPool {
    type S = ThreadPool;
    fn spawner(&self) -> ThreadPool {
        self.0.clone()
    }
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        futures::executor::block_on(future)
    }
}

// ---------------------------------------------------------------------------------------------
// The workloads, written once for every implementation.

async fn spawn_many<S: Spawner>(s: S, n: u64) {
    let handles: Vec<_> = (0..n)
        .map(|i| s.spawn(async move { black_box(i) }))
        .collect();
    for handle in handles {
        black_box(handle.await);
    }
}

async fn yield_many<S: Spawner>(s: S, tasks: u64, yields: u64) {
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            s.spawn(async move {
                for _ in 0..yields {
                    S::yield_now().await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await;
    }
}

async fn ping_pong<S: Spawner>(s: S, pairs: u64, round_trips: u64) {
    let mut handles = Vec::with_capacity(2 * pairs as usize);
    for _ in 0..pairs {
        let (ping_tx, ping_rx) = async_channel::bounded::<u64>(1);
        let (pong_tx, pong_rx) = async_channel::bounded::<u64>(1);
        handles.push(s.spawn(async move {
            for i in 0..round_trips {
                ping_tx.send(i).await.expect("the ponger is alive");
                let pong = pong_rx.recv().await.expect("the ponger is alive");
                debug_assert_eq!(pong, i);
            }
        }));
        handles.push(s.spawn(async move {
            while let Ok(i) = ping_rx.recv().await {
                pong_tx.send(i).await.expect("the pinger is alive");
            }
        }));
    }
    for handle in handles {
        handle.await;
    }
}

/// One task of a chain: spawns the next link (or, the last one, reports the end) and finishes.
struct Link<S> {
    spawner: S,
    left: u64,
    done: Option<async_channel::Sender<()>>,
}

impl<S: Spawner> Future for Link<S> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        // `Link` holds nothing pinned.
        let this = Pin::into_inner(self);
        let done = this.done.take().expect("a link is polled once");
        if this.left == 0 {
            done.try_send(()).expect("the chain's waiter is listening");
        } else {
            this.spawner.spawn_link(Link {
                spawner: this.spawner.clone(),
                left: this.left - 1,
                done: Some(done),
            });
        }
        Poll::Ready(())
    }
}

impl<S> Unpin for Link<S> {}

async fn chain<S: Spawner>(s: S, n: u64) {
    let (done, finished) = async_channel::bounded(1);
    s.spawn_link(Link {
        spawner: s.clone(),
        left: n - 1,
        done: Some(done),
    });
    finished.recv().await.expect("the chain ends");
}

// ---------------------------------------------------------------------------------------------
// The criterion groups.

/// The four timed workloads.
#[derive(Clone, Copy, Debug)]
enum Workload {
    Spawn,
    Yield,
    PingPong,
    Chain,
}

impl Workload {
    const ALL: [Workload; 4] = [
        Workload::Spawn,
        Workload::Yield,
        Workload::PingPong,
        Workload::Chain,
    ];

    fn name(self) -> &'static str {
        match self {
            Workload::Spawn => "spawn_10k",
            Workload::Yield => "yield_200x1000",
            Workload::PingPong => "pingpong_100x1000",
            Workload::Chain => "chain_10k",
        }
    }

    /// Operations per run: the throughput unit.
    fn elements(self) -> u64 {
        match self {
            Workload::Spawn => SPAWNS,
            Workload::Yield => YIELD_TASKS * YIELDS,
            Workload::PingPong => 2 * PAIRS * ROUND_TRIPS,
            Workload::Chain => CHAIN,
        }
    }

    /// Rough time of one run, to size the measurement.
    fn run_time(self) -> Duration {
        match self {
            Workload::Spawn | Workload::Chain => Duration::from_millis(3),
            Workload::Yield => Duration::from_millis(20),
            Workload::PingPong => Duration::from_millis(50),
        }
    }
}

/// How a sample drives the runtime (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// One runtime per implementation, reused; ours runs the root as a task under `run()`.
    Run,
    /// A fresh runtime per sample; the root future is given to its `block_on`.
    BlockOn,
}

impl Mode {
    const ALL: [Mode; 2] = [Mode::Run, Mode::BlockOn];

    fn name(self) -> &'static str {
        match self {
            Mode::Run => "run-driven",
            Mode::BlockOn => "block_on-driven",
        }
    }
}

/// Times one run of workload `w` on `rt`, driven by its `block_on`.
fn run_once<R: Runtime>(rt: &R, w: Workload) -> Duration {
    let s = rt.spawner();
    let start = Instant::now();
    match w {
        Workload::Spawn => rt.block_on(spawn_many(s, SPAWNS)),
        Workload::Yield => rt.block_on(yield_many(s, YIELD_TASKS, YIELDS)),
        Workload::PingPong => rt.block_on(ping_pong(s, PAIRS, ROUND_TRIPS)),
        Workload::Chain => rt.block_on(chain(s, CHAIN)),
    }
    start.elapsed()
}

/// Times one run of workload `w` on our executor, its root spawned as a task and driven by
/// [`Executor::run`](executor::Executor::run) on this thread.
fn run_driven(ex: &executor::Executor, w: Workload) -> Duration {
    let s = OursSpawner;
    let start = Instant::now();
    let root = match w {
        Workload::Spawn => ex.spawn(spawn_many(s, SPAWNS)),
        Workload::Yield => ex.spawn(yield_many(s, YIELD_TASKS, YIELDS)),
        Workload::PingPong => ex.spawn(ping_pong(s, PAIRS, ROUND_TRIPS)),
        Workload::Chain => ex.spawn(chain(s, CHAIN)),
    };
    ex.run();
    let elapsed = start.elapsed();
    assert!(
        root.is_finished(),
        "run() returned before the root task finished"
    );
    elapsed
}

/// One sample of a peer (or of ours, block_on-driven): on `reused` (run-driven) or on a
/// runtime fresh from `fresh` (block_on-driven), built and dropped outside the timed span.
fn peer_sample<R: Runtime>(reused: &R, fresh: impl Fn() -> R, w: Workload, m: Mode) -> Duration {
    match m {
        Mode::Run => run_once(reused, w),
        Mode::BlockOn => {
            let rt = fresh();
            let elapsed = run_once(&rt, w);
            drop(rt);
            elapsed
        }
    }
}

/// One sample of ours, as [`peer_sample`] but run-driven by [`run_driven`].
fn ours_sample(reused: &Ours, fresh: impl Fn() -> Ours, w: Workload, m: Mode) -> Duration {
    match m {
        Mode::Run => run_driven(&reused.0, w),
        Mode::BlockOn => peer_sample(reused, fresh, w, m),
    }
}

/// An implementation under its function id: runs a workload once in a mode and says how long
/// it took.
type Imp<'a> = (&'static str, &'a dyn Fn(Workload, Mode) -> Duration);

/// Ours over the fastest peer (medians of an interleaved pass), per workload, mode and thread
/// count, for the closing table.
static SUMMARY: Mutex<Vec<(String, Mode, benches::Interleaved)>> = Mutex::new(Vec::new());

/// An untimed-by-criterion cross-check that the load drifting between one implementation's
/// criterion run and the next cannot bias: `rounds` times, every implementation runs the
/// workload once in turn, in mode `m`. Prints the summary of [`benches::print_interleaved`].
fn interleaved(name: &str, w: Workload, m: Mode, rounds: usize, imps: &[Imp<'_>]) {
    let mut times = vec![Vec::with_capacity(rounds); imps.len()];
    for _ in 0..rounds {
        for (t, (_, run)) in times.iter_mut().zip(imps) {
            t.push(run(w, m).as_nanos() as f64 / w.elements() as f64);
        }
    }
    let ids: Vec<&str> = imps.iter().map(|(id, _)| *id).collect();
    let summary = benches::print_interleaved(&format!("{name} {}", m.name()), &ids, &times);
    SUMMARY
        .lock()
        .expect("no bench panicked while holding the summary")
        .push((name.to_string(), m, summary));
}

/// Whether to run the interleaved passes of group `name`: not under `--profile-time` (a
/// profile should see only the filtered benchmark), nor with `EXECUTOR_BENCH_INTERLEAVED=0`;
/// any other value of it runs only the groups whose name contains it.
fn interleaving_wanted(name: &str) -> bool {
    let only = std::env::var("EXECUTOR_BENCH_INTERLEAVED").unwrap_or_default();
    only != "0" && name.contains(only.as_str()) && !std::env::args().any(|a| a == "--profile-time")
}

/// Runs every workload in its group `executor/<workload><suffix>`: first the interleaved pass
/// in both modes, then each implementation under criterion, block_on-driven. `imps[0]` is ours.
fn run_groups(c: &mut Criterion, suffix: &str, imps: &[Imp<'_>]) {
    for w in Workload::ALL {
        let name = format!("executor/{}{suffix}", w.name());
        for (_, run) in imps {
            run(w, Mode::Run); // lets thread-locals, lazy state and queues settle
        }
        if interleaving_wanted(&name) {
            let rounds = (Duration::from_millis(400).as_nanos() / w.run_time().as_nanos()) as usize;
            for m in Mode::ALL {
                interleaved(&name, w, m, rounds.clamp(8, 60), imps);
            }
        }
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(w.elements()))
            .sampling_mode(SamplingMode::Flat);
        testkit::GroupDefaults {
            sample_size: 10,
            warm_up_time: Duration::from_millis(300),
            measurement_time: Duration::from_millis(1500).max(w.run_time() * 25),
        }
        .apply(&mut g);
        for (id, run) in imps {
            g.bench_function(*id, |b| {
                b.iter_custom(|iters| (0..iters).map(|_| run(w, Mode::BlockOn)).sum())
            });
        }
        g.finish();
    }
}

impl Ours {
    fn one_thread() -> Ours {
        Ours(executor::Executor::new())
    }
    /// One worker thread plus the caller of `block_on` or `run`.
    fn two_threads() -> Ours {
        Ours(executor::Executor::builder().worker_threads(1).build())
    }
}

impl Tokio {
    fn current_thread() -> Tokio {
        Tokio(
            tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a current-thread tokio runtime"),
        )
    }
    fn multi_thread() -> Tokio {
        Tokio(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .expect("a multi-thread tokio runtime"),
        )
    }
}

impl FuturesThreadPool {
    fn two_threads() -> FuturesThreadPool {
        FuturesThreadPool(
            ThreadPool::builder()
                .pool_size(2)
                .create()
                .expect("a futures thread pool"),
        )
    }
}

/// One line-up of the four implementations: how to build each (the one reused in the
/// run-driven mode is built here once), and their function ids.
struct LineUp<P> {
    suffix: &'static str,
    ids: [&'static str; 4],
    ours: fn() -> Ours,
    tokio: fn() -> Tokio,
    async_executor_threads: usize,
    futures: fn() -> P,
}

impl<P: Runtime> LineUp<P> {
    fn run(self, c: &mut Criterion) {
        let (ours, tokio, ae, pool) = (
            (self.ours)(),
            (self.tokio)(),
            AsyncExecutor::new(self.async_executor_threads),
            (self.futures)(),
        );
        let extra = self.async_executor_threads;
        let [id0, id1, id2, id3] = self.ids;
        run_groups(
            c,
            self.suffix,
            &[
                (id0, &|w, m| ours_sample(&ours, self.ours, w, m)),
                (id1, &|w, m| peer_sample(&tokio, self.tokio, w, m)),
                (id2, &|w, m| {
                    peer_sample(&ae, || AsyncExecutor::new(extra), w, m)
                }),
                (id3, &|w, m| peer_sample(&pool, self.futures, w, m)),
            ],
        );
    }
}

fn one_thread(c: &mut Criterion) {
    LineUp {
        suffix: "",
        ids: ["ours", "tokio", "async-executor", "futures-localpool"],
        ours: Ours::one_thread,
        tokio: Tokio::current_thread,
        async_executor_threads: 0,
        futures: FuturesLocalPool::new,
    }
    .run(c);
}

fn two_threads(c: &mut Criterion) {
    LineUp {
        suffix: "_2t",
        ids: [
            "ours",
            "tokio-mt2",
            "async-executor-2t",
            "futures-threadpool",
        ],
        ours: Ours::two_threads,
        tokio: Tokio::multi_thread,
        async_executor_threads: 1,
        futures: FuturesThreadPool::two_threads,
    }
    .run(c);
}

/// Prints, after every group ran, ours over the fastest peer for each workload in both modes.
fn summary(_: &mut Criterion) {
    let rows = SUMMARY
        .lock()
        .expect("no bench panicked while holding the summary");
    if rows.is_empty() {
        return;
    }
    println!("executor interleaved summary: ours / fastest peer (medians), by mode");
    println!("| workload | run-driven | block_on-driven |");
    println!("|---|---|---|");
    let mut names: Vec<&str> = rows.iter().map(|(n, _, _)| n.as_str()).collect();
    names.dedup();
    for name in names {
        let cell = |m: Mode| {
            rows.iter()
                .find(|(n, mode, _)| n == name && *mode == m)
                .map_or_else(String::new, |(_, _, s)| {
                    format!("{:.2}x {}", s.ours_over_fastest, s.fastest_peer)
                })
        };
        println!("| {name} | {} | {} |", cell(Mode::Run), cell(Mode::BlockOn));
    }
}

// ---------------------------------------------------------------------------------------------
// Memory per pending task.

/// Tasks of `bytes_per_pending_task` that have had their first poll.
static POLLED: AtomicUsize = AtomicUsize::new(0);

/// A task that stays pending after its first poll, holding a clone of its waker the way a
/// task waiting on a channel or a timer has its waker registered somewhere. (Without that,
/// futures' `ThreadPool` would free a task nobody can wake, and report nothing.)
struct PendingForever {
    waker: Option<Waker>,
}

impl Future for PendingForever {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.waker.is_none() {
            POLLED.fetch_add(1, Ordering::Relaxed);
            self.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Spawns `n` [`PendingForever`] tasks (their handles dropped or detached) and returns the
/// live heap growth and the allocations, both per task, once all were polled.
fn pending_cost<R: Runtime>(rt: &R, n: usize) -> (f64, f64) {
    let s = rt.spawner();
    rt.block_on(spawn_many(s.clone(), 10)); // lets thread-locals and lazy state settle
    POLLED.store(0, Ordering::SeqCst);
    let ((), stats) = testkit::measure_allocations(|| {
        rt.block_on(async {
            for _ in 0..n {
                s.detach(PendingForever { waker: None });
            }
            while POLLED.load(Ordering::Relaxed) < n {
                R::S::yield_now().await;
            }
        });
    });
    (
        stats.net_bytes as f64 / n as f64,
        stats.allocations as f64 / n as f64,
    )
}

fn bytes_per_pending_task(_: &mut Criterion) {
    let line = |id: &str, (bytes, allocs): (f64, f64)| {
        println!(
            "executor/bytes_per_pending_task/{id}: {bytes:.1} bytes, {allocs:.2} allocations per \
             pending task ({PENDING} tasks)"
        );
    };
    println!("executor/bytes_per_pending_task: live heap growth per task after its first poll");
    // Each runtime is dropped right after its line, cancelling its pending tasks. futures'
    // `ThreadPool` tasks stay (each holds its own waker, and the pool does not cancel tasks
    // when dropped): a few MiB, once per run.
    line(
        "ours",
        pending_cost(&Ours(executor::Executor::new()), PENDING),
    );
    let tokio = Tokio(
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread tokio runtime"),
    );
    line("tokio", pending_cost(&tokio, PENDING));
    drop(tokio);
    line(
        "async-executor",
        pending_cost(&AsyncExecutor::new(0), PENDING),
    );
    line(
        "futures-localpool",
        pending_cost(&FuturesLocalPool::new(), PENDING),
    );
    line(
        "ours-2t",
        pending_cost(
            &Ours(executor::Executor::builder().worker_threads(1).build()),
            PENDING,
        ),
    );
    let tokio = Tokio(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("a multi-thread tokio runtime"),
    );
    line("tokio-mt2", pending_cost(&tokio, PENDING));
    drop(tokio);
    line(
        "async-executor-2t",
        pending_cost(&AsyncExecutor::new(1), PENDING),
    );
    let pool = ThreadPool::builder()
        .pool_size(2)
        .create()
        .expect("a futures thread pool");
    line(
        "futures-threadpool",
        pending_cost(&FuturesThreadPool(pool), PENDING),
    );
}

criterion_group!(
    executor_benches,
    bytes_per_pending_task,
    one_thread,
    two_threads,
    summary
);
criterion_main!(executor_benches);
