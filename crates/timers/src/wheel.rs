//! The hierarchical timing wheel: orders pending timers by their exact deadline.
//!
//! Owned by the driver thread alone, so it has no locks and no atomics. Times are nanoseconds
//! since the driver's epoch; a *tick* is `2^TICK_SHIFT` ns (about 1.05 ms).
//!
//! # Layout
//!
//! [`LEVELS`] levels of 64 slots. A slot at level `L` covers `64^L` ticks, so the wheel spans
//! `64^6` ticks (about 2.3 years); entries further out wait in an overflow list. Each slot is a
//! doubly linked list threaded through one slab (`entries`, `u32` links), so insert and remove
//! are O(1) and a timer costs no allocation of its own here (the slab grows by doubling).
//!
//! # Invariants
//!
//! * `elapsed` (a tick) never passes the tick of the latest `now` given to [`Wheel::poll`], and
//!   no entry's tick is before `elapsed`.
//! * An entry with tick `t` sits at level `L`, the highest 6-bit group in which `t` differs
//!   from `elapsed` (level 0 if none does), in slot `(t >> 6L) & 63`; if `L >= LEVELS` it sits
//!   in the overflow list. Hence every entry at level `L` is due before every entry at level
//!   `L + 1`, and every occupied slot of a level is at or after that level's current position.
//! * A slot's bit in `occupied` is set exactly when its list is non-empty.
//! * A level-0 slot whose bit in `sorted` is set is ordered by deadline, earliest first; the bit
//!   is set when the slot is first needed in order (its earliest deadline, or firing it), kept
//!   by inserting in order, and cleared when the slot empties. So a driver wake-up costs what
//!   it fires, not a scan of a slot that may hold thousands of timers.
//! * The exact deadline is kept in every entry: buckets only order entries, they never round a
//!   deadline. [`Wheel::poll`] fires an entry only once `now >= deadline`, and returns either
//!   the exact earliest deadline (the next level-0 slot) or the start of a higher-level slot
//!   that must be split up first; neither is ever later than the earliest deadline.
//! * `overflow_min` is at most the earliest deadline in the overflow list (a lower bound:
//!   removals leave it as it is). The overflow list is walked only once that bound is due,
//!   and the walk makes it exact again, so a driver round costs nothing per far-future timer
//!   (`sleep(Duration::MAX)` lands there) and a stale bound costs one early wake-up.
//! * Free slab entries form a list through `next`; `live` counts the occupied ones.

/// Ticks are `2^TICK_SHIFT` nanoseconds.
const TICK_SHIFT: u32 = 20;
/// Slots per level, as a power of two.
const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
/// Levels of the wheel; further deadlines go to the overflow list.
const LEVELS: usize = 6;
/// End of a list.
const NIL: u32 = u32::MAX;
/// The `place` of an entry in the overflow list.
const OVERFLOW: u16 = (LEVELS * SLOTS) as u16;
/// The `place` of a free slab entry.
const FREE: u16 = OVERFLOW + 1;

/// A key handed out by [`Wheel::insert`]: the entry's index in the slab.
pub(crate) type Key = u32;

struct Entry<T> {
    value: Option<T>,
    deadline: u64,
    prev: u32,
    next: u32,
    /// `level * 64 + slot`, [`OVERFLOW`] or [`FREE`].
    place: u16,
}

/// The wheel, generic over what it stores so it can be tested on its own.
pub(crate) struct Wheel<T> {
    elapsed: u64,
    occupied: [u64; LEVELS],
    /// Level-0 slots whose list is sorted by deadline (kept sorted on insert).
    sorted: u64,
    /// Scratch space for sorting a slot.
    scratch: Vec<(u64, u32)>,
    heads: [[u32; SLOTS]; LEVELS],
    overflow: u32,
    /// A lower bound on the overflow list's deadlines (`u64::MAX` if none was added since
    /// the last walk).
    overflow_min: u64,
    entries: Vec<Entry<T>>,
    free: u32,
    live: usize,
    /// Overflow entries visited by walks, for the tests.
    #[cfg(test)]
    overflow_visits: usize,
}

