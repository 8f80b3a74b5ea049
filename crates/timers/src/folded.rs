//! Timers folded into the idle driver's waits: no timer thread when an event driver (the I/O
//! reactor) is installed as the process's [`IdleDriver`](wakers::idle::IdleDriver) before the
//! first timer waits.
//!
//! Then the [`Driver`] is made without a thread and installed as the process's
//! [`IdleTimers`]: whoever holds the idle driver's right to wait runs the rounds (the same
//! [`Driver::round`] the thread runs) and waits no longer than the next deadline. A timer that
//! fires for a runner waiting in the reactor costs that runner's wait its timeout, one
//! wake-up, where a timer thread would wake, fire, and wake the runner through the reactor's
//! waker: two. The producers' side is unchanged ([`Driver::submit`]); only who is woken when
//! an op beats the plan differs: the idle driver instead of the thread.
//!
//! The choice is made once, when the first timer needs the driver: a process whose first
//! timer came before its reactor keeps the thread.
//!
//! # No lost wake-up (the steps the code cites)
//!
//! The waiter (the holder of the idle driver's right to wait; there is one at a time):
//!
//! 1. [`before_wait`](IdleTimers::before_wait) runs a round: takes the ops, fires what is due.
//! 2. It stores the plan in `target` (the deadline it will wait until, `u64::MAX` for none),
//!    then a `SeqCst` fence;
//! 3. looks at the batches once more ([`Driver::has_ops`]); if an op came, it stores
//!    [`AWAKE`] and goes back to 1;
//! 4. waits in the idle driver, at most until the deadline;
//! 5. [`after_wait`](IdleTimers::after_wait) stores [`AWAKE`], then runs a round if one is due
//!    or an op is pending.
//!
//! A producer ([`Driver::submit`]):
//!
//! 6. pushes its op and reads `target` under its batch's lock (the shared queue: push, `SeqCst`
//!    fence, read);
//! 7. if its deadline is before what it read, and its swap of `target` to [`AWAKE`] found a
//!    plan, wakes the idle driver.
//!
//! Why no op is left behind:
//!
//! * If 3's look takes the producer's batch lock after 6 let it go, it sees the op and does
//!   not wait.
//! * Otherwise 6 took the lock after 3 let it go, so after 2: 6 reads 2's plan or a later
//!   value. Reading the plan, a producer whose op is due earlier wakes the idle driver (7),
//!   which ends the wait of 4 or, if it already ended, the next one (the idle driver's
//!   contract); one whose op is not due earlier is served when 4 ends at its deadline.
//!   Either way 5, or the next turn's 1, takes the op.
//! * Reading [`AWAKE`] (stored by 5, or by another producer's 7, which woke the driver), the
//!   waiter is out of its wait or about to be, and the op waits for the next turn: the next
//!   wait's 1, or a turn that does not block ([`IdleTimers::poll`], which looks when
//!   `pending` says an op came). The installed idle driver promises that another turn always
//!   comes (see [`wakers::idle`]).
//!
//! Only the waiter stores a plan, and only it (5) or a producer (7) take it back, so while no
//! wait is in progress `target` is [`AWAKE`] and producers wake nobody.

use std::sync::atomic::{Ordering, fence};
use std::time::Instant;

use wakers::idle::IdleTimers;

use crate::driver::{AWAKE, Driver};

/// Installs `driver` (made by [`Driver::folded`]) as the idle driver's timers, then wakes the
/// idle driver, so that a wait that began before the install (and so did not look at the
/// timers) ends and the next one looks.
pub(crate) fn install(driver: &'static Driver) {
    wakers::idle::install_timers(driver);
    if let Some(idle) = wakers::idle::installed() {
        idle.wake();
    }
}

impl Driver {
    /// A round, and the plan it makes published for non-blocking turns.
    fn folded_round(&self, core: &mut crate::driver::Core) -> Option<u64> {
        self.pending.store(false, Ordering::Relaxed);
        let next = self.round(core);
        self.next_due
            .store(next.unwrap_or(u64::MAX), Ordering::Relaxed);
        next
    }

    /// Whether a round is due now or an op may be waiting.
    fn round_wanted(&self) -> bool {
        self.pending.load(Ordering::Relaxed)
            || self.next_due.load(Ordering::Relaxed) <= self.ns(Instant::now())
    }
}

impl IdleTimers for Driver {
    fn before_wait(&self) -> Option<Instant> {
        let mut core = self.core.lock();
        loop {
            // Step 1.
            let next = self.folded_round(&mut core);
            // Step 2.
            self.target
                .store(next.unwrap_or(u64::MAX), Ordering::SeqCst);
            fence(Ordering::SeqCst);
            // Step 3.
            if !self.has_ops() {
                // A deadline past what an `Instant` holds: no timeout.
                return next.and_then(|ns| self.instant(ns));
            }
            self.target.store(AWAKE, Ordering::SeqCst);
        }
    }

    fn after_wait(&self) {
        // Step 5.
        self.target.store(AWAKE, Ordering::SeqCst);
        if self.round_wanted() {
            self.folded_round(&mut self.core.lock());
        }
    }

    fn poll(&self) {
        if self.round_wanted()
            && let Some(mut core) = self.core.try_lock()
        {
            self.folded_round(&mut core);
        }
    }
}

