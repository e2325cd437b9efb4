//! A tiny deterministic random number generator (xorshift64*, Vigna 2016) for the property
//! tests of the allocator and scheduler crates and for the kernel's seeded timer jitter: fast,
//! seedable, and the same sequence on every machine, so a failure reported with its seed
//! reproduces exactly. Not for anything that needs real randomness.

#![no_std]
#![forbid(unsafe_code)]

/// The generator's state.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value; it is mixed so small seeds differ well).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A generator that continues from `state` (a value [`Rng::state`] returned), for a
    /// caller that keeps the state in an atomic between draws.
    pub fn from_state(state: u64) -> Rng {
        // xorshift's state is never 0 (0 would stay 0 for ever); map a bad one to a good one.
        Rng(if state == 0 { 1 } else { state })
    }

    /// The state to continue from with [`Rng::from_state`]; never 0.
    pub fn state(&self) -> u64 {
        self.0
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_sequence_and_values_stay_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
            assert!(a.below(10) < 10);
            b.below(10);
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
        let mut resumed = Rng::from_state(a.state());
        assert_eq!(
            resumed.next_u64(),
            a.next_u64(),
            "a saved state continues the sequence"
        );
    }
}
