//! TCP and UDP sockets on the reactor: [`TcpListener`], [`TcpStream`] (with `futures_io`'s
//! `AsyncRead`/`AsyncWrite`, also for `&TcpStream`) and [`UdpSocket`].
//!
//! ```
//! use reactor::net::{TcpListener, TcpStream, UdpSocket};
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let udp = UdpSocket::bind("127.0.0.1:0")?;
//! let stream = block_on::block_on(TcpStream::connect(listener.local_addr()?))?;
//! assert_eq!(stream.peer_addr()?, listener.local_addr()?);
//! assert!(udp.local_addr()?.ip().is_loopback());
//! # Ok::<(), std::io::Error>(())
//! ```

mod tcp;
mod udp;

pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
