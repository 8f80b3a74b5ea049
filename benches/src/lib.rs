//! Side-by-side benchmarks of our crates against their peers.
//!
//! The benchmarks live in `benches/benches/*.rs` and run with `cargo bench -p benches`
//! (or `cargo xtask bench`, which also writes a report of the ratios). This library holds
//! helpers shared by those benchmark files.
