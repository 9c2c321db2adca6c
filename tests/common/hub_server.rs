//! A tiny stand-in for the Hugging Face Hub's HTTP interface, as anuvad (and `huggingface_hub`) use it,
//! serving fixture directories on 127.0.0.1. Only for tests; it stops when dropped.
//!
//! Endpoints, as the real hub answers them:
//! - `GET /api/models/{id}/revision/{rev}`: the commit (`sha`), the file list (`siblings`), `gated`.
//! - `HEAD|GET /{id}/resolve/{rev}/{file}`: small files directly (`ETag` = git blob sha1); large ones
//!   (over 100 kB, like LFS files) as a 302 to `/cdn/{sha256}` with `X-Linked-Etag` (sha256) and
//!   `X-Linked-Size`. `X-Repo-Commit` on both. `Range` honoured (416 past the end).
//! - Errors carry `X-Error-Code` (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`, `GatedRepo`).
//!
//! Each repository can be told to misbehave ([`Behaviour`]); [`HubServer::stalling`] is a server that
//! accepts connections and never answers.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

/// Files above this size are served like LFS files: a redirect, sha256 etags.
const LARGE: usize = 100_000;

/// How a repository answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Normal,
    /// 401 `RepoNotFound` for everything, as the hub answers for a private repository without a token.
    Unauthorized,
    /// Gated with manual approval: the file list is public; files need `Authorization: Bearer <token>`
    /// (401 `GatedRepo` without a token, 403 `GatedRepo` with another one).
    Gated {
        token: &'static str,
    },
    /// Large files: the connection closes halfway through the body, every time.
    DropMidFile,
    /// Large files: the first transfer closes halfway through the body; later ones are fine.
    DropOnce,
    /// Large files: half the body is sent, then nothing more, the connection held open.
    StallMidFile,
    /// Large files are announced under a sha256 that their content does not have.
    WrongChecksum,
    /// Large files are announced 1000 bytes larger than they are.
    WrongSize,
    /// The first `n` requests about the repository get 503.
    ServerErrors(u32),
}

#[derive(Clone)]
struct Revision {
    commit: String,
    files: HashMap<String, Vec<u8>>,
}

struct Repository {
    revisions: HashMap<String, Revision>,
    behaviour: Behaviour,
    /// Requests answered so far (for the behaviours that change over time).
    served: AtomicU32,
    large_transfers: AtomicU32,
}

/// The running server.
pub struct HubServer {
    pub endpoint: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    address: std::net::SocketAddr,
    /// Every request served, as `METHOD path`, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
}

/// Builds the repositories a server serves.
#[derive(Default)]
pub struct HubBuilder {
    repos: HashMap<String, (HashMap<String, Revision>, Behaviour)>,
}

impl HubBuilder {
    /// Serves the files of `dir` (except `skip`) as `id` at `revision` with commit `commit`.
    pub fn revision(mut self, id: &str, revision: &str, commit: &str, dir: &Path, skip: &[&str]) -> Self {
        let mut files = HashMap::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !skip.contains(&name.as_str()) {
                files.insert(name, std::fs::read(entry.path()).unwrap());
            }
        }
        let repo = self.repos.entry(id.to_string()).or_insert_with(|| (HashMap::new(), Behaviour::Normal));
        repo.0.insert(revision.to_string(), Revision { commit: commit.to_string(), files });
        self
    }

    pub fn behaviour(mut self, id: &str, behaviour: Behaviour) -> Self {
        self.repos.get_mut(id).expect("repository added first").1 = behaviour;
        self
    }

    pub fn start(self) -> HubServer {
        let repos: HashMap<String, Repository> = self
            .repos
            .into_iter()
            .map(|(id, (revisions, behaviour))| {
                let repo = Repository {
                    revisions,
                    behaviour,
                    served: AtomicU32::new(0),
                    large_transfers: AtomicU32::new(0),
                };
                (id, repo)
            })
            .collect();
        spawn(Some(Arc::new(repos)))
    }
}

impl HubServer {
    /// A server that accepts every connection and never answers (a stuck proxy, a hung hub).
    pub fn stalling() -> HubServer {
        spawn(None)
    }

