//! Where each thread's time goes in the two-thread ping-pong (`executor` bench,
//! `pingpong_100x1000_2t`): per thread, the time it ran on a CPU and waited for one (the
//! kernel's `/proc/self/task/*/schedstat`), its context switches, and the task polls it made;
//! and how many polls ran on a different thread than the task's previous poll (a pair split
//! across threads moves a task at every message).
//!
//! ```sh
//! cargo build --profile bench -p benches --example pp_threads
//! target/release/examples/pp_threads ours     # or: tokio, ours1, tokio1
//! ```
//!
//! `ours` is `Executor::builder().worker_threads(1)` plus the caller's `block_on`; `tokio` a
//! multi-thread runtime with two workers (its `block_on` caller only waits); `ours1` and
//! `tokio1` the one-thread runtimes (`Executor::new()`, tokio's current-thread), for the CPU
//! time per message that two threads add. The polls are counted by a wrapper around each
//! task's future, the same for every runtime, so the executor is measured as it ships.
//!
//! The first two lines printed are the wall time and the CPU time (every thread) per message,
//! for scripts that compare builds. `PP_VERBOSE=1` prints each run's split too; `PP_PAIRS=n`
//! runs `n` pairs (the same messages in all), to see what the number of pairs in flight (the
//! data a thread cycles through) costs.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

mod common;
use common::Spawn;

/// Task pairs (as in the `executor` bench); `PP_PAIRS` overrides it (the pings per pair
/// then change so that a run still sends as many messages).
const PAIRS: u64 = 100;
/// Pings per pair.
const ROUND_TRIPS: u64 = 1_000;

/// (pairs, pings per pair) for this process.
fn shape() -> (u64, u64) {
    let pairs = std::env::var("PP_PAIRS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(PAIRS)
        .max(1);
    (pairs, PAIRS * ROUND_TRIPS / pairs)
}
/// Runs per process, each on a fresh runtime (the bench's block_on-driven mode).
const REPS: usize = 20;

/// A small number per thread, handed out at its first poll (0 is "none yet").
static NEXT_THREAD: AtomicUsize = AtomicUsize::new(1);

thread_local! {
    static THREAD: Cell<usize> = const { Cell::new(0) };
    static POLLS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// Per thread: (polls, polls of a task whose previous poll ran on another thread).
static TOTALS: Mutex<BTreeMap<String, (u64, u64)>> = Mutex::new(BTreeMap::new());

fn this_thread() -> usize {
    THREAD.with(|t| {
        if t.get() == 0 {
            t.set(NEXT_THREAD.fetch_add(1, Ordering::Relaxed));
        }
        t.get()
    })
}

/// Adds this thread's poll counts to [`TOTALS`] (called from a task on each thread at the
/// end, and from the main thread).
fn flush() {
    let (polls, moved) = POLLS.with(|p| p.replace((0, 0)));
    let name = std::thread::current().name().unwrap_or("?").to_string();
    let mut totals = TOTALS.lock().unwrap();
    let entry = totals.entry(name).or_default();
    entry.0 += polls;
    entry.1 += moved;
}

/// A future whose polls are counted per thread.
struct Counted<F> {
    inner: Pin<Box<F>>,
    last: usize,
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let me = this_thread();
        let moved = self.last != 0 && self.last != me;
        self.last = me;
        POLLS.with(|p| {
            let (n, m) = p.get();
            p.set((n + 1, m + u64::from(moved)));
        });
        let out = self.inner.as_mut().poll(cx);
        if out.is_ready() {
            flush();
        }
        out
    }
}

fn counted<F: Future>(f: F) -> Counted<F> {
    Counted {
        inner: Box::pin(f),
        last: 0,
    }
}

#[derive(Clone)]
struct Ours;

impl Spawn for Ours {
    fn spawn(&self, f: impl Future<Output = ()> + Send + 'static) {
        drop(executor::spawn(counted(f)));
    }
}

#[derive(Clone)]
struct Tokio(tokio::runtime::Handle);

impl Spawn for Tokio {
    fn spawn(&self, f: impl Future<Output = ()> + Send + 'static) {
        drop(self.0.spawn(counted(f)));
    }
}

/// The ping-pong of [`shape`]; `PP_PAD=1` pads between pairs (see [`common::ping_pong`]).
async fn ping_pong(s: impl Spawn) {
    let (pairs, round_trips) = shape();
    common::ping_pong(s, pairs, round_trips, std::env::var_os("PP_PAD").is_some()).await;
}

/// One thread's scheduler statistics.
#[derive(Default, Clone, Copy)]
struct Sched {
    run: Duration,
    wait: Duration,
    voluntary: u64,
    involuntary: u64,
}

/// Every thread of this process: (name, statistics).
fn threads() -> BTreeMap<u32, (String, Sched)> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir("/proc/self/task").expect("procfs") {
        let path = entry.expect("a task").path();
        let tid: u32 = path.file_name().unwrap().to_str().unwrap().parse().unwrap();
        let read = |f: &str| std::fs::read_to_string(path.join(f)).unwrap_or_default();
        let name = read("comm").trim().to_string();
        let nums: Vec<u64> = read("schedstat")
            .split_whitespace()
            .map(|n| n.parse().unwrap_or(0))
            .collect();
        let status = read("status");
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        let sched = Sched {
            run: Duration::from_nanos(nums.first().copied().unwrap_or(0)),
            wait: Duration::from_nanos(nums.get(1).copied().unwrap_or(0)),
            voluntary: field("voluntary_ctxt_switches:"),
            involuntary: field("nonvoluntary_ctxt_switches:"),
        };
        out.insert(tid, (name, sched));
    }
    out
}

