//! A child forked (without exec) from a process whose timer driver runs has no driver thread:
//! `fork()` copies only the calling thread. Its first timer operation must panic with a
//! message that says so, not hang for ever.
//!
//! One test in its own file: the child of a multi-threaded test binary should do as little as
//! possible, and here nothing else runs beside it.

#![cfg(unix)]

use std::time::Duration;

#[test]
fn a_forked_child_panics_clearly_instead_of_hanging() {
    // Start the driver in the parent.
    block_on::block_on(timers::sleep(Duration::from_millis(1)));

    testkit::forked_child_panics_with("forked", || {
        block_on::block_on(timers::sleep(Duration::from_millis(1)))
    });
    // The parent's timers still work.
    block_on::block_on(timers::sleep(Duration::from_millis(1)));
}
