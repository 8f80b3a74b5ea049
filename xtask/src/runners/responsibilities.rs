//! Checks for the executor responsibilities of `what-is-an-executor.md` that lesson 5's
//! exercises do not already pin down: polling only what was woken, and managing wakers so
//! that one batch of wakes costs one poll and a wake after completion costs none.
//!
//! Both runners are generic over [`Spawner`] and drive a single-threaded executor, so their
//! poll counts are exact. Helper tasks give up after [`PATIENCE`] yields, so a broken
//! executor produces a wrong count rather than a hang.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use wakers::WakerSlot;

use crate::measure::{Measurements, Value};
use crate::runners::{Ctx, Spawner, ours};

/// How many times a helper task yields while waiting for something before giving up.
pub const PATIENCE: usize = 10_000;

/// Wakes itself once, then completes: gives every other queued task a turn.
#[derive(Debug, Default)]
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

async fn yield_now() {
    YieldOnce::default().await;
}

/// Yields until `cond` holds or patience runs out.
async fn yield_until(cond: impl Fn() -> bool) {
    for _ in 0..PATIENCE {
        if cond() {
            return;
        }
        yield_now().await;
    }
}

/// A task whose waker nobody calls is not polled again, however busy the executor is.
///
/// Task `idle` registers its waker and returns `Pending`; task `busy` waits for that, then
/// yields at least `yields` times and for at least `watch_ms`, records how often `idle` was
/// polled meanwhile (`polls_while_unwoken`, expected 1), then wakes it once (`polls_total`,
/// expected 2). Every yield is one scheduler turn, so an executor that re-polls idle tasks
/// "just in case" shows up if it does so at least once per `yields` turns or per `watch_ms`.
pub fn measure_poll_only_when_woken<S: Spawner>(imp: &S, ctx: &Ctx) -> Measurements {
    let yields = ctx.int("yields");
    let watch = ctx.millis("watch_ms");
    let slot = Arc::new(WakerSlot::new());
    let polls = Arc::new(AtomicI64::new(0));
    let seen = Arc::new(AtomicI64::new(-1));
    let (s, p) = (slot.clone(), polls.clone());
    imp.spawn_task(Box::pin(poll_fn(move |cx| {
        s.register(cx.waker());
        if p.fetch_add(1, Ordering::SeqCst) == 0 {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })));
    let (p, s2) = (polls.clone(), seen.clone());
    imp.spawn_task(Box::pin(async move {
        yield_until(|| p.load(Ordering::SeqCst) >= 1).await;
        let start = Instant::now();
        let mut turns = 0;
        while turns < yields || start.elapsed() < watch {
            yield_now().await;
            turns += 1;
        }
        s2.store(p.load(Ordering::SeqCst), Ordering::SeqCst);
        slot.wake();
    }));
    imp.run();
    let mut m = Measurements::new();
    let note = format!("while another task yielded ≥ {yields} times for ≥ {watch:?}");
    m.set_noted(
        "polls_while_unwoken",
        Value::Int(seen.load(Ordering::SeqCst)),
        note,
    );
    m.set("polls_total", Value::Int(polls.load(Ordering::SeqCst)));
    m
}

/// Two wakes before the task runs cost one poll; a wake after it completed costs none.
///
/// Task `target` registers its waker on every poll and completes once `finish` is set.
/// Task `waker` takes the first waker, wakes it twice, yields, and records `target`'s polls
/// (`polls_after_two_wakes`, expected 2). Then it sets `finish` and wakes `target`, which
/// completes (3 polls), wakes the stale waker again and yields; `polls_after_stale_wake`
/// is expected to stay 3.
pub fn measure_one_poll_per_wake_batch<S: Spawner>(imp: &S, ctx: &Ctx) -> Measurements {
    let yields = ctx.int("yields");
    let slot = Arc::new(WakerSlot::new());
    let polls = Arc::new(AtomicI64::new(0));
    let finish = Arc::new(AtomicBool::new(false));
    let after_two = Arc::new(AtomicI64::new(-1));
    let after_stale = Arc::new(AtomicI64::new(-1));
    let (s, p, f) = (slot.clone(), polls.clone(), finish.clone());
    imp.spawn_task(Box::pin(poll_fn(move |cx| {
        s.register(cx.waker());
        p.fetch_add(1, Ordering::SeqCst);
        if f.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })));
    let (p, a2, a3) = (polls.clone(), after_two.clone(), after_stale.clone());
    imp.spawn_task(Box::pin(async move {
        yield_until(|| p.load(Ordering::SeqCst) >= 1).await;
        let first: Option<Waker> = slot.take();
        if let Some(w) = &first {
            w.wake_by_ref();
            w.wake_by_ref();
        }
        for _ in 0..yields {
            yield_now().await;
        }
        a2.store(p.load(Ordering::SeqCst), Ordering::SeqCst);
        finish.store(true, Ordering::SeqCst);
        let before = p.load(Ordering::SeqCst);
        slot.wake();
        yield_until(|| p.load(Ordering::SeqCst) > before).await;
        if let Some(w) = first {
            w.wake();
        }
        for _ in 0..yields {
            yield_now().await;
        }
        a3.store(p.load(Ordering::SeqCst), Ordering::SeqCst);
    }));
    imp.run();
    let mut m = Measurements::new();
    m.set(
        "polls_after_two_wakes",
        Value::Int(after_two.load(Ordering::SeqCst)),
    );
    m.set(
        "polls_after_stale_wake",
        Value::Int(after_stale.load(Ordering::SeqCst)),
    );
    m
}

/// The registry entry for [`measure_poll_only_when_woken`] on our executor.
pub fn run_poll_only_when_woken(ctx: &Ctx) -> Measurements {
    measure_poll_only_when_woken(&ours::OurExecutor::default(), ctx)
}

/// The registry entry for [`measure_one_poll_per_wake_batch`] on our executor.
pub fn run_one_poll_per_wake_batch(ctx: &Ctx) -> Measurements {
    measure_one_poll_per_wake_batch(&ours::OurExecutor::default(), ctx)
}
