//! Command-line parsing for `cargo xtask`, by hand: every command and its flags are parsed
//! here, into one [`Command`]. A new command is a variant, a `match` arm in [`parse`] and a
//! line in [`USAGE`].

use std::path::PathBuf;

use crate::{bench, spec, verify};

/// The usage text.
pub const USAGE: &str = "\
usage: cargo xtask verify [--quick] [--sim] [--only <id>] [--json <file>] [--specs <dir>]
       cargo xtask bench [--suite <block_on|executor|io|timers>] [--report-only] [-- <criterion args>]
       cargo xtask leaks
       cargo xtask asan [<test filter>...]

verify   run every lesson exercise against our crates and check it against its spec
         --quick        durations halved (for CI)
         --sim          run the exercises that can be simulated (5.2-5.4) under the sim
                        crate, on virtual time; the real-thread ones as usual
         --only <id>    one exercise (5.3), a prefix (5) or a spec (lesson-05)
         --json <file>  also write the rows as JSON
         --specs <dir>  read the specs from another directory (default: xtask/specs)
bench    cargo bench -p benches, then target/bench-report/{report.md,ratios.svg,lateness.svg}
         --suite <name> one suite; any other argument goes to criterion
leaks    run benches/examples/leak_scenarios under valgrind memcheck; fail on any byte
         definitely or indirectly lost
asan     run the workspace's tests under AddressSanitizer (cargo +nightly; skipped without it);
         arguments go to the test binaries";

/// A parsed command line.
#[derive(Debug, Clone)]
pub enum Command {
    /// `cargo xtask verify`.
    Verify(verify::Options),
    /// `cargo xtask bench`.
    Bench(bench::Options),
    /// `cargo xtask leaks`: the leak scenarios under valgrind. Takes no arguments.
    Leaks,
    /// `cargo xtask asan`: the tests under AddressSanitizer; the arguments go to the test
    /// binaries (a name filter, say).
    Asan(Vec<String>),
    /// `--help`.
    Help,
}

/// Parses the arguments after `cargo xtask`.
///
/// ```
/// use xtask::cli::{Command, parse};
///
/// let args = ["verify", "--quick"].map(String::from);
/// assert!(matches!(parse(&args), Ok(Command::Verify(o)) if o.quick));
/// ```
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err("no command given".to_owned());
    };
    let mut it = rest.iter();
    let value = |it: &mut std::slice::Iter<'_, String>, flag: &str| {
        it.next()
            .cloned()
            .ok_or_else(|| format!("{flag} needs a value"))
    };
    match cmd.as_str() {
        "verify" => {
            let mut opts = verify::Options {
                quick: false,
                only: None,
                json: None,
                specs_dir: spec::default_dir(),
                sim: false,
            };
            while let Some(arg) = it.next() {
                match arg.as_str() {
                    "--quick" => opts.quick = true,
                    "--sim" => opts.sim = true,
                    "--only" => opts.only = Some(value(&mut it, "--only")?),
                    "--json" => opts.json = Some(PathBuf::from(value(&mut it, "--json")?)),
                    "--specs" => opts.specs_dir = PathBuf::from(value(&mut it, "--specs")?),
                    "-h" | "--help" => return Ok(Command::Help),
                    other => return Err(format!("verify: unknown argument `{other}`")),
                }
            }
            Ok(Command::Verify(opts))
        }
        "bench" => {
            let mut opts = bench::Options::default();
            while let Some(arg) = it.next() {
                match arg.as_str() {
                    "--suite" => opts.suite = Some(value(&mut it, "--suite")?),
                    "--report-only" => opts.report_only = true,
                    "-h" | "--help" => return Ok(Command::Help),
                    "--" => opts.extra.extend(it.by_ref().cloned()),
                    other => opts.extra.push(other.to_owned()),
                }
            }
            Ok(Command::Bench(opts))
        }
        "leaks" => match it.next() {
            None => Ok(Command::Leaks),
            Some(arg) => Err(format!("leaks takes no arguments (got `{arg}`)")),
        },
        "asan" => Ok(Command::Asan(it.cloned().collect())),
        "-h" | "--help" | "help" => Ok(Command::Help),
        other => Err(format!("unknown command `{other}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn verify_flags() {
        let Command::Verify(o) =
            parse(&args("verify --quick --sim --only 5.3 --json out.json")).unwrap()
        else {
            panic!("not verify")
        };
        assert!(o.quick && o.sim);
        assert_eq!(o.only.as_deref(), Some("5.3"));
        assert_eq!(o.json, Some(PathBuf::from("out.json")));
        assert!(
            parse(&args("verify --only"))
                .unwrap_err()
                .contains("needs a value")
        );
        assert!(parse(&args("verify --fast")).is_err());
    }

    #[test]
    fn bench_passes_unknown_arguments_through() {
        let Command::Bench(o) =
            parse(&args("bench --suite timers --quick -- --sample-size 10")).unwrap()
        else {
            panic!("not bench")
        };
        assert_eq!(o.suite.as_deref(), Some("timers"));
        assert_eq!(o.extra, ["--quick", "--sample-size", "10"]);
    }

    #[test]
    fn leaks_and_asan_are_parsed_here_too() {
        assert!(matches!(parse(&args("leaks")), Ok(Command::Leaks)));
        assert!(
            parse(&args("leaks --all"))
                .unwrap_err()
                .contains("no arguments")
        );
        let Command::Asan(rest) = parse(&args("asan cell::")).unwrap() else {
            panic!("not asan")
        };
        assert_eq!(rest, ["cell::"]);
    }
}
