//! [`Registry`]: the executor's idle tasks, so that dropping the executor can cancel them.
//!
//! A slab: a vector of entries, each either a task or a link in the free list. A task's key is
//! its index, given to the task at spawn and handed back when it completes. Insert and remove
//! are O(1) under one short lock; the vector's growth is amortised over many spawns and its
//! memory is reused as tasks finish.

use join_handle::TaskRef;
use parking_lot::Mutex;

#[derive(Debug)]
enum Entry {
    Occupied(TaskRef),
    /// The index of the next free entry, or `usize::MAX`.
    Vacant(usize),
}

#[derive(Debug)]
struct Slab {
    entries: Vec<Entry>,
    free: usize,
}

#[derive(Debug)]
pub(crate) struct Registry {
    slab: Mutex<Slab>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            slab: Mutex::new(Slab {
                entries: Vec::new(),
                free: usize::MAX,
            }),
        }
    }
}

impl Registry {
    /// Adds a live task and tells it its key.
    pub(crate) fn insert(&self, task: TaskRef) {
        let mut slab = self.slab.lock();
        let key = if slab.free == usize::MAX {
            slab.entries.len()
        } else {
            slab.free
        };
        task.set_key(key);
        if key == slab.entries.len() {
            slab.entries.push(Entry::Occupied(task));
        } else {
            let Entry::Vacant(next) =
                std::mem::replace(&mut slab.entries[key], Entry::Occupied(task))
            else {
                unreachable!("the free list points at an occupied entry");
            };
            slab.free = next;
        }
    }

    /// Removes a completed task. Unknown keys (already taken by shutdown) are ignored.
    pub(crate) fn remove(&self, key: usize) {
        let mut slab = self.slab.lock();
        let free = slab.free;
        if let Some(entry @ Entry::Occupied(_)) = slab.entries.get_mut(key) {
            let task = std::mem::replace(entry, Entry::Vacant(free));
            slab.free = key;
            drop(slab);
            drop(task);
        }
    }

    /// Empties the registry, returning every task that was still live.
    pub(crate) fn take_all(&self) -> Vec<TaskRef> {
        let mut slab = self.slab.lock();
        slab.free = usize::MAX;
        std::mem::take(&mut slab.entries)
            .into_iter()
            .filter_map(|entry| match entry {
                Entry::Occupied(task) => Some(task),
                Entry::Vacant(_) => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use join_handle::{Runnable, Schedule};

    struct Nothing;
    impl Schedule for Nothing {
        fn schedule(&self, _: Runnable) {}
        fn release(&self, _: usize) {}
    }

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
