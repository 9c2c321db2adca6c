//! Downloading one file into the cache's blob store so that nothing incomplete is ever taken for the
//! file: the content goes to `blobs/{etag}.incomplete`, interrupted transfers resume from where they
//! stopped (a bounded number of times), and only content of the announced size whose hash is the etag
//! (sha256 for large files, the git blob sha1 for small ones) is renamed to `blobs/{etag}`. Content
//! that fails a check is deleted. A lock file keeps two processes from writing the same blob.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::cache::RepoCache;
use super::client::{backoff, io_problem, is_transient, Client, Failure, FileMetadata, ATTEMPTS};
use crate::error::{DownloadError, NetworkError, NetworkProblem};

type Result<T> = std::result::Result<T, DownloadError>;

/// Makes `blobs/{etag}` hold the verified content of `meta`; returns its path.
pub(crate) fn fetch_blob(
    client: &Client,
    repo: &RepoCache,
    meta: &FileMetadata,
    name: &str,
    observer: Option<&DownloadObserver>,
) -> Result<PathBuf> {
    let blob = repo.blob(&meta.etag);
    let lock_path = repo.lock_file(&meta.etag);
    let _lock = lock(&lock_path)?;
    if blob.is_file() {
        // The same content is there already (another revision has it, or another process finished it
        // while this one waited for the lock). Checked all the same: older tools renamed downloads into
        // place unchecked.
        if verify(&blob, meta).is_ok() {
            return Ok(blob);
        }
        std::fs::remove_file(&blob).map_err(|source| cache_error(&blob, source))?;
    }
    let partial = repo.incomplete_blob(&meta.etag);
    let result = transfer(client, meta, &partial, Meter { observer, file: name, size: meta.size })
        .and_then(|()| verify(&partial, meta));
    match result {
        Ok(()) => {
            std::fs::rename(&partial, &blob).map_err(|source| cache_error(&blob, source))?;
            Ok(blob)
        }
        Err(error) => {
            // An interrupted transfer is kept to be resumed; content that failed a check is not.
            if !matches!(error, DownloadError::Network(_)) {
                let _ = std::fs::remove_file(&partial);
            }
            Err(error)
        }
    }
}

/// An exclusive lock on `path` (created if needed), held until the returned file is dropped. Where the
/// file system cannot lock, the download goes on unlocked.
fn lock(path: &Path) -> Result<File> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(|source| cache_error(folder, source))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|source| cache_error(path, source))?;
    match file.lock() {
        Ok(()) => Ok(file),
        Err(error) if error.kind() == std::io::ErrorKind::Unsupported => Ok(file),
        Err(source) => Err(cache_error(path, source)),
    }
}

