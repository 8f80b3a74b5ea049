//! [`TaskId`]: a number that names one task for the life of the process.
//!
//! Invariants:
//!
//! * No two tasks of one process get the same id: every id comes out of one global counter,
//!   which only grows (a `u64`: at a billion spawns a second it would last 584 years).
//! * Taking an id is cheap under contention: each thread reserves a block of [`BLOCK`] ids
//!   with one atomic add and hands them out from a thread-local, so spawning threads do not
//!   share a cache line on every spawn. Ids are therefore unique but not in spawn order
//!   across threads.
//! * Zero is never an id (the counter starts at 1), so `Option<TaskId>` is 8 bytes.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::cell::Header;

/// How many ids a thread reserves at once: large enough that the shared counter is touched
/// once per this many spawns, small enough that the numbers stay short in a dump.
const BLOCK: u64 = 1024;

/// The next id not yet reserved by any thread.
static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's reserved ids: the next one, and the end of the block (exclusive).
    static RESERVED: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    /// The task whose future is being polled or dropped on this thread: set for the length of
    /// the poll (by `Runnable::run`) or of the destructor (wherever the future is dropped: a
    /// run, an abort, a shutdown), restored by [`Running`]'s drop.
    static CURRENT: Cell<*const Header> = const { Cell::new(ptr::null()) };
}

/// While alive, [`TaskId::current`] on this thread is the id in the header it was made with;
/// its drop puts back whatever was there before (these nest: a task's poll may run or abort
/// another task).
pub(crate) struct Running {
    previous: *const Header,
}

impl Running {
    /// `header`'s task is current until the guard drops. The caller keeps the header's cell
    /// alive for that long (it holds a reference to the task), which is what makes
    /// [`TaskId::current`]'s read of it sound.
    #[inline]
    pub(crate) fn enter(header: &Header) -> Running {
        // A thread whose thread-locals are being destroyed has no current task to show.
        let previous = CURRENT
            .try_with(|c| c.replace(header))
            .unwrap_or(ptr::null());
        Running { previous }
    }
}

impl Drop for Running {
    #[inline]
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.previous));
    }
}

/// The id of a task: unique among all tasks of the process, never reused.
///
/// `Copy`, comparable, hashable, and printed as its number (`Display`) or as `TaskId(n)`
/// (`Debug`). Ids of tasks spawned from one thread increase; across threads they are only
/// unique.
///
/// ```
/// use join_handle::{Runnable, Schedule};
/// struct Nothing;
/// impl Schedule for Nothing {
///     fn schedule(&self, _: Runnable) {}
/// }
/// let (_r1, a) = join_handle::spawn(async {}, Nothing);
/// let (_r2, b) = join_handle::spawn(async {}, Nothing);
/// assert_ne!(a.id(), b.id());
/// assert!(a.id() < b.id(), "same thread: in spawn order");
/// assert_eq!(format!("{:?}", a.id()), format!("TaskId({})", a.id()));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(NonZeroU64);

impl TaskId {
    /// A fresh id.
    #[inline]
    pub(crate) fn next() -> TaskId {
        let id = RESERVED
            .try_with(|reserved| {
                let (next, end) = reserved.get();
                let (next, end) = if next < end {
                    (next, end)
                } else {
                    let start = NEXT_BLOCK.fetch_add(BLOCK, Ordering::Relaxed);
                    (start, start + BLOCK)
                };
                reserved.set((next + 1, end));
                next
            })
            // The thread-local is gone (a spawn from a thread-local destructor): take one id
            // straight from the shared counter.
            .unwrap_or_else(|_| NEXT_BLOCK.fetch_add(1, Ordering::Relaxed));
        TaskId(NonZeroU64::new(id).expect("task ids start at 1 and never wrap"))
    }

    /// The id of the task whose future is being polled, or dropped, on this thread; `None`
    /// anywhere else (between polls, and in the executor's own work around them). The future
    /// given to a `block_on` is not a task.
    ///
    /// ```
    /// use join_handle::{Runnable, Schedule, TaskId};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (runnable, handle) = join_handle::spawn(async { TaskId::current() }, Nothing);
    /// let id = handle.id();
    /// assert_eq!(TaskId::current(), None);
    /// runnable.run();
    /// assert_eq!(TaskId::current(), None, "restored after the run");
    /// assert_eq!(block_on::block_on(handle), Some(id));
    /// ```
    #[inline]
    pub fn current() -> Option<TaskId> {
        let header = CURRENT.try_with(Cell::get).ok()?;
        // SAFETY: a non-null `CURRENT` was recorded by a `Running` guard still alive on this
        // thread (each guard puts back the value it replaced when it drops, and guards nest),
        // whose caller keeps the header's cell alive until then (`Running::enter`).
        unsafe { header.as_ref() }.map(|header| header.id)
    }

    /// The id as a number.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (_r, handle) = join_handle::spawn(async {}, Nothing);
    /// assert!(handle.id().as_u64() > 0);
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskId({})", self.0)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_from_many_threads_are_unique() {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| (0..3 * BLOCK).map(|_| TaskId::next()).collect::<Vec<_>>())
            })
            .collect();
        let mut seen = HashSet::new();
        for t in threads {
            for id in t.join().unwrap() {
                assert!(seen.insert(id), "{id} given twice");
            }
        }
        assert_eq!(seen.len() as u64, 4 * 3 * BLOCK);
    }
}
