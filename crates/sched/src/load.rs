//! Load averages: how many threads wanted the CPU, averaged over the last 1, 5 and 15 minutes.
//!
//! Every 5 seconds the kernel counts the threads that are running or waiting in the run queue
//! and folds the count into three exponentially decaying averages, as Linux does: each new
//! average is the old one times a decay factor `e^(-5 s / period)` plus the count times
//! `1 - e^(-5 s / period)`, so a sample's weight fades with its age and the 1-minute figure
//! follows a change quickly while the 15-minute one smooths it out. No floating point is used
//! (the kernel is built soft-float and the timer interrupt must not touch the FPU): the averages
//! are fixed-point numbers with 11 fraction bits, and the three decay factors are those numbers'
//! roundings of `e^(-5/60)`, `e^(-5/300)` and `e^(-5/900)`: 1884, 2014 and 2037 out of 2048,
//! the same constants Linux uses, so that the figures mean the same on both.

/// Fraction bits of a load figure.
pub const FRACTION_BITS: u32 = 11;
/// 1.0 in that fixed point.
const ONE: u64 = 1 << FRACTION_BITS;
/// Seconds between two samples.
pub const SAMPLE_SECONDS: u64 = 5;
/// The decay per sample of the 1-, 5- and 15-minute averages: `ONE * e^(-5 s / period)`.
const DECAY: [u64; 3] = [1884, 2014, 2037];
/// Hundredths in one: the unit `/proc/loadavg` prints to.
const HUNDRED: u64 = 100;
/// The fraction bits of `sysinfo`'s `loads` (Linux's `SI_LOAD_SHIFT`).
const SYSINFO_FRACTION_BITS: u32 = 16;

/// The three averages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadAverage {
    /// Over 1, 5 and 15 minutes, in fixed point with [`FRACTION_BITS`].
    fixed: [u64; 3],
}

impl LoadAverage {
    /// Averages of zero: the machine has just started.
    pub const fn new() -> LoadAverage {
        LoadAverage { fixed: [0; 3] }
    }

    /// Folds in one sample: `active` threads running or ready to run.
    pub fn sample(&mut self, active: u32) {
        let active = u64::from(active) * ONE;
        for (load, decay) in self.fixed.iter_mut().zip(DECAY) {
            let mut next = *load * decay + active * (ONE - decay);
            // Round up while the load rises, so that a steady count is reached rather than
            // approached for ever from below.
            if active >= *load {
                next += ONE - 1;
            }
            *load = next / ONE;
        }
    }

    /// The averages in hundredths, rounded to the nearest (`/proc/loadavg` prints `1.05`).
    pub fn hundredths(&self) -> [u64; 3] {
        self.fixed
            .map(|load| (load * HUNDRED + ONE / 2) >> FRACTION_BITS)
    }

    /// The averages as `sysinfo` reports them: fixed point with 16 fraction bits.
    pub fn for_sysinfo(&self) -> [u64; 3] {
        self.fixed
            .map(|load| load << (SYSINFO_FRACTION_BITS - FRACTION_BITS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_machine_stays_at_zero() {
        let mut load = LoadAverage::new();
        for _ in 0..100 {
            load.sample(0);
        }
        assert_eq!(load.hundredths(), [0, 0, 0]);
    }

    #[test]
    fn one_busy_thread_brings_the_one_minute_figure_near_one_first() {
        let mut load = LoadAverage::new();
        // One minute of samples: the 1-minute average has covered 1 - 1/e of the way.
        for _ in 0..12 {
            load.sample(1);
        }
        let [one, five, fifteen] = load.hundredths();
        assert!((60..=66).contains(&one), "{one}");
        assert!(
            one > five && five > fifteen && fifteen > 0,
            "{:?}",
            load.hundredths()
        );
        // An hour later all three have arrived.
        for _ in 0..720 {
            load.sample(1);
        }
        assert_eq!(load.hundredths(), [100, 100, 100]);
    }

    #[test]
    fn the_load_decays_once_the_work_stops() {
        let mut load = LoadAverage::new();
        for _ in 0..720 {
            load.sample(2);
        }
        assert_eq!(load.hundredths(), [200, 200, 200]);
        for _ in 0..12 {
            load.sample(0);
        }
        let [one, five, _] = load.hundredths();
        // After a minute the 1-minute figure is down to about 2/e.
        assert!((70..=76).contains(&one), "{one}");
        assert!(five > one);
    }

    #[test]
    fn sysinfo_has_sixteen_fraction_bits() {
        let mut load = LoadAverage::new();
        for _ in 0..720 {
            load.sample(1);
        }
        assert_eq!(load.for_sysinfo()[0], 1 << 16);
    }
}
