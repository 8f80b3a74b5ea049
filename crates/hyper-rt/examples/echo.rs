//! A TCP echo server on our runtime: every byte a client sends comes back.
//!
//! ```text
//! cargo run --release -p hyper-rt --example echo -- 127.0.0.1:7000 [threads]
//! ```

use std::io;
use std::time::Duration;

use futures::{AsyncReadExt, AsyncWriteExt};
use reactor::net::{TcpListener, TcpStream};

/// How long the accept loop pauses after running out of fds (see `TcpListener::accept`).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// Bytes read per syscall.
const BUF: usize = 4096;

/// Echoes one connection until the client closes it.
async fn echo(stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = [0; BUF];
    loop {
        let n = (&stream).read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        (&stream).write_all(&buf[..n]).await?;
    }
}

/// Accepts connections forever, one task each, on the executor driving the caller.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => drop(executor::spawn(echo(stream))),
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
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:7000".into());
    let threads: usize = match args.next() {
        Some(n) => n.parse().map_err(io::Error::other)?,
        None => 1,
    };
    let listener = TcpListener::bind(&*addr)?;
    println!("echoing on {}", listener.local_addr()?);
    let ex = executor::Executor::builder()
        .worker_threads(threads.saturating_sub(1))
        .build();
    ex.block_on(serve(listener))
}
