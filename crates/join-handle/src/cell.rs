//! The task cell: future, output, state and join waker in one allocation.
//!
//! A spawned task is one `Cell<F, S, L>`, in a block from [`crate::spare`]. Everything that
//! refers to the task holds one reference to it, counted in its state word (see
//! [`crate::ptr`]): the run queue ([`Runnable`]), the executor's registry ([`TaskRef`]) and
//! the [`JoinHandle`](crate::JoinHandle) through a [`TaskPtr`] to a trait object, every waker
//! through the waker vtable below. No other allocation is made per task.
//!
//! # Invariants
//!
//! * The slot (future, then result; a union whose live field the state word tells) is reached
//!   only by its current owner, so it needs no lock: before `COMPLETE`, whoever holds `RUNNING` (see [`crate::state`]); after
//!   `COMPLETE`, the join handle if `HANDLE` was set when the task completed, otherwise the
//!   thread that completed it. Every hand-over goes through an acquire/release operation on
//!   the state word.
//! * The join waker field follows the `JOIN_WAKER` rules in [`crate::state`]: written only by
//!   the handle while `JOIN_WAKER` and `COMPLETE` are clear, only read otherwise, dropped with
//!   the cell.
//! * The future is pinned: it lives inside the cell's allocation, which never moves, and it
//!   is dropped in place (`ManuallyDrop::drop`), never moved out.
//! * A method that runs on `&self` is called by a holder of a reference, which keeps the cell
//!   alive for the call, except where it says it gives that reference up: then it touches
//!   nothing of the cell after the update that gives it up.
//! * A local task (`L` is [`OwnedBy`]) has its future polled and dropped only on the owner
//!   thread; other threads that abort it only mark it and queue it for the owner.
//! * The output is dropped by the runner if the handle is gone when the task completes, or
//!   else by the handle (when it takes it, or when it is dropped), never by the cell's own drop
//!   on some random thread. So a `!Send` output of a local task stays on the owner's side.

use std::alloc::Layout;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::thread::{self, ThreadId};

use crate::error::JoinError;
use crate::id::Running;
use crate::meta::Meta;
use crate::ptr::TaskPtr;
use crate::snapshot::{TaskSnapshot, TaskState};
use crate::spare;
use crate::state::{
    Completed, HandleDropped, Notified, State, TransitionToIdle, TransitionToRunning,
};
use crate::sync::UnsafeCell;
use crate::{Outcome, Runnable, Schedule, TaskEvent, TaskId, TaskRef};

/// How many nested panics `catch_quietly` catches from payload destructors before it leaks
/// the last payload. One level covers a payload whose `Drop` panics; more only for contrived
/// chains of payloads whose destructors each panic with another such payload.
const NESTED_PANICS: usize = 4;

/// Runs `f`, catching a panic. The caught payload is dropped inside `catch_unwind` as well (its
/// destructor may panic too, with a payload of its own, and so on); after [`NESTED_PANICS`]
/// levels the last payload is leaked rather than dropped. Nothing ever unwinds out of this.
fn catch_quietly(f: impl FnOnce()) {
    let mut caught = catch_unwind(AssertUnwindSafe(f)).err();
    for _ in 0..NESTED_PANICS {
        match caught {
            None => return,
            Some(payload) => caught = catch_unwind(AssertUnwindSafe(move || drop(payload))).err(),
        }
    }
    std::mem::forget(caught);
}

/// Drops `value` with [`catch_quietly`]: a panicking destructor never unwinds into the caller.
fn drop_quietly<T>(value: T) {
    catch_quietly(move || drop(value));
}

/// What the cell holds: the future until it is dropped, then its result until it is taken.
///
/// A union, not an enum: which field is alive follows from the state word (the rules in
/// [`crate::state`]), so a discriminant would only repeat it, at 8 bytes per task.
union Slot<F: Future> {
    future: ManuallyDrop<F>,
    output: ManuallyDrop<F::Output>,
    error: ManuallyDrop<JoinError>,
}

