//! ChaCha20 (RFC 8439) and a random-number generator on it, for `getrandom` and `/dev/urandom`.
//!
//! A kernel's random numbers must be unpredictable to a program, even one that has seen many of
//! them. The CPU's own generator (`RDRAND`, `RDSEED`) is one source, but not every CPU has it
//! (QEMU's emulated CPUs differ) and one instruction per eight bytes is slow; so, as Linux has
//! done since 4.8, Ferrite gathers a little entropy into a 256-bit key and *expands* it with a
//! stream cipher. ChaCha20 is the one Linux uses: 20 rounds of 32-bit additions, rotations and
//! exclusive ors (no tables, so no timing leaks), one 64-byte block per call of
//! [`block`], with 256-bit key, 32-bit block counter and 96-bit nonce (RFC 8439 §2.3).
//!
//! [`Rng`] uses *fast key erasure* (Bernstein, 2017): each request runs the cipher from a fresh
//! counter, and the first 32 bytes of its output become the next key before anything is handed
//! out. An attacker who later reads the generator's state cannot run it backwards to the bytes
//! already given. New entropy is folded into the key by [`Rng::mix`] at any time.
//!
//! The arithmetic is pure and checked on the host against the RFC's test vector.

#![no_std]
#![forbid(unsafe_code)]

