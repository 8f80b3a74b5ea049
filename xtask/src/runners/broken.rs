//! Deliberately broken implementations, for proving that verify catches them.
//!
//! Each one gets some part of lesson 5 wrong in a way a learner might; the tests in
//! `xtask/tests/broken.rs` run the real measuring code against them and expect FAIL rows.
//! None of these is used by `cargo xtask verify` itself.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use super::{BlockOn, Spawner, Task};

/// `what-is-an-executor.md`'s educational `block_on`: a no-op waker and `yield_now` between
/// polls. It returns the right value, but busy-polls instead of parking.
#[derive(Debug, Clone, Copy, Default)]
pub struct BusyBlockOn;

impl BlockOn for BusyBlockOn {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let waker = wakers::noop_waker();
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::yield_now();
        }
    }
}

/// An "executor" whose `run` drives each task to completion, in spawn order, before starting
/// the next: correct outputs, but nothing interleaves and delays add up.
#[derive(Default)]
pub struct SequentialExecutor {
    tasks: RefCell<Vec<Task>>,
}

impl std::fmt::Debug for SequentialExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SequentialExecutor").finish_non_exhaustive()
    }
}

impl Spawner for SequentialExecutor {
    fn spawn_task(&self, task: Task) {
        self.tasks.borrow_mut().push(task);
    }

    fn run(&self) {
        let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        for task in tasks {
            block_on::block_on(task);
        }
    }
}

/// The lesson's queue of `Arc<Task>` without a "scheduled" flag: every wake pushes the task
/// again, so a task woken twice before it runs is polled twice.
#[derive(Debug, Default)]
pub struct NaiveQueueExecutor {
    queue: Arc<Mutex<VecDeque<Arc<NaiveTask>>>>,
}

struct NaiveTask {
    future: Mutex<Option<Task>>,
    queue: Arc<Mutex<VecDeque<Arc<NaiveTask>>>>,
}

impl std::fmt::Debug for NaiveTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NaiveTask").finish_non_exhaustive()
    }
}

impl NaiveQueueExecutor {
    fn push(queue: &Mutex<VecDeque<Arc<NaiveTask>>>, task: Arc<NaiveTask>) {
        queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(task);
    }
}

impl Spawner for NaiveQueueExecutor {
    fn spawn_task(&self, task: Task) {
        let queue = self.queue.clone();
        let task = Arc::new(NaiveTask {
            future: Mutex::new(Some(task)),
            queue,
        });
        Self::push(&self.queue, task);
    }

    /// Pops and polls until the queue is empty. (It spins instead of parking while nothing is
    /// queued: good enough for the single-threaded checks it is used in.)
    fn run(&self) {
        loop {
            let next = self
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop_front();
            let Some(task) = next else { return };
            let waker = {
                let task = task.clone();
                wakers::waker_fn(move || Self::push(&task.queue, task.clone()))
            };
            let mut slot = task.future.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(future) = slot.as_mut()
                && future
                    .as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_ready()
            {
                *slot = None;
            }
        }
    }
}

/// An executor that ignores wakers: it polls every unfinished task, round after round,
/// until all are done. Right answers, busy CPU, and polls nobody asked for.
#[derive(Default)]
pub struct PollEverythingExecutor {
    tasks: RefCell<Vec<Task>>,
}

impl std::fmt::Debug for PollEverythingExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollEverythingExecutor")
            .finish_non_exhaustive()
    }
}

impl Spawner for PollEverythingExecutor {
    fn spawn_task(&self, task: Task) {
        self.tasks.borrow_mut().push(task);
    }

    fn run(&self) {
        let mut tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        let waker = wakers::noop_waker();
        let mut cx = Context::from_waker(&waker);
        while !tasks.is_empty() {
            tasks.retain_mut(|t| t.as_mut().poll(&mut cx).is_pending());
        }
    }
}
