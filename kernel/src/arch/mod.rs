//! Architecture-specific code. Ferrite runs only on x86_64, but keeping what is specific to it
//! behind this folder shows a reader which parts of a kernel are about the CPU and which are not.

pub mod x86_64;
