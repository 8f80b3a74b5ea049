//! The executor's lost-task check against the reactor: a task waiting on a socket is not
//! lost (the reactor holds its waker), neither in `Executor::dump()` nor for `on_lost_task`;
//! and when another task drops the other end of its connection, it is woken with the error
//! and finishes. These tests live here because the executor cannot depend on the reactor.
//!
//! They fail if the reactor stops holding a waiting task's waker: the task is then idle with
//! no waker anywhere, which is exactly what the dump flags as lost.

use std::io;
use std::io::Write;
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use executor::{Dump, Executor, LocalExecutor, TaskId, TaskSnapshot, TaskState, yield_now};
use futures::AsyncReadExt;
use reactor::net::TcpStream;

mod common;
use common::pair;

/// Monitor periods to wait for a lost-task report that must not come (the period without a
/// watchdog is 100 ms).
const QUIET: Duration = Duration::from_millis(400);
/// A reader that is never woken fails the test here instead of hanging it.
const LIMIT: Duration = Duration::from_secs(60);

/// Reads once from `stream`: there is no data, so it waits in the reactor.
async fn read_once(mut stream: TcpStream) -> io::Result<usize> {
    let mut buf = [0; 16];
    stream.read(&mut buf).await
}

fn find(dump: &Dump, id: TaskId) -> &TaskSnapshot {
    dump.tasks()
        .find(|t| t.id() == id)
        .unwrap_or_else(|| panic!("task {id} listed in\n{dump}"))
}

/// The reader is listed as waiting, and not lost: the reactor holds its waker.
fn assert_waiting_not_lost(dump: &Dump, reader: TaskId) {
    let r = find(dump, reader);
    assert_eq!(r.state(), TaskState::Idle, "{dump}");
    assert!(
        !r.is_lost(),
        "the reactor holds the reader's waker:\n{dump}"
    );
}

#[test]
fn a_task_waiting_on_a_socket_is_not_lost_and_a_reset_wakes_it_with_an_error() {
    testkit::within(LIMIT, reset_wakes_the_reader);
}

fn reset_wakes_the_reader() {
    let (client, server) = pair();
    // Data the client never reads: closing it then resets the connection (the kernel sends
    // RST instead of FIN), so the reader's read fails with `ConnectionReset`.
    (&mut server.get_ref()).write_all(b"unread").unwrap();
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let ex = Executor::builder()
        .on_lost_task(move |t| {
            let _ = tx.lock().unwrap().send(t.id());
        })
        .build();
    let reader = ex.task().name("reader").spawn(read_once(server));
    // A control: a task that really is lost, so a broken report cannot pass by never firing.
    let forgotten = ex.spawn(std::future::pending::<()>());
    ex.block_on(yield_now()); // both run once; the reader waits for data

    let dump = ex.dump();
    assert_waiting_not_lost(&dump, reader.id());
    assert!(find(&dump, forgotten.id()).is_lost(), "{dump}");
    assert_eq!(rx.recv().unwrap(), forgotten.id());
    assert_eq!(
        rx.recv_timeout(QUIET),
        Err(mpsc::RecvTimeoutError::Timeout),
        "only the forgotten task is reported lost"
    );

    // Another task drops the other end of the connection (a reset): the reader is woken
    // with the error, and finishes.
    let dropper = ex.spawn(async move { drop(client) });
    ex.block_on(dropper);
    let err = ex.block_on(reader).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(
        rx.recv_timeout(QUIET),
        Err(mpsc::RecvTimeoutError::Timeout),
        "the reader was never reported lost"
    );
    let left = ex.dump();
    assert_eq!(
        left.tasks().map(|t| t.id()).collect::<Vec<_>>(),
        [forgotten.id()],
        "{left}"
    );
}

#[test]
fn a_local_task_waiting_on_a_socket_is_not_lost_and_a_closed_peer_wakes_it() {
    testkit::within(LIMIT, closed_peer_wakes_the_reader);
}

fn closed_peer_wakes_the_reader() {
    let (client, server) = pair();
    let ex = LocalExecutor::new();
    let reader = ex.spawn(read_once(server));
    ex.block_on(yield_now());
    let dump = ex.dump();
    assert_waiting_not_lost(&dump, reader.id());
    // Another task closes the other end cleanly: the reader sees the end of the stream.
    ex.block_on(ex.spawn(async move { drop(client) }));
    assert_eq!(ex.block_on(reader).unwrap(), 0);
}
