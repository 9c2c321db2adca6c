//! Bad model files, absurd settings and odd folders, tried through the real binary as a user would:
//! each gets exit 0 with correct output or exit 1/2 with one clear line naming the file, field or path
//! — never a crash, a hang, lost work, or exit 0 with empty or stale output. One test per problem,
//! named after it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `anuvad` with `args` offline, with an empty Hugging Face home.
fn anuvad(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anuvad"))
        .args(args)
        .env("HF_HOME", home)
        .env("HF_HUB_OFFLINE", "1")
        .env_remove("HF_HUB_CACHE")
        .output()
        .expect("anuvad runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A copy of a fixture model in `dir`, with `edit` applied to the named JSON file.
fn edited_model(dir: &Path, model: &str, file: &str, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let copy = dir.join(model);
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(root().join("models").join(model)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    let path = copy.join(file);
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut json);
    std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    copy
}

/// Translates one sentence with `model`; the output must be a failure with exit 2 whose message names
/// every one of `named`.
fn assert_refused(model: &Path, extra: &[&str], named: &[&str]) {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in.txt");
    std::fs::write(&input, "भारत एक विशाल देश है।\n").unwrap();
    let mut args = vec!["translate", "--model", model.to_str().unwrap(), input.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = anuvad(&args, home.path());
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(output.stdout.is_empty());
    for name in named {
        assert!(message.contains(name), "the message should name `{name}`: {message}");
    }
    assert!(!message.contains("panicked") && !message.contains("memory allocation"), "{message}");
    assert_eq!(message.trim().lines().count(), 1, "one clear line: {message}");
}

#[test]
fn huge_max_position_embeddings_is_refused_not_allocated() {
    let dir = tempfile::tempdir().unwrap();
    for value in [serde_json::json!(1_000_000_000_000u64), serde_json::json!(u64::MAX)] {
        let model = edited_model(dir.path(), "tiny-marian-hi-en", "config.json", |c| {
            c["max_position_embeddings"] = value.clone()
        });
        assert_refused(&model, &[], &["config.json", "max_position_embeddings"]);
    }
}

#[test]
fn max_position_embeddings_too_small_to_translate_is_refused_not_blank() {
    let dir = tempfile::tempdir().unwrap();
    let model = edited_model(dir.path(), "tiny-marian-hi-en", "config.json", |c| {
        c["max_position_embeddings"] = 1.into()
    });
    assert_refused(&model, &[], &["config.json", "max_position_embeddings is 1"]);
}

#[test]
fn pad_token_id_beyond_the_vocabulary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model =
        edited_model(dir.path(), "tiny-nllb", "config.json", |c| c["pad_token_id"] = 4_000_000_000u64.into());
    assert_refused(&model, &[], &["config.json", "pad_token_id"]);
}

#[test]
fn zero_feed_forward_width_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model =
        edited_model(dir.path(), "tiny-marian-hi-en", "config.json", |c| c["encoder_ffn_dim"] = 0.into());
    assert_refused(&model, &[], &["config.json", "encoder_ffn_dim"]);
}

#[test]
fn a_million_beams_in_generation_config_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = edited_model(dir.path(), "tiny-marian-hi-en", "generation_config.json", |c| {
        c["num_beams"] = 1_000_000.into()
    });
    assert_refused(&model, &[], &["generation_config.json", "num_beams"]);
}

#[test]
fn forced_bos_outside_the_vocabulary_is_refused_not_empty_output() {
    let dir = tempfile::tempdir().unwrap();
    let model = edited_model(dir.path(), "tiny-marian-hi-en", "generation_config.json", |c| {
        c["forced_bos_token_id"] = 99_999_999.into()
    });
    assert_refused(&model, &[], &["generation_config.json", "forced_bos_token_id"]);
}

#[test]
fn absurd_beam_option_is_refused_before_loading() {
    let model = root().join("models/tiny-marian-hi-en");
    assert_refused(&model, &["--beam", "100000"], &["beam size is 100000"]);
}

#[test]
fn huge_max_new_tokens_does_not_wrap() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in.txt");
    std::fs::write(&input, "भारत एक विशाल देश है।\n").unwrap();
    let model = root().join("models/tiny-marian-hi-en");
    let args = [
        "translate",
        "--model",
        model.to_str().unwrap(),
        "--max-new-tokens",
        "18446744073709551615",
        "--beam",
        "1",
        input.to_str().unwrap(),
    ];
    let output = anuvad(&args, home.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!String::from_utf8_lossy(&output.stdout).trim().is_empty());
}

