//! `ferrite-boot`: turns a kernel ELF file into bootable BIOS and UEFI disk images.
//!
//! The kernel is an ordinary ELF executable; no firmware can start it as it is. The `bootloader`
//! crate supplies the missing pieces, already compiled by its build script: a 512-byte boot
//! sector and three further stages for BIOS machines, and a UEFI application for UEFI ones. This
//! program asks it to pack those and the kernel into disk images:
//!
//! * **BIOS**: an MBR-partitioned image. The boot sector in the MBR loads stage 2 from its own
//!   partition; the stages switch the CPU from 16-bit real mode through 32-bit protected mode to
//!   64-bit long mode, set up page tables, and load the kernel from a FAT partition.
//! * **UEFI**: a GPT-partitioned image with one FAT partition, the EFI system partition, holding
//!   the loader at `efi\boot\bootx64.efi`, the path firmware boots when it has no other entry.
//!
//! Both images carry the kernel as a file named `kernel-x86_64` in the FAT partition. The
//! Python tools call this program (`./x.py image`); it is a Rust program only because the image
//! builder is a Rust library.
//!
//! With `--ramdisk FILE`, both images also carry FILE (the user programs, packed by the Python
//! tools as a cpio archive) as the file `ramdisk`; the bootloader loads it into memory next to
//! the kernel and tells the kernel where (`BootInfo::ramdisk_addr`).
//!
//! Usage: `ferrite-boot KERNEL [--bios OUT] [--uefi OUT] [--ramdisk FILE]`. Exit status 0 on success, 1 when an
//! image could not be written, 2 for a usage error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    kernel: PathBuf,
    bios: Option<PathBuf>,
    uefi: Option<PathBuf>,
    ramdisk: Option<PathBuf>,
}

/// Why the command line could not be understood.
#[derive(Debug, PartialEq, Eq)]
enum UsageError {
    /// No kernel path was given.
    MissingKernel,
    /// An option that needs a path came last.
    MissingValue(String),
    /// An argument this program does not know.
    Unknown(String),
    /// Neither `--bios` nor `--uefi` was given, so there is nothing to do.
    NothingToDo,
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsageError::MissingKernel => write!(f, "no kernel ELF file given"),
            UsageError::MissingValue(option) => write!(f, "{option} needs a path"),
            UsageError::Unknown(arg) => write!(f, "unknown argument {arg:?}"),
            UsageError::NothingToDo => write!(f, "give --bios OUT, --uefi OUT or both"),
        }
    }
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Request, UsageError> {
    let mut kernel = None;
    let (mut bios, mut uefi, mut ramdisk) = (None, None, None);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let slot = match arg.as_str() {
            "--bios" => &mut bios,
            "--uefi" => &mut uefi,
            "--ramdisk" => &mut ramdisk,
            other if other.starts_with('-') => return Err(UsageError::Unknown(arg)),
            _ if kernel.is_none() => {
                kernel = Some(PathBuf::from(arg));
                continue;
            }
            _ => return Err(UsageError::Unknown(arg)),
        };
        let value = args.next().ok_or(UsageError::MissingValue(arg))?;
        *slot = Some(PathBuf::from(value));
    }
    let kernel = kernel.ok_or(UsageError::MissingKernel)?;
    if bios.is_none() && uefi.is_none() {
        return Err(UsageError::NothingToDo);
    }
    Ok(Request {
        kernel,
        bios,
        uefi,
        ramdisk,
    })
}

/// What the bootloader is told at boot (a `boot.json` in the image): warnings and errors only,
/// and on the serial port only. By default it logs every step at `Trace` level to the screen as
/// well, and drawing that text glyph by glyph into a 1280x720 framebuffer was most of the
/// bootloader's own work (docs/booting.md has the figures).
fn boot_config() -> bootloader_boot_config::BootConfig {
    let mut config = bootloader_boot_config::BootConfig::default();
    config.log_level = bootloader_boot_config::LevelFilter::Warn;
    config.frame_buffer_logging = false;
    config
}

fn build(request: &Request) -> Result<(), String> {
    let kernel: &Path = &request.kernel;
    if !kernel.is_file() {
        return Err(format!("kernel {} does not exist", kernel.display()));
    }
    if let Some(ramdisk) = &request.ramdisk {
        if !ramdisk.is_file() {
            return Err(format!("ramdisk {} does not exist", ramdisk.display()));
        }
    }
    if let Some(out) = &request.bios {
        let mut bios = bootloader::BiosBoot::new(kernel);
        bios.set_boot_config(&boot_config());
        if let Some(ramdisk) = &request.ramdisk {
            bios.set_ramdisk(ramdisk);
        }
        bios.create_disk_image(out)
            .map_err(|e| format!("BIOS image {}: {e:#}", out.display()))?;
    }
    if let Some(out) = &request.uefi {
        let mut uefi = bootloader::UefiBoot::new(kernel);
        uefi.set_boot_config(&boot_config());
        if let Some(ramdisk) = &request.ramdisk {
            uefi.set_ramdisk(ramdisk);
        }
        uefi.create_disk_image(out)
            .map_err(|e| format!("UEFI image {}: {e:#}", out.display()))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let request = match parse(std::env::args().skip(1)) {
        Ok(request) => request,
        Err(e) => {
            eprintln!("ferrite-boot: {e}\nusage: ferrite-boot KERNEL [--bios OUT] [--uefi OUT] [--ramdisk FILE]");
            return ExitCode::from(2);
        }
    };
    match build(&request) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrite-boot: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_both_images() {
        let request = parse(args(&["k.elf", "--uefi", "u.img", "--bios", "b.img"])).unwrap();
        assert_eq!(request.kernel, PathBuf::from("k.elf"));
        assert_eq!(request.bios, Some(PathBuf::from("b.img")));
        assert_eq!(request.uefi, Some(PathBuf::from("u.img")));
        assert_eq!(request.ramdisk, None);
        let request = parse(args(&["k", "--bios", "b", "--ramdisk", "r.cpio"])).unwrap();
        assert_eq!(request.ramdisk, Some(PathBuf::from("r.cpio")));
    }

    #[test]
    fn usage_errors() {
        assert_eq!(parse(args(&[])), Err(UsageError::MissingKernel));
        assert_eq!(parse(args(&["k"])), Err(UsageError::NothingToDo));
        assert_eq!(
            parse(args(&["k", "--bios"])),
            Err(UsageError::MissingValue("--bios".into()))
        );
        assert_eq!(
            parse(args(&["k", "--iso", "x"])),
            Err(UsageError::Unknown("--iso".into()))
        );
        assert_eq!(
            parse(args(&["k", "k2", "--bios", "b"])),
            Err(UsageError::Unknown("k2".into()))
        );
    }

    #[test]
    fn a_missing_kernel_is_reported() {
        let request = parse(args(&["/nonexistent/kernel", "--bios", "/tmp/x.img"])).unwrap();
        assert!(build(&request).unwrap_err().contains("does not exist"));
    }
}