/// Runs `rep` on a fresh runtime `REPS` times and prints where each thread's time went.
fn measure(what: &str, mut rep: impl FnMut()) {
    let mut wall = Duration::ZERO;
    let mut rows: BTreeMap<String, Sched> = BTreeMap::new();
    for _ in 0..REPS {
        let before = threads();
        let start = Instant::now();
        // The runtime is built and dropped inside `rep`: its threads' statistics are read
        // just before they exit, by a flush at the end of the run (below).
        let polls_before = TOTALS.lock().unwrap().clone();
        rep();
        let this = start.elapsed();
        wall += this;
        let after = threads();
        if std::env::var_os("PP_VERBOSE").is_some() {
            let mut line = format!("    run {:>5.1} ms:", this.as_secs_f64() * 1e3);
            for (tid, (name, s)) in &after {
                let b = before.get(tid).map(|b| b.1).unwrap_or_default();
                let ran = s.run.saturating_sub(b.run);
                if ran > Duration::from_micros(100) {
                    line += &format!(" {name} {:.1} ms cpu;", ran.as_secs_f64() * 1e3);
                }
            }
            for (name, (p, m)) in TOTALS.lock().unwrap().iter() {
                let (p0, m0) = polls_before.get(name).copied().unwrap_or_default();
                line += &format!(" {name} {} polls {} moved;", p - p0, m - m0);
            }
            println!("{line}");
        }
        for (tid, (name, s)) in &after {
            let b = before.get(tid).map(|b| b.1).unwrap_or_default();
            let row = rows.entry(name.clone()).or_default();
            row.run += s.run.saturating_sub(b.run);
            row.wait += s.wait.saturating_sub(b.wait);
            row.voluntary += s.voluntary - b.voluntary;
            row.involuntary += s.involuntary - b.involuntary;
        }
    }
    flush();
    let (pairs, round_trips) = shape();
    let ops = pairs * round_trips * 2 * REPS as u64;
    println!(
        "{what}: {:.1} ns wall per message ({REPS} runs, {:?} in all)",
        wall.as_nanos() as f64 / ops as f64,
        wall
    );
    let cpu: Duration = rows.values().map(|s| s.run).sum();
    println!(
        "  {:.1} ns of CPU per message (all threads)",
        cpu.as_nanos() as f64 / ops as f64
    );
    println!("  thread            run ms  wait ms  vol.cs  invol.cs   (wall {wall:.0?})");
    for (name, s) in &rows {
        println!(
            "  {name:<16} {:>7.1} {:>8.1} {:>7} {:>9}",
            s.run.as_secs_f64() * 1e3,
            s.wait.as_secs_f64() * 1e3,
            s.voluntary,
            s.involuntary
        );
    }
    println!("  polls per thread (moved: polled on another thread than the previous poll):");
    for (name, (polls, moved)) in TOTALS.lock().unwrap().iter() {
        println!(
            "  {name:<24} {polls:>9} polls {:>5.1} %, {moved:>8} moved",
            100.0 * *polls as f64 / (ops as f64 + (2 * pairs * REPS as u64) as f64)
        );
    }
}

fn main() {
    let runtime = std::env::args().nth(1).unwrap_or_default();
    // Threads keep their `/proc` entry only while they live: a worker of a dropped runtime
    // is gone before `after` is read. So each run keeps its runtime until after `after`.
    match runtime.as_str() {
        "ours" => {
            let mut keep = Vec::new();
            measure("ours 2 threads", || {
                let ex = executor::Executor::builder().worker_threads(1).build();
                ex.block_on(ping_pong(Ours));
                keep.push(ex);
            });
            drop(keep);
        }
        "ours1" => measure("ours 1 thread", || {
            let ex = executor::Executor::new();
            ex.block_on(ping_pong(Ours));
        }),
        "tokio1" => measure("tokio current_thread", || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a current-thread tokio runtime");
            rt.block_on(ping_pong(Tokio(rt.handle().clone())));
        }),
        "tokio" => {
            let mut keep = Vec::new();
            measure("tokio-mt2", || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .build()
                    .expect("a multi-thread tokio runtime");
                rt.block_on(ping_pong(Tokio(rt.handle().clone())));
                keep.push(rt);
            });
            drop(keep);
        }
        _ => panic!("usage: pp_threads ours|tokio|ours1|tokio1"),
    }
}
