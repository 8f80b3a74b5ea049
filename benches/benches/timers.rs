//! Timers side by side: ours, tokio's (current-thread runtime with time enabled), async-io's
//! `Timer` and futures-timer's `Delay`, on these workloads:
//!
//! * `timers/create_poll_drop` (criterion): create a timer due in 1 s (each library's "sleep
//!   for a duration"), poll it once with a no-op waker, drop it; [`CREATE_POLL_DROP`] of them
//!   per iteration, reported per timer.
//! * `timers/sleep_100k` (criterion): [`MANY`] sleeps of random length in 0-100 ms, all
//!   awaited at once on one thread (a `FuturesUnordered` under each runtime's own
//!   `block_on`); wall time per run.
//! * Lateness (printed table): how long after its deadline each sleep of the two workloads
//!   below was seen done: the 100k sleeps of 0-100 ms, and 1000 sleeps spread over 1 s (one
//!   per ms, at a random point of it). Each workload runs [`LATENESS_RUNS`] times per
//!   implementation and the run with the median p99 is shown.
//! * Lateness of sleeps in spawned tasks (printed table): the 100k sleeps of 0-100 ms, each
//!   awaited in a task of its own, all spawned from the root future of the runtime's
//!   `block_on` on one thread (ours: `Executor::block_on`; tokio: a current-thread runtime),
//!   so fired timers must be handed to a thread that is busy running tasks. Runs are
//!   interleaved, ours then tokio, [`LATENESS_RUNS`] rounds; medians of each percentile.
//! * The percentiles of every lateness workload also go to `timers-lateness.csv` in cargo's
//!   `target/tmp`, for the distribution chart of `cargo xtask bench`.
//! * Create + first poll + drop, interleaved (printed table): ours and tokio alternate in
//!   [`INTERLEAVED_ROUNDS`] rounds of [`INTERLEAVED_TIMERS`] timers; the median ns per timer
//!   of each and their ratio. Timed by the thread's CPU clock, not the wall clock, so time
//!   spent descheduled on a loaded machine does not count; alternating makes both see the
//!   same caches and frequency. For a count that load does not blur, `benches/examples/
//!   timer_cost.rs` gives instructions per timer of the same workload under callgrind.
//! * Memory per pending timer (printed table): heap bytes per timer, the future's own box
//!   included, counted by this binary's global allocator over [`MEMORY_TIMERS`] timers.
//!
//! Every implementation runs the very same construction; only the timer type changes.

use std::future::Future;
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::task::Context;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use criterion::{criterion_group, criterion_main};
use futures::stream::{FuturesUnordered, StreamExt};

/// Timers per `timers/create_poll_drop` iteration.
const CREATE_POLL_DROP: u64 = 1_000_000;
/// Sleeps per `timers/sleep_100k` run.
const MANY: usize = 100_000;
/// Runs of each lateness workload; the median run (by p99) is printed.
const LATENESS_RUNS: usize = 3;
/// Rounds of the interleaved create + poll + drop pass.
const INTERLEAVED_ROUNDS: usize = 15;
/// Timers per implementation per round of that pass.
const INTERLEAVED_TIMERS: u32 = 200_000;
/// Pending timers in the memory measurement.
const MEMORY_TIMERS: usize = 100_000;

#[global_allocator]
static ALLOC: testkit::CountingAlloc = testkit::CountingAlloc;

// ---------------------------------------------------------------------------------------------
// The implementations.

/// One timer implementation, with the runtime it needs.
trait Timers {
    /// The criterion function id.
    const ID: &'static str;
    /// Runs `f` where this implementation's timers work (inside the runtime, if any).
    fn enter<R>(&self, f: impl FnOnce() -> R) -> R;
    /// Drives `future` to completion on this thread with the runtime's own `block_on`.
    fn block_on<F: Future>(&self, future: F) -> F::Output;
    /// A timer due at `deadline`.
    fn at(&self, deadline: Instant) -> impl Future<Output = ()> + 'static;
    /// A timer due `duration` from now, made the way the library's users make one.
    fn after(&self, duration: Duration) -> impl Future<Output = ()> + 'static;
}

