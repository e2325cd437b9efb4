//! Hand-made ELF files, good and bad: a builder, valid samples, and the malformed corpus.
//!
//! The parser's tests need files that are valid except for one thing, so that each refusal is
//! shown to happen for exactly the reason claimed. [`Builder`] writes a correct file from a list
//! of program headers; [`lld_like`], [`gnu_like`] and [`tiny`] describe valid programs; each
//! malformed case then changes one thing, in the description before building or in a few bytes
//! after.
//!
//! [`cases`] is the malformed corpus. Every case is refused by [`parse`](crate::parse) under
//! [`limits`], and the bad values are far enough out that any sensible kernel limits refuse
//! them too (the exceptions: `too-many-headers` has 255 headers and `huge-total` needs 15 GiB).
//! `examples/write_corpus.rs` writes the files out so the kernel's exec can be tested on them.
//! Built for the crate's own tests, and for others with the `corpus` feature (it allocates).
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support, not the parser: a panic here is a failed test on a known input"
)]

mod builder;
mod samples;

use alloc::vec;
use alloc::vec::Vec;

pub use self::builder::{put, put_phdr, Body, Builder, Spec};
pub use self::samples::{gnu_like, lld_like, tiny};
pub use self::samples::{GNU_BASE, GNU_DATA, GNU_TLS, LLD_BASE, LLD_DATA, LLD_TEXT};
pub use crate::raw::{ET_CORE, ET_DYN, ET_REL, PF_R, PF_W, PF_X};
pub use crate::raw::{
    PT_DYNAMIC, PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_NOTE, PT_NULL, PT_PHDR, PT_TLS,
};

use crate::raw::{EHDR_SIZE, EI_CLASS, EI_DATA, EI_OSABI, EI_VERSION, MAGIC, PHDR_SIZE};
use crate::raw::{E_EHSIZE, E_ENTRY, E_MACHINE, E_PHENTSIZE, E_PHNUM, E_PHOFF, E_TYPE, E_VERSION};
use crate::raw::{P_ALIGN, P_FLAGS, P_MEMSZ, P_OFFSET, P_TYPE, P_VADDR};
use crate::{ElfError, Limits, PAGE_SIZE};

/// [`limits`]'s lowest user address: 64 KiB, like Linux's default `vm.mmap_min_addr`.
pub const LOWEST: u64 = 0x1_0000;
/// [`limits`]'s end of user space: the top of the lower canonical half with 4-level paging.
pub const USER_END: u64 = 0x0000_8000_0000_0000;
/// Start of the kernel half: the first canonical address above the non-canonical hole.
pub const KERNEL_HALF: u64 = 0xffff_8000_0000_0000;
/// [`limits`]'s program header limit.
pub const MAX_SEGMENTS: usize = 16;
/// [`limits`]'s memory limit: 64 MiB.
pub const MAX_MEMSZ: u64 = 64 << 20;

/// The limits every corpus case is checked under.
pub fn limits() -> Limits {
    Limits {
        lowest: LOWEST,
        end: USER_END,
        max_segments: MAX_SEGMENTS,
        max_memsz: MAX_MEMSZ,
    }
}

/// A malformed file and the refusal it must get.
pub struct Case {
    /// A short name, usable as a file name.
    pub name: &'static str,
    /// The file.
    pub bytes: Vec<u8>,
    /// Whether an error is the one this case is about.
    pub expect: fn(&ElfError) -> bool,
}

/// Shorthand for building a [`Case`].
fn case(name: &'static str, bytes: Vec<u8>, expect: fn(&ElfError) -> bool) -> Case {
    Case {
        name,
        bytes,
        expect,
    }
}

/// [`lld_like`] with `size` bytes at `at` overwritten.
fn lld_with(at: usize, size: usize, value: u64) -> Vec<u8> {
    let mut file = lld_like().build();
    put(&mut file, at, size, value);
    file
}

/// [`lld_like`] with one field of program header `index` overwritten.
fn lld_phdr(index: usize, field: usize, size: usize, value: u64) -> Vec<u8> {
    let mut file = lld_like().build();
    put_phdr(&mut file, index, field, size, value);
    file
}

/// [`lld_like`] after `change` edits its description.
fn lld_changed(change: impl FnOnce(&mut Builder)) -> Vec<u8> {
    let mut b = lld_like();
    change(&mut b);
    b.build()
}

