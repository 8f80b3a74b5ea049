//! TCP and UDP sockets on the reactor: [`TcpListener`], [`TcpStream`] (with `futures_io`'s
//! `AsyncRead`/`AsyncWrite`, also for `&TcpStream`) and [`UdpSocket`].

mod tcp;
mod udp;

pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
