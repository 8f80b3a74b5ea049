//! The same as the timers' own fork test, with the timers folded into the reactor's waits
//! (the reactor exists before the first timer): a child forked without exec has no copy of
//! the threads that run the timers' rounds (the reactor's fallback, the executor's runners),
//! so its first timer operation must panic with a message that says so, not hang for ever.
//!
//! One test in its own file: the child of a multi-threaded test binary should do as little as
//! possible, and here nothing else runs beside it.

#![cfg(unix)]

use std::ffi::c_int;
use std::panic::catch_unwind;
use std::time::Duration;

unsafe extern "C" {
    fn fork() -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn alarm(seconds: u32) -> u32;
    fn _exit(status: c_int) -> !;
}

#[test]
fn a_forked_child_of_a_process_with_folded_timers_panics_clearly_instead_of_hanging() {
    // The reactor first, then the timers' driver (folded into the reactor's waits).
    let _reactor = reactor::TcpListener::bind("127.0.0.1:0").unwrap();
    block_on::block_on(timers::sleep(Duration::from_millis(1)));

    // SAFETY: `fork` has no preconditions; the child below only runs Rust code that
    // allocates (glibc's malloc is fork-safe) and leaves through `_exit`.
    let pid = unsafe { fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: `alarm` only arms a timer signal for this (child) process: should the
        // timer hang, SIGALRM ends the child and the parent sees a signal, not a hang.
        unsafe { alarm(20) };
        let outcome = catch_unwind(|| block_on::block_on(timers::sleep(Duration::from_millis(1))));
        let code = match outcome {
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("");
                if message.contains("forked") { 0 } else { 2 }
            }
            Ok(()) => 3,
        };
        // SAFETY: ends the child at once, without running the parent's exit handlers or the
        // test harness (which belongs to the parent).
        unsafe { _exit(code) };
    }
    let mut status: c_int = 0;
    // SAFETY: `pid` is our child; `status` is a valid place for its exit status.
    let waited = unsafe { waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    let signalled = status & 0x7f;
    assert_eq!(
        signalled, 0,
        "the child was killed by signal {signalled} (a hang?)"
    );
    let code = (status >> 8) & 0xff;
    assert_eq!(
        code, 0,
        "child exit code {code}: 2 = wrong panic message, 3 = no panic"
    );
    // The parent's timers still work.
    block_on::block_on(timers::sleep(Duration::from_millis(1)));
}
