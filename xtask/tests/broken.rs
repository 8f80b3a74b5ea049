//! Deliberately broken implementations must turn their rows FAIL, with the measured value
//! shown. Every check of the shipped specs names its broken implementation (`proved_by`);
//! the `proofs_*` tests run each named one against the real measuring code of its exercise
//! (with our real timers and executor where the exercise needs them), judge it with the
//! shipped spec, and assert that the row FAILs. The other tests look closer at a few.
//!
//! Every FAIL asserted here comes from a signal that machine load cannot hide: a poll count,
//! an order, a lateness of hundreds of milliseconds, a time-out, or the CPU of a thread that
//! spins without yielding (the scheduler gives it a fair share of a core, never nothing).

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::Duration;

use xtask::measure::Measurements;
use xtask::runners::broken::{
    BusyBlockOn, BusyJoinHandle, Flaws, NeverWokenJoinHandle, NoopWakerBlockOn, PeriodicBlockOn,
    PollEverythingExecutor, PollingJoinHandle, QueueExecutor, SequentialExecutor, SpinBlockOn,
};
use xtask::runners::lesson05::{ex1_block_on, ex2_executor, ex3_delay, ex4_concurrent, ex5_join};
use xtask::runners::{Ctx, ours, responsibilities};
use xtask::spec::{self, Exercise};
use xtask::verify::check::{self, Row, Status};
use xtask::verify::{QUICK_SCALE, effective_scale, judge_exercise, table};

fn exercise(id: &str) -> Exercise {
    let specs = spec::load_dir(&spec::default_dir()).expect("specs load");
    specs
        .into_iter()
        .flat_map(|s| s.exercises)
        .find(|e| e.id == id)
        .expect("exercise exists")
}

/// A measurement of one exercise with one broken implementation.
type Measure = Box<dyn FnOnce(&Ctx) -> Measurements + Send>;

