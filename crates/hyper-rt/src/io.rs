//! [`HyperIo`]: hyper's `rt::Read` + `rt::Write` over a futures-io stream.
//!
//! # Reading into hyper's buffer without zero-filling it all
//!
//! hyper hands `rt::Read` a cursor over *uninitialised* memory, while `futures_io::AsyncRead`
//! takes an initialised `&mut [u8]`. The bytes must be initialised before the read, and
//! zeroing the whole free part of hyper's buffer (which grows to hundreds of KiB for large
//! bodies) on every read would cost more than the read itself.
//!
//! So each read offers the stream a window, not the whole buffer: the cursor's
//! `initialize_unfilled_to` zeroes only the bytes of the window it has not initialised yet,
//! and the window adapts to how much the stream actually delivers: it doubles when a read fills
//! it and halves when reads come back much smaller. A small request costs a zeroed 8 KiB at
//! most; a large transfer quickly reads in big windows.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead, AsyncWrite};
use hyper::rt::ReadBufCursor;

/// The first window, and the smallest: hyper's own initial read buffer is 8 KiB.
const MIN_WINDOW: usize = 8 * 1024;
/// The largest window: larger reads rarely return more from a socket, and each window is
/// zeroed once before use.
const MAX_WINDOW: usize = 256 * 1024;

/// Adapts a futures-io stream (such as `reactor::net::TcpStream`) to hyper's I/O traits.
///
/// `T` must be `Unpin` (every stream in `reactor` is).
///
/// ```
/// use hyper_rt::HyperIo;
///
/// let listener = reactor::net::TcpListener::bind("127.0.0.1:0")?;
/// let stream = block_on::block_on(reactor::net::TcpStream::connect(listener.local_addr()?))?;
/// let io = HyperIo::new(stream);
/// // hand `io` to hyper::server::conn::http1::Builder::serve_connection, or
/// // hyper::client::conn::http1::handshake
/// let stream: reactor::net::TcpStream = io.into_inner();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct HyperIo<T> {
    io: T,
    /// How many bytes the next read offers the stream (see the module doc).
    window: usize,
}

impl<T> HyperIo<T> {
    /// Wraps `io`.
    ///
    /// ```
    /// let io = hyper_rt::HyperIo::new(futures::io::Cursor::new(b"bytes".to_vec()));
    /// ```
    pub fn new(io: T) -> HyperIo<T> {
        HyperIo {
            io,
            window: MIN_WINDOW,
        }
    }

    /// Gives the stream back.
    ///
    /// ```
    /// let io = hyper_rt::HyperIo::new(futures::io::Cursor::new(vec![1, 2]));
    /// assert_eq!(io.into_inner().into_inner(), [1, 2]);
    /// ```
    pub fn into_inner(self) -> T {
        self.io
    }

    /// The next window after a read of `n` bytes into a window of `offered` bytes.
    fn adapt(&mut self, n: usize, offered: usize) {
        if n == offered {
            self.window = (self.window * 2).min(MAX_WINDOW);
        } else if n < self.window / 4 {
            self.window = (self.window / 2).max(MIN_WINDOW);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for HyperIo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HyperIo").field(&self.io).finish()
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let offered = buf.remaining().min(this.window);
        let window = buf.initialize_unfilled_to(offered);
        let n = ready!(Pin::new(&mut this.io).poll_read(cx, window))?;
        assert!(
            n <= offered,
            "AsyncRead::poll_read returned more bytes than the buffer holds"
        );
        // SAFETY: the first `offered` bytes of the unfilled part were initialised by
        // `initialize_unfilled_to`, and `n <= offered` (checked above).
        unsafe { buf.advance(n) };
        this.adapt(n, offered);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for HyperIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::mem::MaybeUninit;

    /// Reads once through hyper's trait into a fresh uninitialised buffer of `cap` bytes.
    fn read_once<T: AsyncRead + Unpin>(io: &mut HyperIo<T>, cap: usize) -> Vec<u8> {
        let mut raw = vec![MaybeUninit::<u8>::uninit(); cap];
        let mut buf = hyper::rt::ReadBuf::uninit(&mut raw);
        block_on::block_on(poll_fn(|cx| {
            hyper::rt::Read::poll_read(Pin::new(&mut *io), cx, buf.unfilled())
        }))
        .unwrap();
        buf.filled().to_vec()
    }

    #[test]
    fn reads_offer_a_window_that_grows_when_filled_and_shrinks_back() {
        let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let mut io = HyperIo::new(futures::io::Cursor::new(data.clone()));
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        while got.len() < data.len() {
            let chunk = read_once(&mut io, 1 << 20);
            sizes.push(chunk.len());
            got.extend(chunk);
        }
        assert_eq!(got, data);
        // The first read offers 8 KiB of the 1 MiB buffer, not all of it; then it doubles.
        assert_eq!(&sizes[..3], &[MIN_WINDOW, 2 * MIN_WINDOW, 4 * MIN_WINDOW]);
        // End of stream: tiny reads shrink the window back down.
        for _ in 0..10 {
            assert!(read_once(&mut io, 1 << 20).is_empty());
        }
        assert_eq!(io.window, MIN_WINDOW);
    }

    #[test]
    fn a_window_never_exceeds_the_buffer() {
        let mut io = HyperIo::new(futures::io::Cursor::new(vec![7u8; 100]));
        assert_eq!(read_once(&mut io, 10), [7; 10]);
        assert_eq!(read_once(&mut io, 1000).len(), 90);
    }
}
