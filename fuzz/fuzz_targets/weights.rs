//! Fuzz target: any weights file — as `model.safetensors` (header and offsets), or as
//! `pytorch_model.bin` in PyTorch's zip or legacy pickle format — is read or refused, never a panic, an
//! abort or an allocation sized by an unchecked number.
//!
//! ```text
//! cd fuzz && cargo fuzz run weights seeds/weights -- -max_total_time=600
//! ```
//! Input: one byte choosing the format (even: safetensors, odd: .bin), then the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&which, file)) = data.split_first() else { return };
    let dir = if which % 2 == 0 {
        common::model_with("tiny-marian-hi-en", &[("model.safetensors", file)])
    } else {
        // Without model.safetensors the loader reads pytorch_model.bin.
        let dir = common::model_with("tiny-marian-hi-en", &[("pytorch_model.bin", file)]);
        let _ = std::fs::remove_file(dir.join("model.safetensors"));
        dir
    };
    common::load_and_translate(&dir);
});
