//! A fork without exec, for code that must fail clearly in the child: `fork()` copies only
//! the calling thread, so whatever a library's threads did for it is gone there.

use std::ffi::c_int;
use std::panic::{UnwindSafe, catch_unwind};

unsafe extern "C" {
    fn fork() -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn alarm(seconds: u32) -> u32;
    fn _exit(status: c_int) -> !;
}

/// How long the child may take before `SIGALRM` ends it: a hang shows as a signal, not as a
/// test that never returns. Far more than the child's one operation needs on a loaded machine.
const CHILD_LIMIT_SECS: u32 = 20;

/// Exit codes the child reports to the parent.
const PANICKED_AS_EXPECTED: c_int = 0;
const WRONG_MESSAGE: c_int = 2;
const NO_PANIC: c_int = 3;

/// Forks; in the child runs `f`, which must panic with a message containing `expected`; in
/// the parent waits for the child and fails the test if `f` hung (killed after
/// `CHILD_LIMIT_SECS` s), returned, or panicked with another message.
///
/// Call it from a test alone in its own file: the child of a multi-threaded test binary
/// should do as little as possible. `f` should only run Rust code that allocates (glibc's
/// malloc is fork-safe).
///
/// ```no_run
/// testkit::forked_child_panics_with("in the child", || panic!("in the child"));
/// ```
///
/// # Panics
///
/// In the parent, if the fork fails or the child did not panic as expected.
pub fn forked_child_panics_with(expected: &str, f: impl FnOnce() + UnwindSafe) {
    // SAFETY: `fork` has no preconditions; the child below only runs `f` (Rust code that
    // allocates, by this function's contract) and leaves through `_exit`.
    let pid = unsafe { fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: `alarm` only arms a timer signal for this (child) process.
        unsafe { alarm(CHILD_LIMIT_SECS) };
        let code = match catch_unwind(f) {
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("");
                if message.contains(expected) {
                    PANICKED_AS_EXPECTED
                } else {
                    WRONG_MESSAGE
                }
            }
            Ok(()) => NO_PANIC,
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
        code, PANICKED_AS_EXPECTED,
        "child exit code {code}: {WRONG_MESSAGE} = wrong panic message, {NO_PANIC} = no panic"
    );
}
