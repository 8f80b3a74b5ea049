//! `block_on` side by side: ours, pollster, futures, futures-lite and a tokio current-thread
//! runtime, on three workloads (criterion groups):
//!
//! * `block_on/ready`: a future that is ready at once; time per call.
//! * `block_on/self_wake`: a future that wakes itself [`SELF_WAKES`] times before it is ready;
//!   time per wake.
//! * `block_on/round_trip`: a future that hands its waker to a long-lived helper thread and
//!   waits to be woken, [`ROUND_TRIPS`] times; time per round trip.
//!
//! Every implementation runs the very same future type. Before each timed run, an untimed pass
//! counts the allocations per `block_on` call with [`testkit::CountingAlloc`] and prints them.
//! Before each group, a short interleaved pass (every implementation in turn, 20 rounds) prints
//! medians that the load drifting during the sequential criterion runs cannot bias.
//!
//! Implementations run one after the other in the order above; set
//! `BLOCK_ON_BENCH_ORDER=reverse` to run them in the opposite order (the load of a shared
//! machine drifts, and the first in a group meets a different machine than the last).

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use criterion::{criterion_group, criterion_main};

#[global_allocator]
static ALLOC: testkit::CountingAlloc = testkit::CountingAlloc;

/// Wakes per `block_on/self_wake` call.
const SELF_WAKES: u64 = 100_000;
/// Round trips with the helper thread per `block_on/round_trip` call.
const ROUND_TRIPS: u64 = 20_000;
/// Criterion's own default sample size, kept where a group needs no other.
const CRITERION_SAMPLE_SIZE: usize = 100;

/// A way to run a future to completion on the current thread.
trait BlockOn {
    fn block_on<F: Future>(&self, future: F) -> F::Output;
}

struct Ours;
impl BlockOn for Ours {
    #[inline]
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        block_on::block_on(future)
    }
}

struct Pollster;
impl BlockOn for Pollster {
    #[inline]
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        pollster::block_on(future)
    }
}

struct Futures;
impl BlockOn for Futures {
    #[inline]
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        futures::executor::block_on(future)
    }
}

struct FuturesLite;
impl BlockOn for FuturesLite {
    #[inline]
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        futures_lite::future::block_on(future)
    }
}

/// A current-thread tokio runtime, built once, outside the timed loops.
struct Tokio(tokio::runtime::Runtime);
impl BlockOn for Tokio {
    #[inline]
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }
}

/// Benchmarks one implementation in `group` under `id`, after printing its allocations per
/// call (averaged over `counted_calls` untimed calls made after one warm-up call).
fn bench_one<B: BlockOn, F: Future>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    id: &str,
    imp: &B,
    counted_calls: u64,
    make: impl Fn() -> F,
) {
    imp.block_on(make()); // lets thread-locals and lazy state settle first
    let ((), allocs) = testkit::count_allocations(|| {
        for _ in 0..counted_calls {
            black_box(imp.block_on(make()));
        }
    });
    println!(
        "{name}/{id}: {:.2} allocations per call",
        allocs as f64 / counted_calls as f64
    );
    group.bench_function(id, |b| b.iter(|| imp.block_on(make())));
}

/// The time taken by `calls` calls of `make`'s future under `imp`.
fn time_calls<B: BlockOn, F: Future>(imp: &B, calls: u64, make: &impl Fn() -> F) -> Duration {
    let start = Instant::now();
    for _ in 0..calls {
        black_box(imp.block_on(make()));
    }
    start.elapsed()
}

/// An untimed-by-criterion cross-check that is immune to the load drifting between one
/// implementation's criterion run and the next: `rounds` times, each implementation in turn
/// runs `make`'s future `calls` times; prints each one's median time per element (a call does
/// `elements` of them) and ours over the fastest peer's.
fn interleaved<F: Future>(
    name: &str,
    rounds: usize,
    calls: u64,
    elements: u64,
    make: impl Fn() -> F,
) {
    let tokio = Tokio(
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread tokio runtime"),
    );
    let mut times: [Vec<Duration>; 5] = Default::default();
    for _ in 0..rounds {
        times[0].push(time_calls(&Ours, calls, &make));
        times[1].push(time_calls(&Pollster, calls, &make));
        times[2].push(time_calls(&Futures, calls, &make));
        times[3].push(time_calls(&FuturesLite, calls, &make));
        times[4].push(time_calls(&tokio, calls, &make));
    }
    let per_op = |t: &Duration| t.as_nanos() as f64 / (calls * elements) as f64;
    let times: Vec<Vec<f64>> = times
        .iter()
        .map(|t| t.iter().map(per_op).collect())
        .collect();
    benches::print_interleaved(name, &IDS, &times);
}

