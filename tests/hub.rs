//! The Hugging Face download path end to end: the real `anuvad` binary against a local stand-in for the
//! hub (127.0.0.1 only), with an empty `HF_HOME`: downloads, revisions, gated and missing models, and
//! the network's faults (a hub that never answers, connections reset or stalled mid-file, wrong sizes
//! and hashes, server errors). Also how `--model` is told apart as a local path or a hub id.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::hub_server::{Behaviour, HubBuilder, HubServer};

const MAIN_COMMIT: &str = "1111111111111111111111111111111111111111";
const PR_COMMIT: &str = "2222222222222222222222222222222222222222";
/// Generous bound for "fails (or falls back) within a minute" (the defaults take 10-35 s).
const A_MINUTE: Duration = Duration::from_secs(60);

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

/// How a run is set up: the hub (none: a port nothing listens on), offline or not, extra variables.
struct Run<'a> {
    home: &'a Path,
    endpoint: Option<String>,
    offline: bool,
    env: Vec<(&'a str, String)>,
    dir: Option<&'a Path>,
}

impl<'a> Run<'a> {
    fn new(home: &'a Path, server: Option<&HubServer>) -> Self {
        Run { home, endpoint: server.map(|s| s.endpoint.clone()), offline: false, env: Vec::new(), dir: None }
    }

    fn offline(mut self) -> Self {
        self.offline = true;
        self
    }

    fn env(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.env.push((name, value.into()));
        self
    }

    fn in_dir(mut self, dir: &'a Path) -> Self {
        self.dir = Some(dir);
        self
    }

