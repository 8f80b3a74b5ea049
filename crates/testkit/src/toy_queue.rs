//! A scheduler for driving `join-handle` tasks by hand.

use std::sync::{Arc, Mutex, PoisonError};

use join_handle::{Runnable, Schedule, TaskEvent, TaskRef};

/// A [`Schedule`] that queues runnables in a vector for the test to run, and records every
/// [`TaskEvent`]. Clones share the queue and the record.
///
/// ```
/// let queue = testkit::ToyQueue::default();
/// let (runnable, handle) = join_handle::spawn(async { 7 }, queue.clone());
/// runnable.run();
/// assert_eq!(queue.completed(), 1);
/// # drop(handle);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ToyQueue {
    runnables: Arc<Mutex<Vec<Runnable>>>,
    events: Arc<Mutex<Vec<TaskEvent>>>,
}

impl Schedule for ToyQueue {
    fn schedule(&self, runnable: Runnable) {
        lock(&self.runnables).push(runnable);
    }
    fn task_event(&self, _: &TaskRef, event: TaskEvent) {
        lock(&self.events).push(event);
    }
}

impl ToyQueue {
    /// Takes the most recently queued runnable, if any.
    pub fn pop(&self) -> Option<Runnable> {
        lock(&self.runnables).pop()
    }

    /// Runs queued runnables (the latest first) until none is left, including those queued
    /// meanwhile; returns how many ran.
    pub fn run_all(&self) -> usize {
        let mut ran = 0;
        while let Some(r) = self.pop() {
            r.run();
            ran += 1;
        }
        ran
    }

    /// Every event reported so far, in order.
    pub fn events(&self) -> Vec<TaskEvent> {
        lock(&self.events).clone()
    }

    /// How many tasks reported [`TaskEvent::Completed`].
    pub fn completed(&self) -> usize {
        lock(&self.events)
            .iter()
            .filter(|e| matches!(e, TaskEvent::Completed { .. }))
            .count()
    }
}

/// A test that panicked while holding a lock has already failed; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