    /// Stops the server and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for HubServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// One thread accepts; each connection is served on its own thread, so that a stalled answer does
/// not hold up the others. `repos: None` never answers.
fn spawn(repos: Option<Arc<HashMap<String, Repository>>>) -> HubServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let endpoint = format!("http://{address}");
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (stop_flag, log, base) = (Arc::clone(&stop), Arc::clone(&requests), endpoint.clone());
    let thread = std::thread::spawn(move || {
        // Connections held open without an answer, until the server stops.
        let mut held = Vec::new();
        for stream in listener.incoming() {
            if stop_flag.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else { continue };
            match &repos {
                None => held.push(stream),
                Some(repos) => {
                    let (repos, log, base, stop) =
                        (Arc::clone(repos), Arc::clone(&log), base.clone(), Arc::clone(&stop_flag));
                    std::thread::spawn(move || {
                        let _ = serve(stream, &repos, &log, &base, &stop);
                    });
                }
            }
        }
        drop(held);
    });
    HubServer { endpoint, stop, thread: Some(thread), address, requests }
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The git blob hash the hub uses as the etag of small files.
fn git_sha1(bytes: &[u8]) -> String {
    use sha1::Digest as _;
    let mut hasher = sha1::Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(value) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(value);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Request {
    method: String,
    path: String,
    range: Option<String>,
    token: Option<String>,
}

fn read_request(stream: &TcpStream) -> std::io::Result<Request> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let (mut range, mut token) = (None, None);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("range") {
                range = Some(value.trim().to_string());
            }
            if name.eq_ignore_ascii_case("authorization") {
                token = value.trim().strip_prefix("Bearer ").map(str::to_string);
            }
        }
    }
    let mut words = request_line.split_whitespace();
    let method = words.next().unwrap_or("GET").to_string();
    let path = words.next().unwrap_or("/").to_string();
    Ok(Request { method, path, range, token })
}

/// Writes a status line and headers, then `body` (not for HEAD). `length` is the announced
/// Content-Length (the body's unless a misbehaviour says otherwise).
fn head(
    stream: &mut TcpStream,
    status: &str,
    headers: &[(String, String)],
    length: usize,
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {length}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())
}

fn respond(
    stream: &mut TcpStream,
    request: &Request,
    status: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    head(stream, status, headers, body.len())?;
    if request.method != "HEAD" {
        stream.write_all(body)?;
    }
    stream.flush()
}

fn error(
    stream: &mut TcpStream,
    request: &Request,
    status: &str,
    code: &str,
    message: &str,
) -> std::io::Result<()> {
    let headers = [
        ("X-Error-Code".to_string(), code.to_string()),
        ("X-Error-Message".to_string(), message.to_string()),
    ];
    respond(stream, request, status, &headers, format!("{{\"error\":\"{message}\"}}").as_bytes())
}

fn serve(
    mut stream: TcpStream,
    repos: &HashMap<String, Repository>,
    log: &Mutex<Vec<String>>,
    base: &str,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    let request = read_request(&stream)?;
    log.lock().unwrap().push(format!("{} {}", request.method, request.path));
    let path = request.path.clone();

    // /cdn/{id}/{rev}/{file}: the content of a large file, after the redirect.
    if let Some(rest) = path.strip_prefix("/cdn/") {
        let parts: Vec<&str> = rest.splitn(4, '/').collect();
        let id = format!("{}/{}", parts[0], parts.get(1).unwrap_or(&""));
        let (Some(repo), Some(rev), Some(file)) = (repos.get(&id), parts.get(2), parts.get(3)) else {
            return error(&mut stream, &request, "404 Not Found", "EntryNotFound", "no such file");
        };
        let Some(content) = find_revision(repo, rev).and_then(|r| r.files.get(&percent_decode(file))) else {
            return error(&mut stream, &request, "404 Not Found", "EntryNotFound", "no such file");
        };
        return send_content(&mut stream, &request, repo, content, &[], stop);
    }

    // /api/models/{owner}/{name}/revision/{rev}
    if let Some(rest) = path.strip_prefix("/api/models/") {
        let parts: Vec<&str> = rest.splitn(4, '/').collect();
        if parts.len() != 4 || parts[2] != "revision" {
            return error(&mut stream, &request, "404 Not Found", "RepoNotFound", "Repository not found");
        }
        let id = format!("{}/{}", parts[0], parts[1]);
        let Some(repo) = repos.get(&id) else {
            return error(&mut stream, &request, "404 Not Found", "RepoNotFound", "Repository not found");
        };
        if let Some(answered) = misbehave_before_answering(&mut stream, &request, repo)? {
            return Ok(answered);
        }
        let Some(revision) = repo.revisions.get(&percent_decode(parts[3])) else {
            return error(&mut stream, &request, "404 Not Found", "RevisionNotFound", "Invalid rev id");
        };
        let mut names: Vec<&String> = revision.files.keys().collect();
        names.sort();
        let siblings: Vec<String> = names.iter().map(|n| format!("{{\"rfilename\":\"{n}\"}}")).collect();
        let gated = if matches!(repo.behaviour, Behaviour::Gated { .. }) { "\"manual\"" } else { "false" };
        let body = format!(
            "{{\"id\":\"{id}\",\"sha\":\"{}\",\"gated\":{gated},\"siblings\":[{}]}}",
            revision.commit,
            siblings.join(",")
        );
        let headers = [("Content-Type".to_string(), "application/json".to_string())];
        return respond(&mut stream, &request, "200 OK", &headers, body.as_bytes());
    }

    // /{owner}/{name}/resolve/{rev}/{file}
    let parts: Vec<&str> = path.trim_start_matches('/').splitn(5, '/').collect();
    if parts.len() != 5 || parts[2] != "resolve" {
        return error(&mut stream, &request, "404 Not Found", "RepoNotFound", "Repository not found");
    }
    let id = format!("{}/{}", parts[0], parts[1]);
    let Some(repo) = repos.get(&id) else {
        return error(&mut stream, &request, "401 Unauthorized", "RepoNotFound", "Repository not found");
    };
    if let Some(answered) = misbehave_before_answering(&mut stream, &request, repo)? {
        return Ok(answered);
    }
    if let Behaviour::Gated { token } = repo.behaviour {
        let message = format!("Access to model {id} is restricted.");
        match request.token.as_deref() {
            None => return error(&mut stream, &request, "401 Unauthorized", "GatedRepo", &message),
            Some(sent) if sent != token => {
                return error(&mut stream, &request, "403 Forbidden", "GatedRepo", &message)
            }
            Some(_) => {}
        }
    }
    let Some(revision) = find_revision(repo, parts[3]) else {
        return error(&mut stream, &request, "404 Not Found", "RevisionNotFound", "Invalid rev id");
    };
    let file = percent_decode(parts[4]);
    let Some(content) = revision.files.get(&file) else {
        return error(&mut stream, &request, "404 Not Found", "EntryNotFound", "Entry not found");
    };
    let commit = ("X-Repo-Commit".to_string(), revision.commit.clone());
    if content.len() <= LARGE {
        let headers = [("ETag".to_string(), format!("\"{}\"", git_sha1(content))), commit];
        return send_content(&mut stream, &request, repo, content, &headers, stop);
    }
    let etag =
        if repo.behaviour == Behaviour::WrongChecksum { sha256(b"something else") } else { sha256(content) };
    let size = if repo.behaviour == Behaviour::WrongSize { content.len() + 1000 } else { content.len() };
    let location = format!("{base}/cdn/{id}/{}/{}", revision.commit, parts[4]);
    let headers = [
        ("Location".to_string(), location),
        ("X-Linked-Etag".to_string(), format!("\"{etag}\"")),
        ("X-Linked-Size".to_string(), size.to_string()),
        commit,
    ];
    respond(&mut stream, &request, "302 Found", &headers, b"")
}

