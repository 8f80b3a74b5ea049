//! Helpers shared by the reactor's integration tests.

// Not every test binary that includes this module uses every helper.
#![allow(dead_code)]

use std::time::Duration;

use reactor::net::{TcpListener, TcpStream};

/// A connected loopback pair: (client, server). The listener is dropped.
pub fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    block_on::block_on(async {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    })
}

/// `sleeps` short sleeps (0 to 300 µs, seeded), one after another, each awaited by
/// `block_on::block_on` on this thread (no runner): with the timers folded into the reactor's
/// waits, each one is the only thing going on, so only the thread waiting in the poller (an
/// idle worker of an executor made here if `with_runner`, else the reactor's fallback) can
/// fire it, and nothing else would wake that thread. A timer handed in at the wrong moment
/// (between the waiter's round and its plan, or during its wait) that the waiter misses leaves
/// this thread asleep for good. Back to back, each hand-in comes right after the waiter's
/// previous round. The reactor must exist before the process's first timer.
pub fn lone_sleeps(with_runner: bool, sleeps: u64, seed: u64) {
    let mut state = seed | 1;
    let mut micros = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % 300
    };
    let ex = with_runner.then(|| executor::Executor::builder().worker_threads(1).build());
    if let Some(ex) = &ex {
        // The worker goes idle, into the poller.
        block_on::block_on(ex.spawn(async {}));
    }
    for _ in 0..sleeps {
        block_on::block_on(timers::sleep(Duration::from_micros(micros())));
    }
}
