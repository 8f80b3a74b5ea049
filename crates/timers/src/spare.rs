//! One spare [`Entry`] per thread, so that a timer dropped before it fired (or after, once
//! the driver has let go of it) gives its allocation to the next timer this thread registers.
//!
//! # Invariants
//!
//! 1. A spare entry is `IDLE`, its waker slot is empty, and nothing else holds a clone of it:
//!    [`keep`] takes only an entry it holds alone (`Arc::get_mut`), and empties it.
//! 2. At most one spare per thread (one entry, under 100 bytes); it is freed when the thread
//!    exits. A second one kept replaces and frees the first.
//! 3. The waker a kept entry held is dropped by [`keep`], on the thread that drops the timer,
//!    with nothing borrowed: a waker's drop is user code and may re-enter the timers.
//!
//! # Performance
//!
//! `create_poll_drop` in `benches/benches/timers.rs` (and `timer_cost` in `benches/examples`,
//! for callgrind): the allocator's `malloc` and `free` were about a quarter of the
//! instructions of a timer made, polled once and dropped; reusing the spare costs a
//! thread-local access and the `Arc::get_mut` that [`keep`] and the registration do anyway.

use std::cell::Cell;
use std::sync::Arc;

use crate::entry::{Entry, IDLE};

thread_local! {
    static SPARE: Cell<Option<Arc<Entry>>> = const { Cell::new(None) };
}

/// This thread's spare entry, if it has one (invariant 1 holds for it).
#[inline]
pub(crate) fn take() -> Option<Arc<Entry>> {
    SPARE.try_with(Cell::take).ok().flatten()
}

/// Keeps `entry` as this thread's spare if nothing else holds it; else just drops this clone.
#[inline]
pub(crate) fn keep(mut entry: Arc<Entry>) {
    let Some(unshared) = Arc::get_mut(&mut entry) else {
        return;
    };
    let waker = unshared.waker.get_mut().take();
    *unshared.state.get_mut() = IDLE;
    // Invariant 3: not inside the thread-local, which a re-entering drop could reach.
    drop(waker);
    // Fails only while this thread's locals are torn down: the entry is then simply freed.
    let _ = SPARE.try_with(move |spare| spare.set(Some(entry)));
}
