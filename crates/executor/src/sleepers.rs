//! [`Sleepers`]: the runner threads that found no work and parked, and how to wake one.
//!
//! # The no-lost-wake-up argument
//!
//! A runner that is about to sleep (1) adds itself to the list, (2) issues a `SeqCst` fence,
//! (3) looks at the run queues once more, and parks only if there is nothing to take. A thread
//! that queues a task (a) pushes it, (b) issues a `SeqCst` fence, (c) reads the sleeper count,
//! and wakes one sleeper if it is not zero. The two fences are totally ordered, so either the
//! pusher sees the sleeper in (c), or the sleeper sees the task in (3). Either way the task is
//! not stranded while a runner sleeps.
//!
//! `notify_one` removes the sleeper it wakes from the list, so a wake never reaches a runner
//! that is already busy. A runner woken for another reason (its own parker token) removes
//! itself.
//!
//! # Lone tasks and the watcher
//!
//! A task woken or spawned on a runner's thread goes to that runner's local queue, and the
//! runner, awake, takes it back soon: in a chain of spawns or a ping-pong nearly every push is
//! such a *lone* task (the queue holds it alone). Waking a sleeper for it would cost a system
//! call on the pusher's path and two context switches, for a runner that finds nothing or
//! steals the task and starts a cross-thread ping-pong. But the pushing runner may block or
//! compute for long in the poll that pushed, and the task must not wait behind it unbounded.
//! So a lone task is left to a *watcher*: a sleeper that parks for at most
//! [`WATCH_INTERVAL`] at a time while another runner's queue holds a task or another runner
//! is taking tasks, and when it wakes steals a lone task only if its owner took no task over
//! the whole interval (its progress did not move). The steps around (3) become:
//!
//! 3. After (2) the runner counts itself in `watchers` (a `SeqCst` read-modify-write), then
//!    looks. Work it may take at once (the injector, its own queue, a queue of two or more):
//!    it leaves `watchers` and does not park. Lone tasks in other queues, or other runners
//!    that took tasks since its previous look (or woke it with a lone task's push): it parks
//!    as a watcher, for at most [`WATCH_INTERVAL`], and leaves `watchers` when it wakes. A
//!    runner alone, or one woken from outside (the injector), does not watch. Nothing:
//!    it leaves `watchers` (again a `SeqCst` read-modify-write, then a `SeqCst` fence),
//!    looks once more, and parks without a timeout only if there is still nothing.
//!
//! A push onto the pusher's own queue (a) updates the queue's tail with a `SeqCst`
//! read-modify-write, then (c) reads the sleeper count and `watchers` (`SeqCst`). If the
//! queue now holds two tasks or more, it wakes a sleeper as before. If it holds only this
//! one, it wakes one only if `watchers` is zero. In the single total order of `SeqCst`
//! operations, a pusher that reads `watchers` non-zero read it after some runner W counted
//! itself and before W left; so its push precedes W's leaving, and W's look after leaving (or
//! W's first look, if W's count came after the push) sees the task, or W is still parked as
//! a watcher and will look within [`WATCH_INTERVAL`]. A pusher that reads zero finds every
//! runner that counted itself gone again and wakes a sleeper as in (c) (a registered runner
//! is counted in the sleeper count before it counts in `watchers`).
//!
//! A watcher takes a lone task only if the task's owner has not moved since the look before
//! a watch that ran its full interval, or since a look at least [`WATCH_INTERVAL`] ago (so
//! that pushes or events that keep waking the watcher early do not keep the task waiting), so
//! a busy owner keeps its task (and a message-passing pair stays on one thread). A task behind
//! an owner that blocks is taken within two [`WATCH_INTERVAL`]s plus the wake-up latencies. Watching goes on while other runners take
//! tasks (they may queue a lone task any moment, and a sleeper parked without a timeout would
//! need a system call to come back); once no runner has taken a task and no queue has held
//! one for a whole interval, the watcher parks without a timeout, and an idle executor has no
//! thread that wakes.
//!
//! # The next slot
//!
//! A runner's local queue holds, next to its ring, a slot for one task: the first task the
//! poll of a task wakes, which the runner takes next
//! ([`LocalQueue`](crate::injector::LocalQueue), "The next slot"). For this argument the
//! slot is part of the queue: a push into it sets its state with a `SeqCst`
//! read-modify-write, as a push onto the ring updates its tail, and is followed by (c) with
//! the queue's length counting the slot; a look (3) reads the slot's state with a `SeqCst`
//! load ([`NextSlot`](crate::next_slot::NextSlot)), and
//! thieves take its task (after the ring's). So a task in a slot is a queued task like any
//! other: one behind an owner that blocks is left to a watcher if it is alone, and wakes a
//! sleeper otherwise. When the owner has taken enough slot tasks in a row it moves the slot's
//! task to the tail of its ring (`Shared::requeue`): between the pop and the push the task
//! is in neither place, and a sleeper that looks then finds nothing and may park without a
//! timeout. So the move ends as a push does, with (c): its `SeqCst` push onto the ring comes
//! after that look in the total order, and (c) then sees the sleeper counted.
//!
//! # Sleeping in the idle driver
//!
//! Where an idle driver (the I/O reactor, [`wakers::idle`]) is installed, a runner sleeps in
//! it rather than on its parker when no other thread does ([`crate::idle`]). The list above
//! holds each runner's [`RunnerUnparker`], and the argument goes on:
//!
//! 4. After step (3) found nothing, the sleeping runner sets its `in_driver` flag and issues
//!    a `SeqCst` fence.
//! 5. It takes the driver's right to wait, issues a `SeqCst` fence and looks at its parker's
//!    token (consuming it if set) and at its own queue; it blocks in the driver only if
//!    there is no token and its queue is empty. (The driver's timer round runs before this
//!    look, on this thread: a timer it fires for one of this runner's tasks queues the task
//!    here, and that lone push may wake another runner, or nobody while one watches.) If another
//!    thread holds the right, it parks on its parker instead, as without a driver.
//! 6. Whoever wakes it (step (c)'s `notify_one`, `notify_all`, `block_on`'s own waker) sets
//!    the parker's token first, then issues a `SeqCst` fence,
//! 7. and reads `in_driver`: if set, it calls the driver's `wake`, which ends the current
//!    wait, or the next one if it has not started.
//!
//! The fences of (4) and (6) are totally ordered: either the waker sees `in_driver` and wakes
//! the driver, or the runner's look in (5) sees the token. A parked runner is woken by the
//! token alone. A `wake` that the driver coalesced with an earlier one whose wait has already
//! returned is covered by (5) too: the driver clears its coalescing flag with a swap (which
//! reads the waker's swap) after that wait and before it lets go of the right, so the
//! waker's token happens before the runner's look, made after it took the right (the
//! driver's invariant 6, `reactor/src/driver.rs`). A watcher's wait in the driver is the
//! same wait with a timeout.
//!
//! # One wake-up at a time
//!
//! Waking a parked thread is a system call on the pusher's path, and a burst of pushes would
//! pay it once per task. So `notified` is set while a woken runner has not yet come back to
//! look at the queue, and pushes made meanwhile wake nobody: that runner will find their
//! tasks. It clears `notified` as soon as it is back (before it looks at the queue, with a
//! `SeqCst` fence, so the argument above still holds for every push after the clear), and it
//! passes the wake-up on ([`Sleepers::notify_one`] again) if it finds more than one task, so
//! a batch still spreads over every sleeping runner, one wake-up at a time.

