//! [`TcpListener`] and [`TcpStream`].

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::Async;
use crate::readiness::Direction;

/// Connections the kernel queues before `accept` takes them. The standard library listens
/// with 128, which a burst of connects overflows: each dropped SYN then waits a second for
/// its retransmission. 1024 is what tokio uses; the kernel caps it at `somaxconn`.
const BACKLOG: libc::c_int = 1024;

/// A TCP listening socket.
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use reactor::net::{TcpListener, TcpStream};
///
/// block_on::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?;
///     let client = std::thread::spawn(move || {
///         block_on::block_on(async {
///             let mut stream = TcpStream::connect(addr).await?;
///             stream.write_all(b"hello").await
///         })
///     });
///     let (mut stream, _peer) = listener.accept().await?;
///     let mut buf = Vec::new();
///     stream.read_to_end(&mut buf).await?;
///     assert_eq!(buf, b"hello");
///     client.join().unwrap()
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpListener {
    inner: Async<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (the first address that works) and listens, with room for 1024
    /// connections waiting to be accepted.
    ///
    /// ```
    /// let listener = reactor::net::TcpListener::bind("127.0.0.1:0")?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let listener = std::net::TcpListener::bind(addr)?;
        // Calling listen again on a listening socket only changes its backlog.
        // SAFETY: the fd is open for the whole call (borrowed from `listener`).
        if unsafe { libc::listen(listener.as_raw_fd(), BACKLOG) } == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(TcpListener {
            inner: Async::new(mio::net::TcpListener::from_std(listener))?,
        })
    }

    /// The address the listener is bound to.
    ///
    /// ```
    /// let listener = reactor::net::TcpListener::bind("127.0.0.1:0")?;
    /// assert!(listener.local_addr()?.ip().is_loopback());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Accepts a connection, waiting for one if none is pending.
    ///
    /// # Errors and back-off
    ///
    /// Errors from `accept` are returned as they are. Some of them concern resources, not the
    /// listener: `EMFILE`/`ENFILE` (out of fds), `ENOBUFS`/`ENOMEM`. The pending connection
    /// then stays in the kernel's backlog and the listener stays readable, so calling `accept`
    /// again at once fails again at once: a loop that retries without pausing spins a core.
    /// Pause 10–100 ms (for example with `timers::sleep`) before the next `accept`; once fds
    /// are free again, the next call accepts the waiting connection.
    ///
    /// ```
    /// use std::time::Duration;
    /// # fn serve(_: reactor::net::TcpStream) {}
    ///
    /// async fn accept_loop(listener: reactor::net::TcpListener) {
    ///     loop {
    ///         match listener.accept().await {
    ///             Ok((stream, _peer)) => serve(stream),
    ///             Err(e) if e.raw_os_error() == Some(libc::EMFILE) => {
    ///                 timers::sleep(Duration::from_millis(50)).await; // back off
    ///             }
    ///             Err(e) => eprintln!("accept: {e}"),
    ///         }
    ///     }
    /// }
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = self.inner.read_with(|l| l.accept()).await?;
        // mio accepts with SOCK_NONBLOCK | SOCK_CLOEXEC where the platform has accept4.
        let stream = std::net::TcpStream::from(stream);
        Ok((
            TcpStream {
                inner: Async::new_nonblocking(stream)?,
            },
            addr,
        ))
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpListener")
            .field(self.inner.get_ref())
            .finish()
    }
}