/// Bytes in one block of output.
pub const BLOCK_BYTES: usize = 64;
/// Bytes in a key.
pub const KEY_BYTES: usize = 32;
/// The first four words of every state: "expand 32-byte k" in little-endian ASCII.
const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// The quarter round on four words of the state (RFC 8439 §2.1).
fn quarter_round(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// One 64-byte block of ChaCha20's key stream for `key`, block `counter` and `nonce`
/// (RFC 8439 §2.3): the state, 10 double rounds, the state added back, serialised
/// little-endian.
pub fn block(key: &[u8; KEY_BYTES], counter: u32, nonce: &[u8; 12]) -> [u8; BLOCK_BYTES] {
    let word = |bytes: &[u8]| u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let mut state = [0u32; 16];
    state[..4].copy_from_slice(&CONSTANTS);
    for i in 0..8 {
        state[4 + i] = word(&key[4 * i..]);
    }
    state[12] = counter;
    for i in 0..3 {
        state[13 + i] = word(&nonce[4 * i..]);
    }
    let mut working = state;
    for _ in 0..10 {
        // A column round, then a diagonal round.
        quarter_round(&mut working, 0, 4, 8, 12);
        quarter_round(&mut working, 1, 5, 9, 13);
        quarter_round(&mut working, 2, 6, 10, 14);
        quarter_round(&mut working, 3, 7, 11, 15);
        quarter_round(&mut working, 0, 5, 10, 15);
        quarter_round(&mut working, 1, 6, 11, 12);
        quarter_round(&mut working, 2, 7, 8, 13);
        quarter_round(&mut working, 3, 4, 9, 14);
    }
    let mut out = [0u8; BLOCK_BYTES];
    for (i, chunk) in out.chunks_exact_mut(4).enumerate() {
        chunk.copy_from_slice(&working[i].wrapping_add(state[i]).to_le_bytes());
    }
    out
}

/// A random-number generator: a ChaCha20 key, replaced at every request (fast key erasure).
pub struct Rng {
    key: [u8; KEY_BYTES],
    /// Requests so far: the nonce, so that two requests never share a key stream even if a
    /// key repeated.
    requests: u64,
}

impl Rng {
    /// A generator whose key is `seed`. Its output is as unpredictable as the seed.
    pub const fn new(seed: [u8; KEY_BYTES]) -> Rng {
        Rng {
            key: seed,
            requests: 0,
        }
    }

    /// Folds `entropy` into the key: it is exclusive-ored in, then the key is replaced by the
    /// cipher's output under it, so each bit of entropy affects every bit of the next key.
    pub fn mix(&mut self, entropy: &[u8]) {
        for (i, &byte) in entropy.iter().enumerate() {
            self.key[i % KEY_BYTES] ^= byte;
        }
        self.rekey();
    }

    /// Replaces the key with the first half of a fresh block.
    fn rekey(&mut self) {
        let fresh = block(&self.key, 0, &self.nonce());
        self.requests = self.requests.wrapping_add(1);
        self.key.copy_from_slice(&fresh[..KEY_BYTES]);
    }

    /// This request's nonce: the request count.
    fn nonce(&self) -> [u8; 12] {
        let mut nonce = [0u8; 12];
        nonce[..8].copy_from_slice(&self.requests.to_le_bytes());
        nonce
    }

    /// Fills `out` with random bytes. Block 0 of the request's key stream becomes the next key
    /// (its second half is output); blocks 1, 2, ... follow. The 32-bit counter allows 256 GiB
    /// a request, far more than a caller asks for at once.
    pub fn fill(&mut self, out: &mut [u8]) {
        let nonce = self.nonce();
        self.requests = self.requests.wrapping_add(1);
        let first = block(&self.key, 0, &nonce);
        let key = self.key;
        self.key.copy_from_slice(&first[..KEY_BYTES]);
        let (head, rest) = out.split_at_mut(out.len().min(BLOCK_BYTES - KEY_BYTES));
        head.copy_from_slice(&first[KEY_BYTES..KEY_BYTES + head.len()]);
        for (i, chunk) in rest.chunks_mut(BLOCK_BYTES).enumerate() {
            let stream = block(&key, i as u32 + 1, &nonce);
            chunk.copy_from_slice(&stream[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn hex(text: &str) -> std::vec::Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn the_block_function_matches_rfc_8439_section_2_3_2() {
        let key: [u8; 32] = core::array::from_fn(|i| i as u8);
        let nonce = [0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0];
        let expected = hex(concat!(
            "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e",
            "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
        ));
        assert_eq!(block(&key, 1, &nonce).as_slice(), expected.as_slice());
    }

    #[test]
    fn the_quarter_round_matches_rfc_8439_section_2_1_1() {
        let mut s = [0u32; 16];
        s[..4].copy_from_slice(&[0x1111_1111, 0x0102_0304, 0x9b8d_6f43, 0x0123_4567]);
        quarter_round(&mut s, 0, 1, 2, 3);
        assert_eq!(s[..4], [0xea2a_92f4, 0xcb1c_f8ce, 0x4581_472e, 0x5881_c4bb]);
    }

    #[test]
    fn requests_never_repeat_and_the_key_moves_on() {
        let mut rng = Rng::new([7; 32]);
        let mut a = [0u8; 100];
        let mut b = [0u8; 100];
        rng.fill(&mut a);
        rng.fill(&mut b);
        assert_ne!(a, b);
        assert_ne!(rng.key, [7; 32]);
        // Long requests are filled to the last byte, and not with the first block repeated.
        let mut long = [0u8; 1000];
        rng.fill(&mut long);
        assert!(long[900..].iter().any(|&x| x != 0));
        assert_ne!(long[32..96], long[96..160]);
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes_and_mixing_changes_them() {
        let (mut one, mut two) = (Rng::new([1; 32]), Rng::new([1; 32]));
        let (mut a, mut b) = ([0u8; 48], [0u8; 48]);
        one.fill(&mut a);
        two.fill(&mut b);
        assert_eq!(a, b);
        two.mix(&[0x55]);
        one.fill(&mut a);
        two.fill(&mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn output_bytes_look_uniform() {
        // A loose check that no value is badly over- or under-represented.
        let mut rng = Rng::new([3; 32]);
        let mut counts = [0u32; 256];
        let mut buf = [0u8; 4096];
        for _ in 0..64 {
            rng.fill(&mut buf);
            buf.iter().for_each(|&b| counts[b as usize] += 1);
        }
        // 262,144 bytes: 1,024 expected for each value.
        assert!(
            counts.iter().all(|&c| (850..1200).contains(&c)),
            "{counts:?}"
        );
    }
}
