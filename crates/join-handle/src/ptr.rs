//! [`TaskPtr`]: a counted pointer to a task cell, whose count lives in the cell's state word.
//!
//! A task cell is one allocation with no header of its own: the reference count is a
//! field of the state word ([`crate::state`]), so there is no weak count and no second word.
//! Every handle kind holds one reference: the [`Runnable`](crate::Runnable), each
//! [`TaskRef`](crate::TaskRef), the [`JoinHandle`](crate::JoinHandle) and each waker.
//!
//! # Invariants
//!
//! 1. A `TaskPtr<T>` points to a live task cell (`cell::Cell`, `#[repr(C)]` with its `State`
//!    first, so the pointer's address is the state word's), allocated by
//!    [`spare::allocate`] with the cell's layout, and owns one of the references counted in
//!    that word.
//! 2. The count only reaches zero once: the holder whose decrement took it to zero is the only
//!    one left, and it frees the cell: drops it in place and gives its block to
//!    [`spare::release`] with its layout (from the type it was made with, or from a trait
//!    object of it, whose vtable carries the same layout and destructor).
//! 3. A `TaskPtr` is made only from a cell's own constructor or by code that has just taken a
//!    reference for it (an increment, or a reference handed over by its previous holder).

use std::alloc::Layout;
use std::ops::Deref;
use std::ptr::NonNull;

use crate::spare;
use crate::state::State;

/// One counted reference to a task cell, seen as `T` (the cell, or a trait object of it).
pub(crate) struct TaskPtr<T: ?Sized> {
    ptr: NonNull<T>,
}

// SAFETY: a `TaskPtr` gives only `&T` (`Deref`) and a reference count changed atomically, like
// `Arc<T>`, which is `Send` and `Sync` when `T` is `Send + Sync`.
unsafe impl<T: ?Sized + Send + Sync> Send for TaskPtr<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: ?Sized + Send + Sync> Sync for TaskPtr<T> {}

impl<T: ?Sized> TaskPtr<T> {
    /// Adopts one reference to the cell at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` points to a live task cell (invariant 1), and the caller gives this `TaskPtr` one
    /// reference it owns (invariant 3).
    #[inline]
    pub(crate) unsafe fn from_raw(ptr: NonNull<T>) -> TaskPtr<T> {
        TaskPtr { ptr }
    }

    /// Gives up this value without releasing its reference: the caller has handed it on.
    #[inline]
    pub(crate) fn into_raw(self) -> NonNull<T> {
        let ptr = self.ptr;
        std::mem::forget(self);
        ptr
    }

    /// The cell's address: the same for every reference to one task, and unique among live
    /// tasks.
    #[inline]
    pub(crate) fn addr(&self) -> usize {
        self.ptr.cast::<()>().as_ptr().addr()
    }

    /// The cell's state word.
    #[inline]
    pub(crate) fn state(&self) -> &State {
        // SAFETY: invariant 1: the cell is live (we hold a reference) and its state word is
        // at its address.
        unsafe { self.ptr.cast::<State>().as_ref() }
    }

    /// Frees the cell.
    ///
    /// # Safety
    ///
    /// The caller released the last reference (invariant 2): nobody else can reach the cell.
    ///
    /// Out of line: inlined into the cell's poll, it cost every poll 2 instructions
    /// (callgrind, `yield_now`), for the rarer last release.
    #[inline(never)]
    pub(crate) unsafe fn free(ptr: NonNull<T>) {
        // SAFETY: the cell is live until the drop below (invariant 1); for a trait object the
        // vtable gives the size and alignment of the cell it was made from.
        let layout = Layout::for_value(unsafe { ptr.as_ref() });
        // Gives the block back when this function ends, also if a destructor in the cell (the
        // future's, say) panics, as dropping a `Box` would.
        let _block = Block(ptr.cast(), layout);
        // SAFETY: nobody else reaches the cell, so we may drop it in place, once.
        unsafe { std::ptr::drop_in_place(ptr.as_ptr()) };
    }
}

/// A freed cell's block, given back to [`spare::release`] on drop.
struct Block(NonNull<u8>, Layout);

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: `TaskPtr::free` made this value for the block of a cell it owned alone,
        // allocated by `spare::allocate` with this layout (invariant 1), and it drops the cell
        // before this value: the block holds nothing any more and nobody reaches it.
        unsafe { spare::release(self.0, self.1) };
    }
}

impl<T: ?Sized> Deref for TaskPtr<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: invariant 1: the cell is live while we hold a reference.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: ?Sized> Clone for TaskPtr<T> {
    #[inline]
    fn clone(&self) -> TaskPtr<T> {
        self.state().ref_inc();
        // SAFETY: we just took a reference for the new value.
        unsafe { TaskPtr::from_raw(self.ptr) }
    }
}

impl<T: ?Sized> Drop for TaskPtr<T> {
    #[inline]
    fn drop(&mut self) {
        if self.state().ref_dec() {
            // SAFETY: ours was the last reference.
            unsafe { TaskPtr::free(self.ptr) }
        }
    }
}
