//! The library's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in anuvad, with the file or model concerned named in the message.
///
/// Match on the variants to react to a kind of failure; new variants may be added in minor releases.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `--model` named a local path that does not exist.
    #[error("{}: no such directory (given as a local model directory)", path.display())]
    NoSuchDirectory {
        /// The path as given.
        path: PathBuf,
    },

    /// `--model` named a local path that is a file, not a model directory.
    #[error("{}: is a file, expected a model directory", path.display())]
    NotADirectory {
        /// The path as given.
        path: PathBuf,
    },

    /// Offline mode is on and the model (or one of its files) is not in the local Hugging Face cache.
    #[error(
        "model `{model}` is not in the Hugging Face cache ({}: no `{file}`) and {offline}",
        cache.display()
    )]
    ModelNotCached {
        /// The hub id, with `@revision` when one was asked for.
        model: String,
        /// The cache directory that was searched.
        cache: PathBuf,
        /// The first file of the model that was looked for and not found.
        file: String,
        /// How offline mode was chosen.
        offline: OfflineMode,
    },

    /// The hub could not be used (no answer in time, no connection, server errors) and the model (or
    /// one of its files) is not in the local Hugging Face cache. When the cache has the model, it is
    /// used instead and [`Translator::hub_fallback`](crate::Translator::hub_fallback) says why.
    #[error(
        "model `{model}` is not in the Hugging Face cache ({}: no `{file}`) and the hub cannot be used",
        cache.display()
    )]
    HubUnreachable {
        /// The hub id, with `@revision` when one was asked for.
        model: String,
        /// The cache directory that was searched.
        cache: PathBuf,
        /// The first file of the model that was looked for and not found.
        file: String,
        /// What went wrong with the hub.
        #[source]
        source: Box<NetworkError>,
    },

    /// The hub answered that the model (or the revision) does not exist or cannot be seen.
    #[error("model `{model}` was not found on the Hugging Face Hub ({endpoint}): {reason}")]
    ModelNotFound {
        /// The hub id, with `@revision` when one was asked for.
        model: String,
        /// The hub's address (`HF_ENDPOINT`, default `https://huggingface.co`).
        endpoint: String,
        /// What the hub said.
        reason: String,
    },

    /// The model is gated: its terms must be accepted on the hub, and anuvad must send a token of an
    /// account that accepted them.
    #[error(
        "model `{model}` is gated on the Hugging Face Hub: its terms must be accepted at {page} by the \
         account whose token anuvad sends, from HF_TOKEN or else the token file {} (the hub answered \
         HTTP {status} to a request with {token})",
        token_file.display()
    )]
    GatedModel {
        /// The hub id, with `@revision` when one was asked for.
        model: String,
        /// The model's page on the hub, where its terms are accepted.
        page: String,
        /// The HTTP status of the refusal (401: no or unknown token; 403: no access for this token).
        status: u16,
        /// Which token was sent.
        token: TokenSource,
        /// The token file that is read when `HF_TOKEN` is not set (`$HF_TOKEN_PATH`, else
        /// `$HF_HOME/token`).
        token_file: PathBuf,
    },

    /// A file of the model could not be downloaded. Nothing of it is left in the cache that a later
    /// run could take for the complete file.
    #[error("downloading `{file}` of model `{model}` failed")]
    Download {
        /// The hub id, with `@revision` when one was asked for.
        model: String,
        /// The file within the repository.
        file: String,
        /// What went wrong.
        #[source]
        source: Box<DownloadError>,
    },

    /// A model file is missing, unreadable or malformed.
    #[error("{}: {problem}", path.display())]
    BadModelFile {
        /// The offending file (or the directory, when a file is missing from it).
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },

    /// The model's `config.json` names an architecture anuvad does not implement.
    #[error("{}: unsupported architecture `{model_type}` (supported: {supported})", path.display())]
    UnsupportedArchitecture {
        /// The `config.json` that was read.
        path: PathBuf,
        /// Its `model_type`.
        model_type: String,
        /// The model types anuvad can run, comma-separated.
        supported: String,
    },

    /// The input or an option cannot be used (e.g. a beam size of 0).
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// The requested compute device cannot be used.
    #[error("device unavailable: {0}")]
    DeviceUnavailable(String),

    /// The caller's progress callback asked to stop.
    #[error("cancelled")]
    Cancelled,

    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// Reading or writing failed where there is no file name to give: the writer passed to
    /// [`Document::write`](crate::Document::write), or a caller's own I/O (`?` on a
    /// `std::io::Result` in a function returning [`crate::Result`]).
    #[error("{0}")]
    Stream(#[from] std::io::Error),

    /// A tensor operation failed while running the model.
    #[error("model computation failed")]
    Compute(#[source] ComputeError),
}

/// What went wrong in a tensor operation: candle's error, behind a type of our own so that candle's
/// version is not part of anuvad's API. Its `Display` is candle's message; `source()` is candle's cause.
#[derive(Debug)]
pub struct ComputeError(candle_core::Error);

impl std::fmt::Display for ComputeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ComputeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl From<candle_core::Error> for Error {
    fn from(error: candle_core::Error) -> Self {
        Error::Compute(ComputeError(error))
    }
}

/// How offline mode (cache only, no network) was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OfflineMode {
    /// By the caller: [`TranslatorBuilder::offline`](crate::TranslatorBuilder::offline) (the CLI's
    /// `--offline`).
    Requested,
    /// By the environment: `HF_HUB_OFFLINE` is set (to `1`, `on`, `yes` or `true`).
    Environment,
}

