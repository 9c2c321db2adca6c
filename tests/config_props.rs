//! Property test of load-time validation: a fixture model whose `config.json` and
//! `generation_config.json` have any of their numbers replaced by anything JSON can say (zero, one,
//! negatives, the limits and one past them, `u64::MAX`, fractions, strings, null) either fails to load
//! with an error that names the file it comes from, or loads and translates. Never a panic, an abort,
//! an allocation sized by an unchecked number, or a model that loads and then fails on every sentence.
//!
//! Raise the case count with `PROPTEST_CASES=2000 cargo test --release --test config_props`.

use std::path::{Path, PathBuf};

use anuvad::Translator;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// `PROPTEST_CASES` if set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const MODELS: [&str; 3] = ["tiny-marian-hi-en", "tiny-nllb", "tiny-m2m100"];

/// Generation settings a hub `generation_config.json` may carry beyond what the fixtures have.
const EXTRA_GENERATION_FIELDS: [&str; 9] = [
    "num_beams",
    "max_length",
    "max_new_tokens",
    "min_length",
    "no_repeat_ngram_size",
    "repetition_penalty",
    "length_penalty",
    "forced_bos_token_id",
    "forced_eos_token_id",
];

/// The replacement values: ordinary, boundary and absurd.
fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0u64..=8).prop_map(|n| json!(n)),
        (0u64..=5000).prop_map(|n| json!(n)),
        prop::sample::select(vec![
            json!(-1),
            json!(i64::MIN),
            json!(255),
            json!(256),
            json!(257),
            json!(1023),
            json!(1024),
            json!(65_535),
            json!(65_536),
            json!(65_537),
            json!(1u64 << 20),
            json!((1u64 << 24) + 1),
            json!(4_000_000_000u64),
            json!(1e12),
            json!(u32::MAX),
            json!(u64::MAX),
            json!(0.5),
            json!(-0.0),
            json!(1e300),
            json!("12"),
            json!(null),
            json!(true),
            json!([1, 2]),
        ]),
    ]
}

/// One change: which file (`false`: config.json), which field (an index into the numeric fields there
/// plus the extra generation fields), and the value.
fn any_change() -> impl Strategy<Value = (bool, usize, Value)> {
    (any::<bool>(), any::<usize>(), any_value())
}

/// The numeric fields of a JSON object, in key order.
fn numeric_fields(object: &Map<String, Value>) -> Vec<String> {
    object.iter().filter(|(_, v)| v.is_number()).map(|(k, _)| k.clone()).collect()
}

/// A scratch copy of the fixture model (files hard-linked where possible) for one case.
fn scratch_copy(model: &str, scratch: &Path) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(model);
    let copy = scratch.join(model);
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(&fixture).unwrap() {
        let entry = entry.unwrap();
        let target = copy.join(entry.file_name());
        if std::fs::hard_link(entry.path(), &target).is_err() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    copy
}

fn read_object(path: &Path) -> Map<String, Value> {
    match serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap() {
        Value::Object(object) => object,
        _ => unreachable!("fixture files are JSON objects"),
    }
}

/// Writes `object` over `path`, replacing (not writing through) a hard link to the fixture.
fn write_object(path: &Path, object: Map<String, Value>) {
    std::fs::remove_file(path).unwrap();
    std::fs::write(path, serde_json::to_vec_pretty(&Value::Object(object)).unwrap()).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(48)))]

    #[test]
    fn any_config_either_names_its_problem_or_loads_and_translates(
        model in 0usize..MODELS.len(),
        changes in prop::collection::vec(any_change(), 1..4),
        beams_from_file in any::<bool>(),
    ) {
        let model = MODELS[model];
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch_copy(model, scratch.path());
        let mut config = read_object(&dir.join("config.json"));
        let mut generation = read_object(&dir.join("generation_config.json"));
        let config_fields = numeric_fields(&config);
        let mut generation_fields = numeric_fields(&generation);
        for extra in EXTRA_GENERATION_FIELDS {
            if !generation_fields.iter().any(|f| f == extra) {
                generation_fields.push(extra.to_string());
            }
        }
        for (in_generation, field, value) in &changes {
            let (object, fields) = if *in_generation {
                (&mut generation, &generation_fields)
            } else {
                (&mut config, &config_fields)
            };
            object.insert(fields[field % fields.len()].clone(), value.clone());
        }
        write_object(&dir.join("config.json"), config);
        write_object(&dir.join("generation_config.json"), generation);

        // Output length is bounded here only so that a case runs in milliseconds; the beam width comes
        // from the file in half the cases.
        let mut builder = Translator::builder().model(dir.to_str().unwrap()).offline(true).max_new_tokens(6);
        if !beams_from_file {
            builder = builder.beam_size(2);
        }
        match builder.build() {
            Err(error) => {
                // A field out of bounds names its file; a size that disagrees with the weights names
                // the weights file and the tensor; a beam width too wide for memory names the setting.
                let message = format!("{error:#}");
                let names_a_file = std::fs::read_dir(&dir)
                    .unwrap()
                    .any(|entry| message.contains(entry.unwrap().file_name().to_str().unwrap()));
                prop_assert!(
                    names_a_file || message.contains("beam"),
                    "the error does not say which file or setting is wrong: {message}"
                );
            }
            Ok(translator) => {
                let translated = translator.translate_sentence("भारत एक देश है।");
                prop_assert!(translated.is_ok(), "loaded, then failed to translate: {:?}", translated.err());
            }
        }
    }
}