impl<T> Wheel<T> {
    pub(crate) fn new() -> Self {
        Wheel {
            elapsed: 0,
            occupied: [0; LEVELS],
            sorted: 0,
            scratch: Vec::new(),
            heads: [[NIL; SLOTS]; LEVELS],
            overflow: NIL,
            overflow_min: u64::MAX,
            entries: Vec::new(),
            free: NIL,
            live: 0,
            #[cfg(test)]
            overflow_visits: 0,
        }
    }

    /// The number of entries in the wheel.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Adds `value`, due at `deadline` (ns), and returns its key.
    ///
    /// A deadline already past is kept and fired by the next [`poll`](Wheel::poll).
    ///
    /// # Panics
    ///
    /// Panics if more than `u32::MAX - 1` entries are live at once.
    pub(crate) fn insert(&mut self, deadline: u64, value: T) -> Key {
        let entry = Entry {
            value: Some(value),
            deadline,
            prev: NIL,
            next: NIL,
            place: FREE,
        };
        let key = if self.free != NIL {
            let key = self.free;
            self.free = self.entries[key as usize].next;
            self.entries[key as usize] = entry;
            key
        } else {
            let key = u32::try_from(self.entries.len())
                .ok()
                .filter(|&k| k != NIL)
                .expect("timers: more than 4 billion timers pending at once");
            self.entries.push(entry);
            key
        };
        self.live += 1;
        self.link(key);
        key
    }

    /// The value stored under `key`, if that entry is live.
    pub(crate) fn get(&self, key: Key) -> Option<&T> {
        self.entries.get(key as usize)?.value.as_ref()
    }

