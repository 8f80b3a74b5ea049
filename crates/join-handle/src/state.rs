//! The task's state word: every bit, who may change it, and one named method per transition.
//!
//! One `AtomicU64` per task decides every race between the runner, wakers, the join handle
//! and the executor's shutdown, and counts the references to the task (see [`crate::ptr`]).
//! `cell.rs` never touches the word directly: it calls the transitions below and acts on
//! their `#[must_use]` outcome.
//!
//! | bit         | set by                                   | cleared by                  |
//! |-------------|------------------------------------------|-----------------------------|
//! | `SCHEDULED` | a wake (idle task: the waker queues it)  | the runner, as it starts    |
//! | `RUNNING`   | whoever claims the future (runner, abort, shutdown) | the same, when done |
//! | `COMPLETE`  | the claimer, once the future is gone     | never                       |
//! | `CANCELLED` | `abort()`                                | never                       |
//! | `HANDLE`    | spawn (the handle starts alive)          | dropping the `JoinHandle`   |
//! | `JOIN_WAKER`| the handle, after writing its waker      | the handle, to replace it   |
//! | `CONSUMED`  | whoever takes the output, after `COMPLETE` | never                     |
//! | `FAILED`    | the completer, together with `COMPLETE`  | never                       |
//! | `PENDED`    | the runner, as a poll returns `Pending` for the first time | never     |
//!
//! Above the flags the word holds three counters, each saturating or checked so that it
//! never carries into the next:
//!
//! | bits                       | counter | changed by |
//! |----------------------------|---------|------------|
//! | [`POLL_SHIFT`]..+22        | polls started, saturating at [`POLLS_MAX`] | the runner, in the update that claims `RUNNING` for a poll ([`State::transition_to_running`]) |
//! | [`STREAK_SHIFT`]..+12      | pending polls in a row during which the task was woken (a task that wakes itself every time is spinning), saturating at [`STREAK_MAX`] | the runner, in the update that ends a pending poll ([`State::transition_to_idle_from`]), from the `SCHEDULED` bit it reads there anyway |
//! | [`REF_SHIFT`]..64          | references to the task | every [`TaskPtr`](crate::ptr::TaskPtr) and waker: one each |
//!
//! So counting polls and references costs no atomic operation of its own where a transition
//! happens anyway: the runner's reference is handed to the queue, or dropped, in the update
//! that ends its poll.
//!
//! Rules that follow:
//!
//! * `RUNNING` is the lock on the future: only its holder may poll or drop it.
//! * A task is in the run queue at most once: only the waker that moves it from idle to
//!   `SCHEDULED`, or the runner that sees `SCHEDULED` after a poll, pushes it.
//! * A wake of a `RUNNING` task only sets `SCHEDULED`; the runner re-queues it after the poll,
//!   so the wake is never lost and the task is never polled twice at once.
//! * A wake of a `COMPLETE` task does nothing.
//! * Which value the cell's slot holds follows from the state: the future before `COMPLETE`
//!   (except, for the `RUNNING` holder alone, between dropping it and storing the result),
//!   the result between `COMPLETE` and `CONSUMED` (the error if `FAILED`, else the output),
//!   nothing after `CONSUMED`.
//! * `COMPLETE` is set only after the future has been dropped, so a finished handle means the
//!   future's destructor has run.
//! * The join waker field belongs to the handle while `JOIN_WAKER` is clear and the task is
//!   not `COMPLETE`: only then may the handle write it, and it sets `JOIN_WAKER` (failing if
//!   `COMPLETE` came first) to publish it. While `JOIN_WAKER` is set the field is only read:
//!   by the handle (`will_wake`) and by the completer, who wakes it by reference if
//!   `JOIN_WAKER` was set when it set `COMPLETE`. To replace its waker, the handle first
//!   clears `JOIN_WAKER` (failing if `COMPLETE` came first). After `COMPLETE` the field is
//!   never written again; it is dropped with the cell.
//!
//! Every transition is an acquire-release read-modify-write, so whoever wins a transition
//! also sees everything its previous owner wrote (the future, the result, the join waker).

