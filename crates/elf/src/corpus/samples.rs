//! Three valid files in the shapes real linkers produce, for the tests to start from.
//!
//! rust-lld and GNU ld lay out a static executable differently, and the differences matter to
//! the parser: lld writes PT_PHDR and starts every segment on a page boundary, while GNU ld
//! writes no PT_PHDR (so the table's address must be found through the segment that loads it),
//! starts the data segment mid-page, and puts the TLS image inside it. `tiny` does not load its
//! headers at all.

use alloc::vec;
use alloc::vec::Vec;

use super::builder::{Body, Builder, Spec};
use crate::raw::{EHDR_SIZE, ET_EXEC, PF_R, PF_W, PF_X, PT_GNU_STACK, PT_NOTE, PT_PHDR, PT_TLS};
use crate::PAGE_SIZE;

/// Address of [`lld_like`]'s first segment, rust-lld's default image base.
pub const LLD_BASE: u64 = 0x20_0000;
/// Address of [`gnu_like`]'s first segment, GNU ld's default for x86-64.
pub const GNU_BASE: u64 = 0x40_0000;
/// Index of [`lld_like`]'s R+X text segment.
pub const LLD_TEXT: usize = 2;
/// Index of [`lld_like`]'s R+W data segment.
pub const LLD_DATA: usize = 3;
/// Index of [`gnu_like`]'s R+W data segment.
pub const GNU_DATA: usize = 3;
/// Index of [`gnu_like`]'s PT_TLS header.
pub const GNU_TLS: usize = 5;

/// Recognisable filler for segment contents, different for each `seed`.
fn filler(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Shaped like rust-lld's static output: PT_PHDR; R headers and rodata at [`LLD_BASE`]; R+X
/// text on the next page; R+W data and bss on the page after; PT_GNU_STACK.
pub fn lld_like() -> Builder {
    let text = LLD_BASE + PAGE_SIZE;
    Builder {
        entry: text + 0x10,
        e_type: ET_EXEC,
        specs: vec![
            Spec::other(PT_PHDR, PF_R, LLD_BASE + EHDR_SIZE as u64, Body::Table),
            Spec {
                body: Body::Headers(filler(0x120, 1)),
                ..Spec::load(PF_R, LLD_BASE, vec![], 0)
            },
            Spec::load(PF_R | PF_X, text, filler(0x340, 2), 0),
            Spec::load(PF_R | PF_W, text + PAGE_SIZE, filler(0x80, 3), 0x2000),
            Spec::other(PT_GNU_STACK, PF_R | PF_W, 0, Body::Empty),
        ],
    }
}

/// Shaped like GNU ld's `-static` output (musl or glibc): R headers and notes at [`GNU_BASE`]
/// (no PT_PHDR); R+X text; R rodata; R+W data starting mid-page, holding the TLS image.
pub fn gnu_like() -> Builder {
    let data = GNU_BASE + 3 * PAGE_SIZE + 0xe10;
    let note = Body::Inside {
        spec: 0,
        skip: 0x1a0,
        filesz: 0x20,
    };
    let tls_image = Body::Inside {
        spec: GNU_DATA,
        skip: 0,
        filesz: 0x18,
    };
    Builder {
        entry: GNU_BASE + PAGE_SIZE + 0x40,
        e_type: ET_EXEC,
        specs: vec![
            Spec {
                body: Body::Headers(filler(0x60, 4)),
                ..Spec::load(PF_R, GNU_BASE, vec![], 0)
            },
            Spec::load(PF_R | PF_X, GNU_BASE + PAGE_SIZE, filler(0x500, 5), 0),
            Spec::load(PF_R, GNU_BASE + 2 * PAGE_SIZE, filler(0x200, 6), 0),
            Spec::load(PF_R | PF_W, data, filler(0x100, 7), 0x1800),
            Spec::other(PT_NOTE, PF_R, GNU_BASE + 0x1a0, note),
            Spec {
                zeroed: 0x30,
                ..Spec::other(PT_TLS, PF_R, data, tls_image)
            },
            Spec::other(PT_GNU_STACK, PF_R | PF_W, 0, Body::Empty),
        ],
    }
}

/// The smallest useful file: one R+X segment whose bytes come after the headers, which are
/// therefore not loaded ([`Program::phdr_vaddr`](crate::Program::phdr_vaddr) is `None`).
pub fn tiny() -> Builder {
    let text = GNU_BASE + PAGE_SIZE;
    Builder {
        entry: text,
        e_type: ET_EXEC,
        specs: vec![Spec::load(PF_R | PF_X, text, filler(0x40, 8), 0)],
    }
}
