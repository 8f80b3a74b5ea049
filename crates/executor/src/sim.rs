//! The hook through which a simulator (the `sim` crate) takes over [`spawn`](crate::spawn) and
//! [`spawn_local`](crate::spawn_local) on its thread.
//!
//! A simulator implements [`Simulator`] and [`enter`]s it on its thread. While it is entered,
//! the free `spawn` and `spawn_local` on that thread make their task with the [`Schedule`] the
//! simulator hands out for it, instead of queueing it on the executor driving the code (if
//! any). [`yield_now`](fn@crate::yield_now) needs no hook: it wakes its task through the task's
//! waker, which is the simulator's.
//!
//! # Invariants
//!
//! 1. Cost outside a simulation: `simulating()` is one relaxed load of `SIMULATING` (and a
//!    branch) while no thread of the process has a simulator entered; the thread-local is
//!    read only when one has, out of line, so that `spawn` inlines as it did without the hook.
//! 2. A simulator entered on one thread is never seen by another: it lives in a thread-local;
//!    `SIMULATING` only says whether to look.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use join_handle::{JoinHandle, Schedule};
#[cfg(doc)]
use join_handle::{Runnable, TaskRef};

use crate::scheduler::Scheduler;

/// How many threads have a simulator entered right now (invariant 1).
static SIMULATING: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static SIMULATOR: RefCell<Option<Rc<dyn Simulator>>> = const { RefCell::new(None) };
}

/// What a simulator provides: a [`Schedule`] for each task spawned on its thread.
///
/// ```
/// use std::rc::Rc;
/// use std::sync::{Arc, Mutex};
/// use executor::sim::{self, Simulator};
/// use join_handle::{Runnable, Schedule};
///
/// /// Every task's runnables go to one list, run by hand below.
/// #[derive(Default)]
/// struct List(Mutex<Vec<Runnable>>);
/// impl Schedule for List {
///     fn schedule(&self, runnable: Runnable) {
///         self.0.lock().unwrap().push(runnable);
///     }
/// }
/// struct Toy(Arc<List>);
/// impl Simulator for Toy {
///     fn task(&self) -> Arc<dyn Schedule> {
///         self.0.clone()
///     }
/// }
///
/// let list = Arc::new(List::default());
/// let entered = sim::enter(Rc::new(Toy(list.clone())));
/// let handle = executor::spawn(async { 5 });
/// drop(entered);
/// let runnable = list.0.lock().unwrap().pop().expect("spawned into the toy");
/// runnable.run();
/// assert_eq!(block_on::block_on(handle), 5);
/// ```
pub trait Simulator {
    /// A task is being spawned (by [`spawn`](crate::spawn) or
    /// [`spawn_local`](crate::spawn_local) on the simulator's thread): returns the schedule
    /// for it. Its first [`Runnable`] is handed to that schedule right after; its name and
    /// spawn location are in its [`TaskRef::snapshot`].
    fn task(&self) -> Arc<dyn Schedule>;
}

/// Makes `simulator` take the free `spawn`s and `spawn_local`s of this thread until the guard
/// drops (then the simulator entered before, if any, is back).
///
/// See [`Simulator`] for an example.
pub fn enter(simulator: Rc<dyn Simulator>) -> SimulatorGuard {
    SIMULATING.fetch_add(1, Ordering::Relaxed);
    let previous = SIMULATOR.with(|s| s.replace(Some(simulator)));
    SimulatorGuard {
        previous,
        _one_thread: PhantomData,
    }
}

/// Keeps a [`Simulator`] entered; see [`enter`].
///
/// ```
/// # use std::{rc::Rc, sync::Arc};
/// # use join_handle::{Runnable, Schedule};
/// # struct Drop_; impl Schedule for Drop_ { fn schedule(&self, _: Runnable) {} }
/// # struct Toy; impl executor::sim::Simulator for Toy {
/// #     fn task(&self) -> Arc<dyn Schedule> { Arc::new(Drop_) }
/// # }
/// let guard = executor::sim::enter(Rc::new(Toy));
/// drop(guard); // spawn goes to the executor driving the code again
/// ```
#[must_use = "the simulator is left as soon as the guard drops"]
pub struct SimulatorGuard {
    previous: Option<Rc<dyn Simulator>>,
    _one_thread: PhantomData<Rc<()>>,
}

impl Drop for SimulatorGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = SIMULATOR.try_with(|s| s.replace(previous));
        SIMULATING.fetch_sub(1, Ordering::Relaxed);
    }
}

impl fmt::Debug for SimulatorGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimulatorGuard").finish_non_exhaustive()
    }
}

/// Whether any thread has a simulator entered: the whole cost of the hook on the spawn path
/// outside a simulation (invariant 1). Kept this small so that `spawn` inlines as before.
#[inline(always)]
pub(crate) fn simulating() -> bool {
    SIMULATING.load(Ordering::Relaxed) != 0
}

/// Whether this thread has a simulator entered (only asked when [`simulating`]).
#[cold]
#[inline(never)]
pub(crate) fn entered() -> bool {
    SIMULATOR
        .try_with(|s| s.borrow().is_some())
        .unwrap_or(false)
}

/// The simulator entered on this thread.
fn simulator() -> Rc<dyn Simulator> {
    SIMULATOR
        .with(|s| s.borrow().clone())
        .expect("spawn: entered() said a simulator is entered")
}

/// `spawn` on a simulator's thread (see [`entered`]).
#[cold]
#[inline(never)]
pub(crate) fn spawn<F>(future: F, options: join_handle::Builder) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let schedule = simulator().task();
    let (runnable, handle) = options.spawn(future, Scheduler::sim(schedule.clone()));
    schedule.schedule(runnable);
    handle
}

/// `spawn_local` on a simulator's thread (see [`entered`]).
#[cold]
#[inline(never)]
pub(crate) fn spawn_local<F>(future: F, options: join_handle::Builder) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let schedule = simulator().task();
    let (runnable, handle) = options.spawn_local(future, Scheduler::sim(schedule.clone()));
    schedule.schedule(runnable);
    handle
}
