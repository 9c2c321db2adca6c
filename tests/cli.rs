//! End-to-end tests of the `anuvad` binary: real processes, temporary directories, the tiny fixture
//! model, no network.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tiny_model() -> String {
    root().join("models/tiny-marian-hi-en").display().to_string()
}

fn article() -> PathBuf {
    root().join("models/samples/article-hi.txt")
}

/// Runs `anuvad` with `args` in a clean environment: an empty Hugging Face home, offline.
fn anuvad(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anuvad"))
        .args(args)
        .env("HF_HOME", home)
        .env("HF_HUB_OFFLINE", "1")
        .env_remove("HF_HUB_CACHE")
        .output()
        .expect("anuvad runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "anuvad failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

#[test]
fn translate_jsonl_aligns_every_sentence_with_its_span() {
    let home = tempfile::tempdir().unwrap();
    let model = tiny_model();
    let article_path = article();
    let args = ["translate", "--model", &model, "--format", "jsonl", article_path.to_str().unwrap()];
    let first = stdout(&anuvad(&args, home.path()));
    let input = std::fs::read_to_string(&article_path).unwrap();
    let expected_sentences: usize = anuvad::segment(&input).iter().map(|p| p.sentences.len()).sum();

    let records: Vec<Value> = first.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(records.len(), expected_sentences, "one record per source sentence");
    let mut previous = (0u64, 0u64, 0u64);
    for (i, record) in records.iter().enumerate() {
        let (start, end) =
            (record["start"].as_u64().unwrap() as usize, record["end"].as_u64().unwrap() as usize);
        assert_eq!(
            &input[start..end],
            record["source"].as_str().unwrap(),
            "record {i}: span slices the input"
        );
        let position =
            (record["paragraph"].as_u64().unwrap(), record["sentence"].as_u64().unwrap(), start as u64);
        if i > 0 {
            let same_paragraph = position.0 == previous.0;
            assert!(
                (same_paragraph && position.1 == previous.1 + 1)
                    || (position.0 == previous.0 + 1 && position.1 == 0),
                "record {i}: paragraphs and sentences in order"
            );
            assert!(position.2 > previous.2, "record {i}: spans in order");
        }
        assert!(record["translation"].is_string() && record["score"].is_number());
        assert_eq!(record["split"], Value::Bool(false));
        previous = position;
    }
    let paragraphs = anuvad::segment(&input).len() as u64;
    assert_eq!(
        records.last().unwrap()["paragraph"].as_u64().unwrap() + 1,
        paragraphs,
        "every paragraph present"
    );

    let second = stdout(&anuvad(&args, home.path()));
    assert_eq!(first, second, "two runs give identical output");
}

#[test]
fn translate_text_keeps_one_line_per_paragraph() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "पहला वाक्य। दूसरा वाक्य।\nतीसरा वाक्य।\n\nचौथा वाक्य।\n").unwrap();
    let model = tiny_model();
    let text = stdout(&anuvad(
        &["translate", "--model", &model, "--beam", "1", input.to_str().unwrap()],
        home.path(),
    ));
    let lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(lines.len(), 5, "three lines, a blank one, a final newline: {text:?}");
    assert!(lines[2].is_empty() && lines[4].is_empty());
    assert!(!lines[0].is_empty() && !lines[1].is_empty() && !lines[3].is_empty());
}

#[test]
fn output_file_is_written() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.tsv");
    let model = tiny_model();
    let article_path = article();
    let args = [
        "translate",
        "-m",
        &model,
        "--beam",
        "1",
        "-f",
        "tsv",
        "-o",
        out.to_str().unwrap(),
        article_path.to_str().unwrap(),
    ];
    assert!(stdout(&anuvad(&args, home.path())).is_empty());
    let tsv = std::fs::read_to_string(&out).unwrap();
    assert!(tsv.starts_with("paragraph\tsentence\tsource\ttranslation\tflags\n"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
}

#[test]
fn model_missing_offline_exits_2_and_says_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let article_path = article();
    let output = anuvad(&["translate", article_path.to_str().unwrap()], home.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Helsinki-NLP/opus-mt-hi-en"), "names the model: {stderr}");
    assert!(stderr.contains(&home.path().join("hub").display().to_string()), "names the cache: {stderr}");
    assert!(
        stderr.contains("anuvad download") && stderr.contains("--model DIR"),
        "says the ways out: {stderr}"
    );
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one message: {stderr}");
}

#[test]
fn invalid_utf8_exits_1_naming_file_and_offset() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("latin1.txt");
    std::fs::write(&input, b"abc \xe9t\xe9\n").unwrap();
    let model = tiny_model();
    let output = anuvad(&["translate", "--model", &model, input.to_str().unwrap()], home.path());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("latin1.txt") && stderr.contains("byte offset 4"), "{stderr}");
}

#[test]
fn empty_input_gives_empty_output() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("empty.txt");
    std::fs::write(&input, "").unwrap();
    let output =
        anuvad(&["translate", "--model", "/nonexistent/model", input.to_str().unwrap()], home.path());
    assert_eq!(stdout(&output), "");
}

#[test]
fn missing_model_directory_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let article_path = article();
    let output =
        anuvad(&["translate", "--model", "./no/such/model", article_path.to_str().unwrap()], home.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no/such/model"));
}

