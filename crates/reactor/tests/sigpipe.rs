//! A write to a closed peer is an error (`EPIPE` or `ECONNRESET`), never a `SIGPIPE` that kills
//! the process.
//!
//! Alone in its own test binary: it restores the default `SIGPIPE` action (terminate) for the
//! whole process while it runs.

use std::io;
use std::time::Duration;

use futures::AsyncWriteExt;

mod common;
use common::pair;

#[test]
fn write_to_a_closed_peer_is_an_error_not_a_signal() {
    // Restore the default SIGPIPE action (kill the process) for this test's duration: the
    // Rust test harness ignores it, which would hide a write(2) on a closed socket.
    // SAFETY: setting a signal disposition to SIG_DFL installs no handler code.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let (client, server) = pair();
    drop(server);
    let result = block_on::block_on(async {
        // The first writes may be accepted into the send buffer before the RST comes back.
        for _ in 0..100 {
            (&client).write_all(&[0; 1024]).await?;
            timers::sleep(Duration::from_millis(1)).await;
        }
        Ok::<(), io::Error>(())
    });
    // SAFETY: puts back the disposition we replaced (SIG_IGN under the test harness).
    unsafe { libc::signal(libc::SIGPIPE, previous) };
    let err = result.expect_err("writing to a closed peer fails");
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        ),
        "{err}"
    );
}
