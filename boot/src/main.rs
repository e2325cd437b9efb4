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

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
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

/// Bytes per cluster of the BIOS image's FAT partition: the size of the buffer the BIOS stage 2
/// reads each cluster through.
///
/// Stage 2 loads a file cluster by cluster, and for every cluster it reads 16 KiB from the disk,
/// whatever the cluster's size, through BIOS calls that each wait for the disk. The image
/// builder formats the partition with the FAT library's default for its size, 1 KiB clusters
/// for 4 to 16 MiB: every KiB of kernel and ramdisk cost 16 KiB of disk reads, 70 million
/// instructions for a release boot. With 16 KiB clusters each read brings a whole cluster.
const BIOS_CLUSTER_BYTES: u32 = 16 * 1024;
/// Bytes per sector, as the MBR counts them.
const SECTOR: u64 = 512;
/// Where the MBR's partition table starts, and the size of one entry.
const PARTITION_TABLE: usize = 446;
/// Bytes in one partition table entry.
const PARTITION_ENTRY: usize = 16;
/// The MBR partition types of FAT file systems (FAT12, FAT16, FAT32, with and without LBA).
const FAT_TYPES: [u8; 6] = [0x01, 0x04, 0x06, 0x0b, 0x0c, 0x0e];

/// One partition of an image file, as a file of its own.
struct Partition {
    file: File,
    start: u64,
    len: u64,
    at: u64,
}

impl Read for Partition {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = (self.len - self.at).min(buf.len() as u64) as usize;
        self.file.seek(SeekFrom::Start(self.start + self.at))?;
        let n = self.file.read(&mut buf[..room])?;
        self.at += n as u64;
        Ok(n)
    }
}

impl Write for Partition {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = (self.len - self.at).min(buf.len() as u64) as usize;
        if room == 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "past the partition's end",
            ));
        }
        self.file.seek(SeekFrom::Start(self.start + self.at))?;
        let n = self.file.write(&buf[..room])?;
        self.at += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Seek for Partition {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.at.checked_add_signed(d),
        };
        match target {
            Some(n) if n <= self.len => {
                self.at = n;
                Ok(n)
            }
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek outside the partition",
            )),
        }
    }
}

/// The FAT partition of the MBR image at `image`: its start and length in bytes.
fn fat_partition(image: &Path) -> io::Result<(u64, u64)> {
    let mut mbr = [0u8; SECTOR as usize];
    File::open(image)?.read_exact(&mut mbr)?;
    (0..4)
        .map(|i| &mbr[PARTITION_TABLE + i * PARTITION_ENTRY..][..PARTITION_ENTRY])
        .find(|entry| FAT_TYPES.contains(&entry[4]))
        .map(|entry| {
            let lba = u32::from_le_bytes([entry[8], entry[9], entry[10], entry[11]]);
            let sectors = u32::from_le_bytes([entry[12], entry[13], entry[14], entry[15]]);
            (u64::from(lba) * SECTOR, u64::from(sectors) * SECTOR)
        })
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no FAT partition in the MBR"))
}

