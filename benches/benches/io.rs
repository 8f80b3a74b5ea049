//! I/O side by side: our `reactor` + `executor` against tokio (current_thread, and
//! multi_thread with 2 workers: `tokio-mt2`) and smol (async-executor + async-io), all serving
//! from one process pinned to one core while the load generator runs in this process pinned to
//! the other core.
//!
//! Workloads (each a fresh server process per measurement, implementations interleaved by
//! round, the order rotated each round):
//!
//! * `io/echo/{1,50,1000}`: TCP echo, 64 B messages, closed loop over 1, 50 or 1000
//!   connections: ns per message (the inverse of messages/s) and the p99 round trip.
//! * `io/accept`: from [`ACCEPTORS`] concurrent loops, connect, wait until the server has
//!   accepted and closed, close: ns per connection.
//! * `io/hyper_hello`: hyper HTTP/1 "Hello, world!" over [`HELLO_CONNECTIONS`] keep-alive
//!   connections: ns per request (the inverse of requests/s). Every server runs the same hyper
//!   configuration with the header-read timeout off, so no timer is involved.
//! * `io/hyper_hello_timer/50`: the same with hyper's header-read timeout on (its default,
//!   30 s), so every request arms and cancels a timer: ours on `timers` (folded into the
//!   reactor's waits), tokio on tokio's timers, smol on async-io's.
//! * `io/hyper_hello_server_cpu/50` (and `_timer_`) and `io/echo_server_cpu/{1,50,1000}`: the same runs, but
//!   the server's CPU time (every thread's, from `/proc/<pid>/task/*/schedstat`) per
//!   operation inside the window. Each of these workloads also prints how much of the window
//!   the server and the load generator were on a CPU: the side near 100 % bounds the rate. The servers are busy
//!   only about half of `io/hyper_hello`'s time per request (the load generator and the
//!   loopback bound it), and a profile puts ~85% of every server's CPU time in the kernel's
//!   TCP path, so this row is the one that compares what the servers themselves spend.
//! * Heap bytes per idle hyper connection: [`IDLE_CONNECTIONS`] keep-alive connections that
//!   each made one request, counted by this binary's allocator inside the server process.
//! * Syscalls (and context switches) per echo round trip: the echo server of each
//!   implementation under `perf stat -e raw_syscalls:sys_enter,context-switches` (every
//!   thread), fed [`TRACE_TRIPS`] and then twice as many round trips on one connection; the
//!   difference divided by [`TRACE_TRIPS`] (startup cancels out). Not `strace -c`: ptrace slows the server so much that the next
//!   message is always there before it would wait, which hides every wait's syscalls.
//!
//! * `io/hyper_hello_counts`: syscalls and context switches per hyper request, of the server
//!   (`perf stat -p`, every thread) and of the load generator (a child process of this binary,
//!   `--hello-client <addr> <requests>`, under `perf stat`), for [`HELLO_REQUESTS`] and then
//!   twice as many requests over [`HELLO_CONNECTIONS`] connections; the difference divided by
//!   [`HELLO_REQUESTS`]. Syscalls hardly move with the machine's load, so this row shows a
//!   server that answers in smaller batches (the load generator turns its poller more often)
//!   where the time rows drown it in noise. Context switches do move with load (a server that
//!   catches up blocks more often), so the server's voluntary ones (from `/proc`: waits, not
//!   preemptions) are printed too.
//! * `io/timer_hop`: syscalls and context switches per timer firing of a task that sleeps
//!   [`TIMER_SLEEP`] in a loop while the runtime also has a socket registered (so its idle
//!   thread waits in the I/O poller), counted like the echo round trips: [`TIMER_FIRINGS`] and
//!   then twice as many. It shows what a firing costs when the timer and the poller are
//!   driven by different threads. Also printed: the mean time per sleep of the longer run
//!   (how late the timers fire: a poller that waits in milliseconds rounds up).
//!
//! The load generator is the same for every server: tokio's current_thread runtime with raw
//! sockets (no hyper on the client side), so the ratios compare servers.
//!
//! `cargo bench -p benches --bench io` (add `-- --quick` for a short run). Results are also
//! written where criterion keeps its own (`target/criterion`), so `cargo xtask bench` reports
//! them with the other suites.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader, Write as _};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The implementations, ours first (the report's convention).
const IMPLS: [&str; 4] = ["ours", "tokio", "tokio-mt2", "smol"];
/// The core the servers run on, and the one the load generator runs on.
const SERVER_CPU: usize = 1;
const CLIENT_CPU: usize = 0;
/// Bytes per echo message.
const MESSAGE: usize = 64;
/// Concurrent connect + close loops in `io/accept`.
const ACCEPTORS: usize = 8;
/// Keep-alive connections in `io/hyper_hello`.
const HELLO_CONNECTIONS: usize = 50;
/// Connections held idle in the memory measurement.
const IDLE_CONNECTIONS: usize = 1000;
/// Round trips per counted run (and twice as many in the second run).
const TRACE_TRIPS: u64 = 5_000;
/// What the counted rows count (every thread of the process).
const COUNTED_EVENTS: &str = "raw_syscalls:sys_enter,context-switches";
/// Requests per counted run of `io/hyper_hello_counts` (and twice as many in the second run).
const HELLO_REQUESTS: u64 = 50_000;
/// How long `perf stat -p` is given to attach before the counted work starts.
const PERF_ATTACH: Duration = Duration::from_millis(300);
/// Timer firings per counted run of `io/timer_hop` (and twice as many in the second run).
const TIMER_FIRINGS: u64 = 500;
/// The sleep of `io/timer_hop`: short enough for many firings per second, long enough that
/// every one ends in an idle wait.
const TIMER_SLEEP: Duration = Duration::from_millis(1);
/// Warm-up before each measurement window (connections made, caches and buffers warm).
const WARMUP: Duration = Duration::from_millis(200);

