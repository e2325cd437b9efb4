//! `getrandom`'s flags, from `linux/random.h`.

/// Do not wait for the generator to be seeded: `EAGAIN` instead (Ferrite's is seeded at boot,
/// so it never waits).
pub const GRND_NONBLOCK: u32 = 0x0001;
/// Once "the blocking pool"; since Linux 5.6 the same bytes as without it.
pub const GRND_RANDOM: u32 = 0x0002;
/// Bytes even before the generator is seeded (may not be used with `GRND_RANDOM`).
pub const GRND_INSECURE: u32 = 0x0004;
