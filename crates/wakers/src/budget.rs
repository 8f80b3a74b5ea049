//! The cooperative budget: how many times a task may find a future ready in one poll before
//! that future makes it yield.
//!
//! A task that loops over futures that are always ready (ticks of an interval that is behind,
//! a sleep whose deadline has passed, handles of finished tasks) never returns `Pending`, so
//! its executor never gets the thread back to run its neighbours. The budget bounds that:
//! an executor [`refill`]s it before each poll of a task; every *charge site* (a leaf future
//! that is about to return `Ready`) calls [`charge`], which spends one unit. Once the units are
//! spent, `charge` wakes the task and returns `Pending`, so the task goes to the back of its
//! run queue and is polled again later, with a fresh budget.
//!
//! # Invariants
//!
//! * **Never `Pending` without a wake.** [`charge`] wakes the context's waker before it
//!   returns `Pending`, and a charge site returns that `Pending` without changing its own
//!   state (it is still ready next time). So whoever polls it, executor or not, always hears
//!   back: the budget can delay a task, never strand it.
//! * **Unconstrained outside an executor's poll.** A thread starts unconstrained, and
//!   [`Scope`] restores what was there before, so code not run by a budgeting executor
//!   (a plain `block_on`, another runtime, a test) never sees a refusal.
//! * **Refusals are bounded.** A caller that re-polls right away instead of returning
//!   (a blocking `block_on` nested inside a task) would otherwise spin on refusals forever,
//!   as the budget is only refilled between polls. After [`REFUSALS`] refusals in one poll
//!   the thread is unconstrained until the next refill: a nested blocking wait costs at most
//!   that many extra polls.
//!
//! The state is one thread-local counter, so a charge costs a thread-local read and write.
//!
//! ```
//! use std::future::Future;
//! use std::pin::pin;
//! use std::task::{Context, Poll};
//! use wakers::{CountingWaker, budget};
//!
//! let counting = CountingWaker::new();
//! let waker = counting.waker();
//! let mut cx = Context::from_waker(&waker);
//! let _scope = budget::Scope::enter();
//! budget::refill();
//! for _ in 0..budget::PER_POLL {
//!     assert!(budget::charge(&mut cx).is_ready());
//! }
//! assert!(budget::charge(&mut cx).is_pending()); // spent: yield...
//! assert_eq!(counting.wakes(), 1); // ...and the task was woken
//! ```

use std::cell::Cell;
use std::task::{Context, Poll};

/// Units per poll: how many ready results one poll of a task may collect before it yields.
/// Large enough that a task doing ordinary work never notices (most polls touch a handful of
/// futures), small enough that a runaway loop gives its neighbours the thread within a few
/// microseconds. tokio picked the same size for the same reasons.
pub const PER_POLL: u32 = 128;

/// Refusals per poll before the thread goes unconstrained until the next refill (see the
/// module doc). A task that returns on its first refusal never gets near it.
pub const REFUSALS: u32 = 16;

/// The counter's value when no executor is budgeting this thread.
const UNCONSTRAINED: u32 = u32::MAX;

thread_local! {
    /// Counts down from `PER_POLL + REFUSALS`: above `REFUSALS` a charge is granted, from
    /// `REFUSALS` down to 1 it is refused, at 0 the thread goes unconstrained.
    static LEFT: Cell<u32> = const { Cell::new(UNCONSTRAINED) };
}

