//! Fuzz target: any `config.json` and `generation_config.json` — parsed, validated against the bounds
//! and against each other, the model built — never panics or aborts (no allocation from an unchecked
//! number).
//!
//! ```text
//! cd fuzz && cargo fuzz run configs seeds/configs -- -max_total_time=600
//! ```
//! Input: one byte choosing the fixture model, then `config.json`, a 0xFF byte, `generation_config.json`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let model = common::MODELS[which as usize % common::MODELS.len()];
    let (config, generation) = match rest.iter().position(|&b| b == 0xFF) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &b"{}"[..]),
    };
    let dir = common::model_with(model, &[("config.json", config), ("generation_config.json", generation)]);
    common::load_and_translate(&dir);
});
