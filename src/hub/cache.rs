//! The Hugging Face cache on disk, in the layout the Python `huggingface_hub` writes and reads, so that
//! both share one cache:
//!
//! ```text
//! $HF_HUB_CACHE/models--{owner}--{name}/
//!     refs/{revision}            the commit a branch, tag or refs/pr/N points to
//!     snapshots/{commit}/{file}  a relative symlink into blobs/
//!     blobs/{etag}               the content, named by its sha256 (large files) or git sha1
//!     blobs/{etag}.incomplete    a download in progress (resumed by the next one, never read)
//! $HF_HUB_CACHE/.locks/models--{owner}--{name}/{etag}.lock
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, TokenSource};

/// The hub cache directory: `$HF_HUB_CACHE`, else `$HF_HOME/hub` (`HF_HOME` defaults to
/// `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`).
pub fn cache_dir() -> PathBuf {
    match non_empty_var("HF_HUB_CACHE") {
        Some(dir) => PathBuf::from(dir),
        None => hf_home().join("hub"),
    }
}

/// `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface` (as `huggingface_hub`).
fn hf_home() -> PathBuf {
    if let Some(home) = non_empty_var("HF_HOME") {
        return PathBuf::from(home);
    }
    let cache = match non_empty_var("XDG_CACHE_HOME") {
        Some(dir) => PathBuf::from(dir),
        // No home directory at all (a bare container): a cache that still works for this session.
        None => std::env::home_dir().unwrap_or_else(std::env::temp_dir).join(".cache"),
    };
    cache.join("huggingface")
}

fn non_empty_var(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|value| !value.is_empty())
}

/// The token sent to the hub, and where it came from.
#[derive(Clone)]
pub(crate) struct Token {
    pub(crate) value: Option<String>,
    pub(crate) source: TokenSource,
    /// The token file read when `HF_TOKEN` is not set (named in messages about access).
    pub(crate) file: PathBuf,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token itself.
        f.debug_struct("Token").field("source", &self.source).field("file", &self.file).finish()
    }
}

/// `HF_TOKEN`, else the token file (`$HF_TOKEN_PATH`, else `$HF_HOME/token`). A token file that exists
/// but cannot be read is an error rather than a silent anonymous request.
pub(crate) fn token() -> Result<Token> {
    let file = non_empty_var("HF_TOKEN_PATH").map(PathBuf::from).unwrap_or_else(|| hf_home().join("token"));
    if let Ok(value) = std::env::var("HF_TOKEN") {
        if !value.trim().is_empty() {
            return Ok(Token {
                value: Some(value.trim().to_string()),
                source: TokenSource::Environment,
                file,
            });
        }
    }
    match std::fs::read_to_string(&file) {
        Ok(text) if !text.trim().is_empty() => {
            Ok(Token { value: Some(text.trim().to_string()), source: TokenSource::File, file })
        }
        Ok(_) => Ok(Token { value: None, source: TokenSource::None, file }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Ok(Token { value: None, source: TokenSource::None, file })
        }
        Err(error) => Err(Error::io(file, error)),
    }
}

/// One repository's folder in the cache.
#[derive(Debug, Clone)]
pub(crate) struct RepoCache {
    /// The cache directory it is in.
    pub(crate) cache: PathBuf,
    root: PathBuf,
    locks: PathBuf,
}

impl RepoCache {
    pub(crate) fn new(cache: &Path, id: &str) -> Self {
        let folder = format!("models--{}", id.replace('/', "--"));
        RepoCache {
            cache: cache.to_path_buf(),
            root: cache.join(&folder),
            locks: cache.join(".locks").join(folder),
        }
    }

    /// The commit `revision` points to in the cache: `refs/{revision}`, or the revision itself when it
    /// is a commit with a snapshot.
    pub(crate) fn commit_for(&self, revision: &str) -> Option<String> {
        if let Ok(commit) = std::fs::read_to_string(self.root.join("refs").join(revision)) {
            let commit = commit.trim();
            if is_commit(commit) {
                return Some(commit.to_string());
            }
        }
        (is_commit(revision) && self.root.join("snapshots").join(revision).is_dir())
            .then(|| revision.to_string())
    }

    /// The snapshot entry of `file` at `commit`, whether or not it exists.
    pub(crate) fn snapshot_file(&self, commit: &str, file: &str) -> PathBuf {
        self.root.join("snapshots").join(commit).join(file)
    }