/// Where a task's future may be polled and dropped.
pub(crate) trait Locality: Send + Sync + 'static {
    /// True for tasks tied to one thread.
    const LOCAL: bool;
    /// Whether the current thread may poll or drop the future.
    fn is_owner_thread(&self) -> bool;
}

/// A `Send` task: any thread may poll or drop it. Takes no space.
pub(crate) struct Anywhere;

impl Locality for Anywhere {
    const LOCAL: bool = false;
    #[inline]
    fn is_owner_thread(&self) -> bool {
        true
    }
}

/// A local task: only this thread may poll or drop it.
pub(crate) struct OwnedBy(pub(crate) ThreadId);

impl Locality for OwnedBy {
    const LOCAL: bool = true;
    fn is_owner_thread(&self) -> bool {
        self.0 == thread::current().id()
    }
}

/// The part of a cell that does not depend on its types, first in it (`#[repr(C)]`, like
/// the cell), so that a pointer to the cell is a pointer to its header.
#[repr(C)]
pub(crate) struct Header {
    /// Flags, counters and the reference count; first, so that a [`TaskPtr`] finds the
    /// reference count at the cell's address without knowing its type.
    pub(crate) state: State,
    /// Set at spawn, never changed. [`TaskId::current`] reads it through the header that
    /// [`Running`] records: the runner records the cell's address, which it has at hand,
    /// rather than load the id.
    pub(crate) id: TaskId,
}

/// `#[repr(C)]` with the [`Header`] first (see there).
#[repr(C)]
pub(crate) struct Cell<F: Future, S, L: Locality> {
    header: Header,
    /// Spawn location and name: set at spawn, never changed.
    meta: Meta,
    /// The waker of whoever awaits the handle; see the `JOIN_WAKER` rules.
    join_waker: UnsafeCell<Option<Waker>>,
    scheduler: S,
    locality: L,
    /// The future, then the result: owned as the module doc says; see [`Cell::stage`].
    stage: UnsafeCell<Slot<F>>,
}

// SAFETY: a `Cell` made by `spawn` has `F: Send` and `F::Output: Send`, so every field is
// `Send` on its own. A `Cell` made by `spawn_local` (`L = OwnedBy`) may hold a `!Send` future
// or output; it is shared across threads only in ways that never touch them off the owner
// thread: other threads read the state word, wake the task (a state change and a queue push),
// and abort it by marking it (a local task is never dropped inline by an abort). The future is
// polled and dropped only under `RUNNING` on the owner thread (`run` and `shutdown` check
// `locality`). The output leaves the owner thread only through `JoinHandle<T>`, which is
// `Send` only when `T` is. The join waker is a `Waker`, which is `Send + Sync`.
unsafe impl<F: Future, S: Send, L: Locality> Send for Cell<F, S, L> {}
// SAFETY: see the `Send` impl above: shared access from other threads is limited to the
// atomics, the scheduler, the locality and the join waker, each used by the protocol above.
unsafe impl<F: Future, S: Sync, L: Locality> Sync for Cell<F, S, L> {}

/// What a [`Runnable`] and a [`TaskRef`] can do with a task whose types they
/// do not know.
pub(crate) trait RawTask: Send + Sync + 'static {
    /// Polls the future once. The caller gives the run the task's queue reference (unless
    /// the outcome is [`RunEnd::Foreign`]); the outcome says whether the caller must free.
    fn run(&self) -> RunEnd;
    /// Drops the future unpolled and completes the task as cancelled, unless someone else
    /// holds it or it is finished already. Called by the executor's shutdown.
    fn shutdown(&self);
    fn id(&self) -> TaskId;
    fn is_complete(&self) -> bool;
    /// Reads the task, counting the caller's reference as the runtime's own (see
    /// [`TaskSnapshot::is_lost`]).
    fn snapshot(&self) -> TaskSnapshot;
}

/// What became of the runner's reference in [`RawTask::run`].
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunEnd {
    /// The run dropped the reference, and it was not the last: the caller must not touch the
    /// cell again.
    Released,
    /// The run dropped the last reference: the caller frees the cell.
    Free,
    /// A local task on a foreign thread: nothing was touched, the task was queued again with
    /// a reference of its own, and the caller still owns its reference: it drops it and
    /// panics.
    Foreign,
}

