//! `spawn_blocking`: the pool grows to run 100 blocking closures at once, a panic reaches its
//! handle, it works outside any executor, and it never runs on (or blocks) a runner thread.

use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use executor::{Executor, spawn_blocking};

/// A failure bound, not a speed check: only a broken pool gets near it.
const STUCK: Duration = Duration::from_secs(60);

/// Counts the closures that have started and lets each wait until `n` have.
struct StartLine {
    started: Mutex<usize>,
    all_in: Condvar,
}

impl StartLine {
    /// Returns whether all `n` were running at the same time (false after `STUCK`).
    fn arrive_and_wait(&self, n: usize) -> bool {
        let mut started = self.started.lock().unwrap();
        *started += 1;
        self.all_in.notify_all();
        let (started, _) = self
            .all_in
            .wait_timeout_while(started, STUCK, |started| *started < n)
            .unwrap();
        *started >= n
    }
}

#[test]
fn a_hundred_sleeping_closures_run_at_once() {
    const N: usize = 100;
    let line = Arc::new(StartLine {
        started: Mutex::new(0),
        all_in: Condvar::new(),
    });
    let handles: Vec<_> = (0..N)
        .map(|i| {
            let line = line.clone();
            spawn_blocking(move || {
                let together = line.arrive_and_wait(N);
                thread::sleep(Duration::from_millis(100));
                (i, together, thread::current().id())
            })
        })
        .collect();
    let ex = Executor::new();
    let results: Vec<_> = ex.block_on(async {
        let mut results = Vec::new();
        for handle in handles {
            results.push(handle.await);
        }
        results
    });
    // All 100 were running before any of them went to sleep: the 100 sleeps overlapped, so
    // together they take one sleep's time, not a hundred.
    assert!(results.iter().all(|&(_, together, _)| together));
    let threads: std::collections::HashSet<_> = results.iter().map(|r| r.2).collect();
    assert_eq!(threads.len(), N, "each closure had a thread of its own");
    assert!(results.iter().enumerate().all(|(i, r)| r.0 == i));
}

#[test]
fn a_panic_reaches_the_handle() {
    let err = block_on::block_on(spawn_blocking(|| -> u8 { panic!("disk on fire") }).try_join())
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(err.to_string(), "task panicked: disk on fire");
    // The pool carries on.
    assert_eq!(block_on::block_on(spawn_blocking(|| 1)), 1);
}

#[test]
fn works_outside_any_executor_and_on_another_thread() {
    let caller = thread::current().id();
    let ran_on = block_on::block_on(spawn_blocking(|| thread::current().id()));
    assert_ne!(ran_on, caller);
}

#[test]
fn never_runs_on_the_runner_that_spawned_it() {
    // One thread drives this executor. If spawn_blocking ran the closure in place, the closure
    // would wait for a message that only the code after the spawn sends: a deadlock.
    let ex = Executor::new();
    let out = ex.block_on(async {
        let (tx, rx) = mpsc::channel();
        let blocking = spawn_blocking(move || rx.recv_timeout(STUCK).expect("never sent"));
        let task = executor::spawn(async move {
            tx.send(5).unwrap();
            "sent"
        });
        (task.await, blocking.await)
    });
    assert_eq!(out, ("sent", 5));
}

#[test]
fn tasks_keep_running_while_blocking_jobs_block() {
    // One worker; blocking jobs wait for the tasks' message, so the worker must stay free.
    let ex = Executor::builder().worker_threads(1).build();
    let (tx, rx) = mpsc::channel::<u32>();
    let rx = Arc::new(Mutex::new(rx));
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let rx = rx.clone();
            ex.spawn(async move {
                spawn_blocking(move || rx.lock().unwrap().recv_timeout(STUCK).unwrap()).await
            })
        })
        .collect();
    let senders: Vec<_> = (0..4)
        .map(|i| {
            let tx = tx.clone();
            ex.spawn(async move { tx.send(i).unwrap() })
        })
        .collect();
    for s in senders {
        block_on::block_on(s);
    }
    let mut got: Vec<u32> = waiters.into_iter().map(block_on::block_on).collect();
    got.sort_unstable();
    assert_eq!(got, [0, 1, 2, 3]);
}
