//! Side-by-side benchmarks of our crates against their peers.
//!
//! The benchmarks live in `benches/benches/*.rs` and run with `cargo bench -p benches`
//! (or `cargo xtask bench`, which also writes a report of the ratios). This library holds
//! helpers shared by those benchmark files.
//!
//! # Counting allocations
//!
//! [`CountingAlloc`] is a global allocator that forwards to [`System`] and, only while
//! [`count_allocations`] or [`measure_allocations`] runs, counts every allocation made by any
//! thread and the net change in live bytes (bytes allocated minus bytes freed). Outside that
//! window it costs one relaxed load per allocation or free, so installing it in a bench binary
//! barely touches the timed loops; counting is done in a separate, untimed pass.
//!
//! Invariant: the allocation counter only grows while the switch is on, and the byte counter
//! moves only while it is on; a measurement reads both before and after with the switch on, so
//! the differences are what was allocated (and the net bytes kept) in between, plus whatever
//! other threads did in that window: keep other threads quiet.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

/// Whether allocations are being counted right now.
static COUNTING: AtomicBool = AtomicBool::new(false);
/// Allocations (including reallocations) seen while `COUNTING` was on.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Bytes allocated minus bytes freed while `COUNTING` was on.
static NET_BYTES: AtomicI64 = AtomicI64::new(0);
/// Serialises `count_allocations` calls so two windows never overlap.
static WINDOW: Mutex<()> = Mutex::new(());

/// A global allocator that counts allocations while [`count_allocations`] runs.
///
/// Install it in a bench binary with `#[global_allocator]`; without that, [`count_allocations`]
/// always reports 0.
///
/// ```
/// #[global_allocator]
/// static ALLOC: benches::CountingAlloc = benches::CountingAlloc;
///
/// fn main() {
///     let (v, allocs) = benches::count_allocations(|| vec![1u8; 16]);
///     assert_eq!(v.len(), 16);
///     assert_eq!(allocs, 1);
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAlloc;

impl CountingAlloc {
    /// Notes one allocation (or reallocation) that changed the live bytes by `delta`.
    #[inline]
    fn note(&self, delta: i64) {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            NET_BYTES.fetch_add(delta, Ordering::Relaxed);
        }
    }

    /// Notes a free of `size` bytes.
    #[inline]
    fn note_free(&self, size: usize) {
        if COUNTING.load(Ordering::Relaxed) {
            NET_BYTES.fetch_sub(size as i64, Ordering::Relaxed);
        }
    }
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; the bookkeeping touches only two static atomics and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.note(layout.size() as i64);
        // SAFETY: our caller upholds `alloc`'s contract for `layout`; we pass it on unchanged.
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.note(layout.size() as i64);
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.note(new_size as i64 - layout.size() as i64);
        // SAFETY: `ptr` came from `System` (every allocation goes through us to `System`) with
        // `layout`, and our caller upholds `realloc`'s contract for `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.note_free(layout.size());
        // SAFETY: `ptr` came from `System` with this layout (see `realloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// What [`measure_allocations`] saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocStats {
    /// Allocations and reallocations made, by any thread.
    pub allocations: u64,
    /// Bytes allocated minus bytes freed: the growth of the live heap.
    pub net_bytes: i64,
}

/// Runs `f` and returns its result with the allocations made meanwhile and the net growth of
/// the live heap in bytes, by any thread, as seen by [`CountingAlloc`] (zeros if it is not the
/// global allocator).
///
/// ```
/// #[global_allocator]
/// static ALLOC: benches::CountingAlloc = benches::CountingAlloc;
///
/// fn main() {
///     let (kept, stats) = benches::measure_allocations(|| {
///         drop(vec![0u8; 100]); // allocated and freed: no net growth
///         vec![0u64; 4] // 32 bytes that stay alive
///     });
///     assert_eq!(kept.len(), 4);
///     assert_eq!(stats.allocations, 2);
///     assert_eq!(stats.net_bytes, 32);
/// }
/// ```
pub fn measure_allocations<R>(f: impl FnOnce() -> R) -> (R, AllocStats) {
    /// Turns counting off when the window closes, by return or by unwind.
    struct Off;
    impl Drop for Off {
        fn drop(&mut self) {
            COUNTING.store(false, Ordering::SeqCst);
        }
    }

    let _window = WINDOW.lock().unwrap_or_else(|e| e.into_inner());
    COUNTING.store(true, Ordering::SeqCst);
    let _off = Off;
    let allocations = ALLOCATIONS.load(Ordering::SeqCst);
    let net_bytes = NET_BYTES.load(Ordering::SeqCst);
    let result = f();
    let stats = AllocStats {
        allocations: ALLOCATIONS.load(Ordering::SeqCst) - allocations,
        net_bytes: NET_BYTES.load(Ordering::SeqCst) - net_bytes,
    };
    (result, stats)
}