/// Fills `partial` with the content, resuming from what it already holds.
fn transfer(client: &Client, meta: &FileMetadata, partial: &Path, meter: Meter<'_>) -> Result<()> {
    if let Some(folder) = partial.parent() {
        std::fs::create_dir_all(folder).map_err(|source| cache_error(folder, source))?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(partial)
        .map_err(|source| cache_error(partial, source))?;
    let mut attempt = 0;
    let result = loop {
        attempt += 1;
        let failure = match attempt_transfer(client, meta, &mut file, partial, &meter, attempt) {
            Step::Done => break Ok(()),
            Step::Fail(error) => break Err(error),
            Step::Retry(failure) => failure,
        };
        // A stall mid-file is retried too (unlike a first request): this hub has been answering.
        let retry = is_transient(&failure.problem)
            || matches!(failure.problem, NetworkProblem::Timeout { .. } | NetworkProblem::InvalidResponse(_));
        if !retry || attempt >= ATTEMPTS {
            let received = file.metadata().map(|m| m.len()).unwrap_or(0);
            break Err(match (&failure.problem, meta.size) {
                // The server ended cleanly each time, short of the size it announced.
                (NetworkProblem::Interrupted, Some(expected)) if failure.source.is_none() => {
                    DownloadError::Size { expected, received }
                }
                _ => DownloadError::Network(failure),
            });
        }
        std::thread::sleep(backoff(attempt));
    };
    meter.finish(file.metadata().map(|m| m.len()).unwrap_or(0));
    result
}

/// What one request for the content came to.
enum Step {
    Done,
    /// Give up: the content or the cache is wrong, or the hub refused.
    Fail(DownloadError),
    /// The transfer broke: resume if attempts are left.
    Retry(NetworkError),
}

fn attempt_transfer(
    client: &Client,
    meta: &FileMetadata,
    file: &mut File,
    partial: &Path,
    meter: &Meter<'_>,
    attempt: u32,
) -> Step {
    let failure =
        |problem, source| NetworkError { url: meta.url.clone(), problem, attempts: attempt, source };
    let length =
        |file: &File| file.metadata().map(|m| m.len()).map_err(|e| Step::Fail(cache_error(partial, e)));
    let mut offset = match length(file) {
        Ok(offset) => offset,
        Err(step) => return step,
    };
    if meta.size.is_some_and(|size| offset > size) {
        if let Err(error) = file.set_len(0) {
            return Step::Fail(cache_error(partial, error));
        }
        offset = 0;
    }
    if meta.size == Some(offset) && offset > 0 {
        return Step::Done;
    }
    let response = match client.content(&meta.url, offset) {
        Ok(response) => response,
        // The file ends before `offset`: what is there is all the server has.
        Err(Failure::Refused(refusal)) if refusal.status == 416 && offset > 0 => {
            return Step::Fail(DownloadError::Size { expected: meta.size.unwrap_or(0), received: offset })
        }
        Err(Failure::Refused(refusal)) => {
            return Step::Fail(DownloadError::Network(failure(NetworkProblem::Status(refusal.status), None)))
        }
        Err(Failure::Network(error)) => return Step::Retry(error),
    };
    // 200: the whole file (the server ignored the range); 206: it must start where asked.
    let start = if response.status().as_u16() == 206 { content_range_start(&response) } else { Some(0) };
    if start != Some(offset) {
        if let Err(error) = file.set_len(0) {
            return Step::Fail(cache_error(partial, error));
        }
        if start != Some(0) {
            return Step::Retry(failure(
                NetworkProblem::InvalidResponse("a range that was not asked for".into()),
                None,
            ));
        }
        offset = 0;
    }
    if let Err(error) = file.seek(SeekFrom::Start(offset)) {
        return Step::Fail(cache_error(partial, error));
    }
    meter.at(offset, false);
    match copy_body(response.into_body().into_reader(), file, partial, meter, offset) {
        Ok(()) => {}
        Err(Copy::Write(error)) => return Step::Fail(error),
        Err(Copy::Read(error)) => {
            let problem = io_problem(&error, client.download_timeout);
            return Step::Retry(failure(problem, Some(std::sync::Arc::new(error))));
        }
    }
    let received = match length(file) {
        Ok(received) => received,
        Err(step) => return step,
    };
    match meta.size {
        Some(size) if received > size => Step::Fail(DownloadError::Size { expected: size, received }),
        // Ended early but cleanly: resume like after a reset.
        Some(size) if received < size => Step::Retry(failure(NetworkProblem::Interrupted, None)),
        _ => Step::Done,
    }
}

enum Copy {
    Read(std::io::Error),
    Write(DownloadError),
}

fn copy_body(
    mut reader: impl Read,
    file: &mut File,
    partial: &Path,
    meter: &Meter<'_>,
    mut received: u64,
) -> std::result::Result<(), Copy> {
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                let _ = file.flush();
                return Err(Copy::Read(error));
            }
        };
        file.write_all(&buffer[..read]).map_err(|source| Copy::Write(cache_error(partial, source)))?;
        received += read as u64;
        meter.at(received, false);
    }
    file.flush().map_err(|source| Copy::Write(cache_error(partial, source)))
}

/// The first byte of a `Content-Range: bytes START-END/SIZE` answer.
fn content_range_start(response: &ureq::http::Response<ureq::Body>) -> Option<u64> {
    let value = response.headers().get("content-range")?.to_str().ok()?;
    let range = value.trim().strip_prefix("bytes ")?;
    range.split('-').next()?.trim().parse().ok()
}

