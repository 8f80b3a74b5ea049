//! The executor's own benchmarks (`cargo bench -p executor`): its hot paths, one at a time.
//! The side-by-side comparison with tokio, async-executor and futures lives in the `benches`
//! crate (`cargo bench -p benches --bench executor`).
//!
//! * `executor-own/spawn_run`: spawn [`TASKS`] trivial tasks from outside, then `run()`; per
//!   task.
//! * `executor-own/spawn_await`: inside `block_on`, spawn [`TASKS`] tasks and await each
//!   handle; per task.
//! * `executor-own/remote_wake`: one task hands its waker to a helper thread and waits to be
//!   woken, [`WAKES`] times; per wake (a cross-thread unpark each time).
//! * `executor-own/yield`: [`YIELDERS`] tasks yielding [`YIELDS`] times each, spawned from
//!   outside and driven by `run()` on one reused executor; per yield.
//! * `executor-own/yield_block_on`: the same tasks the way a program runs them: a fresh
//!   executor per iteration (built and dropped untimed), the tasks spawned by the future given
//!   to its `block_on`, which awaits their handles; per yield.
//! * `executor-own/chain`: a chain of [`TASKS`] tasks, each spawning the next; per task.
//! * `executor-own/runners_2`: [`TASKS`] tasks that yield [`RUNNER_YIELDS`] times each, driven
//!   by `run()` on two threads of one executor; per task.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use executor::{Executor, spawn, yield_now};

/// Tasks per spawn, chain and runner run.
const TASKS: u64 = 10_000;
/// Round trips with the helper thread per `remote_wake` run.
const WAKES: u64 = 5_000;
/// Tasks in a `yield` run.
const YIELDERS: u64 = 100;
/// Yields per task in a `yield` run.
const YIELDS: u64 = 1_000;
/// Yields per task in a `runners_2` run.
const RUNNER_YIELDS: u64 = 10;

/// Every group's settings; criterion's command-line flags (`cargo bench -p executor --
/// --warm-up-time 1`) replace the timings.
fn configure(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    g.sampling_mode(SamplingMode::Flat);
    testkit::GroupDefaults {
        sample_size: 10,
        warm_up_time: Duration::from_millis(300),
        measurement_time: Duration::from_secs(2),
    }
    .apply(g);
}

fn spawning(c: &mut Criterion) {
    let ex = Executor::new();
    let mut g = c.benchmark_group("executor-own");
    configure(&mut g);
    g.throughput(Throughput::Elements(TASKS));
    g.bench_function("spawn_run", |b| {
        b.iter(|| {
            for i in 0..TASKS {
                drop(ex.spawn(async move { black_box(i) }));
            }
            ex.run();
        });
    });
    g.bench_function("spawn_await", |b| {
        b.iter(|| {
            ex.block_on(async {
                let handles: Vec<_> = (0..TASKS)
                    .map(|i| spawn(async move { black_box(i) }))
                    .collect();
                for h in handles {
                    black_box(h.await);
                }
            });
        });
    });
    g.bench_function("chain", |b| {
        b.iter(|| {
            let (tx, rx) = sync_channel(1);
            drop(ex.spawn(Link {
                left: TASKS - 1,
                done: Some(tx),
            }));
            ex.run();
            rx.try_recv().expect("the chain reached its end");
        });
    });
    g.finish();
}

/// One task of a chain: spawns the next (or, the last one, reports the end) and finishes.
struct Link {
    left: u64,
    done: Option<SyncSender<()>>,
}

impl Future for Link {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        let done = self.done.take().expect("a link is polled once");
        if self.left == 0 {
            done.send(()).expect("the bench waits for the chain");
        } else {
            drop(spawn(Link {
                left: self.left - 1,
                done: Some(done),
            }));
        }
        Poll::Ready(())
    }
}

fn yielding(c: &mut Criterion) {
    let ex = Executor::new();
    let mut g = c.benchmark_group("executor-own");
    configure(&mut g);
    g.throughput(Throughput::Elements(YIELDERS * YIELDS));
    g.bench_function("yield", |b| {
        b.iter(|| {
            for _ in 0..YIELDERS {
                drop(ex.spawn(async {
                    for _ in 0..YIELDS {
                        yield_now().await;
                    }
                }));
            }
            ex.run();
        });
    });
    g.bench_function("yield_block_on", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let ex = Executor::new();
                    let start = Instant::now();
                    ex.block_on(async {
                        let handles: Vec<_> = (0..YIELDERS)
                            .map(|_| {
                                spawn(async {
                                    for _ in 0..YIELDS {
                                        yield_now().await;
                                    }
                                })
                            })
                            .collect();
                        for h in handles {
                            h.await;
                        }
                    });
                    start.elapsed()
                })
                .sum()
        });
    });
    g.finish();

    let ex = Arc::new(Executor::new());
    let mut g = c.benchmark_group("executor-own");
    configure(&mut g);
    g.throughput(Throughput::Elements(TASKS));
    g.bench_function("runners_2", |b| {
        b.iter(|| {
            for _ in 0..TASKS {
                drop(ex.spawn(async {
                    for _ in 0..RUNNER_YIELDS {
                        yield_now().await;
                    }
                }));
            }
            thread::scope(|s| {
                s.spawn(|| ex.run());
                ex.run();
            });
        });
    });
    g.finish();
}

fn remote_wake(c: &mut Criterion) {
    let helper = testkit::WakeHelper::start();
    let ex = Executor::new();
    let mut g = c.benchmark_group("executor-own");
    configure(&mut g);
    g.throughput(Throughput::Elements(WAKES));
    g.bench_function("remote_wake", |b| {
        b.iter(|| {
            drop(ex.spawn(helper.round_trips(WAKES)));
            ex.run();
        });
    });
    g.finish();
}

criterion_group!(executor_own, spawning, yielding, remote_wake);
criterion_main!(executor_own);
