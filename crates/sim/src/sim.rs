//! [`Builder`] and [`Sim`]: the simulator and its run loop.
//!
//! # One step
//!
//! 1. Stop with a report if a wake came from another thread (see `queue`, invariant 2).
//! 2. Fire every timer whose deadline has come; the wakes of timers due at the same instant
//!    are made in an order the seed picks (FIFO: registration order).
//! 3. Pick one ready entry (the seed's choice, or the oldest under FIFO) and poll it: the root
//!    future, or one task through its `Runnable` (which catches the task's panic).
//! 4. If nothing is ready: move virtual time to the earliest pending deadline and go to 2; if
//!    no timer is pending either, nothing can ever run again: panic with the seed, the step,
//!    the virtual time and the task list (see `report`).
//!
//! Nothing here reads the real clock or a hash of an address: given the seed, the program's
//! own choices are the only input, so a run can be replayed.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use executor::sim::{self as hooks, Simulator};
use join_handle::{Schedule, TaskRef};
use timers::hooks::VirtualClock;

use crate::queue::{Queue, Ready, RootWaker, TaskSchedule};
use crate::report;
use crate::rng::Rng;
use crate::trace::{Event, Trace};

/// How the simulator picks the next ready task.
///
/// ```
/// use sim::{Builder, Strategy};
///
/// let sim = Builder::new().strategy(Strategy::Fifo).build();
/// assert_eq!(sim.block_on(async { 1 }), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Strategy {
    /// A ready task chosen by the seeded generator at every step; timers due at the same
    /// instant wake in a seeded order. Different seeds explore different interleavings.
    #[default]
    Random,
    /// The oldest ready task first, timers in registration order: what a plain FIFO executor
    /// does. The seed changes nothing. Useful as the "it works on my machine" baseline.
    Fifo,
}

/// Configures a [`Sim`].
///
/// ```
/// let sim = sim::Builder::new().seed(42).build();
/// assert_eq!(sim.seed(), 42);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    seed: u64,
    strategy: Strategy,
}

impl Builder {
    /// Seed 0, [`Strategy::Random`].
    ///
    /// ```
    /// assert_eq!(sim::Builder::new().build().seed(), 0);
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The seed of every choice the simulator makes.
    ///
    /// ```
    /// let sim = sim::Builder::new().seed(7).build();
    /// assert_eq!(sim.seed(), 7);
    /// ```
    pub fn seed(self, seed: u64) -> Builder {
        Builder { seed, ..self }
    }

    /// How the next task is picked (default: [`Strategy::Random`]).
    ///
    /// ```
    /// let sim = sim::Builder::new().strategy(sim::Strategy::Fifo).build();
    /// assert_eq!(sim.block_on(async { "fifo" }), "fifo");
    /// ```
    pub fn strategy(self, strategy: Strategy) -> Builder {
        Builder { strategy, ..self }
    }

    /// Makes the simulator, on the calling thread, at virtual time zero.
    ///
    /// ```
    /// let sim = sim::Builder::new().build();
    /// assert_eq!(sim.elapsed(), std::time::Duration::ZERO);
    /// ```
    pub fn build(self) -> Sim {
        Sim {
            inner: Rc::new(Inner {
                seed: self.seed,
                strategy: self.strategy,
                queue: Arc::new(Queue::new()),
                clock: Rc::new(VirtualClock::new()),
                state: RefCell::new(State {
                    rng: Rng::new(self.seed),
                    trace: Trace::default(),
                    step: 0,
                    next_id: 1,
                    tasks: Vec::new(),
                }),
            }),
            _one_thread: PhantomData,
        }
    }
}

/// A single-threaded deterministic simulator: seeded scheduling and virtual time.
///
/// Inside [`block_on`](Sim::block_on), `executor::spawn`, `executor::spawn_local` and
/// `executor::yield_now` go to the simulator, and every `timers` future runs on virtual time
/// (`timers::now()` is the simulator's clock, and no timer-driver thread is started). Same
/// seed and same program give the same schedule, the same timer order, the same result and
/// the same [`trace_hash`](Sim::trace_hash).
///
/// ```
/// use std::time::Duration;
///
/// let sim = sim::Builder::new().seed(1).build();
/// let answer = sim.block_on(async {
///     let task = executor::spawn(async {
///         timers::sleep(Duration::from_secs(3600)).await; // an hour, in no time
///         42
///     });
///     task.await
/// });
/// assert_eq!(answer, 42);
/// assert_eq!(sim.elapsed(), Duration::from_secs(3600));
/// ```
///
/// Make timers inside the simulation: one made before (`sim.block_on(timers::sleep(d))`
/// builds the sleep before `block_on` starts) measures `d` from the real clock, a little
/// after the simulator's virtual time zero.
///
/// Tasks still alive when the `Sim` is dropped are cancelled then: their futures are dropped,
/// and their handles report a cancellation.
pub struct Sim {
    inner: Rc<Inner>,
    _one_thread: PhantomData<Rc<()>>,
}

