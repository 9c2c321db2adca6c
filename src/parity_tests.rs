//! Parity with `transformers` on the fixture models: tokenizer ids, greedy and beam search outputs at
//! batch sizes 1 and 8, scores, and the first decoder logits. The reference files are written by
//! `scripts/make_fixtures.py` from `transformers` itself.

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::Deserialize;

use crate::generate::{generate, GenerationOptions};
use crate::hub::{ModelFiles, ModelLocation};
use crate::indic_processor::Placeholders;
use crate::loader::{load, Languages, LoadedModel};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_model(dir: &str) -> LoadedModel {
    load_model_for(dir, &Languages::default())
}

fn load_model_for(dir: &str, languages: &Languages) -> LoadedModel {
    let files =
        ModelFiles::open(ModelLocation::Local(root().join("models").join(dir)), Some(true), None).unwrap();
    load(&files, &Device::Cpu, languages, crate::Precision::F32)
        .unwrap_or_else(|e| panic!("loading {dir}: {e}"))
}

/// The ids anuvad must give (sentencepiece-based), and where `transformers`' tokenizer gives others,
/// those and why (see `scripts/spm_reference.py`).
#[derive(Deserialize)]
struct TokenRecord {
    text: String,
    ids: Vec<u32>,
    transformers_ids: Option<Vec<u32>>,
    why: Option<String>,
}

#[derive(Deserialize)]
struct OutputRecord {
    index: usize,
    ids: Vec<u32>,
    text: String,
    score: f32,
}

