//! [`JoinError`]: why a task produced no output.
//!
//! `JoinError` is `Send + Sync`, so it goes through `?` into `Box<dyn Error + Send + Sync>`
//! (and `anyhow::Error`). The panic payload inside it is only `Send`; [`Payload`] makes the
//! error `Sync` anyway by never handing out a shared reference to the payload itself (the
//! invariant is written on it).

use std::any::Any;
use std::fmt;

/// Why a task ended without an output: it was cancelled, or it panicked.
///
/// It is `Send + Sync` and a [`std::error::Error`], so `?` converts it into
/// `Box<dyn Error + Send + Sync>`:
///
/// ```
/// use std::error::Error;
///
/// fn answer() -> Result<u32, Box<dyn Error + Send + Sync>> {
///     let ex = executor::Executor::new();
///     let task = ex.spawn(async { 42 });
///     Ok(ex.block_on(task.try_join())?)
/// }
/// assert_eq!(answer().unwrap(), 42);
/// ```
///
/// ```
/// use executor::Executor;
///
/// let ex = Executor::new();
/// let task = ex.spawn(async { panic!("boom") });
/// ex.run();
/// let err = block_on::block_on(task.try_join()).unwrap_err();
/// assert!(err.is_panic());
/// assert_eq!(err.into_panic().downcast_ref::<&str>(), Some(&"boom"));
/// ```
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    Cancelled,
    Panic(Payload),
}

/// A panic payload (`Box<dyn Any + Send>`, which is not `Sync`) made shareable.
///
/// Invariant: through `&Payload` the payload is only asked for its type (`Any::type_id`, whose
/// only implementation is the standard library's blanket one: it reads no data) and then read
/// as `&str` or `String`, which are `Sync`. Anything else needs the payload by value
/// ([`Payload::into_inner`]). So a `&Payload` shared between threads never gives two threads
/// a shared reference to a `!Sync` value.
struct Payload(Box<dyn Any + Send + 'static>);

// SAFETY: by the invariant above, shared access reads only `type_id` and `Sync` types
// (`&'static str`, `String`); the `!Sync` payload is reached only by value.
unsafe impl Sync for Payload {}

impl Payload {
    /// The panic message, if the payload is a string (as it is for `panic!("...")`). Looks at
    /// `Sync` types only: see the invariant on [`Payload`].
    fn message(&self) -> Option<&str> {
        let payload: &(dyn Any + Send) = self.0.as_ref();
        payload
            .downcast_ref::<&'static str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
    }

    fn into_inner(self) -> Box<dyn Any + Send + 'static> {
        self.0
    }
}

impl JoinError {
    pub(crate) fn cancelled() -> JoinError {
        JoinError {
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            repr: Repr::Panic(Payload(payload)),
        }
    }

    /// True if the task was aborted, or dropped unfinished because its executor was dropped.
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// let task = ex.spawn(std::future::pending::<()>());
    /// task.abort();
    /// let err = block_on::block_on(task.try_join()).unwrap_err();
    /// assert!(err.is_cancelled() && !err.is_panic());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// True if the task panicked.
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// let task = ex.spawn(async { panic!("oops") });
    /// ex.run();
    /// assert!(block_on::block_on(task.try_join()).unwrap_err().is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// Returns the panic payload, to inspect it or to resume the panic with
    /// [`std::panic::resume_unwind`].
    ///
    /// # Panics
    ///
    /// Panics if the error is not a panic (see [`is_panic`](JoinError::is_panic)).
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// let task = ex.spawn(async { std::panic::panic_any(7_u32) });
    /// ex.run();
    /// let payload = block_on::block_on(task.try_join()).unwrap_err().into_panic();
    /// assert_eq!(payload.downcast_ref::<u32>(), Some(&7));
    /// ```
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.repr {
            Repr::Panic(payload) => payload.into_inner(),
            Repr::Cancelled => panic!("JoinError::into_panic called on a cancelled task's error"),
        }
    }

    /// Returns the panic payload, or gives the error back if it is a cancellation.
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// let task = ex.spawn(std::future::pending::<()>());
    /// task.abort();
    /// let err = block_on::block_on(task.try_join()).unwrap_err();
    /// assert!(err.try_into_panic().is_err());
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(payload) => Ok(payload.into_inner()),
            Repr::Cancelled => Err(self),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("task was cancelled"),
            Repr::Panic(payload) => match payload.message() {
                Some(msg) => write!(f, "task panicked: {msg}"),
                None => f.write_str("task panicked"),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("JoinError::Cancelled"),
            Repr::Panic(payload) => match payload.message() {
                Some(msg) => write!(f, "JoinError::Panic({msg:?})"),
                None => f.write_str("JoinError::Panic(..)"),
            },
        }
    }
}

impl std::error::Error for JoinError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn join_error_is_send_sync_and_sixteen_bytes() {
        assert_send_sync::<JoinError>();
        // It shares the task cell's slot with the future and the output: keep it small.
        assert_eq!(std::mem::size_of::<JoinError>(), 16);
    }

    #[test]
    fn a_shared_error_reads_the_message_on_two_threads() {
        let err = JoinError::panic(Box::new(String::from("disk full")));
        std::thread::scope(|s| {
            let a = s.spawn(|| err.to_string());
            let b = s.spawn(|| format!("{err:?}"));
            assert_eq!(a.join().unwrap(), "task panicked: disk full");
            assert_eq!(b.join().unwrap(), "JoinError::Panic(\"disk full\")");
        });
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<String>().unwrap(), "disk full");
    }

    #[test]
    fn a_non_string_payload_has_no_message_but_comes_back_whole() {
        let err = JoinError::panic(Box::new(std::cell::Cell::new(3_u8)));
        assert_eq!(err.to_string(), "task panicked");
        let payload = err.try_into_panic().unwrap();
        assert_eq!(
            payload.downcast_ref::<std::cell::Cell<u8>>().unwrap().get(),
            3
        );
    }
}
