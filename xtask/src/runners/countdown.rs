//! The lessons' `CountdownFuture`, instrumented: it records every poll in a shared [`Trace`].
//!
//! A countdown of `n` returns `Pending` `n` times and then `Ready(label)`, so a correct
//! executor polls it exactly `n + 1` times. Each `Pending` is paired with exactly one wake:
//! either at once from inside `poll` ([`WakeMode::Immediately`], as in the lessons), or from
//! a helper thread after a pause ([`WakeMode::FromThreadAfter`], which makes the executor
//! park in between). A poll that arrives before the pending wake has fired is *spurious*:
//! it is recorded, does not count down, and proves the executor polled without being woken.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use wakers::WakerSlot;

/// How a countdown asks to be polled again after returning `Pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeMode {
    /// Call `wake_by_ref` before returning `Pending`.
    Immediately,
    /// Spawn a thread that sleeps this long, then wakes the latest registered waker.
    FromThreadAfter(Duration),
}

/// What happened to which future, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The future's label.
    pub label: String,
    /// `true` for the poll that returned `Ready`.
    pub ready: bool,
    /// When the poll began.
    pub at: Instant,
}

/// A shared, ordered log of polls; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Trace(Arc<Mutex<Vec<Event>>>);

impl Trace {
    /// An empty trace.
    pub fn new() -> Trace {
        Trace::default()
    }

    fn push(&self, label: &str, ready: bool) {
        let event = Event {
            label: label.to_owned(),
            ready,
            at: Instant::now(),
        };
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    }

    /// Every event so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many times the future labelled `label` was polled.
    pub fn polls(&self, label: &str) -> usize {
        self.events().iter().filter(|e| e.label == label).count()
    }

    /// Labels in the order their futures completed.
    pub fn completion_order(&self) -> Vec<String> {
        self.events()
            .into_iter()
            .filter(|e| e.ready)
            .map(|e| e.label)
            .collect()
    }

    /// The labels of all polls in order, separated by spaces.
    pub fn poll_sequence(&self) -> String {
        let labels: Vec<String> = self.events().into_iter().map(|e| e.label).collect();
        labels.join(" ")
    }

    /// The longest run of consecutive polls of one future while some other future of the
    /// trace had not completed yet: 1 when the executor interleaves them round-robin.
    pub fn longest_streak(&self) -> usize {
        let events = self.events();
        let mut labels: Vec<&str> = events.iter().map(|e| e.label.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        let mut pending: Vec<&str> = labels;
        let (mut best, mut run, mut last) = (0, 0, None::<&str>);
        for e in &events {
            let others_waiting = pending.iter().any(|l| *l != e.label);
            run = if others_waiting && last == Some(e.label.as_str()) {
                run + 1
            } else {
                1
            };
            best = best.max(run);
            last = Some(e.label.as_str());
            if e.ready {
                pending.retain(|l| *l != e.label);
            }
        }
        best
    }
}

/// A future that counts down, recording its polls; resolves to its label.
///
/// ```
/// use xtask::runners::countdown::{CountdownFuture, Trace, WakeMode};
///
/// let trace = Trace::new();
/// let countdown = CountdownFuture::new("go", 3, WakeMode::Immediately, &trace);
/// assert_eq!(block_on::block_on(countdown), "go");
/// assert_eq!(trace.polls("go"), 4); // count + 1
/// ```
#[derive(Debug)]
pub struct CountdownFuture {
    label: String,
    remaining: u64,
    mode: WakeMode,
    trace: Trace,
    /// Set while a helper thread's wake is outstanding; the flag turns `true` when it fires.
    outstanding: Option<Arc<AtomicBool>>,
    slot: Arc<WakerSlot>,
}

impl CountdownFuture {
    /// A countdown from `count`, recorded in `trace` under `label`.
    pub fn new(label: &str, count: u64, mode: WakeMode, trace: &Trace) -> CountdownFuture {
        CountdownFuture {
            label: label.to_owned(),
            remaining: count,
            mode,
            trace: trace.clone(),
            outstanding: None,
            slot: Arc::new(WakerSlot::new()),
        }
    }
}

impl Future for CountdownFuture {
    type Output = String;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        let this = &mut *self;
        if let Some(fired) = &this.outstanding {
            // Register first, then look: a wake that fires in between still finds the waker.
            this.slot.register(cx.waker());
            if !fired.load(Ordering::Acquire) {
                this.trace.push(&this.label, false);
                return Poll::Pending;
            }
            this.outstanding = None;
        }
        if this.remaining == 0 {
            this.trace.push(&this.label, true);
            return Poll::Ready(this.label.clone());
        }
        this.trace.push(&this.label, false);
        this.remaining -= 1;
        match this.mode {
            WakeMode::Immediately => cx.waker().wake_by_ref(),
            WakeMode::FromThreadAfter(pause) => {
                let fired = Arc::new(AtomicBool::new(false));
                this.slot.register(cx.waker());
                this.outstanding = Some(fired.clone());
                let slot = this.slot.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(pause);
                    fired.store(true, Ordering::Release);
                    slot.wake();
                });
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_with_one_poll_per_wake() {
        let trace = Trace::new();
        let fut = CountdownFuture::new("a", 3, WakeMode::Immediately, &trace);
        assert_eq!(block_on::block_on(fut), "a");
        assert_eq!(trace.polls("a"), 4);
        let fut = CountdownFuture::new("b", 2, WakeMode::FromThreadAfter(Duration::ZERO), &trace);
        assert_eq!(block_on::block_on(fut), "b");
        assert_eq!(trace.polls("b"), 3);
        assert_eq!(trace.completion_order(), ["a", "b"]);
    }

    #[test]
    fn a_poll_before_the_wake_fired_does_not_count_down() {
        let trace = Trace::new();
        let pause = WakeMode::FromThreadAfter(Duration::from_millis(200));
        let mut fut = CountdownFuture::new("s", 1, pause, &trace);
        let waker = wakers::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut fut).poll(&mut cx).is_pending());
        assert!(
            Pin::new(&mut fut).poll(&mut cx).is_pending(),
            "spurious poll"
        );
        assert_eq!(fut.remaining, 0);
        assert_eq!(trace.polls("s"), 2);
    }

    #[test]
    fn longest_streak_sees_round_robin_and_sequential_runs() {
        let trace = Trace::new();
        for (label, ready) in [("x", false), ("y", false), ("x", true), ("y", true)] {
            trace.push(label, ready);
        }
        assert_eq!(trace.longest_streak(), 1);
        assert_eq!(trace.poll_sequence(), "x y x y");
        let trace = Trace::new();
        for (label, ready) in [
            ("x", false),
            ("x", false),
            ("x", true),
            ("y", false),
            ("y", true),
        ] {
            trace.push(label, ready);
        }
        assert_eq!(trace.longest_streak(), 3);
        let trace = Trace::new();
        for (label, ready) in [("x", true), ("y", false), ("y", false), ("y", true)] {
            trace.push(label, ready);
        }
        assert_eq!(
            trace.longest_streak(),
            1,
            "once the others are done, runs are fine"
        );
    }
}
