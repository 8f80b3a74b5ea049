//! [`spawn_blocking`]: run blocking code (file I/O, DNS, compression, a slow library call) on a
//! pool of threads of its own, so that it never holds up a thread that runs tasks.
//!
//! # The pool
//!
//! One pool per process, created on first use. A job is a task of the `join-handle` crate
//! whose future calls the closure in its first and only poll: so the closure's panic is caught
//! and handed to its [`JoinHandle`], and [`JoinHandle::abort`] before it starts drops it
//! unrun, with no code of our own for either.
//!
//! The pool's state is one mutex (`State`) and one condition variable:
//!
//! 1. **Push.** A job goes to the back of `queue`. Then, in this order: if a thread is idle,
//!    the pusher takes one idle thread for it (`idle -= 1`, `notified += 1`) and signals the
//!    condition variable; else if `threads < max_threads`, it starts a new thread (counted in
//!    `threads` before it starts); else the job waits for the next thread that finishes one.
//! 2. **Run.** A thread pops jobs until `queue` is empty, running each with the lock released.
//! 3. **Idle.** With nothing queued, a thread counts itself in `idle` and waits, at most
//!    [`BLOCKING_KEEP_ALIVE`]. It leaves the wait only by taking a `notified` token (a pusher counted it
//!    out of `idle` already) or by timing out with none left, in which case it removes itself
//!    from `idle` and `threads` and exits.
//!
//! No lost wake-up: a job pushed while some thread is idle always hands out a token (1), and
//! an idle thread takes tokens before it looks at its timeout (3); so a queued job is either
//! taken by a thread that is running jobs (2), or a token for it is pending, or a new thread
//! was started for it. The queue is only empty-checked under the lock, so a thread cannot
//! miss a job pushed between its last pop and its wait. No busy polling: an idle thread
//! sleeps on the condition variable until a token or its timeout.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use join_handle::{JoinHandle, Runnable, Schedule};
use parking_lot::{Condvar, Mutex};

/// The most threads the pool runs at once; more jobs wait in its queue. Blocking jobs mostly
/// wait (on disks, networks, locks), so many threads is the point; tokio's pool uses the
/// same bound. Each idle thread costs a stack's address space, not its memory.
///
/// ```
/// assert!(executor::MAX_BLOCKING_THREADS >= 128);
/// ```
pub const MAX_BLOCKING_THREADS: usize = 512;

/// How long a pool thread with nothing to do waits for a job before it exits: long enough to
/// serve a steady trickle of jobs without starting a thread for each, short enough that a
/// burst's threads go away soon after it.
///
/// ```
/// assert_eq!(executor::BLOCKING_KEEP_ALIVE.as_secs(), 10);
/// ```
pub const BLOCKING_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The name of the pool's threads, as debuggers and `top -H` show them.
const THREAD_NAME: &str = "blocking-pool";

/// Runs `f` on the blocking-thread pool and returns a [`JoinHandle`] to its result.
///
/// Works anywhere: inside a task of any executor, in [`Executor::block_on`](crate::Executor::block_on),
/// or in plain synchronous code (await the handle with any `block_on`). It never runs `f` on
/// the calling thread and never waits for it; the pool starts a thread for `f` when none is
/// idle, up to [`MAX_BLOCKING_THREADS`], and a thread idle for [`BLOCKING_KEEP_ALIVE`] exits.
///
/// A panic in `f` is caught and reaches the handle (awaiting it resumes the panic;
/// [`try_join`](JoinHandle::try_join) gives a [`JoinError`](crate::JoinError)).
/// [`abort`](JoinHandle::abort) only helps before `f` starts: a running closure cannot be
/// interrupted. `f` runs outside any executor, so [`spawn`](crate::spawn) inside it panics;
/// spawn from the task that awaits its handle instead.
///
/// # Panics
///
/// Panics if the operating system refuses to start a thread while the pool has none.
///
/// ```
/// use executor::{Executor, spawn_blocking};
///
/// let ex = Executor::new();
/// let len = ex.block_on(async {
///     // Pretend this reads a file: it blocks, so it goes to the pool.
///     let text = spawn_blocking(|| "contents of a file".to_string()).await;
///     text.len()
/// });
/// assert_eq!(len, 18);
///
/// // Outside any executor, too.
/// assert_eq!(block_on::block_on(spawn_blocking(|| 2 + 2)), 4);
/// ```
pub fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    static POOL: OnceLock<Arc<Pool>> = OnceLock::new();
    let pool = POOL.get_or_init(|| Pool::new(MAX_BLOCKING_THREADS, BLOCKING_KEEP_ALIVE));
    pool.spawn(f)
}

