//! One heap allocation per spawned task: future, state and output together.
//!
//! Its own test binary, so that its counting global allocator sees only this test.

use executor::Executor;

#[global_allocator]
static GLOBAL: testkit::CountingAlloc = testkit::CountingAlloc;

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
    let ((), allocs) = testkit::count_allocations(|| spawn_all(&ex));
    let per_task = allocs as f64 / TASKS as f64;
    assert!(
        per_task <= 1.05,
        "{per_task:.3} allocations per task (target: at most 1.05)"
    );
    assert!(per_task >= 1.0, "a task lives somewhere: {per_task:.3}");
}
