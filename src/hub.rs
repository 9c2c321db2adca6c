//! Finding a model's files: a local directory, or a Hugging Face Hub repository through `hf-hub` and the
//! standard cache (`HF_HOME`, `HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_OFFLINE` honoured as the Python
//! `huggingface_hub` honours them).

use std::path::{Path, PathBuf};

use hf_hub::api::sync::{Api, ApiBuilder, ApiError, ApiRepo};
use hf_hub::{Cache, Repo, RepoType};

use crate::error::{Error, Result};

/// The default model.
pub const DEFAULT_MODEL: &str = "Helsinki-NLP/opus-mt-hi-en";

/// Where a model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ModelLocation {
    /// A directory holding the model's files.
    Local(PathBuf),
    /// A hub repository at a revision (branch, tag, `refs/pr/N` or commit).
    Hub { id: String, revision: String },
}

impl ModelLocation {
    /// Parses `--model`: an existing directory, a path-looking string, `ID`, or `ID@REVISION`.
    /// An explicit `revision` wins over one written after `@`.
    pub(crate) fn parse(spec: &str, revision: Option<&str>) -> ModelLocation {
        let path = Path::new(spec);
        let (id, written_revision) = match spec.split_once('@') {
            Some((id, rev)) => (id, Some(rev)),
            None => (spec, None),
        };
        // A hub id is `name` or `org/name`; anything else that looks like a path is one.
        let looks_like_path = id.starts_with('.')
            || id.starts_with('/')
            || id.starts_with('~')
            || id.matches('/').count() > 1
            || id.contains('\\');
        if path.is_dir() || looks_like_path {
            return ModelLocation::Local(path.to_path_buf());
        }
        let revision = revision.or(written_revision).unwrap_or("main");
        ModelLocation::Hub { id: id.to_string(), revision: revision.to_string() }
    }

    /// How the model is named in messages.
    pub(crate) fn display_name(&self) -> String {
        match self {
            ModelLocation::Local(path) => path.display().to_string(),
            ModelLocation::Hub { id, revision } if revision == "main" => id.clone(),
            ModelLocation::Hub { id, revision } => format!("{id}@{revision}"),
        }
    }
}

/// True when `HF_HUB_OFFLINE` asks for cache-only operation (as `huggingface_hub` reads it).
pub(crate) fn offline_from_env() -> bool {
    std::env::var("HF_HUB_OFFLINE")
        .map(|value| matches!(value.trim().to_ascii_lowercase().as_str(), "1" | "on" | "yes" | "true"))
        .unwrap_or(false)
}

/// The hub cache directory (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`).
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("HF_HUB_CACHE") {
        Some(dir) => PathBuf::from(dir),
        None => Cache::from_env().path().clone(),
    }
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

/// Access to the files of one model.
pub(crate) struct ModelFiles {
    location: ModelLocation,
    source: Source,
}

enum Source {
    Local(PathBuf),
    /// Cache only (offline, or the hub could not be reached: then `reason` says why).
    Cached {
        cache: hf_hub::CacheRepo,
        reason: String,
    },
    /// Online, with the repository's file list.
    Online {
        repo: Box<ApiRepo>,
        cache: hf_hub::CacheRepo,
        files: Vec<String>,
    },
}

impl ModelFiles {
    /// Opens `location`. Online, this asks the hub for the file list (one request), which also tells
    /// whether the repository exists; offline, only the cache is used.
    pub(crate) fn open(location: ModelLocation, offline: bool, progress: bool) -> Result<Self> {
        let source = match &location {
            ModelLocation::Local(dir) => {
                if !dir.is_dir() {
                    return Err(Error::ModelNotFound {
                        model: dir.display().to_string(),
                        reason: "no such directory".into(),
                    });
                }
                Source::Local(dir.clone())
            }
            ModelLocation::Hub { id, revision } => {
                let repo = Repo::with_revision(id.clone(), RepoType::Model, revision.clone());
                let cache = Cache::new(cache_dir()).repo(repo.clone());
                if offline {
                    Source::Cached { cache, reason: "offline mode (HF_HUB_OFFLINE)".into() }
                } else {
                    let api = build_api(progress)?;
                    let api_repo = api.repo(repo);
                    match api_repo.info() {
                        Ok(info) => Source::Online {
                            repo: Box::new(api_repo),
                            cache,
                            files: info.siblings.into_iter().map(|s| s.rfilename).collect(),
                        },
                        Err(error) => match classify(&error) {
                            Failure::NotFound(reason) => {
                                return Err(Error::ModelNotFound { model: location.display_name(), reason })
                            }
                            // Unreachable hub: fall back to the cache, as `huggingface_hub` does.
                            Failure::Network(reason) => Source::Cached { cache, reason },
                        },
                    }
                }
            }
        };
        let files = ModelFiles { location, source };
        Ok(files)
    }

    /// The model as named in messages.
    pub(crate) fn name(&self) -> String {
        self.location.display_name()
    }

    /// The local directory for a local model.
    pub(crate) fn local_dir(&self) -> Option<&Path> {
        match &self.source {
            Source::Local(dir) => Some(dir),
            _ => None,
        }
    }

