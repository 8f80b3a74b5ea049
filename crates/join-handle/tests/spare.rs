//! A thread keeps the block of the last task cell freed on it for its next cell of that
//! layout, and gives it back when it exits; a cell whose future panics in its destructor
//! still gives its block back.
//!
//! Its own test binary, with one test, so that its counting global allocator sees only this.

use std::panic::{AssertUnwindSafe, catch_unwind};

use join_handle::{Runnable, Schedule};

#[global_allocator]
static GLOBAL: testkit::CountingAlloc = testkit::CountingAlloc;

/// A scheduler for tasks that finish in their first poll: never asked to queue one.
struct Never;

impl Schedule for Never {
    fn schedule(&self, _: Runnable) {
        unreachable!("these tasks finish in their first poll")
    }
}

/// Makes, runs and frees one task (about 600 bytes: a block the spare keeps); returns the
/// allocations this thread made meanwhile.
fn one_task() -> u64 {
    let before = testkit::thread_allocations();
    let payload = [7_u8; 512];
    let (runnable, handle) = join_handle::spawn(async move { payload[0] }, Never);
    runnable.run();
    assert!(handle.is_finished());
    drop(handle);
    testkit::thread_allocations() - before
}

/// Panics when dropped.
struct PanicsInDrop;

impl Drop for PanicsInDrop {
    fn drop(&mut self) {
        panic!("a destructor that panics");
    }
}

/// Makes a task whose future panics when dropped (about 600 bytes) and drops it unrun: the
/// panic reaches the caller.
fn a_task_whose_future_panics_in_drop() {
    let (payload, guard) = ([7_u8; 512], PanicsInDrop);
    let (runnable, handle) = join_handle::spawn(
        async move {
            let _guard = &guard;
            payload[0]
        },
        Never,
    );
    drop(handle);
    let dropped = catch_unwind(AssertUnwindSafe(|| drop(runnable)));
    assert!(
        dropped.is_err(),
        "the destructor's panic reaches the caller"
    );
}

/// Threads that each leave a spare block behind: if they kept it past their exit, this many
/// would leak `THREADS` times the block, far above what the test harness's own threads
/// allocate meanwhile.
const THREADS: usize = 100;

#[test]
fn the_next_cell_reuses_the_last_freed_block_and_a_thread_frees_it_when_it_exits() {
    std::thread::spawn(|| {
        assert_eq!(one_task(), 1, "the first cell on a thread is allocated");
        for _ in 0..3 {
            assert_eq!(one_task(), 0, "the next one reuses its block");
        }
    })
    .join()
    .unwrap();
    let _window = testkit::AllocWindow::open();
    let live_before = testkit::live_bytes();
    for _ in 0..THREADS {
        std::thread::spawn(one_task).join().unwrap();
    }
    let grown = testkit::live_bytes() - live_before;
    assert!(
        grown < (THREADS as i64) * 512 / 4,
        "{grown} bytes still live after {THREADS} threads that each freed a task exited"
    );
    // The same with a destructor that panics while the cell is freed (the panic message of
    // each is not printed).
    std::panic::set_hook(Box::new(|_| {}));
    let live_before = testkit::live_bytes();
    for _ in 0..THREADS {
        std::thread::spawn(a_task_whose_future_panics_in_drop)
            .join()
            .unwrap();
    }
    let grown = testkit::live_bytes() - live_before;
    let _ = std::panic::take_hook();
    assert!(
        grown < (THREADS as i64) * 512 / 4,
        "{grown} bytes still live after {THREADS} tasks whose future panicked in its destructor"
    );
}
