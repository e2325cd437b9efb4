//! The kernel's random-number generator, behind `getrandom`, `/dev/urandom` and `/dev/random`.
//!
//! Programs need unpredictable bytes (C libraries seed their hash tables and stack canaries
//! from `getrandom` at start-up). The design is Linux's since 4.8, in miniature: collect a
//! little entropy into a 256-bit key at boot, then expand it with the ChaCha20 stream cipher
//! (the `chacha20` crate, tested on the host against RFC 8439), replacing the key at every
//! request so that nobody who later reads it can recover earlier output.
//!
//! The entropy, at [`init`]: `RDSEED` (the CPU's entropy source) if CPUID lists it, else
//! `RDRAND` (its generator, reseeded by that source), four 64-bit words; then the time-stamp
//! counter read between reads of the real-time clock's ports, whose timing varies on real
//! hardware; then the real-time clock's date. Every request also folds in a fresh `RDRAND`
//! word, when there is one, and the TSC.
//!
//! An honest limit: on a CPU without `RDRAND`, under QEMU's `-icount` (where the TSC counts
//! instructions, the same in every run) the seed is predictable: good enough for hash seeds
//! and tests, not for keys. Linux would wait for entropy there (`GRND_RANDOM` blocking, as it
//! did before 5.6); Ferrite is always "seeded" once [`init`] ran, and says in the log which
//! sources it had.

use chacha20::{Rng, KEY_BYTES};

/// The generator, once seeded. Taken by system calls only (never in an interrupt handler),
/// for the few hundred instructions a request of a few blocks costs.
static GENERATOR: spin::Mutex<Option<Rng>> = spin::Mutex::new(None);

/// Words taken from the CPU's generator for the seed.
const CPU_WORDS: usize = KEY_BYTES / 8;
/// TSC samples folded into the seed.
const TIMING_SAMPLES: usize = 64;

/// Where the seed came from, for the boot log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The CPU's entropy source (`RDSEED`), plus timing.
    Rdseed,
    /// The CPU's generator (`RDRAND`), plus timing.
    Rdrand,
    /// Only the time-stamp counter and the real-time clock.
    TimingOnly,
}

/// Seeds the generator (again, if it was): call once at boot; returns the best source used.
pub fn init() -> Source {
    let mut seed = [0u8; KEY_BYTES];
    let mut source = Source::TimingOnly;
    for chunk in seed.chunks_exact_mut(8).take(CPU_WORDS) {
        let word = match crate::arch::x86_64::rdrand::rdseed() {
            Some(word) => {
                source = Source::Rdseed;
                Some(word)
            }
            None => crate::arch::x86_64::rdrand::rdrand(),
        };
        if word.is_some() && source == Source::TimingOnly {
            source = Source::Rdrand;
        }
        chunk.copy_from_slice(&word.unwrap_or(0).to_le_bytes());
    }
    let mut rng = Rng::new(seed);
    let mut timing = [0u8; TIMING_SAMPLES * 8];
    for chunk in timing.chunks_exact_mut(8) {
        // A read of the clock's status port takes a varying number of cycles on real hardware.
        super::rtc::updating();
        chunk.copy_from_slice(&crate::arch::x86_64::read_tsc().to_le_bytes());
    }
    rng.mix(&timing);
    if let Ok(date) = super::rtc::read() {
        rng.mix(&date.unix_seconds().to_le_bytes());
    }
    *GENERATOR.lock() = Some(rng);
    source
}

/// Folds `data` (written to `/dev/random` by a program) into the generator.
pub fn mix(data: &[u8]) {
    if let Some(rng) = GENERATOR.lock().as_mut() {
        rng.mix(data);
    }
}

/// Fills `out` with random bytes (seeding the generator first if [`init`] has not run).
pub fn fill(out: &mut [u8]) {
    let mut fresh = [0u8; 16];
    fresh[..8].copy_from_slice(&crate::arch::x86_64::read_tsc().to_le_bytes());
    if let Some(word) = crate::arch::x86_64::rdrand::rdrand() {
        fresh[8..].copy_from_slice(&word.to_le_bytes());
    }
    if GENERATOR.lock().is_none() {
        init();
    }
    let mut generator = GENERATOR.lock();
    let rng = generator.as_mut().expect("seeded just above");
    rng.mix(&fresh);
    rng.fill(out);
}
