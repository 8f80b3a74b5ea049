//! Helpers shared by the reactor's integration tests.

use reactor::net::{TcpListener, TcpStream};

/// A connected loopback pair: (client, server). The listener is dropped.
pub fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    block_on::block_on(async {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    })
}
