//! Fuzzes parsing, verification, inspection and the sign/verify round trip.
//! Run with `cargo +nightly fuzz run verify` from `fuzz/`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::check(data));