    fn anuvad(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_anuvad"));
        command.args(args).env("HF_HOME", self.home);
        for name in [
            "HF_HUB_CACHE",
            "HF_TOKEN",
            "HF_TOKEN_PATH",
            "HF_HUB_OFFLINE",
            "HF_HUB_ETAG_TIMEOUT",
            "HF_HUB_DOWNLOAD_TIMEOUT",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            command.env_remove(name);
        }
        // With no server, point at a port nothing listens on: the hub is unreachable.
        command.env("HF_ENDPOINT", self.endpoint.as_deref().unwrap_or("http://127.0.0.1:9"));
        if self.offline {
            command.env("HF_HUB_OFFLINE", "1");
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        if let Some(dir) = self.dir {
            command.current_dir(dir);
        }
        output_within(command, Duration::from_secs(180))
    }

    fn translate(&self, model: &str) -> Output {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.txt");
        std::fs::write(&input, sample()).unwrap();
        self.anuvad(&["translate", "--model", model, "--beam", "2", input.to_str().unwrap()])
    }
}

/// Runs `command` to the end, but kills it (and fails the test) after `limit`: a hang is a failure
/// here, not a test suite that never returns.
fn output_within(mut command: Command, limit: Duration) -> Output {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("anuvad did not finish within {limit:?}: {:?}", command);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

fn ok(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The exit code is 2 (fatal); returns stderr.
fn fails(output: &Output) -> String {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    assert_eq!(message.trim().lines().count(), 1, "one line: {message}");
    message
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn sample() -> String {
    "नई दिल्ली: सरकार ने नई नीति की घोषणा की। इससे किसानों को लाभ होगा।\n".to_string()
}

fn local_translation(dir: &str) -> String {
    let home = tempfile::tempdir().unwrap();
    ok(&Run::new(home.path(), None).offline().translate(models().join(dir).to_str().unwrap()))
}

/// Files (not directories) under `dir`, relative.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else { continue };
        for entry in entries {
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

fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

fn repo_dir(home: &Path) -> PathBuf {
    home.join("hub/models--test--opus-tiny")
}

#[test]
fn download_fills_the_standard_cache_and_offline_runs_use_it() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().start();
    let printed =
        ok(&Run::new(home.path(), Some(&server)).anuvad(&["download", "--model", "test/opus-tiny"]));
    assert!(printed.contains(&format!("commit {MAIN_COMMIT}")), "{printed}");
    assert!(printed.contains("pytorch_model.bin"), "{printed}");

    // huggingface_hub's layout: refs/main holds the commit, snapshots/<commit>/ links into blobs/,
    // large files named by their sha256.
    let repo = repo_dir(home.path());
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
    let weights = sha256_hex(&models().join("tiny-marian-hi-en-bin/pytorch_model.bin"));
    assert!(files.contains(&format!("blobs/{weights}")), "{files:?}");
    assert!(!files.iter().any(|f| f.ends_with(".part") || f.ends_with(".incomplete")), "{files:?}");
    server.stop();

    let listed = ok(&Run::new(home.path(), None).offline().anuvad(&["models"]));
    assert!(
        listed.contains("test/opus-tiny")
            && listed.contains("marian")
            && listed.contains("commit 111111111111"),
        "{listed}"
    );

    let expected = local_translation("tiny-marian-hi-en-bin");
    // Offline, from the cache.
    assert_eq!(ok(&Run::new(home.path(), None).offline().translate("test/opus-tiny")), expected);
    // Hub unreachable (not offline mode): falls back to the cache too, and says so.
    let output = Run::new(home.path(), None).translate("test/opus-tiny");
    assert_eq!(ok(&output), expected);
    let warning = stderr(&output);
    assert!(warning.contains("warning") && warning.contains("127.0.0.1:9"), "{warning}");
}

#[test]
fn a_revision_is_fetched_as_asked() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().start();
    let run = Run::new(home.path(), Some(&server));
    let printed = ok(&run.anuvad(&["download", "--model", "test/opus-tiny@refs/pr/2"]));
    assert!(
        printed.contains(&format!("commit {PR_COMMIT}")) && printed.contains("model.safetensors"),
        "{printed}"
    );
    assert!(!printed.contains("pytorch_model.bin"), "{printed}");
    let requests = server.requests.lock().unwrap().clone();
    assert!(requests.iter().any(|path| path.contains("/revision/refs%2Fpr%2F2")), "{requests:?}");
    // Files are fetched at the commit the revision resolved to, so a push in between cannot mix them.
    assert!(requests.iter().any(|path| path.contains(&format!("/resolve/{PR_COMMIT}/"))), "{requests:?}");
    assert_eq!(
        std::fs::read_to_string(repo_dir(home.path()).join("refs/refs/pr/2")).unwrap().trim(),
        PR_COMMIT
    );
    let output = run.translate("test/opus-tiny@refs/pr/2");
    assert_eq!(ok(&output), local_translation("tiny-marian-hi-en"));
    // The same revision with --revision.
    let printed = ok(&run.anuvad(&["download", "--model", "test/opus-tiny", "--revision", "refs/pr/2"]));
    assert!(printed.contains("model.safetensors"), "{printed}");
}

#[test]
fn an_unknown_model_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().start();
    let message = fails(&Run::new(home.path(), Some(&server)).translate("test/no-such-model"));
    assert!(message.contains("test/no-such-model") && message.contains("404"), "{message}");
    assert!(message.contains(&server.endpoint), "names the hub asked: {message}");
    let message = fails(&Run::new(home.path(), Some(&server)).translate("test/opus-tiny@v9"));
    assert!(message.contains("no revision `v9`"), "{message}");
}

#[test]
fn a_private_model_without_a_token_says_that_hf_token_is_read() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().behaviour("test/opus-tiny", Behaviour::Unauthorized).start();
    let message = fails(&Run::new(home.path(), Some(&server)).translate("test/opus-tiny"));
    assert!(message.contains("private") && message.contains("401"), "{message}");
    assert!(
        message.contains("HF_TOKEN") && message.contains(&home.path().join("token").display().to_string())
    );
}

#[test]
fn a_gated_model_without_a_token_says_where_to_accept_its_terms() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().behaviour("test/opus-tiny", Behaviour::Gated { token: "hf_granted" }).start();
    let message = fails(&Run::new(home.path(), Some(&server)).translate("test/opus-tiny"));
    assert!(message.contains("model `test/opus-tiny` is gated"), "{message}");
    assert!(message.contains(&format!("{}/test/opus-tiny", server.endpoint)), "the model's page: {message}");
    assert!(message.contains("HF_TOKEN"), "{message}");
    assert!(message.contains(&home.path().join("token").display().to_string()), "the token file: {message}");
    assert!(message.contains("401") && message.contains("no token"), "{message}");
    assert_eq!(message.matches("anuvad:").count(), 1, "one message: {message}");
    let files = tree(&repo_dir(home.path()));
    assert!(!files.iter().any(|f| f.starts_with("snapshots/") || f.starts_with("refs/")), "{files:?}");
}