#[cfg(test)]
mod tests {
    //! Every interleaving of one waiter's steps 1 to 5 with one producer's steps 6 and 7, on
    //! a model of the shared state that follows the code step by step (step 5's round is
    //! modelled as always taking a queued op; where the code skips it, `pending` not yet
    //! seen, the next turn's step 1 takes it, as for an op left to the next turn); and the same
    //! exploration of two broken protocols (no look in step 3, no wake in step 7), which must
    //! each fail, so the check is known to catch a lost wake-up.

    use super::AWAKE;

    /// The waiter's plan when it waits with no op taken: a deadline far off.
    const FAR: u64 = 100;

    /// Which step a broken protocol leaves out.
    #[derive(Clone, Copy, PartialEq)]
    enum Protocol {
        Sound,
        NoLastLook,
        NoWake,
    }

    #[derive(Clone, Debug)]
    struct State {
        /// The producer's op is in its batch, not yet taken by a round.
        op_queued: bool,
        /// A round took the op (so the plan accounts for it).
        op_taken: bool,
        target: u64,
        /// The idle driver's wake is pending (ends the current or next wait).
        woken: bool,
        /// What the producer read in step 6.
        read: Option<u64>,
        /// The waiter's next step (1 to 5), 6 when done.
        waiter: u8,
        /// The plan of step 2: 0 for "now" (a round took the op), else [`FAR`].
        plan: u64,
        /// The producer's next step (6 or 7), 8 when done.
        producer: u8,
    }

    /// One step of the waiter; `false` if it cannot move (blocked in its wait: the wait ends
    /// by its deadline only if that is not after the op's, else only by a wake).
    fn waiter_step(s: &mut State, op_deadline: u64, protocol: Protocol) -> bool {
        match s.waiter {
            1 => {
                if s.op_queued {
                    s.op_queued = false;
                    s.op_taken = true;
                }
                s.plan = if s.op_taken { 0 } else { FAR };
                s.waiter = 2;
            }
            2 => {
                s.target = s.plan;
                s.waiter = 3;
            }
            3 => {
                if s.op_queued && protocol != Protocol::NoLastLook {
                    s.target = AWAKE;
                    s.waiter = 1;
                } else {
                    s.waiter = 4;
                }
            }
            4 => {
                if s.woken {
                    s.woken = false;
                } else if s.plan > op_deadline {
                    return false;
                }
                s.waiter = 5;
            }
            5 => {
                s.target = AWAKE;
                if s.op_queued {
                    s.op_queued = false;
                    s.op_taken = true;
                }
                s.waiter = 6;
            }
            _ => return false,
        }
        true
    }

    /// One step of the producer, whose op is due at `op_deadline`.
    fn producer_step(s: &mut State, op_deadline: u64, protocol: Protocol) -> bool {
        match s.producer {
            6 => {
                s.op_queued = true;
                s.read = Some(s.target);
                s.producer = 7;
            }
            7 => {
                let read = s.read.expect("read in step 6");
                if op_deadline < read && s.target != AWAKE {
                    s.target = AWAKE;
                    s.woken = protocol != Protocol::NoWake;
                }
                s.producer = 8;
            }
            _ => return false,
        }
        true
    }

    /// Explores every interleaving from `s`; at each end, checks that the waiter is not stuck
    /// in its wait and that the op was taken, or left to the next turn because the producer
    /// read [`AWAKE`] (the waiter was out of its wait). Returns how many ends it reached.
    fn explore(s: State, op_deadline: u64, protocol: Protocol) -> Result<usize, String> {
        let mut ends = 0;
        let mut moved = false;
        let mut w = s.clone();
        if waiter_step(&mut w, op_deadline, protocol) {
            moved = true;
            ends += explore(w, op_deadline, protocol)?;
        }
        let mut p = s.clone();
        if producer_step(&mut p, op_deadline, protocol) {
            moved = true;
            ends += explore(p, op_deadline, protocol)?;
        }
        if moved {
            return Ok(ends);
        }
        if s.waiter != 6 {
            return Err(format!("the waiter sleeps past the op's deadline: {s:?}"));
        }
        let left_for_next_turn = s.op_queued && s.read == Some(AWAKE);
        if !s.op_taken && !left_for_next_turn {
            return Err(format!("the op was lost: {s:?}"));
        }
        Ok(1)
    }

    fn explore_all(protocol: Protocol) -> Result<usize, String> {
        let mut ends = 0;
        // An op due before the waiter's plan, and one due after it.
        for op_deadline in [1, FAR + 1] {
            let start = State {
                op_queued: false,
                op_taken: false,
                target: AWAKE,
                woken: false,
                read: None,
                waiter: 1,
                plan: FAR,
                producer: 6,
            };
            ends += explore(start, op_deadline, protocol)?;
        }
        Ok(ends)
    }

    #[test]
    fn every_interleaving_of_a_wait_and_a_submit_takes_the_op_in_time() {
        let ends = explore_all(Protocol::Sound).unwrap();
        assert!(ends >= 20, "only {ends} interleavings explored");
    }

    #[test]
    fn the_exploration_catches_a_protocol_without_the_last_look_or_the_wake() {
        for broken in [Protocol::NoLastLook, Protocol::NoWake] {
            let found = explore_all(broken).expect_err("a lost wake-up is found");
            assert!(found.contains("sleeps past"), "{found}");
        }
    }
}