impl RunEnd {
    /// The outcome of dropping the runner's reference: whether it was the `last`.
    #[inline]
    fn released(last: bool) -> RunEnd {
        if last { RunEnd::Free } else { RunEnd::Released }
    }
}

/// What a [`JoinHandle<T>`](crate::JoinHandle) can do with its task.
pub(crate) trait JoinTarget<T>: Send + Sync {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;
    fn abort(&self);
    fn is_finished(&self) -> bool;
    fn id(&self) -> TaskId;
    /// The handle is being dropped: stop keeping the output.
    fn drop_handle(&self);
}

impl<F, S, L> Cell<F, S, L>
where
    F: Future + 'static,
    S: Schedule,
    L: Locality,
{
    /// Allocates the cell, with two references (see `INITIAL` in [`crate::state`]): the caller
    /// makes the first [`Runnable`] and the [`JoinHandle`](crate::JoinHandle) of them.
    ///
    /// Always inlined, with the builder's `spawn`s that call it: an executor may create one
    /// cell type from several places (plain, timed and simulated spawns), and a spawn that
    /// went out of line for that cost 25 instructions per spawn (callgrind, bench profile).
    #[inline(always)]
    pub(crate) fn new(future: F, scheduler: S, locality: L, meta: Meta) -> NonNull<Self> {
        let block = spare::allocate(Layout::new::<Self>()).cast::<Self>();
        let cell = Cell {
            header: Header {
                state: State::new(),
                id: TaskId::next(),
            },
            meta,
            join_waker: UnsafeCell::new(None),
            scheduler,
            locality,
            stage: UnsafeCell::new(Slot {
                future: ManuallyDrop::new(future),
            }),
        };
        // SAFETY: `block` is fresh (or the thread's spare, which holds nothing), allocated
        // with the layout of `Self`, so valid and aligned for this write.
        unsafe { block.as_ptr().write(cell) };
        block
    }

    /// A [`TaskPtr`] to this cell as a [`RawTask`], taking no reference.
    ///
    /// # Safety
    ///
    /// The caller gives the new value a reference it owns.
    #[inline]
    unsafe fn adopt(&self) -> TaskPtr<dyn RawTask> {
        let raw: NonNull<dyn RawTask> = NonNull::from(self);
        // SAFETY: `self` is a live cell made by `Cell::new`; the caller's contract gives the
        // reference.
        unsafe { TaskPtr::from_raw(raw) }
    }

    /// Runs `f` on the stage.
    ///
    /// # Safety
    ///
    /// The caller owns the stage (module doc): it holds `RUNNING`, or the task is `COMPLETE`
    /// and the caller is the one side (handle or completer) the completion handed it to.
    #[inline]
    unsafe fn stage<R>(&self, f: impl FnOnce(&mut Slot<F>) -> R) -> R {
        // SAFETY: the caller's ownership makes this the only access to the stage right now.
        self.stage.with_mut(|stage| f(unsafe { &mut *stage }))
    }

    /// Moves the result out of the slot and marks it `CONSUMED`.
    ///
    /// # Safety
    ///
    /// The task is `COMPLETE`, not `CONSUMED`, and the caller is the side the completion
    /// handed the result to.
    unsafe fn take_result(&self) -> Result<F::Output, JoinError> {
        let prev = self.header.state.consume();
        // SAFETY: the caller's contract, and `FAILED` (set with `COMPLETE`) says which field.
        unsafe { self.read_result(prev.is_failed()) }
    }

    /// Moves the result out of the slot, leaving it logically empty.
    ///
    /// # Safety
    ///
    /// The slot holds the result, `failed` says which field, the caller owns it, and the
    /// state says (or is made to say) `CONSUMED` so that nobody reads it again.
    unsafe fn read_result(&self, failed: bool) -> Result<F::Output, JoinError> {
        // SAFETY: the caller's contract.
        unsafe {
            self.stage(|slot| {
                if failed {
                    Err(ManuallyDrop::take(&mut slot.error))
                } else {
                    Ok(ManuallyDrop::take(&mut slot.output))
                }
            })
        }
    }

    /// Runs `f` on the join waker field, exclusively.
    ///
    /// # Safety
    ///
    /// The caller is the handle, and it saw `JOIN_WAKER` and `COMPLETE` clear in its last
    /// update of the state word (or it cleared `JOIN_WAKER` itself before `COMPLETE`).
    #[inline]
    unsafe fn join_waker_mut<R>(&self, f: impl FnOnce(&mut Option<Waker>) -> R) -> R {
        // SAFETY: by the caller's contract nobody else reads or writes the field now.
        self.join_waker.with_mut(|w| f(unsafe { &mut *w }))
    }

    /// Runs `f` on the join waker field, shared.
    ///
    /// # Safety
    ///
    /// `JOIN_WAKER` is set (so the handle does not write the field), as seen by the caller's
    /// last read or update of the state word.
    #[inline]
    unsafe fn join_waker_ref<R>(&self, f: impl FnOnce(Option<&Waker>) -> R) -> R {
        // SAFETY: by the caller's contract the field is only read while this runs.
        self.join_waker.with(|w| f(unsafe { (*w).as_ref() }))
    }

    /// Drops the future in place. The caller holds `RUNNING` and calls this once, before
    /// [`complete`](Cell::complete). Returns the panic of its destructor, if it panicked.
    fn drop_future(&self) -> Option<JoinError> {
        // `TaskId::current()` is this task while its destructor runs, on whichever thread.
        let _running = Running::enter(&self.header);
        catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the caller holds `RUNNING` and the task is not `COMPLETE`, so the slot
            // holds the future, which nobody dropped yet (one call per task). It is dropped in
            // place, as a pinned value must be.
            unsafe { self.stage(|slot| ManuallyDrop::drop(&mut slot.future)) }
        }))
        .err()
        .map(JoinError::panic)
    }

    /// Publishes the result. The caller holds `RUNNING` and the future is gone.
    fn complete(&self, result: Result<F::Output, JoinError>) {
        let failed = result.is_err();
        let outcome = match &result {
            Ok(_) => Outcome::Output,
            Err(e) if e.is_panic() => Outcome::Panicked,
            Err(_) => Outcome::Cancelled,
        };
        // SAFETY: the caller holds `RUNNING` and has dropped the future; writing a union field
        // drops nothing, so this only fills the empty slot. `FAILED` records which field.
        unsafe {
            self.stage(|slot| match result {
                Ok(output) => slot.output = ManuallyDrop::new(output),
                Err(error) => slot.error = ManuallyDrop::new(error),
            })
        };
        // Publish, and if the handle is gone, consume the result in the same step.
        let completion = self.header.state.transition_to_complete(failed);
        match completion.then {
            Completed::DropResult => {
                // Nobody will ever take the output: drop it here, where the task ran.
                // SAFETY: `HANDLE` was clear when we set `COMPLETE`, so the result is ours; we
                // set `CONSUMED` with `COMPLETE`, so no one else will touch it.
                let result = unsafe { self.read_result(failed) };
                drop_quietly(result);
            }
            Completed::WakeJoiner => catch_quietly(|| {
                // SAFETY: `JOIN_WAKER` was set when we set `COMPLETE`; from then on the handle
                // never writes the field.
                unsafe { self.join_waker_ref(|waker| waker.map(Waker::wake_by_ref)) };
            }),
            Completed::Keep => {}
        }
        let event = TaskEvent::Completed {
            pended: completion.pended,
            outcome,
        };
        self.with_task_ref(|task| self.scheduler.task_event(task, event));
    }

    fn cancel_claimed(&self) {
        let result = match self.drop_future() {
            Some(panic) => Err(panic),
            None => Err(JoinError::cancelled()),
        };
        self.complete(result);
    }

    /// `run` was called on a thread that does not own this local task: hand a new queue
    /// entry to the scheduler (the owner runs it, or its shutdown cancels it); the caller
    /// drops its own and panics. The state is not touched otherwise, so nothing is claimed on
    /// the wrong thread.
    #[cold]
    fn refuse_foreign_run(&self) -> RunEnd {
        if !self.is_complete() {
            // We are the task's one queue entry (`SCHEDULED` is still set): re-queue it.
            self.reschedule();
        }
        RunEnd::Foreign
    }

    /// Calls `f` with a [`TaskRef`] to this task, without touching the reference count.
    #[inline]
    fn with_task_ref<R>(&self, f: impl FnOnce(&TaskRef) -> R) -> R {
        // SAFETY: the caller's reference keeps the cell alive for the whole call. The
        // `ManuallyDrop` makes this a borrowed reference: it never decrements the count, and
        // `f` cannot keep it past the call (it gets `&TaskRef`; a clone takes a new count).
        let borrowed = ManuallyDrop::new(TaskRef::new(unsafe { self.adopt() }));
        f(&borrowed)
    }

    /// Hands a new queue reference to the scheduler. The caller has just set `SCHEDULED` on
    /// a task that was not queued, and holds a reference of its own, which keeps the cell
    /// (and so the scheduler) alive while `schedule` runs.
    fn reschedule(&self) {
        self.header.state.ref_inc();
        // SAFETY: we just took the reference the new `Runnable` owns.
        self.submit(unsafe { self.adopt() });
    }

    /// Queues `task` (a reference to this cell for the queue). The caller holds a reference of
    /// its own for the call, as for [`reschedule`](Cell::reschedule).
    #[inline]
    fn submit(&self, task: TaskPtr<dyn RawTask>) {
        self.scheduler.schedule(Runnable::new(task));
    }

    /// The waker vtable of this cell type; a waker's data pointer is the cell's address and
    /// owns one reference (except the borrowed one `run` lends to the future).
    const WAKER: &'static RawWakerVTable = &RawWakerVTable::new(
        Self::waker_clone,
        Self::waker_wake,
        Self::waker_wake_by_ref,
        Self::waker_drop,
    );

    fn raw_waker(&self) -> RawWaker {
        RawWaker::new((self as *const Self).cast(), Self::WAKER)
    }

    /// # Safety (all four waker functions)
    ///
    /// `data` is the address of a live cell of this type, and the waker it came from owns a
    /// reference (or borrows one the caller keeps for the call).
    unsafe fn waker_clone(data: *const ()) -> RawWaker {
        // SAFETY: the waker's reference keeps the cell alive.
        let cell = unsafe { &*data.cast::<Self>() };
        cell.header.state.ref_inc();
        cell.raw_waker()
    }

    unsafe fn waker_wake(data: *const ()) {
        // SAFETY: the waker owns a reference; `wake_by_ref` runs while it is still held, and
        // `waker_drop` then releases it.
        unsafe {
            Self::waker_wake_by_ref(data);
            Self::waker_drop(data);
        }
    }

    unsafe fn waker_wake_by_ref(data: *const ()) {
        // SAFETY: the waker's reference keeps the cell alive for this call.
        let cell = unsafe { &*data.cast::<Self>() };
        if cell.header.state.transition_to_notified() == Notified::Submit {
            // SAFETY: `Submit` took a reference for the queue.
            cell.submit(unsafe { cell.adopt() });
        }
    }

    unsafe fn waker_drop(data: *const ()) {
        // SAFETY: the waker's reference keeps the cell alive until it is released here.
        let last = unsafe { &*data.cast::<Self>() }.header.state.ref_dec();
        if last {
            // SAFETY: ours was the last reference; the cell was made by `Cell::new`.
            unsafe { TaskPtr::free(NonNull::new_unchecked(data.cast::<Self>().cast_mut())) }
        }
    }
}

