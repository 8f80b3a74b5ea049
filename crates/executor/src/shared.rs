//! [`Shared`]: the state every runner, task and waker of one executor shares.
//!
//! * `queue`: the injector, a lock-free FIFO (see [`Injector`]), and `locals`: one local
//!   queue per runner loop. Every runnable task is in exactly one of them, once (the task
//!   state guarantees that). A task woken or spawned on a runner's thread goes to that
//!   runner's local queue, anything else to the injector; so two runners do not fight over
//!   one queue's ends on every yield. Runners take from the injector first (tasks from
//!   outside, and the FIFO order of lesson 2's round robin), then from their own queue (and
//!   from their own queue first every 61st time, so neither side starves), then steal half
//!   of another runner's queue. FIFO order within each queue is the fairness rule: a task that
//!   wakes itself goes behind every task that was already waiting there.
//! * `registry`: every task that has gone idle (pending and not queued) at least once and is
//!   not finished, for shutdown. A live task is always queued, running, or registered, so
//!   shutdown finds every one of them: registered ones in the registry, queued ones in the
//!   queue, and none is running (every runner is gone by then). Tasks that finish in their
//!   first poll never touch the registry's lock.
//! * `alive`: the number of tasks spawned and not yet completed; `run()` returns at zero.
//! * `sleepers`: the runners parked for lack of work.
//!
//! Each task holds an `Arc<Shared>` (its [`Scheduler`]), so a waker can always queue its task,
//! even after the executor is gone. Dropping the executor breaks the cycles through the queue
//! and the registry: it sets `closed`, cancels every registered task and empties the queue; a
//! push that races with that sees `closed` and empties the queue itself.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::ThreadId;

use join_handle::{JoinHandle, Runnable, Schedule, TaskRef};
use parking_lot::RwLock;

use crate::current;
use crate::injector::{Injector, LOCAL_CAPACITY, LocalQueue};
use crate::registry::Registry;
use crate::sleepers::Sleepers;
use crate::undriven::Watch;

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) queue: Injector,
    /// The local queues of the runner loops that drive this executor right now.
    locals: RwLock<Vec<Arc<LocalQueue>>>,
    registry: Registry,
    alive: AtomicUsize,
    pub(crate) sleepers: Sleepers,
    closed: AtomicBool,
    /// Set when the owned worker threads must exit.
    pub(crate) stop_workers: AtomicBool,
    /// `Some` for a `LocalExecutor`: the only thread that runs its tasks.
    pub(crate) owner: Option<ThreadId>,
    /// Reports an executor with live tasks that nothing drives (no silent hang).
    pub(crate) watch: Watch,
}

impl Shared {
    #[track_caller]
    pub(crate) fn new(owner: Option<ThreadId>) -> Arc<Shared> {
        let created_at = std::panic::Location::caller();
        Arc::new_cyclic(|weak| Shared {
            queue: Injector::new(),
            locals: RwLock::new(Vec::new()),
            registry: Registry::default(),
            alive: AtomicUsize::new(0),
            sleepers: Sleepers::default(),
            closed: AtomicBool::new(false),
            stop_workers: AtomicBool::new(false),
            owner,
            watch: Watch::new(weak.clone(), created_at, owner.is_some()),
        })
    }

    /// Queues a runnable task (on this thread's runner's local queue if there is one, else on
    /// the injector) and wakes one sleeping runner, if any and if it has something to take.
    #[inline]
    pub(crate) fn push(&self, runnable: Runnable) {
        match current::push_local(self, runnable) {
            // The task is on the queue of this thread's runner, which is awake (it is running
            // the code that pushed) and will run it: it cannot be stranded, so waking another
            // runner is only for parallelism. A lone task is not worth it (the other runner
            // would steal it and bounce the work between threads); two or more are.
            Ok(1) => {}
            Ok(_) => self.sleepers.notify_one_for_parallelism(),
            Err(runnable) => self.push_global(runnable),
        }
    }

