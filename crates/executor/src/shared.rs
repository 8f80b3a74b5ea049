//! [`Shared`]: the state every runner, task and waker of one executor shares.
//!
//! * `queue`: the injector, a lock-free FIFO (see [`Injector`]), and `locals`: one local
//!   queue per runner loop. Every runnable task is in exactly one of them, once (the task
//!   state guarantees that). A task woken or spawned on a runner's thread goes to that
//!   runner's local queue, anything else to the injector; so two runners do not fight over
//!   one queue's ends on every yield. Runners take from the injector first (tasks from
//!   outside, and the FIFO order of lesson 2's round robin), then from their own queue (and
//!   from their own queue first every `LOCAL_FIRST_INTERVAL`th time, see `runner`, so neither
//!   side starves), then steal half of another runner's queue. FIFO order within each queue
//!   is the fairness rule: a task that wakes itself goes behind every task that was already
//!   waiting there. The one exception is a local queue's next slot, the first task that a
//!   task's poll woke, which its runner takes first, a few times in a row at most (see
//!   [`LocalQueue`]'s "The next slot"). A full local queue moves its older half to the
//!   injector's tail before it takes a new task, so a burst of wakes on one thread still runs
//!   oldest first (see `Shared::spill`).
//! * `registry`: every task that has gone idle (pending and not queued) at least once and is
//!   not finished, for shutdown. A live task is always queued, running, or registered, so
//!   shutdown finds every one of them: registered ones in the registry, queued ones in the
//!   queue, and none is running (every runner is gone by then). Tasks that finish in their
//!   first poll never touch the registry's lock.
//! * `alive`: the number of tasks spawned and not yet completed; `run()` returns at zero.
//! * `sleepers`: the runners parked for lack of work.
//!
//! Each task's [`Scheduler`] holds an `Arc<Shared>`, so a waker can always queue its task,
//! even after the executor is gone. Dropping the executor breaks the cycles through the queue
//! and the registry: it sets `closed`, cancels every registered task and empties the queues,
//! then sets `drained` and empties the injector once more. A task spawned after that is
//! cancelled without running (see `admit`). A push that races with the shutdown sees `closed` and empties the injector
//! itself, except on a thread that may not drop the tasks in it:
//!
//! # Shutdown of a `LocalExecutor` against wakes from other threads
//!
//! A local task's future may only be dropped on the owner thread, so another thread must never
//! take a runnable out of a closed local executor's injector before the owner has cancelled
//! every task (it could hold the last reference to a task that is not complete yet, and
//! dropping it there would drop the future on the wrong thread). The argument:
//!
//! 1. Every live task is registered, queued, or running, and none runs during the owner's
//!    shutdown (the owner is the only runner, and it is in the executor's drop).
//! 2. So once the owner's shutdown has gone through the registry and the queues, every task
//!    is complete. A wake that queues a task after that had set `SCHEDULED` before the task
//!    was cancelled, so what it pushes is a complete task: any thread may drop that reference.
//! 3. The owner then sets `drained` (`SeqCst`) and empties the injector again; a foreign
//!    pusher pushes (a `SeqCst` update of the queue's tail) and then reads `drained`
//!    (`SeqCst`). Either it sees `drained` and empties the queue itself (only complete tasks
//!    are left, by 2), or the owner's last pass sees its push. Nothing is left behind to keep
//!    the queue -> task -> `Shared` cycle alive, and nothing reaches the wrong thread.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::ThreadId;

use join_handle::{Builder as TaskOptions, JoinHandle, Runnable, TaskEvent, TaskRef};
use parking_lot::RwLock;

use crate::current;
use crate::hooks::Hooks;
use crate::injector::{Injector, LOCAL_CAPACITY, LocalQueue, Seen};
use crate::registry::Registry;
use crate::scheduler::Scheduler;
use crate::sleepers::{Look, Sleepers};
use crate::undriven::Watch;

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) queue: Injector,
    /// The local queues of the runner loops that drive this executor right now.
    locals: RwLock<Vec<Arc<LocalQueue>>>,
    /// `locals.len()`, written under `locals`' write lock: lets a lone runner skip the lock
    /// when it looks for a queue to steal from (see [`Shared::steal`]).
    runners: AtomicUsize,
    registry: Registry,
    alive: AtomicUsize,
    pub(crate) sleepers: Sleepers,
    closed: AtomicBool,
    /// Set by the shutdown once every task is complete (see the module doc).
    drained: AtomicBool,
    /// Set when the owned worker threads must exit.
    pub(crate) stop_workers: AtomicBool,
    /// `Some` for a `LocalExecutor`: the only thread that runs its tasks.
    pub(crate) owner: Option<ThreadId>,
    /// Opt-in callbacks on spawn and termination.
    hooks: Hooks,
    /// Reports an executor with live tasks that nothing drives (no silent hang).
    pub(crate) watch: Watch,
}