struct Inner {
    seed: u64,
    strategy: Strategy,
    queue: Arc<Queue>,
    clock: Rc<VirtualClock>,
    /// Never borrowed while user code runs (a task may spawn, which borrows it).
    state: RefCell<State>,
}

struct State {
    rng: Rng,
    trace: Trace,
    step: u64,
    next_id: u64,
    /// Tasks that may be alive, by id (ascending).
    tasks: Vec<TaskRecord>,
}

/// What the simulator knows of a task, for the deadlock report and for teardown.
pub(crate) struct TaskRecord {
    /// The simulator's own numbering (1, 2, ... per run): unlike a `TaskId`, which counts
    /// every task of the process, it is the same in every run of a seed.
    pub(crate) id: u64,
    /// Known from its first poll on (before that, its runnable sits in the queue). Its
    /// snapshot gives the task's id, name, spawn location and state for the reports.
    pub(crate) task: Option<TaskRef>,
}

impl TaskRecord {
    pub(crate) fn is_finished(&self) -> bool {
        self.task.as_ref().is_some_and(TaskRef::is_complete)
    }
}

impl Simulator for Inner {
    fn task(&self) -> Arc<dyn Schedule> {
        let mut state = self.state.borrow_mut();
        let id = state.next_id;
        state.next_id += 1;
        state.tasks.push(TaskRecord { id, task: None });
        Arc::new(TaskSchedule {
            queue: self.queue.clone(),
            id,
        })
    }
}

impl Sim {
    /// Runs `future` to completion under the simulator, with the tasks it spawns.
    ///
    /// # Panics
    ///
    /// * If nothing can ever run again (no task ready, no timer pending) before `future`
    ///   completes: "all tasks are blocked forever", with the seed, the step, the virtual time
    ///   and the tasks still alive.
    /// * If a task or the root future is woken from another thread (a thread the program
    ///   spawned, real I/O, the real timer driver): such a wake comes at a moment the seed does
    ///   not decide, so the run could not be replayed.
    /// * If `future` panics (a task's panic goes to its `JoinHandle`, as on any executor).
    ///
    /// ```
    /// let sim = sim::Builder::new().seed(3).build();
    /// let sum = sim.block_on(async {
    ///     let a = executor::spawn(async { 1 });
    ///     let b = executor::spawn_local(async { 2 });
    ///     a.await + b.await
    /// });
    /// assert_eq!(sum, 3);
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let inner = &self.inner;
        let _clock = inner.clock.enter();
        let _spawns = hooks::enter(inner.clone());
        let waker = Waker::from(Arc::new(RootWaker(inner.queue.clone())));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        inner.queue.push_root();
        loop {
            inner.check_foreign();
            inner.fire_due();
            let Some(ready) = inner.pick() else {
                inner.advance();
                continue;
            };
            match ready {
                Ready::Root => {
                    inner.record(Event::PollRoot, 0);
                    if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                        return output;
                    }
                }
                Ready::Task(id, runnable) => {
                    inner.record(Event::PollTask, id);
                    let index = inner.note_poll(id, &runnable);
                    runnable.run();
                    inner.forget_if_finished(index);
                }
            }
        }
    }

    /// Makes this simulator current on this thread until the guard drops, without running
    /// anything: `timers::now()` reads its virtual clock, timers made and polled meanwhile
    /// register with it, and `executor::spawn` queues tasks on it (they run in the next
    /// [`block_on`](Sim::block_on)). Useful to measure virtual time around a `block_on`, or to
    /// set things up before it.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let sim = sim::Builder::new().build();
    /// let _entered = sim.enter();
    /// let start = timers::now();
    /// let task = executor::spawn(timers::sleep(Duration::from_secs(5)));
    /// sim.block_on(task);
    /// assert_eq!(timers::now() - start, Duration::from_secs(5));
    /// ```
    pub fn enter(&self) -> Entered<'_> {
        Entered {
            _clock: self.inner.clock.enter(),
            _spawns: hooks::enter(self.inner.clone()),
            _sim: PhantomData,
        }
    }

    /// Virtual time since [`Builder::build`].
    ///
    /// ```
    /// let sim = sim::Builder::new().build();
    /// sim.block_on(async { timers::sleep(std::time::Duration::from_secs(60)).await });
    /// assert_eq!(sim.elapsed(), std::time::Duration::from_secs(60));
    /// ```
    pub fn elapsed(&self) -> Duration {
        self.inner.clock.elapsed()
    }

    /// A hash of every decision so far: which thing was polled at each step, and every move
    /// of virtual time and timer firing. Same seed and same program give the same hash;
    /// a different one means the run went differently.
    ///
    /// ```
    /// let run = |seed| {
    ///     let sim = sim::Builder::new().seed(seed).build();
    ///     sim.block_on(async {
    ///         for _ in 0..3 {
    ///             executor::spawn(executor::yield_now());
    ///         }
    ///         executor::yield_now().await;
    ///     });
    ///     sim.trace_hash()
    /// };
    /// assert_eq!(run(5), run(5));
    /// ```
    pub fn trace_hash(&self) -> u64 {
        self.inner.state.borrow().trace.hash()
    }

    /// The seed given to [`Builder::seed`].
    ///
    /// ```
    /// assert_eq!(sim::Builder::new().seed(9).build().seed(), 9);
    /// ```
    pub fn seed(&self) -> u64 {
        self.inner.seed
    }

    /// How many polls the simulator has made so far (of tasks and of root futures).
    ///
    /// ```
    /// let sim = sim::Builder::new().build();
    /// sim.block_on(async {});
    /// assert_eq!(sim.steps(), 1);
    /// ```
    pub fn steps(&self) -> u64 {
        self.inner.state.borrow().step
    }
}

