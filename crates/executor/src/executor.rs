//! [`Executor`] and its [`Builder`].

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;

use join_handle::JoinHandle;

use crate::hooks::Hooks;
use crate::monitor::Monitor;
use crate::runner;
use crate::shared::Shared;

/// A multi-task executor: spawn `Send` futures onto it, drive them from one or more threads.
///
/// * [`spawn`](Executor::spawn) queues a task; it runs once some thread drives the executor.
/// * [`run`](Executor::run) drives tasks on the calling thread until no spawned task is alive.
///   Several threads may call it at once on one executor (it is `Send + Sync`; share it with
///   `&` or `Arc`): they cooperate on the same tasks, and each returns once none is alive.
/// * [`block_on`](Executor::block_on) drives tasks until a given future completes.
/// * [`Executor::builder`]`().worker_threads(n)` adds `n` owned threads that run tasks in the
///   background, so spawn-and-forget works like a thread pool; they are joined on drop.
///
/// A task that panics is caught: its handle reports the panic, and every other task carries
/// on. Dropping the executor drops the future of every task still alive; their handles then
/// report cancellation.
///
/// ```
/// use executor::Executor;
///
/// let ex = Executor::new();
/// let handles: Vec<_> = (0..3).map(|i| ex.spawn(async move { i * 10 })).collect();
/// ex.run();
/// let outputs: Vec<_> = handles.into_iter().map(block_on::block_on).collect();
/// assert_eq!(outputs, [0, 10, 20]);
/// ```
pub struct Executor {
    pub(crate) shared: Arc<Shared>,
    workers: Vec<thread::JoinHandle<()>>,
}

impl Executor {
    /// Creates an executor with no threads of its own: tasks run when some thread calls
    /// [`run`](Executor::run) or [`block_on`](Executor::block_on).
    ///
    /// Awaiting a task's handle does not run the executor. If tasks are alive and no thread
    /// has run the executor for a second, a message on standard error says so, naming where
    /// the executor was created (once per executor; nothing else changes, and driving it later
    /// is still fine).
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// assert_eq!(ex.block_on(async { 5 }), 5);
    /// ```
    #[track_caller]
    pub fn new() -> Executor {
        Executor {
            shared: Shared::new(None),
            workers: Vec::new(),
        }
    }

    /// Starts building an executor with owned worker threads.
    ///
    /// ```
    /// let ex = executor::Executor::builder().worker_threads(2).build();
    /// let handle = ex.spawn(async { 42 });
    /// assert_eq!(block_on::block_on(handle), 42); // the workers ran it
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Spawns a task and returns its [`JoinHandle`]. The task is queued at once; spawning
    /// before anything drives the executor is fine.
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// let handle = ex.spawn(async { "hi" });
    /// assert_eq!(ex.block_on(handle), "hi");
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future, join_handle::Builder::new())
    }

    /// Drives tasks on the calling thread until no spawned task is alive. While tasks wait
    /// for wakes it parks the thread; it never spins.
    ///
    /// # Panics
    ///
    /// Panics if called from inside one of this executor's own tasks: it would wait for that
    /// task to finish, which cannot happen while it waits. (Inside a task, spawn the work or
    /// await it; [`block_on`](Executor::block_on) may be nested, as it waits for one future.)
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let ex = executor::Executor::new();
    /// let done = Arc::new(AtomicUsize::new(0));
    /// for _ in 0..10 {
    ///     let done = done.clone();
    ///     ex.spawn(async move { done.fetch_add(1, Ordering::SeqCst); });
    /// }
    /// ex.run();
    /// assert_eq!(done.load(Ordering::SeqCst), 10);
    /// ```
    pub fn run(&self) {
        runner::run(&self.shared, "Executor::run");
    }

    /// Drives tasks on the calling thread until `future` completes, and returns its output.
    ///
    /// `future` need not be `Send` and is polled on this thread only, whenever its waker is
    /// woken. Between its polls the queued tasks run, even when `future` keeps waking itself
    /// (a [`yield_now`](fn@crate::yield_now) loop in it lets every queued task run).
    ///
    /// It may be called inside a task (of this executor or another): that task's thread then
    /// runs other tasks until `future` completes, and the calling task resumes after. It blocks
    /// that task meanwhile, so `future` must not wait for the calling task itself.
    ///
    /// ```
    /// use executor::{Executor, spawn, yield_now};
    ///
    /// let ex = Executor::new();
    /// let out = ex.block_on(async {
    ///     let h = spawn(async { 7 });
    ///     while !h.is_finished() {
    ///         yield_now().await;
    ///     }
    ///     h.await
    /// });
    /// assert_eq!(out, 7);
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        runner::block_on(&self.shared, future)
    }
}

