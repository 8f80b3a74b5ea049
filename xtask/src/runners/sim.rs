//! `cargo xtask verify --sim`: the lesson exercises whose futures can be simulated, run under
//! the `sim` crate's simulator on virtual time.
//!
//! Exercises 5.2 (countdowns on an executor), 5.3 (a 2 s `DelayFuture`) and 5.4 (three
//! concurrent delays) run their usual `measure` code with a [`Sim`] behind the [`BlockOn`] and
//! [`Spawner`] traits, in FIFO order (the lessons' executor's order), and with the simulator
//! entered around the measurement, so `timers::now()` and the timers read its virtual clock:
//! a 2 s delay measures exactly 2 s and takes milliseconds. The other exercises are about real
//! threads (parking between wakes from a helper thread, worker threads) and run as usual.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use sim::{Builder, Sim, Strategy};

use crate::measure::Measurements;

use super::lesson05::{ex2_executor, ex3_delay, ex4_concurrent};
use super::{BlockOn, Ctx, Runner, Spawner, Task, ours};

thread_local! {
    /// The simulator of the exercise running on this thread.
    static CURRENT: RefCell<Option<Rc<Sim>>> = const { RefCell::new(None) };
}

/// The runners `--sim` replaces, by registry key.
pub fn runners() -> [(&'static str, Runner); 3] {
    [
        ("lesson05.executor_countdowns", executor_countdowns),
        ("lesson05.delay_block_on", delay_block_on),
        ("lesson05.concurrent_delays", concurrent_delays),
    ]
}

/// Runs `f` with a fresh FIFO simulator current (and entered) on this thread.
fn simulated<T>(f: impl FnOnce(&Rc<Sim>) -> T) -> T {
    let sim = Rc::new(Builder::new().strategy(Strategy::Fifo).build());
    let _entered = sim.enter();
    CURRENT.with(|c| *c.borrow_mut() = Some(sim.clone()));
    let out = f(&sim);
    CURRENT.with(|c| c.borrow_mut().take());
    out
}

/// [`BlockOn`] through the simulator current on this thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimBlockOn;

impl BlockOn for SimBlockOn {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let sim = CURRENT
            .with(|c| c.borrow().clone())
            .expect("SimBlockOn used outside `simulated`");
        sim.block_on(future)
    }
}

/// [`Spawner`] on a simulator: `spawn_task` queues on it, `run` drives it until every task
/// spawned so far has completed.
pub struct SimSpawner {
    sim: Rc<Sim>,
    tasks: RefCell<Vec<executor::JoinHandle<()>>>,
}

impl Spawner for SimSpawner {
    fn spawn_task(&self, task: Task) {
        // The simulator is entered on this thread: the free `spawn` goes to it.
        self.tasks.borrow_mut().push(executor::spawn(task));
    }

    fn run(&self) {
        let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        self.sim.block_on(async {
            for task in tasks {
                task.await;
            }
        });
    }
}

impl std::fmt::Debug for SimSpawner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimSpawner").finish_non_exhaustive()
    }
}

fn spawner(sim: &Rc<Sim>) -> SimSpawner {
    SimSpawner {
        sim: sim.clone(),
        tasks: RefCell::default(),
    }
}

/// Exercise 5.2 under the simulator.
pub fn executor_countdowns(ctx: &Ctx) -> Measurements {
    simulated(|sim| ex2_executor::measure(&spawner(sim), ctx))
}

/// Exercise 5.3 under the simulator.
pub fn delay_block_on(ctx: &Ctx) -> Measurements {
    simulated(|_| ex3_delay::measure(&SimBlockOn, ours::delay, ctx))
}

/// Exercise 5.4 under the simulator.
pub fn concurrent_delays(ctx: &Ctx) -> Measurements {
    simulated(|sim| ex4_concurrent::measure(&spawner(sim), ours::delay, ctx))
}