/// Spends one unit of the current task's budget: `Ready` if there was one (or nobody is
/// budgeting this thread), else wakes `cx`'s waker and returns `Pending`.
///
/// A leaf future calls this just before it would return `Ready`, and returns `Pending` itself
/// (without changing its state) when this does.
///
/// ```
/// use std::task::Context;
/// use wakers::budget;
///
/// let waker = wakers::noop_waker();
/// let mut cx = Context::from_waker(&waker);
/// // No executor budgets this thread: always granted.
/// assert!(budget::charge(&mut cx).is_ready());
/// ```
#[inline]
pub fn charge(cx: &mut Context<'_>) -> Poll<()> {
    let granted = LEFT.with(|left| match left.get() {
        UNCONSTRAINED => true,
        0 => {
            // Refused `REFUSALS` times in this poll: someone re-polls without returning.
            left.set(UNCONSTRAINED);
            true
        }
        n => {
            left.set(n - 1);
            n > REFUSALS
        }
    });
    if granted {
        Poll::Ready(())
    } else {
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Polls `poll` under the budget, for a leaf future whose `Ready` cannot be undone (it hands
/// out a value it cannot take back, like a join handle's output): `poll` runs only while
/// units remain, and a `Ready` from it spends one. With the budget spent, wakes `cx`'s waker
/// and returns `Pending` without calling `poll`. Costs one thread-local read before and one
/// write after a `Ready`, and no look at the future's state.
///
/// ```
/// use std::task::{Context, Poll};
/// use wakers::budget;
///
/// let waker = wakers::noop_waker();
/// let mut cx = Context::from_waker(&waker);
/// let _scope = budget::Scope::enter();
/// budget::refill();
/// assert_eq!(budget::poll_charged(&mut cx, |_| Poll::Ready(5)), Poll::Ready(5));
/// assert_eq!(budget::remaining(), Some(budget::PER_POLL - 1));
/// assert_eq!(budget::poll_charged(&mut cx, |_| Poll::<u8>::Pending), Poll::Pending);
/// assert_eq!(budget::remaining(), Some(budget::PER_POLL - 1)); // a Pending costs nothing
/// ```
#[inline]
pub fn poll_charged<T>(
    cx: &mut Context<'_>,
    poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
) -> Poll<T> {
    let left = LEFT.with(Cell::get);
    if left != UNCONSTRAINED && left <= REFUSALS {
        // Spent: a refusal, as `charge` gives it (and the same way out after `REFUSALS`).
        if charge(cx).is_pending() {
            return Poll::Pending;
        }
    }
    let out = poll(cx);
    if out.is_ready() {
        LEFT.with(|l| {
            let n = l.get();
            if n != UNCONSTRAINED && n > REFUSALS {
                l.set(n - 1);
            }
        });
    }
    out
}

/// Gives the current thread a full budget: an executor calls this before each poll of a task,
/// inside a [`Scope`].
///
/// ```
/// use wakers::budget;
///
/// let _scope = budget::Scope::enter();
/// budget::refill();
/// assert_eq!(budget::remaining(), Some(budget::PER_POLL));
/// ```
#[inline]
pub fn refill() {
    LEFT.with(|l| l.set(PER_POLL + REFUSALS));
}

/// The units left in this poll, or `None` if nobody budgets this thread (or the refusals ran
/// out and the thread went unconstrained).
///
/// ```
/// assert_eq!(wakers::budget::remaining(), None);
/// ```
pub fn remaining() -> Option<u32> {
    match LEFT.try_with(Cell::get).unwrap_or(UNCONSTRAINED) {
        UNCONSTRAINED | 0 => None,
        left => Some(left.saturating_sub(REFUSALS)),
    }
}

/// A stretch of code that budgets the current thread: an executor's loop holds one while it
/// polls tasks. Dropping it restores what was there before, so nested loops (an executor's
/// `block_on` inside another's task) give the outer task back its own budget.
///
/// ```
/// use wakers::budget;
///
/// assert_eq!(budget::remaining(), None);
/// {
///     let _scope = budget::Scope::enter();
///     budget::refill();
///     assert!(budget::remaining().is_some());
/// }
/// assert_eq!(budget::remaining(), None);
/// ```
#[derive(Debug)]
pub struct Scope {
    previous: u32,
}

impl Scope {
    /// Starts budgeting this thread (unconstrained until the first [`refill`]).
    ///
    /// ```
    /// let _scope = wakers::budget::Scope::enter();
    /// assert_eq!(wakers::budget::remaining(), None);
    /// ```
    pub fn enter() -> Scope {
        let previous = LEFT
            .try_with(|l| l.replace(UNCONSTRAINED))
            .unwrap_or(UNCONSTRAINED);
        Scope { previous }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let _ = LEFT.try_with(|l| l.set(self.previous));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CountingWaker;

    #[test]
    fn spent_budget_refuses_with_a_wake_then_gives_up() {
        let counting = CountingWaker::new();
        let waker = counting.waker();
        let mut cx = Context::from_waker(&waker);
        let _scope = Scope::enter();
        refill();
        let granted = (0..PER_POLL).filter(|_| charge(&mut cx).is_ready()).count();
        assert_eq!(granted as u32, PER_POLL);
        for i in 0..REFUSALS {
            assert!(charge(&mut cx).is_pending(), "refusal {i}");
        }
        assert_eq!(counting.wakes(), REFUSALS as usize, "every refusal woke");
        // A caller that keeps re-polling is let through rather than spun.
        assert!(charge(&mut cx).is_ready());
        assert!(poll_charged(&mut cx, |_| Poll::Ready(())).is_ready());
        assert_eq!(remaining(), None);
        refill();
        assert_eq!(remaining(), Some(PER_POLL));
    }

    #[test]
    fn poll_charged_refuses_without_polling_once_spent() {
        let counting = CountingWaker::new();
        let waker = counting.waker();
        let mut cx = Context::from_waker(&waker);
        let _scope = Scope::enter();
        refill();
        for _ in 0..PER_POLL {
            assert!(poll_charged(&mut cx, |_| Poll::Ready(())).is_ready());
        }
        let mut polled = false;
        let out = poll_charged(&mut cx, |_| {
            polled = true;
            Poll::Ready(())
        });
        assert!(out.is_pending() && !polled, "spent: refused before polling");
        assert_eq!(counting.wakes(), 1, "and woken");
    }

    #[test]
    fn scopes_nest_and_restore() {
        let waker = crate::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let _outer = Scope::enter();
        refill();
        let _ = charge(&mut cx);
        {
            let _inner = Scope::enter();
            refill();
            assert_eq!(remaining(), Some(PER_POLL));
        }
        assert_eq!(remaining(), Some(PER_POLL - 1));
    }
}