#[derive(Deserialize)]
struct Meta {
    sentences: Vec<String>,
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Vec<T> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn reference(model: &str) -> PathBuf {
    root().join("tests/fixtures/reference").join(model)
}

fn sentences(model: &str) -> Vec<String> {
    let meta: Meta =
        serde_json::from_str(&std::fs::read_to_string(reference(model).join("meta.json")).unwrap()).unwrap();
    meta.sentences
}

fn check_tokenizer(model_dir: &str, reference_name: &str) {
    let records = check_tokenizer_file(&load_model(model_dir), reference_name, "tokenizer.jsonl");
    assert!(records >= 200, "the reference has {records} tokenizer records");
}

/// Compares every record of `file`; returns how many there are.
fn check_tokenizer_file(loaded: &LoadedModel, reference_name: &str, file: &str) -> usize {
    let records: Vec<TokenRecord> = read_jsonl(&reference(reference_name).join(file));
    for record in &records {
        // Where transformers differs, the fixture says why (a typed special token; for NLLB also its
        // fast tokenizer's normalization), and the expected ids are sentencepiece's.
        assert_eq!(record.transformers_ids.is_some(), record.why.is_some(), "{:?}", record.text);
    }
    let mismatches: Vec<String> = records
        .iter()
        .filter_map(|record| {
            let ids = loaded.tokenizer.encode(&record.text).ids;
            (ids != record.ids)
                .then(|| format!("{:?}\n  ours:   {ids:?}\n  theirs: {:?}", record.text, record.ids))
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} differ:\n{}",
        mismatches.len(),
        records.len(),
        mismatches.join("\n")
    );
    records.len()
}

/// Runs generation as the reference run `label` did and compares every sentence.
fn check_run(model_dir: &str, reference_name: &str, label: &str, num_beams: usize, batch_size: usize) {
    check_run_within(model_dir, reference_name, label, num_beams, batch_size, 1e-4);
}

/// [`check_run`] with scores compared to `tolerance`.
fn check_run_within(
    model_dir: &str,
    reference_name: &str,
    label: &str,
    num_beams: usize,
    batch_size: usize,
    tolerance: f32,
) {
    check_loaded_run(&load_model(model_dir), reference_name, label, num_beams, batch_size, tolerance);
}

/// [`check_run_within`] on a loaded model; a reference run may cover only the first sentences.
fn check_loaded_run(
    loaded: &LoadedModel,
    reference_name: &str,
    label: &str,
    num_beams: usize,
    batch_size: usize,
    tolerance: f32,
) {
    let expected: Vec<OutputRecord> = read_jsonl(&reference(reference_name).join(format!("{label}.jsonl")));
    let inputs: Vec<Vec<u32>> = sentences(reference_name)
        .iter()
        .take(expected.len())
        .map(|s| loaded.tokenizer.encode(s).ids)
        .collect();
    assert_eq!(expected.len(), inputs.len());
    let options = GenerationOptions { num_beams, ..loaded.generation.clone() };
    let mut failures = Vec::new();
    for (group, inputs) in inputs.chunks(batch_size).enumerate() {
        let hypotheses = generate(loaded.model.as_ref(), inputs, &options).unwrap();
        for (offset, hypothesis) in hypotheses.iter().enumerate() {
            let want = &expected[group * batch_size + offset];
            assert_eq!(want.index, group * batch_size + offset);
            let text = loaded.tokenizer.decode(&hypothesis.tokens, &Placeholders::default());
            if hypothesis.tokens != want.ids
                || text != want.text
                || (hypothesis.score - want.score).abs() > tolerance
            {
                failures.push(format!(
                    "sentence {}: ours {:?} ({}) {:?}\n  theirs {:?} ({}) {:?}",
                    want.index, hypothesis.tokens, hypothesis.score, text, want.ids, want.score, want.text
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{label}: {} of {} differ:\n{}",
        failures.len(),
        expected.len(),
        failures.join("\n")
    );
}

/// Raw logits of the first three greedy steps, fed the reference's own tokens.
fn check_logits(model_dir: &str, reference_name: &str) {
    let loaded = load_model(model_dir);
    let path = reference(reference_name).join("logits.safetensors");
    let tensors = candle_core::safetensors::load(&path, &Device::Cpu).unwrap();
    let greedy: Vec<OutputRecord> = read_jsonl(&reference(reference_name).join("greedy_b1.jsonl"));
    let sentences = sentences(reference_name);
    let mut checked = 0;
    for (name, want) in &tensors {
        let index: usize = name.trim_start_matches("logits.").parse().unwrap();
        let ids = loaded.tokenizer.encode(&sentences[index]).ids;
        let input = Tensor::new(ids.as_slice(), &Device::Cpu).unwrap().unsqueeze(0).unwrap();
        let mask = input.ones_like().unwrap();
        let encoded = loaded.model.encode(&input, &mask).unwrap();
        let mut state = loaded.model.start_decoding(&encoded, &mask, 1).unwrap();
        let mut token = loaded.generation.decoder_start_token_id;
        for step in 0..3 {
            let logits =
                loaded.model.decode_step(&mut state, &Tensor::new(&[token], &Device::Cpu).unwrap()).unwrap();
            let ours = logits.squeeze(0).unwrap().to_vec1::<f32>().unwrap();
            let theirs = want.get(step).unwrap().to_vec1::<f32>().unwrap();
            let worst = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(worst <= 1e-4, "sentence {index} step {step}: logits differ by up to {worst}");
            token = greedy[index].ids[step];
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} sentences have reference logits");
}

const MAIN: &str = "tiny-marian-hi-en";
const VARIANT: &str = "tiny-marian-variant";

#[test]
fn tokenizer_matches_marian_tokenizer() {
    check_tokenizer(MAIN, MAIN);
}

#[test]
fn variant_tokenizer_matches_marian_tokenizer() {
    check_tokenizer(VARIANT, VARIANT);
}

#[test]
fn greedy_batch_1_matches_transformers() {
    check_run(MAIN, MAIN, "greedy_b1", 1, 1);
}

#[test]
fn greedy_batch_8_matches_transformers() {
    check_run(MAIN, MAIN, "greedy_b8", 1, 8);
}

#[test]
fn beam_4_batch_1_matches_transformers() {
    check_run(MAIN, MAIN, "beam4_b1", 4, 1);
}

#[test]
fn beam_4_batch_8_matches_transformers() {
    check_run(MAIN, MAIN, "beam4_b8", 4, 8);
}

/// The fixture's generation_config.json sets `renormalize_logits` (as opus-mt-hi-en's does): beam
/// search at its own 6 beams and at 4 gives transformers' tokens and sequence scores to 1e-5.
#[test]
fn renormalized_beam_search_matches_transformers_scores() {
    assert!(load_model(MAIN).generation.renormalize_logits);
    check_run_within(MAIN, MAIN, "beam6_b8", 6, 8, 1e-5);
    check_run_within(MAIN, MAIN, "beam4_b8", 4, 8, 1e-5);
}

#[test]
fn first_logits_match_transformers() {
    check_logits(MAIN, MAIN);
}

#[test]
fn variant_greedy_matches_transformers() {
    check_run(VARIANT, VARIANT, "greedy_b1", 1, 1);
    check_run(VARIANT, VARIANT, "greedy_b8", 1, 8);
}

#[test]
fn variant_beam_matches_transformers() {
    check_run(VARIANT, VARIANT, "beam4_b1", 4, 1);
    check_run(VARIANT, VARIANT, "beam4_b8", 4, 8);
}

#[test]
fn variant_first_logits_match_transformers() {
    check_logits(VARIANT, VARIANT);
}

#[test]
fn pytorch_bin_gives_the_same_translations_as_safetensors() {
    check_run("tiny-marian-hi-en-bin", MAIN, "greedy_b8", 1, 8);
    check_run("tiny-marian-hi-en-bin", MAIN, "beam4_b8", 4, 8);
}

/// A 2020-style repository: legacy (non-zip) `pytorch_model.bin`, generation settings in `config.json`,
/// no `generation_config.json`. It must read, and generate with its defaults as `transformers` does.
#[test]
fn legacy_checkpoint_and_old_config_behave_as_in_transformers() {
    let scratch = tempfile::tempdir().unwrap();
    let models = root().join("models");
    for name in ["config.json", "pytorch_model.bin"] {
        std::fs::copy(models.join("tiny-marian-hi-en-legacy").join(name), scratch.path().join(name)).unwrap();
    }
    for name in ["source.spm", "target.spm", "vocab.json", "tokenizer_config.json"] {
        std::fs::copy(models.join(MAIN).join(name), scratch.path().join(name)).unwrap();
    }
    let files =
        ModelFiles::open(ModelLocation::Local(scratch.path().to_path_buf()), Some(true), None).unwrap();
    let loaded = load(&files, &Device::Cpu, &Languages::default(), crate::Precision::F32).unwrap();
    assert_eq!(loaded.generation.num_beams, 4, "num_beams comes from the old config.json");
    assert_eq!(loaded.generation.forced_eos_token_id, None, "absent from the file, absent here");

    let name = "tiny-marian-hi-en-legacy";
    let inputs: Vec<Vec<u32>> = sentences(name).iter().map(|s| loaded.tokenizer.encode(s).ids).collect();
    let expected: Vec<OutputRecord> = read_jsonl(&reference(name).join("default_b8.jsonl"));
    for (group, batch) in inputs.chunks(8).enumerate() {
        for (offset, hypothesis) in
            generate(loaded.model.as_ref(), batch, &loaded.generation).unwrap().iter().enumerate()
        {
            let want = &expected[group * 8 + offset];
            assert_eq!(hypothesis.tokens, want.ids, "sentence {}", want.index);
            assert_eq!(loaded.tokenizer.decode(&hypothesis.tokens, &Placeholders::default()), want.text);
            assert!((hypothesis.score - want.score).abs() <= 1e-4);
        }
    }
}

const NLLB: &str = "tiny-nllb";
const M2M100: &str = "tiny-m2m100";

#[test]
fn nllb_tokenizer_json_matches_transformers() {
    check_tokenizer(NLLB, NLLB);
}

#[test]
fn nllb_greedy_matches_transformers() {
    check_run(NLLB, NLLB, "greedy_b1", 1, 1);
    check_run(NLLB, NLLB, "greedy_b8", 1, 8);
}

#[test]
fn nllb_beam_matches_transformers() {
    check_run(NLLB, NLLB, "beam4_b1", 4, 1);
    check_run(NLLB, NLLB, "beam4_b8", 4, 8);
}

#[test]
fn nllb_first_logits_match_transformers() {
    check_logits(NLLB, NLLB);
}

#[test]
fn m2m100_sentencepiece_tokenizer_matches_transformers() {
    check_tokenizer(M2M100, M2M100);
}

#[test]
fn m2m100_greedy_matches_transformers() {
    check_run(M2M100, M2M100, "greedy_b1", 1, 1);
    check_run(M2M100, M2M100, "greedy_b8", 1, 8);
}

#[test]
fn m2m100_beam_matches_transformers() {
    check_run(M2M100, M2M100, "beam4_b1", 4, 1);
    check_run(M2M100, M2M100, "beam4_b8", 4, 8);
}

#[test]
fn m2m100_first_logits_match_transformers() {
    check_logits(M2M100, M2M100);
}

#[derive(Deserialize)]
struct AdversarialRecord {
    text: String,
    ids: Vec<u32>,
    transformers_ids: Option<Vec<u32>>,
    why: Option<String>,
    greedy: Output,
    beam4: Output,
}

#[derive(Deserialize)]
struct Output {
    ids: Vec<u32>,
    text: String,
    score: f32,
}

/// Our own adversarial Hindi lines (text pasted from web pages, PDFs and old encodings; typed special
/// tokens), each translated alone, greedy and beam 4, against transformers run on the sentencepiece-based
/// ids (`scripts/make_sentencepiece_fixtures.py`).
fn check_adversarial(model_dir: &str, eos: u32) {
    let loaded = load_model(model_dir);
    let records: Vec<AdversarialRecord> = read_jsonl(&reference(model_dir).join("adversarial.jsonl"));
    assert!(records.len() >= 40);
    let mut failures = Vec::new();
    for record in &records {
        let ids = loaded.tokenizer.encode(&record.text).ids;
        if ids != record.ids {
            failures.push(format!("{:?}: ids {ids:?}, sentencepiece-based {:?}", record.text, record.ids));
            continue;
        }
        assert_eq!(record.transformers_ids.is_some(), record.why.is_some());
        // A typed special token is text: one end of sentence, and the text after it is all there.
        assert_eq!(ids.iter().filter(|&&id| id == eos).count(), 1, "{:?}", record.text);
        let last_typed = ["</s>", "<unk>", "<pad>", "hin_Deva", "eng_Latn"]
            .iter()
            .filter_map(|typed| record.text.rfind(typed).map(|at| at + typed.len()))
            .max();
        if let Some(end) = last_typed {
            let source = loaded.tokenizer.decode(&ids, &Placeholders::default());
            assert!(source.contains(record.text[end..].trim()), "{:?} encodes as {source:?}", record.text);
        }
        for (label, beams, want) in [("greedy", 1, &record.greedy), ("beam4", 4, &record.beam4)] {
            let options = GenerationOptions { num_beams: beams, ..loaded.generation.clone() };
            let hypothesis =
                &generate(loaded.model.as_ref(), std::slice::from_ref(&ids), &options).unwrap()[0];
            let text = loaded.tokenizer.decode(&hypothesis.tokens, &Placeholders::default());
            if hypothesis.tokens != want.ids
                || text != want.text
                || (hypothesis.score - want.score).abs() > 1e-4
            {
                failures.push(format!(
                    "{label} {:?}: ours {:?} ({}) {text:?}\n  theirs {:?} ({}) {:?}",
                    record.text, hypothesis.tokens, hypothesis.score, want.ids, want.score, want.text
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn marian_adversarial_lines_match_the_reference() {
    check_adversarial(MAIN, 0);
}

#[test]
fn nllb_adversarial_lines_match_the_sentencepiece_reference() {
    check_adversarial(NLLB, 2);
}

/// The multi-target fixture: the layout of `opus-mt-tc-bible-big-inc-deu_eng_fra_por_spa` (five
/// `>>xxx<<` target tokens in a shared vocabulary, `</s>` not 0, pad = decoder start = the last id,
/// ReLU, shared embeddings, 1024 positions). Its references are `transformers` on `">>eng<< " + text`
/// (anuvad's default target) and on `">>fra<< " + text` (`fra_*`); outputs for the first 32 sentences.
const MULTI: &str = "tiny-marian-multi";

fn french() -> Languages {
    Languages { source: None, target: Some("fra".to_string()) }
}

#[test]
fn multi_target_ids_come_from_the_files() {
    let loaded = load_model(MULTI);
    let vocab: std::collections::HashMap<String, u32> = serde_json::from_str(
        &std::fs::read_to_string(root().join("models").join(MULTI).join("vocab.json")).unwrap(),
    )
    .unwrap();
    let generation: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("models").join(MULTI).join("generation_config.json")).unwrap(),
    )
    .unwrap();
    let (eos, pad) = (vocab["</s>"], vocab["<pad>"]);
    assert_ne!(eos, 0, "the fixture's point: </s> is not id 0");
    assert_eq!(pad as usize, vocab.len() - 1);
    let options = &loaded.generation;
    assert_eq!(options.eos_token_ids, vec![eos]);
    assert_eq!(options.forced_eos_token_id, Some(vec![eos]));
    assert_eq!((options.pad_token_id, options.decoder_start_token_id), (pad, pad));
    assert_eq!(options.bad_words_ids, vec![vec![pad]]);
    assert_eq!(generation["eos_token_id"], eos);
    assert_eq!(options.num_beams, 4);
    // Every input starts with the target token and ends with </s>.
    let ids = loaded.tokenizer.encode("नमस्ते दुनिया").ids;
    assert_eq!((ids[0], *ids.last().unwrap()), (vocab[">>eng<<"], eos));
    let ids = load_model_for(MULTI, &french()).tokenizer.encode("नमस्ते दुनिया").ids;
    assert_eq!(ids[0], vocab[">>fra<<"]);
}

#[test]
fn multi_target_typed_target_token_is_text() {
    let loaded = load_model(MULTI);
    let vocab: std::collections::HashMap<String, u32> = serde_json::from_str(
        &std::fs::read_to_string(root().join("models").join(MULTI).join("vocab.json")).unwrap(),
    )
    .unwrap();
    let targets: Vec<u32> =
        ["deu", "eng", "fra", "por", "spa"].iter().map(|c| vocab[&format!(">>{c}<<")]).collect();
    for text in [">>fra<< नमस्ते", "नमस्ते >>fra<< दुनिया", ">>eng<<"] {
        let ids = loaded.tokenizer.encode(text).ids;
        assert_eq!(ids[0], vocab[">>eng<<"], "{text:?}");
        assert!(ids[1..].iter().all(|id| !targets.contains(id)), "{text:?} gives a target token: {ids:?}");
        assert!(ids.len() > 3, "{text:?}: the typed token is encoded as its characters");
    }
}

#[test]
fn multi_target_tokenizer_matches_marian_tokenizer() {
    check_tokenizer(MULTI, MULTI);
    let records = check_tokenizer_file(&load_model_for(MULTI, &french()), MULTI, "fra_tokenizer.jsonl");
    assert!(records >= 32);
}

#[test]
fn multi_target_greedy_matches_transformers() {
    check_run(MULTI, MULTI, "greedy_b1", 1, 1);
    check_run(MULTI, MULTI, "greedy_b8", 1, 8);
}

#[test]
fn multi_target_beam_matches_transformers() {
    check_run(MULTI, MULTI, "beam4_b1", 4, 1);
    check_run(MULTI, MULTI, "beam4_b8", 4, 8);
}

#[test]
fn multi_target_other_target_matches_transformers() {
    let loaded = load_model_for(MULTI, &french());
    for (label, beams, batch) in
        [("greedy_b1", 1, 1), ("greedy_b8", 1, 8), ("beam4_b1", 4, 1), ("beam4_b8", 4, 8)]
    {
        check_loaded_run(&loaded, MULTI, &format!("fra_{label}"), beams, batch, 1e-4);
    }
}

#[test]
fn multi_target_first_logits_match_transformers() {
    check_logits(MULTI, MULTI);
}
