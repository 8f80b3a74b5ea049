//! hyper 1.x on our runtime: [`HyperIo`] (hyper's `rt::Read`/`rt::Write` over any futures-io
//! stream), [`HyperExecutor`] (hyper's background tasks on our `executor`) and
//! [`HyperTimer`] (hyper's timeouts on `timers`).
//!
//! A server and a client on one executor, over `reactor`'s TCP:
//!
//! ```
//! use std::convert::Infallible;
//! use bytes::Bytes;
//! use http_body_util::{BodyExt, Full};
//! use hyper::{Request, Response, service::service_fn};
//! use hyper_rt::{HyperExecutor, HyperIo, HyperTimer};
//! use reactor::net::{TcpListener, TcpStream};
//!
//! let ex = executor::Executor::new();
//! let body = ex.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0")?;
//!     let addr = listener.local_addr()?;
//!     executor::spawn(async move {
//!         let (stream, _) = listener.accept().await?;
//!         let hello = service_fn(|_req: Request<hyper::body::Incoming>| async {
//!             Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("Hello, world!"))))
//!         });
//!         hyper::server::conn::http1::Builder::new()
//!             .timer(HyperTimer::default())
//!             .serve_connection(HyperIo::new(stream), hello)
//!             .await
//!             .map_err(std::io::Error::other)
//!     });
//!     let stream = TcpStream::connect(addr).await?;
//!     let (mut sender, conn) = hyper::client::conn::http1::handshake(HyperIo::new(stream))
//!         .await
//!         .map_err(std::io::Error::other)?;
//!     executor::spawn(conn);
//!     let request = Request::get("/").header("host", "localhost").body(Full::new(Bytes::new()))
//!         .map_err(std::io::Error::other)?;
//!     let response = sender.send_request(request).await.map_err(std::io::Error::other)?;
//!     let body = response.into_body().collect().await.map_err(std::io::Error::other)?;
//!     Ok::<_, std::io::Error>(body.to_bytes())
//! })?;
//! assert_eq!(body, "Hello, world!");
//! # let _ = HyperExecutor::default();
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Where it sits
//!
//! `hyper-rt` depends on `executor` (for [`HyperExecutor`]) and `timers` (for
//! [`HyperTimer`]). [`HyperIo`] takes any `futures_io` stream, so it does not depend on
//! `reactor`; `reactor::net::TcpStream` is the usual one.

/// The hyper this crate adapts, so that users (and our benches) name one version of it.
///
/// ```
/// let _builder = hyper_rt::hyper::server::conn::http1::Builder::new();
/// ```
pub use hyper;

mod executor_adapter;
mod io;
mod timer;

pub use executor_adapter::HyperExecutor;
pub use io::HyperIo;
pub use timer::HyperTimer;
