//! A counting global allocator.
//!
//! [`CountingAlloc`] forwards every call to [`System`] and keeps two kinds of counts:
//!
//! * per thread, always: the allocations this thread made ([`thread_allocations`]). A
//!   thread-local `Cell`, so tests running in parallel in one binary do not see each other.
//! * for the whole process, only while an [`AllocWindow`] is open (or [`measure_allocations`]
//!   runs): allocations by any thread and the net change in live bytes. Outside a window this
//!   costs one relaxed load per call, so a bench binary can install it and still time its
//!   loops fairly: count in a separate, untimed pass.
//!
//! Invariant: the process counters move only while the switch is on; a window reads both when
//! it opens (switch on) and again when asked, so the differences are what happened in
//! between, by any thread: keep other threads quiet. Windows are serialised by a lock, so
//! two never overlap (and one must not be opened inside another on the same thread).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Whether a window is open: the process counters move only while it is on.
static COUNTING: AtomicBool = AtomicBool::new(false);
/// Allocations (including reallocations) by any thread while `COUNTING` was on.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Bytes allocated minus bytes freed, by any thread, while `COUNTING` was on.
static NET_BYTES: AtomicI64 = AtomicI64::new(0);
/// Held by the open window, so that two windows never overlap.
static WINDOW: Mutex<()> = Mutex::new(());

thread_local! {
    /// Allocations (including reallocations) made by this thread, counted always.
    static THREAD_ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// A global allocator that counts allocations: per thread always, for the whole process while
/// an [`AllocWindow`] is open.
///
/// Install it with `#[global_allocator]`, in a test binary of its own (or a bench binary);
/// without that, every count stays 0.
///
/// ```
/// #[global_allocator]
/// static ALLOC: testkit::CountingAlloc = testkit::CountingAlloc;
///
/// fn main() {
///     let (v, allocs) = testkit::count_allocations(|| vec![1u8; 16]);
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
        // `try_with`: during thread teardown the counter may be gone; that allocation is
        // simply not counted.
        let _ = THREAD_ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
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
// contract; the bookkeeping touches only static atomics and a const-initialised thread-local
// `Cell`, and never allocates.
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

/// The allocations made on the calling thread so far (reallocations included), as seen by
/// [`CountingAlloc`]: take the difference of two readings. 0 if it is not the global
/// allocator.
///
/// ```
/// #[global_allocator]
/// static ALLOC: testkit::CountingAlloc = testkit::CountingAlloc;
///
/// fn main() {
///     let before = testkit::thread_allocations();
///     let b = Box::new(5);
///     assert_eq!(testkit::thread_allocations() - before, 1);
///     drop(b);
/// }
/// ```
pub fn thread_allocations() -> u64 {
    THREAD_ALLOCATIONS.try_with(Cell::get).unwrap_or(0)
}

/// What an [`AllocWindow`] saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocStats {
    /// Allocations and reallocations made, by any thread.
    pub allocations: u64,
    /// Bytes allocated minus bytes freed, by any thread: the growth of the live heap.
    pub net_bytes: i64,
}

/// While alive, [`CountingAlloc`] counts the whole process's allocations and live bytes;
/// [`stats`](AllocWindow::stats) says how much happened since it opened. For a measurement
/// that spans more than one closure (a baseline, then a wait); otherwise
/// [`measure_allocations`] is simpler.
///
/// ```
/// #[global_allocator]
/// static ALLOC: testkit::CountingAlloc = testkit::CountingAlloc;
///
/// fn main() {
///     let window = testkit::AllocWindow::open();
///     let kept = vec![0u64; 4];
///     assert_eq!(window.stats().net_bytes, 32);
///     drop(kept);
///     assert_eq!(window.stats().net_bytes, 0);
/// }
/// ```
#[derive(Debug)]
pub struct AllocWindow {
    /// Keeps other windows out until this one closes.
    _serial: MutexGuard<'static, ()>,
    /// The process counters when the window opened.
    start: AllocStats,
}

impl AllocWindow {
    /// Switches process-wide counting on. Waits while another thread's window is open; must
    /// not be called while this thread has one open (it would wait for itself).
    pub fn open() -> AllocWindow {
        let serial = WINDOW.lock().unwrap_or_else(|e| e.into_inner());
        COUNTING.store(true, Ordering::SeqCst);
        AllocWindow {
            _serial: serial,
            start: read_counters(),
        }
    }

    /// Allocations and net live bytes, by any thread, since the window opened.
    pub fn stats(&self) -> AllocStats {
        let now = read_counters();
        AllocStats {
            allocations: now.allocations - self.start.allocations,
            net_bytes: now.net_bytes - self.start.net_bytes,
        }
    }
}

impl Drop for AllocWindow {
    /// Switches counting off before the lock is released (fields drop after this body).
    fn drop(&mut self) {
        COUNTING.store(false, Ordering::SeqCst);
    }
}

/// The process-wide count of bytes allocated minus bytes freed while windows were open. Only
/// the difference of two readings taken while one [`AllocWindow`] stays open means anything:
/// for code that cannot borrow the window (another thread's closure), where
/// [`AllocWindow::stats`] would do otherwise.
///
/// ```
/// #[global_allocator]
/// static ALLOC: testkit::CountingAlloc = testkit::CountingAlloc;
///
/// fn main() {
///     let _window = testkit::AllocWindow::open();
///     let before = testkit::live_bytes();
///     let kept = std::thread::spawn(|| vec![0u8; 100]).join().unwrap();
///     assert!(testkit::live_bytes() - before >= 100);
///     drop(kept);
/// }
/// ```
pub fn live_bytes() -> i64 {
    NET_BYTES.load(Ordering::SeqCst)
}

fn read_counters() -> AllocStats {
    AllocStats {
        allocations: ALLOCATIONS.load(Ordering::SeqCst),
        net_bytes: NET_BYTES.load(Ordering::SeqCst),
    }
}

/// Runs `f` in an [`AllocWindow`] and returns its result with the allocations made meanwhile
/// and the net growth of the live heap in bytes, by any thread (zeros if [`CountingAlloc`] is
/// not the global allocator). The window closes even if `f` panics.
///
/// ```
/// #[global_allocator]
/// static ALLOC: testkit::CountingAlloc = testkit::CountingAlloc;
///
/// fn main() {
///     let (kept, stats) = testkit::measure_allocations(|| {
///         drop(vec![0u8; 100]); // allocated and freed: no net growth
///         vec![0u64; 4] // 32 bytes that stay alive
///     });
///     assert_eq!(kept.len(), 4);
///     assert_eq!(stats.allocations, 2);
///     assert_eq!(stats.net_bytes, 32);
/// }
/// ```
pub fn measure_allocations<R>(f: impl FnOnce() -> R) -> (R, AllocStats) {
    let window = AllocWindow::open();
    let result = f();
    let stats = window.stats();
    (result, stats)
}

/// Runs `f` and returns its result with the number of allocations made meanwhile, by any
/// thread, as [`measure_allocations`] counts them.
///
/// ```
/// // In a binary that does not install `CountingAlloc`, nothing is counted.
/// let (_, allocs) = testkit::count_allocations(|| Box::new(5));
/// assert_eq!(allocs, 0);
/// ```
pub fn count_allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let (result, stats) = measure_allocations(f);
    (result, stats.allocations)
}
