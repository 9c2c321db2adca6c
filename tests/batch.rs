//! `anuvad batch` end to end: real processes on temporary folders with the tiny fixture model.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model() -> String {
    root().join("models/tiny-marian-hi-en").display().to_string()
}

/// Hindi paragraphs from the FLORES gold (one paragraph per line).
fn paragraphs() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("tests/data/segmentation/flores_dev_hi.jsonl")).unwrap();
    text.lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["text"].as_str().unwrap().to_string()
        })
        .collect()
}

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_anuvad"));
    command.args(args).env("HF_HUB_OFFLINE", "1").env("HF_HOME", root().join("target/no-hf-home"));
    command
}

fn batch(input: &Path, output: &Path, extra: &[&str]) -> Output {
    let model = model();
    let mut args =
        vec!["batch", input.to_str().unwrap(), output.to_str().unwrap(), "--model", &model, "--beam", "1"];
    args.extend_from_slice(extra);
    command(&args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every file under `dir` (relative paths), excluding the manifest.
fn files_under(dir: &Path) -> BTreeSet<String> {
    walk(dir)
        .into_iter()
        .map(|p| p.strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .filter(|p| !p.starts_with(".anuvad-manifest"))
        .collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_folder_with_bad_files_translates_the_good_ones_and_reports_the_bad() {
    let paragraphs = paragraphs();
    let input = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let nested = input.path().join("2024/june");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(input.path().join("a.txt"), paragraphs[..3].join("\n")).unwrap();
    std::fs::write(nested.join("b.md"), paragraphs[3..5].join("\n\n")).unwrap();
    std::fs::write(input.path().join("empty.txt"), "").unwrap();
    std::fs::write(input.path().join("notes.csv"), "not matched").unwrap();
    std::fs::write(nested.join("latin1.txt"), b"caf\xe9\n").unwrap();
    // About 1 MB: the gold paragraphs repeated.
    let mut big = String::new();
    while big.len() < 1_000_000 {
        big.push_str(&paragraphs[big.len() % paragraphs.len()]);
        big.push('\n');
    }
    std::fs::write(input.path().join("big.txt"), &big).unwrap();

    let run = batch(input.path(), output.path(), &[]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let message = stderr(&run);
    assert!(message.contains("latin1.txt") && message.contains("byte offset 3"), "{message}");
    assert!(message.contains("4 translated, 0 skipped, 1 failed"), "{message}");
    let expected: BTreeSet<String> = ["a.en.txt", "2024/june/b.en.txt", "empty.en.txt", "big.en.txt"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(files_under(output.path()), expected);
    // Complete outputs: one line per input paragraph line.
    let a = std::fs::read_to_string(output.path().join("a.en.txt")).unwrap();
    assert_eq!(a.lines().count(), 3);
    let big_out = std::fs::read_to_string(output.path().join("big.en.txt")).unwrap();
    assert_eq!(big_out.lines().count(), big.lines().count());
}

#[test]
fn reruns_skip_finished_files_until_an_input_changes_or_force() {
    let paragraphs = paragraphs();
    let input = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    for (i, paragraph) in paragraphs.iter().take(3).enumerate() {
        std::fs::write(input.path().join(format!("{i}.txt")), paragraph).unwrap();
    }
    let first = batch(input.path(), output.path(), &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stderr(&first).contains("3 translated, 0 skipped"), "{}", stderr(&first));

    let second = batch(input.path(), output.path(), &[]);
    assert!(second.status.success());
    assert!(stderr(&second).contains("0 translated, 3 skipped"), "{}", stderr(&second));

    // A newer input is translated again, and only it.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(input.path().join("1.txt"), &paragraphs[7]).unwrap();
    let third = batch(input.path(), output.path(), &[]);
    assert!(stderr(&third).contains("1 translated, 2 skipped"), "{}", stderr(&third));

    // Other settings are other outputs.
    let greedy_longer = batch(input.path(), output.path(), &["--max-new-tokens", "20"]);
    assert!(stderr(&greedy_longer).contains("3 translated, 0 skipped"), "{}", stderr(&greedy_longer));

    let forced = batch(input.path(), output.path(), &["--max-new-tokens", "20", "--force"]);
    assert!(stderr(&forced).contains("3 translated, 0 skipped"), "{}", stderr(&forced));
}

#[test]
fn batch_jsonl_equals_translate_jsonl() {
    let paragraphs = paragraphs();
    let input = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let text = paragraphs[10..14].join("\n");
    std::fs::write(input.path().join("one.txt"), &text).unwrap();
    std::fs::write(input.path().join("two.txt"), paragraphs[20..26].join("\n")).unwrap();
    let run = batch(input.path(), output.path(), &["--format", "jsonl"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let batch_jsonl = std::fs::read_to_string(output.path().join("one.jsonl")).unwrap();

    let model = model();
    let one = input.path().join("one.txt");
    let single =
        command(&["translate", "--model", &model, "--beam", "1", "--format", "jsonl", one.to_str().unwrap()])
            .output()
            .unwrap();
    assert!(single.status.success());
    // Identical records; only the score's last float digits may differ, because the batch holds other
    // sentences (matrix products of another shape round differently).
    let parse = |text: &str| -> Vec<serde_json::Value> {
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let (batched, alone) = (parse(&batch_jsonl), parse(&String::from_utf8(single.stdout).unwrap()));
    assert_eq!(batched.len(), alone.len());
    for (mut b, mut a) in batched.into_iter().zip(alone) {
        let (sb, sa) = (b["score"].as_f64().unwrap(), a["score"].as_f64().unwrap());
        assert!((sb - sa).abs() < 1e-5, "scores {sb} vs {sa}");
        b["score"] = serde_json::Value::Null;
        a["score"] = serde_json::Value::Null;
        assert_eq!(b, a);
    }
}

#[test]
fn shards_cover_every_file_once() {
    let input = tempfile::tempdir().unwrap();
    for i in 0..30 {
        let dir = input.path().join(format!("d{}", i % 4));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("f{i}.txt")), "नमस्ते।").unwrap();
    }
    let mut seen = Vec::new();
    for k in 0..3 {
        let output = tempfile::tempdir().unwrap();
        let shard = format!("{k}/3");
        let run = batch(input.path(), output.path(), &["--shard", &shard]);
        assert!(run.status.success(), "{}", stderr(&run));
        seen.extend(files_under(output.path()));
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), 30, "no file in two shards");
    assert_eq!(unique.len(), 30, "every file in a shard");
}

#[test]
fn an_output_folder_inside_the_input_is_not_read_back() {
    let input = tempfile::tempdir().unwrap();
    std::fs::write(input.path().join("a.txt"), "पहला वाक्य।").unwrap();
    let output = input.path().join("translated");
    for _ in 0..2 {
        let run = batch(input.path(), &output, &[]);
        assert!(run.status.success(), "{}", stderr(&run));
    }
    assert_eq!(files_under(&output), ["a.en.txt".to_string()].into_iter().collect());
}

#[test]
fn sigterm_stops_cleanly_and_a_rerun_finishes_the_rest() {
    let paragraphs = paragraphs();
    let input = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    for i in 0..40 {
        std::fs::write(input.path().join(format!("{i:02}.txt")), paragraphs[i * 5..i * 5 + 5].join("\n"))
            .unwrap();
    }
    let model = model();
    let mut child = command(&[
        "batch",
        input.path().to_str().unwrap(),
        output.path().to_str().unwrap(),
        "--model",
        &model,
        "--beam",
        "1",
        "--format",
        "jsonl",
        "--batch-size",
        "8",
    ])
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Stop it as soon as the first file is reported done.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("translated "), "{first}");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest:?}");
    assert!(rest.iter().any(|l| l.contains("Run the same command again")), "{rest:?}");

    let done = files_under(output.path());
    assert!(!done.is_empty() && done.len() < 40, "stopped mid-way: {} files done", done.len());
    for name in &done {
        assert!(name.ends_with(".jsonl"), "no temporary file left: {name}");
        // Each finished output is complete: one record per source sentence.
        let jsonl = std::fs::read_to_string(output.path().join(name)).unwrap();
        let source = std::fs::read_to_string(input.path().join(name.replace(".jsonl", ".txt"))).unwrap();
        let sentences: usize = anuvad::segment(&source).iter().map(|p| p.sentences.len()).sum();
        assert_eq!(jsonl.lines().count(), sentences, "{name}");
    }

    let rerun = batch(input.path(), output.path(), &["--format", "jsonl", "--batch-size", "8"]);
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    let summary = stderr(&rerun);
    assert!(
        summary.contains(&format!("{} translated, {} skipped", 40 - done.len(), done.len())),
        "{summary}"
    );
    assert_eq!(files_under(output.path()).len(), 40);
}