use crate::sync::{AtomicU64, Ordering};

/// The task is in the run queue, or has been woken while running and will be queued again.
const SCHEDULED: u64 = 1 << 0;
/// Someone holds the future: a runner polling it, or an abort or shutdown dropping it.
const RUNNING: u64 = 1 << 1;
/// The future is gone and the result (output, panic or cancellation) is decided.
const COMPLETE: u64 = 1 << 2;
/// `abort()` was called: the future is dropped at the next chance instead of being polled.
const CANCELLED: u64 = 1 << 3;
/// The `JoinHandle` is alive: the output is kept for it.
const HANDLE: u64 = 1 << 4;
/// The handle's waker is in the join waker field, for the completer to wake.
const JOIN_WAKER: u64 = 1 << 5;
/// The output has been taken out of the cell (by the handle, or dropped by the completer).
const CONSUMED: u64 = 1 << 6;
/// Set with `COMPLETE` when the result is an error (panic or cancellation), not an output.
const FAILED: u64 = 1 << 7;
/// A poll of the task has returned `Pending` (the scheduler was told, with
/// `TaskEvent::FirstPending`).
const PENDED: u64 = 1 << 8;
/// The poll count starts at this bit, above the flags.
const POLL_SHIFT: u32 = 9;
/// One poll, in the state word.
const POLL_ONE: u64 = 1 << POLL_SHIFT;
/// The largest poll count, 2^21 (about two million; a dump shows a busier task's count as
/// this): the top bit of the count's 22, so that "full" is one bit to test. The rest of the
/// word is the streak and the references.
const POLLS_MAX: u64 = 1 << 21;
/// The count's bits, once shifted down.
const POLLS_MASK: u64 = (1 << 22) - 1;
/// A full count, in the word.
const POLLS_FULL: u64 = POLLS_MAX << POLL_SHIFT;
/// The woken-during-poll streak starts above the poll count.
const STREAK_SHIFT: u32 = POLL_SHIFT + 22;
/// The largest woken-during-poll streak, 2^11, above any useful report threshold: the top bit
/// of the streak's 12, so that "full" is one bit to test.
const STREAK_MAX: u64 = 1 << 11;
/// The streak's bits in the word.
const STREAK_MASK: u64 = ((1 << 12) - 1) << STREAK_SHIFT;
/// A full streak, in the word.
const STREAK_FULL: u64 = STREAK_MAX << STREAK_SHIFT;
/// One more poll woken during itself, in the word.
const STREAK_ONE: u64 = 1 << STREAK_SHIFT;
/// The reference count takes the top 21 bits of the word.
const REF_SHIFT: u32 = STREAK_SHIFT + 12;
/// One reference, in the word.
const REF_ONE: u64 = 1 << REF_SHIFT;
/// The most references a task may have: half the field, so that threads racing past the limit
/// (each adds one, sees the limit, takes it back) can never carry out of the word.
pub(crate) const REFS_MAX: u64 = 1 << 20;

/// The state of a freshly spawned task: queued once, its handle alive, never polled; two
/// references, the first [`Runnable`](crate::Runnable) and the [`JoinHandle`](crate::JoinHandle).
const INITIAL: u64 = SCHEDULED | HANDLE | (2 * REF_ONE);

#[cold]
#[inline(never)]
fn too_many_references() -> ! {
    panic!("join-handle: more than {REFS_MAX} references (wakers, handles) to one task");
}

/// A value of the state word, read or returned by a transition.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(u64);

