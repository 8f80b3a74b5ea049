//! The driver: one lazily started thread that owns the wheel and fires every timer.
//!
//! # Protocol
//!
//! Futures never touch the wheel. They push ops onto a lock-free queue (`SegQueue`): *insert*
//! on first poll, *cancel* when a timer the wheel holds is dropped. The driver thread drains the
//! queue, fires what is due, wakes the wakers (after the wheel work, with nothing shared held),
//! and parks until the earliest exact deadline, or without a timeout if no timer is pending.
//!
//! `target` says when the parked driver will next look at the queue: the ns deadline of its
//! park, `u64::MAX` for an untimed park, or [`AWAKE`] while it runs (or once an unpark is on its
//! way). A producer unparks it only if its new deadline is earlier than `target`, or, to bound
//! the memory held by queued ops, on every [`BACKLOG`]-th op a thread pushes. The swap to
//! [`AWAKE`] makes sure only one producer pays for the unpark. While ops keep arriving, the
//! driver parks for at most [`LINGER`] so that most producers need not unpark it at all; after
//! one round without ops it goes back to parking until the earliest deadline (or for good).
//!
//! No lost wake-up: the driver stores `target` and then checks the queue once more before it
//! parks; a producer pushes and then reads `target`. Both sides put a `SeqCst` fence between
//! their store and their load, so at least one of them sees the other.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering, fence};
use std::sync::{Arc, OnceLock};
use std::task::Waker;
use std::time::{Duration, Instant};

use crossbeam_queue::SegQueue;
use wakers::{Parker, Unparker};

use crate::entry::Entry;
use crate::wheel::Wheel;

/// `target` while the driver runs or an unpark is in flight.
const AWAKE: u64 = 0;
/// Each thread unparks the driver on every `BACKLOG`-th op it pushes, whatever the deadline.
const BACKLOG: u32 = 4096;
/// Ops handled per round before the driver fires due timers again.
const ROUND: usize = 1 << 16;
/// After a round that handled ops, the driver looks at the queue again within this many ns
/// even if no timer is due, so that while timers keep coming, a producer whose deadline is
/// further off than that does not have to unpark it. One idle round later it parks as planned.
const LINGER: u64 = 1_000_000;

pub(crate) enum Op {
    Insert(Arc<Entry>),
    Cancel(Arc<Entry>),
}

pub(crate) struct Driver {
    queue: SegQueue<Op>,
    target: AtomicU64,
    unparker: Unparker,
    epoch: Instant,
}

static DRIVER: OnceLock<Driver> = OnceLock::new();

thread_local! {
    /// Ops pushed by this thread, modulo `BACKLOG`.
    static PUSHED: Cell<u32> = const { Cell::new(0) };
}

/// The driver, started on first use.
///
/// # Panics
///
/// Panics if the driver thread cannot be spawned.
pub(crate) fn driver() -> &'static Driver {
    if let Some(driver) = DRIVER.get() {
        return driver;
    }
    DRIVER.get_or_init(|| {
        let parker = Parker::new();
        let driver = Driver {
            queue: SegQueue::new(),
            target: AtomicU64::new(AWAKE),
            unparker: parker.unparker(),
            epoch: Instant::now(),
        };
        std::thread::Builder::new()
            .name("timers-driver".into())
            .spawn(move || DRIVER.wait().run(parker))
            .unwrap_or_else(|e| panic!("timers: cannot start the timer driver thread: {e}"));
        driver
    })
}

impl Driver {
    /// `instant` as ns since the epoch: 0 if before it, `u64::MAX` if more than 584 years after.
    pub(crate) fn ns(&self, instant: Instant) -> u64 {
        let d = instant.saturating_duration_since(self.epoch);
        d.as_secs()
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(d.subsec_nanos()))
    }

    fn instant(&self, ns: u64) -> Option<Instant> {
        self.epoch.checked_add(Duration::from_nanos(ns))
    }

    /// Hands `op` to the driver, unparking it if `deadline` (ns) beats its plan.
    pub(crate) fn submit(&self, op: Op, deadline: u64) {
        self.queue.push(op);
        fence(Ordering::SeqCst);
        let target = self.target.load(Ordering::Relaxed);
        let backlog = PUSHED.with(|n| {
            let pushed = n.get() + 1;
            n.set(pushed % BACKLOG);
            pushed == BACKLOG
        });
        if (deadline < target || (backlog && target != AWAKE))
            && self.target.swap(AWAKE, Ordering::AcqRel) != AWAKE
        {
            self.unparker.unpark();
        }
    }

    fn run(&self, parker: Parker) -> ! {
        let mut wheel: Wheel<Arc<Entry>> = Wheel::new();
        let mut wake: Vec<Waker> = Vec::new();
        loop {
            let now = self.ns(Instant::now());
            let handled = self.drain(&mut wheel, now, &mut wake);
            let now = self.ns(Instant::now());
            let next = wheel.poll(now, |entry| wake.extend(entry.fire()));
            for waker in wake.drain(..) {
                // A waker is user code: its panic must not stop every timer of the process.
                let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
            }
            if wake.capacity() > 4096 {
                wake = Vec::new();
            }
            wheel.shrink(|entry, key| entry.key.store(key, Ordering::Relaxed));

            let next = match next {
                _ if handled == 0 => next,
                None => Some(now.saturating_add(LINGER)),
                Some(deadline) => Some(deadline.min(now.saturating_add(LINGER))),
            };
            self.target
                .store(next.unwrap_or(u64::MAX), Ordering::SeqCst);
            fence(Ordering::SeqCst);
            if !self.queue.is_empty() {
                self.target.store(AWAKE, Ordering::Relaxed);
                continue;
            }
            match next.and_then(|ns| self.instant(ns)) {
                Some(deadline) => _ = parker.park_deadline(deadline),
                None => parker.park(),
            }
            self.target.store(AWAKE, Ordering::SeqCst);
        }
    }

    /// Applies up to `ROUND` queued ops to the wheel; returns how many there were.
    fn drain(&self, wheel: &mut Wheel<Arc<Entry>>, now: u64, wake: &mut Vec<Waker>) -> usize {
        for handled in 0..ROUND {
            match self.queue.pop() {
                None => return handled,
                Some(Op::Insert(entry)) => {
                    if !entry.try_register() {
                        // Dropped while queued: nothing to keep.
                    } else if entry.deadline <= now {
                        wake.extend(entry.fire());
                    } else {
                        let key = wheel.insert(entry.deadline, entry);
                        let entry = wheel.get(key).expect("just inserted");
                        entry.key.store(key, Ordering::Relaxed);
                    }
                }
                Some(Op::Cancel(entry)) => {
                    // The key may be stale (fired meanwhile, slot reused): check it is ours.
                    let key = entry.key.load(Ordering::Relaxed);
                    if wheel.get(key).is_some_and(|held| Arc::ptr_eq(held, &entry)) {
                        wheel.remove(key);
                    }
                }
            }
        }
        ROUND
    }
}
