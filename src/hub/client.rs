//! A small blocking client for the two hub endpoints anuvad uses, on `ureq`: a repository's file list
//! at a revision (`/api/models/{id}/revision/{rev}`) and a file's metadata and content
//! (`/{id}/resolve/{commit}/{file}`, usually redirected to a CDN for large files).
//!
//! Why not `hf-hub`'s blocking API: it builds its HTTP agent itself, without any timeout, so a hub that
//! accepts the connection and never answers hangs the program; it retries only file bodies, and never
//! on 5xx. Here every request has connect and read timeouts (`HF_HUB_ETAG_TIMEOUT` for metadata,
//! `HF_HUB_DOWNLOAD_TIMEOUT` for contents, 10 s each by default, as `huggingface_hub`), and a bounded
//! number of retries with backoff on connection resets, 5xx and 429.

use std::sync::Arc;
use std::time::Duration;

use ureq::config::RedirectAuthHeaders;
use ureq::http::{Response, Uri};
use ureq::{Agent, Body};

use super::cache::Token;
use crate::error::{Error, NetworkError, NetworkProblem, Result};

/// The hub, unless `HF_ENDPOINT` names another (a mirror, or a local stand-in in tests).
const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// `huggingface_hub`'s defaults for `HF_HUB_ETAG_TIMEOUT` and `HF_HUB_DOWNLOAD_TIMEOUT`.
const DEFAULT_TIMEOUT_SECONDS: f64 = 10.0;
/// Times a request is sent at most: the first and two retries. With 10 s timeouts, a hub that stalls
/// mid-file fails in about 35 s, one that never answers in 10-20 s.
pub(crate) const ATTEMPTS: u32 = 3;
/// The longest `Retry-After` honoured between attempts.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);
/// The largest file list accepted (the hub's answers are a few kB to a few MB).
const MAX_INFO_BYTES: u64 = 64 << 20;

/// An answer the hub will give again: a 4xx status other than 429, with the hub's error code
/// (`X-Error-Code`: `GatedRepo`, `RepoNotFound`, `RevisionNotFound`, `EntryNotFound`) and message.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub(crate) url: String,
    pub(crate) status: u16,
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
}

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The hub answered no (see [`Refusal`]).
    Refused(Refusal),
    /// No usable answer after the retries allowed.
    Network(NetworkError),
}

/// What `/api/models/{id}/revision/{rev}` says.
#[derive(Debug, Clone)]
pub(crate) struct RepoInfo {
    /// The commit the revision points to.
    pub(crate) commit: String,
    /// Every file of the repository at that commit.
    pub(crate) files: Vec<String>,
    /// Whether the repository is gated (its terms must be accepted).
    pub(crate) gated: bool,
}

/// Where a file's content is, and what it must be.
#[derive(Debug, Clone)]
pub(crate) struct FileMetadata {
    /// The content's address (the CDN's, for large files).
    pub(crate) url: String,
    /// The sha256 (large files) or git sha1 (small files) of the content; names its blob.
    pub(crate) etag: String,
    /// The size announced, when the hub announced one.
    pub(crate) size: Option<u64>,
}

/// The hub's address, the token and two agents: one for metadata (short timeouts, redirects followed
/// by hand), one for contents.
pub(crate) struct Client {
    endpoint: String,
    endpoint_authority: String,
    metadata: Agent,
    content: Agent,
    metadata_timeout: Duration,
    pub(crate) download_timeout: Duration,
    pub(crate) token: Token,
}

impl Client {
    /// A client for `HF_ENDPOINT` with `HF_TOKEN` (or the token file) and the timeouts from
    /// `HF_HUB_ETAG_TIMEOUT` and `HF_HUB_DOWNLOAD_TIMEOUT`.
    pub(crate) fn from_env() -> Result<Client> {
        let endpoint = match std::env::var("HF_ENDPOINT") {
            Ok(value) if !value.trim().is_empty() => value.trim().trim_end_matches('/').to_string(),
            _ => DEFAULT_ENDPOINT.to_string(),
        };
        let authority = endpoint
            .parse::<Uri>()
            .ok()
            .filter(|uri| matches!(uri.scheme_str(), Some("http" | "https")))
            .and_then(|uri| uri.authority().map(|a| a.to_string()));
        let Some(authority) = authority else {
            return Err(Error::InvalidInput(format!(
                "HF_ENDPOINT `{endpoint}` is not an http:// or https:// address"
            )));
        };
        let metadata_timeout = timeout_from_env("HF_HUB_ETAG_TIMEOUT")?;
        let download_timeout = timeout_from_env("HF_HUB_DOWNLOAD_TIMEOUT")?;
        Ok(Client {
            endpoint,
            endpoint_authority: authority,
            metadata: agent(metadata_timeout, false),
            content: agent(download_timeout, true),
            metadata_timeout,
            download_timeout,
            token: super::cache::token()?,
        })
    }