impl Shared {
    #[track_caller]
    pub(crate) fn new(owner: Option<ThreadId>) -> Arc<Shared> {
        Shared::with_hooks(owner, Hooks::default())
    }

    #[track_caller]
    pub(crate) fn with_hooks(owner: Option<ThreadId>, hooks: Hooks) -> Arc<Shared> {
        let created_at = std::panic::Location::caller();
        Arc::new_cyclic(|weak| Shared {
            hooks,
            queue: Injector::new(),
            locals: RwLock::new(Vec::new()),
            runners: AtomicUsize::new(0),
            registry: Registry::default(),
            alive: AtomicUsize::new(0),
            sleepers: Sleepers::default(),
            closed: AtomicBool::new(false),
            drained: AtomicBool::new(false),
            stop_workers: AtomicBool::new(false),
            owner,
            watch: Watch::new(weak.clone(), created_at, owner.is_some()),
        })
    }

    /// Queues a runnable task (on this thread's runner's local queue if there is one, else on
    /// the injector) and wakes one sleeping runner, if any and if it has something to take.
    #[inline]
    pub(crate) fn push(&self, runnable: Runnable) {
        // On this thread's runner's queue, a task alone wakes a sleeper only if no runner
        // watches (`Sleepers::notify_local`): its owner, awake, most likely takes it back
        // soon, and if it blocks instead, a watcher takes it. Only one woken runner is on its
        // way at a time, so a burst of pushes costs one wake-up (see `Sleepers`).
        // SAFETY: `push_with` hands `push_woken` only this thread's runner's queue (see
        // `current::push_local`), whose owner is this thread.
        self.push_with(runnable, |local, runnable| unsafe {
            local.push_woken(runnable)
        });
    }

    /// Queues a task just spawned: as [`push`](Shared::push), but on the local queue's ring
    /// even during a poll, never in its next slot (see [`LocalQueue`]'s "The next slot"): a
    /// spawn keeps FIFO order. (In the slot, callgrind counted +26 instructions per
    /// spawn-and-await and +17 per chain link, for no measured gain.)
    #[inline]
    fn push_spawned(&self, runnable: Runnable) {
        self.push_with(runnable, LocalQueue::push);
    }

    /// [`push`](Shared::push) and [`push_spawned`](Shared::push_spawned): queues `runnable`
    /// with `onto` on this thread's runner's local queue if there is one, else on the injector,
    /// and wakes a sleeper by the rules of each.
    #[inline(always)]
    fn push_with(
        &self,
        runnable: Runnable,
        onto: impl FnOnce(&LocalQueue, Runnable) -> Result<(), Runnable>,
    ) {
        let spilled = current::push_local(self, runnable, |local, runnable| {
            self.pushed_local(local, onto(local, runnable))
        });
        match spilled {
            Ok(false) => {}
            Ok(true) => self.pushed_global(),
            Err(runnable) => self.push_global(runnable),
        }
    }

    /// Queues `runnable`, taken from the slot of `local` (this thread's runner's queue), at
    /// the tail of its ring, and wakes a sleeper as any push does (a sleeper may have looked
    /// while the task was in neither place).
    pub(crate) fn requeue(&self, local: &LocalQueue, runnable: Runnable) {
        if self.pushed_local(local, local.push(runnable)) {
            self.pushed_global();
        }
    }

    /// After a push onto `local`: wakes a sleeper if the rules of
    /// [`Sleepers::notify_local`] say so, or, if `local` was full, moves its older half to
    /// the injector and queues the task (returns `true`: the caller then treats it as a push
    /// to the injector).
    #[inline(always)]
    fn pushed_local(&self, local: &LocalQueue, pushed: Result<(), Runnable>) -> bool {
        match pushed {
            Ok(()) => {
                self.sleepers.notify_local(|| local.len());
                false
            }
            Err(runnable) => self.spill(local, runnable),
        }
    }

