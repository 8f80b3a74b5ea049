//! [`Slab`]: the registered sources, found by the token the poller hands back.
//!
//! # Tokens
//!
//! A token is a slot index in the low half of a `usize` and the slot's generation in the high
//! half. Removing a source bumps its slot's generation, so an event still carrying the old
//! token (already in the poller's buffer when the fd was deregistered, or for an fd number the
//! kernel has since reused) finds a different generation and is dropped: a new source never
//! receives its predecessor's events.
//!
//! Generations count modulo 2^(half a usize); a stale event is misdelivered only if a slot is
//! reused exactly that many times while the event sits in one turn's buffer. The all-ones
//! index is never allocated: [`WAKE_TOKEN`] is reserved.

use std::io;
use std::sync::Arc;

use crate::source::Source;

const INDEX_BITS: u32 = usize::BITS / 2;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;

/// A token reserved for the poller's own wake-up source (never a slot: its index is all ones);
/// events carrying it are not I/O events and are skipped.
pub(crate) const WAKE_TOKEN: usize = usize::MAX;

/// Splits a token into (index, generation).
pub(crate) fn split(token: usize) -> (usize, usize) {
    (token & INDEX_MASK, token >> INDEX_BITS)
}

fn join(index: usize, generation: usize) -> usize {
    (generation << INDEX_BITS) | index
}

#[derive(Debug)]
struct Entry {
    generation: usize,
    source: Option<Arc<Source>>,
}

/// Slots of registered sources, with a free list.
#[derive(Debug, Default)]
pub(crate) struct Slab {
    entries: Vec<Entry>,
    free: Vec<usize>,
}

impl Slab {
    /// Stores `source` and returns its token.
    pub(crate) fn insert(&mut self, source: Arc<Source>) -> io::Result<usize> {
        if let Some(index) = self.free.pop() {
            let entry = &mut self.entries[index];
            entry.source = Some(source);
            return Ok(join(index, entry.generation));
        }
        let index = self.entries.len();
        if index >= INDEX_MASK {
            return Err(io::Error::other(
                "too many I/O sources registered with the reactor",
            ));
        }
        self.entries.push(Entry {
            generation: 0,
            source: Some(source),
        });
        Ok(join(index, 0))
    }

    /// The source with this token, if it is still registered under it.
    pub(crate) fn get(&self, token: usize) -> Option<&Arc<Source>> {
        let (index, generation) = split(token);
        let entry = self.entries.get(index)?;
        if entry.generation == generation {
            entry.source.as_ref()
        } else {
            None
        }
    }

    /// Frees the slot of `token` and bumps its generation. A stale token is ignored.
    pub(crate) fn remove(&mut self, token: usize) -> Option<Arc<Source>> {
        let (index, generation) = split(token);
        let entry = self.entries.get_mut(index)?;
        if entry.generation != generation {
            return None;
        }
        let source = entry.source.take()?;
        entry.generation = (entry.generation + 1) & INDEX_MASK;
        self.free.push(index);
        Some(source)
    }

    /// How many sources are registered.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn len(&self) -> usize {
        self.entries.len() - self.free.len()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_reused_slot_does_not_answer_to_the_old_token() {
        let mut slab = Slab::default();
        let a = Arc::new(Source::new());
        let old = slab.insert(a.clone()).unwrap();
        assert!(Arc::ptr_eq(slab.get(old).unwrap(), &a));
        slab.remove(old).unwrap();
        let b = Arc::new(Source::new());
        let new = slab.insert(b.clone()).unwrap();
        assert_eq!(split(new).0, split(old).0, "the slot is reused");
        assert!(slab.get(old).is_none(), "the old token is stale");
        assert!(
            slab.remove(old).is_none(),
            "removing by a stale token does nothing"
        );
        assert!(Arc::ptr_eq(slab.get(new).unwrap(), &b));
        assert_eq!(slab.len(), 1);
    }

    #[test]
    fn the_wake_token_is_never_a_slot() {
        let slab = Slab::default();
        assert!(slab.get(WAKE_TOKEN).is_none());
        assert_eq!(split(WAKE_TOKEN).0, INDEX_MASK);
    }

    #[test]
    fn generations_wrap_within_their_half() {
        let mut slab = Slab::default();
        slab.insert(Arc::new(Source::new())).unwrap();
        slab.entries[0].generation = INDEX_MASK;
        let t_max = join(0, INDEX_MASK);
        slab.remove(t_max).unwrap();
        let t2 = slab.insert(Arc::new(Source::new())).unwrap();
        assert_eq!(split(t2), (0, 0));
        assert_ne!(t2, WAKE_TOKEN);
    }
}
