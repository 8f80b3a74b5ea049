//! `cargo xtask leaks`: runs the leak scenarios (`benches/examples/leak_scenarios.rs`) under
//! valgrind's memcheck and fails unless no byte is definitely or indirectly lost.
//!
//! "Possibly lost" and "still reachable" blocks are reported but allowed: they are the stacks
//! and thread-locals of threads that live until the process exits (the timer driver), which
//! the program cannot free. Anything the runtime allocated for a task, a waker or a timer and
//! then forgot shows up as definitely or indirectly lost.
//!
//! [`run`] returns the process exit code.

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

const EXAMPLE: &str = "leak_scenarios";

/// What valgrind's leak summary says, in bytes.
#[derive(Debug, Default, PartialEq, Eq)]
struct LeakSummary {
    definitely: u64,
    indirectly: u64,
    possibly: u64,
    reachable: u64,
}

/// Runs `cargo xtask leaks`.
pub fn run() -> ExitCode {
    match leaks() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn leaks() -> Result<bool, String> {
    if Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        return Err("valgrind is not installed (apt-get install valgrind)".into());
    }
    let start = Instant::now();
    let binary = build_example()?;
    println!(
        "leaks: running {} under valgrind memcheck",
        binary.display()
    );
    let output = Command::new("valgrind")
        .args([
            "--tool=memcheck",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=1",
        ])
        .arg(&binary)
        .output()
        .map_err(|e| format!("cannot run valgrind: {e}"))?;
    print!("{}", String::from_utf8_lossy(&output.stdout));
    let report = String::from_utf8_lossy(&output.stderr);
    let summary = parse_summary(&report)
        .ok_or_else(|| format!("no leak summary in valgrind's output:\n{report}"))?;
    let ok = output.status.success() && summary.definitely == 0 && summary.indirectly == 0;
    if !ok {
        // The whole report: the stacks of the lost blocks are what one needs to fix them.
        eprint!("{report}");
    }
    println!(
        "leaks: definitely lost {} B, indirectly lost {} B (possibly lost {} B, still \
         reachable {} B: threads alive at exit), valgrind {}, {:.1?}",
        summary.definitely,
        summary.indirectly,
        summary.possibly,
        summary.reachable,
        output.status,
        start.elapsed()
    );
    println!("leaks: {}", if ok { "ok" } else { "FAILED" });
    Ok(ok)
}

/// Builds the example and returns the path of its executable, as cargo reports it.
fn build_example() -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "build",
            "-p",
            "benches",
            "--example",
            EXAMPLE,
            "--message-format=json",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("building the {EXAMPLE} example failed"));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains(&format!("\"name\":\"{EXAMPLE}\"")))
        .find_map(|line| json_string_field(line, "executable"))
        .map(PathBuf::from)
        .ok_or_else(|| format!("cargo did not report the {EXAMPLE} executable"))
}

/// The value of a string field in one line of cargo's JSON output (paths have no quotes or
/// escapes in practice; a backslash-escaped one is rejected rather than misread).
fn json_string_field(line: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\":\"");
    let rest = &line[line.find(&key)? + key.len()..];
    let value = &rest[..rest.find('"')?];
    (!value.contains('\\')).then(|| value.to_string())
}

/// Reads valgrind's `LEAK SUMMARY`, or its "All heap blocks were freed" line.
fn parse_summary(report: &str) -> Option<LeakSummary> {
    if report.contains("All heap blocks were freed -- no leaks are possible") {
        return Some(LeakSummary::default());
    }
    let bytes = |kind: &str| -> Option<u64> {
        let line = report.lines().find(|l| l.contains(kind))?;
        let after = &line[line.find(kind)? + kind.len()..];
        let number = after.split_whitespace().next()?;
        number.replace(',', "").parse().ok()
    };
    Some(LeakSummary {
        definitely: bytes("definitely lost:")?,
        indirectly: bytes("indirectly lost:")?,
        possibly: bytes("possibly lost:").unwrap_or(0),
        reachable: bytes("still reachable:").unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_leak_summary() {
        let report = "==1== LEAK SUMMARY:\n\
                      ==1==    definitely lost: 1,024 bytes in 2 blocks\n\
                      ==1==    indirectly lost: 48 bytes in 1 blocks\n\
                      ==1==      possibly lost: 336 bytes in 2 blocks\n\
                      ==1==    still reachable: 1,595 bytes in 10 blocks\n";
        let summary = parse_summary(report).unwrap();
        assert_eq!(
            summary,
            LeakSummary {
                definitely: 1024,
                indirectly: 48,
                possibly: 336,
                reachable: 1595
            }
        );
    }

    #[test]
    fn no_leaks_possible_is_zero() {
        let report = "==1== All heap blocks were freed -- no leaks are possible\n";
        assert_eq!(parse_summary(report), Some(LeakSummary::default()));
    }

    #[test]
    fn missing_summary_is_none() {
        assert_eq!(parse_summary("==1== ERROR SUMMARY: 0 errors\n"), None);
    }

    #[test]
    fn finds_the_executable_in_cargo_json() {
        let line = r#"{"reason":"compiler-artifact","target":{"name":"leak_scenarios"},"executable":"/t/debug/examples/leak_scenarios","fresh":true}"#;
        assert_eq!(
            json_string_field(line, "executable").as_deref(),
            Some("/t/debug/examples/leak_scenarios")
        );
        assert_eq!(
            json_string_field(r#"{"executable":null}"#, "executable"),
            None
        );
    }
}
