//! [`Meta`]: where a task was spawned, and its name if it has one, in one word.
//!
//! Every task knows its spawn location; few have a name. So the cell keeps one pointer-sized
//! field: a `&'static Location` for an unnamed task, or a pointer to a boxed [`Named`]
//! (location and name) for a named one, told apart by the pointer's lowest bit.
//!
//! Invariants:
//!
//! * Both pointees are aligned to at least 2 (a `Location` holds a `&str`; `Named` a
//!   `String`), so bit 0 of a real pointer is always 0 and is free for the tag.
//! * Tag 1 means the pointer came from `Box::into_raw(Box<Named>)`, is owned by this `Meta`,
//!   and is freed exactly once, by its `Drop`. Tag 0 means a `&'static Location`: nothing to
//!   free.
//! * The field is written once, at spawn, and only read afterwards, so `&Meta` may be read
//!   from any thread (`Named` is `Send + Sync`).

use std::panic::Location;
use std::ptr::NonNull;

/// The name and spawn location of a named task.
struct Named {
    location: &'static Location<'static>,
    name: String,
}

/// A task's spawn location and optional name, in one pointer.
pub(crate) struct Meta(NonNull<()>);

/// Bit 0 of the pointer: set for a boxed [`Named`].
const NAMED: usize = 1;

const _: () = assert!(std::mem::align_of::<Location<'static>>() > NAMED);
const _: () = assert!(std::mem::align_of::<Named>() > NAMED);

// SAFETY: `Meta` is either a shared `&'static Location` (Sync) or a uniquely owned
// `Box<Named>`, whose fields are `Send + Sync`; see the module invariants.
unsafe impl Send for Meta {}
// SAFETY: shared access only reads the pointee, which is never written after spawn.
unsafe impl Sync for Meta {}

impl Meta {
    #[inline]
    pub(crate) fn new(location: &'static Location<'static>, name: Option<String>) -> Meta {
        match name {
            None => Meta(NonNull::from(location).cast()),
            Some(name) => {
                let named = NonNull::from(Box::leak(Box::new(Named { location, name })));
                Meta(named.cast().map_addr(|a| a | NAMED))
            }
        }
    }

    /// The pointer with the tag bit cleared, as a `Named` (meaningful only for tag 1).
    fn untagged(&self) -> *mut Named {
        self.0.as_ptr().map_addr(|a| a & !NAMED).cast()
    }

    fn named(&self) -> Option<&Named> {
        if self.0.addr().get() & NAMED == 0 {
            return None;
        }
        // SAFETY: tag 1: the untagged pointer is the live `Box<Named>` this `Meta` owns; it is
        // freed only by `Drop`, which needs `&mut self`.
        Some(unsafe { &*self.untagged() })
    }

    pub(crate) fn location(&self) -> &'static Location<'static> {
        match self.named() {
            Some(named) => named.location,
            // SAFETY: tag 0: the pointer is the `&'static Location` given to `new`.
            None => unsafe { self.0.cast::<Location<'static>>().as_ref() },
        }
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.named().map(|named| named.name.as_str())
    }
}

impl Drop for Meta {
    fn drop(&mut self) {
        if self.0.addr().get() & NAMED != 0 {
            // SAFETY: tag 1: the pointer came from `Box::leak` in `new` and is freed only here,
            // once.
            drop(unsafe { Box::from_raw(self.untagged()) });
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn an_unnamed_meta_gives_back_its_location() {
        let here = Location::caller();
        let meta = Meta::new(here, None);
        assert!(std::ptr::eq(meta.location(), here));
        assert_eq!(meta.name(), None);
    }

    #[test]
    fn a_named_meta_gives_back_both_and_frees_its_box() {
        let here = Location::caller();
        let meta = Meta::new(here, Some("conn".to_string()));
        assert!(std::ptr::eq(meta.location(), here));
        assert_eq!(meta.name(), Some("conn"));
        drop(meta); // Miri / valgrind / ASan: freed once
    }

    #[test]
    fn meta_is_one_word() {
        assert_eq!(std::mem::size_of::<Meta>(), std::mem::size_of::<usize>());
        assert_eq!(
            std::mem::size_of::<Option<Meta>>(),
            std::mem::size_of::<usize>()
        );
    }
}