#[test]
fn a_gated_model_with_a_token_that_has_no_access_says_which_token_was_sent() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().behaviour("test/opus-tiny", Behaviour::Gated { token: "hf_granted" }).start();
    let run = Run::new(home.path(), Some(&server)).env("HF_TOKEN", "hf_someone_else");
    let message = fails(&run.translate("test/opus-tiny"));
    assert!(message.contains("gated") && message.contains("403"), "{message}");
    assert!(message.contains("the token from HF_TOKEN"), "{message}");
}

#[test]
fn a_gated_model_downloads_with_the_token_from_hf_token_or_the_token_file() {
    let expected = local_translation("tiny-marian-hi-en-bin");
    let server = hub().behaviour("test/opus-tiny", Behaviour::Gated { token: "hf_granted" }).start();
    let home = tempfile::tempdir().unwrap();
    let run = Run::new(home.path(), Some(&server)).env("HF_TOKEN", "hf_granted");
    assert_eq!(ok(&run.translate("test/opus-tiny")), expected);

    // `huggingface-cli login` writes $HF_HOME/token.
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("token"), "hf_granted\n").unwrap();
    assert_eq!(ok(&Run::new(home.path(), Some(&server)).translate("test/opus-tiny")), expected);
}

/// IndicTrans2 under its hub ids (#21), gated as on the hub (the tiny fixture in the hub's layout stands
/// in for the weights): without a token the one-line exit-2 message; with one, `translate` and `batch`
/// download what the family needs (`model.SRC`, `dict.TGT.json`, ...) and give the local model's output.
#[test]
fn indictrans2_hub_ids_are_gated_and_translate_and_batch_with_a_token() {
    let fixture = models().join("tiny-indictrans2");
    let expected = local_translation("tiny-indictrans2");
    for id in ["ai4bharat/indictrans2-indic-en-dist-200M", "ai4bharat/indictrans2-indic-en-1B"] {
        let server = HubBuilder::default()
            .revision(id, "main", MAIN_COMMIT, &fixture, &[])
            .behaviour(id, Behaviour::Gated { token: "hf_granted" })
            .start();
        let home = tempfile::tempdir().unwrap();
        let message = fails(&Run::new(home.path(), Some(&server)).translate(id));
        assert!(message.contains(&format!("model `{id}` is gated")), "{message}");
        assert!(message.contains(&format!("{}/{id}", server.endpoint)), "the model's page: {message}");

        let run = Run::new(home.path(), Some(&server)).env("HF_TOKEN", "hf_granted");
        assert_eq!(ok(&run.translate(id)), expected, "{id}");
        let folder = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("article.txt"), sample()).unwrap();
        let (folder, out_dir) = (folder.path().to_str().unwrap(), out.path().to_str().unwrap());
        ok(&run.anuvad(&["batch", folder, out_dir, "--model", id, "--beam", "2"]));
        assert_eq!(std::fs::read_to_string(out.path().join("article.en.txt")).unwrap(), expected, "{id}");
    }
}

