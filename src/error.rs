//! The library's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in anuvad, with the file or model concerned named in the message.
///
/// Match on the variants to react to a kind of failure; new variants may be added in minor releases.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The model is neither in the local Hugging Face cache nor downloadable (offline mode or no network).
    #[error(
        "model `{model}` is not in the Hugging Face cache ({cache}) and cannot be downloaded ({reason}). \
         Either run `anuvad download --model {model}` on a machine that is online (then copy the cache), \
         or pass `--model DIR` with a local copy of the model's files"
    )]
    ModelNotCached {
        /// The hub id, with `@revision` when one was asked for.
        model: String,
        /// The cache directory that was searched.
        cache: PathBuf,
        /// Why no download was attempted or why it failed to start (offline mode, network error, ...).
        reason: String,
    },

    /// The hub answered that the model (or the revision) does not exist, or that it needs a token.
    #[error("model `{model}` was not found on the Hugging Face Hub: {reason}")]
    ModelNotFound {
        /// The hub id or the local path that was given.
        model: String,
        /// What the hub said (or that the local directory does not exist).
        reason: String,
    },

    /// A file of the model could not be downloaded.
    #[error("downloading `{file}` of model `{model}` failed: {reason}")]
    Download {
        /// The hub id.
        model: String,
        /// The file within the repository.
        file: String,
        /// The transport or server error.
        reason: String,
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

    /// A tensor operation failed while running the model.
    #[error("model computation failed: {0}")]
    Compute(#[from] candle_core::Error),
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