    /// The hub's address (`HF_ENDPOINT`).
    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The file list and commit of `id` at `revision`.
    pub(crate) fn repo_info(&self, id: &str, revision: &str) -> std::result::Result<RepoInfo, Failure> {
        #[derive(serde::Deserialize)]
        struct Sibling {
            rfilename: String,
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            sha: Option<String>,
            #[serde(default)]
            siblings: Vec<Sibling>,
            #[serde(default)]
            gated: serde_json::Value,
        }
        let url = format!("{}/api/models/{id}/revision/{}", self.endpoint, encode(revision, false));
        let mut response = self.send(&self.metadata, Method::Get, &url, None, self.metadata_timeout)?;
        let invalid = |what: String, source: Option<Arc<dyn std::error::Error + Send + Sync>>| {
            Failure::Network(NetworkError {
                url: url.clone(),
                problem: NetworkProblem::InvalidResponse(what),
                attempts: 1,
                source,
            })
        };
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_INFO_BYTES)
            .read_to_string()
            .map_err(|e| network_failure(&url, e, self.metadata_timeout, 1))?;
        let answer: Answer = serde_json::from_str(&text)
            .map_err(|e| invalid("the file list is not the JSON expected".into(), Some(Arc::new(e))))?;
        let commit = answer.sha.unwrap_or_default();
        if !super::cache::is_commit(&commit) {
            return Err(invalid(format!("`{commit}` is not a commit hash"), None));
        }
        let gated = matches!(answer.gated, serde_json::Value::String(_) | serde_json::Value::Bool(true));
        Ok(RepoInfo { commit, files: answer.siblings.into_iter().map(|s| s.rfilename).collect(), gated })
    }

    /// Where `file` of `id` at `commit` is and what its content must be (a `HEAD` request; relative
    /// redirects, as for renamed repositories, are followed; an absolute one is the content's address).
    pub(crate) fn file_metadata(
        &self,
        id: &str,
        commit: &str,
        file: &str,
    ) -> std::result::Result<FileMetadata, Failure> {
        let mut url = format!("{}/{id}/resolve/{commit}/{}", self.endpoint, encode(file, true));
        for _ in 0..5 {
            let response = self.send(&self.metadata, Method::Head, &url, None, self.metadata_timeout)?;
            let header = |name: &str| {
                response.headers().get(name).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_string())
            };
            let location = header("location");
            let redirected = response.status().is_redirection();
            if redirected {
                match location.as_deref() {
                    None => return Err(invalid_response(&url, "a redirect without a Location")),
                    Some(path) if path.starts_with('/') => {
                        url = format!("{}{path}", self.endpoint);
                        continue;
                    }
                    Some(_) => {}
                }
            }
            let etag = header("x-linked-etag").or_else(|| header("etag")).map(|e| clean_etag(&e));
            let Some(etag) = etag.filter(|e| is_safe_etag(e)) else {
                return Err(invalid_response(&url, "no usable ETag"));
            };
            // On a redirect, Content-Length is the redirect's own body.
            let size =
                header("x-linked-size").or_else(|| if redirected { None } else { header("content-length") });
            let size = match size {
                Some(text) => match text.parse::<u64>() {
                    Ok(size) => Some(size),
                    Err(_) => return Err(invalid_response(&url, "an unreadable file size")),
                },
                None => None,
            };
            let content_url = if redirected { location.unwrap_or(url) } else { url };
            return Ok(FileMetadata { url: content_url, etag, size });
        }
        Err(invalid_response(&url, "too many redirects"))
    }

    /// One `GET` of a file's content from byte `offset` (no retries: the caller resumes).
    pub(crate) fn content(&self, url: &str, offset: u64) -> std::result::Result<Response<Body>, Failure> {
        self.send_with(&self.content, Method::Get, url, Some(offset), self.download_timeout, 1)
    }

    fn send(
        &self,
        agent: &Agent,
        method: Method,
        url: &str,
        offset: Option<u64>,
        timeout: Duration,
    ) -> std::result::Result<Response<Body>, Failure> {
        self.send_with(agent, method, url, offset, timeout, ATTEMPTS)
    }

    /// Sends a request up to `attempts` times: again after a connection reset, a 5xx or a 429, with
    /// backoff. A timeout is not retried: a hub that does not answer is taken for unreachable at once.
    fn send_with(
        &self,
        agent: &Agent,
        method: Method,
        url: &str,
        offset: Option<u64>,
        timeout: Duration,
        attempts: u32,
    ) -> std::result::Result<Response<Body>, Failure> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = match method {
                Method::Get => {
                    // The raw bytes: their size and hash are checked.
                    let mut request = agent.get(url).header("Accept-Encoding", "identity");
                    if let Some(offset) = offset.filter(|&o| o > 0) {
                        request = request.header("Range", format!("bytes={offset}-"));
                    }
                    if let Some(token) = self.token_for(url) {
                        request = request.header("Authorization", format!("Bearer {token}"));
                    }
                    request.call()
                }
                Method::Head => {
                    let mut request = agent.head(url).header("Accept-Encoding", "identity");
                    if let Some(token) = self.token_for(url) {
                        request = request.header("Authorization", format!("Bearer {token}"));
                    }
                    request.call()
                }
            };
            let (error, wait) = match result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if status < 400 {
                        return Ok(response);
                    }
                    if status != 429 && status < 500 {
                        return Err(Failure::Refused(refusal(url, &response)));
                    }
                    let wait = retry_after(&response);
                    let error = NetworkError {
                        url: url.to_string(),
                        problem: NetworkProblem::Status(status),
                        attempts: attempt,
                        source: None,
                    };
                    (error, wait)
                }
                Err(error) => {
                    let error = network_error(url, error, timeout, attempt);
                    if !is_transient(&error.problem) {
                        return Err(Failure::Network(error));
                    }
                    (error, Duration::ZERO)
                }
            };
            if attempt >= attempts {
                return Err(Failure::Network(error));
            }
            std::thread::sleep(backoff(attempt).max(wait.min(MAX_RETRY_WAIT)));
        }
    }

    /// The token, for requests to the hub itself only (never to a CDN it redirects to).
    fn token_for(&self, url: &str) -> Option<&str> {
        let authority = url.parse::<Uri>().ok()?.authority()?.to_string();
        if authority == self.endpoint_authority {
            self.token.value.as_deref()
        } else {
            None
        }
    }
}