#[test]
fn thousands_of_threads_are_capped_with_a_warning() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in.txt");
    std::fs::write(&input, "भारत एक विशाल देश है।\n").unwrap();
    let model = root().join("models/tiny-marian-hi-en");
    let args =
        ["translate", "--model", model.to_str().unwrap(), "--threads", "4000", input.to_str().unwrap()];
    let output = anuvad(&args, home.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("--threads 4000 is more than this machine's"), "{}", stderr(&output));
}

#[test]
fn a_pickle_that_calls_os_system_is_refused_by_name() {
    // Checkpoints whose pickle asks for `os.system` (nothing is ever executed; the refusal says why),
    // in PyTorch's zip format and in its legacy format.
    // Pickle protocol 2: GLOBAL os.system, the argument "true", TUPLE1, REDUCE, STOP.
    let attack: &[u8] = b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.";
    let dir = tempfile::tempdir().unwrap();
    let model = edited_model(dir.path(), "tiny-marian-hi-en", "config.json", |_| {});
    std::fs::remove_file(model.join("model.safetensors")).unwrap();
    let mut zipped = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zipped.start_file("archive/data.pkl", stored).unwrap();
    std::io::Write::write_all(&mut zipped, attack).unwrap();
    std::fs::write(model.join("pytorch_model.bin"), zipped.finish().unwrap().into_inner()).unwrap();
    assert_refused(&model, &[], &["pytorch_model.bin", "os.system"]);

    // Legacy: the magic number, the protocol version (1001), system info, then the "state dict".
    let mut legacy = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.".to_vec();
    legacy.extend_from_slice(b"\x80\x02M\xe9\x03.");
    legacy.extend_from_slice(b"\x80\x02}q\x00.");
    legacy.extend_from_slice(attack);
    std::fs::write(model.join("pytorch_model.bin"), legacy).unwrap();
    assert_refused(&model, &[], &["pytorch_model.bin", "os.system"]);
}

#[test]
fn unwritable_output_fails_before_any_translation() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in.txt");
    std::fs::write(&input, "भारत एक विशाल देश है।\n").unwrap();
    let blocker = home.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let model = root().join("models/tiny-marian-hi-en");
    let target = blocker.join("out.txt");
    let args = [
        "translate",
        "--model",
        model.to_str().unwrap(),
        "-o",
        target.to_str().unwrap(),
        input.to_str().unwrap(),
    ];
    let output = anuvad(&args, home.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("out.txt") && stderr(&output).contains("cannot write"),
        "{}",
        stderr(&output)
    );
}

#[cfg(unix)]
#[test]
fn closed_or_full_stdout_is_an_error_and_a_closed_pipe_is_not() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in.txt");
    std::fs::write(&input, "भारत एक विशाल देश है।\n").unwrap();
    let model = root().join("models/tiny-marian-hi-en");
    let binary = env!("CARGO_BIN_EXE_anuvad");
    let run = |redirect: &str| {
        let script = format!(
            "HF_HUB_OFFLINE=1 HF_HOME={} '{binary}' translate --model '{}' '{}' {redirect}",
            home.path().display(),
            model.display(),
            input.display()
        );
        Command::new("sh").arg("-c").arg(script).stderr(Stdio::piped()).output().unwrap()
    };
    let closed = run(">&-");
    assert_eq!(closed.status.code(), Some(2), "{}", stderr(&closed));
    assert!(stderr(&closed).contains("standard output"), "{}", stderr(&closed));
    if Path::new("/dev/full").exists() {
        let full = run("> /dev/full");
        assert_eq!(full.status.code(), Some(2), "{}", stderr(&full));
        assert!(stderr(&full).contains("standard output"), "{}", stderr(&full));
    }
    let piped = run("| head -c 0");
    assert!(piped.status.success(), "a reader that stops early is not an error: {}", stderr(&piped));
    assert!(run("> /dev/null").status.success());
}

// --- batch: folders -------------------------------------------------------------------------------

