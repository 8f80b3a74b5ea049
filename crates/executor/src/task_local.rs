//! Task-local storage: [`task_local!`](macro@crate::task_local), [`LocalKey`], [`TaskLocalFuture`].
//!
//! A task-local value lives in the future returned by [`LocalKey::scope`], not in any task or
//! executor. Around each poll of that future (and around its destructor) the value is moved
//! into a thread-local slot, and moved back out when the poll ends, so:
//!
//! * inside the scope's future, [`LocalKey::with`] sees the value, on whatever thread polls it;
//! * the next future polled on the thread (another task) never sees it;
//! * it is moved back even if the poll panics (a guard does it while unwinding);
//! * the inner future's destructor sees it too (the scope drops the inner future inside the
//!   same swap).
//!
//! Nothing here knows about executors: it works under [`Executor`](crate::Executor),
//! [`LocalExecutor`](crate::LocalExecutor), `block_on`, or any other executor. The cost is
//! two swaps of a thread-local per poll of a scoped future, and nothing for other futures.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: `static NAME: Type;`, any number, each with optional attributes
/// and visibility. See [`LocalKey`] for what to do with one.
///
/// ```
/// executor::task_local! {
///     /// The id of the request being served.
///     static REQUEST_ID: u64;
///     pub static USER: String;
/// }
///
/// let ex = executor::Executor::new();
/// let id = ex.block_on(REQUEST_ID.scope(7, async { REQUEST_ID.with(|id| *id) }));
/// assert_eq!(id, 7);
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $(#[$attr])*
        $vis static $name: $crate::LocalKey<$t> = {
            ::std::thread_local! {
                static SLOT: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::LocalKey::__new(&SLOT)
        };
        $crate::task_local!($($rest)*);
    };
}

/// A task-local key, declared with [`task_local!`](macro@crate::task_local).
///
/// ```
/// executor::task_local! { static DEPTH: u32; }
///
/// assert!(DEPTH.try_with(|d| *d).is_err(), "outside any scope");
/// let ex = executor::LocalExecutor::new();
/// let seen = ex.block_on(DEPTH.scope(1, async {
///     let inner = DEPTH.scope(2, async { DEPTH.with(|d| *d) }).await;
///     (inner, DEPTH.with(|d| *d))
/// }));
/// assert_eq!(seen, (2, 1));
/// ```
pub struct LocalKey<T: 'static> {
    slot: &'static std::thread::LocalKey<RefCell<Option<T>>>,
}

/// Why [`LocalKey::try_with`] found no value: the caller is not inside the key's
/// [`scope`](LocalKey::scope) (or is inside [`with`](LocalKey::with) of the same key, in a
/// scope being entered).
///
/// ```
/// executor::task_local! { static KEY: u8; }
/// let err = KEY.try_with(|_| ()).unwrap_err();
/// assert_eq!(err.to_string(), "task-local value not set: not inside its scope");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessError(());

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set: not inside its scope")
    }
}