    /// `local` is full: moves its older half to the injector, in order, and queues
    /// `runnable` behind what is left (FIFO across both queues, see
    /// [`LocalQueue`]'s "Order on overflow"). Returns `true`:
    /// the caller then treats the batch as one push to the injector ([`Shared::pushed_global`]),
    /// so every task in it is covered by that one fence and look at the sleepers, and the
    /// batch wakes at most one runner (which passes the wake-up on, `sleepers`' "One wake-up
    /// at a time").
    #[cold]
    #[inline(never)]
    fn spill(&self, local: &LocalQueue, runnable: Runnable) -> bool {
        local.spill_older_half(&self.queue);
        // Only this runner pushes onto `local`, and it just made room: this succeeds. Were
        // that ever false, the injector still keeps the task (only its order would suffer).
        if let Err(runnable) = local.push(runnable) {
            self.queue.push(runnable);
        }
        true
    }

    /// Queues a runnable task on the injector and wakes one sleeping runner, if any.
    fn push_global(&self, runnable: Runnable) {
        self.queue.push(runnable);
        self.pushed_global();
    }

    /// Tasks were pushed onto the injector: wakes one sleeping runner, if any; or, if the
    /// executor is closed, cancels them.
    fn pushed_global(&self) {
        if self.closed.load(Ordering::SeqCst) {
            // The executor is gone: nobody will run this. Cancel what is queued (a no-op for
            // tasks already cancelled by the shutdown) and break the queue -> task -> us cycle;
            // but a foreign thread leaves a local executor's queue to its owner until the
            // owner has cancelled everything (module doc).
            if self.may_drop_tasks_here() || self.drained.load(Ordering::SeqCst) {
                self.cancel_queued();
            }
            return;
        }
        self.sleepers.notify_one();
    }

    /// Whether this thread may drop the futures of this executor's tasks.
    fn may_drop_tasks_here(&self) -> bool {
        self.owner
            .is_none_or(|owner| owner == std::thread::current().id())
    }

    /// Cancels every task in the injector.
    fn cancel_queued(&self) {
        while let Some(runnable) = self.queue.pop() {
            runnable.shutdown();
        }
    }

    /// Whether the executor has been dropped.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Whether any queue holds a task: a sleeper's last look before it parks.
    pub(crate) fn has_work(&self) -> bool {
        !self.queue.is_empty() || self.locals.read().iter().any(|local| !local.is_empty())
    }

    /// A new runner loop starts: gives it a local queue, visible to the others for stealing.
    pub(crate) fn add_runner(&self) -> Arc<LocalQueue> {
        let local = Arc::new(LocalQueue::new(LOCAL_CAPACITY));
        let mut locals = self.locals.write();
        locals.push(local.clone());
        self.runners.store(locals.len(), Ordering::Relaxed);
        drop(locals);
        self.watch.driver_started();
        local
    }

    /// A runner loop ends: its local queue goes, and what is left in it moves to the injector.
    pub(crate) fn remove_runner(&self, local: &Arc<LocalQueue>) {
        let mut locals = self.locals.write();
        locals.retain(|l| !Arc::ptr_eq(l, local));
        self.runners.store(locals.len(), Ordering::Relaxed);
        drop(locals);
        while let Some(runnable) = local.pop() {
            self.push_global(runnable);
        }
        self.watch.driver_left(!self.is_idle());
    }

    /// What the queues hold for a runner about to sleep (`me` is its queue): work to take at
    /// once (the injector's, its own, a queue of another runner holding two or more tasks);
    /// lone tasks in other runners' queues, or other runners that took tasks since our last
    /// look (worth watching); or nothing. Records the other runners' progress in `seen`. See
    /// [`sleepers`](crate::sleepers), step (3).
    pub(crate) fn look(&self, me: &LocalQueue, seen: &mut Seen) -> Look {
        if !self.queue.is_empty() || !me.is_empty() {
            return Look::Work;
        }
        seen.start();
        let mut lone = false;
        let mut others = false;
        for local in self.locals.read().iter() {
            if std::ptr::eq(&**local, me) {
                continue;
            }
            others = true;
            seen.record(local);
            match local.len() {
                0 => {}
                1 => lone = true,
                _ => return Look::Work,
            }
        }
        // (A runner alone has nobody to watch, whatever woke it.)
        if seen.moved() && others || lone {
            Look::Watch
        } else {
            Look::Empty
        }
    }

