//! An fd number reused after a drop: the new socket starts with no readiness of the old one.
//!
//! Alone in its own test binary, so no other test takes the freed fd number first.

use std::os::fd::AsRawFd;
use std::pin::pin;
use std::task::Context;
use std::time::Duration;

use futures::{AsyncReadExt, AsyncWriteExt};

mod common;
use common::pair;

#[test]
fn a_new_socket_on_a_reused_fd_number_does_not_see_old_readiness() {
    let (mut client, server) = pair();
    // The old server side becomes readable (the reactor records it), then is dropped.
    block_on::block_on(client.write_all(b"old")).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let old_fd = server.get_ref().as_raw_fd();
    drop(server);
    // A new socket takes the freed number (the kernel hands out the lowest free one); it
    // must start with no readiness of the old one.
    let (client2, server2) = pair();
    let (reused, peer) = if server2.get_ref().as_raw_fd() == old_fd {
        (&server2, &client2)
    } else {
        (&client2, &server2)
    };
    assert_eq!(
        reused.get_ref().as_raw_fd(),
        old_fd,
        "the fd number is reused"
    );
    let waker = wakers::noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut buf = [0; 8];
    let mut reused_ref = reused;
    {
        let mut read = pin!(reused_ref.read(&mut buf));
        assert!(
            read.as_mut().poll(&mut cx).is_pending(),
            "no data was sent on the new socket"
        );
    }
    let mut peer_ref = peer;
    block_on::block_on(peer_ref.write_all(b"new")).unwrap();
    let mut buf = [0; 3];
    block_on::block_on(reused_ref.read_exact(&mut buf)).unwrap();
    assert_eq!(&buf, b"new");
    drop(client);
}
