//! A tiny stand-in for the Hugging Face Hub's HTTP interface, as `hf-hub` 0.5 uses it, serving
//! fixture directories on 127.0.0.1. Only for tests; it stops when dropped.
//!
//! Endpoints: `GET /api/models/{id}/revision/{rev}` (file list and commit) and
//! `GET /{id}/resolve/{rev}/{file}` (content, honouring `Range`, with `etag`/`x-linked-etag` = sha256 and
//! `x-repo-commit` headers). Each repository can be told to misbehave.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

/// How a repository answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Normal,
    /// 401 for everything: private or gated.
    Unauthorized,
    /// Files larger than 100 kB: the connection closes halfway through the body.
    DropMidFile,
    /// Files larger than 100 kB are announced under a sha256 that their content does not have.
    WrongChecksum,
}

#[derive(Clone)]
struct Revision {
    commit: String,
    files: HashMap<String, Vec<u8>>,
}

#[derive(Clone)]
struct Repository {
    revisions: HashMap<String, Revision>,
    behaviour: Behaviour,
}

/// The running server.
pub struct HubServer {
    pub endpoint: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    address: std::net::SocketAddr,
    /// Every request path served, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
}

/// Builds the repositories a server serves.
#[derive(Default)]
pub struct HubBuilder {
    repos: HashMap<String, Repository>,
}

impl HubBuilder {
    /// Serves `files` of `dir` (all files when empty) as `id` at `revision` with commit `commit`.
    pub fn revision(mut self, id: &str, revision: &str, commit: &str, dir: &Path, skip: &[&str]) -> Self {
        let mut files = HashMap::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !skip.contains(&name.as_str()) {
                files.insert(name, std::fs::read(entry.path()).unwrap());
            }
        }
        let repo = self
            .repos
            .entry(id.to_string())
            .or_insert_with(|| Repository { revisions: HashMap::new(), behaviour: Behaviour::Normal });
        repo.revisions.insert(revision.to_string(), Revision { commit: commit.to_string(), files });
        self
    }

    pub fn behaviour(mut self, id: &str, behaviour: Behaviour) -> Self {
        self.repos.get_mut(id).expect("repository added first").behaviour = behaviour;
        self
    }

    pub fn start(self) -> HubServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stop_flag, log, repos) = (Arc::clone(&stop), Arc::clone(&requests), self.repos);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = serve(stream, &repos, &log);
                }
            }
        });
        HubServer { endpoint: format!("http://{address}"), stop, thread: Some(thread), address, requests }
    }
}

impl HubServer {
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

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
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

fn respond(
    stream: &mut TcpStream,
    status: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

fn serve(
    mut stream: TcpStream,
    repos: &HashMap<String, Repository>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("range") {
                range = Some(value.trim().to_string());
            }
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
    log.lock().unwrap().push(path.clone());
    let not_found = |stream: &mut TcpStream| {
        respond(stream, "404 Not Found", &[], b"{\"error\":\"Repository not found\"}")
    };

    // /api/models/{org}/{name}/revision/{rev}
    if let Some(rest) = path.strip_prefix("/api/models/") {
        let parts: Vec<&str> = rest.splitn(4, '/').collect();
        if parts.len() != 4 || parts[2] != "revision" {
            return not_found(&mut stream);
        }
        let id = format!("{}/{}", parts[0], parts[1]);
        let Some(repo) = repos.get(&id) else { return not_found(&mut stream) };
        if repo.behaviour == Behaviour::Unauthorized {
            return respond(
                &mut stream,
                "401 Unauthorized",
                &[],
                b"{\"error\":\"Access to model is restricted\"}",
            );
        }
        let Some(revision) = repo.revisions.get(&percent_decode(parts[3])) else {
            return not_found(&mut stream);
        };
        let mut names: Vec<&String> = revision.files.keys().collect();
        names.sort();
        let siblings: Vec<String> = names.iter().map(|n| format!("{{\"rfilename\":\"{n}\"}}")).collect();
        let body = format!("{{\"sha\":\"{}\",\"siblings\":[{}]}}", revision.commit, siblings.join(","));
        return respond(
            &mut stream,
            "200 OK",
            &[("Content-Type".into(), "application/json".into())],
            body.as_bytes(),
        );
    }

    // /{org}/{name}/resolve/{rev}/{file}
    let parts: Vec<&str> = path.trim_start_matches('/').splitn(5, '/').collect();
    if parts.len() != 5 || parts[2] != "resolve" {
        return not_found(&mut stream);
    }
    let id = format!("{}/{}", parts[0], parts[1]);
    let Some(repo) = repos.get(&id) else { return not_found(&mut stream) };
    if repo.behaviour == Behaviour::Unauthorized {
        return respond(&mut stream, "401 Unauthorized", &[], b"");
    }
    let Some(revision) = repo.revisions.get(&percent_decode(parts[3])) else { return not_found(&mut stream) };
    let Some(content) = revision.files.get(&percent_decode(parts[4])) else {
        return respond(
            &mut stream,
            "404 Not Found",
            &[("X-Error-Code".into(), "EntryNotFound".into())],
            b"",
        );
    };
    let large = content.len() > 100_000;
    let etag = if large && repo.behaviour == Behaviour::WrongChecksum {
        sha256(b"something else")
    } else {
        sha256(content)
    };
    let (start, end) = match range.as_deref().and_then(|r| r.strip_prefix("bytes=")) {
        Some(spec) => {
            let (a, b) = spec.split_once('-').unwrap_or((spec, ""));
            let start: usize = a.parse().unwrap_or(0);
            let end: usize =
                if b.is_empty() { content.len().saturating_sub(1) } else { b.parse().unwrap_or(0) };
            let last = content.len().saturating_sub(1);
            (start.min(last), end.min(last).max(start.min(last)))
        }
        None => (0, content.len().saturating_sub(1)),
    };
    let body: &[u8] = if content.is_empty() { &[] } else { &content[start..=end] };
    let headers = vec![
        ("ETag".to_string(), format!("\"{etag}\"")),
        ("X-Linked-Etag".to_string(), format!("\"{etag}\"")),
        ("X-Repo-Commit".to_string(), revision.commit.clone()),
        ("Content-Range".to_string(), format!("bytes {start}-{end}/{}", content.len())),
        ("Accept-Ranges".to_string(), "bytes".to_string()),
    ];
    let status = if range.is_some() { "206 Partial Content" } else { "200 OK" };
    if large && repo.behaviour == Behaviour::DropMidFile && body.len() > 1 {
        // Announce the whole body, send half of it, hang up.
        let mut head =
            format!("HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
        for (name, value) in &headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(&body[..body.len() / 2])?;
        stream.flush()?;
        return stream.shutdown(Shutdown::Both);
    }
    respond(&mut stream, status, &headers, body)
}