impl std::error::Error for AccessError {}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(slot: &'static std::thread::LocalKey<RefCell<Option<T>>>) -> Self {
        LocalKey { slot }
    }

    /// Runs `future` with `value` as this key's value: a future that owns both. `.await` it,
    /// or spawn it (it is `Send` when `T` and the future are).
    ///
    /// ```
    /// executor::task_local! { static NAME: &'static str; }
    ///
    /// let ex = executor::Executor::new();
    /// let h = ex.spawn(NAME.scope("worker", async { NAME.with(|n| n.len()) }));
    /// assert_eq!(ex.block_on(h), 6);
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            value: Some(value),
            future: Some(future),
        }
    }

    /// Calls `f` with this key's value.
    ///
    /// # Panics
    ///
    /// Panics if the caller is not inside the key's [`scope`](LocalKey::scope).
    ///
    /// ```
    /// executor::task_local! { static N: i32; }
    /// let out = block_on::block_on(N.scope(5, async { N.with(|n| n * 2) }));
    /// assert_eq!(out, 10);
    /// ```
    #[track_caller]
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        match self.try_with(f) {
            Ok(r) => r,
            Err(e) => panic!("{e} (LocalKey::with called outside of the key's scope)"),
        }
    }

    /// Calls `f` with this key's value, or returns [`AccessError`] if the caller is not inside
    /// the key's [`scope`](LocalKey::scope).
    ///
    /// ```
    /// executor::task_local! { static N: i32; }
    /// assert!(N.try_with(|n| *n).is_err());
    /// assert_eq!(block_on::block_on(N.scope(1, async { N.try_with(|n| *n) })), Ok(1));
    /// ```
    pub fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, AccessError> {
        self.slot
            .try_with(|slot| {
                let slot = slot.try_borrow().map_err(|_| AccessError(()))?;
                slot.as_ref().map(f).ok_or(AccessError(()))
            })
            .unwrap_or(Err(AccessError(())))
    }

    /// Swaps `value` with the thread's slot for this key.
    ///
    /// # Panics
    ///
    /// Panics if the slot is borrowed by a [`with`](LocalKey::with) of the same key on this
    /// thread (a scope's future polled from inside `with`), or if the thread is exiting.
    fn swap(&'static self, value: &mut Option<T>) {
        self.slot.with(|slot| {
            let mut slot = slot.try_borrow_mut().expect(
                "a task_local scope was entered from inside LocalKey::with of the same key",
            );
            std::mem::swap(&mut *slot, value);
        });
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").finish_non_exhaustive()
    }
}

/// A future run with a task-local value: [`LocalKey::scope`].
///
/// ```
/// executor::task_local! { static K: u8; }
/// let fut: executor::TaskLocalFuture<u8, _> = K.scope(1, async { K.with(|k| *k) });
/// assert_eq!(block_on::block_on(fut), 1);
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct TaskLocalFuture<T: 'static, F> {
    key: &'static LocalKey<T>,
    /// The value, while the future is not being polled (in the thread's slot during a poll).
    value: Option<T>,
    /// `None` once the inner future completed or was dropped.
    future: Option<F>,
}

/// Moves the value back out of the thread's slot when dropped, also while unwinding.
struct Entered<'a, T: 'static> {
    key: &'static LocalKey<T>,
    value: &'a mut Option<T>,
}

impl<'a, T: 'static> Entered<'a, T> {
    fn new(key: &'static LocalKey<T>, value: &'a mut Option<T>) -> Self {
        key.swap(value);
        Entered { key, value }
    }
}

impl<T: 'static> Drop for Entered<'_, T> {
    fn drop(&mut self) {
        self.key.swap(self.value);
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of its `Option`, only
        // polled through a pinned reference here and dropped in place (`= None`, here and in
        // `Drop`). `key` and `value` are not pinned and may be moved freely.
        let this = unsafe { self.get_unchecked_mut() };
        let _entered = Entered::new(this.key, &mut this.value);
        let Some(future) = this.future.as_mut() else {
            panic!("TaskLocalFuture polled after it completed");
        };
        // SAFETY: see above: the future stays where it is until it is dropped in place.
        let polled = unsafe { Pin::new_unchecked(future) }.poll(cx);
        if polled.is_ready() {
            // Dropped in place, with the value still visible to its destructor.
            this.future = None;
        }
        polled
    }
}

impl<T: 'static, F> Drop for TaskLocalFuture<T, F> {
    fn drop(&mut self) {
        if self.future.is_some() {
            // The inner future's destructor sees the value too. If the thread's slot is not
            // usable (the thread is exiting), drop it without the value rather than panic.
            let usable = self.key.slot.try_with(|slot| slot.try_borrow_mut().is_ok());
            if usable == Ok(true) {
                let _entered = Entered::new(self.key, &mut self.value);
                self.future = None;
            } else {
                self.future = None;
            }
        }
    }
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("done", &self.future.is_none())
            .finish_non_exhaustive()
    }
}
