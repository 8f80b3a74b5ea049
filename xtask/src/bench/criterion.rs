//! Reading criterion's output: `<criterion dir>/**/new/{benchmark.json,estimates.json}`.
//!
//! Criterion writes one directory per benchmark; `new/` holds the latest run. We take the
//! group and function ids from `benchmark.json` (the directory names are mangled: `/`
//! becomes `_`) and the median's point estimate, in nanoseconds per iteration, from
//! `estimates.json`. When the benchmark declared a throughput of n elements (or bytes, or
//! bits) per iteration, the figure is divided by n to give nanoseconds per element.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One benchmark's latest result.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Criterion group id, such as `block_on/ready`.
    pub group: String,
    /// Function id inside the group: `ours` or a peer's name.
    pub function: String,
    /// The parameter, for benchmarks made with `BenchmarkId::new(name, parameter)`.
    pub parameter: Option<String>,
    /// Median time in nanoseconds, per element when `per_element` is set, else per iteration.
    pub median_ns: f64,
    /// Elements (or bytes) per iteration, when the benchmark declared a throughput.
    pub per_element: Option<u64>,
}

impl Sample {
    /// The workload this sample measures: its group, plus its parameter if any.
    pub fn workload(&self) -> String {
        match &self.parameter {
            Some(p) => format!("{}/{p}", self.group),
            None => self.group.clone(),
        }
    }
}

#[derive(Deserialize)]
struct BenchmarkJson {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    throughput: Option<Throughput>,
}

#[derive(Deserialize)]
enum Throughput {
    Bits(u64),
    Bytes(u64),
    BytesDecimal(u64),
    Elements(u64),
    ElementsAndBytes { elements: u64 },
}

impl Throughput {
    fn per_iteration(&self) -> u64 {
        match *self {
            Throughput::Bits(n)
            | Throughput::Bytes(n)
            | Throughput::BytesDecimal(n)
            | Throughput::Elements(n)
            | Throughput::ElementsAndBytes { elements: n } => n,
        }
    }
}

#[derive(Deserialize)]
struct EstimatesJson {
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

/// Every sample under `root`, sorted by workload then function.
pub fn read_dir(root: &Path) -> Result<Vec<Sample>, String> {
    let mut dirs = Vec::new();
    find_new_dirs(root, &mut dirs)?;
    let mut samples = Vec::new();
    for dir in dirs {
        samples.push(read_sample(&dir)?);
    }
    samples.sort_by(|a, b| (a.workload(), &a.function).cmp(&(b.workload(), &b.function)));
    Ok(samples)
}

fn find_new_dirs(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") && path.join("benchmark.json").is_file() {
            out.push(path);
        } else {
            find_new_dirs(&path, out)?;
        }
    }
    Ok(())
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_sample(dir: &Path) -> Result<Sample, String> {
    let bench: BenchmarkJson = read_json(&dir.join("benchmark.json"))?;
    let estimates: EstimatesJson = read_json(&dir.join("estimates.json"))?;
    let per_element = bench
        .throughput
        .as_ref()
        .map(Throughput::per_iteration)
        .filter(|n| *n > 0);
    let per_iteration = estimates.median.point_estimate;
    Ok(Sample {
        group: bench.group_id,
        function: bench.function_id.unwrap_or_default(),
        parameter: bench.value_str,
        median_ns: per_element.map_or(per_iteration, |n| per_iteration / n as f64),
        per_element,
    })
}