/// After a failed download, the cache holds nothing a later run would take for the weights: no
/// snapshot entry and no blob under their hash. A good server then gives the right translation.
fn assert_recovers(home: &Path) {
    let repo = repo_dir(home);
    let weights = sha256_hex(&models().join("tiny-marian-hi-en-bin/pytorch_model.bin"));
    let files = tree(&repo);
    assert!(
        !files.iter().any(|f| f.starts_with("snapshots/") && f.ends_with("/pytorch_model.bin")),
        "no snapshot entry for the bad weights: {files:?}"
    );
    assert!(!files.contains(&format!("blobs/{weights}")), "no complete-looking blob: {files:?}");
    assert!(!files.iter().any(|f| f.starts_with("refs/")), "the revision is not recorded: {files:?}");
    let offline = Run::new(home, None).offline().translate("test/opus-tiny");
    assert_eq!(
        offline.status.code(),
        Some(2),
        "offline, the cache has no complete model: {}",
        stderr(&offline)
    );
    let server = hub().start();
    assert_eq!(
        ok(&Run::new(home, Some(&server)).translate("test/opus-tiny")),
        local_translation("tiny-marian-hi-en-bin")
    );
}

#[test]
fn a_connection_dropped_mid_file_every_time_fails_cleanly_after_bounded_retries() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().behaviour("test/opus-tiny", Behaviour::DropMidFile).start();
    let message = fails(&Run::new(home.path(), Some(&server)).translate("test/opus-tiny"));
    assert!(message.contains("pytorch_model.bin") && message.contains("3 attempts"), "{message}");
    let transfers = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.starts_with("GET /cdn/") && r.ends_with(".bin"))
        .count();
    assert_eq!(transfers, 3, "the first try and two retries");
    server.stop();
    assert_recovers(home.path());
}

#[test]
fn a_connection_reset_mid_file_is_resumed() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().behaviour("test/opus-tiny", Behaviour::DropOnce).start();
    let output = Run::new(home.path(), Some(&server)).translate("test/opus-tiny");
    assert_eq!(ok(&output), local_translation("tiny-marian-hi-en-bin"));
    let transfers = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.starts_with("GET /cdn/") && r.ends_with(".bin"))
        .count();
    assert_eq!(transfers, 2, "one reset, one resumed transfer");
}

#[test]
fn a_download_that_stalls_mid_file_times_out_and_leaves_no_complete_file() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().behaviour("test/opus-tiny", Behaviour::StallMidFile).start();
    let started = Instant::now();
    let run = Run::new(home.path(), Some(&server)).env("HF_HUB_DOWNLOAD_TIMEOUT", "1");
    let message = fails(&run.translate("test/opus-tiny"));
    assert!(started.elapsed() < A_MINUTE, "took {:?}", started.elapsed());
    assert!(message.contains("pytorch_model.bin") && message.contains("within 1 s"), "{message}");
    server.stop();
    assert_recovers(home.path());
}

#[test]
fn a_wrong_size_is_rejected_and_nothing_is_kept() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().behaviour("test/opus-tiny", Behaviour::WrongSize).start();
    let message = fails(&Run::new(home.path(), Some(&server)).translate("test/opus-tiny"));
    let size = std::fs::metadata(models().join("tiny-marian-hi-en-bin/pytorch_model.bin")).unwrap().len();
    assert!(message.contains("pytorch_model.bin"), "{message}");
    assert!(
        message.contains(&format!("received {size} bytes where the hub announced {}", size + 1000)),
        "{message}"
    );
    assert!(!tree(&repo_dir(home.path())).iter().any(|f| f.ends_with(".incomplete")), "bad content deleted");
    server.stop();
    assert_recovers(home.path());
}

#[test]
fn content_that_does_not_match_its_sha256_is_rejected_and_removed() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().behaviour("test/opus-tiny", Behaviour::WrongChecksum).start();
    let message = fails(&Run::new(home.path(), Some(&server)).translate("test/opus-tiny"));
    assert!(message.contains("sha256") && message.contains("pytorch_model.bin"), "{message}");
    assert!(!tree(&repo_dir(home.path())).iter().any(|f| f.ends_with(".incomplete")), "bad content deleted");
    server.stop();
    assert_recovers(home.path());
}

