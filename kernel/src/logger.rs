//! The back end of the `log` facade: `log::info!` and friends print on both outputs.
//!
//! The `log` crate is the Rust ecosystem's common logging front end; a kernel that implements
//! its one trait lets every library it uses log the same way. Each record is printed as
//! `[LEVEL] target: message` and coloured on the screen by level, so errors stand out, and kept
//! in the kernel log ([`crate::klog`]) for `dmesg`.

use crate::console;
use log::{Level, LevelFilter, Log, Metadata, Record};
use textgrid::{Rgb, Style, DEFAULT_STYLE};

/// Records below this level are dropped.
pub const MAX_LEVEL: LevelFilter = LevelFilter::Info;

/// The logger; it has no state of its own.
struct KernelLogger;

static LOGGER: KernelLogger = KernelLogger;

/// The screen colour of each level.
fn style_for(level: Level) -> Style {
    let fg = match level {
        Level::Error => Rgb::new(0xFF, 0x55, 0x55),
        Level::Warn => Rgb::new(0xFF, 0xD7, 0x00),
        Level::Info => Rgb::new(0x55, 0xFF, 0x55),
        Level::Debug => Rgb::new(0x87, 0xAF, 0xFF),
        Level::Trace => Rgb::new(0x80, 0x80, 0x80),
    };
    Style {
        fg,
        ..DEFAULT_STYLE
    }
}

impl Log for KernelLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= MAX_LEVEL
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        console::write_fmt_styled(
            style_for(record.level()),
            format_args!("[{:>5}] ", record.level()),
        );
        console::write_fmt(format_args!("{}: {}\n", record.target(), record.args()));
        crate::klog::line(format_args!(
            "{}: {}: {}",
            record.level(),
            record.target(),
            record.args()
        ));
    }

    fn flush(&self) {}
}

/// Installs the logger. Only the first call has an effect.
pub fn init() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(MAX_LEVEL);
    }
}
