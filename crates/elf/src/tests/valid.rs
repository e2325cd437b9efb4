//! Valid files parse, and what `Program` reports matches what the builder wrote.

use std::vec;

use crate::corpus::{self, gnu_like, lld_like, put_phdr, tiny, Body, Spec};
use crate::corpus::{GNU_BASE, LLD_BASE, PF_R, PF_W, PF_X, PT_LOAD};
use crate::raw::{EI_OSABI, P_ALIGN, P_OFFSET, P_VADDR};
use crate::{parse, ElfError, Limits, Perm, Segment, Tls, PAGE_SIZE};

/// Read-only.
const R: Perm = Perm {
    read: true,
    write: false,
    execute: false,
};
/// Read and execute.
const RX: Perm = Perm {
    read: true,
    write: false,
    execute: true,
};
/// Read and write.
const RW: Perm = Perm {
    read: true,
    write: true,
    execute: false,
};

/// The bytes a segment's data should be: the file at its `p_offset`.
fn file_range<'a>(file: &'a [u8], seg: &Segment<'_>) -> &'a [u8] {
    let start = seg.data.as_ptr() as usize - file.as_ptr() as usize;
    &file[start..start + seg.data.len()]
}

#[test]
fn lld_like_file_is_described_exactly() {
    let file = lld_like().build();
    let program = parse(&file, &corpus::limits()).expect("a valid file");
    let text = LLD_BASE + PAGE_SIZE;
    assert_eq!(program.entry(), text + 0x10);
    assert_eq!(program.phnum(), 5);
    assert_eq!(program.phentsize(), 56);
    assert_eq!(program.phdr_vaddr(), Some(LLD_BASE + 64), "from PT_PHDR");
    assert_eq!(program.tls(), None);

    let segs: vec::Vec<_> = program.segments().collect();
    let shape: vec::Vec<_> = segs
        .iter()
        .map(|s| (s.vaddr, s.memsz, s.data.len(), s.perm, s.align))
        .collect();
    let headers_len = 64 + 5 * 56 + 0x120;
    assert_eq!(
        shape,
        [
            (LLD_BASE, headers_len as u64, headers_len, R, PAGE_SIZE),
            (text, 0x340, 0x340, RX, PAGE_SIZE),
            (text + PAGE_SIZE, 0x2080, 0x80, RW, PAGE_SIZE),
        ]
    );
    // The first segment starts with the file itself; the others are where the builder put them.
    assert_eq!(&segs[0].data[..4], b"\x7fELF");
    assert_eq!(segs[0].data, &file[..headers_len]);
    for seg in &segs {
        assert_eq!(seg.data, file_range(&file, seg));
        assert_eq!(
            seg.vaddr % PAGE_SIZE,
            (seg.data.as_ptr() as u64 - file.as_ptr() as u64) % PAGE_SIZE
        );
    }
}

#[test]
fn gnu_like_file_finds_its_headers_without_pt_phdr_and_has_tls() {
    let file = gnu_like().build();
    let program = parse(&file, &corpus::limits()).expect("a valid file");
    assert_eq!(program.entry(), GNU_BASE + PAGE_SIZE + 0x40);
    assert_eq!(program.phnum(), 7);
    assert_eq!(
        program.phdr_vaddr(),
        Some(GNU_BASE + 64),
        "the first PT_LOAD maps offset 64"
    );
    let data = GNU_BASE + 3 * PAGE_SIZE + 0xe10;
    assert_eq!(
        program.tls(),
        Some(Tls {
            vaddr: data,
            filesz: 0x18,
            memsz: 0x48,
            align: 8
        })
    );
    let perms: vec::Vec<_> = program.segments().map(|s| (s.vaddr, s.perm)).collect();
    assert_eq!(
        perms,
        [
            (GNU_BASE, R),
            (GNU_BASE + PAGE_SIZE, RX),
            (GNU_BASE + 2 * PAGE_SIZE, R),
            (data, RW)
        ]
    );
    let last = program.segments().last().unwrap();
    assert_eq!((last.memsz, last.data.len()), (0x1900, 0x100));
    assert_eq!(last.data, file_range(&file, &last));
}

#[test]
fn headers_that_no_segment_loads_have_no_address() {
    let file = tiny().build();
    let program = parse(&file, &corpus::limits()).unwrap();
    assert_eq!(program.phdr_vaddr(), None);
    assert_eq!(program.segments().count(), 1);
}

/// A one-segment file with text of `len` bytes at `vaddr`, entry at `entry`.
fn one_segment(vaddr: u64, len: usize, entry: u64) -> vec::Vec<u8> {
    let mut b = tiny();
    b.specs[0] = Spec::load(PF_R | PF_X, vaddr, vec![0xcc; len], 0);
    b.entry = entry;
    b.build()
}

