//! Side-by-side benchmarks of our crates against their peers.
//!
//! The benchmarks live in `benches/benches/*.rs` and run with `cargo bench -p benches`
//! (or `cargo xtask bench`, which also writes a report of the ratios). This library holds
//! the summary of the interleaved passes those benchmark files print; the counting allocator
//! they install is `testkit::CountingAlloc`.

/// Prints the summary of an interleaved pass: `times[i]` holds implementation `ids[i]`'s time
/// per operation (ns) in each round, ours first. Prints each one's median, ours over the fastest
/// peer's median, and the paired ratios (ours over each peer within a round, median over the
/// rounds), which unlike "over the fastest" are not biased upwards by picking the least of
/// several noisy medians. The `cargo xtask bench` report and the README quote these lines.
///
/// Returns ours over the fastest peer, and which peer that was.
///
/// ```
/// let ids = ["ours", "slow", "fast"];
/// let times = [vec![1.0, 1.0, 1.0], vec![4.0, 4.0, 4.0], vec![2.0, 2.0, 2.0]];
/// let summary = benches::print_interleaved("demo", &ids, &times);
/// assert_eq!(summary.fastest_peer, "fast");
/// assert_eq!(summary.ours_over_fastest, 0.5);
/// ```
pub fn print_interleaved(name: &str, ids: &[&str], times: &[Vec<f64>]) -> Interleaved {
    let rounds = times.first().map_or(0, Vec::len);
    let medians: Vec<f64> = times.iter().map(|t| median(t.clone())).collect();
    let (fastest, fastest_peer) = medians
        .iter()
        .copied()
        .enumerate()
        .skip(1)
        .min_by(|(_, a), (_, b)| a.total_cmp(b))
        .expect("at least one peer beside ours");
    let row: Vec<String> = ids
        .iter()
        .zip(&medians)
        .map(|(id, m)| format!("{id} {m:.1}"))
        .collect();
    let paired: Vec<String> = (1..ids.len())
        .map(|p| {
            let ratios = times[0].iter().zip(&times[p]).map(|(o, q)| o / q);
            format!("{} {:.2}", ids[p], median(ratios.collect()))
        })
        .collect();
    println!(
        "{name} interleaved x{rounds}, median ns per op: {}; ours/fastest peer {:.2}; \
         paired ours/peer: {}",
        row.join(", "),
        medians[0] / fastest_peer,
        paired.join(", ")
    );
    Interleaved {
        ours_over_fastest: medians[0] / fastest_peer,
        fastest_peer: ids[fastest].to_string(),
    }
}

/// The headline of an interleaved pass, as returned by [`print_interleaved`].
///
/// ```
/// let s = benches::print_interleaved("demo", &["ours", "peer"], &[vec![3.0], vec![2.0]]);
/// assert_eq!(s, benches::Interleaved { ours_over_fastest: 1.5, fastest_peer: "peer".into() });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Interleaved {
    /// Ours median over the fastest peer's median (below 1.0: we are faster).
    pub ours_over_fastest: f64,
    /// The id of the peer with the least median.
    pub fastest_peer: String,
}

/// The median of `values` (the upper one of the middle two for an even count).
///
/// ```
/// assert_eq!(benches::median(vec![4.0, 1.0, 3.0, 2.0]), 3.0);
/// ```
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The workspace README's Rust examples, compiled and run as doctests (this crate depends on
/// every crate of the workspace).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
