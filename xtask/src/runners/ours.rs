//! Our crates behind the runners' traits.

use std::future::Future;

use super::{BlockOn, Join, Joined, Spawner, Task};

/// `block_on::block_on`, the lesson's exercise 1.
#[derive(Debug, Clone, Copy, Default)]
pub struct OurBlockOn;

impl BlockOn for OurBlockOn {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        block_on::block_on(future)
    }
}

/// `executor::Executor::new()`: no threads of its own, driven by [`Spawner::run`].
#[derive(Debug, Default)]
pub struct OurExecutor(pub executor::Executor);

impl Spawner for OurExecutor {
    fn spawn_task(&self, task: Task) {
        // Dropping the handle detaches the task; `run` still drives it to completion.
        drop(self.0.spawn(task));
    }

    fn run(&self) {
        self.0.run();
    }
}

/// Our `JoinHandle`, awaited as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct OurJoin;

impl Join for OurJoin {
    fn join(&self, handle: executor::JoinHandle<i64>) -> Joined {
        Box::pin(handle)
    }
}

/// The lesson's `DelayFuture`, from `timers`.
pub fn delay(d: std::time::Duration, message: String) -> timers::DelayFuture {
    timers::DelayFuture::new(d, message)
}
