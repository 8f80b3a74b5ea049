//! The loops that drive tasks: until no task is alive (`run`), until a future completes
//! (`block_on`), or until shutdown (worker threads).
//!
//! Each pops runnables from the injector and runs them. With nothing to run, it parks through
//! [`Sleepers`](crate::sleepers::Sleepers): register, check again, park. It never spins.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_task::ArcWake;
use wakers::{Parker, Unparker};

use crate::current::Enter;
use crate::shared::Shared;

/// How many tasks `block_on` runs between two polls of its own future when that future keeps
/// waking itself: enough to amortise the poll, few enough to keep it responsive.
const BLOCK_ON_BATCH: usize = 64;

/// Parks until `ready()` holds or someone unparks us. Registers as a sleeper first, so that a
/// push after our last look at the queue wakes us. Returns whether a push woke us.
fn sleep(shared: &Shared, parker: &Parker, id: usize, ready: impl Fn() -> bool) -> bool {
    shared.sleepers.register(id, parker.unparker());
    if !ready() {
        parker.park();
    }
    shared.sleepers.unregister(id)
}

/// Pops the next task. The first pop after a push woke us passes the wake-up on when more
/// tasks are waiting, so that a batch spreads over the sleeping runners one wake at a time.
#[inline]
fn next(shared: &Shared, woken_by_push: &mut bool) -> Option<join_handle::Runnable> {
    let runnable = shared.queue.pop()?;
    if std::mem::take(woken_by_push) && !shared.queue.is_empty() {
        shared.sleepers.notify_one();
    }
    Some(runnable)
}

/// Runs tasks on this thread until no spawned task is alive.
pub(crate) fn run(shared: &Arc<Shared>) {
    let _enter = Enter::new(shared);
    let parker = Parker::new();
    let id = shared.sleepers.new_id();
    let mut woken_by_push = false;
    loop {
        while let Some(runnable) = next(shared, &mut woken_by_push) {
            runnable.run();
        }
        if shared.is_idle() {
            return;
        }
        woken_by_push = sleep(shared, &parker, id, || {
            !shared.queue.is_empty() || shared.is_idle()
        });
    }
}

/// A worker thread's loop: runs tasks until the executor stops its workers.
pub(crate) fn work(shared: Arc<Shared>) {
    let _enter = Enter::new(&shared);
    let parker = Parker::new();
    let id = shared.sleepers.new_id();
    let stopping = || shared.stop_workers.load(Ordering::SeqCst);
    let mut woken_by_push = false;
    while !stopping() {
        while let Some(runnable) = next(&shared, &mut woken_by_push) {
            runnable.run();
        }
        woken_by_push = sleep(&shared, &parker, id, || {
            !shared.queue.is_empty() || stopping()
        });
    }
}

/// The waker of `block_on`'s own future: note the wake, unpark the blocked thread.
struct MainWaker {
    woken: AtomicBool,
    unparker: Unparker,
}

impl ArcWake for MainWaker {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        if !arc_self.woken.swap(true, Ordering::AcqRel) {
            arc_self.unparker.unpark();
        }
    }
}

/// Passes a wake-up on when a `block_on` call leaves with tasks still queued: a push may have
/// picked this thread to wake (it was a listed sleeper), and the thread is not coming back.
struct PassOnWake<'a>(&'a Shared);

impl Drop for PassOnWake<'_> {
    fn drop(&mut self) {
        if !self.0.queue.is_empty() {
            self.0.sleepers.notify_one();
        }
    }
}

/// Runs tasks on this thread until `future` completes, polling `future` only when woken.
pub(crate) fn block_on<F: Future>(shared: &Arc<Shared>, future: F) -> F::Output {
    let _enter = Enter::new(shared);
    let _pass_on = PassOnWake(shared);
    let parker = Parker::new();
    let id = shared.sleepers.new_id();
    let main = Arc::new(MainWaker {
        woken: AtomicBool::new(true),
        unparker: parker.unparker(),
    });
    let waker = futures_task::waker_ref(&main);
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    let mut woken_by_push = false;
    loop {
        if main.woken.swap(false, Ordering::AcqRel)
            && let Poll::Ready(output) = future.as_mut().poll(&mut cx)
        {
            return output;
        }
        let mut ran = 0;
        while ran < BLOCK_ON_BATCH {
            let Some(runnable) = next(shared, &mut woken_by_push) else {
                break;
            };
            runnable.run();
            ran += 1;
        }
        if ran == 0 {
            woken_by_push = sleep(shared, &parker, id, || {
                main.woken.load(Ordering::Acquire) || !shared.queue.is_empty()
            });
        }
    }
}
