//! Whole-system checks of the watcher rule (`sleepers`, "Lone tasks and the watcher"): a task
//! queued alone on a runner's own queue, behind a poll that blocks that runner, must start
//! elsewhere whatever else wakes the idle runners meanwhile.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use executor::{Executor, spawn};

/// How often the feeder queues a task from outside: well inside the watch interval (1 ms), so
/// the idle runner, woken by each of these pushes, never finishes a watch undisturbed.
const FEED_GAP: Duration = Duration::from_micros(200);

/// Feeder tasks after which the feeder stops. A watch interval spans about five feeds (a
/// loaded machine only makes feeds rarer, so fewer); the defect left the lone task waiting
/// until the feeder stopped, after all of them.
const FEEDS: usize = 200;

/// A lone task behind a blocked poll, while another thread keeps queueing tasks from outside
/// (each one wakes the idle runner by a push before its watch runs out): the idle runner must
/// still judge the blocked owner stalled and take the task about a watch interval later, not
/// once the outside pushes stop. Counted in feeder tasks run, not in wall time.
#[test]
fn a_lone_task_behind_a_blocked_poll_starts_while_pushes_from_outside_keep_coming() {
    let ex = Executor::builder().worker_threads(1).build();
    let fed = Arc::new(AtomicUsize::new(0));
    let lone_ran = Arc::new(AtomicBool::new(false));
    let fed_when_lone_ran = thread::scope(|scope| {
        scope.spawn(|| {
            for _ in 0..FEEDS {
                if lone_ran.load(Ordering::SeqCst) {
                    break;
                }
                let fed = fed.clone();
                drop(ex.spawn(async move {
                    fed.fetch_add(1, Ordering::SeqCst);
                }));
                thread::sleep(FEED_GAP);
            }
        });
        let (tx, rx) = mpsc::channel();
        let (fed, lone_ran) = (fed.clone(), lone_ran.clone());
        ex.block_on(async move {
            // Queued alone on this runner's own queue, behind this very poll...
            drop(spawn(async move {
                lone_ran.store(true, Ordering::SeqCst);
                tx.send(fed.load(Ordering::SeqCst)).unwrap();
            }));
            // ...which blocks its thread until the task has run elsewhere (the time-out only
            // turns a hang into a failure).
            rx.recv_timeout(Duration::from_secs(60))
                .expect("the lone task never ran")
        })
    });
    eprintln!("the lone task ran after {fed_when_lone_ran} feeder tasks");
    assert!(
        fed_when_lone_ran < FEEDS / 2,
        "the lone task waited behind the blocked poll for {fed_when_lone_ran} feeder tasks"
    );
}
