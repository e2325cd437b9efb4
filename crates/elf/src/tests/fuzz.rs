//! Mutation fuzzing: damaged copies of valid files never panic the parser, and whatever it
//! accepts keeps every promise `Segment`, `Tls` and `Program` make.
//!
//! Random bytes alone would nearly always fail the magic check, so the inputs start from valid
//! files and change a few things, favouring the fields the checks are about and the values
//! where off-by-one and overflow bugs live. The seed is printed; `ELF_FUZZ_SEED=<n>` replays a
//! run, and a failure names the iteration, whose generator is seeded from the run's seed.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::string::String;
use std::vec::Vec;
use std::{format, println};

use xorshift::Rng;

use crate::corpus::{self, gnu_like, lld_like, put, tiny, KERNEL_HALF};
use crate::raw::{EHDR_SIZE, E_ENTRY, E_PHNUM, E_PHOFF, E_TYPE, PHDR_SIZE};
use crate::raw::{P_ALIGN, P_FILESZ, P_FLAGS, P_MEMSZ, P_OFFSET, P_TYPE, P_VADDR};
use crate::{parse, ElfError, Limits, Program, PAGE_SIZE};

/// Inputs per run, unless `ELF_FUZZ_ITERATIONS` gives another number.
const ITERATIONS: u64 = 100_000;
/// The seed used unless `ELF_FUZZ_SEED` gives another.
const DEFAULT_SEED: u64 = 0xE1F_5EED;
/// Most mutations applied to one input.
const MAX_MUTATIONS: u64 = 4;
/// Fewest accepted inputs per 1000 for the run to count: a fuzz that only ever reaches errors
/// never tests the invariants.
const MIN_OK_PER_MILLE: u64 = 20;

/// File header fields worth hitting: (offset, width).
const HEADER_FIELDS: [(usize, usize); 4] = [(E_TYPE, 2), (E_ENTRY, 8), (E_PHOFF, 8), (E_PHNUM, 2)];
/// Program header fields: (offset, width).
const PHDR_FIELDS: [(usize, usize); 7] = [
    (P_TYPE, 4),
    (P_FLAGS, 4),
    (P_OFFSET, 8),
    (P_VADDR, 8),
    (P_FILESZ, 8),
    (P_MEMSZ, 8),
    (P_ALIGN, 8),
];

/// The number in environment variable `name` (decimal or 0x-hex), or `default` if it is unset.
fn env_number(name: &str, default: u64) -> u64 {
    let Ok(text) = std::env::var(name) else {
        return default;
    };
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.unwrap_or_else(|_| panic!("{name}={text:?} is not a number"))
}

/// A value near a boundary the checks care about, or a random one.
fn interesting(rng: &mut Rng, file_len: u64, limits: &Limits, near: u64) -> u64 {
    let choices = [
        0,
        1,
        2,
        3,
        8,
        PAGE_SIZE - 1,
        PAGE_SIZE,
        PAGE_SIZE + 1,
        file_len - 1,
        file_len,
        file_len + 1,
        limits.lowest - 1,
        limits.lowest,
        limits.end - PAGE_SIZE,
        limits.end - 1,
        limits.end,
        limits.max_memsz,
        limits.max_memsz + 1,
        KERNEL_HALF,
        0x8000_0000_0000_0000,
        u64::MAX - PAGE_SIZE + 1,
        u64::MAX,
        near,
        near.wrapping_add(rng.below(2 * PAGE_SIZE))
            .wrapping_sub(PAGE_SIZE),
        rng.next_u64(),
    ];
    choices[rng.below(choices.len() as u64) as usize]
}

/// The little-endian u64 at `at`.
fn get(file: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(file[at..at + 8].try_into().unwrap())
}

/// An address on an edge that some check compares against: a segment's start or end, an end
/// of user space, or the entry point, give or take a byte or a page.
fn edge(rng: &mut Rng, file: &[u8], phnum: u64, limits: &Limits, size: u64) -> u64 {
    let header = EHDR_SIZE + rng.below(phnum) as usize * PHDR_SIZE;
    let (vaddr, memsz) = (get(file, header + P_VADDR), get(file, header + P_MEMSZ));
    let base = match rng.below(5) {
        0 => vaddr,
        1 => vaddr.wrapping_add(memsz),
        2 => vaddr.wrapping_sub(size),
        3 => limits.end.wrapping_sub(size),
        _ => limits.lowest,
    };
    let nudge = [0, 1, u64::MAX, PAGE_SIZE, PAGE_SIZE.wrapping_neg()];
    base.wrapping_add(nudge[rng.below(nudge.len() as u64) as usize])
}

