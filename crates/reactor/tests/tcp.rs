//! TCP behaviour at the edges: peer reset, half-close, zero-length reads, readiness that
//! arrives before the first poll, a refused connect, and many tasks at once.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{AsyncReadExt, AsyncWriteExt};
use reactor::net::{TcpListener, TcpStream};

mod common;
use common::pair;

#[test]
fn peer_reset_is_reported_as_an_error() {
    let (client, mut server) = pair();
    // SO_LINGER with a zero timeout: close sends RST instead of FIN.
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the fd is open (owned by `client`), and `linger` is a valid `struct linger`
    // whose size is passed.
    let rc = unsafe {
        libc::setsockopt(
            client.get_ref().as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0);
    drop(client);
    let mut buf = [0; 16];
    let err = block_on::block_on(server.read(&mut buf)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
}

#[test]
fn half_close_then_read_to_end_and_reply() {
    let (mut client, mut server) = pair();
    block_on::block_on(async {
        client.write_all(b"request").await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut request = Vec::new();
        server.read_to_end(&mut request).await.unwrap();
        assert_eq!(request, b"request");
        // The other half is still open: the server replies, the client reads it.
        server.write_all(b"reply").await.unwrap();
        server.close().await.unwrap();
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"reply");
    });
}

#[test]
fn a_zero_length_read_returns_at_once_and_consumes_nothing() {
    let (mut client, mut server) = pair();
    let waker = wakers::noop_waker();
    let mut cx = Context::from_waker(&waker);
    // No data is there: a zero-length read still completes on its first poll.
    let mut empty = [0u8; 0];
    let read = pin!(server.read(&mut empty));
    assert!(matches!(read.poll(&mut cx), Poll::Ready(Ok(0))));
    block_on::block_on(async {
        client.write_all(b"x").await.unwrap();
        assert_eq!(server.read(&mut []).await.unwrap(), 0);
        let mut one = [0; 1];
        server.read_exact(&mut one).await.unwrap();
        assert_eq!(&one, b"x");
    });
}

#[test]
fn data_that_arrived_before_the_first_poll_is_read() {
    let (mut client, server) = pair();
    block_on::block_on(client.write_all(b"early")).unwrap();
    // Give the reactor time to take the event before anyone polls the server side.
    std::thread::sleep(Duration::from_millis(20));
    let mut buf = [0; 5];
    block_on::block_on((&server).read_exact(&mut buf)).unwrap();
    assert_eq!(&buf, b"early");
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = block_on::block_on(TcpStream::connect(addr)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
}

#[test]
fn echo_over_many_connections_on_the_executor() {
    let ex = executor::Executor::new();
    let total = ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = executor::spawn(async move {
            for _ in 0..20 {
                let (stream, _) = listener.accept().await.unwrap();
                executor::spawn(async move {
                    let mut buf = [0; 64];
                    loop {
                        let n = (&stream).read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        (&stream).write_all(&buf[..n]).await.unwrap();
                    }
                });
            }
        });
        let clients: Vec<_> = (0..20)
            .map(|i| {
                executor::spawn(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    s.set_nodelay(true).unwrap();
                    let mut rounds = 0;
                    for r in 0..50u8 {
                        let msg = [i as u8 ^ r; 64];
                        s.write_all(&msg).await.unwrap();
                        let mut back = [0; 64];
                        s.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, msg);
                        rounds += 1;
                    }
                    rounds
                })
            })
            .collect();
        let mut total = 0;
        for c in clients {
            total += c.await;
        }
        server.await;
        total
    });
    assert_eq!(total, 20 * 50);
}

#[test]
fn a_std_socket_pair_works_through_async() {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let a = reactor::Async::new(a).unwrap();
    let mut b = b;
    b.write_all(b"z").unwrap();
    let mut buf = [0; 1];
    let n = block_on::block_on(a.read_with(|s| (&*s).read(&mut buf))).unwrap();
    assert_eq!((n, buf), (1, *b"z"));
    let a = a.into_inner().unwrap();
    drop(a);
}

#[test]
fn data_arriving_after_a_short_read_wakes_the_reader() {
    // After a read that drained the socket, the next poll finds WouldBlock and clears
    // readiness; the next data is a new edge and must wake the reader parked on that state.
    let (mut client, server) = pair();
    let mut server_ref = &server;
    block_on::block_on(async {
        for round in 0..50u8 {
            client.write_all(&[round; 3]).await.unwrap();
            let mut buf = [0; 64];
            let mut got = 0;
            while got < 3 {
                let read = server_ref.read(&mut buf[got..]);
                let read = timers::timeout(Duration::from_secs(60), read);
                got += read.await.expect("the reader was woken").unwrap();
            }
            assert_eq!(&buf[..3], &[round; 3]);
            // Nothing to read now: this poll clears readiness and parks. The next round's data
            // must still reach a reader that waits on this cleared state.
            let waker = wakers::noop_waker();
            let mut cx = Context::from_waker(&waker);
            assert!(pin!(server_ref.read(&mut buf)).poll(&mut cx).is_pending());
        }
    });
}

#[test]
fn reads_after_a_short_read_wait_for_new_data_and_see_the_end_of_stream() {
    // A short read clears read readiness (the queue was drained): the next read must still
    // be woken by the next data, and by the peer's shutdown.
    let (mut client, mut server) = pair();
    let mut buf = [0u8; 64];
    for i in 0..100u8 {
        block_on::block_on(client.write_all(&[i; 10])).unwrap();
        let mut got = 0;
        while got < 10 {
            let n = block_on::block_on(server.read(&mut buf)).unwrap();
            assert!(buf[..n].iter().all(|&b| b == i));
            got += n;
        }
        assert_eq!(got, 10);
    }
    let waker = wakers::noop_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut read = pin!(server.read(&mut buf));
        assert!(read.as_mut().poll(&mut cx).is_pending(), "nothing was sent");
    }
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(block_on::block_on(server.read(&mut buf)).unwrap(), 0);
}
