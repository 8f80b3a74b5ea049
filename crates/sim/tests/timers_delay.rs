//! The timers crate's `delay` tests, run again under the simulator: the file is included as
//! is, and its `block_on::block_on` is the one below, which runs the future in a `Sim` (real
//! time is tested where the file lives, in `crates/timers/tests`).

extern crate self as block_on;

/// Runs `future` under a fresh simulator.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    sim::Builder::new().seed(1).build().block_on(future)
}

#[path = "../../timers/tests/delay.rs"]
mod delay;
