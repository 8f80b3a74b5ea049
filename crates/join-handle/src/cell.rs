//! The task cell: future, output, state and join waker in one allocation.
//!
//! A spawned task is one `Arc<Cell<F, S>>`. Everything that refers to the task holds a clone
//! of that `Arc` behind a trait object: the run queue ([`Runnable`](crate::Runnable)), the
//! executor's registry ([`TaskRef`](crate::TaskRef)), every waker, and the
//! [`JoinHandle`](crate::JoinHandle). No other allocation is made per task.
//!
//! # Invariants
//!
//! * The stage (future, then result) is reached only by its current owner, so it needs no
//!   lock: before `COMPLETE`, whoever holds `RUNNING` (see [`crate::state`]); after
//!   `COMPLETE`, the join handle if `HANDLE` was set when the task completed, otherwise the
//!   thread that completed it. Every hand-over goes through an acquire/release operation on
//!   the state word.
//! * The future is pinned: it lives inside the `Arc` allocation, which never moves, and it is
//!   dropped in place (by assigning a new stage), never moved out.
//! * A local task (`owner` is `Some`) has its future polled and dropped only on the owner
//!   thread; other threads that abort it only mark it and queue it for the owner.
//! * The output is dropped by the runner if the handle is gone when the task completes, or
//!   else by the handle (when it takes it, or when it is dropped), never by the cell's own drop
//!   on some random thread. So a `!Send` output of a local task stays on the owner's side.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};

use futures_task::ArcWake;
use wakers::WakerSlot;

use crate::error::JoinError;
use crate::state::{CANCELLED, COMPLETE, HANDLE, INITIAL, RUNNING, SCHEDULED};
use crate::sync::{AtomicUsize, Ordering, UnsafeCell};
use crate::{Runnable, Schedule, TaskRef};

/// What the cell holds: the future until it finishes, then its result until it is taken.
enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

pub(crate) struct Cell<F: Future, S> {
    state: AtomicUsize,
    /// The executor's registry key, set at most once, by `Schedule::register`.
    key: AtomicUsize,
    /// `Some(thread)` for a local task: the only thread that may poll or drop its future.
    owner: Option<ThreadId>,
    join_waker: WakerSlot,
    scheduler: S,
    /// Owned as the module doc says; see [`Cell::stage`].
    stage: UnsafeCell<Stage<F>>,
}

// SAFETY: a `Cell` made by `spawn` has `F: Send` and `F::Output: Send`, so every field is
// `Send + Sync` on its own. A `Cell` made by `spawn_local` may hold a `!Send` future or output;
// it is shared across threads only in ways that never touch them off the owner thread: other
// threads read the state word, wake the task (a state change and a queue push), and abort it
// by marking it (`owner` is `Some`, so they never drop the future inline). The future is
// polled and dropped only under `RUNNING` on the owner thread (`run` and `shutdown` check
// `owner`). The output leaves the owner thread only through `JoinHandle<T>`, which is `Send`
// only when `T` is.
unsafe impl<F: Future, S: Send> Send for Cell<F, S> {}
// SAFETY: see the `Send` impl above: shared access from other threads is limited to the
// atomic state, the key, the waker slot and the scheduler, which are all `Sync`.
unsafe impl<F: Future, S: Sync> Sync for Cell<F, S> {}

/// What a [`Runnable`] and a [`TaskRef`](crate::TaskRef) can do with a task whose types they
/// do not know.
pub(crate) trait RawTask: Send + Sync + 'static {
    /// Polls the future once (the caller's queue entry is `self`).
    fn run(self: Arc<Self>);
    /// Drops the future unpolled and completes the task as cancelled, unless someone else
    /// holds it or it is finished already. Called by the executor's shutdown.
    fn shutdown(&self);
    fn key(&self) -> usize;
    fn set_key(&self, key: usize);
    fn is_complete(&self) -> bool;
}

/// What a [`JoinHandle<T>`](crate::JoinHandle) can do with its task.
pub(crate) trait JoinTarget<T>: Send + Sync {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;
    fn abort(self: Arc<Self>);
    fn is_finished(&self) -> bool;
    /// The handle is being dropped: stop keeping the output.
    fn drop_handle(&self);
}