impl Snapshot {
    #[inline]
    pub(crate) fn is_scheduled(self) -> bool {
        self.0 & SCHEDULED != 0
    }
    #[inline]
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    #[inline]
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    #[inline]
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    #[inline]
    pub(crate) fn has_handle(self) -> bool {
        self.0 & HANDLE != 0
    }
    #[inline]
    pub(crate) fn has_join_waker(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    #[inline]
    pub(crate) fn is_consumed(self) -> bool {
        self.0 & CONSUMED != 0
    }
    #[inline]
    pub(crate) fn is_failed(self) -> bool {
        self.0 & FAILED != 0
    }
    #[inline]
    pub(crate) fn has_pended(self) -> bool {
        self.0 & PENDED != 0
    }
    /// Complete, and the result is still in the slot.
    #[inline]
    pub(crate) fn holds_result(self) -> bool {
        self.0 & (COMPLETE | CONSUMED) == COMPLETE
    }
    /// Idle: not queued, not running, not finished.
    #[inline]
    pub(crate) fn is_idle(self) -> bool {
        self.0 & (SCHEDULED | RUNNING | COMPLETE) == 0
    }
    /// How many polls started (saturating at [`POLLS_MAX`]).
    #[inline]
    pub(crate) fn polls(self) -> u64 {
        (self.0 >> POLL_SHIFT) & POLLS_MASK
    }
    /// How many pending polls in a row the task was woken during (saturating at
    /// [`STREAK_MAX`]).
    #[inline]
    pub(crate) fn self_wake_streak(self) -> u64 {
        (self.0 & STREAK_MASK) >> STREAK_SHIFT
    }
    /// How many references to the task exist.
    #[inline]
    pub(crate) fn refs(self) -> u64 {
        self.0 >> REF_SHIFT
    }
    /// Exactly one reference, for a value read by a holder of one (so at least one is
    /// counted): then "one" is "below two", one compare with a constant and no mask kept in a
    /// register across the caller's poll (−4 instructions per yield, callgrind).
    #[inline]
    pub(crate) fn is_only_ref(self) -> bool {
        debug_assert!(self.refs() > 0, "read by a holder of a reference");
        self.0 < 2 * REF_ONE
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = [
            (SCHEDULED, "SCHEDULED"),
            (RUNNING, "RUNNING"),
            (COMPLETE, "COMPLETE"),
            (CANCELLED, "CANCELLED"),
            (HANDLE, "HANDLE"),
            (JOIN_WAKER, "JOIN_WAKER"),
            (CONSUMED, "CONSUMED"),
            (FAILED, "FAILED"),
            (PENDED, "PENDED"),
        ];
        let mut list = f.debug_list();
        for (bit, name) in names {
            if self.0 & bit != 0 {
                list.entry(&name);
            }
        }
        list.entry(&format_args!("polls={}", self.polls()));
        list.entry(&format_args!("streak={}", self.self_wake_streak()));
        list.entry(&format_args!("refs={}", self.refs()));
        list.finish()
    }
}

/// What [`State::transition_to_running`] decided.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransitionToRunning {
    /// We hold `RUNNING` and `SCHEDULED` is cleared: poll the future.
    Poll,
    /// We hold `RUNNING`, but the task was aborted while queued: drop the future instead.
    Cancel,
    /// Someone else holds the future, or the task is finished: do nothing.
    Busy,
}

/// What [`State::transition_to_idle_from`] decided.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransitionToIdle {
    /// `RUNNING` released and the runner's reference dropped; nobody woke the task: it waits
    /// for a wake. `last`: that was the last reference, the caller frees the cell.
    Idle { last: bool },
    /// `RUNNING` released, but the task was woken during the poll: the caller queues it. The
    /// queue's new reference was taken in the same update (the caller keeps its own until
    /// `schedule` returns: the scheduler lives in the cell).
    Notified,
    /// An abort arrived during the poll: we still hold `RUNNING`; drop the future.
    Cancel,
}

/// What a wake ([`State::transition_to_notified`]) or an abort mark decided.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notified {
    /// The task was idle and is now `SCHEDULED`, and a reference for the queue was taken in
    /// the same update: the caller pushes it onto the queue with that reference.
    Submit,
    /// Already queued, running (its runner re-queues it) or finished.
    DoNothing,
}