/// The broken implementation a spec's `proved_by` names, measuring exercise `id`.
fn broken(name: &str, id: &str) -> Option<Measure> {
    let queue = |flaws: Flaws| QueueExecutor::with(flaws);
    let measure: Measure = match (name, id) {
        ("BusyBlockOn", "5.1") => Box::new(|c| ex1_block_on::measure(&BusyBlockOn, c)),
        ("SpinBlockOn", "5.1") => Box::new(|c| ex1_block_on::measure(&SpinBlockOn, c)),
        ("PeriodicBlockOn", "5.1") => Box::new(|c| ex1_block_on::measure(&PeriodicBlockOn, c)),
        ("NoopWakerBlockOn", "5.1") => Box::new(|c| ex1_block_on::measure(&NoopWakerBlockOn, c)),
        ("SequentialExecutor", "5.2") => {
            Box::new(|c| ex2_executor::measure(&SequentialExecutor::default(), c))
        }
        ("PollEverythingExecutor::until_all_done", "5.2") => {
            Box::new(|c| ex2_executor::measure(&PollEverythingExecutor::until_all_done(), c))
        }
        ("BusyBlockOn", "5.3") => Box::new(|c| ex3_delay::measure(&BusyBlockOn, ours::delay, c)),
        ("SpinBlockOn", "5.3") => Box::new(|c| ex3_delay::measure(&SpinBlockOn, ours::delay, c)),
        ("PeriodicBlockOn", "5.3") => {
            Box::new(|c| ex3_delay::measure(&PeriodicBlockOn, ours::delay, c))
        }
        ("NoopWakerBlockOn", "5.3") => {
            Box::new(|c| ex3_delay::measure(&NoopWakerBlockOn, ours::delay, c))
        }
        ("SequentialExecutor", "5.4") => {
            Box::new(|c| ex4_concurrent::measure(&SequentialExecutor::default(), ours::delay, c))
        }
        ("SequentialExecutor with delays made on first poll", "5.4") => Box::new(|c| {
            // An `async` block runs nothing before its first poll, so each delay starts when
            // the sequential executor reaches it: 3 + 1 + 2 instead of max(3, 1, 2).
            let lazy = |d, label| async move { ours::delay(d, label).await };
            ex4_concurrent::measure(&SequentialExecutor::default(), lazy, c)
        }),
        ("PollEverythingExecutor", "5.4") => Box::new(|c| {
            ex4_concurrent::measure(&PollEverythingExecutor::default(), ours::delay, c)
        }),
        ("BusyJoinHandle", "5.5") => Box::new(|c| ex5_join::measure(&BusyJoinHandle, c)),
        ("PollingJoinHandle", "5.5") => Box::new(|c| ex5_join::measure(&PollingJoinHandle, c)),
        ("NeverWokenJoinHandle", "5.5") => {
            Box::new(|c| ex5_join::measure(&NeverWokenJoinHandle, c))
        }
        ("QueueExecutor { repoll_idle_every: 1000 }", "exec.1") => Box::new(move |c| {
            let flaws = Flaws {
                repoll_idle_every: Some(1000),
                ..Flaws::default()
            };
            responsibilities::measure_poll_only_when_woken(&queue(flaws), c)
        }),
        ("QueueExecutor { ignore_wakes }", "exec.1") => Box::new(move |c| {
            let flaws = Flaws {
                ignore_wakes: true,
                ..Flaws::default()
            };
            responsibilities::measure_poll_only_when_woken(&queue(flaws), c)
        }),
        ("QueueExecutor { no_scheduled_flag }", "exec.2") => Box::new(move |c| {
            let flaws = Flaws {
                no_scheduled_flag: true,
                ..Flaws::default()
            };
            responsibilities::measure_one_poll_per_wake_batch(&queue(flaws), c)
        }),
        ("QueueExecutor { keep_finished }", "exec.2") => Box::new(move |c| {
            let flaws = Flaws {
                keep_finished: true,
                ..Flaws::default()
            };
            responsibilities::measure_one_poll_per_wake_batch(&queue(flaws), c)
        }),
        _ => return None,
    };
    Some(measure)
}

/// How long a broken implementation may run before it counts as hung: longer than every
/// run whose rows a test expects to PASS (at most ~1.5 s). A slower broken run (such as
/// `PeriodicBlockOn` on exercise 5.1, ~3.5 s) that hits it fails all its rows, as it
/// would under verify's own time-out.
const HANG: Duration = Duration::from_secs(5);

/// Measures exercise `id` (at `--quick` scale where it is scaled) with `measure` on a thread
/// of its own and judges it: a run still going after [`HANG`] fails every row, as verify's
/// time-out does. A hung thread is left parked; the test process ends it.
fn judged_with(id: &str, measure: Measure) -> Vec<(String, Row)> {
    let ex = exercise(id);
    let scale = effective_scale(&ex, QUICK_SCALE);
    let ctx = Ctx::new(&ex.id, ex.params.clone(), scale);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(measure(&ctx));
    });
    let outcome = match rx.recv_timeout(HANG) {
        Ok(m) => Ok(m),
        Err(_) => Err(check::timeout_text(HANG)),
    };
    let rows = judge_exercise(&ex, outcome, scale);
    // Shown with `cargo test -p xtask --test broken -- --nocapture`.
    print!("{}", table::render(&rows, false));
    ex.checks
        .iter()
        .map(|c| c.measure.clone())
        .zip(rows)
        .collect()
}

fn judged(
    id: &str,
    measure: impl FnOnce(&Ctx) -> Measurements + Send + 'static,
) -> Vec<(String, Row)> {
    judged_with(id, Box::new(measure))
}