// A live-heap counter for the `hello-idle` server, switched on only there.
static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicI64 = AtomicI64::new(0);
static LISTENING: AtomicBool = AtomicBool::new(false);
static SERVED: AtomicUsize = AtomicUsize::new(0);

/// Forwards to `System`; while `COUNTING` is on, tracks the live heap bytes.
struct LiveBytes;

// SAFETY: every call is forwarded unchanged to `System`; the bookkeeping touches only static
// atomics and never allocates.
unsafe impl GlobalAlloc for LiveBytes {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        // SAFETY: our caller upholds `alloc`'s contract for `layout`; we pass it on unchanged.
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        }
        // SAFETY: `ptr` came from `System` with `layout`: every allocation goes through `alloc`
        // above (the default `realloc` is built on `alloc` and `dealloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: LiveBytes = LiveBytes;

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n";
const HELLO: &[u8] = b"Hello, world!";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        pin_to(SERVER_CPU);
        server::run(&args[i + 1], &args[i + 2]);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--hello-client") {
        // A fixed amount of work for counting tools (`perf stat`) run by hand.
        pin_to(CLIENT_CPU);
        let addr = args[i + 1]
            .parse()
            .expect("--hello-client <addr> <requests>");
        let requests = args[i + 2]
            .parse()
            .expect("--hello-client <addr> <requests>");
        client::fixed_hello(addr, requests);
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return; // cargo bench -- --list: nothing to list individually
    }
    let quick = args.iter().any(|a| a == "--quick");
    let (rounds, window) = if quick {
        (3, Duration::from_millis(300))
    } else {
        (5, Duration::from_secs(1))
    };
    // `-- --only io/accept`: one workload (its label, or a prefix of it).
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    pin_to(CLIENT_CPU);
    run_suite(rounds, window, only.as_deref());
}

/// Pins this thread (and the threads it starts later) to `cpu`, when the machine has it.
fn pin_to(cpu: usize) {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpu >= cpus {
        return;
    }
    // SAFETY: `set` is a zeroed `cpu_set_t` we own; CPU_SET writes inside it (cpu < CPU_SETSIZE).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set);
    }
}

/// A workload: its name in the report, the server kind, and its parameter.
#[derive(Clone, Copy)]
enum Workload {
    Echo(usize),
    Accept,
    Hello,
    /// `Hello` with hyper's header-read timeout on: a timer per request.
    HelloTimer,
}

impl Workload {
    fn server_kind(self) -> &'static str {
        match self {
            Workload::Echo(_) => "echo",
            Workload::Accept => "accept",
            Workload::Hello => "hello",
            Workload::HelloTimer => "hello-timer",
        }
    }
    fn label(self) -> String {
        match self {
            Workload::Echo(n) => format!("io/echo/{n}"),
            Workload::Accept => "io/accept".into(),
            Workload::Hello => format!("io/hyper_hello/{HELLO_CONNECTIONS}"),
            Workload::HelloTimer => format!("io/hyper_hello_timer/{HELLO_CONNECTIONS}"),
        }
    }
}

const WORKLOADS: [Workload; 6] = [
    Workload::Echo(1),
    Workload::Echo(50),
    Workload::Echo(1000),
    Workload::Accept,
    Workload::Hello,
    Workload::HelloTimer,
];

/// One measurement: operations in the window, and round-trip latencies (ns) where measured.
struct Sample {
    ns_per_op: f64,
    p99_ns: Option<f64>,
    /// The server's CPU nanoseconds per operation in the window, where measured.
    server_cpu_ns: Option<f64>,
    /// The load generator's (this process's) CPU nanoseconds per operation in the window.
    client_cpu_ns: Option<f64>,
}