    /// Steals half of the first other runner's local queue that holds two tasks or more, or
    /// one task whose owner `seen` found stalled, starting at `start`: returns one task and
    /// moves the rest to `me`.
    ///
    /// A runner alone (the caller is a runner, so `runners` counts it) has nobody to steal
    /// from, and skips the lock. A stale count only skips one look: before it parks, a runner
    /// takes the lock in [`Shared::look`], after which it reads the count written under
    /// the last `add_runner`'s lock, and sees any other runner's queued tasks there.
    #[inline]
    pub(crate) fn steal(&self, me: &LocalQueue, start: usize, seen: &Seen) -> Option<Runnable> {
        if self.runners.load(Ordering::Relaxed) <= 1 {
            return None;
        }
        self.steal_slow(me, start, seen)
    }

    fn steal_slow(&self, me: &LocalQueue, start: usize, seen: &Seen) -> Option<Runnable> {
        let locals = self.locals.read();
        let n = locals.len();
        for i in 0..n {
            let victim = &locals[(start + i) % n];
            if std::ptr::eq(&**victim, me) {
                continue;
            }
            let queued = victim.len();
            if queued == 1 && !seen.stalled(victim) {
                continue; // its owner will take it back, or a watcher will find it stalled
            }
            let mut first = None;
            for _ in 0..queued.div_ceil(2) {
                let Some(runnable) = victim.pop() else { break };
                match first {
                    None => first = Some(runnable),
                    Some(_) => {
                        if let Err(runnable) = me.push(runnable) {
                            self.push_global(runnable);
                        }
                    }
                }
            }
            if first.is_some() {
                return first;
            }
        }
        None
    }

    /// A snapshot of every task that has waited at least once and is not finished.
    pub(crate) fn snapshots(&self) -> Vec<join_handle::TaskSnapshot> {
        let tasks = self.registry.snapshots();
        match &self.hooks.timings {
            None => tasks,
            Some(timings) => timings.attach_all(tasks),
        }
    }

    /// Whether no spawned task is alive.
    pub(crate) fn is_idle(&self) -> bool {
        self.alive.load(Ordering::SeqCst) == 0
    }

    /// Spawns a `Send` task with `options` (its name and spawn location). Always inlined:
    /// the timing branch must not push the untimed spawn out of line (it did: +2.5 % of
    /// instructions per spawn in `cell_cost`).
    #[inline(always)]
    pub(crate) fn spawn<F>(
        self: &Arc<Self>,
        future: F,
        options: TaskOptions,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (runnable, handle) = match &self.hooks.timings {
            None => options.spawn(future, Scheduler::new(self.clone())),
            Some(timings) => timings.spawn(self, |s| options.spawn(future, s)),
        };
        self.admit(runnable);
        handle
    }

    /// Spawns a task that stays on the owner thread. The caller checked that it is on it.
    pub(crate) fn spawn_local<F>(
        self: &Arc<Self>,
        future: F,
        options: TaskOptions,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        debug_assert_eq!(self.owner, Some(std::thread::current().id()));
        let (runnable, handle) = match &self.hooks.timings {
            None => options.spawn_local(future, Scheduler::new(self.clone())),
            Some(timings) => timings.spawn(self, |s| options.spawn_local(future, s)),
        };
        self.admit(runnable);
        handle
    }

    /// A new task: counted alive, then queued. After the executor was dropped it is cancelled
    /// without ever running: from a foreign thread by `push_global`, which sees `closed`; from
    /// a task that dropped its own executor on a worker, by that worker, which stops before its
    /// next task and hands its local queue to `push_global` as it leaves.
    fn admit(&self, runnable: Runnable) {
        self.alive.fetch_add(1, Ordering::SeqCst);
        if self.hooks.index_at_spawn && !self.closed.load(Ordering::SeqCst) {
            self.registry.insert(&runnable.task_ref());
        }
        self.hooks.spawned(|| runnable.task_ref().snapshot());
        self.push_spawned(runnable);
        self.watch.spawned();
    }