/// Runs every broken implementation the checks of exercise `id` name, and asserts that each
/// turns its rows FAIL.
fn prove_exercise(id: &str) {
    let ex = exercise(id);
    let names: BTreeSet<String> = ex
        .checks
        .iter()
        .map(|c| {
            c.proved_by
                .clone()
                .unwrap_or_else(|| panic!("{id} `{}`: no `proved_by`", c.what))
        })
        .collect();
    for name in names {
        let measure = broken(&name, id)
            .unwrap_or_else(|| panic!("{id}: no broken implementation `{name}` in this file"));
        println!("{id} under {name}:");
        let rows = judged_with(id, measure);
        for c in ex
            .checks
            .iter()
            .filter(|c| c.proved_by.as_deref() == Some(&name))
        {
            let r = row(&rows, &c.measure);
            assert_eq!(
                r.status,
                Status::Fail,
                "{id} `{}` under {name}: {r:?}",
                c.what
            );
        }
    }
}

/// The exercises with a `proofs_*` test below.
const PROVED: [&str; 7] = ["5.1", "5.2", "5.3", "5.4", "5.5", "exec.1", "exec.2"];

#[test]
fn every_exercise_of_the_specs_has_its_proofs_test() {
    let specs = spec::load_dir(&spec::default_dir()).expect("specs load");
    let ids: Vec<String> = specs
        .into_iter()
        .flat_map(|s| s.exercises)
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, PROVED, "add a proofs_* test for each new exercise");
}

#[test]
fn proofs_5_1() {
    prove_exercise("5.1");
}

#[test]
fn proofs_5_2() {
    prove_exercise("5.2");
}

#[test]
fn proofs_5_3() {
    prove_exercise("5.3");
}

#[test]
fn proofs_5_4() {
    prove_exercise("5.4");
}

#[test]
fn proofs_5_5() {
    prove_exercise("5.5");
}

#[test]
fn proofs_exec_1() {
    prove_exercise("exec.1");
}

#[test]
fn proofs_exec_2() {
    prove_exercise("exec.2");
}

fn row<'a>(rows: &'a [(String, Row)], measure: &str) -> &'a Row {
    &rows
        .iter()
        .find(|(m, _)| m == measure)
        .expect("a row for the measure")
        .1
}

#[test]
fn busy_block_on_fails_exercise_1_on_polls() {
    let rows = judged("5.1", |ctx| ex1_block_on::measure(&BusyBlockOn, ctx));
    assert_eq!(
        row(&rows, "output").status,
        Status::Pass,
        "the output is still right"
    );
    let polls = row(&rows, "polls");
    assert_eq!(polls.status, Status::Fail);
    let n: u64 = polls.measured.parse().expect("the poll count is shown");
    assert!(n > 6, "{n}");
}

#[test]
fn busy_block_on_fails_exercise_3_on_polls_whatever_the_load() {
    // A yielding busy loop may use little CPU on a loaded machine (it is descheduled while
    // others run), but each turn of its loop is one more poll of the delay.
    let rows = judged("5.3", |ctx| {
        ex3_delay::measure(&BusyBlockOn, ours::delay, ctx)
    });
    assert_eq!(row(&rows, "output").status, Status::Pass);
    let polls = row(&rows, "polls");
    assert_eq!(polls.status, Status::Fail, "{polls:?}");
    let n: u64 = polls.measured.parse().expect("the poll count is shown");
    assert!(n > 2, "{n}");
}

#[test]
fn a_busy_join_handle_returns_42_and_fails_on_polls() {
    let rows = judged("5.5", |ctx| ex5_join::measure(&BusyJoinHandle, ctx));
    // The value rows pass; the elapsed-time row is not asserted: a busy handle on a loaded
    // machine may also be late, and lateness is not what this implementation breaks.
    for right in ["after_run", "worker_threads", "late_task"] {
        assert_eq!(row(&rows, right).status, Status::Pass, "{right}");
    }
    let polls = row(&rows, "late_task_polls");
    assert_eq!(polls.status, Status::Fail);
    let n: u64 = polls.measured.parse().expect("the poll count is shown");
    assert!(n > 2, "{n}");
}