fn batch(input: &Path, output: &Path, extra: &[&str], home: &Path) -> Output {
    let model = root().join("models/tiny-marian-hi-en");
    let mut args = vec![
        "batch",
        input.to_str().unwrap(),
        output.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--beam",
        "1",
    ];
    args.extend_from_slice(extra);
    anuvad(&args, home)
}

fn write_inputs(dir: &Path, count: usize) {
    for i in 0..count {
        std::fs::write(
            dir.join(format!("article{i:02}.txt")),
            format!("भारत एक विशाल देश है। यह {i} वां लेख है।\n"),
        )
        .unwrap();
    }
}

#[test]
fn output_folder_equal_to_or_holding_the_input_folder_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in");
    std::fs::create_dir_all(input.join("sub")).unwrap();
    write_inputs(&input, 2);
    let same = batch(&input, &input, &[], home.path());
    assert_eq!(same.status.code(), Some(2));
    assert!(stderr(&same).contains("is the input folder"), "{}", stderr(&same));
    let inner = input.join("sub");
    let holding = batch(&inner, &input, &[], home.path());
    assert_eq!(holding.status.code(), Some(2));
    assert!(stderr(&holding).contains("holds the input folder"), "{}", stderr(&holding));
}

#[test]
fn a_missing_input_folder_creates_no_output_folder() {
    let home = tempfile::tempdir().unwrap();
    let output = home.path().join("out");
    let result = batch(&home.path().join("no-such-folder"), &output, &[], home.path());
    assert_eq!(result.status.code(), Some(2));
    assert!(stderr(&result).contains("no-such-folder"), "{}", stderr(&result));
    assert!(!output.exists());
}

#[cfg(unix)]
#[test]
fn link_loops_and_dangling_links_fail_alone_and_the_rest_is_translated() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in");
    std::fs::create_dir_all(input.join("deep")).unwrap();
    write_inputs(&input, 3);
    std::os::unix::fs::symlink("..", input.join("deep/loop")).unwrap();
    std::os::unix::fs::symlink("missing.txt", input.join("dangling.txt")).unwrap();
    let output = home.path().join("out");
    let result = batch(&input, &output, &[], home.path());
    let message = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{message}");
    assert!(message.contains("loop") && message.contains("dangling"), "{message}");
    for i in 0..3 {
        assert!(output.join(format!("article{i:02}.en.txt")).exists(), "{message}");
    }
}

#[test]
fn a_live_runs_temporary_files_survive_another_run_starting() {
    // Another run's temporary: old (its writer started long ago) but locked, as a live writer holds
    // it. The old code deleted every temporary at start, and the writer then failed its file.
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    write_inputs(&input, 2);
    let output = home.path().join("out");
    std::fs::create_dir_all(&output).unwrap();
    let live = output.join(".anuvad-live-writer.tmp");
    let abandoned = output.join(".anuvad-killed-writer.tmp");
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let held = std::fs::File::create(&live).unwrap();
    held.lock().unwrap();
    held.set_modified(long_ago).unwrap();
    std::fs::File::create(&abandoned).unwrap().set_modified(long_ago).unwrap();
    let result = batch(&input, &output, &[], home.path());
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(live.exists(), "a live run's temporary was deleted");
    assert!(!abandoned.exists(), "a killed run's temporary was left behind");
    drop(held);
}

