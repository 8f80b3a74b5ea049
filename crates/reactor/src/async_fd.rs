//! [`Async`]: an fd registered with the reactor, and the "try, and on `WouldBlock` wait" loop.
//!
//! # Invariants
//!
//! * An `Async` owns one registration ([`Reactor::register`] in [`Async::new`]) and undoes it
//!   before its I/O object is closed or handed back ([`Drop`], [`Async::into_inner`]).
//! * An operation clears readiness only on `WouldBlock`, and only with the tick it saw before
//!   trying (see [`readiness`](crate::readiness)). Any other result, errors included, leaves
//!   readiness set: an `EMFILE` from `accept` keeps the listener readable, so the next attempt
//!   tries again instead of waiting for an edge that will not come.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use crate::driver::Reactor;
use crate::readiness::Direction;
use crate::source::Source;

/// An I/O object (anything with an fd: a socket, a pipe, a terminal) registered with the
/// reactor, so that tasks can wait until it is readable or writable.
///
/// `Async::new` puts the fd in non-blocking mode and registers it once; operations try the
/// syscall first and wait only when it says `WouldBlock`. Dropping it deregisters the fd
/// before closing it.
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use reactor::Async;
///
/// let (a, b) = UnixStream::pair()?;
/// let (a, b) = (Async::new(a)?, Async::new(b)?);
/// block_on::block_on(async {
///     b.write_with(|s| (&*s).write(b"ping")).await?;
///     let mut buf = [0; 4];
///     let n = a.read_with(|s| (&*s).read(&mut buf)).await?;
///     assert_eq!(&buf[..n], b"ping");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Async<T: AsFd> {
    source: Arc<Source>,
    token: usize,
    /// `None` only inside `into_inner`, after the I/O object was taken out.
    io: Option<T>,
}

impl<T: AsFd> Async<T> {
    /// Puts `io` in non-blocking mode and registers it with the reactor.
    ///
    /// Fails if the fd cannot be made non-blocking or registered (for example, the process is
    /// out of fds for the poller itself).
    ///
    /// ```
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let listener = reactor::Async::new(listener)?;
    /// assert!(listener.get_ref().local_addr()?.port() != 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(io: T) -> io::Result<Async<T>> {
        set_nonblocking(io.as_fd())?;
        Async::new_nonblocking(io)
    }

    /// [`new`](Async::new) for an fd that is already non-blocking (saves two syscalls).
    pub(crate) fn new_nonblocking(io: T) -> io::Result<Async<T>> {
        let (source, token) = Reactor::get()?.register(io.as_fd().as_raw_fd())?;
        Ok(Async {
            source,
            token,
            io: Some(io),
        })
    }

    /// The I/O object.
    ///
    /// ```
    /// let socket = reactor::Async::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// println!("bound to {}", socket.get_ref().local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_ref(&self) -> &T {
        self.io
            .as_ref()
            .expect("the I/O object is present until into_inner")
    }

    /// Deregisters the fd and gives the I/O object back (still in non-blocking mode).
    ///
    /// ```
    /// let socket = reactor::Async::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// let socket: std::net::UdpSocket = socket.into_inner()?;
    /// socket.set_nonblocking(false)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_inner(mut self) -> io::Result<T> {
        let io = self
            .io
            .take()
            .expect("the I/O object is present until into_inner");
        Reactor::get()?.deregister(io.as_fd().as_raw_fd(), self.token);
        Ok(io)
    }

    /// Waits until the fd is readable (or closed for reading, or has an error).
    ///
    /// Readiness can be spurious: data seen readable may already have been read by another
    /// task. Use [`read_with`](Async::read_with), which retries on `WouldBlock`.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    ///
    /// let (a, mut b) = UnixStream::pair()?;
    /// let a = reactor::Async::new(a)?;
    /// b.write_all(b"x")?;
    /// block_on::block_on(a.readable())?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.source.poll_ready(Direction::Read, cx).map_ok(drop)).await
    }

    /// Waits until the fd is writable (or closed for writing, or has an error).
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// let a = reactor::Async::new(a)?;
    /// block_on::block_on(a.writable())?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.source.poll_ready(Direction::Write, cx).map_ok(drop)).await
    }

    /// Runs `op` until it does not return `WouldBlock`, waiting for readability in between.
    ///
    /// `op` must be a non-blocking read-like operation on the I/O object; its result (other
    /// than `WouldBlock`) is returned.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    ///
    /// let (a, mut b) = UnixStream::pair()?;
    /// let a = reactor::Async::new(a)?;
    /// std::thread::spawn(move || b.write_all(b"hi"));
    /// let mut buf = [0; 2];
    /// block_on::block_on(a.read_with(|s| (&*s).read_exact(&mut buf)))?;
    /// assert_eq!(&buf, b"hi");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_op(Direction::Read, cx, &mut op)).await
    }

    /// Runs `op` until it does not return `WouldBlock`, waiting for writability in between.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// let a = reactor::Async::new(a)?;
    /// let n = block_on::block_on(a.write_with(|s| (&*s).write(b"hello")))?;
    /// assert_eq!(n, 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_op(Direction::Write, cx, &mut op)).await
    }

    /// The loop behind `read_with`/`write_with` and the futures-io impls: wait until `dir` is
    /// ready, try `op`, and on `WouldBlock` clear with the tick seen before trying, then loop
    /// (which registers the waker if nothing arrived meanwhile).
    pub(crate) fn poll_op<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        op: &mut impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get_ref();
        loop {
            let tick = ready!(self.source.poll_ready(dir, cx))?;
            match op(io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.source.clear(dir, tick),
                result => return Poll::Ready(result),
            }
        }
    }
}

impl<T: AsFd> Async<T> {
    /// [`poll_op`](Async::poll_op) for a stream read of up to `len` bytes: a read that comes
    /// back short (but not empty) also clears read readiness, with the tick seen before it
    /// ([`Readiness::clear_drained`](crate::readiness::Readiness::clear_drained)), so the
    /// next read waits for the next event instead of making a syscall to get `WouldBlock`.
    pub(crate) fn poll_stream_read(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        op: &mut impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let io = self.get_ref();
        loop {
            let tick = ready!(self.source.poll_ready(Direction::Read, cx))?;
            match op(io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.source.clear(Direction::Read, tick)
                }
                Ok(n) if n > 0 && n < len => {
                    self.source.clear_drained(tick);
                    return Poll::Ready(Ok(n));
                }
                result => return Poll::Ready(result),
            }
        }
    }
}

impl<T: AsFd> Drop for Async<T> {
    fn drop(&mut self) {
        if let Some(io) = self.io.take() {
            // The reactor exists: `new` created it. Deregister first, then close.
            if let Ok(reactor) = Reactor::get() {
                reactor.deregister(io.as_fd().as_raw_fd(), self.token);
            }
            drop(io);
        }
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Async").field("io", &self.io).finish()
    }
}

/// Sets `O_NONBLOCK` on `fd`.
fn set_nonblocking(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: `raw` is a valid open fd for the whole call: it is borrowed from `fd`.
    // F_GETFL takes no third argument and reads nothing from our memory.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    if flags == -1 {
        return Err(io::Error::last_os_error());
    }
    if flags & libc::O_NONBLOCK != 0 {
        return Ok(());
    }
    // SAFETY: as above; F_SETFL takes an int and touches only the fd's status flags.
    if unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