impl std::fmt::Display for OfflineMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OfflineMode::Requested => "offline mode was requested",
            OfflineMode::Environment => "offline mode is set by HF_HUB_OFFLINE",
        })
    }
}

/// Which token anuvad sent to the hub: `HF_TOKEN` when set, else the token file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// No token: `HF_TOKEN` is not set and there is no token file.
    None,
    /// The `HF_TOKEN` environment variable.
    Environment,
    /// The token file (`$HF_TOKEN_PATH`, else `$HF_HOME/token`, as `huggingface-cli login` writes it).
    File,
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenSource::None => "no token",
            TokenSource::Environment => "the token from HF_TOKEN",
            TokenSource::File => "the token from the token file",
        })
    }
}

/// A hub request that got no usable answer, after the retries it was allowed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{url} {problem}{}", if *attempts > 1 { format!(" ({attempts} attempts)") } else { String::new() })]
#[non_exhaustive]
pub struct NetworkError {
    /// The address asked (it starts with the endpoint, `HF_ENDPOINT`).
    pub url: String,
    /// What went wrong.
    pub problem: NetworkProblem,
    /// How many times the request was sent.
    pub attempts: u32,
    /// The transport's own error, when there is one.
    #[source]
    pub source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

/// What went wrong with a hub request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NetworkProblem {
    /// No connection or no answer within the time allowed (`HF_HUB_ETAG_TIMEOUT` for metadata,
    /// `HF_HUB_DOWNLOAD_TIMEOUT` for file contents; 10 s each by default).
    Timeout {
        /// The limit, in seconds.
        seconds: f64,
    },
    /// The host could not be reached (name resolution, connection refused, TLS).
    Unreachable,
    /// The connection broke before the answer was complete.
    Interrupted,
    /// The hub answered with an HTTP error status.
    Status(u16),
    /// The answer cannot be used (missing or malformed headers or body).
    InvalidResponse(String),
}

impl std::fmt::Display for NetworkProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetworkProblem::Timeout { seconds } => write!(f, "did not answer within {seconds} s"),
            NetworkProblem::Unreachable => f.write_str("cannot be reached"),
            NetworkProblem::Interrupted => f.write_str("closed the connection before the end of the answer"),
            NetworkProblem::Status(status) => write!(f, "answered HTTP {status}"),
            NetworkProblem::InvalidResponse(what) => write!(f, "sent an unusable answer: {what}"),
        }
    }
}

/// Why a model file could not be downloaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadError {
    /// The request failed.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// The content's length is not the size the hub announced.
    #[error("received {received} bytes where the hub announced {expected}")]
    Size {
        /// The size announced (`X-Linked-Size` or `Content-Length`).
        expected: u64,
        /// The bytes received.
        received: u64,
    },
    /// The content does not have the hash the hub names it by.
    #[error("the content does not match its {algorithm} (expected {expected}, got {actual})")]
    Checksum {
        /// `sha256` (large files) or `git-sha1` (small files, hashed as git blobs).
        algorithm: &'static str,
        /// The hash the hub announced (its etag).
        expected: String,
        /// The hash of what was received.
        actual: String,
    },
    /// The cache could not be written.
    #[error("cannot write {}", path.display())]
    Cache {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn bad_file(path: impl Into<PathBuf>, problem: impl std::fmt::Display) -> Self {
        Error::BadModelFile { path: path.into(), problem: problem.to_string() }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}
