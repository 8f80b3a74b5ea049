//! The lost-update race: FIFO hides it, `sim::check` finds it, and its seed replays it.

mod common;

use std::process::Command;

use sim::{Builder, Strategy};

/// The seed in "... failed with seed N: ...".
fn failing_seed(message: &str) -> u64 {
    let rest = message
        .split("failed with seed ")
        .nth(1)
        .unwrap_or_else(|| panic!("no seed in: {message}"));
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().expect("a seed number")
}

#[test]
fn fifo_hides_the_race() {
    Builder::new()
        .strategy(Strategy::Fifo)
        .build()
        .block_on(common::lost_update());
}

#[test]
fn check_finds_it_within_100_seeds_and_the_seed_fails_10_times_out_of_10() {
    let message = common::panic_message(|| sim::check(0..100, |_| common::lost_update()))
        .expect("check must find the lost update");
    assert!(message.contains("lost update"), "{message}");
    let seed = failing_seed(&message);
    assert!(seed < 100);
    assert!(
        message.contains(&format!(
            "SIM_SEED={seed} cargo test -p sim check_finds_it_within_100_seeds"
        )),
        "{message}"
    );
    assert!(!message.contains("not deterministic"), "{message}");
    for _ in 0..10 {
        let replay = common::panic_message(|| {
            Builder::new()
                .seed(seed)
                .build()
                .block_on(common::lost_update())
        });
        assert!(replay.is_some_and(|m| m.contains("lost update")));
    }
}

#[test]
#[ignore = "fails by design: run in a child process by the_printed_command_replays_the_seed"]
fn replay_target() {
    sim::check(0..100, |_| common::lost_update());
}

/// Runs `replay_target` in a child process with `SIM_SEED=seed`, as the printed command does.
fn replay(seed: u64) -> (bool, String) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["replay_target", "--exact", "--ignored", "--test-threads=1"])
        .env("SIM_SEED", seed.to_string())
        .output()
        .expect("run the test binary");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn the_printed_command_replays_the_seed() {
    let message = common::panic_message(|| sim::check(0..100, |_| common::lost_update()))
        .expect("check must find the lost update");
    let seed = failing_seed(&message);
    let (passed, text) = replay(seed);
    assert!(!passed, "the replay of seed {seed} passed:\n{text}");
    assert!(
        text.contains(&format!("failed with seed {seed}:")),
        "{text}"
    );
    // SIM_SEED really selects the seed: one that passes makes the whole check pass.
    let good = (0..100)
        .find(|&s| {
            common::panic_message(|| {
                Builder::new()
                    .seed(s)
                    .build()
                    .block_on(common::lost_update())
            })
            .is_none()
        })
        .expect("some seed passes");
    let (passed, text) = replay(good);
    assert!(
        passed,
        "seed {good} passes on its own but its replay failed:\n{text}"
    );
}