/// Function ids, in the order the implementations run.
const IDS: [&str; 5] = ["ours", "pollster", "futures", "futures-lite", "tokio"];

/// Runs `make`'s future under every implementation, in one criterion group.
fn compare<F: Future>(
    c: &mut Criterion,
    name: &'static str,
    counted_calls: u64,
    configure: impl FnOnce(&mut BenchmarkGroup<'_, WallTime>),
    make: impl Fn() -> F + Copy,
) {
    let tokio = Tokio(
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread tokio runtime"),
    );
    let mut group = c.benchmark_group(name);
    configure(&mut group);
    // The machine's load drifts over a run, and whoever runs first in a group pays for it:
    // `BLOCK_ON_BENCH_ORDER=reverse` runs the peers first, to check a ratio against that drift.
    let reverse = std::env::var("BLOCK_ON_BENCH_ORDER").is_ok_and(|o| o == "reverse");
    for step in 0..5 {
        match if reverse { 4 - step } else { step } {
            0 => bench_one(&mut group, name, "ours", &Ours, counted_calls, make),
            1 => bench_one(&mut group, name, "pollster", &Pollster, counted_calls, make),
            2 => bench_one(&mut group, name, "futures", &Futures, counted_calls, make),
            3 => bench_one(
                &mut group,
                name,
                "futures-lite",
                &FuturesLite,
                counted_calls,
                make,
            ),
            _ => bench_one(&mut group, name, "tokio", &tokio, counted_calls, make),
        }
    }
    group.finish();
}

fn ready(c: &mut Criterion) {
    interleaved("block_on/ready", 20, 100_000, 1, || {
        std::future::ready(black_box(1u64))
    });
    compare(
        c,
        "block_on/ready",
        10_000,
        |group| {
            group.throughput(Throughput::Elements(1));
            testkit::GroupDefaults {
                sample_size: CRITERION_SAMPLE_SIZE,
                warm_up_time: Duration::from_millis(500),
                measurement_time: Duration::from_secs(2),
            }
            .apply(group);
        },
        || std::future::ready(black_box(1u64)),
    );
}

/// Wakes itself (`wake_by_ref`) and returns `Pending` until it has done so `left` times.
struct SelfWake {
    left: u64,
}

impl Future for SelfWake {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.left == 0 {
            return Poll::Ready(());
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn self_wake(c: &mut Criterion) {
    interleaved("block_on/self_wake", 20, 1, SELF_WAKES, || SelfWake {
        left: black_box(SELF_WAKES),
    });
    compare(
        c,
        "block_on/self_wake",
        3,
        |group| {
            group.throughput(Throughput::Elements(SELF_WAKES));
            testkit::GroupDefaults {
                sample_size: 20,
                warm_up_time: Duration::from_millis(500),
                measurement_time: Duration::from_secs(3),
            }
            .apply(group);
        },
        || SelfWake {
            left: black_box(SELF_WAKES),
        },
    );
}

fn round_trip(c: &mut Criterion) {
    let helper = testkit::WakeHelper::start();
    // Round trips go through the scheduler, so they swing with the machine's load (about 2 s).
    interleaved("block_on/round_trip", 20, 1, 2_000, || {
        helper.round_trips(black_box(2_000))
    });
    compare(
        c,
        "block_on/round_trip",
        2,
        |group| {
            group
                .throughput(Throughput::Elements(ROUND_TRIPS))
                .sampling_mode(SamplingMode::Flat);
            testkit::GroupDefaults {
                sample_size: 10,
                warm_up_time: Duration::from_millis(500),
                measurement_time: Duration::from_secs(12),
            }
            .apply(group);
        },
        || helper.round_trips(black_box(ROUND_TRIPS)),
    );
}

criterion_group!(block_on_benches, ready, self_wake, round_trip);
criterion_main!(block_on_benches);
