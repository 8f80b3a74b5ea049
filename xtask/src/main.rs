//! `cargo xtask`: see the library docs (`xtask`) for the commands.

use std::io::IsTerminal;
use std::process::ExitCode;

use xtask::cli::{self, Command};
use xtask::verify::{self, table};

mod asan;
mod leaks;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Help => {
            println!("{}", cli::USAGE);
            Ok(true)
        }
        Command::Verify(opts) => run_verify(&opts),
        Command::Bench(opts) => xtask::bench::run(&opts).map(|()| true),
        Command::Leaks => return leaks::run(),
        Command::Asan(args) => return asan::run(&args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs verify, prints the table and summary; `Ok(false)` if a row failed.
fn run_verify(opts: &verify::Options) -> Result<bool, String> {
    let report = verify::run(opts)?;
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    print!("{}", table::render(&report.rows, color));
    println!("{}", report.summary());
    if let Some(path) = &opts.json {
        verify::write_json(&report, path)?;
    }
    Ok(report.count(verify::check::Status::Fail) == 0)
}