/// The malformed corpus: each file is refused under [`limits`] for the reason `expect` names.
pub fn cases() -> Vec<Case> {
    use ElfError::*;
    let good = lld_like().build();
    let gnu_tls = |field: usize, value: u64| {
        let mut file = gnu_like().build();
        put_phdr(&mut file, GNU_TLS, field, 8, value);
        file
    };
    vec![
        case("empty-file", vec![], |e| matches!(e, TooShort { len: 0 })),
        case("shell-script", b"#!/bin/sh\necho hi\n".to_vec(), |e| {
            matches!(
                e,
                BadMagic {
                    found: [b'#', b'!', b'/', b'b']
                }
            )
        }),
        case("magic-only", MAGIC.to_vec(), |e| {
            matches!(e, TooShort { len: 4 })
        }),
        case("header-63-bytes", good[..63].to_vec(), |e| {
            matches!(e, TooShort { len: 63 })
        }),
        case(
            "bad-magic",
            lld_with(0, 4, u32::from_le_bytes(*b"MZ\x90\0").into()),
            |e| matches!(e, BadMagic { .. }),
        ),
        case("class-32", lld_with(EI_CLASS, 1, 1), |e| {
            matches!(e, NotElf64 { class: 1 })
        }),
        case("class-none", lld_with(EI_CLASS, 1, 0), |e| {
            matches!(e, NotElf64 { class: 0 })
        }),
        case("big-endian", lld_with(EI_DATA, 1, 2), |e| {
            matches!(e, NotLittleEndian { data: 2 })
        }),
        case("ident-version-0", lld_with(EI_VERSION, 1, 0), |e| {
            matches!(e, BadIdentVersion { version: 0 })
        }),
        case("e-version-2", lld_with(E_VERSION, 4, 2), |e| {
            matches!(e, BadVersion { version: 2 })
        }),
        case("osabi-freebsd", lld_with(EI_OSABI, 1, 9), |e| {
            matches!(e, UnsupportedOsAbi { abi: 9 })
        }),
        case("type-dyn-pie", lld_with(E_TYPE, 2, ET_DYN.into()), |e| {
            matches!(e, PositionIndependent)
        }),
        case("type-rel", lld_with(E_TYPE, 2, ET_REL.into()), |e| {
            matches!(e, NotExecutable { e_type: 1 })
        }),
        case("type-core", lld_with(E_TYPE, 2, ET_CORE.into()), |e| {
            matches!(e, NotExecutable { e_type: 4 })
        }),
        case("machine-aarch64", lld_with(E_MACHINE, 2, 183), |e| {
            matches!(e, WrongMachine { machine: 183 })
        }),
        case("machine-i386", lld_with(E_MACHINE, 2, 3), |e| {
            matches!(e, WrongMachine { machine: 3 })
        }),
        case("ehsize-52", lld_with(E_EHSIZE, 2, 52), |e| {
            matches!(e, BadHeaderSize { ehsize: 52 })
        }),
        case("phentsize-32", lld_with(E_PHENTSIZE, 2, 32), |e| {
            matches!(e, BadProgramHeaderSize { phentsize: 32 })
        }),
        case("phnum-0", lld_with(E_PHNUM, 2, 0), |e| {
            matches!(e, NoProgramHeaders)
        }),
        case("phnum-xnum", lld_with(E_PHNUM, 2, 0xffff), |e| {
            matches!(e, ExtendedProgramHeaderCount)
        }),
        case(
            "too-many-headers",
            lld_changed(|b| {
                b.specs
                    .extend((0..250).map(|_| Spec::other(PT_NULL, 0, 0, Body::Empty)))
            }),
            |e| matches!(e, TooManyProgramHeaders { count: 255, .. }),
        ),
        case(
            "phdrs-past-end",
            lld_with(E_PHOFF, 8, good.len() as u64 - 100),
            |e| matches!(e, ProgramHeadersOutsideFile { .. }),
        ),
        case("phoff-overflow", lld_with(E_PHOFF, 8, u64::MAX - 8), |e| {
            matches!(e, ProgramHeadersOutsideFile { .. })
        }),
        case(
            "phdrs-in-truncated-file",
            good[..EHDR_SIZE + 2 * PHDR_SIZE].to_vec(),
            |e| matches!(e, ProgramHeadersOutsideFile { .. }),
        ),
        case("interp", lld_phdr(4, P_TYPE, 4, PT_INTERP.into()), |e| {
            matches!(e, Interpreter { index: 4 })
        }),
        case("dynamic", lld_phdr(4, P_TYPE, 4, PT_DYNAMIC.into()), |e| {
            matches!(e, Dynamic { index: 4 })
        }),
        case(
            "two-phdr-headers",
            lld_phdr(4, P_TYPE, 4, PT_PHDR.into()),
            |e| matches!(e, Duplicate { index: 4, .. }),
        ),
        case(
            "filesz-over-memsz",
            lld_phdr(LLD_TEXT, P_MEMSZ, 8, 0x100),
            |e| {
                matches!(
                    e,
                    FileszExceedsMemsz {
                        index: LLD_TEXT,
                        ..
                    }
                )
            },
        ),
        case(
            "file-range-overflow",
            lld_phdr(LLD_TEXT, P_OFFSET, 8, u64::MAX - 0xff),
            |e| {
                matches!(
                    e,
                    FileRangeOverflow {
                        index: LLD_TEXT,
                        ..
                    }
                )
            },
        ),
        case("segment-past-eof", good[..good.len() - 1].to_vec(), |e| {
            matches!(
                e,
                FileRangePastEnd {
                    index: LLD_DATA,
                    ..
                }
            )
        }),
        case(
            "offset-past-eof",
            lld_phdr(LLD_TEXT, P_OFFSET, 8, 0x10_0000),
            |e| {
                matches!(
                    e,
                    FileRangePastEnd {
                        index: LLD_TEXT,
                        ..
                    }
                )
            },
        ),
        case(
            "vaddr-memsz-overflow",
            lld_changed(|b| b.specs[LLD_DATA].vaddr = u64::MAX - 0xfff),
            |e| {
                matches!(
                    e,
                    AddressOverflow {
                        index: LLD_DATA,
                        ..
                    }
                )
            },
        ),
        case(
            "kernel-half",
            lld_changed(|b| b.specs[LLD_DATA].vaddr = KERNEL_HALF),
            |e| {
                matches!(
                    e,
                    PastUserEnd {
                        index: LLD_DATA,
                        ..
                    }
                )
            },
        ),
        case(
            "straddles-user-end",
            lld_changed(|b| b.specs[LLD_DATA].vaddr = USER_END - PAGE_SIZE),
            |e| {
                matches!(
                    e,
                    PastUserEnd {
                        index: LLD_DATA,
                        ..
                    }
                )
            },
        ),
        case(
            "vaddr-0",
            lld_changed(|b| b.specs[LLD_DATA].vaddr = 0),
            |e| {
                matches!(
                    e,
                    BelowLowest {
                        index: LLD_DATA,
                        vaddr: 0,
                        ..
                    }
                )
            },
        ),
        case(
            "vaddr-page-1",
            lld_changed(|b| b.specs[LLD_DATA].vaddr = PAGE_SIZE),
            |e| {
                matches!(
                    e,
                    BelowLowest {
                        index: LLD_DATA,
                        ..
                    }
                )
            },
        ),
        case(
            "empty-segment-at-0",
            lld_changed(|b| {
                b.specs.push(Spec {
                    zeroed: 0,
                    ..Spec::load(PF_R, 0, vec![], 0)
                })
            }),
            |e| matches!(e, BelowLowest { index: 5, .. }),
        ),
        case("align-3", lld_phdr(LLD_TEXT, P_ALIGN, 8, 3), |e| {
            matches!(
                e,
                BadAlign {
                    index: LLD_TEXT,
                    align: 3
                }
            )
        }),
        case("align-max", lld_phdr(LLD_TEXT, P_ALIGN, 8, u64::MAX), |e| {
            matches!(
                e,
                BadAlign {
                    index: LLD_TEXT,
                    ..
                }
            )
        }),
        case(
            "offset-vaddr-misaligned",
            lld_phdr(LLD_TEXT, P_VADDR, 8, LLD_BASE + PAGE_SIZE + 8),
            |e| {
                matches!(
                    e,
                    MisalignedOffset {
                        index: LLD_TEXT,
                        ..
                    }
                )
            },
        ),
        case(
            "writable-text",
            lld_phdr(LLD_TEXT, P_FLAGS, 4, (PF_R | PF_W | PF_X).into()),
            |e| {
                matches!(
                    e,
                    WritableAndExecutable {
                        index: LLD_TEXT,
                        ..
                    }
                )
            },
        ),
        case(
            "write-execute-only",
            lld_phdr(LLD_DATA, P_FLAGS, 4, (PF_W | PF_X).into()),
            |e| {
                matches!(
                    e,
                    WritableAndExecutable {
                        index: LLD_DATA,
                        ..
                    }
                )
            },
        ),
        case(
            "no-load-segments",
            lld_changed(|b| b.specs.retain(|s| s.p_type != PT_LOAD)),
            |e| matches!(e, NoLoadSegments),
        ),
        case(
            "huge-bss",
            lld_changed(|b| b.specs[LLD_DATA].zeroed = 1 << 40),
            |e| matches!(e, HugeMemsz { .. }),
        ),
        case(
            "huge-total",
            lld_changed(|b| {
                // Four 3.75 GiB segments, 4 GiB apart: each fits in user space, together 15 GiB.
                for i in 1..=4u64 {
                    b.specs.push(Spec::load(PF_R, i << 32, vec![], 0xf000_0000));
                }
            }),
            |e| matches!(e, HugeMemsz { .. }),
        ),
        case(
            "overlapping-segments",
            lld_changed(|b| b.specs[LLD_DATA].vaddr = LLD_BASE + PAGE_SIZE + 0x100),
            |e| {
                matches!(
                    e,
                    SharedPage {
                        first: LLD_TEXT,
                        second: LLD_DATA,
                        ..
                    }
                )
            },
        ),
        case(
            "page-sharing-segments",
            lld_changed(|b| b.specs[LLD_DATA].vaddr = LLD_BASE + PAGE_SIZE + 0x800),
            |e| {
                matches!(
                    e,
                    SharedPage {
                        first: LLD_TEXT,
                        second: LLD_DATA,
                        ..
                    }
                )
            },
        ),
        case(
            "bss-reaches-next-segment",
            lld_changed(|b| b.specs[LLD_TEXT].zeroed = PAGE_SIZE),
            |e| {
                matches!(
                    e,
                    SharedPage {
                        first: LLD_TEXT,
                        second: LLD_DATA,
                        ..
                    }
                )
            },
        ),
        case("entry-0", lld_with(E_ENTRY, 8, 0), |e| {
            matches!(e, EntryNotLoaded { entry: 0 })
        }),
        case(
            "entry-one-past-text",
            lld_with(E_ENTRY, 8, LLD_BASE + PAGE_SIZE + 0x340),
            |e| matches!(e, EntryNotLoaded { .. }),
        ),
        case(
            "entry-kernel-half",
            lld_with(E_ENTRY, 8, KERNEL_HALF),
            |e| matches!(e, EntryNotLoaded { .. }),
        ),
        case(
            "entry-in-rodata",
            lld_with(E_ENTRY, 8, LLD_BASE + 0x40),
            |e| matches!(e, EntryNotExecutable { index: 1, .. }),
        ),
        case(
            "entry-in-bss",
            lld_with(E_ENTRY, 8, LLD_BASE + 2 * PAGE_SIZE + 0x1000),
            |e| {
                matches!(
                    e,
                    EntryNotExecutable {
                        index: LLD_DATA,
                        ..
                    }
                )
            },
        ),
        case(
            "phdr-not-loaded",
            lld_phdr(0, P_VADDR, 8, 0x1000_0000),
            |e| matches!(e, PhdrNotLoaded { index: 0, .. }),
        ),
        case(
            "phdr-in-bss",
            lld_phdr(0, P_VADDR, 8, LLD_BASE + 2 * PAGE_SIZE + 0x100),
            |e| matches!(e, PhdrNotLoaded { index: 0, .. }),
        ),
        case("tls-filesz-over-memsz", gnu_tls(P_MEMSZ, 0x10), |e| {
            matches!(e, TlsFileszExceedsMemsz { index: GNU_TLS, .. })
        }),
        case("tls-align-24", gnu_tls(P_ALIGN, 24), |e| {
            matches!(
                e,
                TlsBadAlign {
                    index: GNU_TLS,
                    align: 24
                }
            )
        }),
        case("tls-huge", gnu_tls(P_MEMSZ, u64::MAX), |e| {
            matches!(e, TlsTooLarge { index: GNU_TLS, .. })
        }),
        case(
            "tls-image-not-loaded",
            gnu_tls(P_VADDR, GNU_BASE + 3 * PAGE_SIZE + 0x100),
            |e| matches!(e, TlsNotLoaded { index: GNU_TLS, .. }),
        ),
        case(
            "two-tls-headers",
            {
                let mut b = gnu_like();
                b.specs.push(b.specs[GNU_TLS].clone());
                b.build()
            },
            |e| matches!(e, Duplicate { index: 7, .. }),
        ),
    ]
}
