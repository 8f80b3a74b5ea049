//! Context switches and futex calls per operation on two runner threads, for `perf stat`
//! (counts that the machine's load does not move, unlike wall time):
//!
//! ```sh
//! cargo build --profile bench -p benches --example wake_cost
//! perf stat -e context-switches,syscalls:sys_enter_futex -- \
//!     target/release/examples/wake_cost ours pingpong
//! ```
//!
//! Runtimes: `ours` (`Executor::builder().worker_threads(1)` plus the caller in `block_on`, as
//! in the `executor` bench's two-thread rows), `ours-run` (the same with the root spawned as a
//! task and the caller in `run`, the bench's run-driven mode) and `tokio` (a multi-thread
//! runtime with two workers).
//! Workloads: `pingpong` ([`PAIRS`] pairs of tasks exchanging [`ROUND_TRIPS`] pings and pongs
//! over `async-channel` bounded(1)), `pair` (one such pair, [`PAIR_ROUND_TRIPS`] pings),
//! `chain` ([`CHAIN`] tasks, each spawning the next), and
//! `none` (build and drop the runtime only, to subtract). Each runs [`REPS`] times on one
//! runtime, driven by its `block_on`; the driver prints the operations done, to divide by.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

mod common;
use common::{Spawn, ping_pong};

/// Task pairs in `pingpong` (as in the `executor` bench).
const PAIRS: u64 = 100;
/// Pings per pair in `pingpong`.
const ROUND_TRIPS: u64 = 1_000;
/// Pings of the one pair in `pair`.
const PAIR_ROUND_TRIPS: u64 = 20_000;
/// Tasks in one `chain`.
const CHAIN: u64 = 10_000;
/// Repetitions of the workload per process: enough that start-up is noise.
const REPS: u64 = 20;

/// Ours: spawns onto the executor driving the caller (a dropped handle detaches).
#[derive(Clone)]
struct Ours;

impl Spawn for Ours {
    fn spawn(&self, f: impl Future<Output = ()> + Send + 'static) {
        drop(executor::spawn(f));
    }
}

/// Tokio: spawns onto the runtime behind the handle.
#[derive(Clone)]
struct Tokio(tokio::runtime::Handle);

impl Spawn for Tokio {
    fn spawn(&self, f: impl Future<Output = ()> + Send + 'static) {
        drop(self.0.spawn(f));
    }
}

/// One task of a chain: spawns the next link, or reports the end.
struct Link<S> {
    spawner: S,
    left: u64,
    done: Option<async_channel::Sender<()>>,
}

impl<S: Spawn> Future for Link<S> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        let this = Pin::into_inner(self);
        let done = this.done.take().expect("a link is polled once");
        if this.left == 0 {
            done.try_send(()).expect("the root waits");
        } else {
            this.spawner.spawn(Link {
                spawner: this.spawner.clone(),
                left: this.left - 1,
                done: Some(done),
            });
        }
        Poll::Ready(())
    }
}

impl<S> Unpin for Link<S> {}

async fn chain(s: impl Spawn) {
    let (done, finished) = async_channel::bounded(1);
    s.spawn(Link {
        spawner: s.clone(),
        left: CHAIN - 1,
        done: Some(done),
    });
    finished.recv().await.expect("the chain ends");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [runtime, workload] = [0, 1].map(|i| args.get(i).map(String::as_str).unwrap_or(""));
    let ops = match workload {
        "pingpong" => PAIRS * ROUND_TRIPS * 2,
        "pair" => PAIR_ROUND_TRIPS * 2,
        "chain" => CHAIN,
        "none" => 0,
        _ => panic!("usage: wake_cost ours|ours-run|tokio pingpong|pair|chain|none"),
    };
    match runtime {
        "ours" => {
            let ex = executor::Executor::builder().worker_threads(1).build();
            let s = Ours;
            for _ in 0..REPS {
                match workload {
                    "pingpong" => ex.block_on(ping_pong(s.clone(), PAIRS, ROUND_TRIPS, false)),
                    "pair" => ex.block_on(ping_pong(s.clone(), 1, PAIR_ROUND_TRIPS, false)),
                    "chain" => ex.block_on(chain(s.clone())),
                    _ => {}
                }
            }
        }
        "ours-run" => {
            // The root as a task, driven by `run` on this thread beside the worker (the
            // `executor` bench's run-driven mode).
            let ex = executor::Executor::builder().worker_threads(1).build();
            let s = Ours;
            for _ in 0..REPS {
                let root = match workload {
                    "pingpong" => ex.spawn(ping_pong(s.clone(), PAIRS, ROUND_TRIPS, false)),
                    "pair" => ex.spawn(ping_pong(s.clone(), 1, PAIR_ROUND_TRIPS, false)),
                    "chain" => ex.spawn(chain(s.clone())),
                    _ => ex.spawn(async {}),
                };
                ex.run();
                assert!(root.is_finished(), "run() returns once every task is done");
            }
        }
        "tokio" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .expect("a multi-thread tokio runtime");
            let s = Tokio(rt.handle().clone());
            for _ in 0..REPS {
                match workload {
                    "pingpong" => rt.block_on(ping_pong(s.clone(), PAIRS, ROUND_TRIPS, false)),
                    "pair" => rt.block_on(ping_pong(s.clone(), 1, PAIR_ROUND_TRIPS, false)),
                    "chain" => rt.block_on(chain(s.clone())),
                    _ => {}
                }
            }
        }
        _ => panic!("usage: wake_cost ours|ours-run|tokio pingpong|pair|chain|none"),
    }
    println!("{} operations", ops * REPS);
}
