//! [`UdpSocket`].

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use crate::Async;

/// A UDP socket.
///
/// ```
/// use reactor::net::UdpSocket;
///
/// let a = UdpSocket::bind("127.0.0.1:0")?;
/// let b = UdpSocket::bind("127.0.0.1:0")?;
/// block_on::block_on(async {
///     a.send_to(b"datagram", b.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"datagram"[..], a.local_addr()?));
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    inner: Async<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (the first address that works).
    ///
    /// ```
    /// let socket = reactor::net::UdpSocket::bind("127.0.0.1:0")?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            inner: Async::new(std::net::UdpSocket::bind(addr)?)?,
        })
    }

    /// The address the socket is bound to.
    ///
    /// ```
    /// let socket = reactor::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert_ne!(socket.local_addr()?.port(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Sends one datagram to `to`, waiting while the send buffer is full. Returns the bytes
    /// sent.
    ///
    /// ```
    /// let socket = reactor::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let n = block_on::block_on(socket.send_to(b"x", socket.local_addr()?))?;
    /// assert_eq!(n, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn send_to(&self, buf: &[u8], to: SocketAddr) -> io::Result<usize> {
        self.inner.write_with(|s| s.send_to(buf, to)).await
    }

    /// Receives one datagram, waiting for one. A datagram longer than `buf` is truncated.
    ///
    /// ```
    /// let socket = reactor::net::UdpSocket::bind("127.0.0.1:0")?;
    /// block_on::block_on(async {
    ///     socket.send_to(b"to myself", socket.local_addr()?).await?;
    ///     let mut buf = [0; 2];
    ///     let (n, _) = socket.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"to");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.read_with(|s| s.recv_from(buf)).await
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UdpSocket")
            .field(self.inner.get_ref())
            .finish()
    }
}
