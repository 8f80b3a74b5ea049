//! Send/Sync soundness: each file in `tests/compile_fail/` must fail to compile with the
//! error recorded beside it (`.stderr`). Regenerate those after a deliberate change with
//! `TRYBUILD=overwrite cargo test -p executor --test compile_fail`, then read the diff.

#[test]
fn send_and_sync_bounds_hold() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile_fail/*.rs");
}
