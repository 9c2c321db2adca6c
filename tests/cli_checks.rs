//! The checks through the real binary: `flags` in `translate` and `batch` output, the summary line
//! that ends stderr, `--strict`, `--repair`, and `anuvad check` on JSONL from anywhere.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model(name: &str) -> String {
    root().join("models").join(name).display().to_string()
}

fn article() -> String {
    root().join("models/samples/article-hi.txt").display().to_string()
}

/// Runs `anuvad` with `args` (and `stdin`, if given) offline with an empty Hugging Face home.
fn anuvad(args: &[&str], stdin: Option<&str>) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_anuvad"))
        .args(args)
        .env("HF_HOME", home.path())
        .env("HF_HUB_OFFLINE", "1")
        .env_remove("HF_HUB_CACHE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("anuvad runs");
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn last_line(bytes: &[u8]) -> String {
    text(bytes).lines().last().unwrap_or_default().to_string()
}

fn records(jsonl: &str) -> Vec<Value> {
    jsonl.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

/// The summary line the records call for, counted here from the records themselves.
fn expected_summary(records: &[Value]) -> String {
    let kinds = ["number", "verbatim", "loop", "length", "untranslated", "empty"];
    let flagged = records.iter().filter(|r| !r["flags"].as_array().unwrap().is_empty()).count();
    let mut line = format!("anuvad: {flagged} of {} sentences flagged", records.len());
    let counts: Vec<String> = kinds
        .iter()
        .filter_map(|kind| {
            let n = records
                .iter()
                .filter(|r| r["flags"].as_array().unwrap().iter().any(|f| f["kind"] == *kind))
                .count();
            (n > 0).then(|| format!("{n} {kind}"))
        })
        .collect();
    if !counts.is_empty() {
        line += &format!(": {}", counts.join(", "));
    }
    let repaired = records.iter().filter(|r| r.get("repaired").is_some()).count();
    if repaired > 0 {
        line += &format!("; {repaired} repaired");
    }
    line
}

fn check_spans(record: &Value) {
    let source = record["source"].as_str().unwrap();
    for flag in record["flags"].as_array().unwrap() {
        assert!(flag["kind"].is_string() && flag["message"].is_string(), "{flag}");
        let (start, end) = (flag["start"].as_u64().unwrap() as usize, flag["end"].as_u64().unwrap() as usize);
        assert!(source.get(start..end).is_some(), "{flag} is a span of {source}");
    }
}

#[test]
fn translate_jsonl_records_carry_flags_and_stderr_ends_with_the_summary() {
    let tiny = model("tiny-marian-variant");
    let article = article();
    let output = anuvad(&["translate", "--model", &tiny, "-f", "jsonl", &article], None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let records = records(&text(&output.stdout));
    assert_eq!(records.len(), 18);
    for record in &records {
        check_spans(record);
    }
    // The random-weight model's outputs are Devanagari gibberish that loops: flagged.
    assert!(records.iter().any(|r| r["flags"].as_array().unwrap().iter().any(|f| f["kind"] == "loop")));
    assert_eq!(last_line(&output.stderr), expected_summary(&records));
}

#[test]
fn strict_exits_1_when_anything_is_flagged_and_text_output_stays_clean() {
    let tiny = model("tiny-marian-hi-en");
    let article = article();
    let plain = anuvad(&["translate", "--model", &tiny, "--beam", "1", &article], None);
    let strict = anuvad(&["translate", "--model", &tiny, "--beam", "1", "--strict", &article], None);
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain.stderr));
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict.stderr));
    assert_eq!(plain.stdout, strict.stdout, "the output is written all the same");
    let english = text(&plain.stdout);
    assert!(!english.contains('⚠') && !english.contains("flag"), "text output has no marks");
    // Every Hindi sentence comes back unchanged from this fixture; the English last line is fine as is.
    assert!(
        last_line(&strict.stderr).starts_with("anuvad: 17 of 18 sentences flagged: "),
        "{}",
        text(&strict.stderr)
    );
}

