//! Instructions per timer created, polled once and dropped, for callgrind: ours against
//! tokio's (a current-thread runtime with time enabled, entered).
//!
//! The count per timer is the difference of two runs, so start-up (and the driver's first
//! start) cancels out:
//!
//! ```sh
//! cargo build --release -p benches --example timer_cost
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/timer_cost ours 100000
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/timer_cost ours 200000
//! ```
//!
//! (instructions of the second − those of the first) / 100 000 = instructions per timer.
//! Each timer is a `sleep(1 s)` polled once with a no-op waker, then dropped, as in the
//! `create_poll_drop` workload of `benches/benches/timers.rs`.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::Context;
use std::time::Duration;

/// Creates `n` timers due in 1 s with `make`, polls each once, drops it.
fn run<F: Future<Output = ()>>(n: u64, make: impl Fn(Duration) -> F) {
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    for _ in 0..n {
        let timer = pin!(make(Duration::from_secs(1)));
        black_box(timer.poll(&mut cx).is_ready());
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let workload = args.next().unwrap_or_default();
    let n: u64 = args
        .next()
        .map(|n| n.parse().expect("the second argument is a count of timers"))
        .unwrap_or(100_000);
    match workload.as_str() {
        "ours" => run(n, timers::sleep),
        "tokio" => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("tokio runtime");
            let _entered = rt.enter();
            run(n, tokio::time::sleep);
        }
        other => panic!("unknown workload {other:?}: ours or tokio"),
    }
}
