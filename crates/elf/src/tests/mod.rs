//! The crate's tests: valid files and their descriptions, the malformed corpus, a mutation fuzz,
//! and (ignored by default) real static executables from the host's gcc.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support, not the parser: a panic here is a failed test on a known input"
)]

mod fuzz;
mod host;
mod malformed;
mod valid;
