//! The `xtask` binary end to end: exit status, table, summary line and JSON file.

use std::process::Command;

fn xtask(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs");
    let code = out.status.code().expect("exited normally");
    (code, String::from_utf8(out.stdout).expect("utf-8 output"))
}

#[test]
fn a_passing_exercise_exits_0_and_writes_json() {
    let json = std::env::temp_dir().join(format!("xtask-cli-{}.json", std::process::id()));
    let (code, stdout) = xtask(&["verify", "--only", "5.2", "--json", json.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("verify ok: 3 passed, 0 failed"),
        "{stdout}"
    );
    assert!(
        !stdout.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    std::fs::remove_file(&json).unwrap();
    assert_eq!(report["mode"], "full");
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| r["exercise"] == "5.2" && r["status"] == "PASS")
    );
}

#[test]
fn a_failing_check_exits_1_and_shows_the_measured_value() {
    let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/failing-spec");
    let (code, stdout) = xtask(&["verify", "--specs", specs]);
    assert_eq!(code, 1, "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.contains("wrongly expected"))
        .unwrap();
    assert!(
        row.contains("= 10") && row.contains(" 9 ") && row.ends_with("FAIL"),
        "{row}"
    );
    assert!(
        stdout.contains("verify FAILED: 1 passed, 1 failed"),
        "{stdout}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(xtask(&["verify", "--only", "no-such-exercise"]).0, 2);
    assert_eq!(xtask(&["frobnicate"]).0, 2);
    assert_eq!(xtask(&["--help"]).0, 0);
}
