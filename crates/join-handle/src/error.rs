//! [`JoinError`]: why a task produced no output.

use std::any::Any;
use std::fmt;

/// Why a task ended without an output: it was cancelled, or it panicked.
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
    Panic(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    pub(crate) fn cancelled() -> JoinError {
        JoinError {
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            repr: Repr::Panic(payload),
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
            Repr::Panic(payload) => payload,
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
            Repr::Panic(payload) => Ok(payload),
            Repr::Cancelled => Err(self),
        }
    }
}

/// The panic message, if the payload is a string (as it is for `panic!("...")`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("task was cancelled"),
            Repr::Panic(payload) => match panic_message(payload.as_ref()) {
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
            Repr::Panic(payload) => match panic_message(payload.as_ref()) {
                Some(msg) => write!(f, "JoinError::Panic({msg:?})"),
                None => f.write_str("JoinError::Panic(..)"),
            },
        }
    }
}

impl std::error::Error for JoinError {}