use std::time::Duration;

use crate::idle::RunnerUnparker;
use crate::sync::{AtomicBool, AtomicUsize, Mutex, Ordering, fence};

/// How long a lone task may wait behind a runner that blocks or computes before a watcher
/// takes it (plus a scheduler tick for the watcher's wake-up): the bound of the guarantee.
/// Short next to latencies users notice; long enough that a watcher's periodic wake-up (a few
/// µs of CPU, only while some runner holds a queued task) costs well under 1 % of a core.
pub(crate) const WATCH_INTERVAL: Duration = Duration::from_millis(1);

/// What a runner about to sleep found in the run queues (step 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Look {
    /// Something to take at once (or the runner has another reason not to sleep).
    Work,
    /// Lone tasks in other runners' queues, or runners that took tasks since the last look
    /// (they may queue lone tasks at any moment): worth a watch.
    Watch,
    /// Nothing.
    Empty,
}

/// Who woke a runner, as [`Sleepers::leave`] tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Woken {
    /// Not a push: its own token, a timeout, the driver.
    Other,
    /// A push to the injector, or of a task that was not alone in its queue.
    Push,
    /// A lone task's push onto a runner's own queue: that runner is active.
    LonePush,
}

/// How a registered runner sleeps, decided by [`Sleepers::decide`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Park {
    /// Not at all: there is work.
    No,
    /// As a watcher, for at most [`WATCH_INTERVAL`]; then [`Sleepers::stop_watching`].
    Watch,
    /// Until woken.
    Indefinitely,
}

