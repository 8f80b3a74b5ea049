//! No silent hang: a program that awaits the handle of an executor nothing drives gets told
//! so on standard error. The hanging program runs as a child process (this same test binary,
//! told by an environment variable to play it); the test reads the child's standard error
//! until the message arrives, then kills it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use executor::Executor;

/// A failure bound, not a speed check: the message comes after about a second.
const STUCK: Duration = Duration::from_secs(60);

const CHILD: &str = "EXECUTOR_UNDRIVEN_TEST_CHILD";

fn hang() {
    let (ex, line) = (Executor::new(), line!());
    eprintln!("created on line {line}");
    let handle = ex.spawn(async { 42 });
    // The mistake: nothing runs `ex`, so this waits forever.
    let _ = block_on::block_on(handle);
}

#[test]
fn awaiting_an_undriven_executor_is_reported() {
    if std::env::var_os(CHILD).is_some() {
        hang();
        return;
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "awaiting_an_undriven_executor_is_reported",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let child = Arc::new(Mutex::new(child));
    let stderr = child.lock().unwrap().stderr.take().unwrap();
    // If the message never comes, kill the child after STUCK so that the read below ends.
    let guard = {
        let child = child.clone();
        std::thread::spawn(move || {
            std::thread::sleep(STUCK);
            let _ = child.lock().unwrap().kill();
        })
    };
    let mut seen = Vec::new();
    let mut report = None;
    let mut created_on = None;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("created on line ") {
            created_on = Some(n.to_string());
        }
        if line.starts_with("executor:") {
            report = Some(line);
            break;
        }
        seen.push(line);
    }
    let _ = child.lock().unwrap().kill();
    let _ = child.lock().unwrap().wait();
    drop(guard); // detached; it only kills a child that is already gone
    let report = report.unwrap_or_else(|| panic!("no report; stderr was: {seen:#?}"));
    let at = format!(
        "tests/undriven.rs:{}:",
        created_on.expect("the child said where")
    );
    assert!(report.contains(&at), "{report}");
    assert!(report.contains("no thread has run it"), "{report}");
    assert!(report.contains("call run() or block_on()"), "{report}");
}