/// What [`State::transition_to_complete`] decided, and whether the task had ever returned
/// `Pending` (for the scheduler's `TaskEvent::Completed`).
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Completion {
    pub(crate) then: Completed,
    pub(crate) pended: bool,
}

/// What the completer does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completed {
    /// The handle is gone: the result was marked `CONSUMED` and the completer drops it.
    DropResult,
    /// The handle had published a waker: the completer wakes it.
    WakeJoiner,
    /// The handle will find the result when it next looks.
    Keep,
}

/// What [`State::drop_handle`] decided.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandleDropped {
    /// The task had completed and the result was still there: the handle drops it.
    DropResult,
    /// The task is not complete and the handle's waker was published: the handle owns the
    /// field again and drops the waker.
    DropJoinWaker,
    /// Nothing left to clean up.
    Nothing,
}

/// The state word of one task.
pub(crate) struct State(AtomicU64);

impl State {
    /// A freshly spawned task: queued once, handle alive.
    #[inline]
    pub(crate) fn new() -> State {
        State(AtomicU64::new(INITIAL))
    }

    /// A fresh task whose poll count already reads `polls`: for the saturation test.
    #[cfg(all(test, not(loom)))]
    fn with_polls(polls: u64) -> State {
        State(AtomicU64::new(INITIAL | (polls << POLL_SHIFT)))
    }