impl<F, S> Cell<F, S>
where
    F: Future + 'static,
    S: Schedule,
{
    pub(crate) fn new(future: F, scheduler: S, owner: Option<ThreadId>) -> Arc<Self> {
        Arc::new(Cell {
            state: AtomicUsize::new(INITIAL),
            key: AtomicUsize::new(usize::MAX),
            owner,
            join_waker: WakerSlot::new(),
            scheduler,
            stage: UnsafeCell::new(Stage::Running(future)),
        })
    }

    /// Runs `f` on the stage.
    ///
    /// # Safety
    ///
    /// The caller owns the stage (module doc): it holds `RUNNING`, or the task is `COMPLETE`
    /// and the caller is the one side (handle or completer) the completion handed it to.
    #[inline]
    unsafe fn stage<R>(&self, f: impl FnOnce(&mut Stage<F>) -> R) -> R {
        // SAFETY: the caller's ownership makes this the only access to the stage right now.
        self.stage.with_mut(|stage| f(unsafe { &mut *stage }))
    }

    fn on_owner_thread(&self) -> bool {
        self.owner
            .is_none_or(|owner| owner == thread::current().id())
    }

    /// Tries to take `RUNNING` away from an idle or queued task, marking it cancelled.
    fn claim_for_cancel(&self) -> bool {
        self.state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                (s & (RUNNING | COMPLETE) == 0).then_some(s | RUNNING | CANCELLED)
            })
            .is_ok()
    }

    /// Drops the future in place. The caller holds `RUNNING`. Returns the panic of its
    /// destructor, if it panicked.
    fn drop_future(&self) -> Option<JoinError> {
        catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the caller holds `RUNNING`. Assigning drops the future in place.
            unsafe { self.stage(|stage| *stage = Stage::Consumed) }
        }))
        .err()
        .map(JoinError::panic)
    }

    /// Publishes the result. The caller holds `RUNNING` and the future is gone.
    fn complete(&self, result: Result<F::Output, JoinError>) {
        // SAFETY: the caller holds `RUNNING`.
        unsafe { self.stage(|stage| *stage = Stage::Finished(result)) };
        let prev = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                Some((s | COMPLETE) & !RUNNING)
            })
            .expect("the closure always returns Some");
        if prev & HANDLE == 0 {
            // Nobody will ever take the output: drop it here, where the task ran.
            // SAFETY: `HANDLE` was clear when we set `COMPLETE`, so the stage is ours.
            let stage = unsafe { self.stage(|stage| std::mem::replace(stage, Stage::Consumed)) };
            let _ = catch_unwind(AssertUnwindSafe(move || drop(stage)));
        } else {
            let _ = catch_unwind(AssertUnwindSafe(|| self.join_waker.wake()));
        }
        self.scheduler.release(self.key.load(Ordering::Acquire));
    }

    /// Hands a new queue reference to the scheduler. The caller has just set `SCHEDULED` on
    /// a task that was not queued.
    fn reschedule(self: &Arc<Self>) {
        self.scheduler.schedule(Runnable::new(self.clone()));
    }

    fn cancel_claimed(&self) {
        let result = match self.drop_future() {
            Some(panic) => Err(panic),
            None => Err(JoinError::cancelled()),
        };
        self.complete(result);
    }
}

impl<F: Future, S> Drop for Cell<F, S> {
    fn drop(&mut self) {
        // Guard for local tasks: a `!Send` future or output must never be dropped on a thread
        // other than its owner's. The executor's shutdown drops them on the owner thread
        // first, so reaching this is a bug; stop the process rather than risk unsoundness.
        let Some(owner) = self.owner else { return };
        // SAFETY: `&mut self`: nobody else can reach the stage any more.
        let consumed = self
            .stage
            .with_mut(|stage| matches!(unsafe { &*stage }, Stage::Consumed));
        if !consumed && owner != thread::current().id() {
            eprintln!("join-handle: a local task's future or output reached another thread");
            std::process::abort();
        }
    }
}

