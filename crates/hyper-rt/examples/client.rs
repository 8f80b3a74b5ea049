//! A hyper HTTP/1 client on our runtime: GET a URL and print the response.
//!
//! ```text
//! cargo run -p hyper-rt --example client -- http://127.0.0.1:3000/
//! ```
//!
//! Plain `http://` with a numeric IP address only (no TLS, no DNS): enough to talk to the
//! `hello` example.

use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::{Request, StatusCode, Uri};
use hyper_rt::HyperIo;
use reactor::net::TcpStream;

/// GETs `uri` over a fresh connection; returns the status and the whole body.
pub async fn get(uri: &Uri) -> io::Result<(StatusCode, Bytes)> {
    let authority = uri
        .authority()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the URL has no host"))?;
    let port = authority.port_u16().unwrap_or(80);
    let addr: SocketAddr = format!("{}:{port}", authority.host().trim_matches(['[', ']']))
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(HyperIo::new(stream))
        .await
        .map_err(io::Error::other)?;
    let connection = executor::spawn(connection);
    let request = Request::get(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(hyper::header::HOST, authority.as_str())
        .body(Empty::<Bytes>::new())
        .map_err(io::Error::other)?;
    let response = sender
        .send_request(request)
        .await
        .map_err(io::Error::other)?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(io::Error::other)?
        .to_bytes();
    drop(sender); // closes the connection...
    connection.await.map_err(io::Error::other)?; // ...which then finishes
    Ok((status, body))
}

#[allow(dead_code)] // Unused when the tests include this file as a module.
fn main() -> io::Result<()> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:3000/".into());
    let uri: Uri = url
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let (status, body) = executor::Executor::new().block_on(get(&uri))?;
    println!("{status}");
    println!("{}", String::from_utf8_lossy(&body));
    Ok(())
}