fn run_suite(rounds: usize, window: Duration, only: Option<&str>) {
    let workloads: Vec<Workload> = WORKLOADS
        .into_iter()
        .filter(|w| only.is_none_or(|o| w.label().starts_with(o)))
        .collect();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "io suite: {rounds} interleaved rounds, {window:?} windows, server on cpu {SERVER_CPU}, load generator on cpu {CLIENT_CPU}; loadavg {}",
        load.trim()
    );
    // samples[workload][impl] = one value per round
    let mut samples: Vec<Vec<Vec<Sample>>> = workloads
        .iter()
        .map(|_| IMPLS.iter().map(|_| Vec::new()).collect())
        .collect();
    for round in 0..rounds {
        for k in 0..IMPLS.len() {
            let i = (k + round) % IMPLS.len();
            for (w, workload) in workloads.iter().enumerate() {
                let server = Server::start(IMPLS[i], workload.server_kind(), false);
                let sample = client::measure(*workload, server.addr, server.pid(), window);
                server.stop();
                samples[w][i].push(sample);
            }
        }
    }
    for (w, workload) in workloads.iter().enumerate() {
        let label = workload.label();
        let times: Vec<Vec<f64>> = samples[w]
            .iter()
            .map(|s| s.iter().map(|x| x.ns_per_op).collect())
            .collect();
        benches::print_interleaved(&label, &IMPLS, &times);
        let per_sec: Vec<String> = IMPLS
            .iter()
            .zip(&times)
            .map(|(id, t)| format!("{id} {:.0}", 1e9 / benches::median(t.clone())))
            .collect();
        println!("{label} median ops/s: {}", per_sec.join(", "));
        for (i, id) in IMPLS.iter().enumerate() {
            write_result(&label, id, benches::median(times[i].clone()));
        }
        if matches!(
            workload,
            Workload::Hello | Workload::HelloTimer | Workload::Echo(_)
        ) {
            let cpu: Vec<Vec<f64>> = samples[w]
                .iter()
                .map(|s| s.iter().filter_map(|x| x.server_cpu_ns).collect())
                .collect();
            if cpu.iter().all(|c| !c.is_empty()) {
                let cpu_label = label
                    .replace("io/hyper_hello_timer", "io/hyper_hello_timer_server_cpu")
                    .replace("io/hyper_hello/", "io/hyper_hello_server_cpu/")
                    .replace("io/echo", "io/echo_server_cpu");
                benches::print_interleaved(
                    &format!("{cpu_label} (server CPU ns per operation)"),
                    &IMPLS,
                    &cpu,
                );
                for (i, id) in IMPLS.iter().enumerate() {
                    write_result(&cpu_label, id, benches::median(cpu[i].clone()));
                }
            }
            // Which side bounds the rate: the share of the window each was on a CPU.
            let busy: Vec<String> = IMPLS
                .iter()
                .zip(&samples[w])
                .map(|(id, s)| {
                    let share = |f: fn(&Sample) -> Option<f64>| {
                        let v: Vec<f64> =
                            s.iter().filter_map(|x| Some(f(x)? / x.ns_per_op)).collect();
                        if v.is_empty() {
                            f64::NAN
                        } else {
                            100.0 * benches::median(v)
                        }
                    };
                    format!(
                        "{id} server {:.0}% / load generator {:.0}%",
                        share(|x| x.server_cpu_ns),
                        share(|x| x.client_cpu_ns)
                    )
                })
                .collect();
            println!(
                "{label} busy (median share of the window on a CPU): {}",
                busy.join(", ")
            );
        }
        if matches!(workload, Workload::Echo(_)) {
            let p99: Vec<Vec<f64>> = samples[w]
                .iter()
                .map(|s| s.iter().filter_map(|x| x.p99_ns).collect())
                .collect();
            benches::print_interleaved(&format!("{label} p99 round trip"), &IMPLS, &p99);
            let p99_label = label.replace("io/echo", "io/echo_p99");
            for (i, id) in IMPLS.iter().enumerate() {
                write_result(&p99_label, id, benches::median(p99[i].clone()));
            }
        }
    }
    if only.is_none_or(|o| o.starts_with("io/hyper_idle")) {
        idle_hyper_memory();
    }
    if only.is_none_or(|o| "io/syscalls".starts_with(o) || o.starts_with("io/syscalls")) {
        syscalls_per_round_trip();
    }
    if only.is_none_or(|o| {
        "io/hyper_hello_counts".starts_with(o) || o.starts_with("io/hyper_hello_counts")
    }) {
        hello_counts();
    }
    if only.is_none_or(|o| "io/timer_hop".starts_with(o) || o.starts_with("io/timer_hop")) {
        timer_hop();
    }
}

/// Syscalls and context switches per timer firing (see the header): each implementation's
/// `sleeps` server under `perf stat`, [`TIMER_FIRINGS`] and then twice as many firings; the
/// difference divided by [`TIMER_FIRINGS`].
fn timer_hop() {
    if !perf_works() {
        println!("io/timer_hop: perf is not available here; not measured");
        return;
    }
    let mut row = Vec::new();
    for id in IMPLS {
        let counts = |firings: u64| -> Option<((u64, u64), f64)> {
            let mut server = Server::start(id, &format!("sleeps:{firings}"), true);
            let period: Option<f64> = server
                .read_line()
                .trim()
                .strip_prefix("period ")
                .and_then(|ns| ns.parse().ok());
            Some((server.wait_counted()?, period?))
        };
        match (counts(TIMER_FIRINGS), counts(2 * TIMER_FIRINGS)) {
            (Some((one, _)), Some((two, period))) => {
                let per = |a: u64, b: u64| (b as f64 - a as f64) / TIMER_FIRINGS as f64;
                let (calls, switches) = (per(one.0, two.0), per(one.1, two.1));
                write_result("io/timer_hop_syscalls", id, calls);
                write_result("io/timer_hop_context_switches", id, switches);
                write_result("io/timer_hop_period", id, period);
                row.push(format!(
                    "{id} {calls:.2} ({switches:.2} cs, {:.0} µs per sleep)",
                    period / 1e3
                ));
            }
            _ => row.push(format!("{id} (perf failed)")),
        }
    }
    println!(
        "io/timer_hop (sleep({TIMER_SLEEP:?}) in a loop while the runtime waits in its I/O \
         poller; syscalls per firing, in brackets context switches and the mean time per sleep): {}",
        row.join(", ")
    );
}

/// The syscall and context switch counts a `perf stat -x,` run wrote to `out` (then removed).
fn read_counts(out: &std::path::Path) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(out).ok()?;
    let _ = std::fs::remove_file(out);
    let count = |event: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.contains(event))?;
        line.split(',').next()?.trim().parse().ok()
    };
    Some((count("raw_syscalls:sys_enter")?, count("context-switches")?))
}

/// `perf stat` counting [`COUNTED_EVENTS`] into `out`, of `pid` (attached) or else of the
/// command that follows.
fn perf_stat(out: &std::path::Path, pid: Option<u32>) -> Command {
    let mut c = Command::new("perf");
    c.args(["stat", "-e", COUNTED_EVENTS, "-x,", "-o"]).arg(out);
    if let Some(pid) = pid {
        c.args(["-p", &pid.to_string()]);
    } else {
        c.arg("--");
    }
    c
}

