//! Fuzz target: `segment` never panics and keeps the span invariant on any UTF-8 input (and on the lossy
//! decoding of any bytes).
//!
//! ```text
//! cd fuzz && cargo +nightly fuzz run segment -- -max_total_time=600
//! ```
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The segmenter's own source, compiled into this crate (it depends on nothing else in anuvad).
#[allow(dead_code, missing_docs)]
#[path = "../../src/segment/mod.rs"]
mod segment;

fn check(text: &str) {
    let paragraphs = segment::segment(text);
    if let Some(violation) = segment::metric::invariant_violation(text, &paragraphs) {
        panic!("{violation}\ninput: {text:?}\nparagraphs: {paragraphs:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    match std::str::from_utf8(data) {
        Ok(text) => check(text),
        Err(_) => check(&String::from_utf8_lossy(data)),
    }
});