    /// Cancels every live task: the registered (idle) ones, then the queued ones. Called when
    /// the executor drops, after every other runner has stopped, on a thread that may drop the
    /// tasks (the owner, for a `LocalExecutor`); called again by a worker whose task dropped
    /// its own executor, once that task's poll is over.
    pub(crate) fn shutdown(&self) {
        debug_assert!(self.may_drop_tasks_here());
        self.closed.store(true, Ordering::SeqCst);
        for task in self.registry.take_all() {
            task.shutdown();
        }
        self.cancel_queued();
        // Every runner has left, moving its local tasks to the injector; this is a backstop.
        let locals = std::mem::take(&mut *self.locals.write());
        self.runners.store(0, Ordering::Relaxed);
        for local in locals {
            while let Some(runnable) = local.pop() {
                runnable.shutdown();
            }
        }
        // Every task is complete now: foreign pushers may empty the queue from here on, and
        // what they pushed before they could see this, we take (module doc, step 3).
        self.drained.store(true, Ordering::SeqCst);
        self.cancel_queued();
    }

    /// A task's life event (see [`TaskEvent`]): a task that waits is registered for shutdown
    /// and dumps, a completed one leaves the registry and the count of live tasks. Inlined into
    /// the plain [`Scheduler`]'s, which is all that calls it on the untimed path.
    #[inline(always)]
    pub(crate) fn task_event(&self, task: &TaskRef, event: TaskEvent) {
        match event {
            // Even after shutdown (a worker finishing the task that dropped its own executor):
            // that worker shuts down again when it leaves, which cancels this task.
            TaskEvent::FirstPending => self.registry.insert(task),
            TaskEvent::Completed { pended, outcome } => {
                if pended || self.hooks.index_at_spawn {
                    self.registry.remove(task);
                }
                self.hooks.terminated(|| task.id(), outcome);
                if self.alive.fetch_sub(1, Ordering::SeqCst) == 1 {
                    // The last task is done: every `run()` caller may return.
                    self.sleepers.notify_all();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::sync::{Arc, Mutex};
    use std::task::{Poll, Waker};

    use crate::Executor;
    use crate::injector::LOCAL_CAPACITY;
    use crate::runner::LOCAL_FIRST_INTERVAL;

    /// Tasks woken on a runner's thread, far more than its local queue holds, run in the order
    /// they were woken, except for the local-first pops (`LOCAL_FIRST_INTERVAL`): each of
    /// those may take one newer task ahead of the older ones. So no task runs later than
    /// its wake order plus the number of such pops among the `N` runs. (Before the overflow
    /// moved the older half out, the first `LOCAL_CAPACITY` woken waited behind every later
    /// one: some ran `N - LOCAL_CAPACITY` places late.)
    #[test]
    fn tasks_woken_past_a_full_local_queue_run_in_wake_order() {
        const N: usize = 4 * LOCAL_CAPACITY;
        let ex = Executor::new();
        let wakers: Arc<Mutex<Vec<Option<Waker>>>> = Arc::new(Mutex::new(vec![None; N]));
        let order = Arc::new(Mutex::new(Vec::with_capacity(N)));
        for i in 0..N {
            let (wakers, order) = (wakers.clone(), order.clone());
            ex.spawn(poll_fn(move |cx| {
                let mut wakers = wakers.lock().unwrap();
                if wakers[i].is_none() {
                    wakers[i] = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                order.lock().unwrap().push(i);
                Poll::Ready(())
            }));
        }
        let all = wakers.clone();
        // Spawned last, so every task above has stored its waker when this runs (FIFO); it
        // wakes them all in index order, from this runner's thread (onto its local queue).
        ex.spawn(async move {
            let woken: Vec<Waker> = all.lock().unwrap().iter().flatten().cloned().collect();
            assert_eq!(woken.len(), N, "every task waits before the waker runs");
            woken.into_iter().for_each(Waker::wake);
        });
        ex.run();
        let order = order.lock().unwrap();
        assert_eq!(order.len(), N);
        let bound = N.div_ceil(LOCAL_FIRST_INTERVAL as usize);
        let late = order
            .iter()
            .enumerate()
            .map(|(place, &i)| place.saturating_sub(i))
            .max()
            .unwrap();
        assert!(
            late <= bound,
            "a task ran {late} places after its wake order (bound {bound}): {order:?}"
        );
    }
}
