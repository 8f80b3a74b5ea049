//! The cost of the simulator's hooks outside a simulation, in instructions: one workload per
//! run, a fixed number of operations, so that `valgrind --tool=callgrind` (or `perf stat -e
//! instructions`) counts the same work in a build with the hooks and one without.
//!
//! ```sh
//! cargo build --release -p benches --example hook_cost
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/hook_cost spawn
//! ```
//!
//! Workloads (`OPS` operations each, after `OPS / 10` to warm up):
//! * `spawn`: `executor::spawn` of an empty task inside `Executor::block_on`, then awaited;
//! * `yield`: `executor::yield_now()` in the future given to `Executor::block_on`;
//! * `timer`: `timers::sleep(1 s)`, polled once (it registers), dropped (it withdraws);
//! * `none`: nothing, to subtract the process's start-up and shut-down.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::Context;
use std::time::Duration;

use executor::Executor;

/// Operations per measured run: enough that start-up is a small, subtracted part.
const OPS: u64 = 100_000;

fn spawns(n: u64) {
    Executor::new().block_on(async {
        for i in 0..n {
            executor::spawn(async move { black_box(i) }).await;
        }
    });
}

fn yields(n: u64) {
    Executor::new().block_on(async {
        for _ in 0..n {
            executor::yield_now().await;
        }
    });
}

fn timers(n: u64) {
    let waker = wakers::noop_waker();
    let mut cx = Context::from_waker(&waker);
    for _ in 0..n {
        let sleep = pin!(timers::sleep(Duration::from_secs(1)));
        assert!(sleep.poll(&mut cx).is_pending());
    }
}

fn main() {
    let workload = std::env::args().nth(1).unwrap_or_default();
    let run: fn(u64) = match workload.as_str() {
        "spawn" => spawns,
        "yield" => yields,
        "timer" => timers,
        "none" => |_| {},
        other => panic!("hook_cost: unknown workload {other:?}: spawn, yield, timer or none"),
    };
    run(OPS / 10);
    run(OPS);
}
