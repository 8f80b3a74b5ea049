//! 10 000 idle connections: heap bytes per connection at most tokio's (same task per
//! connection, same process, counted by a counting allocator), and not a single wake-up of
//! any thread of the process (so zero CPU) while they are idle: not the runner waiting in
//! the reactor, not the reactor's fallback thread, not the timer thread.
//!
//! The client ends live in a child process (this test binary run again with one ignored test
//! selected), so the 10 000 server-side fds fit under the fd limit here. Where the hard fd
//! limit is lower, the test holds as many connections as it allows (at least
//! [`MIN_CONNECTIONS`]) and says so.

#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Connections held where the hard fd limit allows.
const CONNECTIONS: usize = 10_000;
/// Fewer connections than this would not show a per-connection cost above the noise of the
/// runtime's own allocations.
const MIN_CONNECTIONS: usize = 1_000;
/// Fds kept free beyond the connections: stdio, the poller, the listener, test harness pipes.
const OTHER_FDS: u64 = 256;
const CHILD: &str = "REACTOR_IDLE_CLIENTS_OF";
/// The child connects this many clients, then waits until the server has accepted them: a
/// burst larger than the listen backlog would drop SYNs and stall each dropped connect for a
/// second (the SYN retransmission timeout).
const BATCH: usize = 500;
/// How long the threads are watched while every connection is idle.
const IDLE_WINDOW: Duration = Duration::from_millis(300);
/// Windows watched at most: one with no wake-up is enough. On a loaded machine the first may
/// still see the last steps into idleness (the reactor's fallback thread notices within a few
/// ms that a runner waits); a thread that wakes periodically wakes in every window.
const IDLE_WINDOWS: usize = 5;

#[global_allocator]
static ALLOC: testkit::CountingAlloc = testkit::CountingAlloc;

/// Raises the soft fd limit to what [`connections`] needs and returns that count.
fn raise_fd_limit() -> usize {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: writes the current limits into `rl`, which we own.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) }, 0);
    let connections = CONNECTIONS.min(rl.rlim_max.saturating_sub(OTHER_FDS) as usize);
    assert!(
        connections >= MIN_CONNECTIONS,
        "this test needs {} fds; the hard limit is {}",
        MIN_CONNECTIONS as u64 + OTHER_FDS,
        rl.rlim_max
    );
    rl.rlim_cur = rl.rlim_cur.max(connections as u64 + OTHER_FDS);
    // SAFETY: `rl` is a valid `struct rlimit`; the soft limit stays within the hard one.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) }, 0);
    connections
}

/// Starts the child that connects [`raise_fd_limit`]'s count of clients to `addr` and holds them open until
/// its stdin closes.
fn spawn_clients(addr: SocketAddr) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "idle_clients_child",
            "--include-ignored",
            "--nocapture",
        ])
        .env(CHILD, addr.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Tells the child that a batch was accepted (after every `BATCH` accepts but the last of
/// `connections`).
fn accepted(child: &mut Child, n: usize, connections: usize) {
    if n.is_multiple_of(BATCH) && n < connections {
        child.stdin.as_mut().unwrap().write_all(b"more\n").unwrap();
    }
}

/// Waits until the child says every client is connected.
fn wait_connected(child: &mut Child) {
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        if line.starts_with("clients connected") {
            // Keep reading the rest in the background, so the child never writes to a
            // closed pipe.
            std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
            return;
        }
        line.clear();
    }
    panic!("the client process ended before connecting");
}

/// Closes the child's stdin (it then drops its clients and exits) and waits for it.
fn finish(mut child: Child) {
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}

/// How many times each thread of this process but `except` has been switched out so far
/// (voluntary and not), by thread id, with its name. A thread blocked in the kernel is never
/// switched: each wake-up, even one that does no work, counts one.
fn thread_switches(except: i32) -> HashMap<i32, (String, u64)> {
    let mut switches = HashMap::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = task.unwrap().path();
        let tid: i32 = dir.file_name().unwrap().to_str().unwrap().parse().unwrap();
        if tid == except {
            continue;
        }
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        // A thread that exited meanwhile has no status left: it is not idle-waiting anyway.
        let Ok(status) = std::fs::read_to_string(dir.join("status")) else {
            continue;
        };
        let n = status
            .lines()
            .filter(|l| l.contains("ctxt_switches:"))
            .map(|l| l.split_whitespace().last().unwrap().parse::<u64>().unwrap())
            .sum();
        switches.insert(tid, (comm.trim().to_owned(), n));
    }
    switches
}

/// Watches every other thread for [`IDLE_WINDOW`], up to [`IDLE_WINDOWS`] times, and returns
/// the names of the threads that woke in the last window watched (empty: none woke).
fn threads_woken_while_idle() -> Vec<String> {
    // SAFETY: gettid has no preconditions.
    let me = unsafe { libc::gettid() };
    let mut woken = Vec::new();
    for _ in 0..IDLE_WINDOWS {
        let before = thread_switches(me);
        std::thread::sleep(IDLE_WINDOW);
        let after = thread_switches(me);
        woken = after
            .iter()
            .filter(|(tid, (_, n))| before.get(tid).is_none_or(|(_, m)| m != n))
            .map(|(_, (name, _))| name.clone())
            .collect();
        if woken.is_empty() {
            break;
        }
    }
    woken
}