#[test]
fn boundaries_are_inclusive_where_they_should_be() {
    let limits = corpus::limits();
    // Starting exactly at `lowest`, ending exactly at `end`, entry on the first and last byte.
    for (vaddr, entry) in [
        (limits.lowest, limits.lowest),
        (limits.end - PAGE_SIZE, limits.end - 1),
    ] {
        let file = one_segment(vaddr, PAGE_SIZE as usize, entry);
        let program = parse(&file, &limits).unwrap_or_else(|e| panic!("{vaddr:#x}: {e}"));
        assert_eq!(program.segments().next().unwrap().vaddr, vaddr);
    }
    // One byte lower, one byte further, one past the last byte: refused.
    let file = one_segment(limits.lowest - PAGE_SIZE, PAGE_SIZE as usize, limits.lowest);
    assert!(matches!(
        parse(&file, &limits),
        Err(ElfError::BelowLowest { .. })
    ));
    let file = one_segment(
        limits.end - PAGE_SIZE,
        PAGE_SIZE as usize + 1,
        limits.end - 1,
    );
    assert!(matches!(
        parse(&file, &limits),
        Err(ElfError::PastUserEnd { .. })
    ));
    let file = one_segment(limits.lowest, 0x10, limits.lowest + 0x10);
    assert!(matches!(
        parse(&file, &limits),
        Err(ElfError::EntryNotLoaded { .. })
    ));

    // Exactly max_segments headers and exactly max_memsz bytes are allowed; one more is not.
    let file = lld_like().build();
    let total: u64 = parse(&file, &limits)
        .unwrap()
        .segments()
        .map(|s| s.memsz)
        .sum();
    let tight = Limits {
        max_segments: 5,
        max_memsz: total,
        ..limits
    };
    assert!(parse(&file, &tight).is_ok());
    let fewer = Limits {
        max_segments: 4,
        ..tight
    };
    assert!(matches!(
        parse(&file, &fewer),
        Err(ElfError::TooManyProgramHeaders { count: 5, max: 4 })
    ));
    let smaller = Limits {
        max_memsz: total - 1,
        ..tight
    };
    assert!(matches!(
        parse(&file, &smaller),
        Err(ElfError::HugeMemsz { .. })
    ));
}

#[test]
fn segments_may_meet_at_a_page_boundary() {
    let mut b = lld_like();
    let text = LLD_BASE + PAGE_SIZE;
    b.specs[2] = Spec::load(PF_R | PF_X, text, vec![0x90; PAGE_SIZE as usize], 0);
    let file = b.build();
    assert!(parse(&file, &corpus::limits()).is_ok());
}

#[test]
fn lenient_where_real_linkers_need_it() {
    let limits = corpus::limits();
    // GNU ld writes EI_OSABI 3 when the file uses GNU extensions.
    let mut file = lld_like().build();
    file[EI_OSABI] = 3;
    assert!(parse(&file, &limits).is_ok());
    // p_align 0 and 1 both mean "no constraint", even with unrelated offset and address.
    for align in [0, 1] {
        let mut file = lld_like().build();
        put_phdr(&mut file, 3, P_ALIGN, 8, align);
        put_phdr(&mut file, 3, P_VADDR, 8, LLD_BASE + 2 * PAGE_SIZE + 0x123);
        assert!(parse(&file, &limits).is_ok(), "align {align}");
    }
    // A bss-only segment whose p_offset is past the end of the file reads nothing.
    let mut b = lld_like();
    b.specs.push(Spec {
        body: Body::Empty,
        ..Spec::load(PF_R | PF_W, 0x1000_0000, vec![], 0x1000)
    });
    let mut file = b.build();
    put_phdr(&mut file, 5, P_OFFSET, 8, 1 << 40);
    put_phdr(&mut file, 5, P_ALIGN, 8, 0);
    let program = parse(&file, &limits).unwrap();
    let bss = program.segments().last().unwrap();
    assert_eq!(
        (bss.vaddr, bss.memsz, bss.data),
        (0x1000_0000, 0x1000, &[][..])
    );
}

#[test]
fn empty_segments_are_checked_then_left_out() {
    let mut b = lld_like();
    // Inside the text page: an empty segment there shares nothing and holds nothing.
    b.specs.push(Spec {
        zeroed: 0,
        ..Spec::load(PF_R, LLD_BASE + PAGE_SIZE + 8, vec![], 0)
    });
    let file = b.build();
    let program = parse(&file, &corpus::limits()).unwrap();
    assert_eq!(program.segments().count(), 3);
    assert!(program.segments().all(|s| s.memsz > 0));
    assert_eq!(program.phnum(), 6);
    assert_eq!(b.specs.iter().filter(|s| s.p_type == PT_LOAD).count(), 4);
}

#[test]
fn messages_name_the_values() {
    let e = ElfError::FileRangePastEnd {
        index: 2,
        start: 0x1000,
        end: 0x3000,
        file_len: 0x2800,
    };
    assert_eq!(
        std::format!("{e}"),
        "segment 2: file bytes 0x1000..0x3000 run past the end of the 0x2800-byte file"
    );
    let e = ElfError::PositionIndependent;
    assert!(std::format!("{e}").contains("-static / -no-pie"));
}