#[test]
fn segment_jsonl_spans_slice_the_input() {
    let home = tempfile::tempdir().unwrap();
    let article_path = article();
    let text =
        stdout(&anuvad(&["segment", "--format", "jsonl", article_path.to_str().unwrap()], home.path()));
    let input = std::fs::read_to_string(&article_path).unwrap();
    for line in text.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let (start, end) =
            (record["start"].as_u64().unwrap() as usize, record["end"].as_u64().unwrap() as usize);
        assert_eq!(&input[start..end], record["text"].as_str().unwrap());
    }
}

#[test]
fn segment_text_lines_never_begin_with_a_combining_mark() {
    // Line breaks of every kind before vowel signs and marks, and a candrabindu after a danda (issue #29).
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("breaks.txt");
    let text = "राज्य सरकार ने न\u{2028}ी नीति बनाई। पा\u{0C}ं\u{85}च\u{0B}्य\u{2029}़ बैठक समाप्त हुई।\u{901}\nअगला\r\n\u{940}वाक्य।";
    std::fs::write(&input, text).unwrap();
    let output = stdout(&anuvad(&["segment", input.to_str().unwrap()], home.path()));
    let breaks = ['\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{2028}', '\u{2029}'];
    for line in output.split(breaks) {
        let first = line.chars().next();
        assert!(
            !first.is_some_and(|c| matches!(c, '\u{900}'..='\u{903}' | '\u{93A}'..='\u{94F}')),
            "{output:?}"
        );
    }
    // Nothing lost: the same characters but whitespace.
    let visible = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    assert_eq!(visible(&output), visible(text));
}

#[test]
fn an_overlong_sentence_is_split_with_a_warning_and_stays_one_record() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("long.txt");
    // One sentence of well over 512 tokens: clauses joined by commas, one danda at the end.
    let sentence = "सरकार ने आज कहा कि नई योजना से किसानों को लाभ होगा, ".repeat(60) + "और यह घोषणा दिल्ली में हुई।";
    std::fs::write(&input, format!("छोटा वाक्य।\n{sentence}\n")).unwrap();
    let model = tiny_model();
    let output = anuvad(
        &["translate", "--model", &model, "--beam", "1", "-f", "jsonl", input.to_str().unwrap()],
        home.path(),
    );
    let records: Vec<Value> = stdout(&output).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 2, "one record per source sentence");
    assert_eq!(records[0]["split"], Value::Bool(false));
    assert_eq!(records[1]["split"], Value::Bool(true));
    assert_eq!(records[1]["source"].as_str().unwrap(), sentence.trim_end());
    assert!(!records[1]["translation"].as_str().unwrap().is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("warning") && stderr.contains("paragraph 1, sentence 0"), "{stderr}");
}

#[test]
fn m2m100_family_models_work_through_translate_and_batch() {
    let home = tempfile::tempdir().unwrap();
    let article_path = article();
    let input = std::fs::read_to_string(&article_path).unwrap();
    let sentences: usize = anuvad::segment(&input).iter().map(|p| p.sentences.len()).sum();
    for model in ["tiny-nllb", "tiny-m2m100"] {
        let dir = root().join("models").join(model).display().to_string();
        let args =
            ["translate", "--model", &dir, "--beam", "2", "-f", "jsonl", article_path.to_str().unwrap()];
        let jsonl = stdout(&anuvad(&args, home.path()));
        assert_eq!(jsonl.lines().count(), sentences, "{model}");

        let folder = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        std::fs::copy(&article_path, folder.path().join("article.txt")).unwrap();
        let batch = ["batch", folder.path().to_str().unwrap(), out.path().to_str().unwrap(), "--model", &dir];
        let batch = anuvad(&[&batch[..], &["--beam", "2", "-f", "jsonl"]].concat(), home.path());
        stdout(&batch);
        assert_eq!(std::fs::read_to_string(out.path().join("article.jsonl")).unwrap(), jsonl, "{model}");
    }
}

#[test]
fn unknown_language_codes_are_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let dir = root().join("models/tiny-nllb").display().to_string();
    let article_path = article();
    let output = anuvad(
        &["translate", "--model", &dir, "--target-lang", "xx_Yyyy", article_path.to_str().unwrap()],
        home.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("xx_Yyyy"));
}

#[test]
fn quantize_int8_translates_every_sentence_or_names_the_missing_cpu_feature() {
    let home = tempfile::tempdir().unwrap();
    let model = tiny_model();
    let article_path = article();
    let args = [
        "translate",
        "--model",
        &model,
        "--format",
        "jsonl",
        "--quantize",
        "int8",
        article_path.to_str().unwrap(),
    ];
    let output = anuvad(&args, home.path());
    let input = std::fs::read_to_string(&article_path).unwrap();
    let expected_sentences: usize = anuvad::segment(&input).iter().map(|p| p.sentences.len()).sum();
    if output.status.success() {
        let records: Vec<Value> =
            stdout(&output).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        assert_eq!(records.len(), expected_sentences, "one record per source sentence");
        assert!(records.iter().all(|r| !r["translation"].as_str().unwrap().is_empty()));
    } else {
        // CPUs without int8 kernels (no AVX2 or NEON): a one-line error that says so, no panic.
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("int8 needs") && !stderr.contains("panicked"), "{stderr}");
    }
    let conflicting = ["translate", "--model", &model, "--quantize", "int8", "--dtype", "bf16", "-"];
    let output = anuvad(&conflicting, home.path());
    assert_eq!(output.status.code(), Some(2), "clap rejects --quantize with --dtype");
}
