//! What the examples that count the cost of message passing share (`wake_cost`,
//! `pp_threads`): the seam through which a workload spawns on the runtime under test, and the
//! ping-pong workload (the `executor` bench's `pingpong_100x1000` shape, its tasks detached and
//! the root told of each pair's end through a channel).

use std::future::Future;

/// Spawns a task, detached, on the runtime under test.
pub trait Spawn: Clone + Send + 'static {
    fn spawn(&self, f: impl Future<Output = ()> + Send + 'static);
}

/// `pairs` pairs of tasks; in each, one sends `round_trips` pings over an `async-channel`
/// bounded(1) and the other answers each with a pong. Returns when every pair is done. With
/// `pad`, a page is allocated between two pairs' tasks and channels, so that no cache line
/// holds data of two pairs (which may run on different threads).
pub async fn ping_pong(s: impl Spawn, pairs: u64, round_trips: u64, pad: bool) {
    let mut pads = Vec::new();
    let (done_tx, done_rx) = async_channel::unbounded::<()>();
    for _ in 0..pairs {
        if pad {
            pads.push(vec![0u8; 4096]);
        }
        let (ping_tx, ping_rx) = async_channel::bounded::<u64>(1);
        let (pong_tx, pong_rx) = async_channel::bounded::<u64>(1);
        let done = done_tx.clone();
        s.spawn(async move {
            for i in 0..round_trips {
                ping_tx.send(i).await.expect("the ponger is alive");
                pong_rx.recv().await.expect("the ponger is alive");
            }
            done.send(()).await.expect("the root waits");
        });
        s.spawn(async move {
            while let Ok(i) = ping_rx.recv().await {
                pong_tx.send(i).await.expect("the pinger is alive");
            }
        });
    }
    for _ in 0..pairs {
        done_rx.recv().await.expect("every pinger reports");
    }
    drop(pads);
}
