//! Helpers for the unit tests beside the private code.

use join_handle::{Runnable, Schedule};

/// A scheduler that drops whatever it is given: for tests that queue runnables by hand.
pub(crate) struct Nothing;

impl Schedule for Nothing {
    fn schedule(&self, _: Runnable) {}
}
