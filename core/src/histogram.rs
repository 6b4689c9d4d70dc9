//! A histogram of durations for latency percentiles, safe to record into from any thread:
//! a log scale with linear steps inside each power of two (as HdrHistogram does, coarser),
//! one relaxed atomic add per sample, fixed size, never allocating.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Sub-buckets per power of two: a percentile is reported as its bucket's upper bound, at
/// most 1/8 (12.5 %) above the true value.
const STEPS: u32 = 8;
const BUCKETS: usize = (64 * STEPS) as usize;

/// A histogram of durations in microseconds on a log scale with linear steps inside each
/// power of two (as HdrHistogram does, coarser).
pub struct Histogram {
    counts: [AtomicU64; BUCKETS],
}

impl Histogram {
    pub const fn new() -> Histogram {
        Histogram { counts: [const { AtomicU64::new(0) }; BUCKETS] }
    }

    pub fn record(&self, elapsed: Duration) {
        let us = elapsed.as_micros().min(u64::MAX as u128) as u64;
        self.counts[bucket(us)].fetch_add(1, Ordering::Relaxed);
    }

    /// The upper bounds of the buckets holding the given quantiles, in microseconds; `None`
    /// before any sample.
    pub fn quantiles<const N: usize>(&self, qs: [f64; N]) -> Option<[u64; N]> {
        let counts: Vec<u64> = self.counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        Some(qs.map(|q| {
            let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
            let mut seen = 0;
            for (i, &c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return upper_bound(i);
                }
            }
            upper_bound(BUCKETS - 1)
        }))
    }
}

/// Values below `STEPS` get a bucket each; above, bucket = octave * STEPS + the next
/// log2(STEPS) bits after the leading one.
fn bucket(us: u64) -> usize {
    if us < STEPS as u64 {
        return us as usize;
    }
    let octave = 63 - us.leading_zeros(); // >= 3
    let shift = octave - STEPS.trailing_zeros();
    let step = (us >> shift) as u32 - STEPS; // 0..STEPS
    ((octave - STEPS.trailing_zeros() + 1) * STEPS + step) as usize
}

/// The largest value of a bucket.
fn upper_bound(index: usize) -> u64 {
    let index = index as u32;
    if index < STEPS {
        return index as u64;
    }
    let shift = index / STEPS - 1;
    let step = (index % STEPS + STEPS) as u64; // the bucket's leading bits
    (((step as u128 + 1) << shift) - 1).min(u64::MAX as u128) as u64
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_and_bound_it_within_an_eighth() {
        let mut previous = 0;
        for us in (0..5000u64).chain([1 << 20, (1 << 20) + 12345, u64::MAX / 3, u64::MAX]) {
            let b = bucket(us);
            assert!(b < BUCKETS, "{us}");
            assert!(b >= previous || us > 5000, "buckets grow with the value");
            previous = b;
            let upper = upper_bound(b);
            assert!(upper >= us, "{us} above its bucket's bound {upper}");
            assert!(upper as f64 <= us as f64 * 1.125 + 1.0, "{us}: bound {upper}");
        }
    }
}