/// Syscalls and context switches per hyper request, of the server and of the load generator
/// (see the header): [`HELLO_REQUESTS`] and then twice as many requests, the difference
/// divided by [`HELLO_REQUESTS`].
fn hello_counts() {
    if !perf_works() {
        println!("io/hyper_hello_counts: perf is not available here; not measured");
        return;
    }
    let exe = std::env::current_exe().expect("the bench binary's path");
    let tmp = |what: &str, id: &str| {
        std::env::temp_dir().join(format!("io-bench-{what}-{}-{id}.txt", std::process::id()))
    };
    let mut row = Vec::new();
    for id in IMPLS {
        let counts = |requests: u64| -> Option<HelloCounts> {
            let server = Server::start(id, "hello", false);
            let voluntary_before = voluntary_switches(server.pid());
            let (srv_out, cli_out) = (tmp("server", id), tmp("client", id));
            let mut perf = perf_stat(&srv_out, Some(server.pid()))
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
            // perf attaches in a few ms; the client must not start before.
            std::thread::sleep(PERF_ATTACH);
            let client = perf_stat(&cli_out, None)
                .arg(&exe)
                .args(["--hello-client", &server.addr.to_string()])
                .arg(requests.to_string())
                .status();
            let voluntary = voluntary_switches(server.pid())
                .zip(voluntary_before)
                .map(|(after, before)| after - before);
            // SAFETY: plain kill(2) of our own child (perf), which prints its counts on SIGINT.
            unsafe { libc::kill(perf.id() as libc::pid_t, libc::SIGINT) };
            let _ = perf.wait();
            server.stop();
            if !client.ok()?.success() {
                return None;
            }
            Some((read_counts(&srv_out)?, read_counts(&cli_out)?, voluntary?))
        };
        match (counts(HELLO_REQUESTS), counts(2 * HELLO_REQUESTS)) {
            (Some((s1, c1, v1)), Some((s2, c2, v2))) => {
                let per = |a: u64, b: u64| (b as f64 - a as f64) / HELLO_REQUESTS as f64;
                let server = (per(s1.0, s2.0), per(s1.1, s2.1), per(v1, v2));
                let client = (per(c1.0, c2.0), per(c1.1, c2.1));
                write_result("io/hyper_hello_server_syscalls", id, server.0);
                write_result("io/hyper_hello_server_voluntary_switches", id, server.2);
                write_result("io/hyper_hello_client_syscalls", id, client.0);
                row.push(format!(
                    "{id} {:.2} ({:.4} cs, {:.4} voluntary) / client {:.2} ({:.4} cs)",
                    server.0, server.1, server.2, client.0, client.1
                ));
            }
            _ => row.push(format!("{id} (perf failed)")),
        }
    }
    println!(
        "io/hyper_hello_counts (per request, {HELLO_CONNECTIONS} connections: server syscalls, \
         in brackets context switches, of which voluntary (waits, not preemptions) / the load \
         generator's): {}",
        row.join(", ")
    );
}

/// One counted hyper run: the server's (syscalls, context switches), the load generator's,
/// and the server's voluntary context switches.
type HelloCounts = ((u64, u64), (u64, u64), u64);

/// The voluntary context switches (the thread blocked, rather than was preempted) of every
/// live thread of process `pid`, from `/proc`: unlike all context switches, they hardly move
/// with the machine's load. A thread that exits between two reads takes its count with it,
/// so for a runtime whose threads come and go (smol's blocking pool) the difference means
/// nothing, and can even be negative.
fn voluntary_switches(pid: u32) -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let status = std::fs::read_to_string(task.ok()?.path().join("status")).ok()?;
        let line = status
            .lines()
            .find(|l| l.starts_with("voluntary_ctxt_switches:"))?;
        total += line.split_whitespace().nth(1)?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// Whether `perf stat` can count the `raw_syscalls` tracepoint here.