struct Ours;
impl Timers for Ours {
    const ID: &'static str = "ours";
    fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        f()
    }
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        block_on::block_on(future)
    }
    fn at(&self, deadline: Instant) -> impl Future<Output = ()> + 'static {
        timers::sleep_until(deadline)
    }
    fn after(&self, duration: Duration) -> impl Future<Output = ()> + 'static {
        timers::sleep(duration)
    }
}

struct Tokio(tokio::runtime::Runtime);
impl Timers for Tokio {
    const ID: &'static str = "tokio";
    fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.0.enter();
        f()
    }
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        // `unconstrained`: tokio's cooperative budget would otherwise make its timers return
        // `Pending` after 128 polls per task turn, which with 100k timers in one task turns
        // into a quadratic crawl (tens of seconds) that says nothing about its timer wheel.
        self.0.block_on(tokio::task::unconstrained(future))
    }
    fn at(&self, deadline: Instant) -> impl Future<Output = ()> + 'static {
        tokio::time::sleep_until(deadline.into())
    }
    fn after(&self, duration: Duration) -> impl Future<Output = ()> + 'static {
        tokio::time::sleep(duration)
    }
}

struct AsyncIo;
impl Timers for AsyncIo {
    const ID: &'static str = "async-io";
    fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        f()
    }
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        async_io::block_on(future)
    }
    fn at(&self, deadline: Instant) -> impl Future<Output = ()> + 'static {
        let timer = async_io::Timer::at(deadline);
        async move {
            timer.await;
        }
    }
    fn after(&self, duration: Duration) -> impl Future<Output = ()> + 'static {
        let timer = async_io::Timer::after(duration);
        async move {
            timer.await;
        }
    }
}

struct FuturesTimer;
impl Timers for FuturesTimer {
    const ID: &'static str = "futures-timer";
    fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        f()
    }
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        futures::executor::block_on(future)
    }
    fn at(&self, deadline: Instant) -> impl Future<Output = ()> + 'static {
        // futures-timer has no "at": the delay counts from now, as close to `deadline` as we get.
        futures_timer::Delay::new(deadline.saturating_duration_since(Instant::now()))
    }
    fn after(&self, duration: Duration) -> impl Future<Output = ()> + 'static {
        futures_timer::Delay::new(duration)
    }
}

fn tokio_runtime() -> Tokio {
    Tokio(
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("tokio runtime"),
    )
}

/// Calls `f` once for each implementation.
macro_rules! for_each_impl {
    ($f:ident $(, $arg:expr)*) => {{
        $f(&Ours $(, $arg)*);
        $f(&tokio_runtime() $(, $arg)*);
        $f(&AsyncIo $(, $arg)*);
        $f(&FuturesTimer $(, $arg)*);
    }};
}

// ---------------------------------------------------------------------------------------------
// Workloads.

/// Creates a timer due in 1 s, polls it once with a no-op waker, drops it.
#[inline]
fn create_poll_drop<T: Timers>(t: &T, cx: &mut Context<'_>) {
    let timer = pin!(t.after(Duration::from_secs(1)));
    black_box(timer.poll(cx)).is_ready();
}

/// Deterministic pseudo-random durations below `max`.
fn random_durations(n: usize, max: Duration, mut seed: u64) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            Duration::from_nanos(seed % max.as_nanos() as u64)
        })
        .collect()
}

