//! [`Queue`]: the simulator's ready list, the one part that wakers (from any thread) touch.
//!
//! # Invariants
//!
//! 1. Every wake of a simulated task ends up as exactly one [`Ready::Task`] entry: the task
//!    cell queues a task at most once however often it is woken (the `join-handle` crate's
//!    rule), and [`TaskSchedule::schedule`] pushes what it is given. The root future is
//!    queued at most once too: `root_queued` is set and cleared under the same lock as the
//!    list.
//! 2. A wake is never lost, even from the wrong thread: it is pushed first, and *then*
//!    recorded in `foreign` if it came from a thread other than the simulator's. The simulator
//!    looks at `foreign` before each step and stops the run with a report (a wake from a real
//!    thread or real I/O arrives at a time the seed does not decide, so the run could not be
//!    replayed).
//! 3. Order in the list is push order, so the FIFO strategy is plain FIFO, and the seeded
//!    strategy's choices depend only on the seed and on what was pushed before.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::Wake;
use std::thread::{self, ThreadId};

use join_handle::{Runnable, Schedule};
use parking_lot::Mutex;

/// A thing ready to be polled.
#[derive(Debug)]
pub(crate) enum Ready {
    /// The future given to `Sim::block_on`.
    Root,
    /// Task `id` (the simulator's numbering).
    Task(u64, Runnable),
}

/// Who was woken from outside the simulator's thread, and where from.
#[derive(Debug, Clone)]
pub(crate) struct ForeignWake {
    /// The task id, or `None` for the root future.
    pub(crate) task: Option<u64>,
    pub(crate) thread: String,
}

#[derive(Debug)]
pub(crate) struct Queue {
    owner: ThreadId,
    list: Mutex<List>,
    foreign: Mutex<Option<ForeignWake>>,
}

#[derive(Debug, Default)]
pub(crate) struct List {
    pub(crate) ready: VecDeque<Ready>,
    root_queued: bool,
}

impl Queue {
    /// A queue owned by the calling thread.
    pub(crate) fn new() -> Queue {
        Queue {
            owner: thread::current().id(),
            list: Mutex::new(List::default()),
            foreign: Mutex::new(None),
        }
    }

    fn push(&self, ready: Ready) {
        let task = match &ready {
            Ready::Root => None,
            Ready::Task(id, _) => Some(*id),
        };
        {
            let mut list = self.list.lock();
            if let Ready::Root = ready {
                if list.root_queued {
                    return;
                }
                list.root_queued = true;
            }
            list.ready.push_back(ready);
        }
        // Invariant 2: pushed first, then reported.
        let current = thread::current();
        if current.id() != self.owner {
            let mut foreign = self.foreign.lock();
            if foreign.is_none() {
                *foreign = Some(ForeignWake {
                    task,
                    thread: current.name().unwrap_or("<unnamed>").to_owned(),
                });
            }
        }
    }

    pub(crate) fn push_root(&self) {
        self.push(Ready::Root);
    }

    /// Takes the oldest entry of the ready list (`pick` is `None`), or the entry at the index
    /// `pick` chooses given the list's length (then the last entry takes its place: O(1), and
    /// still a function of the seed and the pushes only).
    pub(crate) fn take(&self, pick: Option<&mut dyn FnMut(usize) -> usize>) -> Option<Ready> {
        let mut list = self.list.lock();
        let len = list.ready.len();
        if len == 0 {
            return None;
        }
        let ready = match pick {
            None => list.ready.pop_front()?,
            Some(pick) => {
                let index = pick(len);
                list.ready.swap_remove_back(index)?
            }
        };
        if let Ready::Root = ready {
            list.root_queued = false;
        }
        Some(ready)
    }

    /// Everything queued, for the simulator's teardown.
    pub(crate) fn drain(&self) -> Vec<Ready> {
        let mut list = self.list.lock();
        list.root_queued = false;
        list.ready.drain(..).collect()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.list.lock().ready.len()
    }

    pub(crate) fn take_foreign(&self) -> Option<ForeignWake> {
        self.foreign.lock().take()
    }
}

/// The schedule of task `id`: its wakes go to the simulator's queue.
#[derive(Debug)]
pub(crate) struct TaskSchedule {
    pub(crate) queue: Arc<Queue>,
    pub(crate) id: u64,
}

impl Schedule for TaskSchedule {
    fn schedule(&self, runnable: Runnable) {
        self.queue.push(Ready::Task(self.id, runnable));
    }
}

/// The waker of the root future.
#[derive(Debug)]
pub(crate) struct RootWaker(pub(crate) Arc<Queue>);

impl Wake for RootWaker {
    fn wake(self: Arc<Self>) {
        self.0.push_root();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.push_root();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_queued_once_until_taken() {
        let queue = Queue::new();
        queue.push_root();
        queue.push_root();
        assert_eq!(queue.len(), 1);
        assert!(matches!(queue.take(None), Some(Ready::Root)));
        queue.push_root();
        assert_eq!(queue.len(), 1);
        assert!(queue.take_foreign().is_none());
    }

    #[test]
    fn a_wake_from_another_thread_is_kept_and_reported() {
        let queue = Arc::new(Queue::new());
        let q = queue.clone();
        thread::Builder::new()
            .name("intruder".into())
            .spawn(move || q.push_root())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(queue.len(), 1);
        let foreign = queue.take_foreign().expect("reported");
        assert_eq!(foreign.thread, "intruder");
        assert_eq!(foreign.task, None);
    }
}
