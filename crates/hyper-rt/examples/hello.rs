//! A hyper HTTP/1 "Hello, world!" server on our runtime.
//!
//! ```text
//! cargo run --release -p hyper-rt --example hello -- 127.0.0.1:3000 [threads]
//! curl http://127.0.0.1:3000/
//! ```
//!
//! `threads` (default 1) is how many threads run the executor: the main thread plus
//! `threads - 1` workers.

use std::convert::Infallible;
use std::io;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_rt::{HyperIo, HyperTimer};
use reactor::net::{TcpListener, TcpStream};

/// How long the accept loop pauses after running out of fds (see `TcpListener::accept`).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, world!",
    ))))
}

/// Serves one connection until the client closes it.
async fn serve_connection(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let served = hyper::server::conn::http1::Builder::new()
        .timer(HyperTimer)
        .serve_connection(HyperIo::new(stream), hyper::service::service_fn(hello))
        .await;
    if let Err(e) = served {
        eprintln!("connection: {e}");
    }
}

/// Accepts connections forever, one task each, on the executor driving the caller.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => drop(executor::spawn(serve_connection(stream))),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
                timers::sleep(ACCEPT_BACKOFF).await;
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}

#[allow(dead_code)] // Unused when the tests include this file as a module.
fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:3000".into());
    let threads: usize = match args.next() {
        Some(n) => n.parse().map_err(io::Error::other)?,
        None => 1,
    };
    let listener = TcpListener::bind(&*addr)?;
    println!("listening on http://{}", listener.local_addr()?);
    let ex = executor::Executor::builder()
        .worker_threads(threads.saturating_sub(1))
        .build();
    ex.block_on(serve(listener))
}