/// Rewrites the FAT partition of the BIOS image at `image` with [`BIOS_CLUSTER_BYTES`]
/// clusters: the same files, the same label, in the same space.
fn recluster(image: &Path) -> io::Result<()> {
    let (start, len) = fat_partition(image)?;
    let open = || -> io::Result<Partition> {
        let file = OpenOptions::new().read(true).write(true).open(image)?;
        Ok(Partition {
            file,
            start,
            len,
            at: 0,
        })
    };
    let (label, files) = {
        let fs = fatfs::FileSystem::new(open()?, fatfs::FsOptions::new())?;
        let mut label = [b' '; 11];
        let old = fs.volume_label_as_bytes();
        label[..old.len().min(11)].copy_from_slice(&old[..old.len().min(11)]);
        let mut files = Vec::new();
        for entry in fs.root_dir().iter() {
            let entry = entry?;
            if entry.is_file() {
                let mut bytes = Vec::new();
                entry.to_file().read_to_end(&mut bytes)?;
                files.push((entry.file_name(), bytes));
            }
        }
        (label, files)
    };
    // Zeros first, as in the builder's fresh file: stage 2 copies whole clusters, so the bytes
    // after a file's end in its last cluster land in memory after the file (after stage 4, in
    // the stage's own zero-initialised data), and must be zeros, not the old layout's leftovers.
    let mut partition = open()?;
    let zeros = vec![0u8; BIOS_CLUSTER_BYTES as usize];
    for _ in 0..len / u64::from(BIOS_CLUSTER_BYTES) {
        partition.write_all(&zeros)?;
    }
    partition.write_all(&zeros[..(len % u64::from(BIOS_CLUSTER_BYTES)) as usize])?;
    let options = fatfs::FormatVolumeOptions::new()
        .bytes_per_cluster(BIOS_CLUSTER_BYTES)
        .volume_label(label);
    fatfs::format_volume(open()?, options)?;
    let fs = fatfs::FileSystem::new(open()?, fatfs::FsOptions::new())?;
    for (name, bytes) in files {
        fs.root_dir().create_file(&name)?.write_all(&bytes)?;
    }
    fs.unmount()
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
        recluster(out).map_err(|e| format!("BIOS image {}: re-clustering: {e}", out.display()))?;
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

    /// An MBR image with one FAT partition of `mib` MiB holding `files`, formatted with the FAT
    /// library's default clusters, as the bootloader's builder leaves it.
    fn fat_image(path: &Path, mib: u64, files: &[(&str, Vec<u8>)]) {
        let start = SECTOR;
        let len = mib << 20;
        let mut mbr = [0u8; SECTOR as usize];
        let entry = &mut mbr[PARTITION_TABLE..PARTITION_TABLE + PARTITION_ENTRY];
        entry[4] = 0x0c;
        entry[8..12].copy_from_slice(&1u32.to_le_bytes());
        entry[12..16].copy_from_slice(&((len / SECTOR) as u32).to_le_bytes());
        let mut file = File::create(path).unwrap();
        file.write_all(&mbr).unwrap();
        // Leftovers of an earlier layout, which must not survive in the clusters' tails.
        file.write_all(&vec![GARBAGE; len as usize]).unwrap();
        let open = || {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .unwrap();
            Partition {
                file,
                start,
                len,
                at: 0,
            }
        };
        fatfs::format_volume(
            open(),
            fatfs::FormatVolumeOptions::new().volume_label(*b"FERRITE    "),
        )
        .unwrap();
        let fs = fatfs::FileSystem::new(open(), fatfs::FsOptions::new()).unwrap();
        for (name, bytes) in files {
            fs.root_dir()
                .create_file(name)
                .unwrap()
                .write_all(bytes)
                .unwrap();
        }
        fs.unmount().unwrap();
    }

    /// The byte the test image's free space is filled with.
    const GARBAGE: u8 = 0xee;

    #[test]
    fn reclustering_keeps_every_file_and_the_label() {
        let dir = std::env::temp_dir().join(format!("ferrite-boot-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let image = dir.join("bios.img");
        let kernel: Vec<u8> = (0..1_300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let files = [
            ("kernel-x86_64", kernel),
            ("ramdisk", vec![0xa5; 700_000]),
            ("boot.json", b"{}".to_vec()),
        ];
        fat_image(&image, 4, &files);
        recluster(&image).unwrap();
        let (start, len) = fat_partition(&image).unwrap();
        let raw = std::fs::read(&image).unwrap();
        let garbage = |bytes: &[u8]| bytes.iter().filter(|&&b| b == GARBAGE).count();
        let in_files: usize = files.iter().map(|(_, bytes)| garbage(bytes)).sum();
        assert_eq!(
            garbage(&raw[start as usize..(start + len) as usize]),
            in_files,
            "the old layout's bytes are gone"
        );
        let part = Partition {
            file: OpenOptions::new()
                .read(true)
                .write(true)
                .open(&image)
                .unwrap(),
            start,
            len,
            at: 0,
        };
        let fs = fatfs::FileSystem::new(part, fatfs::FsOptions::new()).unwrap();
        assert_eq!(fs.cluster_size(), BIOS_CLUSTER_BYTES);
        assert_eq!(fs.volume_label(), "FERRITE");
        for (name, bytes) in &files {
            let mut read = Vec::new();
            fs.root_dir()
                .open_file(name)
                .unwrap()
                .read_to_end(&mut read)
                .unwrap();
            assert!(read == *bytes, "{name} changed");
        }
        drop(fs);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_image_without_a_fat_partition_is_refused() {
        let path = std::env::temp_dir().join(format!("ferrite-boot-nofat-{}", std::process::id()));
        std::fs::write(&path, [0u8; 1024]).unwrap();
        assert_eq!(
            fat_partition(&path).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_missing_kernel_is_reported() {
        let request = parse(args(&["/nonexistent/kernel", "--bios", "/tmp/x.img"])).unwrap();
        assert!(build(&request).unwrap_err().contains("does not exist"));
    }
}
