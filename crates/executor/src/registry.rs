//! [`Registry`]: the executor's idle tasks, so that dropping the executor can cancel them.
//!
//! A hash set of [`TaskRef`]s, keyed by the task's address, under one short lock. A task enters when a
//! poll first returns `Pending` (`TaskEvent::FirstPending`) and leaves when it completes
//! (`TaskEvent::Completed { pended: true }`); tasks that finish in their first poll never
//! touch the lock. The executor keeps this index itself: the task cell stores nothing of it.
//! A `TaskRef` hashes and compares by address, so inserting, removing and rehashing as the set
//! grows never reads a task, and the hasher ([`AddrHasher`]) is a shift and one multiply
//! instead of SipHash.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use join_handle::TaskRef;
use parking_lot::Mutex;

/// The multiplier: 2^64 / golden ratio, odd, so the multiply spreads nearby addresses apart.
const SPREAD: u64 = 0x9E37_79B9_7F4A_7C15;
/// Low address bits that say nothing: every allocation is at least 16-byte aligned.
const ALIGN_BITS: u32 = 4;
/// The hash bits the table keeps as a tag and compares before it looks at a key: the top 7.
const TAG_BITS: u64 = 0xFE00_0000_0000_0000;

/// Hashes a task's address (all a `TaskRef` hashes) so that the table stays cache-friendly:
///
/// * the low bits, which pick the bucket, are the address itself (shifted past its alignment),
///   so tasks allocated one after another sit in neighbouring buckets, and an insert or remove
///   touches the cache line the previous one did. A hash that spreads them over the whole
///   table (a multiply) costs a cache miss per insert and per remove once the table outgrows
///   the cache: with one, 10 000 nested spawns take ~1.4x the wall time, for the same
///   instructions (`benches/examples/cell_cost.rs chain`).
/// * the top bits, the tag, are mixed (one multiply), so buckets next to each other rarely
///   share a tag and a lookup reads no task but its own.
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
        self.0 = addr as u64;
    }
    #[inline]
    fn finish(&self) -> u64 {
        (self.0 >> ALIGN_BITS) ^ (self.0.wrapping_mul(SPREAD) & TAG_BITS)
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

    fn hash(addr: usize) -> u64 {
        let mut h = AddrHasher::default();
        h.write_usize(addr);
        h.finish()
    }

    #[test]
    fn neighbouring_cells_get_neighbouring_buckets_and_different_tags() {
        // Cells 112 bytes apart, as an allocator hands out tasks spawned one after another.
        let base = 0x7f3a_1c40_0000usize;
        let hashes: Vec<u64> = (0..1024).map(|i| hash(base + i * 112)).collect();
        let mask = (1u64 << 20) - 1; // a table of a million buckets
        for pair in hashes.windows(2) {
            let step = (pair[1] & mask).wrapping_sub(pair[0] & mask) & mask;
            assert_eq!(step, 112 >> ALIGN_BITS, "the bucket follows the address");
        }
        let tags: std::collections::HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert!(tags.len() > 64, "only {} tags of 128 in use", tags.len());
    }
}