/// Awaits one sleep per offset, all at once, on this thread; returns each one's lateness.
fn sleep_all<T: Timers>(t: &T, offsets: &[Duration]) -> Vec<Duration> {
    t.block_on(async {
        let start = Instant::now();
        let mut all: FuturesUnordered<_> = offsets
            .iter()
            .map(|d| {
                let deadline = start + *d;
                let timer = t.at(deadline);
                async move {
                    timer.await;
                    Instant::now().saturating_duration_since(deadline)
                }
            })
            .collect();
        let mut lateness = Vec::with_capacity(offsets.len());
        while let Some(late) = all.next().await {
            lateness.push(late);
        }
        lateness
    })
}

/// Heap bytes and allocations per pending timer, with the timer's own future boxed.
fn memory_per_timer<T: Timers>(t: &T) -> (f64, f64) {
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut held: Vec<Pin<Box<dyn Future<Output = ()>>>> = Vec::with_capacity(MEMORY_TIMERS);
    t.enter(|| {
        // Warm up whatever the implementation starts lazily (threads, queues).
        let mut warm = Box::pin(t.at(Instant::now() + Duration::from_secs(60)));
        let _ = warm.as_mut().poll(&mut cx);
        drop(warm);
        std::thread::sleep(Duration::from_millis(50));

        let window = testkit::AllocWindow::open();
        let deadline = Instant::now() + Duration::from_secs(3600);
        for i in 0..MEMORY_TIMERS {
            let mut timer: Pin<Box<dyn Future<Output = ()>>> =
                Box::pin(t.at(deadline + Duration::from_micros(i as u64)));
            assert!(timer.as_mut().poll(&mut cx).is_pending());
            held.push(timer);
        }
        // Let driver threads take in what was queued.
        std::thread::sleep(Duration::from_millis(200));
        let stats = window.stats();
        drop(window);
        let live = stats.net_bytes as f64;
        let allocs = stats.allocations as f64;
        drop(held);
        (live / MEMORY_TIMERS as f64, allocs / MEMORY_TIMERS as f64)
    })
}

/// Ours: each sleep in a task of its own, spawned from the root of `Executor::block_on`.
fn spawned_ours(offsets: &[Duration]) -> Vec<Duration> {
    let ex = executor::Executor::new();
    ex.block_on(async {
        let start = Instant::now();
        let handles: Vec<_> = offsets
            .iter()
            .map(|d| {
                let deadline = start + *d;
                executor::spawn(async move {
                    timers::sleep_until(deadline).await;
                    Instant::now().saturating_duration_since(deadline)
                })
            })
            .collect();
        let mut lateness = Vec::with_capacity(handles.len());
        for handle in handles {
            lateness.push(handle.await);
        }
        lateness
    })
}

/// Tokio: the same shape on a current-thread runtime.
fn spawned_tokio(offsets: &[Duration]) -> Vec<Duration> {
    let rt = tokio_runtime().0;
    rt.block_on(async {
        let start = Instant::now();
        let handles: Vec<_> = offsets
            .iter()
            .map(|d| {
                let deadline = start + *d;
                tokio::spawn(async move {
                    tokio::time::sleep_until(deadline.into()).await;
                    Instant::now().saturating_duration_since(deadline)
                })
            })
            .collect();
        let mut lateness = Vec::with_capacity(handles.len());
        for handle in handles {
            lateness.push(handle.await.expect("the task completes"));
        }
        lateness
    })
}

