//! One heap allocation per spawned task: future, state and output together.
//!
//! Its own test binary, so that its counting global allocator sees only this test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use executor::Executor;

struct CountingAlloc;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`; the counter is a plain atomic.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

#[test]
fn one_allocation_per_spawned_task() {
    // All tasks are queued before any runs: the queue outgrows its preallocated ring and
    // the overflow list's blocks count against us too.
    const TASKS: usize = 10_000;
    let ex = Executor::new();
    let spawn_all = |ex: &Executor| {
        for i in 0..TASKS {
            drop(ex.spawn(async move { i }));
        }
        ex.run();
    };
    spawn_all(&ex); // warm-up: the registry reaches its working size
    let before = ALLOCS.load(Ordering::Relaxed);
    spawn_all(&ex);
    let per_task = (ALLOCS.load(Ordering::Relaxed) - before) as f64 / TASKS as f64;
    assert!(
        per_task <= 1.05,
        "{per_task:.3} allocations per task (target: at most 1.05)"
    );
    assert!(per_task >= 1.0, "a task lives somewhere: {per_task:.3}");
}
