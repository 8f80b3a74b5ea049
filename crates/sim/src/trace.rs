//! [`Trace`]: a running hash of everything the simulator decided.
//!
//! Each event (a poll of the root future or of task `id`, virtual time moving to `t`, a timer
//! firing) is folded in as one or two words. Two runs with equal hashes polled the same things
//! in the same order at the same virtual times. The mixing is FxHash's (rotate, xor,
//! multiply), written out here so that the value never depends on `std`'s hasher of the day.

/// Multiplier of the FxHash mix: an odd constant with well-spread bits.
const MIX: u64 = 0x517c_c1b7_2722_0a95;

/// The events, as the first word of each record.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    PollRoot = 1,
    PollTask = 2,
    Advance = 3,
    Fire = 4,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Trace {
    hash: u64,
}

impl Trace {
    pub(crate) fn record(&mut self, event: Event, value: u64) {
        self.word(event as u64);
        self.word(value);
    }

    fn word(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(MIX);
    }

    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matters() {
        let mut a = Trace::default();
        a.record(Event::PollTask, 1);
        a.record(Event::PollTask, 2);
        let mut b = Trace::default();
        b.record(Event::PollTask, 2);
        b.record(Event::PollTask, 1);
        assert_ne!(a.hash(), b.hash());
    }
}
