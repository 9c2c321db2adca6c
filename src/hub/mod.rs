//! Finding a model's files: a local directory, or a Hugging Face Hub repository in the standard cache,
//! downloaded when missing. `HF_HOME`, `HF_HUB_CACHE`, `HF_ENDPOINT`, `HF_TOKEN`, `HF_TOKEN_PATH`,
//! `HF_HUB_OFFLINE`, `HF_HUB_ETAG_TIMEOUT` and `HF_HUB_DOWNLOAD_TIMEOUT` are honoured as the Python
//! `huggingface_hub` honours them, and the cache is shared with it.
//!
//! - `cache.rs`: the cache's layout on disk, the token, [`cached_models`].
//! - `client.rs`: the HTTP requests, with timeouts and retries.
//! - `download.rs`: one file into the cache, resumable, checked against its size and hash.

mod cache;
mod client;
mod download;

use std::path::{Path, PathBuf};

pub use cache::{cache_dir, cached_models, CachedModel};
pub(crate) use download::DownloadObserver;
pub use download::DownloadProgress;

use cache::RepoCache;
use client::{Client, Failure, Refusal, RepoInfo};

use crate::error::{DownloadError, Error, NetworkError, OfflineMode, Result};

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
    /// Parses `--model`: a local path or a hub id (`ID` or `ID@REVISION`), decided by the text alone
    /// plus one look at the disk: an existing path is local; so is anything that starts with `.`, `/`
    /// or `~`, or has more separators than `owner/name`. Everything else is a hub id (a missing
    /// `models/x` is looked up on the hub, and the CLI says that `models/` is a local folder). An
    /// explicit `revision` wins over one written after `@`.
    pub(crate) fn parse(spec: &str, revision: Option<&str>) -> ModelLocation {
        let path = Path::new(spec);
        let (id, written_revision) = match spec.split_once('@') {
            Some((id, rev)) => (id, Some(rev)),
            None => (spec, None),
        };
        let looks_like_path = id.starts_with('.')
            || id.starts_with('/')
            || id.starts_with('~')
            || id.matches('/').count() > 1
            || id.contains('\\');
        if path.exists() || looks_like_path {
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

/// How offline mode was chosen: `requested` (the builder's setting) wins over `HF_HUB_OFFLINE`.
fn offline_mode(requested: Option<bool>) -> Option<OfflineMode> {
    match requested {
        Some(true) => Some(OfflineMode::Requested),
        Some(false) => None,
        None => offline_from_env().then_some(OfflineMode::Environment),
    }
}

/// True when `HF_HUB_OFFLINE` asks for cache-only operation (as `huggingface_hub` reads it).
fn offline_from_env() -> bool {
    std::env::var("HF_HUB_OFFLINE")
        .map(|value| matches!(value.trim().to_ascii_lowercase().as_str(), "1" | "on" | "yes" | "true"))
        .unwrap_or(false)
}

/// Access to the files of one model.
pub(crate) struct ModelFiles {
    location: ModelLocation,
    source: Source,
    progress: Option<download::DownloadObserver>,
}

enum Source {
    Local(PathBuf),
    /// Cache only, at the commit the cache records for the revision (if any).
    Cached {
        repo: RepoCache,
        commit: Option<String>,
        why: CacheOnly,
    },
    /// Online: the repository's file list at a commit; files not cached are downloaded.
    Online(Box<Online>),
}

enum CacheOnly {
    Offline(OfflineMode),
    /// The hub could not be used; the cache stands in for it.
    Unreachable(NetworkError),
}

struct Online {
    client: Client,
    repo: RepoCache,
    id: String,
    revision: String,
    info: RepoInfo,
}

impl ModelFiles {
    /// Opens `location`. Online, this asks the hub for the file list (one request), which also tells
    /// whether the repository exists; offline (`offline`, else `HF_HUB_OFFLINE`), or when the hub
    /// cannot be reached, only the cache is used.
    pub(crate) fn open(
        location: ModelLocation,
        offline: Option<bool>,
        progress: Option<download::DownloadObserver>,
    ) -> Result<Self> {
        let source = match &location {
            ModelLocation::Local(dir) => {
                match std::fs::metadata(dir) {
                    Ok(metadata) if metadata.is_dir() => {}
                    Ok(_) => return Err(Error::NotADirectory { path: dir.clone() }),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                        return Err(Error::NoSuchDirectory { path: dir.clone() })
                    }
                    Err(error) => return Err(Error::io(dir, error)),
                }
                Source::Local(dir.clone())
            }
            ModelLocation::Hub { id, revision } => {
                check_hub_id(id)?;
                check_revision(revision)?;
                let repo = RepoCache::new(&cache_dir(), id);
                let cached =
                    |why| Source::Cached { commit: repo.commit_for(revision), repo: repo.clone(), why };
                match offline_mode(offline) {
                    Some(mode) => cached(CacheOnly::Offline(mode)),
                    None => {
                        let client = Client::from_env()?;
                        match client.repo_info(id, revision) {
                            Ok(info) => Source::Online(Box::new(Online {
                                client,
                                repo: repo.clone(),
                                id: id.clone(),
                                revision: revision.clone(),
                                info,
                            })),
                            Err(Failure::Refused(refusal)) => {
                                return Err(refused(&location, &client, &refusal, false))
                            }
                            // Unreachable hub: fall back to the cache, as `huggingface_hub` does.
                            Err(Failure::Network(error)) => cached(CacheOnly::Unreachable(error)),
                        }
                    }
                }
            }
        };
        Ok(ModelFiles { location, source, progress })
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

    /// Why the cache stood in for the hub, when it did because the hub could not be used.
    pub(crate) fn hub_fallback(&self) -> Option<&NetworkError> {
        match &self.source {
            Source::Cached { why: CacheOnly::Unreachable(error), .. } => Some(error),
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
            Source::Cached { repo, commit, .. } => {
                Ok(commit.as_deref().and_then(|commit| repo.cached_file(commit, file)))
            }
            Source::Online(online) => {
                if !online.info.files.iter().any(|f| f == file) {
                    return Ok(None);
                }
                if let Some(path) = online.repo.cached_file(&online.info.commit, file) {
                    return Ok(Some(path));
                }
                self.download(online, file).map(Some)
            }
        }
    }

    fn download(&self, online: &Online, file: &str) -> Result<PathBuf> {
        let Online { client, repo, id, info, .. } = online;
        let failed = |source: DownloadError| Error::Download {
            model: self.name(),
            file: file.to_string(),
            source: Box::new(source),
        };
        let meta = client.file_metadata(id, &info.commit, file).map_err(|failure| match failure {
            Failure::Refused(refusal) if matches!(refusal.status, 401 | 403) => {
                refused(&self.location, client, &refusal, info.gated)
            }
            Failure::Refused(refusal) => failed(DownloadError::Network(NetworkError {
                url: refusal.url,
                problem: crate::error::NetworkProblem::Status(refusal.status),
                attempts: 1,
                source: None,
            })),
            Failure::Network(error) => failed(error.into()),
        })?;
        download::fetch_blob(client, repo, &meta, file, self.progress.as_ref()).map_err(failed)?;
        repo.link(&info.commit, file, &meta.etag).map_err(|source| {
            failed(DownloadError::Cache { path: repo.snapshot_file(&info.commit, file), source })
        })
    }

    /// Like [`ModelFiles::get`], but a missing file is an error. For a file of a model that is not in
    /// the cache while offline (or while the hub cannot be used), the error says so.
    pub(crate) fn require(&self, file: &str) -> Result<PathBuf> {
        if let Some(path) = self.get(file)? {
            return Ok(path);
        }
        let not_cached = |repo: &RepoCache| (self.name(), repo.cache.clone(), file.to_string());
        Err(match &self.source {
            Source::Local(dir) => Error::bad_file(dir.join(file), "missing from the model directory"),
            Source::Cached { repo, why: CacheOnly::Offline(offline), .. } => {
                let (model, cache, file) = not_cached(repo);
                Error::ModelNotCached { model, cache, file, offline: *offline }
            }
            Source::Cached { repo, why: CacheOnly::Unreachable(error), .. } => {
                let (model, cache, file) = not_cached(repo);
                Error::HubUnreachable { model, cache, file, source: Box::new(error.clone()) }
            }
            Source::Online(_) => {
                Error::bad_file(PathBuf::from(file), format!("not in the repository of {}", self.name()))
            }
        })
    }

    /// Records in the cache which commit the revision resolved to (`refs/{revision}`), once the model
    /// has loaded: a run that fails halfway leaves the cache's earlier, complete revision in use.
    pub(crate) fn record_revision(&self) -> Result<()> {
        if let Source::Online(online) = &self.source {
            online.repo.write_ref(&online.revision, &online.info.commit).map_err(|error| {
                Error::io(online.repo.cache.join(format!("models--{}", online.id.replace('/', "--"))), error)
            })?;
        }
        Ok(())
    }
}

/// The error for a refusal from the hub: gated (401/403 with `GatedRepo`, or on a repository the file
/// list says is gated), or not found.
fn refused(location: &ModelLocation, client: &Client, refusal: &Refusal, gated: bool) -> Error {
    let model = location.display_name();
    let (id, revision) = match location {
        ModelLocation::Hub { id, revision } => (id.clone(), revision.clone()),
        ModelLocation::Local(_) => (model.clone(), "main".to_string()),
    };
    let token = &client.token;
    let status = refusal.status;
    if matches!(status, 401 | 403) && (gated || refusal.code.as_deref() == Some("GatedRepo")) {
        return Error::GatedModel {
            model,
            page: format!("{}/{id}", client.endpoint()),
            status,
            token: token.source,
            token_file: token.file.clone(),
        };
    }
    let said = refusal.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
    let reason = match (status, refusal.code.as_deref()) {
        (_, Some("RevisionNotFound")) => format!("it has no revision `{revision}` (HTTP {status}{said})"),
        (401, _) => format!(
            "no such repository, or a private one (HTTP 401 to a request with {}; anuvad reads HF_TOKEN, \
             else the token file {})",
            token.source,
            token.file.display()
        ),
        (404, _) => format!("no such repository (HTTP 404{said})"),
        (403, _) => format!("access refused (HTTP 403 to a request with {}{said})", token.source),
        (status, _) => format!("the hub answered HTTP {status}{said}"),
    };
    Error::ModelNotFound { model, endpoint: client.endpoint().to_string(), reason }
}

/// A hub id is `name` or `owner/name`: ASCII letters, digits, `-`, `_`, `.`, at most 96 characters a
/// part, no `--` or `..` (the rules of `huggingface_hub.validate_repo_id`).
fn check_hub_id(id: &str) -> Result<()> {
    let part_ok = |part: &str| {
        (1..=96).contains(&part.len())
            && part.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && !part.starts_with(['-', '.'])
            && !part.ends_with(['-', '.'])
            && !part.contains("--")
            && !part.contains("..")
    };
    let parts: Vec<&str> = id.split('/').collect();
    if parts.len() <= 2 && parts.iter().all(|p| part_ok(p)) {
        return Ok(());
    }
    Err(Error::InvalidInput(format!(
        "model `{id}` is neither a local directory nor a hub id (`owner/name`: letters, digits, `-`, `_`, `.`)"
    )))
}

/// A revision becomes a path in the cache (`refs/{revision}`): no empty or `..` parts.
fn check_revision(revision: &str) -> Result<()> {
    let ok = !revision.is_empty()
        && !revision.contains('\\')
        && revision.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "`{revision}` is not a revision (a branch, tag, refs/pr/N or commit)"
        )))
    }
}

