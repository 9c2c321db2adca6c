//! Shared by the model-file fuzz targets: a private copy of a fixture model in a scratch folder, with
//! one of its files replaced by the fuzzer's bytes, loaded the way `anuvad translate` loads it. Loading
//! may fail (most inputs are broken files) but must never panic, abort or hang.

use std::path::{Path, PathBuf};

/// The fixture models the targets start from (not every target uses them all).
#[allow(dead_code)]
pub const MODELS: [&str; 3] = ["tiny-marian-hi-en", "tiny-nllb", "tiny-m2m100"];

/// A scratch copy of `model` (one folder per process, refreshed for every input): every file restored
/// from the fixture, then the `replaced` ones written with the fuzzer's bytes.
pub fn model_with(model: &str, replaced: &[(&str, &[u8])]) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(model);
    let scratch = std::env::temp_dir().join(format!("anuvad-fuzz-{}", std::process::id())).join(model);
    std::fs::create_dir_all(&scratch).unwrap();
    for entry in std::fs::read_dir(&fixture).unwrap() {
        let entry = entry.unwrap();
        let target = scratch.join(entry.file_name());
        // Hard links are cheap and keep the fixture's bytes; replaced files are written afresh.
        let _ = std::fs::remove_file(&target);
        std::fs::hard_link(entry.path(), &target).or_else(|_| std::fs::copy(entry.path(), &target).map(|_| ())).unwrap();
    }
    for (name, bytes) in replaced {
        let target = scratch.join(name);
        let _ = std::fs::remove_file(&target);
        std::fs::write(&target, bytes).unwrap();
    }
    scratch
}

/// Loads the model at `dir` and, when it loads, translates a sentence with it.
pub fn load_and_translate(dir: &Path) {
    let built = anuvad::Translator::builder()
        .model(dir.to_str().unwrap())
        .offline(true)
        .beam_size(2)
        .max_new_tokens(8)
        .build();
    if let Ok(translator) = built {
        let _ = translator.translate_sentence("भारत एक देश है।");
    }
}