/// Applies one random mutation to `file`.
fn mutate(rng: &mut Rng, file: &mut Vec<u8>, limits: &Limits) {
    if file.is_empty() {
        return;
    }
    let len = file.len() as u64;
    // Headers that can be touched: as many as e_phnum says and the file holds.
    let in_file = file.len().saturating_sub(EHDR_SIZE) / PHDR_SIZE;
    let declared = file
        .get(E_PHNUM..E_PHNUM + 2)
        .map_or(0, |n| u16::from_le_bytes([n[0], n[1]]));
    let phnum = in_file.min(declared.into()) as u64;
    match rng.below(9) {
        0 => {
            let at = rng.below(len) as usize;
            file[at] ^= 1 << rng.below(8);
        }
        1 => {
            let at = rng.below(len.min(EHDR_SIZE as u64 + 8 * PHDR_SIZE as u64)) as usize;
            file[at] = rng.next_u64() as u8;
        }
        2 if file.len() >= EHDR_SIZE => {
            let (at, width) = HEADER_FIELDS[rng.below(HEADER_FIELDS.len() as u64) as usize];
            let near = get(file, E_ENTRY);
            put(file, at, width, interesting(rng, len, limits, near));
        }
        3 | 4 if phnum > 0 => {
            let index = rng.below(phnum) as usize;
            let (field, width) = PHDR_FIELDS[rng.below(PHDR_FIELDS.len() as u64) as usize];
            let at = EHDR_SIZE + index * PHDR_SIZE + field;
            if at + width > file.len() {
                return;
            }
            // "Near" another header's address, to provoke overlaps and page sharing.
            let other = EHDR_SIZE + rng.below(phnum) as usize * PHDR_SIZE + P_VADDR;
            let near = get(file, other);
            put(file, at, width, interesting(rng, len, limits, near));
        }
        6 if phnum > 0 => {
            // Move the entry point to an edge of some segment.
            let entry = edge(rng, file, phnum, limits, 0);
            put(file, E_ENTRY, 8, entry);
        }
        7 if phnum > 0 => {
            // Move a header next to an edge; p_align 0 or 1 half the time, so that the move is
            // not simply refused for breaking offset/address congruence.
            let header = EHDR_SIZE + rng.below(phnum) as usize * PHDR_SIZE;
            let size = get(file, header + P_MEMSZ);
            let vaddr = edge(rng, file, phnum, limits, size);
            put(file, header + P_VADDR, 8, vaddr);
            if rng.below(2) == 0 {
                put(file, header + P_ALIGN, 8, rng.below(2));
            }
        }
        5 if phnum > 1 => {
            // Copy one program header over another: duplicates, same addresses.
            let from = EHDR_SIZE + rng.below(phnum) as usize * PHDR_SIZE;
            let to = EHDR_SIZE + rng.below(phnum) as usize * PHDR_SIZE;
            if from.max(to) + PHDR_SIZE <= file.len() {
                file.copy_within(from..from + PHDR_SIZE, to);
            }
        }
        _ => {
            let cut = match rng.below(3) {
                0 => rng.below(EHDR_SIZE as u64 + 8 * PHDR_SIZE as u64 + 1),
                1 => len - 1 - rng.below(len.min(16)),
                _ => rng.below(len + 1),
            };
            file.truncate(cut as usize);
        }
    }
}