    /// The current value (acquire: the caller may then read what the last writer published).
    #[inline]
    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Ordering::Acquire))
    }

    /// A runner takes a queued task: `SCHEDULED` → `RUNNING`, counting one poll, unless
    /// someone else holds the future or it is finished. An aborted task is claimed too, for
    /// the runner to drop its future ([`TransitionToRunning::Cancel`]).
    #[inline]
    pub(crate) fn transition_to_running(&self) -> TransitionToRunning {
        self.transition(|s| {
            if s & (RUNNING | COMPLETE) != 0 {
                return Ok(TransitionToRunning::Busy);
            }
            // A queued task's runnable is the only one, and only its runner clears
            // `SCHEDULED` (here), so it is set: one flip clears it and sets `RUNNING`.
            debug_assert!(s & SCHEDULED != 0, "a runnable exists only while SCHEDULED");
            let next = s ^ (SCHEDULED | RUNNING);
            // One test for both reasons not to count: a cancellation is not a poll, and a
            // full count (its top bit set) stays where it is.
            if s & (CANCELLED | POLLS_FULL) == 0 {
                self.exchange(s, next + POLL_ONE)?;
                Ok(TransitionToRunning::Poll)
            } else {
                self.exchange(s, next)?;
                Ok(if Snapshot(s).is_cancelled() {
                    TransitionToRunning::Cancel
                } else {
                    TransitionToRunning::Poll
                })
            }
        })
    }

    /// The runner's poll returned `Pending`: set `PENDED`, count the woken-during-poll streak
    /// (one more if `SCHEDULED` is set, else back to zero) and release `RUNNING`, unless an
    /// abort arrived during the poll (then keep `RUNNING`, to drop the future, and leave the
    /// streak: the task is about to finish). If the task
    /// goes idle, the runner's reference is dropped in the same update; if it was woken, a
    /// reference for the queue is taken in it (this may pass [`REFS_MAX`] by one, within the
    /// headroom: only the checked [`State::ref_inc`] can add more).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn transition_to_idle(&self) -> TransitionToIdle {
        self.transition_to_idle_from(self.load())
    }

    /// `transition_to_idle` (above; only tests call it), deciding first from `seen`, a value
    /// the runner read after its poll ([`State::load`]): one read fewer. A stale value costs
    /// a retry, nothing else.
    #[inline]
    pub(crate) fn transition_to_idle_from(&self, seen: Snapshot) -> TransitionToIdle {
        self.transition_from(seen.0, |s| {
            debug_assert!(s & RUNNING != 0, "the caller holds RUNNING");
            // `RUNNING` is set, so subtracting it clears it: the constants fold into one.
            if s & CANCELLED != 0 {
                // The future is dropped next: no streak to count.
                self.exchange(s, s | PENDED)?;
                Ok(TransitionToIdle::Cancel)
            } else if s & SCHEDULED != 0 {
                // One exchange per case, each adding one constant: a full streak stays put.
                if s & STREAK_FULL == 0 {
                    self.exchange(s, (s | PENDED) + (REF_ONE + STREAK_ONE - RUNNING))?;
                } else {
                    self.exchange(s, (s | PENDED) + (REF_ONE - RUNNING))?;
                }
                Ok(TransitionToIdle::Notified)
            } else {
                self.exchange(s, ((s | PENDED) & !STREAK_MASK) - RUNNING - REF_ONE)?;
                let last = Snapshot(s).is_only_ref();
                Ok(TransitionToIdle::Idle { last })
            }
        })
    }

    /// One attempt at replacing `current` with `next`, acquire-release; `Err` with the value
    /// found instead.
    #[inline(always)]
    fn exchange(&self, current: u64, next: u64) -> Result<(), u64> {
        self.0
            .compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Acquire)
            .map(drop)
    }

    /// Runs a transition: `attempt` decides from a value of the word, tries one
    /// [`exchange`](State::exchange) (or none, to refuse) and returns its outcome, or `Err`
    /// with the value it found instead, to decide again from. Every transition of the word
    /// but the plain reference counts and `consume` goes through here.
    ///
    /// The first try is inline and the retries (another thread changed the word in between)
    /// out of line, so the common case is straight code: each branch of `attempt` has its own
    /// exchange and returns its own outcome, with no second test of the previous value and no
    /// loop whose other branches' constants the compiler would load ahead of the decision.
    /// Against `fetch_update` closures (callgrind, bench profile, one thread): −17
    /// instructions per `yield_now` round trip, −32 per ping-pong turn, −11 per
    /// spawn-and-await.
    #[inline(always)]
    fn transition<T>(&self, attempt: impl Fn(u64) -> Result<T, u64>) -> T {
        // Acquire, like a failed exchange: a transition refused on this value (the task is
        // complete, say) may lead its caller to read what the last writer published.
        self.transition_from(self.0.load(Ordering::Acquire), attempt)
    }

    /// [`transition`](State::transition), deciding first from `seen`, a value of the word read
    /// with acquire ordering.
    #[inline(always)]
    fn transition_from<T>(&self, seen: u64, attempt: impl Fn(u64) -> Result<T, u64>) -> T {
        match attempt(seen) {
            Ok(outcome) => outcome,
            Err(found) => State::retry(found, attempt),
        }
    }

    /// The retries of [`transition`](State::transition).
    #[cold]
    #[inline(never)]
    fn retry<T>(mut found: u64, attempt: impl Fn(u64) -> Result<T, u64>) -> T {
        loop {
            match attempt(found) {
                Ok(outcome) => return outcome,
                Err(again) => found = again,
            }
        }
    }

    /// A wake: set `SCHEDULED`. Only the wake that finds the task idle queues it.
    #[inline]
    pub(crate) fn transition_to_notified(&self) -> Notified {
        self.notify(SCHEDULED)
    }

    /// An abort that cannot drop the future itself (the task runs, or is local): mark it
    /// `CANCELLED` and `SCHEDULED`; an idle task must be queued so that a runner drops it.
    #[inline]
    pub(crate) fn mark_cancelled(&self) -> Notified {
        self.notify(CANCELLED | SCHEDULED)
    }

    /// Sets `bits` (which include `SCHEDULED`); if the task was idle, also takes the queue's
    /// reference. That add is unchecked, and safe: an idle task has no queue reference, and
    /// it gets at most one until a runner clears `SCHEDULED`, so the count passes
    /// [`REFS_MAX`] by one at most, within the headroom.
    #[inline]
    fn notify(&self, bits: u64) -> Notified {
        self.transition(|s| {
            if Snapshot(s).is_idle() {
                self.exchange(s, (s | bits) + REF_ONE)?;
                Ok(Notified::Submit)
            } else {
                self.exchange(s, s | bits)?;
                Ok(Notified::DoNothing)
            }
        })
    }

    /// An abort or shutdown takes `RUNNING` from a task that is idle or queued (not running,
    /// not finished), marking it `CANCELLED`. True if it did: the caller drops the future.
    #[must_use]
    #[inline]
    pub(crate) fn claim_for_cancel(&self) -> bool {
        self.transition(|s| {
            if s & (RUNNING | COMPLETE) != 0 {
                return Ok(false);
            }
            self.exchange(s, s | RUNNING | CANCELLED)?;
            Ok(true)
        })
    }

    /// The holder of `RUNNING` has dropped the future and stored the result: publish it
    /// (`COMPLETE`, `FAILED` if it is an error) and release `RUNNING`. If the handle is gone the
    /// result is marked `CONSUMED` in the same step, and the completer drops it.
    #[inline]
    pub(crate) fn transition_to_complete(&self, failed: bool) -> Completion {
        let failed = if failed { FAILED } else { 0 };
        let prev = self.transition(|s| {
            let consumed = if s & HANDLE == 0 { CONSUMED } else { 0 };
            self.exchange(s, (s | COMPLETE | failed | consumed) & !RUNNING)?;
            Ok(Snapshot(s))
        });
        // Decided from the previous value after the exchange, not in a branch each: the
        // branches' exchanges are the same but for `CONSUMED`, and merged back into one they
        // left the outcome to be rebuilt from flags (−6 instructions per spawn-and-await).
        let then = if !prev.has_handle() {
            Completed::DropResult
        } else if prev.has_join_waker() {
            Completed::WakeJoiner
        } else {
            Completed::Keep
        };
        Completion {
            then,
            pended: prev.has_pended(),
        }
    }

    /// The side the result was handed to takes it: set `CONSUMED`. Returns the previous value
    /// (its `FAILED` says which field of the slot holds the result).
    #[inline]
    pub(crate) fn consume(&self) -> Snapshot {
        Snapshot(self.0.fetch_or(CONSUMED, Ordering::AcqRel))
    }

    /// [`consume`](State::consume) for a caller that has read the word since `COMPLETE` (which
    /// fixed `FAILED` for good): the previous value is not needed, so the update is one
    /// instruction rather than an exchange loop.
    #[inline]
    pub(crate) fn mark_consumed(&self) {
        self.0.fetch_or(CONSUMED, Ordering::AcqRel);
    }

    /// The handle is dropped: clear `HANDLE`, and before completion withdraw the join waker
    /// with it.
    #[inline]
    pub(crate) fn drop_handle(&self) -> HandleDropped {
        self.transition(|s| {
            Ok(if s & COMPLETE == 0 {
                self.exchange(s, s & !(HANDLE | JOIN_WAKER))?;
                if s & JOIN_WAKER != 0 {
                    HandleDropped::DropJoinWaker
                } else {
                    HandleDropped::Nothing
                }
            } else {
                self.exchange(s, s & !HANDLE)?;
                if Snapshot(s).holds_result() {
                    HandleDropped::DropResult
                } else {
                    HandleDropped::Nothing
                }
            })
        })
    }

    /// The handle takes its waker field back to replace the waker: clear `JOIN_WAKER`, unless
    /// the task completed first. True if it did.
    #[must_use]
    #[inline]
    pub(crate) fn unset_join_waker(&self) -> bool {
        self.transition(|s| {
            if s & COMPLETE != 0 {
                return Ok(false);
            }
            self.exchange(s, s & !JOIN_WAKER)?;
            Ok(true)
        })
    }

    /// The handle has written its waker: publish it with `JOIN_WAKER`, unless the task
    /// completed first. True if it did.
    #[must_use]
    #[inline]
    pub(crate) fn set_join_waker(&self) -> bool {
        self.transition(|s| {
            if s & COMPLETE != 0 {
                return Ok(false);
            }
            self.exchange(s, s | JOIN_WAKER)?;
            Ok(true)
        })
    }

    /// Takes one more reference.
    ///
    /// # Panics
    ///
    /// If the task already has [`REFS_MAX`] references (over a million wakers of one task
    /// alive at once); the count is left as it was.
    #[inline]
    pub(crate) fn ref_inc(&self) {
        // Relaxed: the caller holds a reference already, so the cell stays alive, and nothing
        // is published by taking another.
        let prev = Snapshot(self.0.fetch_add(REF_ONE, Ordering::Relaxed));
        if prev.refs() >= REFS_MAX {
            self.0.fetch_sub(REF_ONE, Ordering::Relaxed);
            too_many_references();
        }
    }

    /// Drops one reference. True if it was the last: the caller frees the cell.
    #[inline]
    #[must_use]
    pub(crate) fn ref_dec(&self) -> bool {
        // Release: our last uses of the cell happen before the free; acquire (when last): we
        // see every other holder's uses before freeing it.
        let prev = Snapshot(self.0.fetch_sub(REF_ONE, Ordering::AcqRel));
        debug_assert!(prev.refs() > 0, "reference count underflow");
        prev.is_only_ref()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_poll_is_counted_when_running_is_claimed() {
        let state = State::new();
        assert_eq!(state.load().polls(), 0);
        assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
        assert_eq!(state.load().polls(), 1);
        assert_eq!(
            state.transition_to_idle(),
            TransitionToIdle::Idle { last: false }
        );
        assert_eq!(state.transition_to_notified(), Notified::Submit);
        assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
        assert_eq!(state.load().polls(), 2);
    }

    #[test]
    fn the_poll_count_saturates_without_touching_the_flags() {
        let state = State::with_polls(POLLS_MAX - 1);
        for _ in 0..3 {
            assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
            assert_eq!(
                state.transition_to_idle(),
                TransitionToIdle::Idle { last: false }
            );
            // The wake takes the queue's reference.
            assert_eq!(state.transition_to_notified(), Notified::Submit);
        }
        let s = state.load();
        assert_eq!(s.polls(), POLLS_MAX);
        assert_eq!(s.refs(), 2, "nothing spilled into the count");
        assert!(s.has_pended());
        assert!(s.is_scheduled() && s.has_handle());
        assert!(!s.is_running() && !s.is_complete() && !s.is_cancelled());
        assert_eq!(s.self_wake_streak(), 0, "nothing spilled above the count");
    }

    #[test]
    fn the_wake_streak_counts_woken_pending_polls_in_a_row_and_saturates() {
        let state = State::new();
        for expected in 1..=3 {
            assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
            assert_eq!(state.transition_to_notified(), Notified::DoNothing);
            assert_eq!(state.transition_to_idle(), TransitionToIdle::Notified);
            assert_eq!(state.load().self_wake_streak(), expected);
        }
        // A pending poll that nobody woke ends the streak.
        assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
        assert_eq!(
            state.transition_to_idle(),
            TransitionToIdle::Idle { last: false }
        );
        assert_eq!(state.load().self_wake_streak(), 0);
        let state = State(AtomicU64::new(INITIAL | ((STREAK_MAX - 1) << STREAK_SHIFT)));
        for _ in 0..3 {
            assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
            assert_eq!(state.transition_to_notified(), Notified::DoNothing);
            assert_eq!(state.transition_to_idle(), TransitionToIdle::Notified);
        }
        let s = state.load();
        assert_eq!((s.self_wake_streak(), s.polls()), (STREAK_MAX, 3));
        assert!(s.is_scheduled() && s.has_handle() && !s.is_running());
    }

    #[test]
    fn the_reference_count_starts_at_two_and_the_last_drop_says_so() {
        let state = State::new();
        assert_eq!(state.load().refs(), 2, "the runnable and the handle");
        state.ref_inc();
        assert_eq!(state.load().refs(), 3);
        assert!(!state.ref_dec());
        assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
        // Going idle drops the runner's reference in the same update.
        assert_eq!(
            state.transition_to_idle(),
            TransitionToIdle::Idle { last: false }
        );
        assert_eq!(state.load().refs(), 1);
        let s = state.load();
        assert!(s.has_handle() && s.has_pended() && s.is_idle() && s.polls() == 1);
        assert_eq!(state.transition_to_notified(), Notified::Submit);
        assert_eq!(
            state.load().refs(),
            2,
            "the wake took the queue's reference"
        );
        assert_eq!(state.transition_to_notified(), Notified::DoNothing);
        assert_eq!(state.mark_cancelled(), Notified::DoNothing);
        assert_eq!(state.load().refs(), 2, "queued already: no more references");
        assert!(!state.ref_dec(), "the queue's");
        assert!(state.ref_dec(), "the handle's was the last");
        assert_eq!(state.load().refs(), 0);
    }

    #[test]
    fn the_last_reference_can_be_the_runners() {
        let state = State::new();
        assert!(!state.ref_dec(), "the handle is dropped first");
        assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
        assert_eq!(
            state.transition_to_idle(),
            TransitionToIdle::Idle { last: true }
        );
    }

    #[test]
    fn a_task_woken_during_its_poll_gets_a_queue_reference_in_the_same_update() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
        assert_eq!(state.transition_to_notified(), Notified::DoNothing);
        assert_eq!(state.transition_to_idle(), TransitionToIdle::Notified);
        assert_eq!(
            state.load().refs(),
            3,
            "the runner's and the queue's, and the handle's"
        );
    }

    #[test]
    fn too_many_references_panic_and_leave_the_count_alone() {
        let state = State(AtomicU64::new(INITIAL - 2 * REF_ONE + REFS_MAX * REF_ONE));
        let before = state.load();
        let caught = std::panic::catch_unwind(|| state.ref_inc());
        assert!(caught.is_err());
        assert!(
            state.load() == before,
            "{:?} became {:?}",
            before,
            state.load()
        );
        assert!(!state.ref_dec());
        state.ref_inc();
        assert_eq!(state.load().refs(), REFS_MAX);
    }

    #[test]
    fn a_cancelled_claim_is_not_a_poll() {
        let state = State::new();
        assert_eq!(
            state.mark_cancelled(),
            Notified::DoNothing,
            "already queued"
        );
        assert_eq!(state.transition_to_running(), TransitionToRunning::Cancel);
        assert_eq!(state.load().polls(), 0);
    }

    #[test]
    fn a_wake_queues_only_an_idle_task() {
        let state = State::new();
        assert_eq!(
            state.transition_to_notified(),
            Notified::DoNothing,
            "queued"
        );
        assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
        assert_eq!(
            state.transition_to_notified(),
            Notified::DoNothing,
            "running"
        );
        assert_eq!(state.transition_to_idle(), TransitionToIdle::Notified);
        assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
        assert_eq!(state.transition_to_complete(false).then, Completed::Keep);
        assert_eq!(
            state.transition_to_notified(),
            Notified::DoNothing,
            "finished"
        );
        assert_eq!(state.transition_to_running(), TransitionToRunning::Busy);
    }

    #[test]
    fn completing_without_a_handle_consumes_the_result() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
        assert_eq!(state.drop_handle(), HandleDropped::Nothing);
        assert_eq!(
            state.transition_to_complete(true).then,
            Completed::DropResult
        );
        let s = state.load();
        assert!(s.is_complete() && s.is_consumed() && s.is_failed() && !s.is_running());
    }

    #[test]
    fn the_join_waker_is_published_and_withdrawn_before_completion_only() {
        let state = State::new();
        assert!(state.set_join_waker());
        assert!(state.unset_join_waker());
        assert!(state.set_join_waker());
        assert!(state.claim_for_cancel());
        assert_eq!(
            state.transition_to_complete(true).then,
            Completed::WakeJoiner
        );
        assert!(!state.unset_join_waker());
        assert!(!state.set_join_waker());
        assert_eq!(state.drop_handle(), HandleDropped::DropResult);
    }
}
