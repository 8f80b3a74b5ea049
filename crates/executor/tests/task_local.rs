//! `task_local!`: scoped per-task values under every way of running a future.

use std::future::poll_fn;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

use executor::{Executor, LocalExecutor, spawn, yield_now};
use futures::FutureExt;

executor::task_local! {
    static REQUEST_ID: u64;
    static NAME: String;
}

fn current() -> Option<u64> {
    REQUEST_ID.try_with(|id| *id).ok()
}

#[test]
fn a_value_never_leaks_into_the_next_task_on_the_thread() {
    let ex = LocalExecutor::new();
    let leaks = Arc::new(AtomicUsize::new(0));
    let scoped = ex.spawn(REQUEST_ID.scope(7, async {
        for _ in 0..10 {
            assert_eq!(current(), Some(7));
            yield_now().await;
        }
    }));
    let l = leaks.clone();
    let other = ex.spawn(async move {
        for _ in 0..10 {
            if current().is_some() {
                l.fetch_add(1, Ordering::SeqCst);
            }
            yield_now().await;
        }
    });
    ex.run();
    assert!(scoped.is_finished() && other.is_finished());
    assert_eq!(
        leaks.load(Ordering::SeqCst),
        0,
        "the other task saw the value"
    );
    assert_eq!(current(), None);
}

#[test]
fn works_under_executor_workers_local_executor_and_block_on() {
    let ex = Executor::builder().worker_threads(2).build();
    let h = ex.spawn(REQUEST_ID.scope(1, async {
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(current());
            yield_now().await;
        }
        // A task spawned from inside does not inherit the value.
        let child = spawn(async { current() }).await;
        (seen, child)
    }));
    let (seen, child) = block_on::block_on(h);
    assert_eq!(seen, vec![Some(1); 5]);
    assert_eq!(child, None);

    let local = LocalExecutor::new();
    assert_eq!(
        local.block_on(REQUEST_ID.scope(2, async { current() })),
        Some(2)
    );
    assert_eq!(
        block_on::block_on(REQUEST_ID.scope(3, async { current() })),
        Some(3)
    );
    assert_eq!(
        ex.block_on(REQUEST_ID.scope(4, async { current() })),
        Some(4)
    );
}

#[test]
fn the_value_is_restored_after_a_panic_unwinds_out_of_a_poll() {
    let out = block_on::block_on(REQUEST_ID.scope(10, async {
        let inner = REQUEST_ID.scope(20, async {
            assert_eq!(current(), Some(20));
            panic!("inner scope panics");
        });
        let caught = AssertUnwindSafe(inner).catch_unwind().await;
        assert!(caught.is_err());
        current()
    }));
    assert_eq!(out, Some(10), "the outer value is back after the unwind");
    assert_eq!(current(), None);

    let ex = Executor::new();
    let bad = ex.spawn(REQUEST_ID.scope(5, async { panic!("task panics") }));
    let after = ex.block_on(async {
        assert!(bad.try_join().await.unwrap_err().is_panic());
        current()
    });
    assert_eq!(after, None, "nothing left behind by the panicking task");
}

#[test]
fn the_futures_destructor_sees_the_value() {
    struct Probe(Arc<AtomicUsize>);
    impl Drop for Probe {
        fn drop(&mut self) {
            if NAME.try_with(|n| n == "conn").unwrap_or(false) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    let seen = Arc::new(AtomicUsize::new(0));
    // Dropped unfinished (aborted).
    let ex = Executor::new();
    let probe = Probe(seen.clone());
    let h = ex.spawn(NAME.scope("conn".to_string(), async move {
        let _p = probe;
        std::future::pending::<()>().await
    }));
    ex.block_on(yield_now());
    h.abort();
    assert_eq!(seen.load(Ordering::SeqCst), 1, "seen when aborted");
    // Finished: its state (holding the probe) is dropped as it completes.
    let probe = Probe(seen.clone());
    block_on::block_on(NAME.scope("conn".to_string(), async move {
        let _p = probe;
        yield_now().await;
    }));
    assert_eq!(seen.load(Ordering::SeqCst), 2, "seen when completed");
    // Never polled.
    drop(NAME.scope("conn".to_string(), {
        let probe = Probe(seen.clone());
        async move { drop(probe) }
    }));
    assert_eq!(seen.load(Ordering::SeqCst), 3, "seen when dropped unpolled");
}

#[test]
fn with_panics_clearly_outside_a_scope_and_scope_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let fut = REQUEST_ID.scope(1, async {});
    assert_send(&fut);
    let err = catch_unwind(|| REQUEST_ID.with(|_| ())).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("outside of the key's scope"), "{msg}");
    let polled = block_on::block_on(REQUEST_ID.scope(9, poll_fn(|_| Poll::Ready(current()))));
    assert_eq!(polled, Some(9));
}
