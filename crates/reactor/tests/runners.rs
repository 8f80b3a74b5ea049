//! Executor runners that wait in the reactor (the driver's invariant 4): wakes from other
//! threads reach a runner blocked in the poller, shutdown reaches it, a runner stuck in a
//! blocking poll does not stall I/O that nothing else waits for, and the fallback thread's
//! watch backs off while the runners keep turning the poller.
//!
//! Each test runs under [`testkit::within`], whose limit only turns a hang (a lost wake-up)
//! into a failure; it is many times what the test needs on a loaded machine.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use futures::channel::oneshot;
use futures::{AsyncReadExt, AsyncWriteExt};

/// The tests of this file one at a time: one test's socket events would end another's
/// wait in the reactor and hide a lost wake-up there.
static SERIAL: Mutex<()> = Mutex::new(());

/// The hang guard of every test here.
const HANG: Duration = Duration::from_secs(60);
/// Wake-ups per test in the many-iterations test.
const ITERATIONS: u64 = 300;

/// Makes sure the reactor exists (and so is the installed idle driver) before any runner
/// starts sleeping: a listener registered with it, kept for the test's length.
fn reactor_on() -> reactor::TcpListener {
    reactor::TcpListener::bind("127.0.0.1:0").unwrap()
}

/// A small seeded generator (xorshift64*), so that a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let seed = std::env::var("RUNNERS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        println!("RUNNERS_SEED={seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// A short random pause, so the wake lands before, during or after the runner's wait.
fn jitter(rng: &mut Rng) -> Duration {
    Duration::from_micros(rng.below(300))
}

#[test]
fn wakes_from_other_threads_reach_the_runner_waiting_in_the_reactor() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    testkit::within(HANG, || {
        let _reactor = reactor_on();
        let mut rng = Rng::seeded();
        // One worker: the only runner of its executor, so it is the one in the poller.
        let ex = executor::Executor::builder().worker_threads(1).build();
        // A second executor driven by this thread's `block_on`: its root future is woken from
        // another thread while this thread waits in the poller.
        let root = executor::Executor::new();
        for _ in 0..ITERATIONS {
            let pause = jitter(&mut rng);
            match rng.below(4) {
                // The timer thread wakes a task.
                0 => block_on::block_on(ex.spawn(timers::sleep(pause))),
                // A plain thread wakes a task.
                1 => {
                    let (tx, rx) = oneshot::channel();
                    let task = ex.spawn(rx);
                    std::thread::spawn(move || {
                        std::thread::sleep(pause);
                        tx.send(()).unwrap();
                    });
                    block_on::block_on(task).unwrap();
                }
                // `block_on::block_on`'s root future (on another thread) wakes a task.
                2 => {
                    let (tx, rx) = oneshot::channel();
                    let task = ex.spawn(rx);
                    std::thread::spawn(move || {
                        block_on::block_on(async move {
                            timers::sleep(pause).await;
                            tx.send(()).unwrap();
                        })
                    });
                    block_on::block_on(task).unwrap();
                }
                // A plain thread wakes `Executor::block_on`'s own future, whose runner (this
                // thread) waits in the poller.
                _ => {
                    let (tx, rx) = oneshot::channel();
                    std::thread::spawn(move || {
                        std::thread::sleep(pause);
                        tx.send(()).unwrap();
                    });
                    root.block_on(rx).unwrap();
                }
            }
        }
    });
}

#[test]
fn dropping_an_executor_whose_runners_wait_in_the_reactor_returns() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    testkit::within(HANG, || {
        let _reactor = reactor_on();
        for workers in [1, 2] {
            let ex = executor::Executor::builder()
                .worker_threads(workers)
                .build();
            let (client, server) = common::pair();
            // A task waiting on a read that never comes, so the workers have nothing to do.
            let reader = ex.spawn(async move {
                let mut byte = [0u8; 1];
                (&server).read(&mut byte).await
            });
            // Let the workers go idle (one in the poller); the drop must reach them there.
            std::thread::sleep(Duration::from_millis(20));
            drop(ex);
            assert!(
                block_on::block_on(reader.try_join())
                    .unwrap_err()
                    .is_cancelled(),
                "cancelled by the drop"
            );
            drop(client);
        }
    });
}

#[test]
fn a_runner_stuck_in_a_blocking_poll_does_not_stall_a_socket_wait_elsewhere() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    testkit::within(HANG, || {
        let _reactor = reactor_on();
        let ex = executor::Executor::builder().worker_threads(1).build();
        // Let the worker go idle in the poller first, as it would in a real program.
        block_on::block_on(ex.spawn(async {}));
        let blocking = Arc::new(AtomicBool::new(false));
        let (release, released) = mpsc::channel::<()>();
        let (started, start) = mpsc::channel::<()>();
        let blocker = ex.spawn({
            let blocking = blocking.clone();
            async move {
                blocking.store(true, Ordering::SeqCst);
                started.send(()).unwrap();
                // Blocks the only runner until the read below is done: if nothing else
                // delivers that read's event, this never returns.
                released.recv().unwrap();
                blocking.store(false, Ordering::SeqCst);
            }
        });
        start.recv().unwrap();
        let (mut client, server) = common::pair();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            block_on::block_on(client.write_all(b"x")).unwrap();
            client
        });
        let mut byte = [0u8; 1];
        block_on::block_on((&server).read_exact(&mut byte)).unwrap();
        assert_eq!(&byte, b"x");
        assert!(
            blocking.load(Ordering::SeqCst),
            "the read completed while the blocker still held the runner"
        );
        release.send(()).unwrap();
        block_on::block_on(blocker);
        drop(writer.join().unwrap());
    });
}

/// The voluntary context switches of this process's thread named `name`.
#[cfg(target_os = "linux")]
fn voluntary_switches(name: &str) -> Option<u64> {
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path();
        if std::fs::read_to_string(path.join("comm")).ok()?.trim() != name {
            continue;
        }
        let status = std::fs::read_to_string(path.join("status")).ok()?;
        let line = status
            .lines()
            .find(|l| l.starts_with("voluntary_ctxt_switches:"))?;
        return line.split_whitespace().nth(1)?.parse().ok();
    }
    None
}

#[test]
#[cfg(target_os = "linux")]
fn the_fallbacks_watch_backs_off_while_a_runner_keeps_turning_the_poller() {
    // How long the runner keeps busy, and the most watch wake-ups allowed meanwhile: at the
    // first period (5 ms) for the whole window that would be 200; backing off to the longest
    // (20 ms) it is about 50. The margin covers periods that start over because a loaded
    // machine left the runner off its CPU for a whole period; a slow machine only makes
    // the fallback wake less often.
    const BUSY: Duration = Duration::from_secs(1);
    const MOST_WAKE_UPS: u64 = 120;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    testkit::within(HANG, || {
        let _reactor = reactor_on();
        let ex = executor::Executor::builder().worker_threads(1).build();
        let (started, start) = mpsc::channel::<()>();
        let busy = ex.spawn(async move {
            started.send(()).unwrap();
            let end = std::time::Instant::now() + BUSY;
            // Yields, so the runner takes a non-blocking turn of the poller every so many
            // polls: the runners drive, and the fallback only watches.
            while std::time::Instant::now() < end {
                executor::yield_now().await;
            }
        });
        start.recv().unwrap();
        let before = voluntary_switches("reactor").expect("the fallback thread");
        block_on::block_on(busy);
        let woke = voluntary_switches("reactor").expect("the fallback thread") - before;
        assert!(
            woke <= MOST_WAKE_UPS,
            "the fallback woke {woke} times in {BUSY:?} while a runner turned the poller"
        );
    });
}