#[test]
fn shards_and_duplicate_runs_into_one_folder_all_finish_complete() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    write_inputs(&input, 40);
    let output = home.path().join("out");
    let model = root().join("models/tiny-marian-hi-en");
    let spawn = |extra: &[&str]| {
        let mut args = vec![
            "batch".to_string(),
            input.display().to_string(),
            output.display().to_string(),
            "--model".into(),
            model.display().to_string(),
            "--beam".into(),
            "1".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Command::new(env!("CARGO_BIN_EXE_anuvad"))
            .args(args)
            .env("HF_HOME", home.path())
            .env("HF_HUB_OFFLINE", "1")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Two shards and a duplicate of the first, all at once.
    let runs = [spawn(&["--shard", "0/2"]), spawn(&["--shard", "1/2"]), spawn(&["--shard", "0/2"])];
    for run in runs {
        let result = run.wait_with_output().unwrap();
        assert!(result.status.success(), "{}", stderr(&result));
    }
    for i in 0..40 {
        let path = output.join(format!("article{i:02}.en.txt"));
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(!text.trim().is_empty(), "{} incomplete", path.display());
    }
    let leftovers: Vec<_> = std::fs::read_dir(&output)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    // And everything is recorded: a rerun has nothing to do.
    let again = batch(&input, &output, &[], home.path());
    assert!(stderr(&again).contains("0 translated, 40 skipped"), "{}", stderr(&again));
}

#[test]
fn a_changed_generation_setting_retranslates_and_says_why() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    write_inputs(&input, 2);
    let output = home.path().join("out");
    let model = edited_model(home.path(), "tiny-marian-hi-en", "generation_config.json", |_| {});
    let run = |model: &Path| {
        let args =
            ["batch", input.to_str().unwrap(), output.to_str().unwrap(), "--model", model.to_str().unwrap()];
        anuvad(&args, home.path())
    };
    assert!(run(&model).status.success());
    let unchanged = run(&model);
    assert!(stderr(&unchanged).contains("0 translated, 2 skipped"), "{}", stderr(&unchanged));
    let path = model.join("generation_config.json");
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    json["no_repeat_ngram_size"] = 2.into();
    std::fs::write(&path, json.to_string()).unwrap();
    let changed = run(&model);
    let message = stderr(&changed);
    assert!(message.contains("2 translated, 0 skipped"), "{message}");
    assert!(message.contains("no_repeat_ngram_size"), "the run says what changed: {message}");
}

#[test]
fn the_model_folder_spelled_another_way_is_the_same_model() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    write_inputs(&input, 2);
    let output = home.path().join("out");
    let model = edited_model(home.path(), "tiny-marian-hi-en", "config.json", |_| {});
    let spellings =
        [model.display().to_string(), format!("{}/", model.display()), format!("{}/./", model.display())];
    for (i, spelling) in spellings.iter().enumerate() {
        let args = ["batch", input.to_str().unwrap(), output.to_str().unwrap(), "--model", spelling];
        let result = anuvad(&args, home.path());
        let expected = if i == 0 { "2 translated, 0 skipped" } else { "0 translated, 2 skipped" };
        assert!(stderr(&result).contains(expected), "{spelling}: {}", stderr(&result));
    }
}

#[test]
fn an_empty_input_folder_says_no_files_matched() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    let result = batch(&input, &home.path().join("out"), &[], home.path());
    assert!(result.status.success());
    assert!(stderr(&result).contains("no files matched"), "{}", stderr(&result));
}

#[test]
fn vocabulary_ids_beyond_the_embedding_table_are_refused_at_load_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = edited_model(dir.path(), "tiny-marian-hi-en", "vocab.json", |vocab| {
        vocab["▁huge"] = 4_000_000_000u64.into();
    });
    assert_refused(&model, &[], &["vocab.json", "token id 4000000000"]);
}

/// IndicTrans2 (#21) goes through the same validation: its config's sizes through the same limits (both
/// position tables, both vocabularies), the source dictionary's ids against the encoder's embedding
/// rows, the generation ids against the decoder's vocabulary, and the target dictionary's ids before
/// its table is allocated.
#[test]
fn indictrans2_files_are_validated_like_the_other_families() {
    let dir = tempfile::tempdir().unwrap();
    let model = "tiny-indictrans2";
    for (field, value) in [
        ("max_target_positions", serde_json::json!(1_000_000_000_000u64)),
        ("max_source_positions", serde_json::json!(0)),
        ("encoder_vocab_size", serde_json::json!(u64::MAX)),
        ("decoder_embed_dim", serde_json::json!(48)),
        ("encoder_attention_heads", serde_json::json!(5)),
    ] {
        let edited = edited_model(dir.path(), model, "config.json", |c| c[field] = value.clone());
        assert_refused(&edited, &[], &["config.json", field]);
    }
    let edited = edited_model(dir.path(), model, "dict.SRC.json", |d| d["▁huge"] = 4_000_000_000u64.into());
    assert_refused(&edited, &[], &["dict.SRC.json", "token id 4000000000"]);
    let edited = edited_model(dir.path(), model, "dict.TGT.json", |d| d["▁huge"] = 4_000_000_000u64.into());
    assert_refused(&edited, &[], &["dict.TGT.json"]);
    let edited =
        edited_model(dir.path(), model, "generation_config.json", |g| g["eos_token_id"] = 5000.into());
    assert_refused(&edited, &[], &["generation_config.json", "eos_token_id 5000"]);
}
