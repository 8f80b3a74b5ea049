//! Project automation for the workspace, run as `cargo xtask <command>`.
//!
//! * `cargo xtask verify [--quick] [--sim] [--only <id>] [--json <file>]` runs every lesson
//!   exercise against our crates and checks what it measured against the lesson's spec
//!   (`xtask/specs/*.toml`): an aligned table of PASS/FAIL rows, one summary line, exit
//!   status 1 if any row failed. `--sim` runs the exercises that can be simulated under the
//!   `sim` crate's simulator, on virtual time (see [`runners::sim`]).
//! * `cargo xtask bench [--suite <name>] [--report-only] [-- <criterion args>]` runs the
//!   side-by-side benchmarks and writes a report of our medians against the peers'.
//!
//! The library holds everything, so tests can drive the measuring code with deliberately
//! broken implementations ([`runners::broken`]) and check that the rows turn FAIL:
//!
//! ```
//! use xtask::runners::{Ctx, broken::BusyBlockOn, lesson05::ex1_block_on};
//! use xtask::verify::{check::Status, judge_exercise};
//!
//! let spec = xtask::spec::load_dir(&xtask::spec::default_dir()).unwrap();
//! let ex = spec.iter().flat_map(|s| &s.exercises).find(|e| e.id == "5.1").unwrap();
//! let ctx = Ctx::new(&ex.id, ex.params.clone(), 1.0);
//! let measured = ex1_block_on::measure(&BusyBlockOn, &ctx);
//! let rows = judge_exercise(ex, Ok(measured), 1.0);
//! let polls = rows.iter().find(|r| r.what.starts_with("polls")).unwrap();
//! assert_eq!(polls.status, Status::Fail); // a busy loop polls far more than count + 1
//! ```
//!
//! # Where it sits
//!
//! On top of everything: it depends on `wakers`, `block-on`, `executor`, `timers` and `sim`,
//! and nothing depends on it.

pub mod bench;
pub mod cli;
pub mod measure;
pub mod runners;
pub mod spec;
pub mod verify;