/// Keeps a [`Sim`] current on its thread; see [`Sim::enter`].
///
/// ```
/// let sim = sim::Builder::new().build();
/// let entered = sim.enter();
/// assert_eq!(timers::now() - timers::now(), std::time::Duration::ZERO); // time stands still
/// drop(entered);
/// ```
#[must_use = "the simulator is left as soon as the guard drops"]
pub struct Entered<'a> {
    _clock: timers::hooks::ClockGuard,
    _spawns: hooks::SimulatorGuard,
    _sim: PhantomData<&'a Sim>,
}

impl fmt::Debug for Entered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entered").finish_non_exhaustive()
    }
}

impl Inner {
    fn record(&self, event: Event, value: u64) {
        let mut state = self.state.borrow_mut();
        if matches!(event, Event::PollRoot | Event::PollTask) {
            state.step += 1;
        }
        state.trace.record(event, value);
    }

    fn pick(&self) -> Option<Ready> {
        match self.strategy {
            Strategy::Fifo => self.queue.take(None),
            Strategy::Random => {
                let mut state = self.state.borrow_mut();
                self.queue.take(Some(&mut |len| state.rng.below(len)))
            }
        }
    }

    /// Fires the due timers and wakes their tasks (with no borrow held: a waker may be
    /// anyone's code).
    fn fire_due(&self) {
        let mut fired = self.clock.fire_due();
        if fired.is_empty() {
            return;
        }
        {
            let mut state = self.state.borrow_mut();
            if self.strategy == Strategy::Random {
                // Ties between equal deadlines are the seed's to break.
                for tie in fired.chunk_by_mut(|a, b| a.0 == b.0) {
                    state.rng.shuffle(tie);
                }
            }
            for (deadline, _) in &fired {
                state.trace.record(Event::Fire, duration_ns(*deadline));
            }
        }
        for (_, waker) in fired {
            waker.wake();
        }
    }

    /// Nothing is ready: move time to the next deadline, or report the deadlock.
    fn advance(&self) {
        match self.clock.advance_to_next() {
            Some(now) => self.record(Event::Advance, duration_ns(now)),
            None => self.deadlock(),
        }
    }

    fn check_foreign(&self) {
        if let Some(foreign) = self.queue.take_foreign() {
            let state = self.state.borrow();
            let message = report::foreign_wake(
                self.seed,
                state.step,
                self.clock.elapsed(),
                &foreign,
                &state.tasks,
            );
            drop(state);
            panic!("{message}");
        }
    }

    #[cold]
    fn deadlock(&self) -> ! {
        let state = self.state.borrow();
        let message = report::deadlock(self.seed, state.step, self.clock.elapsed(), &state.tasks);
        drop(state);
        panic!("{message}");
    }

    /// Notes the task behind a poll of task `id`; returns its index in `tasks`.
    fn note_poll(&self, id: u64, runnable: &join_handle::Runnable) -> Option<usize> {
        let mut state = self.state.borrow_mut();
        let index = state.tasks.binary_search_by_key(&id, |t| t.id).ok()?;
        state.tasks[index]
            .task
            .get_or_insert_with(|| runnable.task_ref());
        Some(index)
    }

    fn forget_if_finished(&self, index: Option<usize>) {
        let Some(index) = index else { return };
        let mut state = self.state.borrow_mut();
        if state.tasks.get(index).is_some_and(TaskRecord::is_finished) {
            state.tasks.remove(index);
        }
    }

    /// Cancels every task still alive (their futures are dropped on this thread, with the
    /// simulator entered so that what they drop or spawn meanwhile stays here).
    fn shutdown(self: &Rc<Self>) {
        let _clock = self.clock.enter();
        let _spawns = hooks::enter(self.clone());
        loop {
            let queued = self.queue.drain();
            let tasks: Vec<TaskRef> = {
                let mut state = self.state.borrow_mut();
                std::mem::take(&mut state.tasks)
                    .into_iter()
                    .filter_map(|t| t.task)
                    .collect()
            };
            if queued.is_empty() && tasks.is_empty() {
                break;
            }
            for ready in queued {
                if let Ready::Task(_, runnable) = ready {
                    runnable.shutdown();
                }
            }
            for task in tasks {
                task.shutdown();
            }
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.inner.shutdown();
    }
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.state.borrow();
        f.debug_struct("Sim")
            .field("seed", &self.inner.seed)
            .field("strategy", &self.inner.strategy)
            .field("step", &state.step)
            .field("elapsed", &self.inner.clock.elapsed())
            .field("tasks", &state.tasks.len())
            .finish()
    }
}

fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