impl<F: Future, S, L: Locality> Drop for Cell<F, S, L> {
    fn drop(&mut self) {
        let state = self.header.state.load();
        let holds_future = !state.is_complete();
        let holds_result = state.holds_result();
        if !holds_future && !holds_result {
            return;
        }
        // Guard for local tasks: a `!Send` future or output must never be dropped on a thread
        // other than its owner's. The executor's shutdown drops them on the owner thread
        // first, so reaching this is a bug; stop the process rather than risk unsoundness.
        if L::LOCAL && !self.locality.is_owner_thread() {
            eprintln!("join-handle: a local task's future or output reached another thread");
            std::process::abort();
        }
        self.stage.with_mut(|slot| {
            // SAFETY: `&mut self`: nobody else can reach the slot, and the state says which
            // field is alive. A task dropped before completing (its runnable dropped unrun,
            // outside any executor) still holds its future; it is dropped in place.
            unsafe {
                if holds_future {
                    ManuallyDrop::drop(&mut (*slot).future);
                } else if state.is_failed() {
                    ManuallyDrop::drop(&mut (*slot).error);
                } else {
                    ManuallyDrop::drop(&mut (*slot).output);
                }
            }
        });
    }
}

impl<F, S, L> RawTask for Cell<F, S, L>
where
    F: Future + 'static,
    S: Schedule,
    L: Locality,
{
    fn run(&self) -> RunEnd {
        if L::LOCAL && !self.locality.is_owner_thread() {
            return self.refuse_foreign_run();
        }
        match self.header.state.transition_to_running() {
            TransitionToRunning::Poll => {}
            TransitionToRunning::Cancel => {
                self.cancel_claimed();
                return RunEnd::released(self.header.state.ref_dec());
            }
            // An abort or shutdown claimed the task while it was queued.
            TransitionToRunning::Busy => return RunEnd::released(self.header.state.ref_dec()),
        };
        // A waker borrowing the runner's reference: never dropped, so it releases nothing; a
        // clone the future keeps takes a reference of its own.
        // SAFETY: the vtable's contract: `raw_waker` is this live cell, and the runner's
        // reference outlives `cx`.
        let waker = ManuallyDrop::new(unsafe { Waker::from_raw(self.raw_waker()) });
        let mut cx = Context::from_waker(&waker);
        self.scheduler.before_poll();
        let polled = {
            // `TaskId::current()` is this task for the length of the poll (and of the
            // destructor, see `drop_future`), not around the runner's own steps.
            let _running = Running::enter(&self.header);
            catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: we hold `RUNNING`.
                unsafe {
                    self.stage(|slot| {
                        // SAFETY: not `COMPLETE` and we hold `RUNNING`, so the slot holds the
                        // future. It lives inside the cell's allocation, which never moves,
                        // and is only ever dropped in place, so it stays pinned.
                        Pin::new_unchecked(&mut *slot.future).poll(&mut cx)
                    })
                }
            }))
        };
        // `after_poll` first thing in each arm, not once before the match: a call between the
        // poll and the match made the compiler store the outcome and branch on it again.
        match polled {
            Ok(Poll::Ready(output)) => {
                self.scheduler.after_poll();
                let result = match self.drop_future() {
                    None => Ok(output),
                    Some(panic) => Err(panic),
                };
                self.complete(result);
                RunEnd::released(self.header.state.ref_dec())
            }
            Err(payload) => {
                self.scheduler.after_poll();
                // The poll's panic is the result; a second one from the destructor is dropped.
                drop_quietly(self.drop_future());
                self.complete(Err(JoinError::panic(payload)));
                RunEnd::released(self.header.state.ref_dec())
            }
            Ok(Poll::Pending) => {
                self.scheduler.after_poll();
                // `PENDED` cannot change while we hold `RUNNING`. Read here, from a line we own,
                // rather than kept from the claim through the poll: a register held across it
                // cost more (+2 instructions per `yield_now`, +6 per ping-pong turn). The same
                // read starts the transition below.
                let mut seen = self.header.state.load();
                if !seen.has_pended() {
                    // Going idle for the first time: let the executor keep track of us. We
                    // still hold `RUNNING`, so nobody can complete us before this returns.
                    self.with_task_ref(|task| {
                        self.scheduler.task_event(task, TaskEvent::FirstPending)
                    });
                    // The executor's index may have taken a reference: read again, rather
                    // than retry.
                    seen = self.header.state.load();
                }
                // Give up `RUNNING`, unless an abort arrived during the poll: then keep it and
                // drop the future right away.
                match self.header.state.transition_to_idle_from(seen) {
                    TransitionToIdle::Cancel => {
                        self.cancel_claimed();
                        RunEnd::released(self.header.state.ref_dec())
                    }
                    // Woken during its own poll: queue it again, with the reference the update
                    // took for it.
                    TransitionToIdle::Notified => {
                        // SAFETY: `Notified` took a reference for the queue.
                        self.submit(unsafe { self.adopt() });
                        RunEnd::released(self.header.state.ref_dec())
                    }
                    // Our reference went with `RUNNING`: touch nothing more.
                    TransitionToIdle::Idle { last } => RunEnd::released(last),
                }
            }
        }
    }

    fn shutdown(&self) {
        if self.locality.is_owner_thread() && self.header.state.claim_for_cancel() {
            self.cancel_claimed();
        }
    }

    fn id(&self) -> TaskId {
        self.header.id
    }

    fn is_complete(&self) -> bool {
        self.header.state.load().is_complete()
    }

    fn snapshot(&self) -> TaskSnapshot {
        let s = self.header.state.load();
        let state = if s.is_complete() {
            TaskState::Finished
        } else if s.is_running() {
            TaskState::Running
        } else if s.is_scheduled() {
            TaskState::Scheduled
        } else {
            TaskState::Idle
        };
        // The caller's reference, and the handle's while `HANDLE` is set (it is cleared before
        // the handle's reference goes). An idle task has no queue reference, so anything more
        // is a waker, or someone about to wake. Flags and count come from one read.
        let own = 1 + u64::from(s.has_handle());
        TaskSnapshot {
            id: self.header.id,
            name: self.meta.name().map(str::to_owned),
            spawned_at: self.meta.location(),
            state,
            polls: s.polls(),
            self_wake_streak: s.self_wake_streak(),
            lost: state == TaskState::Idle && s.refs() <= own,
            times: None,
        }
    }
}