fn perf_works() -> bool {
    Command::new("perf")
        .args(["stat", "-e", "raw_syscalls:sys_enter", "-x,", "--", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Writes one result the way criterion does, so `cargo xtask bench` includes it.
fn write_result(label: &str, id: &str, ns: f64) {
    let (group, parameter) = match label.rsplit_once('/') {
        Some((g, p)) if p.parse::<u64>().is_ok() => (g.to_string(), Some(p.to_string())),
        _ => (label.to_string(), None),
    };
    let dir = target_dir()
        .join("criterion")
        .join(group.replace('/', "_"))
        .join(id)
        .join(parameter.clone().unwrap_or_default())
        .join("new");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let value = parameter.map_or("null".to_string(), |p| format!("\"{p}\""));
    let benchmark = format!(
        "{{\"group_id\":\"{group}\",\"function_id\":\"{id}\",\"value_str\":{value},\"throughput\":null}}"
    );
    let estimates = format!("{{\"median\":{{\"point_estimate\":{ns}}}}}");
    let _ = std::fs::write(dir.join("benchmark.json"), benchmark);
    let _ = std::fs::write(dir.join("estimates.json"), estimates);
}

/// `$CARGO_TARGET_DIR`, else the `target` directory this bench binary was built in
/// (`<target>/release/deps/io-…`).
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return dir.into();
    }
    let exe = std::env::current_exe().expect("the bench binary's path");
    exe.ancestors()
        .nth(3)
        .expect("<target>/<profile>/deps/<exe>")
        .to_path_buf()
}

/// Heap bytes per idle hyper connection in each implementation's server.
fn idle_hyper_memory() {
    let mut row = Vec::new();
    for id in IMPLS {
        let mut server = Server::start(id, "hello-idle", false);
        let bytes = client::idle_hello(server.addr, &mut server);
        server.stop();
        write_result("io/hyper_idle_bytes_per_connection", id, bytes as f64);
        row.push(format!("{id} {bytes}"));
    }
    println!(
        "io/hyper_idle_bytes_per_connection ({IDLE_CONNECTIONS} connections, heap in the server): {}",
        row.join(", ")
    );
}

/// Counts the syscalls of each implementation's echo server over one connection; prints
/// syscalls per round trip.
fn syscalls_per_round_trip() {
    if !perf_works() {
        println!(
            "io/syscalls_per_echo_round_trip: perf (with the raw_syscalls tracepoint) is not \
             available here; not measured"
        );
        return;
    }
    let mut row = Vec::new();
    for id in IMPLS {
        let calls = |trips: u64| -> Option<(u64, u64)> {
            let server = Server::start(id, "echo-one", true);
            client::round_trips(server.addr, trips);
            server.wait_counted()
        };
        match (calls(TRACE_TRIPS), calls(2 * TRACE_TRIPS)) {
            (Some(one), Some(two)) => {
                let per_trip = |a: u64, b: u64| (b as f64 - a as f64) / TRACE_TRIPS as f64;
                let (calls, switches) = (per_trip(one.0, two.0), per_trip(one.1, two.1));
                write_result("io/syscalls_per_echo_round_trip", id, calls);
                write_result("io/context_switches_per_echo_round_trip", id, switches);
                row.push(format!("{id} {calls:.2} ({switches:.2} cs)"));
            }
            _ => row.push(format!("{id} (perf failed)")),
        }
    }
    println!(
        "io/syscalls_per_echo_round_trip (perf stat raw_syscalls:sys_enter, server side; in \
         brackets context switches): {}",
        row.join(", ")
    );
}

/// A server process of one implementation and kind.
struct Server {
    child: Child,
    stdout: BufReader<std::process::ChildStdout>,
    addr: SocketAddr,
    count_out: Option<PathBuf>,
}

impl Server {
    /// Starts a server; with `count_syscalls`, under `perf stat`.
    fn start(id: &str, kind: &str, count_syscalls: bool) -> Server {
        let exe = std::env::current_exe().expect("the bench binary's path");
        let count_out = count_syscalls.then(|| {
            std::env::temp_dir().join(format!("io-bench-perf-{}-{id}.txt", std::process::id()))
        });
        let mut cmd = match &count_out {
            Some(out) => {
                let mut c = perf_stat(out, None);
                c.arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let mut child = cmd
            .args(["--serve", id, kind])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the server's address");
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("server {id} {kind} said {line:?}"));
        Server {
            child,
            stdout,
            addr,
            count_out,
        }
    }

    /// The server process's id.
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line the server prints.
    fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("a line from the server");
        line
    }

    fn stop(mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            eprintln!("a server exited before the end of its measurement: {status}");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for a counted `echo-one` server to exit; its total syscall and context switch
    /// counts.
    fn wait_counted(mut self) -> Option<(u64, u64)> {
        let _ = self.child.wait();
        read_counts(&self.count_out.take()?)
    }
}

/// The servers: `--serve <impl> <kind>` prints `listening <addr>` and serves until killed
/// (`echo-one`: until its one connection closes).
mod server {
    use super::*;

    pub fn run(id: &str, kind: &str) {
        if kind == "hello-idle" {
            idle_monitor();
        }
        if let Some(firings) = kind.strip_prefix("sleeps:") {
            return sleeps(id, firings.parse().expect("sleeps:<firings>"));
        }
        match id {
            "ours" => ours(kind),
            "tokio" => tokio_rt(kind, tokio::runtime::Builder::new_current_thread()),
            "tokio-mt2" => {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                b.worker_threads(2);
                tokio_rt(kind, b)
            }
            "smol" => smol(kind),
            _ => panic!("unknown implementation {id}"),
        }
    }

    /// For `hello-idle`: counts live heap bytes from now on; once [`IDLE_CONNECTIONS`]
    /// requests were served and things settled, prints the growth per connection.
    fn idle_monitor() {
        COUNTING.store(true, Ordering::SeqCst);
        std::thread::spawn(|| {
            // The baseline is taken once the server is listening (the runtime is built).
            while !LISTENING.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(50));
            let base = LIVE.load(Ordering::SeqCst);
            while SERVED.load(Ordering::SeqCst) < IDLE_CONNECTIONS {
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(200)); // let every connection go idle
            let per = (LIVE.load(Ordering::SeqCst) - base) / IDLE_CONNECTIONS as i64;
            let mut out = std::io::stdout();
            writeln!(out, "idle bytes per connection {per}").unwrap();
            out.flush().unwrap();
        });
    }

    fn announce(addr: SocketAddr) {
        LISTENING.store(true, Ordering::SeqCst);
        let mut out = std::io::stdout();
        writeln!(out, "listening {addr}").unwrap();
        out.flush().unwrap();
    }

    /// hyper's server configuration: with `timed` (the `hello-timer` kind), the header-read
    /// timeout (hyper's default, 30 s) on `timer`; else no timeout.
    fn hyper_builder<T>(timed: bool, timer: T) -> hyper_rt::hyper::server::conn::http1::Builder
    where
        T: hyper_rt::hyper::rt::Timer + Send + Sync + 'static,
    {
        let mut b = hyper_rt::hyper::server::conn::http1::Builder::new();
        if timed {
            b.timer(timer);
            b.header_read_timeout(Duration::from_secs(30));
        } else {
            b.header_read_timeout(None);
        }
        b
    }

    async fn hello(
        _req: hyper_rt::hyper::Request<hyper_rt::hyper::body::Incoming>,
    ) -> Result<
        hyper_rt::hyper::Response<http_body_util::Full<bytes::Bytes>>,
        std::convert::Infallible,
    > {
        SERVED.fetch_add(1, Ordering::SeqCst);
        Ok(hyper_rt::hyper::Response::new(http_body_util::Full::new(
            bytes::Bytes::from_static(HELLO),
        )))
    }

    /// `sleeps:<n>`: `n` sleeps of [`TIMER_SLEEP`] in a loop in one spawned task, while the
    /// runtime also has a socket registered (so its idle thread waits in the I/O poller), then
    /// print the mean period and exit.
    fn sleeps(id: &str, n: u64) {
        match id {
            "ours" => {
                let ex = executor::Executor::new();
                ex.block_on(async {
                    let listener = reactor::net::TcpListener::bind("127.0.0.1:0").unwrap();
                    announce(listener.local_addr().unwrap());
                    executor::spawn(async move {
                        let start = Instant::now();
                        for _ in 0..n {
                            timers::sleep(TIMER_SLEEP).await;
                        }
                        report_period(start, n);
                    })
                    .await;
                });
            }
            "tokio" | "tokio-mt2" => {
                let mut b = if id == "tokio" {
                    tokio::runtime::Builder::new_current_thread()
                } else {
                    let mut b = tokio::runtime::Builder::new_multi_thread();
                    b.worker_threads(2);
                    b
                };
                b.enable_all().build().unwrap().block_on(async {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                    announce(listener.local_addr().unwrap());
                    tokio::spawn(async move {
                        let start = Instant::now();
                        for _ in 0..n {
                            tokio::time::sleep(TIMER_SLEEP).await;
                        }
                        report_period(start, n);
                    })
                    .await
                    .unwrap();
                });
            }
            "smol" => {
                let ex = async_executor::Executor::new();
                async_io::block_on(ex.run(async {
                    let listener =
                        async_io::Async::<std::net::TcpListener>::bind(([127, 0, 0, 1], 0))
                            .unwrap();
                    announce(listener.get_ref().local_addr().unwrap());
                    ex.spawn(async move {
                        let start = Instant::now();
                        for _ in 0..n {
                            async_io::Timer::after(TIMER_SLEEP).await;
                        }
                        report_period(start, n);
                    })
                    .await;
                }));
            }
            _ => panic!("unknown implementation {id}"),
        }
    }

    /// Prints the mean time per sleep of a `sleeps` loop that started at `start`.
    fn report_period(start: Instant, n: u64) {
        let mut out = std::io::stdout();
        writeln!(out, "period {}", start.elapsed().as_nanos() / u128::from(n)).unwrap();
        out.flush().unwrap();
    }

    fn ours(kind: &str) {
        let timed = kind == "hello-timer";
        use futures::{AsyncReadExt, AsyncWriteExt};
        let ex = executor::Executor::new();
        ex.block_on(async {
            let listener = reactor::net::TcpListener::bind("127.0.0.1:0").unwrap();
            announce(listener.local_addr().unwrap());
            loop {
                let (s, _) = listener.accept().await.unwrap();
                s.set_nodelay(true).unwrap();
                match kind {
                    "accept" => drop(s),
                    "hello" | "hello-timer" | "hello-idle" => drop(executor::spawn(async move {
                        let _ = hyper_builder(timed, hyper_rt::HyperTimer)
                            .serve_connection(
                                hyper_rt::HyperIo::new(s),
                                hyper_rt::hyper::service::service_fn(hello),
                            )
                            .await;
                    })),
                    _ => {
                        let echo = async move {
                            let mut buf = [0; 4096];
                            while let Ok(n @ 1..) = (&s).read(&mut buf).await {
                                if (&s).write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        };
                        if kind == "echo-one" {
                            echo.await;
                            return;
                        }
                        drop(executor::spawn(echo));
                    }
                }
            }
        });
    }

    fn tokio_rt(kind: &str, mut builder: tokio::runtime::Builder) {
        let timed = kind == "hello-timer";
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let rt = builder.enable_all().build().unwrap();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            announce(listener.local_addr().unwrap());
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                s.set_nodelay(true).unwrap();
                match kind {
                    "accept" => drop(s),
                    "hello" | "hello-timer" | "hello-idle" => drop(tokio::spawn(async move {
                        let _ = hyper_builder(timed, tokio_io::TokioTimer)
                            .serve_connection(
                                tokio_io::TokioIo(s),
                                hyper_rt::hyper::service::service_fn(hello),
                            )
                            .await;
                    })),
                    _ => {
                        let echo = async move {
                            let mut buf = [0; 4096];
                            while let Ok(n @ 1..) = s.read(&mut buf).await {
                                if s.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        };
                        if kind == "echo-one" {
                            echo.await;
                            return;
                        }
                        drop(tokio::spawn(echo));
                    }
                }
            }
        });
    }

    fn smol(kind: &str) {
        let timed = kind == "hello-timer";
        use futures_lite::{AsyncReadExt, AsyncWriteExt};
        let ex = async_executor::Executor::new();
        async_io::block_on(ex.run(async {
            let listener =
                async_io::Async::<std::net::TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
            announce(listener.get_ref().local_addr().unwrap());
            loop {
                let (s, _) = listener.accept().await.unwrap();
                s.get_ref().set_nodelay(true).unwrap();
                match kind {
                    "accept" => drop(s),
                    "hello" | "hello-timer" | "hello-idle" => ex
                        .spawn(async move {
                            let _ = hyper_builder(timed, tokio_io::SmolTimer)
                                .serve_connection(
                                    hyper_rt::HyperIo::new(s),
                                    hyper_rt::hyper::service::service_fn(hello),
                                )
                                .await;
                        })
                        .detach(),
                    _ => {
                        let echo = async move {
                            let mut s = s;
                            let mut buf = [0; 4096];
                            while let Ok(n @ 1..) = s.read(&mut buf).await {
                                if s.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        };
                        if kind == "echo-one" {
                            echo.await;
                            return;
                        }
                        ex.spawn(echo).detach();
                    }
                }
            }
        }));
    }
}

/// hyper's I/O traits over a tokio `TcpStream` (what hyper-util's `TokioIo` does), so that the
/// tokio servers run the very same hyper as ours.
mod tokio_io {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use hyper_rt::hyper;

    pub struct TokioIo(pub tokio::net::TcpStream);

    impl hyper::rt::Read for TokioIo {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            mut buf: hyper::rt::ReadBufCursor<'_>,
        ) -> Poll<std::io::Result<()>> {
            // SAFETY: tokio's ReadBuf never de-initialises bytes; we hand it hyper's unfilled
            // part and advance hyper's cursor by exactly what tokio reports as filled.
            let n = unsafe {
                let mut tbuf = tokio::io::ReadBuf::uninit(buf.as_mut());
                match tokio::io::AsyncRead::poll_read(
                    Pin::new(&mut self.get_mut().0),
                    cx,
                    &mut tbuf,
                ) {
                    Poll::Ready(Ok(())) => tbuf.filled().len(),
                    other => return other,
                }
            };
            // SAFETY: tokio filled (initialised) these `n` bytes.
            unsafe { buf.advance(n) };
            Poll::Ready(Ok(()))
        }
    }

    /// hyper's `rt::Timer` on tokio's timers (what hyper-util's `TokioTimer` does).
    #[derive(Clone, Copy)]
    pub struct TokioTimer;

    struct TokioSleep(Pin<Box<tokio::time::Sleep>>);

    impl std::future::Future for TokioSleep {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.0.as_mut().poll(cx)
        }
    }

    impl hyper::rt::Sleep for TokioSleep {}

    impl hyper::rt::Timer for TokioTimer {
        fn sleep(&self, duration: std::time::Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
            Box::pin(TokioSleep(Box::pin(tokio::time::sleep(duration))))
        }
        fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
            Box::pin(TokioSleep(Box::pin(tokio::time::sleep_until(
                deadline.into(),
            ))))
        }
    }

    /// hyper's `rt::Timer` on async-io's timers, for the smol server.
    #[derive(Clone, Copy)]
    pub struct SmolTimer;

    struct SmolSleep(async_io::Timer);

    impl std::future::Future for SmolSleep {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            Pin::new(&mut self.0).poll(cx).map(drop)
        }
    }

    impl hyper::rt::Sleep for SmolSleep {}

    impl hyper::rt::Timer for SmolTimer {
        fn sleep(&self, duration: std::time::Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
            Box::pin(SmolSleep(async_io::Timer::after(duration)))
        }
        fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
            Box::pin(SmolSleep(async_io::Timer::at(deadline)))
        }
    }

    impl hyper::rt::Write for TokioIo {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            tokio::io::AsyncWrite::poll_write(Pin::new(&mut self.get_mut().0), cx, buf)
        }
        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            tokio::io::AsyncWrite::poll_flush(Pin::new(&mut self.get_mut().0), cx)
        }
        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            tokio::io::AsyncWrite::poll_shutdown(Pin::new(&mut self.get_mut().0), cx)
        }
    }
}