/// The commit a cached file belongs to (`.../snapshots/<commit>/<file>`).
pub(crate) fn snapshot_commit(path: &Path) -> Option<String> {
    let components: Vec<_> =
        path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let at = components.iter().rposition(|c| c == "snapshots")?;
    components.get(at + 1).cloned()
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
    fn hub_ids_and_revisions_are_checked_before_use() {
        for id in
            ["Helsinki-NLP/opus-mt-hi-en", "gpt2", "ai4bharat/indictrans2-indic-en-dist-200M", "a/b.c_d"]
        {
            assert!(check_hub_id(id).is_ok(), "{id}");
        }
        for id in ["my model", "a/b/c", "a--b/c", "a/..b", "-a/b", "a/b.", "", "a/", "x:y"] {
            assert!(check_hub_id(id).is_err(), "{id}");
        }
        for revision in ["main", "refs/pr/2", "v1.0", "1111111111111111111111111111111111111111"] {
            assert!(check_revision(revision).is_ok(), "{revision}");
        }
        for revision in ["", "../../x", "refs//pr", "/main", "a\\b"] {
            assert!(check_revision(revision).is_err(), "{revision}");
        }
    }

    #[test]
    fn offline_mode_set_by_the_caller_wins_over_the_environment() {
        assert_eq!(offline_mode(Some(true)), Some(OfflineMode::Requested));
        assert_eq!(offline_mode(Some(false)), None);
    }

    #[test]
    fn commits_come_from_snapshot_paths() {
        let path = Path::new("/c/hub/models--a--b/snapshots/abc123/config.json");
        assert_eq!(snapshot_commit(path).as_deref(), Some("abc123"));
        assert_eq!(snapshot_commit(Path::new("models/x/config.json")), None);
    }
}
