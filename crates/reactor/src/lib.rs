//! I/O for any executor: [`Async<T>`](Async) for any fd, and [`net`]'s [`TcpListener`],
//! [`TcpStream`] and [`UdpSocket`], on one process-wide reactor.
//!
//! ```
//! use futures::{AsyncReadExt, AsyncWriteExt};
//! use reactor::net::{TcpListener, TcpStream};
//!
//! let ex = executor::Executor::new();
//! let echoed = ex.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0")?;
//!     let addr = listener.local_addr()?;
//!     let server = executor::spawn(async move {
//!         let (stream, _) = listener.accept().await?;
//!         futures::io::copy(&stream, &mut &stream).await // echo until end of stream
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello").await?;
//!     client.shutdown(std::net::Shutdown::Write)?;
//!     let mut echoed = Vec::new();
//!     client.read_to_end(&mut echoed).await?;
//!     server.await?;
//!     Ok::<_, std::io::Error>(echoed)
//! })?;
//! assert_eq!(echoed, b"hello");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # How it works
//!
//! The invariants come first; each module states its own in detail and the code cites them.
//!
//! 1. **Registered once, edge-triggered.** An fd is registered with the poller (epoll on
//!    Linux, kqueue on macOS and the BSDs, through `mio`) once, for both directions, when its
//!    [`Async`] is made, and deregistered before it is closed. No re-arming per wait.
//! 2. **One readiness word per fd** (module `readiness`): readiness bits plus a tick per
//!    direction in one `AtomicU64`. The reactor sets bits and bumps ticks; a task clears its
//!    direction only on `WouldBlock`, and only if that direction's tick is unchanged since it
//!    tried, so an event arriving during the syscall is never erased. Ticks are per
//!    direction, so a writer's events never invalidate a reader's clear.
//! 3. **No lost wake-up** (module `source`): the reactor stores the bits, then wakes the waker
//!    slot; a task registers its waker, then looks at the bits again.
//! 4. **Tokens carry a generation** (module `slab`): an event for a deregistered fd, or for a new
//!    fd that reused the number, is dropped rather than delivered to the wrong source.
//! 5. **Who waits in the poller** (module `driver`): an idle runner of our executor, which
//!    blocks in it instead of parking (the reactor installs itself as the process's
//!    [`wakers::idle::IdleDriver`]), so the events are delivered on that runner's thread and
//!    the tasks they wake run there; busy runners take a non-blocking turn every 61 tasks. A
//!    fallback thread, `reactor`, waits in the poller only when no runner can: no runner
//!    exists (I/O under `block_on::block_on` or a foreign executor), or every runner is stuck
//!    in a long poll. While everything is idle no thread wakes, so an idle process spends no
//!    CPU on I/O. Any executor works: tasks are woken through their wakers.
//! 6. **Deregistration wakes.** Dropping an [`Async`] (or a socket) deregisters it and wakes
//!    any waiter with an error.
//!
//! # Where it sits
//!
//! ```text
//! executor ──┬── join-handle          (the task cell and JoinHandle)
//!            └── wakers               (Parker, WakerSlot, test wakers)
//! block-on ───── wakers
//! timers ─────── wakers
//! reactor ────── wakers               (+ mio for epoll/kqueue)
//! hyper-rt ──┬── executor, timers     (hyper's Executor and Timer)
//!            └── any futures-io stream, e.g. reactor::net::TcpStream
//! ```
//!
//! # Model checking
//!
//! The race between the reactor's "set readiness + wake" and a task's "`WouldBlock` → clear →
//! register" is checked with loom:
//! `RUSTFLAGS="--cfg loom" cargo test -p reactor --release --lib loom`.
//!
//! Unix only for now (Linux first-class; macOS through kqueue).

#![cfg(unix)]

mod async_fd;
mod driver;
pub mod net;
mod readiness;
mod slab;
mod source;
mod sync;

pub use async_fd::Async;
pub use net::{TcpListener, TcpStream, UdpSocket};