/// The load generator: tokio current_thread on raw sockets, the same for every server.
mod client {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// Closes with a reset: no client port left in TIME_WAIT across thousands of connections.
    fn reset_on_close(s: &TcpStream) {
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: the fd is open (owned by `s`); `linger` is a valid `struct linger` whose
        // size is passed.
        unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&raw const linger).cast(),
                size_of::<libc::linger>() as libc::socklen_t,
            );
        }
    }

    async fn connect(addr: SocketAddr) -> TcpStream {
        let s = TcpStream::connect(addr)
            .await
            .expect("connect to the server");
        s.set_nodelay(true).unwrap();
        reset_on_close(&s);
        s
    }

    /// `n` connections to `addr`, made one after another.
    async fn connect_all(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
        let mut streams = Vec::with_capacity(n);
        for _ in 0..n {
            streams.push(connect(addr).await);
        }
        streams
    }

    pub fn measure(workload: Workload, addr: SocketAddr, pid: u32, window: Duration) -> Sample {
        runtime().block_on(async move {
            match workload {
                Workload::Echo(n) => echo(addr, pid, n, window).await,
                Workload::Accept => accept(addr, window).await,
                Workload::Hello | Workload::HelloTimer => hello(addr, pid, window).await,
            }
        })
    }

    /// Nanoseconds the threads of process `pid` have run on a CPU (the first field of each
    /// thread's `schedstat`); `None` where `/proc` does not say.
    fn cpu_ns(pid: u32) -> Option<u64> {
        let mut total = 0;
        for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
            let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
            total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
        }
        Some(total)
    }

    /// The CPU nanoseconds of the server (`pid`) and of this process (the load generator)
    /// between `start` and `end`, the window whose operations are counted.
    fn cpu_window(
        pid: u32,
        start: Instant,
        end: Instant,
    ) -> tokio::task::JoinHandle<Option<(u64, u64)>> {
        tokio::spawn(async move {
            tokio::time::sleep_until(start.into()).await;
            let (server, client) = (cpu_ns(pid), cpu_ns(std::process::id()));
            tokio::time::sleep_until(end.into()).await;
            Some((
                cpu_ns(pid)? - server?,
                cpu_ns(std::process::id())? - client?,
            ))
        })
    }

    /// Each connection: write a message, read it back, again; latencies inside the window.
    async fn echo(addr: SocketAddr, pid: u32, conns: usize, window: Duration) -> Sample {
        let streams = connect_all(addr, conns).await;
        let start = Instant::now() + WARMUP;
        let end = start + window;
        let tasks: Vec<_> = streams
            .into_iter()
            .map(|mut s| {
                tokio::spawn(async move {
                    let mut lat = Vec::new();
                    let msg = [7u8; MESSAGE];
                    let mut back = [0u8; MESSAGE];
                    loop {
                        let t0 = Instant::now();
                        if t0 >= end {
                            return lat;
                        }
                        s.write_all(&msg).await.unwrap();
                        s.read_exact(&mut back).await.unwrap();
                        if t0 >= start {
                            lat.push(t0.elapsed().as_nanos() as u64);
                        }
                    }
                })
            })
            .collect();
        let cpu = cpu_window(pid, start, end);
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await.unwrap());
        }
        lat.sort_unstable();
        let p99 = lat[(lat.len() * 99 / 100).min(lat.len() - 1)] as f64;
        let n = lat.len() as f64;
        let cpu = cpu.await.unwrap();
        Sample {
            ns_per_op: window.as_nanos() as f64 / n,
            p99_ns: Some(p99),
            server_cpu_ns: cpu.map(|(server, _)| server as f64 / n),
            client_cpu_ns: cpu.map(|(_, client)| client as f64 / n),
        }
    }

    /// Connect + close loops; connections made inside the window.
    async fn accept(addr: SocketAddr, window: Duration) -> Sample {
        let start = Instant::now() + WARMUP;
        let end = start + window;
        let tasks: Vec<_> = (0..ACCEPTORS)
            .map(|_| {
                tokio::spawn(async move {
                    let mut n = 0u64;
                    loop {
                        let t0 = Instant::now();
                        if t0 >= end {
                            return n;
                        }
                        // Wait for the server's close (it accepted), then reset.
                        let mut s = connect(addr).await;
                        let mut byte = [0u8; 1];
                        let _ = s.read(&mut byte).await;
                        drop(s);
                        if t0 >= start {
                            n += 1;
                        }
                    }
                })
            })
            .collect();
        let mut n = 0;
        for t in tasks {
            n += t.await.unwrap();
        }
        Sample {
            ns_per_op: window.as_nanos() as f64 / n as f64,
            p99_ns: None,
            server_cpu_ns: None,
            client_cpu_ns: None,
        }
    }

    /// Keep-alive GETs, one outstanding per connection; responses inside the window.
    async fn hello(addr: SocketAddr, pid: u32, window: Duration) -> Sample {
        let streams = connect_all(addr, HELLO_CONNECTIONS).await;
        let start = Instant::now() + WARMUP;
        let end = start + window;
        let tasks: Vec<_> = streams
            .into_iter()
            .map(|mut s| {
                tokio::spawn(async move {
                    let mut n = 0u64;
                    let mut buf = Vec::with_capacity(512);
                    loop {
                        let t0 = Instant::now();
                        if t0 >= end {
                            return n;
                        }
                        s.write_all(REQUEST).await.unwrap();
                        buf.clear();
                        // The response ends with the body, which no header contains.
                        while !buf.ends_with(HELLO) {
                            let got = s.read_buf(&mut buf).await.unwrap();
                            assert!(got > 0, "the server closed the connection");
                        }
                        if t0 >= start {
                            n += 1;
                        }
                    }
                })
            })
            .collect();
        let cpu = cpu_window(pid, start, end);
        let mut n = 0;
        for t in tasks {
            n += t.await.unwrap();
        }
        let n = n as f64;
        let cpu = cpu.await.unwrap();
        Sample {
            ns_per_op: window.as_nanos() as f64 / n,
            p99_ns: None,
            server_cpu_ns: cpu.map(|(server, _)| server as f64 / n),
            client_cpu_ns: cpu.map(|(_, client)| client as f64 / n),
        }
    }

    /// Opens [`IDLE_CONNECTIONS`] keep-alive connections, one request each, keeps them open
    /// and returns what the server reports as heap bytes per connection.
    pub fn idle_hello(addr: SocketAddr, server: &mut Server) -> i64 {
        runtime().block_on(async move {
            let mut held = Vec::with_capacity(IDLE_CONNECTIONS);
            for _ in 0..IDLE_CONNECTIONS {
                let mut s = connect(addr).await;
                s.write_all(REQUEST).await.unwrap();
                let mut buf = Vec::with_capacity(512);
                while !buf.ends_with(HELLO) {
                    assert!(s.read_buf(&mut buf).await.unwrap() > 0, "closed");
                }
                held.push(s);
            }
            let line = server.read_line();
            line.trim()
                .strip_prefix("idle bytes per connection ")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("the server said {line:?}"))
        })
    }

    /// `requests` keep-alive GETs spread over [`HELLO_CONNECTIONS`] connections (one
    /// outstanding per connection), then close.
    pub fn fixed_hello(addr: SocketAddr, requests: u64) {
        runtime().block_on(async move {
            let streams = connect_all(addr, HELLO_CONNECTIONS).await;
            let per = requests / HELLO_CONNECTIONS as u64;
            let tasks: Vec<_> = streams
                .into_iter()
                .map(|mut s| {
                    tokio::spawn(async move {
                        let mut buf = Vec::with_capacity(512);
                        for _ in 0..per {
                            s.write_all(REQUEST).await.unwrap();
                            buf.clear();
                            while !buf.ends_with(HELLO) {
                                let got = s.read_buf(&mut buf).await.unwrap();
                                assert!(got > 0, "the server closed the connection");
                            }
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
    }

    /// Exactly `trips` echo round trips on one connection, then close.
    pub fn round_trips(addr: SocketAddr, trips: u64) {
        runtime().block_on(async move {
            let mut s = connect(addr).await;
            let msg = [7u8; MESSAGE];
            let mut back = [0u8; MESSAGE];
            for _ in 0..trips {
                s.write_all(&msg).await.unwrap();
                s.read_exact(&mut back).await.unwrap();
            }
            s.shutdown().await.unwrap();
        });
    }
}