#[test]
fn a_truncated_blob_left_by_an_older_tool_is_downloaded_again() {
    let home = tempfile::tempdir().unwrap();
    let weights = models().join("tiny-marian-hi-en-bin/pytorch_model.bin");
    let blob = repo_dir(home.path()).join("blobs").join(sha256_hex(&weights));
    std::fs::create_dir_all(blob.parent().unwrap()).unwrap();
    std::fs::write(&blob, &std::fs::read(&weights).unwrap()[..1000]).unwrap();
    let server = hub().start();
    let output = Run::new(home.path(), Some(&server)).translate("test/opus-tiny");
    assert_eq!(ok(&output), local_translation("tiny-marian-hi-en-bin"));
    assert_eq!(sha256_hex(&blob), sha256_hex(&weights));
}

#[test]
fn server_errors_are_retried_a_bounded_number_of_times() {
    // Two 503s, then answers: the retries carry it through.
    let home = tempfile::tempdir().unwrap();
    let server = hub().behaviour("test/opus-tiny", Behaviour::ServerErrors(2)).start();
    assert_eq!(
        ok(&Run::new(home.path(), Some(&server)).translate("test/opus-tiny")),
        local_translation("tiny-marian-hi-en-bin")
    );

    // Always 503: three attempts, then the cache (empty here), with the hub named.
    let home = tempfile::tempdir().unwrap();
    let server = hub().behaviour("test/opus-tiny", Behaviour::ServerErrors(u32::MAX)).start();
    let message = fails(&Run::new(home.path(), Some(&server)).translate("test/opus-tiny"));
    assert!(
        message.contains("503") && message.contains("3 attempts") && message.contains(&server.endpoint),
        "{message}"
    );
    assert!(message.contains("Hint: the hub has server trouble"), "{message}");
    assert_eq!(server.requests.lock().unwrap().len(), 3);
}

#[test]
fn a_hub_that_never_answers_falls_back_to_the_cache_within_a_minute() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().start();
    ok(&Run::new(home.path(), Some(&server)).anuvad(&["download", "--model", "test/opus-tiny"]));
    server.stop();

    // Default timeouts, as a user has them.
    let stalled = HubServer::stalling();
    let started = Instant::now();
    let output = Run::new(home.path(), Some(&stalled)).translate("test/opus-tiny");
    assert!(started.elapsed() < A_MINUTE, "took {:?}", started.elapsed());
    assert_eq!(ok(&output), local_translation("tiny-marian-hi-en-bin"));
    let warning = stderr(&output);
    assert!(
        warning.contains(&stalled.endpoint) && warning.contains("did not answer within 10 s"),
        "{warning}"
    );
    assert!(warning.contains(&format!("cached copy of test/opus-tiny (commit {MAIN_COMMIT})")), "{warning}");
}

#[test]
fn a_hub_that_never_answers_fails_within_a_minute_naming_the_endpoint() {
    let home = tempfile::tempdir().unwrap();
    let stalled = HubServer::stalling();
    let started = Instant::now();
    let run = Run::new(home.path(), Some(&stalled)).env("HF_HUB_ETAG_TIMEOUT", "1");
    let message = fails(&run.anuvad(&["download", "--model", "test/opus-tiny"]));
    assert!(started.elapsed() < A_MINUTE, "took {:?}", started.elapsed());
    assert!(
        message.contains("not in the Hugging Face cache") && message.contains("cannot be used"),
        "{message}"
    );
    assert!(
        message.contains(&stalled.endpoint) && message.contains("did not answer within 1 s"),
        "{message}"
    );
    assert!(message.contains("Hint:") && message.contains("HF_HUB_ETAG_TIMEOUT"), "{message}");
}

