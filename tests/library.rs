//! The library as an outside user sees it: only public items.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anuvad::{Error, Format, Translator};

fn fixture_model() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/tiny-marian-hi-en")
}

fn translator(model: &Path) -> anuvad::Result<Translator> {
    // A path is given as a path: no `to_str()` needed.
    Translator::builder().model(model).beam_size(2).batch_size(4).offline(true).build()
}

fn sample_sentences() -> Vec<String> {
    let article = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/samples/article-hi.txt"),
    )
    .unwrap();
    anuvad::segment(&article)
        .iter()
        .flat_map(|p| p.sentences.iter().map(|s| s.text(&article).to_string()).collect::<Vec<_>>())
        .take(16)
        .collect()
}

#[test]
fn four_threads_share_one_translator_and_agree_with_sequential_calls() {
    let translator = Arc::new(translator(&fixture_model()).unwrap());
    let sentences = sample_sentences();
    let sequential: Vec<String> =
        sentences.iter().map(|s| translator.translate_sentence(s).unwrap()).collect();
    let handles: Vec<_> = (0..4)
        .map(|worker| {
            let translator = Arc::clone(&translator);
            let sentences = sentences.clone();
            std::thread::spawn(move || {
                sentences
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % 4 == worker)
                    .map(|(i, s)| (i, translator.translate_sentence(s).unwrap()))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for handle in handles {
        for (i, text) in handle.join().unwrap() {
            assert_eq!(text, sequential[i], "sentence {i}");
        }
    }
}

#[test]
fn a_sentence_alone_and_in_a_batch_of_32_translates_the_same() {
    let translator =
        Translator::builder().model(fixture_model().to_str().unwrap()).batch_size(32).build().unwrap();
    let mut sentences = sample_sentences();
    while sentences.len() < 32 {
        sentences.push(sentences[sentences.len() % 7].chars().rev().collect());
    }
    let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let together = translator.translate_batch(&refs).unwrap();
    for (sentence, batched) in refs.iter().zip(&together) {
        let alone = translator.translate_batch(&[sentence]).unwrap().remove(0);
        assert_eq!(alone.text, batched.text, "{sentence}");
        assert!((alone.score - batched.score).abs() < 1e-4);
    }
}

#[test]
fn documents_render_in_every_format_and_serialize() {
    let translator = translator(&fixture_model()).unwrap();
    let document = translator.translate_document("पहला वाक्य। दूसरा वाक्य।\n\nतीसरा।").unwrap();
    assert_eq!(document.paragraphs.len(), 2);
    assert_eq!(document.render(Format::Jsonl).lines().count(), 3);
    assert_eq!(document.render(Format::Tsv).lines().count(), 4);
    assert!(document.render(Format::Markdown).contains("| पहला वाक्य। |"));
    let json = serde_json::to_value(&document).unwrap();
    assert_eq!(json["paragraphs"][1]["sentences"][0]["source"], "तीसरा।");
}

fn copy_model(to: &Path) {
    for entry in std::fs::read_dir(fixture_model()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn a_missing_model_directory_is_no_such_directory() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here");
    match translator(&missing) {
        Err(error @ Error::NoSuchDirectory { .. }) => {
            assert!(error.to_string().contains("nothing-here: no such directory"), "{error}")
        }
        other => panic!("expected NoSuchDirectory, got {other:?}"),
    }
}

#[test]
fn a_directory_without_weights_is_a_bad_model_file() {
    let dir = tempfile::tempdir().unwrap();
    copy_model(dir.path());
    std::fs::remove_file(dir.path().join("model.safetensors")).unwrap();
    match translator(dir.path()) {
        Err(error @ Error::BadModelFile { .. }) => {
            let message = error.to_string();
            assert!(message.contains(&dir.path().display().to_string()), "{message}");
            assert!(
                message.contains("model.safetensors") && message.contains("pytorch_model.bin"),
                "{message}"
            );
        }
        other => panic!("expected BadModelFile, got {other:?}"),
    }
}

#[test]
fn a_corrupted_config_is_a_bad_model_file_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_model(dir.path());
    std::fs::write(dir.path().join("config.json"), "{\"model_type\": \"marian\", \"d_model\": ").unwrap();
    match translator(dir.path()) {
        Err(error @ Error::BadModelFile { .. }) => assert!(error.to_string().contains("config.json")),
        other => panic!("expected BadModelFile, got {other:?}"),
    }
}

#[test]
fn a_truncated_safetensors_file_is_a_bad_model_file_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_model(dir.path());
    let weights = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    match translator(dir.path()) {
        Err(error @ Error::BadModelFile { .. }) => assert!(error.to_string().contains("model.safetensors")),
        other => panic!("expected BadModelFile, got {other:?}"),
    }
}

#[test]
fn an_unknown_architecture_lists_the_supported_ones() {
    let dir = tempfile::tempdir().unwrap();
    copy_model(dir.path());
    std::fs::write(dir.path().join("config.json"), r#"{"model_type": "t5"}"#).unwrap();
    match translator(dir.path()) {
        Err(error @ Error::UnsupportedArchitecture { .. }) => {
            assert!(error.to_string().contains("t5") && error.to_string().contains("marian"))
        }
        other => panic!("expected UnsupportedArchitecture, got {other:?}"),
    }
}

#[test]
fn a_generation_setting_anuvad_does_not_implement_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    copy_model(dir.path());
    let path = dir.path().join("generation_config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    config["do_sample"] = serde_json::Value::Bool(true);
    std::fs::write(&path, config.to_string()).unwrap();
    match translator(dir.path()) {
        Err(error @ Error::BadModelFile { .. }) => {
            let message = error.to_string();
            assert!(message.contains("generation_config.json") && message.contains("do_sample"), "{message}");
        }
        other => panic!("expected BadModelFile, got {other:?}"),
    }
}

#[test]
fn zero_beams_is_invalid_input() {
    let result = Translator::builder().model(fixture_model().to_str().unwrap()).beam_size(0).build();
    assert!(matches!(result, Err(Error::InvalidInput(_))));
}

#[test]
fn builder_defaults_are_documented_ones() {
    let translator = Translator::builder().model(fixture_model().to_str().unwrap()).build().unwrap();
    // The fixture's generation_config.json says num_beams 6, as opus-mt-hi-en's does.
    assert_eq!(translator.beam_size(), 6);
    assert_eq!(translator.model_name(), fixture_model().to_str().unwrap());
}

#[test]
fn io_errors_convert_and_document_write_returns_the_library_result() {
    // The README's pattern: `?` on std's I/O and on anuvad's calls in one function.
    fn run(model: &Path, article: &Path, out: &mut Vec<u8>) -> anuvad::Result<()> {
        let translator = translator(model)?;
        let document = translator.translate_document(&std::fs::read_to_string(article)?)?;
        document.write(out, Format::Text)?;
        Ok(())
    }
    let article = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/samples/article-hi.txt");
    let mut out = Vec::new();
    run(&fixture_model(), &article, &mut out).unwrap();
    assert_eq!(
        out.iter().filter(|&&b| b == b'\n').count(),
        std::fs::read_to_string(&article).unwrap().lines().count()
    );
    let missing = run(&fixture_model(), Path::new("no-such-article.txt"), &mut out).unwrap_err();
    assert!(matches!(&missing, Error::Stream(e) if e.kind() == std::io::ErrorKind::NotFound), "{missing:?}");
    let mut full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let document = translator(&fixture_model()).unwrap().translate_document("भारत एक देश है।").unwrap();
    assert!(matches!(document.write(&mut full, Format::Text), Err(Error::Stream(_))));
}
