//! [`Registry`]: the executor's idle tasks, so that dropping the executor can cancel them.
//!
//! A hash set of [`TaskRef`]s, keyed by the task's address, under one short lock. A task enters when a
//! poll first returns `Pending` (`TaskEvent::FirstPending`) and leaves when it completes
//! (`TaskEvent::Completed { pended: true }`); tasks that finish in their first poll never
//! touch the lock. The executor keeps this index itself: the task cell stores nothing of it.
//! A `TaskRef` hashes and compares by address, so inserting, removing and rehashing as the set
//! grows never reads a task, and the hasher is one multiply and a fold instead of SipHash.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use join_handle::TaskRef;
use parking_lot::Mutex;

/// The multiplier: 2^64 / golden ratio, odd, so the multiply spreads nearby addresses apart.
const SPREAD: u64 = 0x9E37_79B9_7F4A_7C15;

/// Hashes a task's address (all a `TaskRef` hashes) with one multiply, then folds the high
/// half into the low one: the table indexes by the low bits, and an address's own low bits
/// are zero (alignment), so without the fold they would all land in every 16th bucket.
#[derive(Debug, Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(SPREAD);
        }
    }
    #[inline]
    fn write_usize(&mut self, addr: usize) {
        self.0 = (addr as u64).wrapping_mul(SPREAD);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Registry {
    tasks: Mutex<HashSet<TaskRef, BuildHasherDefault<AddrHasher>>>,
}

impl Registry {
    /// Adds an idle task.
    pub(crate) fn insert(&self, task: &TaskRef) {
        self.tasks.lock().insert(task.clone());
    }

    /// Removes a completed task. Unknown tasks (already taken by shutdown) are ignored.
    pub(crate) fn remove(&self, task: &TaskRef) {
        let taken = self.tasks.lock().take(task);
        // Dropped outside the lock.
        drop(taken);
    }

    /// Reads every task in the registry, under the lock (a snapshot is a few loads; it
    /// never polls a task nor waits for one). Taken through the registry's own reference, so
    /// the lost check is exact.
    pub(crate) fn snapshots(&self) -> Vec<join_handle::TaskSnapshot> {
        self.tasks.lock().iter().map(TaskRef::snapshot).collect()
    }

    /// Empties the registry, returning every task that was still in it.
    pub(crate) fn take_all(&self) -> Vec<TaskRef> {
        let taken = std::mem::take(&mut *self.tasks.lock());
        taken.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Nothing;

    fn task() -> TaskRef {
        let (runnable, _handle) = join_handle::spawn(async {}, Nothing);
        runnable.task_ref()
    }

    #[test]
    fn tasks_are_removed_once_and_unknown_ones_ignored() {
        let registry = Registry::default();
        let (a, b, c) = (task(), task(), task());
        registry.insert(&a);
        registry.insert(&b);
        registry.remove(&a);
        registry.remove(&c); // unknown: ignored
        registry.remove(&a); // twice: ignored
        let left = registry.take_all();
        assert_eq!(left, [b]);
        assert!(registry.take_all().is_empty());
    }
}
