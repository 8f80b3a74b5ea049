//! The same as the timers' own fork test, with the timers folded into the reactor's waits
//! (the reactor exists before the first timer): a child forked without exec has no copy of
//! the threads that run the timers' rounds (the reactor's fallback, the executor's runners),
//! so its first timer operation must panic with a message that says so, not hang for ever.
//!
//! One test in its own file: the child of a multi-threaded test binary should do as little as
//! possible, and here nothing else runs beside it.

#![cfg(unix)]

use std::time::Duration;

#[test]
fn a_forked_child_of_a_process_with_folded_timers_panics_clearly_instead_of_hanging() {
    // The reactor first, then the timers' driver (folded into the reactor's waits).
    let _reactor = reactor::TcpListener::bind("127.0.0.1:0").unwrap();
    block_on::block_on(timers::sleep(Duration::from_millis(1)));

    testkit::forked_child_panics_with("forked", || {
        block_on::block_on(timers::sleep(Duration::from_millis(1)))
    });
    // The parent's timers still work.
    block_on::block_on(timers::sleep(Duration::from_millis(1)));
}