/// Runs `f` and returns its result with the number of allocations made meanwhile, by any
/// thread, as seen by [`CountingAlloc`] (0 if it is not the global allocator).
///
/// ```
/// // In a binary that does not install `CountingAlloc`, nothing is counted.
/// let (_, allocs) = benches::count_allocations(|| Box::new(5));
/// assert_eq!(allocs, 0);
/// ```
pub fn count_allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let (result, stats) = measure_allocations(f);
    (result, stats.allocations)
}

/// Prints the summary of an interleaved pass: `times[i]` holds implementation `ids[i]`'s time
/// per operation (ns) in each round, ours first. Prints each one's median, ours over the fastest
/// peer's median, and the paired ratios (ours over each peer within a round, median over the
/// rounds), which unlike "over the fastest" are not biased upwards by picking the least of
/// several noisy medians. The `cargo xtask bench` report and the README quote these lines.
///
/// Returns ours over the fastest peer, and which peer that was.
///
/// ```
/// let ids = ["ours", "slow", "fast"];
/// let times = [vec![1.0, 1.0, 1.0], vec![4.0, 4.0, 4.0], vec![2.0, 2.0, 2.0]];
/// let summary = benches::print_interleaved("demo", &ids, &times);
/// assert_eq!(summary.fastest_peer, "fast");
/// assert_eq!(summary.ours_over_fastest, 0.5);
/// ```
pub fn print_interleaved(name: &str, ids: &[&str], times: &[Vec<f64>]) -> Interleaved {
    let rounds = times.first().map_or(0, Vec::len);
    let medians: Vec<f64> = times.iter().map(|t| median(t.clone())).collect();
    let (fastest, fastest_peer) = medians
        .iter()
        .copied()
        .enumerate()
        .skip(1)
        .min_by(|(_, a), (_, b)| a.total_cmp(b))
        .expect("at least one peer beside ours");
    let row: Vec<String> = ids
        .iter()
        .zip(&medians)
        .map(|(id, m)| format!("{id} {m:.1}"))
        .collect();
    let paired: Vec<String> = (1..ids.len())
        .map(|p| {
            let ratios = times[0].iter().zip(&times[p]).map(|(o, q)| o / q);
            format!("{} {:.2}", ids[p], median(ratios.collect()))
        })
        .collect();
    println!(
        "{name} interleaved x{rounds}, median ns per op: {}; ours/fastest peer {:.2}; \
         paired ours/peer: {}",
        row.join(", "),
        medians[0] / fastest_peer,
        paired.join(", ")
    );
    Interleaved {
        ours_over_fastest: medians[0] / fastest_peer,
        fastest_peer: ids[fastest].to_string(),
    }
}

/// The headline of an interleaved pass, as returned by [`print_interleaved`].
///
/// ```
/// let s = benches::print_interleaved("demo", &["ours", "peer"], &[vec![3.0], vec![2.0]]);
/// assert_eq!(s, benches::Interleaved { ours_over_fastest: 1.5, fastest_peer: "peer".into() });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Interleaved {
    /// Ours median over the fastest peer's median (below 1.0: we are faster).
    pub ours_over_fastest: f64,
    /// The id of the peer with the least median.
    pub fastest_peer: String,
}

/// The median of `values` (the upper one of the middle two for an even count).
///
/// ```
/// assert_eq!(benches::median(vec![4.0, 1.0, 3.0, 2.0]), 3.0);
/// ```
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The workspace README's Rust examples, compiled and run as doctests (this crate depends on
/// every crate of the workspace).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
