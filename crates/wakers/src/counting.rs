//! [`CountingWaker`]: a waker that records how often it was woken.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Wake, Waker};

/// Counts the wakes of the wakers it hands out: for tests and for the lessons.
///
/// Every waker from [`CountingWaker::waker`] (and every clone of one) adds to the same count.
/// Both `wake` and `wake_by_ref` count; cloning and dropping do not.
///
/// ```
/// let counter = wakers::CountingWaker::new();
/// let waker = counter.waker();
/// waker.wake_by_ref();
/// waker.clone().wake();
/// assert_eq!(counter.wakes(), 2);
/// ```
#[derive(Clone, Default)]
pub struct CountingWaker {
    count: Arc<Count>,
}

#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    /// Creates a counter at zero.
    ///
    /// ```
    /// assert_eq!(wakers::CountingWaker::new().wakes(), 0);
    /// ```
    pub fn new() -> CountingWaker {
        CountingWaker::default()
    }

    /// Returns a waker that adds one to this counter each time it is woken.
    ///
    /// ```
    /// let counter = wakers::CountingWaker::new();
    /// counter.waker().wake();
    /// assert_eq!(counter.wakes(), 1);
    /// ```
    pub fn waker(&self) -> Waker {
        Waker::from(self.count.clone())
    }

    /// The number of `wake` and `wake_by_ref` calls so far, on every waker of this counter.
    ///
    /// ```
    /// let counter = wakers::CountingWaker::new();
    /// let waker = counter.waker();
    /// (0..3).for_each(|_| waker.wake_by_ref());
    /// assert_eq!(counter.wakes(), 3);
    /// ```
    pub fn wakes(&self) -> usize {
        self.count.0.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for CountingWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CountingWaker")
            .field("wakes", &self.wakes())
            .finish()
    }
}
