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
//! `initialize_unfilled_to` zeroes the window (hyper hands every read a fresh cursor, so
//! nothing is remembered as initialised from one read to the next), and the window adapts to
//! how much the stream actually delivers: it doubles when a read fills it and halves when reads
//! come back much smaller, down to `MIN_WINDOW`.
//!
//! The floor is small because the zeroing is paid on *every* poll, including the one that
//! finds the socket drained and returns `Pending`: a keep-alive connection serving small
//! requests polls twice per request. An 8 KiB floor would store 16 KiB per request, spread
//! over every connection's buffer (50 connections: 400 KiB, more than an L2 cache), where a
//! runtime that reads into uninitialised memory (tokio) stores only the bytes received. A
//! large transfer still reaches big windows after a few doubling reads.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead, AsyncWrite};
use hyper::rt::ReadBufCursor;

/// The first window, and the smallest: it holds a typical request head (a few hundred bytes
/// to 1 KiB) in one read, and zeroing it costs 16 cache lines (see the module doc).
const MIN_WINDOW: usize = 1024;
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
        // The first read offers `MIN_WINDOW` of the 1 MiB buffer, not all of it; then it doubles.
        assert_eq!(&sizes[..3], &[MIN_WINDOW, 2 * MIN_WINDOW, 4 * MIN_WINDOW]);
        // End of stream: tiny reads shrink the window back down.
        for _ in 0..10 {
            assert!(read_once(&mut io, 1 << 20).is_empty());
        }
        assert_eq!(io.window, MIN_WINDOW);
    }

    /// A stream that delivers `chunk` bytes, then finds nothing (`Pending`), alternately, the
    /// way a keep-alive connection sees small requests; it records the length of every buffer
    /// it is offered.
    struct SmallRequests {
        chunk: usize,
        ready: bool,
        offered: Vec<usize>,
    }

    impl AsyncRead for SmallRequests {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            self.offered.push(buf.len());
            self.ready = !self.ready;
            if self.ready {
                let n = self.chunk.min(buf.len());
                buf[..n].fill(b'x');
                Poll::Ready(Ok(n))
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    #[test]
    fn small_requests_zero_a_small_window_per_poll() {
        // What a poll may zero when requests are this small: each poll zeroes what it
        // offers, and hyper polls twice per request (the second finds the socket drained).
        const MOST_ZEROED_PER_POLL: usize = 1024;
        let stream = SmallRequests {
            chunk: 40,
            ready: true, // the first poll finds nothing
            offered: Vec::new(),
        };
        let mut io = HyperIo::new(stream);
        for _ in 0..20 {
            // hyper's read buffer: 8 KiB at first, and so much again before every read.
            assert_eq!(read_once(&mut io, 8 * 1024).len(), 40);
        }
        let offered = &io.io.offered;
        assert_eq!(offered.len(), 40, "one Pending and one read per request");
        assert!(
            offered.iter().all(|&n| n <= MOST_ZEROED_PER_POLL),
            "offered (and zeroed) per poll: {offered:?}"
        );
    }

    #[test]
    fn a_window_never_exceeds_the_buffer() {
        let mut io = HyperIo::new(futures::io::Cursor::new(vec![7u8; 100]));
        assert_eq!(read_once(&mut io, 10), [7; 10]);
        assert_eq!(read_once(&mut io, 1000).len(), 90);
    }
}
