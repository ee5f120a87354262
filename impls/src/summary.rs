//! What the simulation experiments (Chord's, Kademlia's) share: the
//! distribution of a per-lookup count (hops, timeouts, messages), rates,
//! and the phases a progress line shows.

use std::time::Duration;

use crate::runtime::sim::Net;

/// Where a running experiment is, for a progress line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Building the network (ring, routing tables) of this many nodes.
    Building { nodes: usize },
    /// `done` of `total` lookups finished.
    Lookups { done: usize, total: usize },
}

/// The distribution of a per-lookup count (hops, timeouts).
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub mean: f64,
    /// Nearest-rank percentiles: values that occurred, like the paper's
    /// 1st/99th-percentile bars.
    pub median: u32,
    pub p1: u32,
    pub p99: u32,
    pub max: u32,
    /// `histogram[h]`: lookups with count h (for hops, the paper's PDF of
    /// the path length, Fig. 10b).
    pub histogram: Vec<u64>,
}

/// `a / b`, or 0 when `b` is 0.
pub fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// `n` per second of `d`, or 0 for no time.
pub fn per_second(n: u64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 {
        n as f64 / s
    } else {
        0.0
    }
}

/// Mean, nearest-rank percentiles and histogram; sorts `xs`.
pub fn summarize(xs: &mut [u32]) -> Option<Summary> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_unstable();
    let n = xs.len();
    // Nearest rank: the smallest value with at least q·n values ≤ it.
    let rank = |q: f64| xs[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
    let max = xs[n - 1];
    let mut histogram = vec![0u64; max as usize + 1];
    for &x in xs.iter() {
        histogram[x as usize] += 1;
    }
    let sum: u64 = xs.iter().map(|&x| u64::from(x)).sum();
    Some(Summary {
        mean: sum as f64 / n as f64,
        median: rank(0.5),
        p1: rank(0.01),
        p99: rank(0.99),
        max,
        histogram,
    })
}

/// Checks what every experiment shares: the failure fraction, the batch
/// size and the network; the error names the flag.
pub fn validate_common(fail_fraction: f64, batch: usize, net: &Net) -> Result<(), String> {
    if !(fail_fraction.is_finite() && (0.0..1.0).contains(&fail_fraction)) {
        return Err(format!(
            "--fail-fraction must be at least 0 and below 1, not {fail_fraction}"
        ));
    }
    if batch == 0 {
        return Err("the batch size must be at least 1".into());
    }
    if !(net.loss.is_finite() && (0.0..1.0).contains(&net.loss)) {
        return Err(format!(
            "--loss must be at least 0 and below 1, not {}",
            net.loss
        ));
    }
    if net.delay_min > net.delay_max {
        return Err(format!(
            "--delay-min ({} ms) is above --delay-max ({} ms)",
            net.delay_min, net.delay_max
        ));
    }
    Ok(())
}

/// Wall-clock measurements: the only fields of a report that differ
/// between runs with the same parameters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timing {
    /// Building the network by the oracle and crashing the victims.
    pub build: Duration,
    /// Running the lookups (all the simulated messages).
    pub lookups: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<u32> = (1..=100).rev().collect();
        let h = summarize(&mut v).unwrap();
        assert_eq!((h.p1, h.median, h.p99, h.max), (1, 50, 99, 100));
        assert_eq!(h.mean, 50.5);
        assert_eq!(h.histogram.iter().sum::<u64>(), 100);
        assert_eq!(summarize(&mut []), None);
    }
}
