//! Public API tests for `LocalExecutor` and `spawn_local`.

mod common;

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::thread;

use common::DropCounter;
use executor::{LocalExecutor, spawn_local, yield_now};

#[test]
fn runs_non_send_futures_and_spawn_local_inside() {
    let ex = LocalExecutor::new();
    let shared = Rc::new(Cell::new(0));
    let s = shared.clone();
    ex.spawn(async move {
        let inner = s.clone();
        spawn_local(async move { inner.set(inner.get() + 10) }).await;
        s.set(s.get() + 1);
    });
    ex.run();
    assert_eq!(shared.get(), 11);
}

#[test]
fn a_wake_from_another_thread_runs_the_task_on_the_owner_thread() {
    let ex = LocalExecutor::new();
    let owner = thread::current().id();
    let mut sent = false;
    let handle = ex.spawn(poll_fn(move |cx| {
        assert_eq!(thread::current().id(), owner);
        if sent {
            Poll::Ready(Rc::new("woken"))
        } else {
            sent = true;
            let waker = cx.waker().clone();
            thread::spawn(move || waker.wake());
            Poll::Pending
        }
    }));
    assert_eq!(*ex.block_on(handle), "woken");
}

#[test]
fn an_abort_from_another_thread_is_carried_out_by_the_owner() {
    let ex = LocalExecutor::new();
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = DropCounter(dropped.clone());
    let handle = ex.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    ex.block_on(yield_now());
    let aborter = thread::spawn(move || {
        handle.abort();
        handle
    });
    let handle = aborter.join().unwrap();
    ex.run(); // the owner drops the future
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert!(
        block_on::block_on(handle.try_join())
            .unwrap_err()
            .is_cancelled()
    );
}

#[test]
fn dropping_a_local_executor_drops_its_futures_on_its_thread() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let ex = LocalExecutor::new();
    for _ in 0..10 {
        let guard = (DropCounter(dropped.clone()), Rc::new(()));
        ex.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
    }
    drop(ex);
    assert_eq!(dropped.load(Ordering::SeqCst), 10);
}
