//! [`Registry`]: the executor's idle tasks, so that dropping the executor can cancel them.
//!
//! A slab: a vector of slots, each holding a task or nothing, and a stack of the free slots
//! indexes. A task's key is its slot, given to the task when it registers and handed back when
//! it completes. Insert and remove are O(1) under one short lock; the vector's growth is
//! amortised over many tasks and its memory is reused as tasks finish. A slot is 16 bytes
//! (`Option<TaskRef>` uses the pointer's niche); the free stack grows only with removals.

use join_handle::TaskRef;
use parking_lot::Mutex;

#[derive(Debug, Default)]
struct Slab {
    slots: Vec<Option<TaskRef>>,
    free: Vec<u32>,
}

#[derive(Debug, Default)]
pub(crate) struct Registry {
    slab: Mutex<Slab>,
}

impl Registry {
    /// Adds an idle task and tells it its key.
    pub(crate) fn insert(&self, task: TaskRef) {
        let mut slab = self.slab.lock();
        let key = match slab.free.pop() {
            Some(key) => key as usize,
            None => {
                slab.slots.push(None);
                slab.slots.len() - 1
            }
        };
        task.set_key(key);
        slab.slots[key] = Some(task);
    }

    /// Removes a completed task. Unknown keys (already taken by shutdown) are ignored.
    pub(crate) fn remove(&self, key: usize) {
        let mut slab = self.slab.lock();
        let task = slab.slots.get_mut(key).and_then(Option::take);
        if task.is_some() {
            slab.free.push(key as u32);
        }
        drop(slab);
        drop(task);
    }

    /// Empties the registry, returning every task that was still in it.
    pub(crate) fn take_all(&self) -> Vec<TaskRef> {
        let mut slab = self.slab.lock();
        slab.free.clear();
        std::mem::take(&mut slab.slots)
            .into_iter()
            .flatten()
            .collect()
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
    fn keys_are_reused_after_removal() {
        let registry = Registry::default();
        let (a, b, c) = (task(), task(), task());
        registry.insert(a.clone());
        registry.insert(b.clone());
        assert_eq!((a.key(), b.key()), (0, 1));
        registry.remove(0);
        registry.insert(c.clone());
        assert_eq!(c.key(), 0, "the freed key is reused");
        registry.remove(7); // unknown: ignored
        registry.remove(0);
        registry.remove(0); // twice: ignored
        let left = registry.take_all();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].key(), 1);
    }
}
