//! The floating-point and SSE registers: turned on at boot, and saved and restored per thread.
//!
//! The kernel itself never touches them: its target is built soft-float, without SSE, so that an
//! interrupt handler can never clobber a program's XMM registers. User programs are another
//! matter: a C program built by an ordinary compiler uses SSE for copying structures and for
//! floating point whether it asks or not (musl's `printf` does). Two things follow.
//!
//! * The CPU must be told that the operating system handles the SSE state (CR4.OSFXSR), or every
//!   SSE instruction raises #UD; and that SIMD floating-point errors are to be reported as #XM
//!   (CR4.OSXMMEXCPT). CR0.EM must be clear (no x87 emulation) and CR0.MP set (SDM Vol. 3A
//!   §13.1.3). [`enable`] does all of that at boot.
//! * Each thread's x87/SSE registers are part of its state, like its general registers. The
//!   scheduler saves them into the thread's [`FpuState`] with `fxsave64` when it switches away
//!   and loads the next thread's with `fxrstor64` (512 bytes each way). A kernel could do this
//!   lazily (trap the first use after a switch with CR0.TS); doing it on every switch is simpler,
//!   and under `-icount` costs two instructions.

use core::sync::atomic::{AtomicU32, Ordering};
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};

/// Bytes of the `fxsave` area.
pub const FXSAVE_BYTES: usize = 512;
/// Offset of the x87 control word in the area.
const FCW_OFFSET: usize = 0;
/// The x87 control word after `fninit`: every exception masked, 64-bit precision, round to
/// nearest.
const FCW_DEFAULT: u16 = 0x037F;
/// Offset of MXCSR, the SSE control and status register, in the area.
const MXCSR_OFFSET: usize = 24;
/// MXCSR at reset: every SIMD exception masked, round to nearest.
const MXCSR_DEFAULT: u32 = 0x1F80;

/// Offset of MXCSR_MASK in the area: the MXCSR bits this CPU lets software set.
const MXCSR_MASK_OFFSET: usize = 28;
/// The mask to assume when the CPU reports 0 there (SDM Vol. 1 §11.6.6: older CPUs).
const MXCSR_MASK_DEFAULT: u32 = 0xFFBF;
/// This CPU's MXCSR mask, read once by [`enable`].
static MXCSR_MASK: AtomicU32 = AtomicU32::new(MXCSR_MASK_DEFAULT);

/// One thread's x87 and SSE registers, as `fxsave64` writes them (SDM Vol. 1 §10.5.1).
#[repr(C, align(16))]
#[derive(Clone)]
pub struct FpuState([u8; FXSAVE_BYTES]);

impl FpuState {
    /// An all-zero area, for statics (it lands in `.bss`, not in the image); not a valid state
    /// to load until [`FpuState::initial`] or [`FpuState::save`] has filled it.
    pub const fn zeroed() -> FpuState {
        FpuState([0; FXSAVE_BYTES])
    }

    /// The state a new thread starts with: all registers zero, the control registers at their
    /// reset values.
    pub const fn initial() -> FpuState {
        let mut bytes = [0u8; FXSAVE_BYTES];
        let fcw = FCW_DEFAULT.to_le_bytes();
        bytes[FCW_OFFSET] = fcw[0];
        bytes[FCW_OFFSET + 1] = fcw[1];
        let mxcsr = MXCSR_DEFAULT.to_le_bytes();
        let mut i = 0;
        while i < mxcsr.len() {
            bytes[MXCSR_OFFSET + i] = mxcsr[i];
            i += 1;
        }
        FpuState(bytes)
    }

    /// The area as bytes: the layout a signal frame carries (`struct _fpstate_64`).
    pub fn bytes(&self) -> &[u8; FXSAVE_BYTES] {
        &self.0
    }

    /// The area as bytes, to fill from a signal frame (then [`FpuState::sanitize`] it).
    pub fn bytes_mut(&mut self) -> &mut [u8; FXSAVE_BYTES] {
        &mut self.0
    }

    /// Makes an area a program handed over (`rt_sigreturn`) safe to load: MXCSR bits this CPU
    /// does not allow are cleared, since `fxrstor64` would fault on them in the kernel.
    pub fn sanitize(&mut self) {
        let at = MXCSR_OFFSET..MXCSR_OFFSET + 4;
        let mut mxcsr = [0u8; 4];
        mxcsr.copy_from_slice(&self.0[at.clone()]);
        let allowed = MXCSR_MASK.load(Ordering::Relaxed);
        let clean = u32::from_le_bytes(mxcsr) & allowed;
        self.0[at].copy_from_slice(&clean.to_le_bytes());
    }

    /// Loads the state a new thread starts with (as [`FpuState::initial`]) into this CPU's
    /// registers, from a copy made once, at compile time.
    pub fn reset() {
        INITIAL.restore();
    }

    /// Saves this CPU's x87/SSE registers here.
    pub fn save(&mut self) {
        // SAFETY: `fxsave64` writes exactly 512 bytes at a 16-byte aligned address: `self` is
        // both (the type's size and alignment). SSE is on (`enable` ran at boot).
        unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) self.0.as_mut_ptr(), options(nostack)) };
    }

    /// Loads this CPU's x87/SSE registers from here.
    pub fn restore(&self) {
        // SAFETY: as in `save`; the area was written by `fxsave64` or is `initial()`, whose
        // MXCSR has no reserved bit set (a set one would make `fxrstor64` fault).
        unsafe { core::arch::asm!("fxrstor64 [{}]", in(reg) self.0.as_ptr(), options(nostack)) };
    }
}

/// The initial state, kept so that [`FpuState::reset`] loads it without building it.
static INITIAL: FpuState = FpuState::initial();

/// Turns on the x87 FPU and SSE for user programs (see the module notes). Call once at boot.
pub fn enable() {
    // SAFETY: clearing EM and setting MP only changes how x87/SSE instructions behave, which the
    // kernel never executes; the flags are architectural on every x86_64 CPU.
    unsafe {
        Cr0::update(|cr0| {
            cr0.remove(Cr0Flags::EMULATE_COPROCESSOR);
            cr0.insert(Cr0Flags::MONITOR_COPROCESSOR);
        });
        Cr4::update(|cr4| cr4.insert(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE));
    }
    FpuState::initial().restore();
    let mut probe = FpuState::zeroed();
    probe.save();
    let mut mask = [0u8; 4];
    mask.copy_from_slice(&probe.0[MXCSR_MASK_OFFSET..MXCSR_MASK_OFFSET + 4]);
    let mask = u32::from_le_bytes(mask);
    if mask != 0 {
        MXCSR_MASK.store(mask, Ordering::Relaxed);
    }
}