impl<F, S> RawTask for Cell<F, S>
where
    F: Future + 'static,
    S: Schedule,
{
    fn run(self: Arc<Self>) {
        // SCHEDULED -> RUNNING, unless an abort or shutdown claimed the task while queued.
        let claimed = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                (s & (RUNNING | COMPLETE) == 0).then_some((s & !SCHEDULED) | RUNNING)
            });
        let Ok(prev) = claimed else { return };
        assert!(
            self.on_owner_thread(),
            "a local task was run on a thread other than its owner's"
        );
        if prev & CANCELLED != 0 {
            self.cancel_claimed();
            return;
        }

        let waker = futures_task::waker_ref(&self);
        let mut cx = Context::from_waker(&waker);
        let polled = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: we hold `RUNNING`.
            unsafe {
                self.stage(|stage| {
                    let Stage::Running(future) = stage else {
                        unreachable!("a task without a future was scheduled");
                    };
                    // SAFETY: the future lives inside the `Arc` allocation, which never
                    // moves, and is only ever dropped in place (by assigning to the stage), so
                    // it stays pinned.
                    Pin::new_unchecked(future).poll(&mut cx)
                })
            }
        }));
        match polled {
            Ok(Poll::Ready(output)) => {
                let result = match self.drop_future() {
                    None => Ok(output),
                    Some(panic) => Err(panic),
                };
                self.complete(result);
            }
            Err(payload) => {
                let _ = self.drop_future();
                self.complete(Err(JoinError::panic(payload)));
            }
            Ok(Poll::Pending) => {
                if self.key.load(Ordering::Relaxed) == usize::MAX {
                    // Going idle for the first time: let the executor keep track of us. We
                    // still hold `RUNNING`, so nobody can complete us before this returns.
                    self.scheduler.register(TaskRef::new(self.clone()));
                }
                // Give up `RUNNING`, unless an abort arrived during the poll: then keep it and
                // drop the future right away.
                let released = self
                    .state
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                        (s & CANCELLED == 0).then_some(s & !RUNNING)
                    });
                match released {
                    Err(_) => self.cancel_claimed(),
                    Ok(prev) if prev & SCHEDULED != 0 => {
                        // Woken during its own poll: queue it again.
                        self.reschedule();
                    }
                    Ok(_) => {}
                }
            }
        }
    }

    fn shutdown(&self) {
        if self.on_owner_thread() && self.claim_for_cancel() {
            self.cancel_claimed();
        }
    }

    fn key(&self) -> usize {
        self.key.load(Ordering::Acquire)
    }

    fn set_key(&self, key: usize) {
        self.key.store(key, Ordering::Release);
    }

    fn is_complete(&self) -> bool {
        self.state.load(Ordering::Acquire) & COMPLETE != 0
    }
}

impl<F, S> JoinTarget<F::Output> for Cell<F, S>
where
    F: Future + 'static,
    S: Schedule,
{
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, JoinError>> {
        if self.state.load(Ordering::Acquire) & COMPLETE == 0 {
            // Register, then check again: a completion in between is not missed.
            self.join_waker.register(cx.waker());
            if self.state.load(Ordering::Acquire) & COMPLETE == 0 {
                return Poll::Pending;
            }
        }
        // SAFETY: the task is `COMPLETE` and this handle is alive (`HANDLE` is still set: only
        // dropping the handle clears it), so the completion handed the stage to us.
        let stage = unsafe { self.stage(|stage| std::mem::replace(stage, Stage::Consumed)) };
        match stage {
            Stage::Finished(result) => Poll::Ready(result),
            Stage::Consumed => panic!("JoinHandle polled after it returned the task's output"),
            Stage::Running(_) => unreachable!("a complete task still holds its future"),
        }
    }

    fn abort(self: Arc<Self>) {
        if self.owner.is_none() {
            // A `Send` task: drop an idle future right here, right now.
            if self.claim_for_cancel() {
                self.cancel_claimed();
                return;
            }
        }
        // Running (or local): mark it; the runner drops the future after the current poll.
        // An idle local task is queued so that its owner thread drops it.
        let prev = self.state.fetch_or(CANCELLED | SCHEDULED, Ordering::AcqRel);
        if prev & (SCHEDULED | RUNNING | COMPLETE) == 0 {
            self.reschedule();
        }
    }

    fn is_finished(&self) -> bool {
        self.state.load(Ordering::Acquire) & COMPLETE != 0
    }

    fn drop_handle(&self) {
        let prev = self.state.fetch_and(!HANDLE, Ordering::AcqRel);
        if prev & COMPLETE != 0 {
            // The output is ours to drop; a panic in its destructor must not escape a drop.
            // SAFETY: `HANDLE` was set when the task completed, so the stage is the handle's.
            let stage = unsafe { self.stage(|stage| std::mem::replace(stage, Stage::Consumed)) };
            let _ = catch_unwind(AssertUnwindSafe(move || drop(stage)));
        } else {
            drop(self.join_waker.take());
        }
    }
}

impl<F, S> ArcWake for Cell<F, S>
where
    F: Future + 'static,
    S: Schedule,
{
    fn wake_by_ref(arc_self: &Arc<Self>) {
        let prev = arc_self.state.fetch_or(SCHEDULED, Ordering::AcqRel);
        if prev & (SCHEDULED | RUNNING | COMPLETE) == 0 {
            arc_self.reschedule();
        }
    }

    fn wake(self: Arc<Self>) {
        let prev = self.state.fetch_or(SCHEDULED, Ordering::AcqRel);
        if prev & (SCHEDULED | RUNNING | COMPLETE) == 0 {
            self.reschedule();
        }
    }
}