/// A closure as a future that calls it in its first poll.
struct BlockingJob<F>(Option<F>);

// The closure is never pinned: it is moved out and called.
impl<F> Unpin for BlockingJob<F> {}

impl<F: FnOnce() -> T, T> Future for BlockingJob<F> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<T> {
        let f = self.0.take().expect("a blocking job is polled once");
        Poll::Ready(f())
    }
}

/// A pool of threads for blocking jobs. The process-wide one is behind [`spawn_blocking`];
/// tests make small ones.
pub(crate) struct Pool {
    state: Mutex<State>,
    /// Signalled once per `notified` token.
    wake: Condvar,
    max_threads: usize,
    keep_alive: Duration,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Runnable>,
    /// Threads started and not yet exited.
    threads: usize,
    /// Threads waiting for a job and not yet picked by a pusher.
    idle: usize,
    /// Wake-ups handed to idle threads and not yet taken.
    notified: usize,
    /// Most threads alive at once so far (for tests and `Debug`).
    peak_threads: usize,
}

impl Pool {
    pub(crate) fn new(max_threads: usize, keep_alive: Duration) -> Arc<Pool> {
        assert!(max_threads > 0, "a blocking pool needs at least one thread");
        Arc::new(Pool {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            max_threads,
            keep_alive,
        })
    }

    pub(crate) fn spawn<F, T>(self: &Arc<Self>, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (runnable, handle) = join_handle::spawn(BlockingJob(Some(f)), Queue(self.clone()));
        self.push(runnable);
        handle
    }

    /// Step 1 of the module docs.
    fn push(self: &Arc<Self>, runnable: Runnable) {
        let mut state = self.state.lock();
        state.queue.push_back(runnable);
        if state.idle > 0 {
            state.idle -= 1;
            state.notified += 1;
            drop(state);
            self.wake.notify_one();
            return;
        }
        if state.threads >= self.max_threads {
            return; // the next thread to finish a job takes it
        }
        state.threads += 1;
        state.peak_threads = state.peak_threads.max(state.threads);
        drop(state);
        let pool = self.clone();
        let started = thread::Builder::new()
            .name(THREAD_NAME.to_string())
            .spawn(move || pool.work());
        if let Err(err) = started {
            let mut state = self.state.lock();
            state.threads -= 1;
            if state.threads > 0 {
                return; // a running thread will take the job
            }
            let stranded: Vec<Runnable> = state.queue.drain(..).collect();
            drop(state);
            // Their handles report cancellation rather than hang.
            stranded.into_iter().for_each(Runnable::shutdown);
            panic!("spawn_blocking: the operating system refused to start a thread: {err}");
        }
    }

    /// A pool thread: steps 2 and 3 of the module docs.
    fn work(&self) {
        let mut state = self.state.lock();
        loop {
            while let Some(runnable) = state.queue.pop_front() {
                drop(state);
                runnable.run(); // catches the closure's panic
                state = self.state.lock();
            }
            state.idle += 1;
            loop {
                let timed_out = self.wake.wait_for(&mut state, self.keep_alive).timed_out();
                if state.notified > 0 {
                    state.notified -= 1;
                    break; // a pusher counted us out of `idle`
                }
                if timed_out {
                    state.idle -= 1;
                    state.threads -= 1;
                    return;
                }
                // A spurious wake-up: wait again.
            }
        }
    }