impl Default for Executor {
    #[track_caller]
    fn default() -> Self {
        Executor::new()
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        self.shared.stop_workers.store(true, Ordering::SeqCst);
        self.shared.sleepers.notify_all();
        let me = thread::current().id();
        for worker in self.workers.drain(..) {
            // A worker that drops its own executor (inside a task) cannot join itself.
            if worker.thread().id() != me {
                let _ = worker.join();
            }
        }
        self.shared.shutdown();
    }
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("worker_threads", &self.workers.len())
            .finish_non_exhaustive()
    }
}

/// Configures an executor: an [`Executor`] (`Builder`, from [`Executor::builder`]) or a
/// [`LocalExecutor`](crate::LocalExecutor) (`Builder<LocalExecutor>`, from
/// [`LocalExecutor::builder`](crate::LocalExecutor::builder)).
///
/// The task hooks, the monitor's reports and [`task_timing`](Builder::task_timing) are the
/// same for both; worker threads only exist for an `Executor`.
///
/// ```
/// let ex = executor::Executor::builder()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .build();
/// let name = ex.spawn(async { std::thread::current().name().map(String::from) });
/// assert_eq!(block_on::block_on(name).as_deref(), Some("my-worker"));
/// ```
pub struct Builder<E = Executor> {
    worker_threads: usize,
    thread_name: String,
    /// Opt-in task callbacks, set in `hooks.rs`.
    pub(crate) hooks: Hooks,
    /// Opt-in monitor thread, set in `monitor.rs`.
    pub(crate) monitor: Monitor,
    /// Opt-in per-task timing, set in `timing.rs`.
    pub(crate) timing: bool,
    /// What `build` makes (a function pointer: the builder is `Send + Sync` either way).
    _builds: PhantomData<fn() -> E>,
}

impl<E> Default for Builder<E> {
    fn default() -> Self {
        Builder {
            worker_threads: 0,
            thread_name: "executor-worker".to_string(),
            hooks: Hooks::default(),
            monitor: Monitor::default(),
            timing: false,
            _builds: PhantomData,
        }
    }
}

impl<E> Clone for Builder<E> {
    fn clone(&self) -> Self {
        Builder {
            worker_threads: self.worker_threads,
            thread_name: self.thread_name.clone(),
            hooks: self.hooks.clone(),
            monitor: self.monitor.clone(),
            timing: self.timing,
            _builds: PhantomData,
        }
    }
}

impl<E> fmt::Debug for Builder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("builds", &std::any::type_name::<E>())
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("hooks", &self.hooks)
            .field("monitor", &self.monitor)
            .field("timing", &self.timing)
            .finish()
    }
}

impl<E> Builder<E> {
    /// The executor's shared state, with the hooks, the timing table and the monitor thread
    /// this builder asks for: the part of `build` both kinds of executor share.
    #[track_caller]
    pub(crate) fn shared(self, owner: Option<thread::ThreadId>) -> Arc<Shared> {
        let mut hooks = self.hooks;
        hooks.index_at_spawn = self.monitor.is_on();
        if self.timing {
            hooks.timings = Some(Arc::default());
        }
        let shared = Shared::with_hooks(owner, hooks);
        self.monitor.start(&shared);
        shared
    }
}

impl Builder<Executor> {
    /// How many owned threads run tasks in the background (default 0: only threads that call
    /// `run` or `block_on` run tasks).
    ///
    /// ```
    /// let ex = executor::Executor::builder().worker_threads(1).build();
    /// assert_eq!(block_on::block_on(ex.spawn(async { 1 })), 1);
    /// ```
    pub fn worker_threads(mut self, n: usize) -> Builder {
        self.worker_threads = n;
        self
    }

    /// The name of the worker threads (default `executor-worker`).
    ///
    /// ```
    /// let ex = executor::Executor::builder().worker_threads(1).thread_name("w").build();
    /// # drop(ex);
    /// ```
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = name.into();
        self
    }

    /// Builds the executor and starts its worker threads.
    ///
    /// # Panics
    ///
    /// Panics if the operating system refuses to start a thread.
    ///
    /// ```
    /// let ex = executor::Executor::builder().build(); // no workers: like Executor::new()
    /// assert_eq!(ex.block_on(async { 2 }), 2);
    /// ```
    #[track_caller]
    pub fn build(self) -> Executor {
        let worker_threads = self.worker_threads;
        let thread_name = self.thread_name.clone();
        let shared = self.shared(None);
        if worker_threads > 0 {
            shared.watch.set_has_workers();
        }
        let workers = (0..worker_threads)
            .map(|_| {
                let shared = shared.clone();
                thread::Builder::new()
                    .name(thread_name.clone())
                    .spawn(move || runner::work(shared))
                    .expect("failed to start an executor worker thread")
            })
            .collect();
        Executor { shared, workers }
    }
}