/// Checks the finished content: its size, then its hash when the etag is one (64 hex digits: sha256 of
/// the content; 40: the git blob sha1, `sha1("blob {size}\0" + content)`).
fn verify(path: &Path, meta: &FileMetadata) -> Result<()> {
    use sha2::Digest;
    let received = std::fs::metadata(path).map_err(|source| cache_error(path, source))?.len();
    if let Some(expected) = meta.size {
        if received != expected {
            return Err(DownloadError::Size { expected, received });
        }
    }
    let etag = meta.etag.to_ascii_lowercase();
    let is_hex = etag.bytes().all(|b| b.is_ascii_hexdigit());
    let mut file = File::open(path).map_err(|source| cache_error(path, source))?;
    let (algorithm, actual) = match etag.len() {
        64 if is_hex => {
            let mut hasher = sha2::Sha256::new();
            std::io::copy(&mut file, &mut hasher).map_err(|source| cache_error(path, source))?;
            ("sha256", hex(&hasher.finalize()))
        }
        40 if is_hex => {
            let mut hasher = sha1::Sha1::new();
            hasher.update(format!("blob {received}\0").as_bytes());
            std::io::copy(&mut file, &mut hasher).map_err(|source| cache_error(path, source))?;
            ("git-sha1", hex(&hasher.finalize()))
        }
        // Not a hash this client knows (a mirror's own etag): the size check is all there is.
        _ => return Ok(()),
    };
    if actual == etag {
        Ok(())
    } else {
        Err(DownloadError::Checksum { algorithm, expected: etag, actual })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How far the download of one model file has come, for progress displays
/// ([`TranslatorBuilder::download_progress`](crate::TranslatorBuilder::download_progress)).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct DownloadProgress<'a> {
    /// The file within the repository.
    pub file: &'a str,
    /// Bytes of it received so far (a resumed download starts with what an earlier run received).
    pub received: u64,
    /// Its size, when the hub said.
    pub size: Option<u64>,
    /// True once, when the transfer ends (complete or not).
    pub finished: bool,
}

/// A caller's download progress display.
pub(crate) type DownloadObserver = std::sync::Arc<dyn Fn(DownloadProgress<'_>) + Send + Sync>;

/// Reports one file's transfer to the observer, if there is one.
struct Meter<'a> {
    observer: Option<&'a DownloadObserver>,
    file: &'a str,
    size: Option<u64>,
}

impl Meter<'_> {
    fn at(&self, received: u64, finished: bool) {
        if let Some(observer) = self.observer {
            observer(DownloadProgress { file: self.file, received, size: self.size, finished });
        }
    }

    fn finish(&self, received: u64) {
        self.at(received, true);
    }
}

fn cache_error(path: &Path, source: std::io::Error) -> DownloadError {
    DownloadError::Cache { path: path.to_path_buf(), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(etag: &str, size: u64) -> FileMetadata {
        FileMetadata { url: "http://hub/x".into(), etag: etag.into(), size: Some(size) }
    }

    #[test]
    fn content_is_checked_against_its_size_and_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        std::fs::write(&path, b"hello\n").unwrap();
        // `git hash-object` of "hello\n", and `sha256sum` of it.
        let sha1 = "ce013625030ba8dba906f756967f9e9ca394464a";
        let sha256 = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
        assert!(verify(&path, &meta(sha1, 6)).is_ok());
        assert!(verify(&path, &meta(sha256, 6)).is_ok());
        assert!(matches!(
            verify(&path, &meta(sha256, 7)),
            Err(DownloadError::Size { expected: 7, received: 6 })
        ));
        let wrong = "0".repeat(64);
        assert!(matches!(verify(&path, &meta(&wrong, 6)), Err(DownloadError::Checksum { .. })));
        // An etag that is no hash: only the size is checked.
        assert!(verify(&path, &meta("mirror-etag-1", 6)).is_ok());
    }
}
