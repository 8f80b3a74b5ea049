//! Instructions per task-cell operation on one thread, for callgrind (one workload per run,
//! `OPS` operations after `OPS / 10` to warm up):
//!
//! ```sh
//! cargo build --release -p benches --example cell_cost
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/cell_cost spawn
//! ```
//!
//! Workloads: spawn (spawn + await an empty task), yield (yield_now in a spawned task),
//! pingpong (two spawned tasks taking turns through a stored waker), chain (each task spawns
//! the next and awaits it), timer (`timers::sleep(1 s)` polled once, so it registers, then
//! dropped, so it withdraws), none (start-up only, to subtract). `memory` prints the live heap
//! growth per pending task (each holding a clone of its waker) instead. With
//! `CELL_COST_OPS=n` it runs n operations and prints the wall time per operation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::{Future, poll_fn};
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use executor::Executor;

/// `System`, counting live bytes.
struct Counting;

/// Live heap bytes.
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Pending tasks of the `memory` workload that were polled.
static POLLED: AtomicUsize = AtomicUsize::new(0);

/// Pending forever after its first poll, holding a clone of its waker.
struct PendingForever(Option<Waker>);

impl Future for PendingForever {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.0.is_none() {
            POLLED.fetch_add(1, Ordering::Relaxed);
            self.0 = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

fn memory(n: u64) {
    let ex = Executor::new();
    ex.block_on(async {});
    let before = LIVE.load(Ordering::Relaxed);
    ex.block_on(async {
        for _ in 0..n {
            drop(executor::spawn(PendingForever(None)));
        }
        while POLLED.load(Ordering::Relaxed) < n as usize {
            executor::yield_now().await;
        }
    });
    let per_task = (LIVE.load(Ordering::Relaxed) - before) as f64 / n as f64;
    println!("{per_task:.1} bytes per pending task");
    POLLED.store(0, Ordering::Relaxed);
}

/// Operations per measured run.
const OPS: u64 = 100_000;

fn spawns(n: u64) {
    Executor::new().block_on(async {
        for i in 0..n {
            executor::spawn(async move { black_box(i) }).await;
        }
    });
}

fn yields(n: u64) {
    Executor::new().block_on(async move {
        executor::spawn(async move {
            for _ in 0..n {
                executor::yield_now().await;
            }
        })
        .await
    });
}

struct Turn {
    a_turn: AtomicBool,
    waiting: Mutex<[Option<Waker>; 2]>,
}

async fn player(turn: Arc<Turn>, me: bool, n: u64) {
    for _ in 0..n {
        poll_fn(|cx| {
            if turn.a_turn.load(Ordering::Acquire) == me {
                Poll::Ready(())
            } else {
                turn.waiting.lock().unwrap()[me as usize] = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
        turn.a_turn.store(!me, Ordering::Release);
        if let Some(w) = turn.waiting.lock().unwrap()[!me as usize].take() {
            w.wake();
        }
    }
}

fn pingpong(n: u64) {
    Executor::new().block_on(async move {
        let turn = Arc::new(Turn {
            a_turn: AtomicBool::new(true),
            waiting: Mutex::new([None, None]),
        });
        let a = executor::spawn(player(turn.clone(), true, n));
        let b = executor::spawn(player(turn, false, n));
        a.await;
        b.await;
    });
}

fn link(n: u64) -> Pin<Box<dyn Future<Output = u64> + Send>> {
    Box::pin(async move {
        if n == 0 {
            0
        } else {
            executor::spawn(link(n - 1)).await + 1
        }
    })
}

fn chain(n: u64) {
    Executor::new().block_on(async move { black_box(executor::spawn(link(n)).await) });
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
        "pingpong" => pingpong,
        "chain" => chain,
        "timer" => timers,
        "none" => |_| {},
        "memory" => memory,
        other => panic!("unknown workload {other:?}"),
    };
    // `CELL_COST_OPS=n`: n operations instead of `OPS`, and the wall time per operation
    // printed (for comparing two builds side by side; callgrind needs neither).
    let timed: Option<u64> = std::env::var("CELL_COST_OPS").ok().map(|n| {
        n.parse()
            .expect("CELL_COST_OPS must be a number of operations")
    });
    let ops = timed.unwrap_or(OPS);
    run(ops / 10);
    let start = std::time::Instant::now();
    run(ops);
    if timed.is_some() {
        println!(
            "{:.2} ns per op",
            start.elapsed().as_nanos() as f64 / ops as f64
        );
    }
}
