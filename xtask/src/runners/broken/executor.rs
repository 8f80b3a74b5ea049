//! Broken multi-task executors: right outputs, wrong scheduling.
//!
//! [`SequentialExecutor`] and [`PollEverythingExecutor`] get the structure wrong;
//! [`QueueExecutor`] is the lesson's wake-driven queue with one named flaw switched on.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Waker};

use crate::runners::{Spawner, Task};

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

/// An executor that ignores wakers: it polls every unfinished task, round after round,
/// until all are done. Right answers, busy CPU, and polls nobody asked for.
///
/// With `keep_finished` it also goes on polling tasks that have completed, until the last
/// one completes (it marks tasks done instead of removing them).
#[derive(Default)]
pub struct PollEverythingExecutor {
    tasks: RefCell<Vec<Task>>,
    /// Poll completed tasks again in every later round.
    pub keep_finished: bool,
}

impl PollEverythingExecutor {
    /// The variant that polls completed tasks until every task has completed.
    pub fn until_all_done() -> PollEverythingExecutor {
        PollEverythingExecutor {
            keep_finished: true,
            ..PollEverythingExecutor::default()
        }
    }
}

impl std::fmt::Debug for PollEverythingExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollEverythingExecutor")
            .field("keep_finished", &self.keep_finished)
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
        if !self.keep_finished {
            while !tasks.is_empty() {
                tasks.retain_mut(|t| t.as_mut().poll(&mut cx).is_pending());
            }
            return;
        }
        let mut done = vec![false; tasks.len()];
        while done.contains(&false) {
            for (task, done) in tasks.iter_mut().zip(&mut done) {
                *done |= task.as_mut().poll(&mut cx).is_ready();
            }
        }
    }
}

/// The flaws a [`QueueExecutor`] can have; all off is the lesson's correct design.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flaws {
    /// Every wake queues the task again, even if it is already queued (no "scheduled" flag),
    /// so a task woken twice before it runs is polled twice.
    pub no_scheduled_flag: bool,
    /// A completed task stays in its slot, so a stale wake polls it again.
    pub keep_finished: bool,
    /// Every this many turns, poll every idle task too, woken or not ("just in case").
    pub repoll_idle_every: Option<u64>,
    /// Hand tasks a waker that does nothing: a task that returns `Pending` is never polled
    /// again.
    pub ignore_wakes: bool,
}

/// The lesson's run queue of task indices, driven on the calling thread; `run` returns when
/// the queue is empty. Its [`Flaws`] say what it gets wrong.
#[derive(Default)]
pub struct QueueExecutor {
    flaws: Flaws,
    tasks: RefCell<Vec<Option<Task>>>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for QueueExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueExecutor")
            .field("flaws", &self.flaws)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<VecDeque<usize>>,
    /// Per task: queued and not yet polled.
    scheduled: Mutex<Vec<bool>>,
}

impl Shared {
    fn wake(&self, index: usize, dedupe: bool) {
        let mut scheduled = self
            .scheduled
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if dedupe && std::mem::replace(&mut scheduled[index], true) {
            return;
        }
        scheduled[index] = true;
        drop(scheduled);
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(index);
    }

    fn pop(&self) -> Option<usize> {
        let index = self
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()?;
        self.scheduled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)[index] = false;
        Some(index)
    }

    fn is_scheduled(&self, index: usize) -> bool {
        self.scheduled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)[index]
    }
}

impl QueueExecutor {
    /// A queue executor with `flaws`.
    pub fn with(flaws: Flaws) -> QueueExecutor {
        QueueExecutor {
            flaws,
            ..QueueExecutor::default()
        }
    }

    fn waker(&self, index: usize) -> Waker {
        if self.flaws.ignore_wakes {
            return wakers::noop_waker();
        }
        let (shared, dedupe) = (self.shared.clone(), !self.flaws.no_scheduled_flag);
        wakers::waker_fn(move || shared.wake(index, dedupe))
    }

    fn poll(&self, index: usize) {
        let mut tasks = self.tasks.borrow_mut();
        let Some(task) = tasks[index].as_mut() else {
            return;
        };
        let waker = self.waker(index);
        if task
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
            && !self.flaws.keep_finished
        {
            tasks[index] = None;
        }
    }
}

impl Spawner for QueueExecutor {
    fn spawn_task(&self, task: Task) {
        let index = {
            let mut tasks = self.tasks.borrow_mut();
            tasks.push(Some(task));
            tasks.len() - 1
        };
        self.shared
            .scheduled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(false);
        self.shared.wake(index, true);
    }

    fn run(&self) {
        let mut turns: u64 = 0;
        while let Some(index) = self.shared.pop() {
            self.poll(index);
            turns += 1;
            if let Some(every) = self.flaws.repoll_idle_every
                && turns.is_multiple_of(every)
            {
                let count = self.tasks.borrow().len();
                for idle in (0..count).filter(|&i| !self.shared.is_scheduled(i)) {
                    self.poll(idle);
                }
            }
        }
    }
}