#[derive(Debug, Default)]
pub(crate) struct Sleepers {
    /// The length of `list`, readable without the lock.
    count: AtomicUsize,
    list: Mutex<Vec<(usize, RunnerUnparker)>>,
    /// A runner was woken by `notify_one` and is not back yet.
    notified: AtomicBool,
    /// The push that woke that runner queued a lone task on its runner's own queue.
    lone_wake: AtomicBool,
    /// Runners between their count and their leave in step (3): deciding, or parked as
    /// watchers. A lone push wakes nobody while it is not zero.
    watchers: AtomicUsize,
    next_id: AtomicUsize,
    /// Sleepers woken by a push (tests count them).
    #[cfg(all(test, not(loom)))]
    pub(crate) wakes: std::sync::atomic::AtomicUsize,
    /// Watches decided (tests count them).
    #[cfg(all(test, not(loom)))]
    pub(crate) watches: std::sync::atomic::AtomicUsize,
}

impl Sleepers {
    /// A fresh id for a runner, to find its own entry again.
    pub(crate) fn new_id(&self) -> usize {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Step (1) and (2): list the runner as asleep. The caller then re-checks for work.
    pub(crate) fn register(&self, id: usize, unparker: RunnerUnparker) {
        let mut list = self.list.lock();
        list.push((id, unparker));
        self.count.store(list.len(), Ordering::SeqCst);
        drop(list);
        fence(Ordering::SeqCst);
    }

    /// [`leave`](Sleepers::leave), telling only whether a notifier woke us (tests).
    #[cfg(test)]
    pub(crate) fn unregister(&self, id: usize) -> bool {
        self.leave(id) != Woken::Other
    }

    /// The runner is awake again: removes its entry, or, if a notifier already took it,
    /// clears `notified` so that the next push may wake another runner. Returns what woke
    /// us: a push (telling also whether it was a lone task's on a runner's own queue, whose
    /// runner is active: worth a watch) or something else. The caller then looks at the
    /// queue.
    pub(crate) fn leave(&self, id: usize) -> Woken {
        let mut list = self.list.lock();
        if let Some(pos) = list.iter().position(|(i, _)| *i == id) {
            list.swap_remove(pos);
            self.count.store(list.len(), Ordering::SeqCst);
            return Woken::Other;
        }
        drop(list);
        // Written by the notifier that set `notified` (before it woke us), and by no other
        // until we clear `notified`: it is ours to read. (A runner that `notify_all` took
        // reads and clears another's: that costs at most one extra wake-up, or a watch after
        // a `LonePush` that was not ours, and loses none.)
        let lone = self.lone_wake.load(Ordering::Relaxed);
        self.notified.store(false, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if lone { Woken::LonePush } else { Woken::Push }
    }

    /// Steps (b) and (c): after queueing work, wake one sleeping runner if there is one and
    /// no other woken runner is on its way.
    #[inline]
    pub(crate) fn notify_one(&self) {
        fence(Ordering::SeqCst);
        if self.count.load(Ordering::Relaxed) == 0 || self.notified.load(Ordering::SeqCst) {
            return;
        }
        self.notify_one_slow(false);
    }

    /// Step (3) for a registered runner: counts it as a watcher, looks (`look`, which may run
    /// twice), and says how to park. After [`Park::Watch`] the caller must call
    /// [`stop_watching`](Sleepers::stop_watching) once it is awake.
    pub(crate) fn decide(&self, mut look: impl FnMut() -> Look) -> Park {
        self.watchers.fetch_add(1, Ordering::SeqCst);
        match look() {
            Look::Watch => {
                #[cfg(all(test, not(loom)))]
                self.watches
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Park::Watch
            }
            Look::Work => {
                self.watchers.fetch_sub(1, Ordering::SeqCst);
                Park::No
            }
            Look::Empty => {
                self.watchers.fetch_sub(1, Ordering::SeqCst);
                // A lone push that saw us counted skipped its wake-up: look again. (The fence
                // adds nothing to the `SeqCst` read-modify-write in the C++ model; it is what
                // loom, which treats `SeqCst` accesses as `AcqRel`, can check.)
                fence(Ordering::SeqCst);
                match look() {
                    Look::Empty => Park::Indefinitely,
                    Look::Work | Look::Watch => Park::No,
                }
            }
        }
    }

    /// A watcher is awake again (after [`Park::Watch`]).
    pub(crate) fn stop_watching(&self) {
        self.watchers.fetch_sub(1, Ordering::SeqCst);
    }

    /// Steps (b) and (c) for a task pushed onto the pusher's own local queue, which now holds
    /// `queued()` tasks: wakes a sleeper if two or more wait, or if one does and nobody
    /// watches. No fence: the queue's push updates its tail with a `SeqCst`
    /// read-modify-write, which stands for (b) (see [`LocalQueue`](crate::injector::LocalQueue)):
    /// it and the `SeqCst` loads of (c) are in the single total order of `SeqCst` operations,
    /// as are the sleeper's fence (2), its count in `watchers` (3) and its `SeqCst` looks at
    /// the queues' ends. On x86 and ARMv8 a `SeqCst` load costs what a relaxed one does, so
    /// this costs nothing while no runner sleeps.
    #[inline]
    pub(crate) fn notify_local(&self, queued: impl FnOnce() -> usize) {
        if self.count.load(Ordering::SeqCst) == 0 || self.notified.load(Ordering::SeqCst) {
            return;
        }
        let lone = queued() < 2;
        if lone && self.watchers.load(Ordering::SeqCst) != 0 {
            return;
        }
        self.notify_one_slow(lone);
    }

    #[cold]
    fn notify_one_slow(&self, lone: bool) {
        if self.notified.swap(true, Ordering::SeqCst) {
            return;
        }
        // Ours to write until the runner we wake clears `notified` (see `leave`).
        self.lone_wake.store(lone, Ordering::Relaxed);
        let mut list = self.list.lock();
        let woken = list.pop();
        self.count.store(list.len(), Ordering::SeqCst);
        drop(list);
        match woken {
            Some((_, unparker)) => {
                #[cfg(all(test, not(loom)))]
                self.wakes
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                unparker.unpark();
            }
            // The sleeper left on its own meanwhile: nobody is on the way.
            None => {
                self.notified.store(false, Ordering::SeqCst);
                // A runner may have registered after our pop, and a push in between may have
                // skipped its wake-up because of us: look again.
                fence(Ordering::SeqCst);
                if self.count.load(Ordering::Relaxed) != 0 {
                    self.notify_one_slow(lone);
                }
            }
        }
    }

    /// Wakes every sleeping runner: the last task finished, or the executor is shutting down.
    pub(crate) fn notify_all(&self) {
        fence(Ordering::SeqCst);
        // Step (c) for every sleeper: a runner that registered before our fence is counted
        // here; one that registers after it sees our change on its own re-check (3).
        if self.count.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut list = self.list.lock();
        let woken = std::mem::take(&mut *list);
        self.count.store(0, Ordering::SeqCst);
        drop(list);
        for (_, unparker) in woken {
            unparker.unpark();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::idle::RunnerParker;
    use std::time::Duration;

    #[test]
    fn notify_one_wakes_one_sleeper_at_a_time() {
        let sleepers = Sleepers::default();
        let parkers: Vec<RunnerParker> = (0..3).map(|_| RunnerParker::new()).collect();
        for (id, parker) in parkers.iter().enumerate() {
            sleepers.register(id, parker.unparker());
        }
        let woken_ids = || -> Vec<usize> {
            (0..3)
                .filter(|&i| parkers[i].parker().park_timeout(Duration::ZERO))
                .collect()
        };
        sleepers.notify_one();
        let first = woken_ids();
        assert_eq!(first.len(), 1);
        sleepers.notify_one();
        assert!(
            woken_ids().is_empty(),
            "nobody else while the woken runner is not back"
        );
        assert!(
            sleepers.unregister(first[0]),
            "its entry was taken by the notifier"
        );
        sleepers.notify_one();
        let second = woken_ids();
        assert_eq!(second.len(), 1);
        assert_ne!(second, first, "a different sleeper");
        assert!(sleepers.unregister(second[0]));
        sleepers.notify_all();
        assert_eq!(woken_ids().len(), 1, "only the last sleeper was left");
    }

    #[test]
    fn a_lone_push_wakes_a_sleeper_only_while_nobody_watches() {
        let sleepers = Sleepers::default();
        let (watcher, sleeper) = (RunnerParker::new(), RunnerParker::new());
        let woken = |p: &RunnerParker| p.parker().park_timeout(Duration::ZERO);
        sleepers.register(0, sleeper.unparker());
        sleepers.register(1, watcher.unparker());
        assert_eq!(sleepers.decide(|| Look::Watch), Park::Watch);
        sleepers.notify_local(|| 1);
        assert!(
            !woken(&watcher) && !woken(&sleeper),
            "a watcher will find it"
        );
        sleepers.notify_local(|| 2);
        assert!(woken(&watcher), "two queued tasks wake a sleeper at once");
        sleepers.stop_watching();
        assert!(sleepers.unregister(1));
        sleepers.notify_local(|| 1);
        assert!(
            woken(&sleeper),
            "nobody watches: a lone task wakes a sleeper"
        );
    }

    #[test]
    fn a_woken_runner_learns_whether_a_lone_push_woke_it() {
        let sleepers = Sleepers::default();
        let parker = RunnerParker::new();
        sleepers.register(0, parker.unparker());
        sleepers.notify_local(|| 1);
        assert_eq!(sleepers.leave(0), Woken::LonePush);
        sleepers.register(0, parker.unparker());
        sleepers.notify_local(|| 2);
        assert_eq!(sleepers.leave(0), Woken::Push);
        sleepers.register(0, parker.unparker());
        sleepers.notify_one();
        assert_eq!(sleepers.leave(0), Woken::Push);
        sleepers.register(0, parker.unparker());
        assert_eq!(sleepers.leave(0), Woken::Other);
    }

    #[test]
    fn a_runner_that_finds_nothing_looks_again_after_leaving_the_watchers() {
        let sleepers = Sleepers::default();
        let looks = std::cell::Cell::new(0);
        let park = sleepers.decide(|| {
            looks.set(looks.get() + 1);
            if looks.get() == 1 {
                Look::Empty
            } else {
                Look::Watch // a lone push came in between and saw us counted
            }
        });
        assert_eq!(park, Park::No);
        assert_eq!(sleepers.decide(|| Look::Empty), Park::Indefinitely);
        assert_eq!(sleepers.decide(|| Look::Work), Park::No);
        assert_eq!(sleepers.watchers.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn unregister_removes_only_that_runner() {
        let sleepers = Sleepers::default();
        let (a, b) = (RunnerParker::new(), RunnerParker::new());
        sleepers.register(0, a.unparker());
        sleepers.register(1, b.unparker());
        sleepers.unregister(1);
        sleepers.notify_all();
        assert!(a.parker().park_timeout(Duration::ZERO));
        assert!(!b.parker().park_timeout(Duration::ZERO));
    }
}

/// Loom models of the sleep/notify protocol, run with
/// `RUSTFLAGS="--cfg loom" cargo test -p executor --release --lib loom`.
///
/// The run queue is modelled by an atomic count of queued tasks, pushed with `Release` and
/// checked with `Acquire` (no stronger than the injector), so only the fences in `Sleepers`
/// stand between a push and a lost wake-up. A runner that parks for good while work is
/// queued leaves loom with a thread that can never run again, which it reports as a deadlock.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::idle::RunnerParker;
    use loom::thread;
    use std::sync::Arc;
    use std::time::Duration;
    use wakers::idle::IdleDriver;

    /// The executor around the sleepers: a queue length, and the tasks still to run.
    struct Model {
        sleepers: Sleepers,
        queued: AtomicUsize,
        left: AtomicUsize,
    }

    impl Model {
        fn new(tasks: usize) -> Arc<Model> {
            Arc::new(Model {
                sleepers: Sleepers::default(),
                queued: AtomicUsize::new(0),
                left: AtomicUsize::new(tasks),
            })
        }

        /// `Shared::push`: queue a task, then wake one sleeper.
        fn push(&self) {
            self.queued.fetch_add(1, Ordering::Release);
            self.sleepers.notify_one();
        }

        fn pop(&self) -> bool {
            self.queued
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok()
        }

        /// `runner::run`: run tasks until none is left; park through `Sleepers` when the
        /// queue is empty (register, check again, park, unregister). The first pop after a
        /// push woke us passes the wake-up on if more tasks wait (`runner::next`).
        fn run(&self) {
            self.run_with(None);
        }

        /// [`run`](Model::run), sleeping in `driver` when it is free.
        fn run_with(&self, driver: Option<&'static dyn IdleDriver>) {
            let parker = RunnerParker::new();
            let id = self.sleepers.new_id();
            let mut woken_by_push = false;
            loop {
                while self.next(&mut woken_by_push) {
                    if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
                        self.sleepers.notify_all();
                    }
                }
                if self.left.load(Ordering::Acquire) == 0 {
                    return;
                }
                self.sleepers.register(id, parker.unparker());
                let ready = self.queued.load(Ordering::Acquire) != 0
                    || self.left.load(Ordering::Acquire) == 0;
                if !ready {
                    parker.sleep(driver, None, &|| false);
                }
                woken_by_push = self.sleepers.unregister(id);
            }
        }

        fn next(&self, woken_by_push: &mut bool) -> bool {
            if !self.pop() {
                return false;
            }
            if std::mem::take(woken_by_push) && self.queued.load(Ordering::Acquire) != 0 {
                self.sleepers.notify_one();
            }
            true
        }
    }

    /// Checks `f` with at most `preemptions` preemptions per execution, unless
    /// `LOOM_MAX_PREEMPTIONS` says otherwise.
    fn model(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
        let mut builder = loom::model::Builder::new();
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = Some(preemptions);
        }
        builder.check(f);
    }

    /// One runner going to sleep while another thread pushes one task: the runner always
    /// wakes and runs it.
    #[test]
    fn loom_push_races_sleep() {
        model(2, || {
            let model = Model::new(1);
            let pusher = {
                let model = model.clone();
                thread::spawn(move || model.push())
            };
            model.run();
            pusher.join().unwrap();
            assert_eq!(model.queued.load(Ordering::Acquire), 0);
        });
    }

    /// Two runners, two pushes from another thread: no push is stranded while a runner
    /// sleeps, and both runners return once every task ran.
    #[test]
    fn loom_two_runners_two_pushes() {
        model(2, || two_runners_two_pushes(None));
    }

    /// Two runners (waiting in `driver` if there is one), two pushes from a third thread; the
    /// runners return once every task ran.
    fn two_runners_two_pushes(driver: Option<&'static dyn IdleDriver>) {
        let model = Model::new(2);
        let pusher = {
            let model = model.clone();
            thread::spawn(move || {
                model.push();
                model.push();
            })
        };
        let other = {
            let model = model.clone();
            thread::spawn(move || model.run_with(driver))
        };
        model.run_with(driver);
        other.join().unwrap();
        pusher.join().unwrap();
        assert_eq!(model.left.load(Ordering::Acquire), 0);
    }

    /// One runner, two pushers: a push that skips its wake-up because another one is on its
    /// way must not be stranded when that other wake-up finds nobody to wake (the runner left
    /// the list on its own, then registered again). The losing interleaving needs four
    /// preemptions, so this model gets four.
    #[test]
    fn loom_two_pushers_one_runner() {
        model(4, || {
            let model = Model::new(2);
            let pushers: Vec<_> = (0..2)
                .map(|_| {
                    let model = model.clone();
                    thread::spawn(move || model.push())
                })
                .collect();
            model.run();
            for pusher in pushers {
                pusher.join().unwrap();
            }
            assert_eq!(model.left.load(Ordering::Acquire), 0);
        });
    }

    /// A runner that leaves after its wake-up (a `block_on` whose future completed) must pass
    /// a push's wake-up on (`runner::PassOnWake`): the push may have picked it, and the other
    /// runner would sleep with the task queued.
    #[test]
    fn loom_leaving_runner_passes_the_wake_on() {
        model(3, || {
            let model = Model::new(1);
            let leaver_parker = RunnerParker::new();
            let leaver_unparker = leaver_parker.unparker();
            let leaver = {
                let model = model.clone();
                thread::spawn(move || {
                    let id = model.sleepers.new_id();
                    model.sleepers.register(id, leaver_parker.unparker());
                    if model.queued.load(Ordering::Acquire) == 0 {
                        leaver_parker.sleep(None, None, &|| false);
                    }
                    model.sleepers.unregister(id);
                    // Its own future is done: it leaves without running tasks.
                    if model.queued.load(Ordering::Acquire) != 0 {
                        model.sleepers.notify_one();
                    }
                })
            };
            let pusher = {
                let model = model.clone();
                thread::spawn(move || {
                    model.push();
                    leaver_unparker.unpark(); // the leaver's own future is woken too
                })
            };
            model.run();
            leaver.join().unwrap();
            pusher.join().unwrap();
            assert_eq!(model.left.load(Ordering::Acquire), 0);
        });
    }

    /// The reactor as the idle driver sees it: the right to wait, the eventfd (a flag under a
    /// condvar) and the coalescing flag, cleared after every poll as the reactor does
    /// (`reactor/src/driver.rs`, invariant 6).
    struct FakeDriver {
        held: AtomicBool,
        woken: AtomicBool,
        eventfd: loom::sync::Mutex<bool>,
        written: loom::sync::Condvar,
    }

    impl FakeDriver {
        /// A fresh driver for one execution (loom objects live for one execution).
        fn leaked() -> &'static FakeDriver {
            Box::leak(Box::new(FakeDriver {
                held: AtomicBool::new(false),
                woken: AtomicBool::new(false),
                eventfd: loom::sync::Mutex::new(false),
                written: loom::sync::Condvar::new(),
            }))
        }
    }

    impl IdleDriver for FakeDriver {
        fn try_wait(&self, _: Option<Duration>, may_wait: &dyn Fn() -> bool) -> bool {
            if self.held.swap(true, Ordering::Acquire) {
                return false;
            }
            let mut eventfd = self.eventfd.lock().unwrap();
            if may_wait() {
                while !*eventfd {
                    eventfd = self.written.wait(eventfd).unwrap();
                }
            }
            *eventfd = false; // the poll takes the write, if there is one
            drop(eventfd);
            self.woken.swap(false, Ordering::AcqRel);
            self.held.store(false, Ordering::Release);
            true
        }

        fn poll_now(&self) {}

        fn wake(&self) {
            if self.woken.swap(true, Ordering::SeqCst) {
                return;
            }
            *self.eventfd.lock().unwrap() = true;
            self.written.notify_one();
        }

        fn runner_enter(&self) {}

        fn runner_leave(&self) {}
    }

    /// A push from another thread reaches the only runner while it sleeps in the driver
    /// (steps 4 to 7): the runner always wakes and runs the task.
    #[test]
    fn loom_push_reaches_the_runner_in_the_driver() {
        model(3, || {
            let driver = FakeDriver::leaked();
            let model = Model::new(1);
            let pusher = {
                let model = model.clone();
                thread::spawn(move || model.push())
            };
            model.run_with(Some(driver));
            pusher.join().unwrap();
            assert_eq!(model.left.load(Ordering::Acquire), 0);
        });
    }

    /// Two runners share one driver: one waits in it, the other parks. Two pushes from a
    /// third thread: no push is stranded, whichever runner it picks, and a wake coalesced
    /// with one the other runner's wait took is not lost (step 5's look with the right held).
    #[test]
    fn loom_two_runners_share_the_driver() {
        model(2, || two_runners_two_pushes(Some(FakeDriver::leaked())));
    }

    /// Runners with local queues, for the watcher rule: runner 0 pushes lone tasks onto its
    /// own queue and runs or blocks; the others are idle and must take what it leaves.
    struct Locals {
        sleepers: Sleepers,
        /// Tasks queued on each runner's queue (a push is a `SeqCst` read-modify-write of
        /// the tail, as `ArrayQueue`'s is; a look is a `SeqCst` load of its ends).
        queued: Vec<AtomicUsize>,
        /// Tasks in each runner's next slot (0 or 1; a push is a `SeqCst` read-modify-write of
        /// its state, a look a `SeqCst` load of it).
        slot: Vec<AtomicUsize>,
        /// Each runner's progress (`LocalQueue::set_progress`).
        progress: Vec<AtomicUsize>,
        left: AtomicUsize,
    }

    impl Locals {
        fn new(runners: usize, tasks: usize) -> Arc<Locals> {
            Arc::new(Locals {
                sleepers: Sleepers::default(),
                queued: (0..runners).map(|_| AtomicUsize::new(0)).collect(),
                slot: (0..runners).map(|_| AtomicUsize::new(0)).collect(),
                progress: (0..runners).map(|_| AtomicUsize::new(0)).collect(),
                left: AtomicUsize::new(tasks),
            })
        }

        /// `Shared::push` on runner `me`'s thread. The fence stands for what the queue's
        /// `SeqCst` tail update gives in the C++ model and loom does not model (it treats
        /// `SeqCst` accesses as `AcqRel`).
        fn push_local(&self, me: usize) {
            self.queued[me].fetch_add(1, Ordering::SeqCst);
            self.pushed_local(me);
        }

        /// `Shared::push` of a task woken by the running one: into the slot.
        fn push_slot(&self, me: usize) {
            self.slot[me].fetch_add(1, Ordering::SeqCst);
            self.pushed_local(me);
        }

        /// `Shared::requeue`: the owner moves its slot's task to the tail of its ring.
        fn requeue(&self, me: usize, notify: bool) {
            if Self::take_one(&self.slot[me]) {
                self.queued[me].fetch_add(1, Ordering::SeqCst);
                if notify {
                    self.pushed_local(me);
                }
            }
        }

        /// Step (c) after a push onto runner `me`'s queue, which holds its ring and its slot.
        fn pushed_local(&self, me: usize) {
            fence(Ordering::SeqCst);
            self.sleepers.notify_local(|| self.len(me));
        }

        /// `LocalQueue::len`: the ring's tasks and the slot's.
        fn len(&self, of: usize) -> usize {
            self.queued[of].load(Ordering::SeqCst) + self.slot[of].load(Ordering::SeqCst)
        }

        fn take_one(queue: &AtomicUsize) -> bool {
            queue
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        }

        /// `LocalQueue::pop`: the ring's head, else the slot's task.
        fn take(&self, from: usize) -> bool {
            Self::take_one(&self.queued[from]) || Self::take_one(&self.slot[from])
        }

        /// Runs one task: the last one wakes every sleeper.
        fn ran(&self) {
            if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
                self.sleepers.notify_all();
            }
        }

        /// `Runner::next` for its own queue: moves the progress, then pops.
        fn pop_own(&self, me: usize) -> bool {
            self.progress[me].fetch_add(1, Ordering::Relaxed);
            self.take(me)
        }

        /// `Shared::steal`: a queue of two or more, or a lone task whose owner did not move
        /// since `seen` (runner, progress).
        fn steal(&self, me: usize, seen: &[(usize, usize)]) -> bool {
            (0..self.queued.len()).filter(|&i| i != me).any(|i| {
                let n = self.len(i);
                let stalled = seen
                    .iter()
                    .any(|&(r, p)| r == i && p == self.progress[i].load(Ordering::Relaxed));
                (n >= 2 || (n == 1 && stalled)) && self.take(i)
            })
        }

        /// `Shared::look`.
        fn look(&self, me: usize, seen: &mut Vec<(usize, usize)>) -> Look {
            if self.left.load(Ordering::Acquire) == 0 {
                return Look::Work;
            }
            seen.clear();
            let mut found = Look::Empty;
            for i in (0..self.queued.len()).filter(|&i| i != me) {
                match self.len(i) {
                    0 => {}
                    1 => {
                        seen.push((i, self.progress[i].load(Ordering::Relaxed)));
                        found = Look::Watch;
                    }
                    _ => return Look::Work,
                }
            }
            found
        }

        /// `runner::run` on an idle runner (its own queue stays empty): steals, sleeps
        /// through `Sleepers::decide`, returns once every task ran. A watcher's timed park is
        /// a yield: loom has no clock, and the timeout may end it at any point.
        fn run_idle(&self, me: usize) {
            let parker = RunnerParker::new();
            let id = self.sleepers.new_id();
            let mut seen = Vec::new();
            loop {
                while self.steal(me, &seen) {
                    self.ran();
                }
                if self.left.load(Ordering::Acquire) == 0 {
                    return;
                }
                self.sleepers.register(id, parker.unparker());
                let park = self.sleepers.decide(|| self.look(me, &mut seen));
                match park {
                    Park::No => {}
                    Park::Watch => {
                        thread::yield_now();
                        self.sleepers.stop_watching();
                    }
                    Park::Indefinitely => parker.sleep(None, None, &|| false),
                }
                if self.sleepers.unregister(id) || park != Park::Watch {
                    seen.clear();
                }
            }
        }
    }

    /// Runner 0 pushes a lone task, runs it if nobody took it first, pushes a second one and
    /// blocks for good; runner 1 is idle. The blocked runner's task always runs: runner 1
    /// never parks without a timeout while it waits (loom would report the deadlock), and
    /// steals it once runner 0 has stopped moving.
    #[test]
    fn loom_lone_task_behind_a_blocked_runner() {
        model(3, || {
            let locals = Locals::new(2, 2);
            let owner = {
                let locals = locals.clone();
                thread::spawn(move || {
                    locals.push_local(0);
                    if locals.pop_own(0) {
                        locals.ran();
                    }
                    locals.push_local(0);
                    // Blocks in this poll from here on: never pops again.
                })
            };
            locals.run_idle(1);
            owner.join().unwrap();
            assert_eq!(locals.left.load(Ordering::Acquire), 0);
        });
    }

    /// Runner 0 runs a task that wakes another into its slot, takes so many slot tasks in a
    /// row that it moves this one to the tail of its ring, and blocks for good; runner 1 is
    /// idle. The task always runs: a look made while the task was in neither place (between
    /// the slot's pop and the ring's push) is answered by the move's step (c), as after any
    /// push. (Without that step, `requeue(0, false)`, loom finds runner 1 parked for good
    /// with the task queued.)
    #[test]
    fn loom_slot_task_moved_to_the_ring_behind_a_blocked_runner() {
        model(3, || {
            let locals = Locals::new(2, 1);
            let owner = {
                let locals = locals.clone();
                thread::spawn(move || {
                    locals.push_slot(0);
                    locals.requeue(0, true);
                    // Blocks in its next poll from here on: never pops again.
                })
            };
            locals.run_idle(1);
            owner.join().unwrap();
            assert_eq!(locals.left.load(Ordering::Acquire), 0);
        });
    }

    /// Two idle runners and one lone task behind a runner that blocks: whichever of them
    /// watches, the task runs and both return (one watcher's count does not let a lone push
    /// skip the other's wake-up for good).
    #[test]
    fn loom_lone_task_two_idle_runners() {
        model(2, || {
            let locals = Locals::new(3, 1);
            let owner = {
                let locals = locals.clone();
                thread::spawn(move || locals.push_local(0))
            };
            let other = {
                let locals = locals.clone();
                thread::spawn(move || locals.run_idle(2))
            };
            locals.run_idle(1);
            other.join().unwrap();
            owner.join().unwrap();
            assert_eq!(locals.left.load(Ordering::Acquire), 0);
        });
    }
}