    /// The local path of `file`, downloading it if needed; `None` when the model has no such file.
    pub(crate) fn get(&self, file: &str) -> Result<Option<PathBuf>> {
        match &self.source {
            Source::Local(dir) => {
                let path = dir.join(file);
                Ok(path.is_file().then_some(path))
            }
            Source::Cached { cache, .. } => Ok(cache.get(file)),
            Source::Online { repo, cache, files } => {
                if !files.iter().any(|f| f == file) {
                    return Ok(None);
                }
                if let Some(path) = cache.get(file) {
                    return Ok(Some(path));
                }
                let download_error =
                    |reason: String| Error::Download { model: self.name(), file: file.to_string(), reason };
                let path = repo.download(file).map_err(|error| download_error(error.to_string()))?;
                verify_download(&path).map_err(download_error)?;
                Ok(Some(path))
            }
        }
    }

    /// Like [`ModelFiles::get`], but a missing file is an error. For the first file of a model that is
    /// not in the cache while offline, the error says how to get it.
    pub(crate) fn require(&self, file: &str) -> Result<PathBuf> {
        if let Some(path) = self.get(file)? {
            return Ok(path);
        }
        Err(match &self.source {
            Source::Local(dir) => Error::bad_file(dir.join(file), "missing from the model directory"),
            Source::Cached { reason, .. } => Error::ModelNotCached {
                model: self.name(),
                cache: cache_dir(),
                reason: format!("{reason}; `{file}` is not cached"),
            },
            Source::Online { .. } => {
                Error::bad_file(PathBuf::from(file), format!("not in the repository of {}", self.name()))
            }
        })
    }
}

/// Checks a freshly downloaded file against its name in the cache's blob store, which is the hub's etag:
/// the sha256 of the content for large (LFS) files. A mismatch removes the file from the cache so that no
/// later run trusts it.
fn verify_download(pointer: &Path) -> std::result::Result<(), String> {
    use sha2::{Digest, Sha256};
    let blob = std::fs::canonicalize(pointer).map_err(|e| format!("downloaded file vanished: {e}"))?;
    let etag = blob.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
    if etag.len() != 64 || !etag.bytes().all(|b| b.is_ascii_hexdigit()) {
        // Small (non-LFS) files are named by their git blob sha1; hf-hub has already checked their size.
        return Ok(());
    }
    let mut hasher = Sha256::new();
    let mut file = std::fs::File::open(&blob).map_err(|e| format!("cannot read the download: {e}"))?;
    std::io::copy(&mut file, &mut hasher).map_err(|e| format!("cannot read the download: {e}"))?;
    let actual: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    if actual == etag {
        return Ok(());
    }
    let _ = std::fs::remove_file(pointer);
    let _ = std::fs::remove_file(&blob);
    Err(format!(
        "the downloaded content does not match its sha256 (expected {etag}, got {actual}); \
         the file was removed from the cache, try again"
    ))
}

/// The commit a cached file belongs to (`.../snapshots/<commit>/<file>`).
pub(crate) fn snapshot_commit(path: &Path) -> Option<String> {
    let components: Vec<_> =
        path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let at = components.iter().rposition(|c| c == "snapshots")?;
    components.get(at + 1).cloned()
}

fn build_api(progress: bool) -> Result<Api> {
    let mut builder = ApiBuilder::from_cache(Cache::new(cache_dir())).with_progress(progress);
    if let Ok(endpoint) = std::env::var("HF_ENDPOINT") {
        builder = builder.with_endpoint(endpoint.trim_end_matches('/').to_string());
    }
    if let Ok(token) = std::env::var("HF_TOKEN") {
        if !token.trim().is_empty() {
            builder = builder.with_token(Some(token.trim().to_string()));
        }
    }
    builder.build().map_err(|e| Error::Download {
        model: String::new(),
        file: String::new(),
        reason: format!("cannot set up the HTTP client: {e}"),
    })
}

enum Failure {
    /// The hub answered: no such repository/revision, or access denied.
    NotFound(String),
    /// No answer (DNS, connection refused, TLS, timeout).
    Network(String),
}

fn classify(error: &ApiError) -> Failure {
    if let ApiError::RequestError(request) = error {
        if let ureq::Error::StatusCode(status) = request.as_ref() {
            return Failure::NotFound(match status {
                401 | 403 => format!(
                    "the hub answered {status}: the repository is private or gated; set HF_TOKEN to a token \
                     with access"
                ),
                404 => "the hub answered 404: no such repository or revision".to_string(),
                other => format!("the hub answered HTTP {other}"),
            });
        }
    }
    Failure::Network(format!("the hub cannot be reached: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_specs_parse_as_paths_or_hub_ids() {
        let hub = |id: &str, revision: &str| ModelLocation::Hub { id: id.into(), revision: revision.into() };
        assert_eq!(
            ModelLocation::parse("Helsinki-NLP/opus-mt-hi-en", None),
            hub("Helsinki-NLP/opus-mt-hi-en", "main")
        );
        assert_eq!(ModelLocation::parse("org/m@refs/pr/2", None), hub("org/m", "refs/pr/2"));
        assert_eq!(ModelLocation::parse("org/m@v1", Some("dev")), hub("org/m", "dev"));
        assert_eq!(ModelLocation::parse("./models/x", None), ModelLocation::Local("./models/x".into()));
        assert_eq!(ModelLocation::parse("/abs/a/b", None), ModelLocation::Local("/abs/a/b".into()));
        assert_eq!(ModelLocation::parse("a/b/c", None), ModelLocation::Local("a/b/c".into()));
    }

    #[test]
    fn commits_come_from_snapshot_paths() {
        let path = Path::new("/c/hub/models--a--b/snapshots/abc123/config.json");
        assert_eq!(snapshot_commit(path).as_deref(), Some("abc123"));
        assert_eq!(snapshot_commit(Path::new("models/x/config.json")), None);
    }
}