    #[cfg(test)]
    fn counts(&self) -> (usize, usize) {
        let state = self.state.lock();
        (state.threads, state.peak_threads)
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Pool")
            .field("threads", &state.threads)
            .field("idle", &state.idle)
            .field("queued", &state.queue.len())
            .field("max_threads", &self.max_threads)
            .finish()
    }
}

/// The [`Schedule`] of a blocking job: its one run goes to the pool's queue.
struct Queue(Arc<Pool>);

impl Schedule for Queue {
    fn schedule(&self, runnable: Runnable) {
        self.0.push(runnable);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::time::Instant;

    use super::*;

    /// A failure bound, not a speed check: only a broken pool gets near it.
    const STUCK: Duration = Duration::from_secs(60);

    #[test]
    fn one_thread_runs_queued_jobs_in_order() {
        let pool = Pool::new(1, BLOCKING_KEEP_ALIVE);
        let (tx, rx) = mpsc::channel();
        let handles: Vec<_> = (0..5)
            .map(|i| {
                let tx = tx.clone();
                pool.spawn(move || tx.send(i).unwrap())
            })
            .collect();
        for handle in handles {
            block_on::block_on(handle);
        }
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert_eq!(pool.counts().1, 1, "never more than max_threads");
    }

    #[test]
    fn an_aborted_queued_job_never_runs() {
        let pool = Pool::new(1, BLOCKING_KEEP_ALIVE);
        let (release, gate) = mpsc::channel::<()>();
        let first = pool.spawn(move || gate.recv_timeout(STUCK).unwrap());
        let ran = Arc::new(AtomicBool::new(false));
        let second = pool.spawn({
            let ran = ran.clone();
            move || ran.store(true, Ordering::SeqCst)
        });
        // The only thread is busy with `first`, so `second` is still queued.
        second.abort();
        release.send(()).unwrap();
        block_on::block_on(first);
        let err = block_on::block_on(second.try_join()).unwrap_err();
        assert!(err.is_cancelled());
        assert!(!ran.load(Ordering::SeqCst));
    }

    #[test]
    fn idle_threads_exit_after_the_keep_alive() {
        let pool = Pool::new(4, Duration::from_millis(20));
        let handles: Vec<_> = (0..3).map(|i| pool.spawn(move || i)).collect();
        for handle in handles {
            block_on::block_on(handle);
        }
        assert!(pool.counts().1 >= 1);
        let since = Instant::now();
        while pool.counts().0 > 0 {
            assert!(
                since.elapsed() < STUCK,
                "idle threads never exited: {pool:?}"
            );
            thread::sleep(Duration::from_millis(5));
        }
        // And the pool starts threads again afterwards.
        assert_eq!(block_on::block_on(pool.spawn(|| 9)), 9);
    }

    #[test]
    fn a_thread_reused_while_idle_is_not_counted_twice() {
        let pool = Pool::new(8, BLOCKING_KEEP_ALIVE);
        // Sequential jobs: each finds the previous job's thread idle.
        for i in 0..20 {
            assert_eq!(block_on::block_on(pool.spawn(move || i)), i);
            // Let the thread reach its wait, so it is idle when the next job comes.
            let since = Instant::now();
            while pool.state.lock().idle == 0 {
                assert!(since.elapsed() < STUCK);
                thread::yield_now();
            }
        }
        assert_eq!(pool.counts(), (1, 1), "one thread served every job");
    }

    #[test]
    fn concurrent_pushes_all_run() {
        let pool = Pool::new(3, Duration::from_millis(1));
        let done = Arc::new(AtomicUsize::new(0));
        thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..200 {
                        let done = done.clone();
                        block_on::block_on(pool.spawn(move || {
                            done.fetch_add(1, Ordering::SeqCst);
                        }));
                    }
                });
            }
        });
        assert_eq!(done.load(Ordering::SeqCst), 800);
        assert!(pool.counts().1 <= 3);
    }
}
