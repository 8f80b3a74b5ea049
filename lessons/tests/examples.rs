//! Runs every lesson example and checks that it prints what its exercise says.
//!
//! `cargo test -p lessons` builds the examples next to this test (in `target/<profile>/examples`)
//! before it runs it; a run filtered with `--test examples` does not, and this test then says
//! so instead of testing a stale binary's absence. Timing (2 s, ~3 s) is checked by
//! `cargo xtask verify`, not here: here only what is printed, and in which order.

use std::path::PathBuf;
use std::process::Command;

/// Runs the example `name` and returns its standard output, checking that it succeeded.
fn run_example(name: &str) -> String {
    let deps = std::env::current_exe().expect("the test binary's path");
    let examples: PathBuf = deps
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>")
        .join("examples");
    let exe = examples.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        exe.exists(),
        "{} is not built: run `cargo test -p lessons` (cargo builds the examples for it)",
        exe.display()
    );
    let out = Command::new(&exe).output().expect("the example starts");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert!(
        out.status.success(),
        "{name} failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn lines(output: &str) -> Vec<&str> {
    output.lines().collect()
}

#[test]
fn ex1_block_on_counts_down_to_done() {
    let out = run_example("ex1_block_on");
    assert_eq!(
        lines(&out),
        [
            "countdown: 3",
            "countdown: 2",
            "countdown: 1",
            "countdown: done",
            "block_on returned \"countdown\"",
        ]
    );
}

#[test]
fn ex2_executor_interleaves_three_countdowns() {
    let out = run_example("ex2_executor");
    let lines = lines(&out);
    // Each task is polled once before any is polled twice ...
    assert_eq!(lines[..3], ["a: 3", "b: 1", "c: 2"], "{out}");
    // ... and the shortest countdown finishes first.
    let completed: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.ends_with("completed"))
        .collect();
    assert_eq!(completed, ["b completed", "c completed", "a completed"]);
    assert_eq!(lines.len(), 12, "{out}");
}

#[test]
fn ex3_delay_prints_the_message() {
    let out = run_example("ex3_delay");
    let lines = lines(&out);
    assert_eq!(lines[0], "hello from the future!");
    assert!(lines[1].starts_with("(after "), "{out}");
}

#[test]
fn ex4_concurrent_finishes_fast_medium_slow() {
    let out = run_example("ex4_concurrent");
    let order: Vec<&str> = out
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(order, ["fast", "medium", "slow", "all"], "{out}");
}

#[test]
fn ex5_join_handle_returns_42() {
    let out = run_example("ex5_join_handle");
    assert_eq!(lines(&out), ["the task returned 42"]);
}