/// A TCP connection: `futures_io::AsyncRead` + `AsyncWrite`, also through `&TcpStream`, so
/// one task can read while another writes.
///
/// Writing to a connection the peer has closed returns an error (`EPIPE` or `ECONNRESET`);
/// it never raises `SIGPIPE`.
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use reactor::net::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// block_on::block_on(async {
///     let mut client = TcpStream::connect(addr).await?;
///     let (mut server, _) = listener.accept().await?;
///     client.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     server.read_exact(&mut buf).await?;
///     (&server).write_all(b"pong").await?; // through a shared reference
///     client.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"pong");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpStream {
    inner: Async<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, waiting until the connection is established or refused.
    ///
    /// ```
    /// let listener = reactor::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let stream = block_on::block_on(reactor::net::TcpStream::connect(addr))?;
    /// assert_eq!(stream.peer_addr()?, addr);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = std::net::TcpStream::from(mio::net::TcpStream::connect(addr)?);
        let inner = Async::new_nonblocking(stream)?;
        // Writable means the handshake finished, one way or the other.
        inner
            .write_with(|s| {
                if let Some(e) = s.take_error()? {
                    return Err(e);
                }
                match s.peer_addr() {
                    Ok(_) => Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(e) => Err(e),
                }
            })
            .await?;
        Ok(TcpStream { inner })
    }

    /// The local address of this connection.
    ///
    /// ```
    /// # let listener = reactor::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let stream = block_on::block_on(reactor::net::TcpStream::connect(listener.local_addr()?))?;
    /// assert!(stream.local_addr()?.ip().is_loopback());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The address of the peer.
    ///
    /// ```
    /// # let listener = reactor::net::TcpListener::bind("127.0.0.1:0")?;
    /// let stream = block_on::block_on(reactor::net::TcpStream::connect(listener.local_addr()?))?;
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// Sets `TCP_NODELAY` (no Nagle delay for small writes).
    ///
    /// ```
    /// # let listener = reactor::net::TcpListener::bind("127.0.0.1:0")?;
    /// let stream = block_on::block_on(reactor::net::TcpStream::connect(listener.local_addr()?))?;
    /// stream.set_nodelay(true)?;
    /// assert!(stream.get_ref().nodelay()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.inner.get_ref().set_nodelay(on)
    }

    /// Shuts down the read half, the write half, or both. After `Shutdown::Write` the peer
    /// reads end of stream once it has read everything sent before.
    ///
    /// ```
    /// use futures::AsyncReadExt;
    /// # let listener = reactor::net::TcpListener::bind("127.0.0.1:0")?;
    /// block_on::block_on(async {
    ///     let client = reactor::net::TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.shutdown(std::net::Shutdown::Write)?;
    ///     let mut rest = Vec::new();
    ///     assert_eq!(server.read_to_end(&mut rest).await?, 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
    }

    /// The standard-library stream inside (non-blocking).
    ///
    /// ```
    /// # let listener = reactor::net::TcpListener::bind("127.0.0.1:0")?;
    /// let stream = block_on::block_on(reactor::net::TcpStream::connect(listener.local_addr()?))?;
    /// assert_eq!(stream.get_ref().ttl()?, stream.get_ref().ttl()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_ref(&self) -> &std::net::TcpStream {
        self.inner.get_ref()
    }

    fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        // A zero-length read asks nothing of the socket: answer at once, do not wait.
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let len = buf.len();
        self.inner
            .poll_stream_read(cx, len, &mut |s| (&*s).read(buf))
    }

    fn poll_read_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        if bufs.iter().all(|b| b.is_empty()) {
            return Poll::Ready(Ok(0));
        }
        let len = bufs.iter().map(|b| b.len()).sum();
        self.inner
            .poll_stream_read(cx, len, &mut |s| (&*s).read_vectored(bufs))
    }

    fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // std writes sockets with send(MSG_NOSIGNAL) on Linux and sets SO_NOSIGPIPE on the
        // BSDs and macOS, so a closed peer gives EPIPE, not SIGPIPE.
        self.inner
            .poll_op(Direction::Write, cx, &mut |s| (&*s).write(buf))
    }

    fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if bufs.iter().all(|b| b.is_empty()) {
            return Poll::Ready(Ok(0));
        }
        self.inner
            .poll_op(Direction::Write, cx, &mut |s| (&*s).write_vectored(bufs))
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpStream")
            .field(self.inner.get_ref())
            .finish()
    }
}

macro_rules! impl_async_io {
    ($ty:ty) => {
        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_read_priv(cx, buf)
            }

            fn poll_read_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                self.poll_read_vectored_priv(cx, bufs)
            }
        }

        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.poll_write_vectored_priv(cx, bufs)
            }

            /// Writes go straight to the socket: nothing is buffered here.
            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            /// Shuts down the write half (the peer reads end of stream).
            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.shutdown(Shutdown::Write))
            }
        }
    };
}

impl_async_io!(TcpStream);
impl_async_io!(&TcpStream);
