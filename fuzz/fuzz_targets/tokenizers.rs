//! Fuzz target: any tokenizer file — Marian's `vocab.json` and `source.spm`, NLLB's `tokenizer.json` and
//! `sentencepiece.bpe.model`, M2M100's `vocab.json` — is loaded or refused, and a loaded one encodes and
//! decodes, never panicking or aborting.
//!
//! ```text
//! cd fuzz && cargo fuzz run tokenizers seeds/tokenizers -- -max_total_time=600
//! ```
//! Input: one byte choosing the file, then its contents.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

/// (model, file) pairs the first byte chooses from.
const FILES: [(&str, &str); 5] = [
    ("tiny-marian-hi-en", "vocab.json"),
    ("tiny-marian-hi-en", "source.spm"),
    ("tiny-nllb", "tokenizer.json"),
    ("tiny-nllb", "sentencepiece.bpe.model"),
    ("tiny-m2m100", "vocab.json"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, file)) = data.split_first() else { return };
    let (model, name) = FILES[which as usize % FILES.len()];
    let dir = common::model_with(model, &[(name, file)]);
    common::load_and_translate(&dir);
});