    /// Queues a runnable task on the injector and wakes one sleeping runner, if any.
    fn push_global(&self, runnable: Runnable) {
        self.queue.push(runnable);
        if self.closed.load(Ordering::SeqCst) {
            // The executor is gone: nobody will run this. Cancel what is queued (a no-op for
            // tasks already cancelled by the shutdown) and break the queue -> task -> us cycle.
            while let Some(runnable) = self.queue.pop() {
                runnable.shutdown();
            }
            return;
        }
        self.sleepers.notify_one();
    }

    /// Whether any queue holds a task: a sleeper's last look before it parks.
    pub(crate) fn has_work(&self) -> bool {
        !self.queue.is_empty() || self.locals.read().iter().any(|local| !local.is_empty())
    }

    /// A new runner loop starts: gives it a local queue, visible to the others for stealing.
    pub(crate) fn add_runner(&self) -> Arc<LocalQueue> {
        let local = Arc::new(LocalQueue::new(LOCAL_CAPACITY));
        self.locals.write().push(local.clone());
        self.watch.driver_started();
        local
    }

    /// A runner loop ends: its local queue goes, and what is left in it moves to the injector.
    pub(crate) fn remove_runner(&self, local: &Arc<LocalQueue>) {
        self.locals.write().retain(|l| !Arc::ptr_eq(l, local));
        while let Some(runnable) = local.pop() {
            self.push_global(runnable);
        }
        self.watch.driver_left(!self.is_idle());
    }

    /// Steals half of the first non-empty local queue of another runner, starting at
    /// `start`: returns one task and moves the rest to `me`.
    pub(crate) fn steal(&self, me: &LocalQueue, start: usize) -> Option<Runnable> {
        let locals = self.locals.read();
        let n = locals.len();
        for i in 0..n {
            let victim = &locals[(start + i) % n];
            if std::ptr::eq(&**victim, me) {
                continue;
            }
            let mut first = None;
            for _ in 0..victim.len().div_ceil(2) {
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

    /// Whether no spawned task is alive.
    pub(crate) fn is_idle(&self) -> bool {
        self.alive.load(Ordering::SeqCst) == 0
    }

    /// Spawns a `Send` task.
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (runnable, handle) = join_handle::spawn(future, Scheduler(self.clone()));
        self.admit(runnable);
        handle
    }

    /// Spawns a task that stays on the owner thread. The caller checked that it is on it.
    pub(crate) fn spawn_local<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        debug_assert_eq!(self.owner, Some(std::thread::current().id()));
        let (runnable, handle) = join_handle::spawn_local(future, Scheduler(self.clone()));
        self.admit(runnable);
        handle
    }

    fn admit(&self, runnable: Runnable) {
        self.alive.fetch_add(1, Ordering::SeqCst);
        self.push(runnable);
        self.watch.spawned();
    }

    /// Cancels every live task: the registered (idle) ones, then the queued ones. Called once,
    /// when the executor drops, after every runner has stopped.
    pub(crate) fn shutdown(&self) {
        self.closed.store(true, Ordering::SeqCst);
        for task in self.registry.take_all() {
            task.shutdown();
        }
        while let Some(runnable) = self.queue.pop() {
            runnable.shutdown();
        }
        // Every runner has left, moving its local tasks to the injector; this is a backstop.
        for local in std::mem::take(&mut *self.locals.write()) {
            while let Some(runnable) = local.pop() {
                runnable.shutdown();
            }
        }
    }
}

/// The handle each task keeps to its executor.
#[derive(Debug)]
pub(crate) struct Scheduler(Arc<Shared>);

impl Schedule for Scheduler {
    #[inline]
    fn schedule(&self, runnable: Runnable) {
        self.0.push(runnable);
    }

    fn register(&self, task: TaskRef) {
        // After shutdown (a worker finishing the task that dropped its own executor) keep
        // nothing: the task is cancelled by the next push, which sees `closed`.
        if !self.0.closed.load(Ordering::SeqCst) {
            self.0.registry.insert(task);
        }
    }

    fn release(&self, key: usize) {
        if key != usize::MAX {
            self.0.registry.remove(key);
        }
        if self.0.alive.fetch_sub(1, Ordering::SeqCst) == 1 {
            // The last task is done: every `run()` caller may return.
            self.0.sleepers.notify_all();
        }
    }
}