#[derive(Clone, Copy)]
enum Method {
    Get,
    Head,
}

/// The wait before retry number `attempt` (1-based): 1 s, 2 s, 4 s, ...
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(3))
}

/// Failures worth another attempt: the connection broke, or the server is overloaded.
pub(crate) fn is_transient(problem: &NetworkProblem) -> bool {
    match problem {
        NetworkProblem::Interrupted => true,
        NetworkProblem::Status(status) => *status == 429 || *status >= 500,
        _ => false,
    }
}

fn agent(timeout: Duration, follow_redirects: bool) -> Agent {
    Agent::config_builder()
        // Error statuses come back as responses: their X-Error-Code header says what is wrong.
        .http_status_as_error(false)
        .timeout_resolve(Some(timeout))
        .timeout_connect(Some(timeout))
        .timeout_send_request(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .timeout_per_read(Some(timeout))
        .timeout_per_write(Some(timeout))
        .max_redirects(if follow_redirects { 10 } else { 0 })
        .max_redirects_will_error(follow_redirects)
        .redirect_auth_headers(RedirectAuthHeaders::SameHost)
        .user_agent(concat!("anuvad/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// A positive number of seconds from `variable`, else the default.
fn timeout_from_env(variable: &str) -> Result<Duration> {
    let Ok(text) = std::env::var(variable) else {
        return Ok(Duration::from_secs_f64(DEFAULT_TIMEOUT_SECONDS));
    };
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 => {
            Ok(Duration::from_secs_f64(seconds))
        }
        _ => Err(Error::InvalidInput(format!(
            "{variable} must be a number of seconds between 0 and 86400, not `{text}`"
        ))),
    }
}

fn refusal(url: &str, response: &Response<Body>) -> Refusal {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Refusal {
        url: url.to_string(),
        status: response.status().as_u16(),
        code: header("x-error-code"),
        message: header("x-error-message"),
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not worth a parser here).
fn retry_after(response: &Response<Body>) -> Duration {
    response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::ZERO)
}

fn invalid_response(url: &str, what: &str) -> Failure {
    Failure::Network(NetworkError {
        url: url.to_string(),
        problem: NetworkProblem::InvalidResponse(what.to_string()),
        attempts: 1,
        source: None,
    })
}

fn network_failure(url: &str, error: ureq::Error, timeout: Duration, attempts: u32) -> Failure {
    Failure::Network(network_error(url, error, timeout, attempts))
}

/// Names what went wrong with a request, keeping the transport's error as the source.
pub(crate) fn network_error(url: &str, error: ureq::Error, timeout: Duration, attempts: u32) -> NetworkError {
    let problem = match &error {
        ureq::Error::Io(io) => io_problem(io, timeout),
        other => ureq_problem(other, timeout),
    };
    NetworkError { url: url.to_string(), problem, attempts, source: Some(Arc::new(error)) }
}

/// Names a failure while reading a body (ureq wraps its own errors in `io::Error` there).
pub(crate) fn io_problem(error: &std::io::Error, timeout: Duration) -> NetworkProblem {
    use std::io::ErrorKind::*;
    if let Some(inner) = error.get_ref().and_then(|e| e.downcast_ref::<ureq::Error>()) {
        return ureq_problem(inner, timeout);
    }
    match error.kind() {
        TimedOut | WouldBlock => NetworkProblem::Timeout { seconds: timeout.as_secs_f64() },
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => NetworkProblem::Interrupted,
        _ => NetworkProblem::Unreachable,
    }
}

fn ureq_problem(error: &ureq::Error, timeout: Duration) -> NetworkProblem {
    match error {
        ureq::Error::Timeout(_) => NetworkProblem::Timeout { seconds: timeout.as_secs_f64() },
        ureq::Error::Io(io) => io_problem(io, timeout),
        // The server hung up or sent garbage mid-answer: worth another try.
        ureq::Error::Protocol(_) | ureq::Error::BodyStalled => NetworkProblem::Interrupted,
        ureq::Error::TooManyRedirects => NetworkProblem::InvalidResponse("too many redirects".into()),
        ureq::Error::LargeResponseHeader(..) => NetworkProblem::InvalidResponse("oversized headers".into()),
        ureq::Error::BodyExceedsLimit(limit) => {
            NetworkProblem::InvalidResponse(format!("an answer larger than {limit} bytes"))
        }
        _ => NetworkProblem::Unreachable,
    }
}

/// `"abc"`, `W/"abc"` -> `abc`.
fn clean_etag(etag: &str) -> String {
    etag.trim_start_matches("W/").trim_matches('"').to_string()
}

/// An etag names a file in the cache: letters, digits, `-` and `_` only.
fn is_safe_etag(etag: &str) -> bool {
    (1..=128).contains(&etag.len())
        && etag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Percent-encodes a revision (every `/` too) or a file path (its `/` kept).
fn encode(text: &str, keep_slashes: bool) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const PART: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    if keep_slashes {
        text.split('/').map(|part| utf8_percent_encode(part, PART).to_string()).collect::<Vec<_>>().join("/")
    } else {
        utf8_percent_encode(text, PART).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_and_file_names_are_encoded_for_urls() {
        assert_eq!(encode("refs/pr/2", false), "refs%2Fpr%2F2");
        assert_eq!(encode("main", false), "main");
        assert_eq!(encode("onnx/model file.bin", true), "onnx/model%20file.bin");
    }

    #[test]
    fn etags_are_unquoted_and_must_be_safe_file_names() {
        assert_eq!(clean_etag("W/\"abc-1\""), "abc-1");
        assert!(is_safe_etag(&"a".repeat(64)));
        assert!(!is_safe_etag("../blobs/x"));
        assert!(!is_safe_etag(""));
    }

    #[test]
    fn only_resets_and_server_errors_are_retried() {
        assert!(is_transient(&NetworkProblem::Interrupted));
        assert!(is_transient(&NetworkProblem::Status(503)));
        assert!(is_transient(&NetworkProblem::Status(429)));
        assert!(!is_transient(&NetworkProblem::Status(404)));
        assert!(!is_transient(&NetworkProblem::Timeout { seconds: 10.0 }));
        assert!(!is_transient(&NetworkProblem::Unreachable));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(9), Duration::from_secs(8));
    }
}
