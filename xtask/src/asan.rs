//! `cargo xtask asan`: the workspace's unit and integration tests under AddressSanitizer.
//!
//! Runs `RUSTFLAGS="-Zsanitizer=address" cargo +nightly test --workspace --target
//! x86_64-unknown-linux-gnu --lib --tests --no-fail-fast` with its own target directory
//! (`target/asan`, so the instrumented build never mixes with the normal one). ASan reports use-after-free,
//! out-of-bounds access and, through LeakSanitizer, leaks at exit; any report fails the run.
//!
//! The sanitizer needs a nightly toolchain: without one (`cargo +nightly` fails) the command
//! says so and exits successfully, as a skipped check. The trybuild compile-fail test is
//! skipped: its expected compiler messages are those of the pinned stable toolchain.
//!
//! [`run`] takes the arguments after `asan` (passed to the test binaries, e.g. a test name
//! filter) and returns the process exit code.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

const TARGET: &str = "x86_64-unknown-linux-gnu";
/// The compile-fail (trybuild) tests: nightly's messages differ from the pinned toolchain's.
const SKIPPED: [&str; 2] = [
    "send_and_sync_bounds_hold",
    "macro_errors_say_what_is_accepted",
];

/// Runs `cargo xtask asan`.
pub fn run(args: &[String]) -> ExitCode {
    let nightly = Command::new("cargo")
        .args(["+nightly", "--version"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output();
    let version = match nightly {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => {
            println!(
                "asan: skipped: `cargo +nightly` is not available (the sanitizer needs nightly; \
                 install it with `rustup toolchain install nightly`)"
            );
            return ExitCode::SUCCESS;
        }
    };
    let target_dir = target_dir().join("asan");
    println!(
        "asan: {version}, RUSTFLAGS=-Zsanitizer=address, target dir {}",
        target_dir.display()
    );
    let start = Instant::now();
    let child = Command::new("cargo")
        .args([
            "+nightly",
            "test",
            "--workspace",
            // Not memory tests: `lessons` runs the example binaries (`--tests` does not build
            // them) and `xtask`'s proofs compare CPU times, which the sanitizer's slowdown skews.
            "--exclude",
            "lessons",
            "--exclude",
            "xtask",
            "--target",
            TARGET,
            "--lib",
            "--tests",
            "--no-fail-fast",
        ])
        .arg("--")
        .args(SKIPPED.iter().flat_map(|name| ["--skip", name]))
        .args(args)
        .env("RUSTFLAGS", "-Zsanitizer=address")
        .env("ASAN_OPTIONS", "detect_leaks=1")
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("RUSTDOCFLAGS")
        // Set by an outer `cargo run` of the pinned toolchain; `+nightly` must win.
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            return ExitCode::from(2);
        }
    };
    // Pass the test output through while counting the results.
    let (mut passed, mut failed, mut binaries) = (0u64, 0u64, 0u64);
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some((p, f)) = parse_result(&line) {
                passed += p;
                failed += f;
                binaries += 1;
            }
        }
    }
    let status = match child.wait() {
        Ok(status) => status,
        Err(e) => {
            eprintln!("error: waiting for cargo: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "asan: {passed} tests passed, {failed} failed, in {binaries} test binaries, {:.0?} \
         (build included); cargo {status}",
        start.elapsed()
    );
    if status.success() && failed == 0 {
        println!("asan: ok");
        ExitCode::SUCCESS
    } else {
        println!("asan: FAILED");
        ExitCode::FAILURE
    }
}

/// `$CARGO_TARGET_DIR`, or the workspace's `target/`.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let root = Command::new("cargo")
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    match root.as_deref().and_then(|manifest| manifest.parent()) {
        Some(dir) => dir.join("target"),
        None => PathBuf::from("target"),
    }
}

/// `(passed, failed)` from a libtest summary line.
fn parse_result(line: &str) -> Option<(u64, u64)> {
    let rest = line.strip_prefix("test result: ")?;
    let count = |word: &str| -> Option<u64> {
        let end = rest.find(word)?;
        rest[..end]
            .trim_end()
            .rsplit([' ', '.'])
            .next()?
            .parse()
            .ok()
    };
    Some((count(" passed")?, count(" failed")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_test_result_line() {
        let line = "test result: ok. 24 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; \
                    finished in 0.23s";
        assert_eq!(parse_result(line), Some((24, 0)));
        let line = "test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured";
        assert_eq!(parse_result(line), Some((3, 1)));
        assert_eq!(parse_result("running 3 tests"), None);
    }
}
