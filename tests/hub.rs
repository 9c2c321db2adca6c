//! The Hugging Face download path end to end: the real `anuvad` binary against a local stand-in for the
//! hub (127.0.0.1 only), with an empty `HF_HOME`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::hub_server::{Behaviour, HubBuilder, HubServer};

const MAIN_COMMIT: &str = "1111111111111111111111111111111111111111";
const PR_COMMIT: &str = "2222222222222222222222222222222222222222";

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// `test/opus-tiny`: `main` has only `pytorch_model.bin` (like opus-mt-hi-en), `refs/pr/2` has
/// `model.safetensors` (like its safetensors pull request).
fn hub() -> HubBuilder {
    HubBuilder::default()
        .revision("test/opus-tiny", "main", MAIN_COMMIT, &models().join("tiny-marian-hi-en-bin"), &[])
        .revision("test/opus-tiny", "refs/pr/2", PR_COMMIT, &models().join("tiny-marian-hi-en"), &[])
}

fn anuvad(args: &[&str], home: &Path, server: Option<&HubServer>, offline: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_anuvad"));
    command.args(args).env("HF_HOME", home).env_remove("HF_HUB_CACHE").env_remove("HF_TOKEN");
    // With no server, point at a port nothing listens on: the hub is unreachable.
    let endpoint = server.map_or("http://127.0.0.1:9".to_string(), |s| s.endpoint.clone());
    command.env("HF_ENDPOINT", endpoint);
    if offline {
        command.env("HF_HUB_OFFLINE", "1");
    } else {
        command.env_remove("HF_HUB_OFFLINE");
    }
    command.output().unwrap()
}

fn ok(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn sample() -> String {
    "नई दिल्ली: सरकार ने नई नीति की घोषणा की। इससे किसानों को लाभ होगा।\n".to_string()
}

fn translate(model: &str, home: &Path, server: Option<&HubServer>, offline: bool) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, sample()).unwrap();
    anuvad(&["translate", "--model", model, "--beam", "2", input.to_str().unwrap()], home, server, offline)
}

fn local_translation(dir: &str) -> String {
    let home = tempfile::tempdir().unwrap();
    ok(&translate(models().join(dir).to_str().unwrap(), home.path(), None, true))
}

/// Files (not directories) under `dir`, relative.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn download_fills_the_standard_cache_and_offline_runs_use_it() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().start();
    let printed = ok(&anuvad(&["download", "--model", "test/opus-tiny"], home.path(), Some(&server), false));
    assert!(printed.contains(&format!("commit {MAIN_COMMIT}")), "{printed}");
    assert!(printed.contains("pytorch_model.bin"), "{printed}");

    // huggingface_hub's layout: refs/main holds the commit, snapshots/<commit>/ links into blobs/.
    let repo = home.path().join("hub/models--test--opus-tiny");
    assert_eq!(std::fs::read_to_string(repo.join("refs/main")).unwrap().trim(), MAIN_COMMIT);
    let files = tree(&repo);
    for name in [
        "config.json",
        "generation_config.json",
        "pytorch_model.bin",
        "source.spm",
        "target.spm",
        "vocab.json",
    ] {
        assert!(files.contains(&format!("snapshots/{MAIN_COMMIT}/{name}")), "{name} in {files:?}");
    }
    assert!(files.iter().any(|f| f.starts_with("blobs/")));
    assert!(!files.iter().any(|f| f.ends_with(".part")), "{files:?}");
    server.stop();

    let listed = ok(&anuvad(&["models"], home.path(), None, true));
    assert!(
        listed.contains("test/opus-tiny")
            && listed.contains("marian")
            && listed.contains("commit 111111111111"),
        "{listed}"
    );

    let expected = local_translation("tiny-marian-hi-en-bin");
    // Offline, from the cache.
    assert_eq!(ok(&translate("test/opus-tiny", home.path(), None, true)), expected);
    // Hub unreachable (not offline mode): falls back to the cache too.
    assert_eq!(ok(&translate("test/opus-tiny", home.path(), None, false)), expected);
}

#[test]
fn a_revision_is_fetched_as_asked() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().start();
    let printed =
        ok(&anuvad(&["download", "--model", "test/opus-tiny@refs/pr/2"], home.path(), Some(&server), false));
    assert!(
        printed.contains(&format!("commit {PR_COMMIT}")) && printed.contains("model.safetensors"),
        "{printed}"
    );
    assert!(!printed.contains("pytorch_model.bin"), "{printed}");
    let requests = server.requests.lock().unwrap().clone();
    assert!(requests.iter().any(|path| path.contains("/revision/refs%2Fpr%2F2")), "{requests:?}");
    let output = translate("test/opus-tiny@refs/pr/2", home.path(), Some(&server), false);
    assert_eq!(ok(&output), local_translation("tiny-marian-hi-en"));
    // The same revision with --revision.
    let printed = ok(&anuvad(
        &["download", "--model", "test/opus-tiny", "--revision", "refs/pr/2"],
        home.path(),
        Some(&server),
        false,
    ));
    assert!(printed.contains("model.safetensors"), "{printed}");
}

#[test]
fn an_unknown_model_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().start();
    let output = translate("test/no-such-model", home.path(), Some(&server), false);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("test/no-such-model") && message.contains("404"), "{message}");
}

#[test]
fn a_gated_model_mentions_hf_token() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().behaviour("test/opus-tiny", Behaviour::Unauthorized).start();
    let output = translate("test/opus-tiny", home.path(), Some(&server), false);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("HF_TOKEN"), "{}", stderr(&output));
}

/// After a failed download, the cache holds nothing a later run would trust: a good server then gives
/// the right translation.
fn assert_recovers(home: &Path) {
    let repo = home.join("hub/models--test--opus-tiny");
    if repo.exists() {
        let files = tree(&repo);
        assert!(
            !files.iter().any(|f| f.ends_with("/pytorch_model.bin") && f.starts_with("snapshots/")),
            "no snapshot entry for the bad weights: {files:?}"
        );
    }
    let server = hub().start();
    assert_eq!(
        ok(&translate("test/opus-tiny", home, Some(&server), false)),
        local_translation("tiny-marian-hi-en-bin")
    );
}

#[test]
fn a_connection_dropped_mid_file_fails_cleanly() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().behaviour("test/opus-tiny", Behaviour::DropMidFile).start();
    let output = translate("test/opus-tiny", home.path(), Some(&server), false);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("pytorch_model.bin"), "{}", stderr(&output));
    server.stop();
    assert_recovers(home.path());
}

#[test]
fn content_that_does_not_match_its_sha256_is_rejected_and_removed() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().behaviour("test/opus-tiny", Behaviour::WrongChecksum).start();
    let output = translate("test/opus-tiny", home.path(), Some(&server), false);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("sha256") && message.contains("pytorch_model.bin"), "{message}");
    server.stop();
    assert_recovers(home.path());
}