#[test]
fn markdown_and_tsv_mark_flagged_rows() {
    let tiny = model("tiny-marian-hi-en");
    let article = article();
    let md = anuvad(&["translate", "--model", &tiny, "--beam", "1", "-f", "md", &article], None);
    let md = text(&md.stdout);
    assert!(md.starts_with("| Source | Translation | Check |\n| --- | --- | --- |\n"), "{md}");
    assert!(md.contains(" | ⚠ untranslated: translation is the source, unchanged |"), "{md}");
    // The last line is English already: its copy is its translation.
    assert!(md.contains("| With inputs from IANS | With inputs from IANS |  |"), "{md}");

    let tsv = anuvad(&["translate", "--model", &tiny, "--beam", "1", "-f", "tsv", &article], None);
    let tsv = text(&tsv.stdout);
    let mut lines = tsv.lines();
    assert_eq!(lines.next(), Some("paragraph\tsentence\tsource\ttranslation\tflags"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 18);
    for line in &rows[..17] {
        let flags = line.rsplit('\t').next().unwrap();
        assert!(
            flags.split(',').all(|k| ["untranslated", "verbatim", "number", "loop", "length"].contains(&k)),
            "{line}"
        );
        assert!(flags.contains("untranslated"), "{line}");
    }
    assert!(rows[17].ends_with("IANS\tWith inputs from IANS\t"), "{}", rows[17]);
}

/// At its default beam (6) the opus-mt-shaped fixture turns the article's English last line into
/// "With inputs fromm", losing "from" and "IANS"; decoding it again against repetition gives it back.
#[test]
fn repair_decodes_a_flagged_sentence_again_and_keeps_every_record() {
    let tiny = model("tiny-marian-hi-en");
    let article = article();
    let plain = anuvad(&["translate", "--model", &tiny, "-f", "jsonl", &article], None);
    let before = records(&text(&plain.stdout));
    let last = &before[17];
    assert_eq!(last["translation"], "With inputs fromm");
    assert!(last["flags"].as_array().unwrap().iter().all(|f| f["kind"] == "verbatim"));

    let output = anuvad(&["translate", "--model", &tiny, "--repair", "-f", "jsonl", &article], None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let records = records(&text(&output.stdout));
    assert_eq!(records.len(), 18);
    let repaired: Vec<&Value> = records.iter().filter(|r| r.get("repaired").is_some()).collect();
    assert_eq!(repaired.len(), 1);
    assert_eq!(repaired[0]["translation"], "With inputs from IANS");
    assert_eq!(
        repaired[0]["repaired"],
        "verbatim: decoded again with no_repeat_ngram_size 3, repetition_penalty 1.2"
    );
    assert_eq!(repaired[0]["flags"], Value::Array(Vec::new()));
    // The others could not be repaired: unchanged, flags and all.
    for (old, new) in before.iter().zip(&records).take(17) {
        assert_eq!(old, new);
    }
    assert_eq!(last_line(&output.stderr), expected_summary(&records));
    assert!(last_line(&output.stderr).ends_with("; 1 repaired"));
}

const CHECKED: &str = concat!(
    r#"{"id":"a","source":"उन्होंने 1,50,000 रुपये का जुर्माना भरा।","translation":"He paid a fine of Rs 150,000.","note":[1,2]}"#,
    "\n",
    r#"{"id":"b","source":"उन्होंने 1,50,000 रुपये का जुर्माना भरा।","translation":"He paid a fine of Rs 15,000."}"#,
    "\n\n",
    r#"{"id":"c","source":"देश आगे बढ़ेगा।","translation":"The country the country the country will grow.","flags":["old"]}"#,
    "\n",
);

#[test]
fn check_adds_flags_to_any_jsonl_and_keeps_everything_else() {
    let output = anuvad(&["check", "-"], Some(CHECKED));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "one record per input record, blank lines dropped");
    assert_eq!(
        lines[0],
        r#"{"id":"a","source":"उन्होंने 1,50,000 रुपये का जुर्माना भरा।","translation":"He paid a fine of Rs 150,000.","note":[1,2],"flags":[]}"#
    );
    let records = records(&out);
    assert_eq!(records[1]["flags"][0]["kind"], "number");
    assert_eq!(
        records[1]["flags"][0]["message"],
        "“1,50,000” (150000) is “15,000” (15000) in the translation"
    );
    // An old "flags" member is replaced where it was.
    assert!(lines[2].starts_with(r#"{"id":"c","source":"देश आगे बढ़ेगा।","translation":"#), "{}", lines[2]);
    assert_eq!(records[2]["flags"][0]["kind"], "loop");
    assert_eq!(last_line(&output.stderr), "anuvad: 2 of 3 sentences flagged: 1 number, 1 loop");
    assert_eq!(last_line(&output.stderr), expected_summary(&records));

    let strict = anuvad(&["check", "--strict", "-"], Some(CHECKED));
    assert_eq!(strict.status.code(), Some(1));
    let clean = anuvad(&["check", "--strict", "-"], Some(CHECKED.lines().next().unwrap()));
    assert_eq!(clean.status.code(), Some(0));
    assert_eq!(last_line(&clean.stderr), "anuvad: 0 of 1 sentence flagged");
}

#[test]
fn check_md_is_a_table_for_people() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("translations.jsonl");
    std::fs::write(&input, CHECKED).unwrap();
    let out = dir.path().join("report.md");
    let output = anuvad(&["check", "-f", "md", "-o", out.to_str().unwrap(), input.to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
    let md = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = md.lines().collect();
    assert_eq!(rows[0], "| Line | Source | Translation | Check |");
    assert_eq!(rows.len(), 5);
    assert!(rows[2].starts_with("| 1 | ") && rows[2].ends_with(" |  |"), "{}", rows[2]);
    assert!(rows[3].starts_with("| 2 | ") && rows[3].contains("| ⚠ number: “1,50,000”"), "{}", rows[3]);
    assert!(rows[4].starts_with("| 4 | "), "line numbers are the input's: {}", rows[4]);
}

fn bad_input(input: &str, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.jsonl");
    std::fs::write(&path, input).unwrap();
    let output = anuvad(&["check", path.to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(2), "{input}");
    assert!(output.stdout.is_empty(), "nothing is written for bad input");
    let message = text(&output.stderr);
    assert!(message.contains(&format!("{}:{expected}", path.display())), "{message}");
}

#[test]
fn check_names_the_file_and_line_of_bad_input_and_exits_2() {
    let good = CHECKED.lines().next().unwrap();
    bad_input(&format!("{good}\nnot json\n"), "2: not a JSON object");
    bad_input(&format!("{good}\n[1, 2]\n"), "2: not a JSON object");
    bad_input("\n\n{\"source\": \"x\"}\n", "3: the record has no \"translation\"");
    bad_input("{\"source\": \"x\", \"translation\": null}\n", "1: \"translation\" is not a string but null");
    let output = anuvad(&["check", "/no/such/file.jsonl"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("/no/such/file.jsonl: cannot read"));
}

#[test]
fn check_on_translate_output_gives_the_same_flags() {
    let tiny = model("tiny-marian-variant");
    let article = article();
    let translated = anuvad(&["translate", "--model", &tiny, "-f", "jsonl", &article], None);
    let jsonl = text(&translated.stdout);
    let checked = anuvad(&["check", "-"], Some(&jsonl));
    assert_eq!(checked.status.code(), Some(0));
    assert_eq!(text(&checked.stdout), jsonl, "check writes translate's records back unchanged");
    assert_eq!(last_line(&checked.stderr), last_line(&translated.stderr));
}

#[test]
fn batch_outputs_carry_flags_and_strict_fails_the_run() {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    std::fs::write(input.path().join("a.txt"), "पहला वाक्य। दूसरा वाक्य।\n").unwrap();
    std::fs::write(input.path().join("b.txt"), "तीसरा वाक्य।\n").unwrap();
    let tiny = model("tiny-marian-hi-en");
    let run = |extra: &[&str], out: &Path| {
        let mut args = vec!["batch", input.path().to_str().unwrap(), out.to_str().unwrap(), "--model", &tiny];
        args.extend_from_slice(&["--beam", "1", "-f", "jsonl"]);
        args.extend_from_slice(extra);
        anuvad(&args, None)
    };
    let output = run(&[], out.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let mut all = Vec::new();
    for name in ["a.jsonl", "b.jsonl"] {
        all.extend(records(&std::fs::read_to_string(out.path().join(name)).unwrap()));
    }
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|r| r["flags"].is_array()));
    assert_eq!(last_line(&output.stderr), expected_summary(&all));

    let strict_out = tempfile::tempdir().unwrap();
    let strict = run(&["--strict"], strict_out.path());
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict.stderr));
    assert!(strict_out.path().join("a.jsonl").exists(), "outputs are written all the same");
}