    /// The snapshot entry of `file` at `commit` when it is there (and its blob too).
    pub(crate) fn cached_file(&self, commit: &str, file: &str) -> Option<PathBuf> {
        let path = self.snapshot_file(commit, file);
        path.is_file().then_some(path)
    }

    pub(crate) fn blob(&self, etag: &str) -> PathBuf {
        self.root.join("blobs").join(etag)
    }

    pub(crate) fn incomplete_blob(&self, etag: &str) -> PathBuf {
        self.root.join("blobs").join(format!("{etag}.incomplete"))
    }

    pub(crate) fn lock_file(&self, etag: &str) -> PathBuf {
        self.locks.join(format!("{etag}.lock"))
    }

    /// Makes `snapshots/{commit}/{file}` point at `blobs/{etag}` (a relative symlink; a copy where
    /// symlinks are not allowed).
    pub(crate) fn link(&self, commit: &str, file: &str, etag: &str) -> std::io::Result<PathBuf> {
        let pointer = self.snapshot_file(commit, file);
        let folder = pointer.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(folder)?;
        // From snapshots/{commit}/{dirs of file}/ back up to the repository folder.
        let depth = 2 + file.matches('/').count();
        let mut target = PathBuf::new();
        for _ in 0..depth {
            target.push("..");
        }
        target.push("blobs");
        target.push(etag);
        if pointer.is_file() {
            // Another process linked it (a file at a commit has one content).
            return Ok(pointer);
        }
        // Made under a private name, then renamed over any dangling entry: a reader never sees none.
        let name = pointer.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&temporary);
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, &temporary)?;
        #[cfg(windows)]
        if std::os::windows::fs::symlink_file(&target, &temporary).is_err() {
            std::fs::copy(self.blob(etag), &temporary)?;
        }
        #[cfg(not(any(unix, windows)))]
        std::fs::copy(self.blob(etag), &temporary)?;
        std::fs::rename(&temporary, &pointer)?;
        Ok(pointer)
    }

    /// Records that `revision` points to `commit` (`refs/{revision}`, written atomically). A commit
    /// asked for by its hash needs no ref.
    pub(crate) fn write_ref(&self, revision: &str, commit: &str) -> std::io::Result<()> {
        if revision == commit {
            return Ok(());
        }
        let path = self.root.join("refs").join(revision);
        let folder = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(folder)?;
        let mut temporary = tempfile::NamedTempFile::new_in(folder)?;
        temporary.write_all(commit.as_bytes())?;
        temporary.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// A full commit hash (40 hex digits).
pub(crate) fn is_commit(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A model found in the local Hugging Face cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedModel {
    /// Hub id, e.g. `Helsinki-NLP/opus-mt-hi-en`.
    pub id: String,
    /// The ref (branch, `refs/pr/N`) the cache records.
    pub revision: String,
    /// The commit that ref points to.
    pub commit: String,
    /// `model_type` from its `config.json`.
    pub model_type: String,
    /// Whether anuvad can run it.
    pub supported: bool,
    /// Total size of the snapshot's files, in bytes.
    pub size: u64,
    /// The snapshot directory (usable as `--model DIR`).
    pub path: PathBuf,
}

/// Lists the models in the Hugging Face cache (see [`cache_dir`]) that have a `config.json`.
pub fn cached_models() -> Vec<CachedModel> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(cache_dir()) else { return found };
    for entry in entries.flatten() {
        let folder = entry.file_name().to_string_lossy().into_owned();
        let Some(id) = folder.strip_prefix("models--") else { continue };
        let id = id.replace("--", "/");
        let refs = entry.path().join("refs");
        for reference in walk_files(&refs) {
            let Ok(commit) = std::fs::read_to_string(&reference) else { continue };
            let commit = commit.trim().to_string();
            let snapshot = entry.path().join("snapshots").join(&commit);
            let Ok(text) = std::fs::read_to_string(snapshot.join("config.json")) else { continue };
            let model_type = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|config| config["model_type"].as_str().map(str::to_string))
                .unwrap_or_default();
            let size =
                walk_files(&snapshot).iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
            let revision =
                reference.strip_prefix(&refs).unwrap_or(&reference).to_string_lossy().replace('\\', "/");
            found.push(CachedModel {
                supported: crate::model::Architecture::from_model_type(&model_type).is_some(),
                id: id.clone(),
                revision,
                commit,
                model_type,
                size,
                path: snapshot,
            });
        }
    }
    found.sort_by(|a, b| (&a.id, &a.revision).cmp(&(&b.id, &b.revision)));
    found
}

/// Files below `dir`, following symlinks (cache snapshots link into the blob store).
fn walk_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}