/// Checks every promise an accepted file's description makes; `Err` says which one failed.
fn check_invariants(file: &[u8], program: &Program<'_>, limits: &Limits) -> Result<(), String> {
    let file_range = file.as_ptr_range();
    let segs: Vec<_> = program.segments().collect();
    if segs.is_empty()
        || usize::from(program.phnum()) > limits.max_segments
        || program.phentsize() != 56
    {
        return Err(format!(
            "{} segments of {} headers",
            segs.len(),
            program.phnum()
        ));
    }
    let mut total = 0u64;
    for (i, s) in segs.iter().enumerate() {
        let data = s.data.as_ptr_range();
        if !s.data.is_empty() && (data.start < file_range.start || data.end > file_range.end) {
            return Err(format!("segment {i}'s data is outside the file"));
        }
        if s.memsz == 0 || s.data.len() as u64 > s.memsz {
            return Err(format!(
                "segment {i}: {} file bytes, memsz {:#x}",
                s.data.len(),
                s.memsz
            ));
        }
        match s.vaddr.checked_add(s.memsz) {
            Some(end) if s.vaddr >= limits.lowest && end <= limits.end => {}
            _ => {
                return Err(format!(
                    "segment {i} at {:#x}+{:#x} is outside user space",
                    s.vaddr, s.memsz
                ))
            }
        }
        if s.perm.write && s.perm.execute {
            return Err(format!("segment {i} is W+X"));
        }
        total += s.memsz;
        for (j, t) in segs.iter().enumerate().skip(i + 1) {
            let (a0, a1) = (s.vaddr / PAGE_SIZE, (s.vaddr + s.memsz - 1) / PAGE_SIZE);
            let (b0, b1) = (t.vaddr / PAGE_SIZE, (t.vaddr + t.memsz - 1) / PAGE_SIZE);
            if a0 <= b1 && b0 <= a1 {
                return Err(format!("segments {i} and {j} share a page"));
            }
        }
    }
    if total > limits.max_memsz {
        return Err(format!("total memsz {total:#x}"));
    }
    let entry = program.entry();
    let holders: Vec<_> = segs
        .iter()
        .filter(|s| entry >= s.vaddr && entry < s.vaddr + s.memsz)
        .collect();
    if holders.len() != 1 || !holders[0].perm.execute {
        return Err(format!(
            "entry {entry:#x} is not in exactly one executable segment"
        ));
    }
    // Loaded file bytes: `vaddr..vaddr + len` inside one segment's data.
    let in_data = |vaddr: u64, len: u64| {
        segs.iter().any(|s| {
            vaddr >= s.vaddr
                && vaddr
                    .checked_add(len)
                    .is_some_and(|e| e <= s.vaddr + s.data.len() as u64)
        })
    };
    if let Some(phdr) = program.phdr_vaddr() {
        if !in_data(phdr, u64::from(program.phnum()) * 56) {
            return Err(format!("program headers at {phdr:#x} are not loaded"));
        }
    }
    if let Some(tls) = program.tls() {
        let align_ok = tls.align <= 1 || tls.align.is_power_of_two();
        if tls.filesz > tls.memsz || tls.memsz > limits.max_memsz || !align_ok {
            return Err(format!("bad {tls:?}"));
        }
        if tls.filesz > 0 && !in_data(tls.vaddr, tls.filesz) {
            return Err(format!("TLS image {tls:?} is not loaded"));
        }
    }
    Ok(())
}

/// The variant's name, for the summary.
fn variant(e: &ElfError) -> String {
    let debug = format!("{e:?}");
    debug.split([' ', '{']).next().unwrap_or_default().into()
}

#[test]
fn mutated_files_never_panic_and_accepted_ones_keep_every_promise() {
    let seed = env_number("ELF_FUZZ_SEED", DEFAULT_SEED);
    let iterations = env_number("ELF_FUZZ_ITERATIONS", ITERATIONS);
    println!("fuzz seed {seed:#x} (set ELF_FUZZ_SEED to replay), {iterations} inputs");
    let limits = corpus::limits();
    let bases = [lld_like().build(), gnu_like().build(), tiny().build()];
    for base in &bases {
        assert!(
            parse(base, &limits).is_ok(),
            "a base file is itself refused"
        );
    }

    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    for iteration in 0..iterations {
        let mut rng = Rng::new(seed ^ iteration.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut file = bases[rng.below(bases.len() as u64) as usize].clone();
        for _ in 0..1 + rng.below(MAX_MUTATIONS) {
            mutate(&mut rng, &mut file, &limits);
        }
        let result = catch_unwind(AssertUnwindSafe(|| match parse(&file, &limits) {
            Ok(program) => check_invariants(&file, &program, &limits).map(|()| String::from("Ok")),
            Err(e) => {
                let text = format!("{e}");
                assert!(!text.is_empty());
                Ok(variant(&e))
            }
        }));
        match result {
            Ok(Ok(outcome)) => *outcomes.entry(outcome).or_default() += 1,
            Ok(Err(broken)) => {
                panic!("seed {seed:#x} iteration {iteration}: accepted, but {broken}")
            }
            Err(_) => panic!(
                "seed {seed:#x} iteration {iteration}: parse panicked on {} bytes",
                file.len()
            ),
        }
    }
    for (outcome, count) in &outcomes {
        println!("{count:>7} {outcome}");
    }
    let ok = outcomes.get("Ok").copied().unwrap_or(0);
    assert!(
        ok * 1000 >= iterations * MIN_OK_PER_MILLE,
        "only {ok} inputs were accepted"
    );
}