impl<F, S, L> JoinTarget<F::Output> for Cell<F, S, L>
where
    F: Future + 'static,
    S: Schedule,
    L: Locality,
{
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, JoinError>> {
        let mut state = self.header.state.load();
        if !state.is_complete() {
            if self.register_join_waker(state.has_join_waker(), cx.waker()) {
                return Poll::Pending;
            }
            // The task completed meanwhile: read what the completion left.
            state = self.header.state.load();
        }
        // One read serves every test below: after `COMPLETE` only this handle sets
        // `CONSUMED` (`HANDLE` is set: only dropping the handle clears it), and `FAILED` is
        // fixed.
        if state.is_consumed() {
            panic!("JoinHandle polled after it returned the task's output");
        }
        self.header.state.mark_consumed();
        // SAFETY: the task is `COMPLETE`, was not `CONSUMED` and is now marked so, and this
        // handle is alive, so the completion handed the result to us; `FAILED` (set with
        // `COMPLETE`) says which field holds it.
        Poll::Ready(unsafe { self.read_result(state.is_failed()) })
    }

    fn abort(&self) {
        if !L::LOCAL {
            // A `Send` task: drop an idle future right here, right now.
            if self.header.state.claim_for_cancel() {
                self.cancel_claimed();
                return;
            }
        }
        // Running (or local): mark it; the runner drops the future after the current poll.
        // An idle local task is queued so that its owner thread drops it.
        if self.header.state.mark_cancelled() == Notified::Submit {
            // SAFETY: `Submit` took a reference for the queue.
            self.submit(unsafe { self.adopt() });
        }
    }

    fn is_finished(&self) -> bool {
        self.header.state.load().is_complete()
    }

    fn id(&self) -> TaskId {
        self.header.id
    }

    fn drop_handle(&self) {
        // Before completion, withdraw the join waker together with the handle.
        match self.header.state.drop_handle() {
            HandleDropped::DropResult => {
                // The output is ours to drop; a panic in its destructor must not escape a drop.
                // SAFETY: `HANDLE` was set when the task completed, so the result is the
                // handle's, and it was not taken yet.
                let result = unsafe { self.take_result() };
                drop_quietly(result);
            }
            HandleDropped::DropJoinWaker => {
                // SAFETY: we cleared `JOIN_WAKER` before `COMPLETE`: the field is ours again.
                let waker = unsafe { self.join_waker_mut(Option::take) };
                drop_quietly(waker);
            }
            HandleDropped::Nothing => {}
        }
    }
}

