//! Deliberately broken implementations, for proving that verify catches them.
//!
//! Each one gets some part of lesson 5 wrong in a way a learner might. Every check of the
//! shipped specs names, in its `proved_by` field, the broken implementation that turns it
//! FAIL; `xtask/tests/broken.rs` runs each against the real measuring code and asserts it.
//! None of these is used by `cargo xtask verify` itself.

pub mod block_on;
pub mod executor;
pub mod join;

pub use block_on::{BusyBlockOn, NoopWakerBlockOn, PeriodicBlockOn, SpinBlockOn};
pub use executor::{Flaws, PollEverythingExecutor, QueueExecutor, SequentialExecutor};
pub use join::{BusyJoinHandle, NeverWokenJoinHandle, PollingJoinHandle};