    /// Removes the entry under `key` and returns its value; `None` if it is not live.
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        let entry = self.entries.get(key as usize)?;
        entry.value.as_ref()?;
        self.unlink(key);
        Some(self.release(key))
    }

    /// Fires (hands to `fire`) every entry due at `now`, and returns when the wheel next needs
    /// attention: `None` if it is empty, else a time in ns that is never later than the earliest
    /// remaining deadline.
    pub(crate) fn poll(&mut self, now: u64, mut fire: impl FnMut(T)) -> Option<u64> {
        let now_tick = now >> TICK_SHIFT;
        loop {
            let Some((level, slot, start)) = self.next_slot() else {
                match self.poll_overflow(now, now_tick) {
                    Some(next) => return next,
                    None => continue,
                }
            };
            if start > now_tick {
                // Nothing in the wheel is due before `start`, and the levels below `level` are
                // empty, so moving `elapsed` up to now keeps every entry where it belongs.
                self.elapsed = now_tick;
                return Some(if level == 0 {
                    self.sort_slot(slot);
                    self.entries[self.heads[0][slot] as usize].deadline
                } else {
                    start << TICK_SHIFT
                });
            }
            self.elapsed = start;
            if level == 0 {
                // The slot's tick has come: fire what is due, in deadline order, and stop at
                // the first that is not (same tick, later ns). Sorting once per slot keeps
                // each driver wake-up proportional to what it fires, not to the slot's size.
                self.sort_slot(slot);
                loop {
                    let key = self.heads[0][slot];
                    if key == NIL {
                        break;
                    }
                    let deadline = self.entries[key as usize].deadline;
                    if deadline > now {
                        return Some(deadline);
                    }
                    self.unlink(key);
                    fire(self.release(key));
                }
            } else {
                // A higher slot's time has come: spread its entries over the levels below.
                let mut key = self.take_list(level, slot);
                while key != NIL {
                    let next = self.entries[key as usize].next;
                    if self.entries[key as usize].deadline <= now {
                        fire(self.release(key));
                    } else {
                        self.link(key);
                    }
                    key = next;
                }
            }
        }
    }

    /// Rebuilds the slab when most of it is free, so memory follows the live count down.
    ///
    /// Keys change: `rekey` is told each value's new key.
    pub(crate) fn shrink(&mut self, mut rekey: impl FnMut(&T, Key)) {
        let len = self.entries.len();
        if len <= 1024 || self.live * 4 > len {
            return;
        }
        let live = self.live;
        let old = std::mem::take(&mut self.entries);
        self.occupied = [0; LEVELS];
        self.sorted = 0;
        self.heads = [[NIL; SLOTS]; LEVELS];
        self.overflow = NIL;
        self.overflow_min = u64::MAX;
        self.free = NIL;
        self.live = 0;
        self.entries.reserve_exact(live);
        for entry in old {
            if let Some(value) = entry.value {
                let key = self.insert(entry.deadline, value);
                rekey(self.get(key).expect("just inserted"), key);
            }
        }
    }

    /// The first occupied slot, as `(level, slot, start tick)`, or `None` if the levels are empty.
    fn next_slot(&self) -> Option<(usize, usize, u64)> {
        (0..LEVELS).find_map(|level| {
            let occupied = self.occupied[level];
            if occupied == 0 {
                return None;
            }
            let shift = SLOT_BITS * level as u32;
            let position = (self.elapsed >> shift) & (SLOTS as u64 - 1);
            debug_assert_eq!(occupied & (u64::MAX << position), occupied);
            let slot = occupied.trailing_zeros() as usize;
            let span = shift + SLOT_BITS;
            let base = if span >= 64 {
                0
            } else {
                self.elapsed & !((1u64 << span) - 1)
            };
            Some((level, slot, base + ((slot as u64) << shift)))
        })
    }

    /// The levels are empty: bring overflow entries in once the earliest is due. Returns what
    /// [`poll`](Wheel::poll) should return, or `None` if entries moved in and it must go on.
    ///
    /// O(1) until `overflow_min` is due; then one walk re-places every overflow entry (those
    /// now within the levels' span move in) and makes `overflow_min` exact again.
    fn poll_overflow(&mut self, now: u64, now_tick: u64) -> Option<Option<u64>> {
        if self.overflow == NIL {
            self.elapsed = now_tick;
            return Some(None);
        }
        if self.overflow_min > now {
            return Some(Some(self.overflow_min));
        }
        self.elapsed = now_tick;
        self.overflow_min = u64::MAX;
        let mut key = std::mem::replace(&mut self.overflow, NIL);
        while key != NIL {
            #[cfg(test)]
            {
                self.overflow_visits += 1;
            }
            let next = self.entries[key as usize].next;
            self.link(key);
            key = next;
        }
        None
    }

    /// Sorts level-0 `slot` by deadline, unless it already is.
    fn sort_slot(&mut self, slot: usize) {
        if self.sorted & (1 << slot) != 0 {
            return;
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut key = self.take_list(0, slot);
        while key != NIL {
            let entry = &self.entries[key as usize];
            scratch.push((entry.deadline, key));
            key = entry.next;
        }
        scratch.sort_unstable();
        // Push to the head in reverse order, so the list ends up ascending.
        let place = slot as u16;
        for &(_, key) in scratch.iter().rev() {
            self.push_front(place, key);
        }
        self.sorted |= 1 << slot;
        scratch.clear();
        if scratch.capacity() > 4096 {
            scratch = Vec::new();
        }
        self.scratch = scratch;
    }

    /// Where an entry due at `deadline` belongs now, as a `place`.
    fn place_of(&self, deadline: u64) -> u16 {
        let tick = (deadline >> TICK_SHIFT).max(self.elapsed);
        let significant = 63 - ((self.elapsed ^ tick) | (SLOTS as u64 - 1)).leading_zeros();
        let level = (significant / SLOT_BITS) as usize;
        if level >= LEVELS {
            return OVERFLOW;
        }
        let slot = (tick >> (SLOT_BITS * level as u32)) as usize & (SLOTS - 1);
        (level * SLOTS + slot) as u16
    }

    fn head_mut(&mut self, place: u16) -> &mut u32 {
        if place == OVERFLOW {
            &mut self.overflow
        } else {
            &mut self.heads[place as usize / SLOTS][place as usize % SLOTS]
        }
    }

    /// Puts the (unlinked) entry `key` into the list it belongs to: at the head, or in
    /// deadline order if that list is a sorted level-0 slot.
    fn link(&mut self, key: u32) {
        let deadline = self.entries[key as usize].deadline;
        let place = self.place_of(deadline);
        if (place as usize) < SLOTS && self.sorted & (1 << place) != 0 {
            let mut before = self.heads[0][place as usize];
            if self.entries[before as usize].deadline < deadline {
                // Walk to the last entry due before this one and link in after it.
                loop {
                    let next = self.entries[before as usize].next;
                    if next == NIL || self.entries[next as usize].deadline >= deadline {
                        break;
                    }
                    before = next;
                }
                let next = self.entries[before as usize].next;
                self.entries[before as usize].next = key;
                if next != NIL {
                    self.entries[next as usize].prev = key;
                }
                let entry = &mut self.entries[key as usize];
                entry.prev = before;
                entry.next = next;
                entry.place = place;
                return;
            }
        }
        self.push_front(place, key);
    }

    /// Puts the (unlinked) entry `key` at the head of list `place`.
    fn push_front(&mut self, place: u16, key: u32) {
        let head = std::mem::replace(self.head_mut(place), key);
        if head != NIL {
            self.entries[head as usize].prev = key;
        }
        let entry = &mut self.entries[key as usize];
        entry.prev = NIL;
        entry.next = head;
        entry.place = place;
        if place == OVERFLOW {
            self.overflow_min = self.overflow_min.min(entry.deadline);
        } else {
            self.occupied[place as usize / SLOTS] |= 1 << (place as usize % SLOTS);
        }
    }

    fn unlink(&mut self, key: u32) {
        let Entry {
            prev, next, place, ..
        } = self.entries[key as usize];
        if prev == NIL {
            *self.head_mut(place) = next;
            if next == NIL && place != OVERFLOW {
                self.occupied[place as usize / SLOTS] &= !(1 << (place as usize % SLOTS));
                if (place as usize) < SLOTS {
                    self.sorted &= !(1 << place);
                }
            }
        } else {
            self.entries[prev as usize].next = next;
        }
        if next != NIL {
            self.entries[next as usize].prev = prev;
        }
    }

    /// Detaches a whole slot list and returns its first key.
    fn take_list(&mut self, level: usize, slot: usize) -> u32 {
        self.occupied[level] &= !(1 << slot);
        if level == 0 {
            self.sorted &= !(1 << slot);
        }
        std::mem::replace(&mut self.heads[level][slot], NIL)
    }

    /// Frees the (unlinked) entry `key` and returns its value.
    fn release(&mut self, key: u32) -> T {
        let entry = &mut self.entries[key as usize];
        let value = entry.value.take().expect("released a free entry");
        entry.place = FREE;
        entry.next = self.free;
        self.free = key;
        self.live -= 1;
        if self.live == 0 && self.entries.len() > 1024 {
            self.entries = Vec::new();
            self.free = NIL;
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn fired(wheel: &mut Wheel<u64>, now: u64) -> (Vec<u64>, Option<u64>) {
        let mut out = Vec::new();
        let next = wheel.poll(now, |v| out.push(v));
        out.sort_unstable();
        (out, next)
    }

    #[test]
    fn fires_exactly_at_the_deadline_never_before() {
        let mut wheel = Wheel::new();
        let deadline = 5 * MS + 123;
        wheel.insert(deadline, deadline);
        assert_eq!(fired(&mut wheel, 0), (vec![], Some(deadline)));
        assert_eq!(fired(&mut wheel, deadline - 1), (vec![], Some(deadline)));
        assert_eq!(fired(&mut wheel, deadline), (vec![deadline], None));
        assert_eq!(wheel.len(), 0);
    }

    #[test]
    fn next_wake_is_never_after_the_earliest_deadline() {
        // Deadlines at every scale, from sub-tick to years; walk time by the returned targets.
        let mut wheel = Wheel::new();
        let mut deadlines: Vec<u64> = (0..64u32)
            .map(|i| (1u64 << i).wrapping_mul(3) / 2 + u64::from(i))
            .filter(|&d| d < u64::MAX / 2)
            .collect();
        deadlines.extend([1, 2, 999_999, 1_048_576, 1_048_577, 3 * MS, 64 * MS]);
        for &d in &deadlines {
            wheel.insert(d, d);
        }
        deadlines.sort_unstable();
        let mut now = 0;
        let mut seen = Vec::new();
        while let Some(next) = wheel.poll(now, |v| seen.push((v, now))) {
            assert!(next > now, "target {next} not after now {now}");
            let earliest = deadlines.iter().copied().find(|d| *d > now).unwrap();
            assert!(
                next <= earliest,
                "target {next} after earliest deadline {earliest}"
            );
            now = next;
        }
        for (value, at) in &seen {
            assert!(at >= value, "{value} fired early at {at}");
            assert_eq!(
                at, value,
                "{value} fired late at {at} though time stepped to targets"
            );
        }
        assert_eq!(seen.len(), deadlines.len());
    }

    #[test]
    fn remove_takes_an_entry_out_for_good() {
        let mut wheel = Wheel::new();
        let a = wheel.insert(10 * MS, 1);
        let b = wheel.insert(10 * MS, 2);
        let c = wheel.insert(500 * MS, 3);
        assert_eq!(wheel.remove(b), Some(2));
        assert_eq!(wheel.remove(b), None);
        assert_eq!(wheel.remove(c), Some(3));
        assert_eq!(wheel.get(a), Some(&1));
        assert_eq!(fired(&mut wheel, 600 * MS), (vec![1], None));
    }

    #[test]
    fn late_poll_fires_everything_due_across_levels() {
        let mut wheel = Wheel::new();
        let deadline = |i: u64| i * 299_999 + 1;
        for i in 0..10_000u64 {
            wheel.insert(deadline(i), i);
        }
        let now = 1_500 * MS;
        let (out, next) = fired(&mut wheel, now);
        assert_eq!(
            out,
            (0..10_000)
                .filter(|&i| deadline(i) <= now)
                .collect::<Vec<_>>()
        );
        let earliest_left = (0..10_000)
            .map(deadline)
            .filter(|&d| d > now)
            .min()
            .unwrap();
        let next = next.unwrap();
        assert!(next > now && next <= earliest_left);
        let (rest, next) = fired(&mut wheel, 3_000 * MS);
        assert_eq!(out.len() + rest.len(), 10_000);
        assert_eq!(next, None);
    }

    #[test]
    fn far_deadlines_wait_in_overflow_without_overflowing() {
        let mut wheel = Wheel::new();
        wheel.insert(u64::MAX, 1);
        let years = 3 * 365 * 24 * 3600 * 1_000 * MS;
        wheel.insert(years, 2);
        wheel.insert(MS, 3);
        assert_eq!(fired(&mut wheel, MS), (vec![3], Some(years)));
        assert_eq!(fired(&mut wheel, years), (vec![2], Some(u64::MAX)));
        assert_eq!(fired(&mut wheel, u64::MAX), (vec![1], None));
    }

    #[test]
    fn far_future_timers_cost_nothing_per_round() {
        let mut wheel = Wheel::new();
        for i in 0..10_000u64 {
            wheel.insert(u64::MAX - i, i);
        }
        let near = wheel.insert(500 * MS, 10_000);
        // A thousand driver rounds over the next second: the far timers are not walked.
        for round in 1..=1_000u64 {
            let (out, next) = fired(&mut wheel, round * MS);
            assert_eq!(out, if round == 500 { vec![10_000] } else { vec![] });
            assert!(next.is_some_and(|n| n > round * MS));
        }
        assert!(wheel.get(near).is_none());
        assert_eq!(wheel.overflow_visits, 0);
        // Removing the earliest leaves a stale bound: one early walk, then exact again.
        let earliest = wheel.insert(u64::MAX - 20_000, 0);
        wheel.remove(earliest);
        assert_eq!(
            fired(&mut wheel, 2_000 * MS),
            (vec![], Some(u64::MAX - 20_000))
        );
        assert_eq!(
            fired(&mut wheel, u64::MAX - 20_000),
            (vec![], Some(u64::MAX - 9_999))
        );
        assert_eq!(wheel.overflow_visits, 10_000);
        assert_eq!(wheel.len(), 10_000);
    }

    #[test]
    fn shrink_rekeys_and_frees_the_slab() {
        let mut wheel = Wheel::new();
        let keys: Vec<Key> = (0..10_000u64)
            .map(|i| wheel.insert(MS * (i + 1), i))
            .collect();
        for (i, key) in keys.iter().enumerate() {
            if i % 100 != 0 {
                wheel.remove(*key);
            }
        }
        let mut moved = Vec::new();
        wheel.shrink(|v, k| moved.push((*v, k)));
        assert_eq!(moved.len(), 100);
        assert!(wheel.entries.len() <= 100);
        for (v, k) in moved {
            assert_eq!(wheel.get(k), Some(&v));
        }
        let (out, next) = fired(&mut wheel, 20_000 * MS);
        assert_eq!(out, (0..10_000).step_by(100).collect::<Vec<_>>());
        assert_eq!(next, None);
        assert!(wheel.entries.capacity() <= 100);
    }

    #[test]
    fn emptying_a_big_slab_frees_it() {
        let mut wheel = Wheel::new();
        let keys: Vec<Key> = (0..5_000u64)
            .map(|i| wheel.insert(MS * (i + 1), i))
            .collect();
        for key in keys {
            wheel.remove(key);
        }
        assert_eq!(wheel.entries.capacity(), 0);
        wheel.insert(MS, 1);
        assert_eq!(fired(&mut wheel, MS), (vec![1], None));
    }

    #[test]
    fn random_operations_match_a_simple_model() {
        for seed in [0x9E37_79B9_7F4A_7C15u64, 1, 0xDEAD_BEEF] {
            random_operations(seed);
        }
    }

    fn random_operations(mut seed: u64) {
        // A tiny xorshift: deterministic, no dependency.
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut wheel = Wheel::new();
        let mut model: std::collections::BTreeMap<u64, (u64, Key)> = Default::default();
        let mut now = 0u64;
        for id in 0..20_000u64 {
            match rand(4) {
                0 | 1 => {
                    // Spread over sub-ms to minutes, sometimes already due.
                    let scale = [1_000, MS, 100 * MS, 60_000 * MS][rand(4) as usize];
                    let deadline = (now + rand(scale)).saturating_sub(rand(2) * MS);
                    let key = wheel.insert(deadline, id);
                    model.insert(id, (deadline, key));
                }
                2 if !model.is_empty() => {
                    let victim = *model.keys().nth(rand(model.len() as u64) as usize).unwrap();
                    let (_, key) = model.remove(&victim).unwrap();
                    assert_eq!(wheel.remove(key), Some(victim));
                }
                _ => {
                    now += rand(3 * MS);
                    let mut out = Vec::new();
                    let next = wheel.poll(now, |v| out.push(v));
                    out.sort_unstable();
                    let due: Vec<u64> = model
                        .iter()
                        .filter(|(_, (d, _))| *d <= now)
                        .map(|(id, _)| *id)
                        .collect();
                    assert_eq!(out, due);
                    model.retain(|_, (d, _)| *d > now);
                    match model.values().map(|(d, _)| *d).min() {
                        None => assert_eq!(next, None),
                        Some(earliest) => {
                            let next = next.expect("entries left");
                            assert!(next > now && next <= earliest, "{now} {next} {earliest}");
                        }
                    }
                }
            }
        }
        assert_eq!(wheel.len(), model.len());
    }
}