impl<F, S, L> Cell<F, S, L>
where
    F: Future + 'static,
    S: Schedule,
    L: Locality,
{
    /// Makes sure `waker` is woken when the task completes. Returns false if the task
    /// completed meanwhile (then the output is ready). `published` is `JOIN_WAKER` in a recent
    /// read without `COMPLETE`.
    fn register_join_waker(&self, published: bool, waker: &Waker) -> bool {
        if published {
            // SAFETY: `JOIN_WAKER` is set and only this handle could clear it.
            if unsafe { self.join_waker_ref(|held| held.is_some_and(|h| h.will_wake(waker))) } {
                return true;
            }
            // Take the field back to replace the waker.
            if !self.header.state.unset_join_waker() {
                return false;
            }
        }
        // SAFETY: `JOIN_WAKER` and `COMPLETE` are clear, as of our last update or read.
        unsafe { self.join_waker_mut(|held| *held = Some(waker.clone())) };
        self.header.state.set_join_waker()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    struct Nothing;
    impl Schedule for Nothing {
        fn schedule(&self, _: Runnable) {}
    }

    /// A future of 16 bytes, like one that keeps its waker.
    struct Sixteen(#[allow(dead_code)] Option<Waker>);
    impl Future for Sixteen {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            Poll::Pending
        }
    }

    /// Counts the poll hooks, and whether a poll is running between them.
    #[derive(Default)]
    struct Hooks {
        before: std::sync::atomic::AtomicUsize,
        after: std::sync::atomic::AtomicUsize,
    }
    impl Schedule for &'static Hooks {
        fn schedule(&self, _: Runnable) {}
        fn before_poll(&self) {
            self.before
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        fn after_poll(&self) {
            self.after
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    #[test]
    fn the_poll_hooks_bracket_each_poll_and_not_a_cancellation() {
        use std::sync::atomic::Ordering::Relaxed;
        // A static, not a leaked box: AddressSanitizer's leak check runs on these tests.
        static HOOKS: Hooks = Hooks {
            before: std::sync::atomic::AtomicUsize::new(0),
            after: std::sync::atomic::AtomicUsize::new(0),
        };
        let hooks: &'static Hooks = &HOOKS;
        let (runnable, handle) = crate::spawn(
            std::future::poll_fn(move |_| {
                // Inside the poll: `before` ran, `after` not yet.
                assert_eq!(hooks.before.load(Relaxed), hooks.after.load(Relaxed) + 1);
                Poll::<()>::Pending
            }),
            hooks,
        );
        let task = runnable.task_ref();
        runnable.run();
        assert_eq!(
            (hooks.before.load(Relaxed), hooks.after.load(Relaxed)),
            (1, 1)
        );
        handle.abort(); // drops the idle future right here, without a poll
        assert!(task.is_complete());
        assert_eq!(
            (hooks.before.load(Relaxed), hooks.after.load(Relaxed)),
            (1, 1)
        );
    }

    #[test]
    fn a_send_task_costs_its_future_plus_48_bytes() {
        // state (8: flags and poll count), id (8), spawn location or name (8), join waker
        // (16), scheduler (here 8), the slot (max of future, output and error: 16). The
        // reference count is in the state word: the allocation is this and nothing more.
        assert_eq!(
            std::mem::size_of::<Cell<Sixteen, std::sync::Arc<Nothing>, Anywhere>>(),
            8 + 8 + 8 + 16 + 8 + 16
        );
    }
}
