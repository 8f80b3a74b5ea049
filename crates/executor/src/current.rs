//! Which executor is driving the code on this thread, for the free [`spawn`] and
//! [`spawn_local`].

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::ptr;
use std::sync::Arc;

use join_handle::{JoinHandle, Runnable};

use crate::injector::LocalQueue;
use crate::shared::Shared;

/// The executor driving this thread, and the local queue of the runner loop doing it.
struct Current {
    shared: Arc<Shared>,
    local: Arc<LocalQueue>,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
    /// The executor whose tasks this thread's innermost runner loop is polling, or null while
    /// it polls something else (`block_on`'s own future) or no loop runs. Set by the loops
    /// themselves (`set_polling_tasks`), reset by every `Enter`, restored when it drops.
    static POLLING_TASKS_OF: Cell<*const Shared> = const { Cell::new(ptr::null()) };
    /// The executor and local queue of `CURRENT`, as plain pointers, for
    /// [`push_local`] on every wake: a copy of two words instead of a `RefCell` borrow. Set
    /// and restored together with `CURRENT` by [`Enter`], null when `CURRENT` is `None`.
    static LOCAL: Cell<(*const Shared, *const LocalQueue)> =
        const { Cell::new((ptr::null(), ptr::null())) };
}

/// Makes `shared` the current executor, with `local` as this thread's run queue for it,
/// until the guard drops (then the previous one is back).
pub(crate) struct Enter {
    previous: Option<Current>,
    previous_polling: *const Shared,
    previous_local: (*const Shared, *const LocalQueue),
}

impl Enter {
    pub(crate) fn new(shared: &Arc<Shared>, local: &Arc<LocalQueue>) -> Enter {
        let current = Current {
            shared: shared.clone(),
            local: local.clone(),
        };
        let pointers = (Arc::as_ptr(&current.shared), Arc::as_ptr(&current.local));
        let previous = CURRENT.with(|c| c.replace(Some(current)));
        let previous_polling = POLLING_TASKS_OF.with(|p| p.replace(ptr::null()));
        let previous_local = LOCAL.with(|l| l.replace(pointers));
        Enter {
            previous,
            previous_polling,
            previous_local,
        }
    }
}

/// The runner loop on this thread is about to poll tasks of `shared` (`Some`), or its own
/// future (`None`). Only compared by address, never dereferenced.
#[inline]
pub(crate) fn set_polling_tasks(shared: Option<&Shared>) {
    let ptr = shared.map_or(ptr::null(), |s| s as *const Shared);
    let _ = POLLING_TASKS_OF.try_with(|p| p.set(ptr));
}

/// Panics if this thread is inside the poll of one of `shared`'s tasks: a `run` started there
/// would wait for every task to finish, the one it runs in included, and never return.
pub(crate) fn assert_not_in_own_task(shared: &Shared, what: &str) {
    let inside = POLLING_TASKS_OF
        .try_with(|p| ptr::eq(p.get(), shared))
        .unwrap_or(false);
    assert!(
        !inside,
        "{what} called from inside one of its own tasks: it waits until no task is alive, \
         this one included, so it would never return; spawn the work or await it instead"
    );
}

/// Hands `runnable` to `push` together with the local queue of the runner loop on this
/// thread, if that loop drives `shared`, and returns what `push` returns. Gives the runnable
/// back otherwise (another thread, another executor).
#[inline]
pub(crate) fn push_local<R>(
    shared: &Shared,
    runnable: Runnable,
    push: impl FnOnce(&LocalQueue, Runnable) -> R,
) -> Result<R, Runnable> {
    let (current, local) = LOCAL
        .try_with(Cell::get)
        .unwrap_or((ptr::null(), ptr::null()));
    if !ptr::eq(current, shared) {
        return Err(runnable);
    }
    // SAFETY: `LOCAL` holds the local queue of the `Current` in `CURRENT` (both set and
    // restored together by an `Enter` on this thread, and `current` is not null), and that
    // `Current` owns an `Arc` of the queue until the `Enter` that put it there drops. No
    // `Enter` can be made or dropped on this thread between the read above and the end of
    // `push`, which only queues tasks (on the queue and the injector) and wakes a sleeper.
    let local = unsafe { &*local };
    Ok(push(local, runnable))
}

impl Drop for Enter {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = LOCAL.try_with(|l| l.set(self.previous_local));
        let _ = CURRENT.try_with(|c| c.replace(previous));
        let _ = POLLING_TASKS_OF.try_with(|p| p.set(self.previous_polling));
    }
}

/// Spawns a task onto the executor driving the current code.
///
/// Works anywhere inside [`Executor::run`](crate::Executor::run),
/// [`Executor::block_on`](crate::Executor::block_on) (including the future given to it), on an
/// executor's worker threads, and inside a [`LocalExecutor`](crate::LocalExecutor). On a thread
/// where a simulator is entered ([`sim::enter`](crate::sim::enter)), the task goes to the
/// simulator instead.
///
/// # Panics
///
/// Panics if no executor is driving the current thread.
///
/// ```
/// use executor::{Executor, spawn};
///
/// let ex = Executor::new();
/// let total = ex.block_on(async {
///     let a = spawn(async { 1 });
///     let b = spawn(async { 2 });
///     a.await + b.await
/// });
/// assert_eq!(total, 3);
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let options = join_handle::Builder::new();
    if crate::sim::simulating() && crate::sim::entered() {
        return crate::sim::spawn(future, options);
    }
    CURRENT.with(|c| match &*c.borrow() {
        Some(current) => current.shared.spawn(future, options),
        None => panic!(
            "executor::spawn called outside of an executor: call it from code driven by \
             Executor::run, Executor::block_on, a worker thread, or a LocalExecutor"
        ),
    })
}

/// Spawns a `!Send` task onto the [`LocalExecutor`](crate::LocalExecutor) driving the current
/// code, or onto the simulator entered on this thread ([`sim::enter`](crate::sim::enter)).
///
/// # Panics
///
/// Panics if the current thread is not inside a `LocalExecutor`'s `run` or `block_on`.
///
/// ```
/// use std::rc::Rc;
/// use executor::{LocalExecutor, spawn_local};
///
/// let ex = LocalExecutor::new();
/// let n = ex.block_on(async {
///     let shared = Rc::new(20);
///     let s = shared.clone();
///     spawn_local(async move { *s + 1 }).await + *shared
/// });
/// assert_eq!(n, 41);
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let options = join_handle::Builder::new();
    if crate::sim::simulating() && crate::sim::entered() {
        return crate::sim::spawn_local(future, options);
    }
    CURRENT.with(|c| match &*c.borrow() {
        Some(current) if current.shared.owner == Some(std::thread::current().id()) => {
            current.shared.spawn_local(future, options)
        }
        _ => panic!(
            "executor::spawn_local called outside of a LocalExecutor: call it from code driven \
             by LocalExecutor::run or LocalExecutor::block_on"
        ),
    })
}