#[test]
fn an_unreachable_hub_without_the_model_cached_names_the_endpoint() {
    let home = tempfile::tempdir().unwrap();
    let message = fails(&Run::new(home.path(), None).translate("test/opus-tiny"));
    assert!(message.contains("http://127.0.0.1:9") && message.contains("cannot be reached"), "{message}");
    assert!(message.contains("Hint: check the network"), "{message}");
}

#[test]
fn bad_hub_settings_are_refused_naming_the_setting() {
    let home = tempfile::tempdir().unwrap();
    let run = Run::new(home.path(), None).env("HF_HUB_DOWNLOAD_TIMEOUT", "soon");
    let message = fails(&run.translate("test/opus-tiny"));
    assert!(message.contains("HF_HUB_DOWNLOAD_TIMEOUT") && message.contains("`soon`"), "{message}");

    let run = Run::new(home.path(), None).env("HF_ENDPOINT", "huggingface.co");
    let message = fails(&run.translate("test/opus-tiny"));
    assert!(
        message.contains("HF_ENDPOINT `huggingface.co` is not an http:// or https:// address"),
        "{message}"
    );

    // A token file that cannot be read is an error, not a silent anonymous request.
    std::fs::create_dir(home.path().join("token")).unwrap();
    let message = fails(&Run::new(home.path(), None).translate("test/opus-tiny"));
    assert!(message.contains(&home.path().join("token").display().to_string()), "{message}");
}

#[test]
fn offline_advice_fits_how_offline_mode_was_chosen() {
    let home = tempfile::tempdir().unwrap();
    let message =
        fails(&Run::new(home.path(), None).anuvad(&["download", "--model", "test/opus-tiny", "--offline"]));
    assert!(
        message.contains("not in the Hugging Face cache") && message.contains("offline mode was requested")
    );
    assert!(message.contains("Hint: --offline uses only the cache"), "{message}");
    assert!(!message.contains("HF_HUB_OFFLINE"), "{message}");

    let message =
        fails(&Run::new(home.path(), None).offline().anuvad(&["download", "--model", "test/opus-tiny"]));
    assert!(message.contains("offline mode is set by HF_HUB_OFFLINE"), "{message}");
    assert!(message.contains("Hint: HF_HUB_OFFLINE is set in the environment: unset it"), "{message}");
    assert!(!message.contains("--offline uses"), "{message}");
}

#[test]
fn a_missing_local_directory_says_no_such_directory() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let run = Run::new(home.path(), None).in_dir(work.path());
    for path in ["./models/tiny-marian", "/no/such/model/dir", "models/a/b"] {
        let message = fails(&run.translate(path));
        assert!(message.contains(&format!("{path}: no such directory")), "{message}");
        assert!(!message.contains("Hugging Face Hub"), "{message}");
    }
}

#[test]
fn a_file_given_as_the_model_is_not_a_model_directory() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("notes.txt"), "not a model").unwrap();
    let run = Run::new(home.path(), None).in_dir(work.path());
    for path in ["notes.txt", "./notes.txt"] {
        let message = fails(&run.translate(path));
        assert!(message.contains(&format!("{path}: is a file, expected a model directory")), "{message}");
    }
}

#[test]
fn a_mistyped_relative_model_path_is_looked_up_on_the_hub_and_the_local_folder_is_mentioned() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("models")).unwrap();
    let server = hub().start();
    let run = Run::new(home.path(), Some(&server)).in_dir(work.path());
    let message = fails(&run.translate("models/tiny-marin"));
    assert!(message.contains("model `models/tiny-marin` was not found on the Hugging Face Hub"), "{message}");
    assert!(message.contains("Hint: `models` is a local folder, but it has no `tiny-marin`"), "{message}");
}

#[test]
fn a_model_name_that_is_neither_a_path_nor_a_hub_id_is_refused_without_asking_the_hub() {
    let home = tempfile::tempdir().unwrap();
    let server = hub().start();
    let message = fails(&Run::new(home.path(), Some(&server)).translate("my model"));
    assert!(message.contains("neither a local directory nor a hub id"), "{message}");
    assert!(server.requests.lock().unwrap().is_empty());
}