#[test]
fn a_sequential_executor_fails_exercise_2_on_order_and_interleaving() {
    let rows = judged("5.2", |ctx| {
        ex2_executor::measure(&SequentialExecutor::default(), ctx)
    });
    let order = row(&rows, "completion_order");
    assert_eq!(
        (order.status, order.measured.as_str()),
        (Status::Fail, "[3, 1, 2]")
    );
    let streak = row(&rows, "longest_streak");
    assert_eq!(streak.status, Status::Fail);
    assert!(
        streak.measured.starts_with("4 (polls: 3 3 3 3 1 1 2 2 2)"),
        "{}",
        streak.measured
    );
    assert_eq!(
        row(&rows, "polls").status,
        Status::Pass,
        "no poll is wasted, just unfair"
    );
}

#[test]
fn a_sequential_executor_fails_exercise_4_on_order_and_completion_times() {
    // The delays are made before they are spawned, as in the lesson, so their deadlines run
    // from the spawn: run one after another, `slow` finishes first and the others are
    // already due by then.
    let rows = judged("5.4", |ctx| {
        ex4_concurrent::measure(&SequentialExecutor::default(), ours::delay, ctx)
    });
    let order = row(&rows, "order");
    assert_eq!(
        (order.status, order.measured.as_str()),
        (Status::Fail, "[slow, fast, medium]")
    );
    let fast = row(&rows, "at.fast");
    assert_eq!(fast.status, Status::Fail);
    let secs: f64 = fast
        .measured
        .trim_end_matches(" s")
        .parse()
        .expect("seconds shown");
    assert!(
        secs >= 1.4,
        "fast waited for slow (1.5 s at --quick scale): {secs}"
    );
}

#[test]
fn an_executor_that_re_polls_idle_tasks_every_1000_turns_is_caught() {
    let flaws = Flaws {
        repoll_idle_every: Some(1000),
        ..Flaws::default()
    };
    let rows = judged("exec.1", move |ctx| {
        responsibilities::measure_poll_only_when_woken(&QueueExecutor::with(flaws), ctx)
    });
    let unwoken = row(&rows, "polls_while_unwoken");
    assert_eq!(unwoken.status, Status::Fail);
    assert!(unwoken.measured.starts_with("2 "), "{}", unwoken.measured);
    // Without the flaw the same queue passes: the row measures the flaw, nothing else.
    let rows = judged("exec.1", |ctx| {
        responsibilities::measure_poll_only_when_woken(&QueueExecutor::default(), ctx)
    });
    assert!(
        rows.iter().all(|(_, r)| r.status == Status::Pass),
        "{rows:?}"
    );
}

#[test]
fn an_executor_that_ignores_wakers_fails_on_unwoken_polls() {
    let rows = judged("exec.1", |ctx| {
        responsibilities::measure_poll_only_when_woken(&PollEverythingExecutor::default(), ctx)
    });
    let unwoken = row(&rows, "polls_while_unwoken");
    assert_eq!(unwoken.status, Status::Fail);
    assert!(unwoken.measured.starts_with("2 "), "{}", unwoken.measured);
}

#[test]
fn a_queue_without_a_scheduled_flag_polls_twice_after_two_wakes() {
    let flaws = Flaws {
        no_scheduled_flag: true,
        ..Flaws::default()
    };
    let rows = judged("exec.2", move |ctx| {
        responsibilities::measure_one_poll_per_wake_batch(&QueueExecutor::with(flaws), ctx)
    });
    let twice = row(&rows, "polls_after_two_wakes");
    assert_eq!((twice.status, twice.measured.as_str()), (Status::Fail, "3"));
    let rows = judged("exec.2", |ctx| {
        responsibilities::measure_one_poll_per_wake_batch(&QueueExecutor::default(), ctx)
    });
    assert!(
        rows.iter().all(|(_, r)| r.status == Status::Pass),
        "{rows:?}"
    );
}