/// A read on a connection whose client went away: reset (or, racing, end of stream).
fn closed(read: std::io::Result<usize>) {
    match read {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("expected the connection closed, got {other:?}"),
    }
}

/// Live heap bytes, counted while a [`testkit::AllocWindow`] is open.
fn live() -> isize {
    testkit::live_bytes() as isize
}

/// Ours: one executor task per connection, each waiting to read one byte.
fn ours_bytes_per_connection(connections: usize) -> (isize, Vec<String>) {
    use futures::AsyncReadExt;
    let ex = executor::Executor::new();
    let listener = reactor::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut tasks = Vec::with_capacity(connections);
    let mut child = spawn_clients(listener.local_addr().unwrap());
    let _window = testkit::AllocWindow::open();
    let before = live();
    let (bytes, woken) = ex.block_on(async {
        for n in 1..=connections {
            let (stream, _) = listener.accept().await.unwrap();
            accepted(&mut child, n, connections);
            tasks.push(executor::spawn(async move {
                let mut byte = [0u8; 1];
                (&stream).read(&mut byte).await
            }));
        }
        wait_connected(&mut child);
        // Let every task run once and park on its socket.
        timers::sleep(Duration::from_millis(100)).await;
        let bytes = live() - before;
        // The runtime waits (the runner in the reactor) while a plain thread watches.
        let (done, watched) = futures::channel::oneshot::channel();
        let watcher = std::thread::spawn(move || done.send(threads_woken_while_idle()));
        let woken = watched.await.unwrap();
        watcher.join().unwrap().unwrap();
        (bytes, woken)
    });
    finish(child);
    ex.block_on(async {
        for t in tasks {
            closed(t.await);
        }
    });
    (bytes / connections as isize, woken)
}

/// tokio (current_thread): the same task per connection.
fn tokio_bytes_per_connection(connections: usize) -> isize {
    use tokio::io::AsyncReadExt;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The same backlog as ours (1024), so neither side drops SYNs.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    assert_eq!(
        // SAFETY: the fd is open (owned by `std_listener`) for the whole call.
        unsafe { libc::listen(std::os::fd::AsRawFd::as_raw_fd(&std_listener), 1024) },
        0
    );
    let listener = {
        let _guard = rt.enter();
        tokio::net::TcpListener::from_std(std_listener).unwrap()
    };
    let mut tasks = Vec::with_capacity(connections);
    let mut child = spawn_clients(listener.local_addr().unwrap());
    let _window = testkit::AllocWindow::open();
    let before = live();
    let bytes = rt.block_on(async {
        for n in 1..=connections {
            let (mut stream, _) = listener.accept().await.unwrap();
            accepted(&mut child, n, connections);
            tasks.push(tokio::spawn(async move {
                let mut byte = [0u8; 1];
                stream.read(&mut byte).await
            }));
        }
        wait_connected(&mut child);
        tokio::time::sleep(Duration::from_millis(100)).await;
        live() - before
    });
    finish(child);
    rt.block_on(async {
        for t in tasks {
            closed(t.await.unwrap());
        }
    });
    bytes / connections as isize
}

#[test]
fn ten_thousand_idle_connections_cost_no_more_than_tokio_and_no_cpu() {
    let connections = raise_fd_limit();
    let (ours, woken) = ours_bytes_per_connection(connections);
    let tokio = tokio_bytes_per_connection(connections);
    println!(
        "heap bytes per idle connection ({connections} connections): ours {ours}, tokio {tokio}"
    );
    assert!(
        woken.is_empty(),
        "threads woke up while {connections} connections were idle: {woken:?}"
    );
    assert!(
        ours <= tokio,
        "ours {ours} B per connection, tokio {tokio} B"
    );
}

#[test]
#[ignore = "run in its own process by ten_thousand_idle_connections_..."]
fn idle_clients_child() {
    let Some(addr) = std::env::var_os(CHILD) else {
        return;
    };
    let addr: SocketAddr = addr.to_str().unwrap().parse().unwrap();
    let connections = raise_fd_limit();
    let mut stdin = BufReader::new(std::io::stdin());
    let mut clients = Vec::with_capacity(connections);
    while clients.len() < connections {
        if !clients.is_empty() {
            let mut line = String::new();
            stdin.read_line(&mut line).unwrap(); // "more": the last batch was accepted
        }
        for _ in 0..BATCH.min(connections - clients.len()) {
            clients.push(std::net::TcpStream::connect(addr).unwrap());
        }
    }
    println!("clients connected: {}", clients.len());
    std::io::stdout().flush().unwrap();
    let mut rest = Vec::new();
    let _ = stdin.read_to_end(&mut rest);
    // Close with a reset rather than a FIN: no 10 000 client ports left in TIME_WAIT to slow
    // down the next run's connects.
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    for c in &clients {
        // SAFETY: the fd is open (owned by `c`); `linger` is a valid `struct linger` whose
        // size is passed.
        let rc = unsafe {
            libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(c),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&raw const linger).cast(),
                size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0);
    }
    drop(clients);
}
