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

/// The line ending of each line of `text` ("" for a last line without one).
fn line_endings(text: &str) -> Vec<&'static str> {
    text.split_inclusive('\n')
        .map(|line| {
            if line.ends_with("\r\n") {
                "\r\n"
            } else if line.ends_with('\n') {
                "\n"
            } else {
                ""
            }
        })
        .collect()
}

#[test]
fn translate_text_keeps_the_sample_articles_lines_and_crlf() {
    // The sample's fourth line ends with a comma, so its sentence goes on over the fifth line: before,
    // the two were written as one line and every later line was off by one.
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string(article()).unwrap();
    let crlf = sample.repeat(3).replace('\n', "\r\n");
    let model = tiny_model();
    for (name, input) in [("lf.txt", sample.clone()), ("crlf.txt", crlf)] {
        let path = dir.path().join(name);
        std::fs::write(&path, &input).unwrap();
        let text = stdout(&anuvad(
            &["translate", "--model", &model, "--beam", "1", path.to_str().unwrap()],
            home.path(),
        ));
        assert_eq!(
            line_endings(&text),
            line_endings(&input),
            "{name}: one line per input line, same endings"
        );
        let starts: Vec<usize> = anuvad::segment(&input)
            .iter()
            .flat_map(|p| p.sentences.iter().map(|s| input[..s.span.start].matches('\n').count()))
            .collect();
        for (number, (input_line, output_line)) in input.split('\n').zip(text.split('\n')).enumerate() {
            let output_line = output_line.trim_end_matches('\r');
            assert_eq!(
                output_line.is_empty(),
                !starts.contains(&number),
                "{name} line {number}: translated exactly where a sentence starts ({input_line:?} -> {output_line:?})"
            );
        }
    }
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
    assert!(stderr.contains(anuvad::DEFAULT_MODEL), "names the model: {stderr}");
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
        assert_eq!(&input[start..end], record["source"].as_str().unwrap());
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

/// IndicTrans2 through the binary (#21): every sentence of the sample article that the fixture generator
/// also ran alone through the reference pipeline (IndicProcessor, tokenizer, `generate` with beam 5,
/// decoding, postprocessing) comes out as the reference's text, at the default beam and batch size.
#[test]
fn indictrans2_translates_as_the_reference_pipeline() {
    let home = tempfile::tempdir().unwrap();
    let dir = root().join("models/tiny-indictrans2").display().to_string();
    let reference = root().join("tests/fixtures/reference/tiny-indictrans2");
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(reference.join("meta.json")).unwrap()).unwrap();
    let lines: Vec<&str> =
        meta["sentences"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    let beam = std::fs::read_to_string(reference.join("beam5.jsonl")).unwrap();
    // Each line's reference text, and those of its other placeholder numberings (see #27.2).
    let mut expected: std::collections::HashMap<&str, Vec<String>> = Default::default();
    for record in beam.lines().map(|line| serde_json::from_str::<Value>(line).unwrap()) {
        let line = lines[record["index"].as_u64().unwrap() as usize];
        let variants = record["seed_variants"].as_array().cloned().unwrap_or_default();
        let texts =
            std::iter::once(&record).chain(&variants).map(|r| r["text"].as_str().unwrap().to_string());
        expected.entry(line).or_default().extend(texts);
    }
    let article_path = article();
    let output = stdout(&anuvad(
        &["translate", "--model", &dir, "-f", "jsonl", article_path.to_str().unwrap()],
        home.path(),
    ));
    let mut compared = 0;
    for record in output.lines().map(|line| serde_json::from_str::<Value>(line).unwrap()) {
        if let Some(texts) = expected.get(record["source"].as_str().unwrap()) {
            let translation = record["translation"].as_str().unwrap();
            assert!(
                texts.iter().any(|t| t == translation),
                "{}: {translation:?}, reference {texts:?}",
                record["source"]
            );
            compared += 1;
        }
    }
    assert!(compared >= 10, "only {compared} article sentences are fixture lines");

    // `batch` gives the same file.
    let folder = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    std::fs::copy(&article_path, folder.path().join("article.txt")).unwrap();
    let batch = ["batch", folder.path().to_str().unwrap(), out.path().to_str().unwrap(), "--model", &dir];
    stdout(&anuvad(&[&batch[..], &["-f", "jsonl"]].concat(), home.path()));
    assert_eq!(std::fs::read_to_string(out.path().join("article.jsonl")).unwrap(), output);
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

#[test]
fn version_names_the_features_and_the_cpu_path() {
    let home = tempfile::tempdir().unwrap();
    let version = stdout(&anuvad(&["-V"], home.path()));
    assert!(version.starts_with(&format!("anuvad {}", env!("CARGO_PKG_VERSION"))), "{version}");
    assert!(version.contains("features: ") && version.contains("CPU path: "), "{version}");
}

#[test]
fn help_groups_the_options_and_shows_examples() {
    let home = tempfile::tempdir().unwrap();
    let help = stdout(&anuvad(&["translate", "--help"], home.path()));
    for heading in ["Model:", "Decoding:", "Performance:", "Output:", "Examples:"] {
        assert!(help.contains(heading), "no {heading} in\n{help}");
    }
    let download = stdout(&anuvad(&["download", "--help"], home.path()));
    assert!(!download.contains("--source-lang") && !download.contains("--target-lang"), "{download}");
}

#[test]
fn quiet_leaves_stderr_empty_and_verbose_says_what_was_used() {
    let home = tempfile::tempdir().unwrap();
    let model = tiny_model();
    let article = article();
    let run = |flag: &str| {
        let mut args = vec!["translate", "--model", &model, "--beam", "1", article.to_str().unwrap()];
        if !flag.is_empty() {
            args.insert(1, flag);
        }
        let output = anuvad(&args, home.path());
        assert!(output.status.success());
        String::from_utf8(output.stderr).unwrap()
    };
    let normal = run("");
    assert!(normal.contains("sentences flagged") || normal.contains("sentences checked"), "{normal}");
    assert_eq!(run("--quiet"), "");
    let verbose = run("--verbose");
    assert!(verbose.contains("model.safetensors") && verbose.contains("CPU path"), "{verbose}");
    assert!(verbose.contains("device cpu") && verbose.contains("threads"), "{verbose}");
}

/// Runs `anuvad` with stderr on a pseudo-terminal (80 columns) and returns what it drew there.
#[cfg(target_os = "linux")]
fn anuvad_on_a_terminal(args: &[&str], home: &Path) -> String {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    let (mut leader, mut follower) = (0, 0);
    let size = libc::winsize { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: openpty writes two new file descriptors into the two integers; the rest may be null or
    // point to a valid winsize.
    let opened =
        unsafe { libc::openpty(&mut leader, &mut follower, std::ptr::null_mut(), std::ptr::null(), &size) };
    assert_eq!(opened, 0, "openpty failed");
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    let (mut leader, follower) =
        unsafe { (std::fs::File::from_raw_fd(leader), std::fs::File::from_raw_fd(follower)) };
    let mut child = Command::new(env!("CARGO_BIN_EXE_anuvad"))
        .args(args)
        .env("HF_HOME", home)
        .env("HF_HUB_OFFLINE", "1")
        .env("TERM", "xterm")
        .stdout(std::process::Stdio::null())
        .stderr(follower)
        .spawn()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
    let mut drawn = Vec::new();
    // With the child gone and our copy of the follower dropped, reading ends in EIO after the last byte.
    let _ = leader.read_to_end(&mut drawn);
    String::from_utf8_lossy(&drawn).into_owned()
}

#[test]
#[cfg(target_os = "linux")]
fn translate_shows_progress_on_a_terminal_only() {
    let home = tempfile::tempdir().unwrap();
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("long.txt");
    std::fs::write(&long, std::fs::read_to_string(article()).unwrap().repeat(4)).unwrap();
    let args = ["translate", "--model", &model, "--beam", "1", "--batch-size", "4", long.to_str().unwrap()];
    let drawn = anuvad_on_a_terminal(&args, home.path());
    assert!(drawn.contains("sentences (") && drawn.contains("/s)") && drawn.contains("ETA"), "{drawn:?}");
    let quiet = anuvad_on_a_terminal(&[&["--quiet"], &args[..]].concat(), home.path());
    assert_eq!(quiet, "", "--quiet draws nothing");
    let piped = anuvad(&args, home.path());
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("ETA"), "no bar when stderr is not a terminal");
}
