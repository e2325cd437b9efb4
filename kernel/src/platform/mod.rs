//! The machine as its firmware describes it: who booted us and what memory there is (the
//! banner), the ACPI tables (which interrupt controllers exist, how to power off), and power
//! itself. What the firmware hands over is read here once and passed on as plain data.

pub mod acpi;
pub mod banner;
pub mod power;
