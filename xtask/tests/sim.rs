//! `cargo xtask verify --sim`: the timer exercises on virtual time, with the same PASS rows.

use std::time::Duration;

use xtask::measure::{Measurements, Value};
use xtask::runners::{Ctx, sim};
use xtask::spec;
use xtask::verify::{self, Options, check::Status};

fn exercise(id: &str) -> Ctx {
    let specs = spec::load_dir(&spec::default_dir()).unwrap();
    let ex = specs
        .iter()
        .flat_map(|s| &s.exercises)
        .find(|e| e.id == id)
        .unwrap();
    Ctx::new(&ex.id, ex.params.clone(), 1.0)
}

fn duration(m: &Measurements, name: &str) -> Duration {
    match m.get(name).map(|m| &m.value) {
        Some(Value::Duration(d)) => *d,
        other => panic!("{name}: {other:?}"),
    }
}

/// One test, so that no other test's thread adds to the process CPU the rows measure.
#[test]
fn verify_sim_passes_the_simulated_rows_on_exact_virtual_time() {
    // Real time could never be this exact: the simulator's clock is what was measured.
    let delay = sim::delay_block_on(&exercise("5.3"));
    assert_eq!(duration(&delay, "elapsed"), Duration::from_secs(2));
    let concurrent = sim::concurrent_delays(&exercise("5.4"));
    assert_eq!(duration(&concurrent, "at.fast"), Duration::from_secs(1));
    assert_eq!(duration(&concurrent, "at.medium"), Duration::from_secs(2));
    assert_eq!(duration(&concurrent, "total"), Duration::from_secs(3));

    // The rows, judged as `cargo xtask verify --sim` judges them. (5.1 and 5.5 run on real
    // threads in this mode too; their timing is checked by CI's verify run, not here.)
    for id in ["5.2", "5.3", "5.4"] {
        let report = verify::run(&Options {
            quick: false,
            only: Some(id.into()),
            json: None,
            specs_dir: spec::default_dir(),
            sim: true,
        })
        .unwrap();
        assert_eq!(report.mode, "full, simulated");
        assert!(!report.rows.is_empty());
        let failed: Vec<_> = report
            .rows
            .iter()
            .filter(|r| r.status != Status::Pass)
            .collect();
        assert!(failed.is_empty(), "{failed:?}");
    }
}
