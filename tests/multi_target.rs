//! The multi-target Marian fixture (`models/tiny-marian-multi`, the layout of
//! `opus-mt-tc-bible-big-inc-deu_eng_fra_por_spa`) through the binary and the library: the target
//! language chosen with `--target-lang` / `TranslatorBuilder::target_language`, `eng` by default, gives
//! `transformers`' output for that target token; a target the model lacks is a clear error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model(name: &str) -> String {
    root().join("models").join(name).display().to_string()
}

fn reference(file: &str) -> Vec<Value> {
    let path = root().join("tests/fixtures/reference/tiny-marian-multi").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn reference_sentences() -> Vec<String> {
    let path = root().join("tests/fixtures/reference/tiny-marian-multi/meta.json");
    let meta: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    meta["sentences"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

/// Runs `anuvad` in a clean environment: an empty Hugging Face home, offline.
fn anuvad(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anuvad"))
        .args(args)
        .env("HF_HOME", home)
        .env("HF_HUB_OFFLINE", "1")
        .env_remove("HF_HUB_CACHE")
        .output()
        .expect("anuvad runs")
}

/// Translates the reference sentences that `reference_file` has outputs for (the first ones), each its
/// own paragraph, and compares every record whose source is one of them with the reference's beam-4
/// text (the model's default beams).
fn check_cli_against(target: Option<&str>, reference_file: &str) {
    let home = tempfile::tempdir().unwrap();
    let expected = reference(reference_file);
    let count = expected.len();
    assert!(count >= 32, "{reference_file}: {count} outputs");
    let sentences: Vec<String> = reference_sentences().into_iter().take(count).collect();
    let input = home.path().join("article.txt");
    std::fs::write(&input, sentences.join("\n\n")).unwrap();
    let dir = model("tiny-marian-multi");
    let mut args = vec!["translate", "--model", &dir, "-f", "jsonl", input.to_str().unwrap()];
    if let Some(target) = target {
        args.extend(["--target-lang", target]);
    }
    let output = anuvad(&args, home.path());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut compared = 0;
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let source = record["source"].as_str().unwrap();
        // A sentence the segmenter cuts in two is translated in pieces: not comparable.
        let Some(index) = sentences.iter().position(|s| s.trim() == source) else { continue };
        assert_eq!(record["translation"], expected[index]["text"], "sentence {index}: {source}");
        compared += 1;
    }
    assert!(compared >= count / 2, "only {compared} of {count} sentences came out whole");
}

#[test]
fn target_lang_fra_gives_the_references_french_output() {
    check_cli_against(Some("fra"), "fra_beam4_b1.jsonl");
}

#[test]
fn the_default_target_is_eng() {
    check_cli_against(None, "beam4_b1.jsonl");
    check_cli_against(Some(">>eng<<"), "beam4_b1.jsonl");
}

#[test]
fn a_target_the_model_lacks_exits_2_listing_its_targets() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("article.txt");
    std::fs::write(&input, "नमस्ते।\n").unwrap();
    let dir = model("tiny-marian-multi");
    let output =
        anuvad(&["translate", "--model", &dir, "--target-lang", "xyz", input.to_str().unwrap()], home.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`xyz`") && stderr.contains("deu, eng, fra, por, spa"), "{stderr}");
    assert!(stderr.contains("vocab.json"), "names the file: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let error = anuvad::Translator::builder().model(dir).target_language("xyz").build().err().unwrap();
    assert!(matches!(error, anuvad::Error::InvalidInput(_)), "{error:?}");
}

/// A single-pair Marian model takes the target its tokenizer_config.json names, and refuses another
/// rather than ignoring it.
#[test]
fn single_pair_marian_refuses_another_target() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("article.txt");
    std::fs::write(&input, "नमस्ते।\n").unwrap();
    let dir = model("tiny-marian-hi-en");
    let output =
        anuvad(&["translate", "--model", &dir, "--target-lang", "fra", input.to_str().unwrap()], home.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`fra`") && stderr.contains("`en`"), "{stderr}");
    let output =
        anuvad(&["translate", "--model", &dir, "--target-lang", "en", input.to_str().unwrap()], home.path());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn help_names_the_default_model() {
    let home = tempfile::tempdir().unwrap();
    let output = anuvad(&["translate", "--help"], home.path());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains(anuvad::DEFAULT_MODEL), "{help}");
    assert_eq!(anuvad::DEFAULT_MODEL, "Helsinki-NLP/opus-mt-tc-bible-big-inc-deu_eng_fra_por_spa");
}