/// The hub resolves a branch, a tag, `refs/pr/N` (percent-encoded) or a commit.
fn find_revision<'a>(repo: &'a Repository, revision: &str) -> Option<&'a Revision> {
    let name = percent_decode(revision);
    repo.revisions.get(&name).or_else(|| repo.revisions.values().find(|r| r.commit == name))
}

/// The misbehaviours that come before any answer: 401 for a private repository, 503s.
fn misbehave_before_answering(
    stream: &mut TcpStream,
    request: &Request,
    repo: &Repository,
) -> std::io::Result<Option<()>> {
    let served = repo.served.fetch_add(1, Ordering::SeqCst);
    match repo.behaviour {
        Behaviour::Unauthorized => {
            error(stream, request, "401 Unauthorized", "RepoNotFound", "Repository not found").map(Some)
        }
        Behaviour::ServerErrors(n) if served < n => {
            respond(stream, request, "503 Service Unavailable", &[], b"overloaded").map(Some)
        }
        _ => Ok(None),
    }
}

/// A file's content (or the range asked for), with the repository's misbehaviour for large files.
fn send_content(
    stream: &mut TcpStream,
    request: &Request,
    repo: &Repository,
    content: &[u8],
    extra: &[(String, String)],
    stop: &AtomicBool,
) -> std::io::Result<()> {
    let start = match request.range.as_deref().and_then(|r| r.strip_prefix("bytes=")) {
        Some(spec) => spec.split('-').next().unwrap_or("0").parse::<usize>().unwrap_or(0),
        None => 0,
    };
    if start >= content.len() && !content.is_empty() {
        let headers = [("Content-Range".to_string(), format!("bytes */{}", content.len()))];
        return respond(stream, request, "416 Range Not Satisfiable", &headers, b"");
    }
    let body = &content[start.min(content.len())..];
    let mut headers = extra.to_vec();
    headers.push(("Accept-Ranges".to_string(), "bytes".to_string()));
    let status = if request.range.is_some() {
        let end = content.len().saturating_sub(1);
        headers.push(("Content-Range".to_string(), format!("bytes {start}-{end}/{}", content.len())));
        "206 Partial Content"
    } else {
        "200 OK"
    };
    let large = content.len() > LARGE && request.method == "GET";
    let transfer = if large { repo.large_transfers.fetch_add(1, Ordering::SeqCst) } else { 0 };
    let cut = match repo.behaviour {
        Behaviour::DropMidFile | Behaviour::StallMidFile => large,
        Behaviour::DropOnce => large && transfer == 0,
        _ => false,
    };
    if !cut || body.len() < 2 {
        return respond(stream, request, status, &headers, body);
    }
    // Announce the whole body, send half of it, then hang up or go silent.
    head(stream, status, &headers, body.len())?;
    stream.write_all(&body[..body.len() / 2])?;
    stream.flush()?;
    if repo.behaviour == Behaviour::StallMidFile {
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    stream.shutdown(Shutdown::Both)
}