/// The percentiles written to the CSV for the distribution chart.
fn csv_rows(workload: &str, id: &str, sorted: &[Duration]) -> String {
    (0..=100)
        .map(|p| {
            let late = percentile(sorted, f64::from(p) / 100.0);
            format!("{workload},{id},{p},{:.1}\n", late.as_secs_f64() * 1e6)
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

// ---------------------------------------------------------------------------------------------
// Criterion groups and printed tables.

fn bench_create_poll_drop(c: &mut Criterion) {
    let mut group = c.benchmark_group("timers/create_poll_drop");
    group
        .throughput(Throughput::Elements(CREATE_POLL_DROP))
        .sampling_mode(SamplingMode::Flat);
    testkit::GroupDefaults {
        sample_size: 10,
        warm_up_time: Duration::from_millis(500),
        measurement_time: Duration::from_secs(2),
    }
    .apply(&mut group);
    fn one<T: Timers>(
        t: &T,
        group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    ) {
        let waker = futures::task::noop_waker();
        group.bench_function(T::ID, |b| {
            t.enter(|| {
                b.iter(|| {
                    let mut cx = Context::from_waker(&waker);
                    for _ in 0..CREATE_POLL_DROP {
                        create_poll_drop(t, &mut cx);
                    }
                })
            })
        });
    }
    for_each_impl!(one, &mut group);
    group.finish();
}

fn bench_sleep_100k(c: &mut Criterion) {
    let offsets = random_durations(MANY, Duration::from_millis(100), 0x2545_F491_4F6C_DD1D);
    let mut group = c.benchmark_group("timers/sleep_100k");
    group.sampling_mode(SamplingMode::Flat);
    testkit::GroupDefaults {
        sample_size: 10,
        warm_up_time: Duration::from_millis(300),
        measurement_time: Duration::from_secs(2),
    }
    .apply(&mut group);
    fn one<T: Timers>(
        t: &T,
        group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
        offsets: &[Duration],
    ) {
        group.bench_function(T::ID, |b| b.iter(|| black_box(sleep_all(t, offsets))));
    }
    for_each_impl!(one, &mut group, &offsets);
    group.finish();
}

/// CPU time used by the calling thread, in ns.
fn thread_cpu_ns() -> f64 {
    #[repr(C)]
    struct Timespec {
        secs: i64,
        nanos: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { secs: 0, nanos: 0 };
    // SAFETY: `ts` is a valid, writable `struct timespec` (two 64-bit fields on 64-bit Linux)
    // that outlives the call; the clock id is Linux's per-thread CPU clock.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    ts.secs as f64 * 1e9 + ts.nanos as f64
}

/// CPU ns per timer of `INTERLEAVED_TIMERS` create + poll + drop with `t`.
fn create_poll_drop_ns<T: Timers>(t: &T) -> f64 {
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    t.enter(|| {
        let start = thread_cpu_ns();
        for _ in 0..INTERLEAVED_TIMERS {
            create_poll_drop(t, &mut cx);
        }
        (thread_cpu_ns() - start) / f64::from(INTERLEAVED_TIMERS)
    })
}

/// Prints ours and tokio's create + poll + drop, measured in alternation.
fn report_create_poll_drop_interleaved() {
    let tokio = tokio_runtime();
    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..INTERLEAVED_ROUNDS {
        let (a, b) = (create_poll_drop_ns(&Ours), create_poll_drop_ns(&tokio));
        ours.push(a);
        theirs.push(b);
        ratios.push(a / b);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!();
    println!(
        "timers create + first poll + drop, interleaved ({INTERLEAVED_ROUNDS} rounds of \
         {INTERLEAVED_TIMERS}): ours {:.1} ns, tokio {:.1} ns, median of per-round ours / tokio \
         {:.2}x",
        median(&mut ours),
        median(&mut theirs),
        median(&mut ratios)
    );
}

/// Prints lateness percentiles for both workloads and memory per pending timer.
fn report_lateness_and_memory(_: &mut Criterion) {
    report_create_poll_drop_interleaved();
    let many = random_durations(MANY, Duration::from_millis(100), 0x2545_F491_4F6C_DD1D);
    // 1000 sleeps spread over 1 s: one per ms, each at a random point inside its ms.
    let spread: Vec<Duration> = random_durations(1_000, Duration::from_millis(1), 0x9E37_79B9)
        .into_iter()
        .enumerate()
        .map(|(i, jitter)| Duration::from_millis(i as u64) + jitter)
        .collect();
    println!();
    println!("timers lateness (time from deadline until the awaiting task ran), one thread:");
    println!(
        "| impl | 100k sleeps 0-100 ms p50 | p99 | max | 1000 sleeps over 1 s p50 | p99 | max |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut csv = String::from("workload,implementation,percentile,micros\n");
    fn row<T: Timers>(t: &T, many: &[Duration], spread: &[Duration], csv: &mut String) {
        let mut cells = Vec::new();
        for (offsets, workload) in [
            (many, "100k sleeps of 0-100 ms, one task"),
            (spread, "1000 sleeps over 1 s, one task"),
        ] {
            // Three runs; the one with the median p99 is shown (the machine is shared).
            let mut runs: Vec<Vec<Duration>> = (0..LATENESS_RUNS)
                .map(|_| {
                    let mut late = sleep_all(t, offsets);
                    late.sort_unstable();
                    late
                })
                .collect();
            runs.sort_by_key(|late| percentile(late, 0.99));
            let late = &runs[runs.len() / 2];
            csv.push_str(&csv_rows(workload, T::ID, late));
            cells.push(format!(
                "{} | {} | {}",
                micros(percentile(late, 0.5)),
                micros(percentile(late, 0.99)),
                micros(*late.last().unwrap())
            ));
        }
        println!("| {} | {} | {} |", T::ID, cells[0], cells[1]);
    }
    for_each_impl!(row, &many, &spread, &mut csv);

    println!();
    println!(
        "timers lateness, 100k sleeps of 0-100 ms each in its own task spawned from the root \
         of block_on, one thread (medians of {LATENESS_RUNS} interleaved rounds):"
    );
    println!("| impl | p50 | p90 | p99 | max | p99 / tokio's |");
    println!("|---|---|---|---|---|---|");
    let mut rounds: [Vec<Vec<Duration>>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..LATENESS_RUNS {
        for (i, run) in [
            spawned_ours as fn(&[Duration]) -> Vec<Duration>,
            spawned_tokio,
        ]
        .iter()
        .enumerate()
        {
            let mut late = run(&many);
            late.sort_unstable();
            rounds[i].push(late);
        }
    }
    let median_at = |runs: &[Vec<Duration>], p: f64| {
        let mut at: Vec<Duration> = runs.iter().map(|late| percentile(late, p)).collect();
        at.sort_unstable();
        at[at.len() / 2]
    };
    let tokio_p99 = median_at(&rounds[1], 0.99);
    for (runs, id) in rounds.iter().zip(["ours", "tokio"]) {
        let p99 = median_at(runs, 0.99);
        println!(
            "| {id} | {} | {} | {} | {} | {:.2}x |",
            micros(median_at(runs, 0.5)),
            micros(median_at(runs, 0.9)),
            micros(p99),
            micros(median_at(runs, 1.0)),
            p99.as_secs_f64() / tokio_p99.as_secs_f64()
        );
        let mut median_run = runs.clone();
        median_run.sort_by_key(|late| percentile(late, 0.99));
        csv.push_str(&csv_rows(
            "100k sleeps of 0-100 ms, a task each",
            id,
            &median_run[median_run.len() / 2],
        ));
    }
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("timers-lateness.csv");
    if let Err(e) = std::fs::write(&path, csv) {
        eprintln!("cannot write {}: {e}", path.display());
    }

    println!();
    println!(
        "timers memory per pending timer ({MEMORY_TIMERS} timers, heap incl. the boxed future):"
    );
    println!("| impl | bytes/timer | allocations/timer |");
    println!("|---|---|---|");
    fn mem<T: Timers>(t: &T) {
        let (bytes, allocs) = memory_per_timer(t);
        println!("| {} | {bytes:.0} | {allocs:.2} |", T::ID);
    }
    for_each_impl!(mem);
    println!();
}

criterion_group!(
    benches,
    bench_create_poll_drop,
    bench_sleep_100k,
    report_lateness_and_memory
);
criterion_main!(benches);
