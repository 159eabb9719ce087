//! Test support: a scripted HTTP/1.1 server on 127.0.0.1.
//!
//! It is a real server on a real socket, deliberately small and hand-rolled so
//! that tests can make it misbehave in ways a well-behaved server library would
//! not allow: close without answering, stall, lie about lengths. Every request
//! it receives is recorded exactly as it arrived.

/// The README's Rust examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The method, e.g. `DELETE`.
    pub method: String,
    /// The request target: path and query, as sent.
    pub target: String,
    /// Header names (lowercased) and values, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Captured {
    /// The value of a header, if present (name is case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A stable text rendering for snapshots: the secret of `authorization` and
    /// the ephemeral port of `host` are masked, headers are sorted.
    pub fn redacted(&self) -> String {
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let v = match n.as_str() {
                    "authorization" => match v.split_once(' ') {
                        Some((scheme, _)) => format!("{scheme} [redacted]"),
                        None => "[redacted]".into(),
                    },
                    "host" => "127.0.0.1:[port]".into(),
                    _ => v.clone(),
                };
                (n.clone(), v)
            })
            .collect();
        headers.sort();
        let mut out = format!("{} {}\n", self.method, self.target);
        for (n, v) in headers {
            out.push_str(&format!("{n}: {v}\n"));
        }
        if self.body.is_empty() {
            out.push_str("\n(no body)\n");
        } else {
            out.push_str(&format!("\n{}\n", String::from_utf8_lossy(&self.body)));
        }
        out
    }
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response.
    Respond {
        /// Status code.
        status: u16,
        /// Extra headers (`content-length` is added unless present).
        headers: Vec<(String, String)>,
        /// Body bytes.
        body: Vec<u8>,
        /// Wait this long before answering.
        delay: Duration,
    },
    /// Close the connection without answering.
    Close,
    /// Write these bytes verbatim, then close.
    Raw(Vec<u8>),
    /// Write `head` verbatim, then `body_bytes` bytes of `x` lazily, 64 KiB at a
    /// time, counting what the socket accepted (see [`TestServer::bytes_written`]);
    /// stops as soon as the client stops reading and the connection breaks.
    Stream {
        /// Status line and headers, up to and including the blank line.
        head: Vec<u8>,
        /// How many body bytes to offer.
        body_bytes: u64,
    },
    /// Write `head`, then one byte of `x` per `interval`, at most `max_bytes`,
    /// then close: a body that never stalls long but never ends in time.
    Trickle {
        /// Status line and headers, up to and including the blank line.
        head: Vec<u8>,
        /// Pause between bytes.
        interval: Duration,
        /// Bound on the bytes sent.
        max_bytes: usize,
    },
    /// Write the head and the first part of the body, then stall for the delay.
    StallBody {
        /// The head and partial body.
        start: Vec<u8>,
        /// How long to stall before closing.
        stall: Duration,
    },
}

impl Reply {
    /// A response with a status and no body.
    pub fn status(status: u16) -> Self {
        Self::Respond {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// A JSON response.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
            delay: Duration::ZERO,
        }
    }

    /// A response with a body of the given content type.
    pub fn body(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::Respond {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// A response of `status` whose body is `body_bytes` of `x`, announced with
    /// `content-length` and streamed lazily (see [`Reply::Stream`]).
    pub fn huge(status: u16, content_type: &str, body_bytes: u64) -> Self {
        let head = format!(
            "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {body_bytes}\r\n\r\n",
            reason(status)
        );
        Self::Stream {
            head: head.into_bytes(),
            body_bytes,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Self::Respond { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }

    /// Answers only after `delay`.
    pub fn delayed(mut self, by: Duration) -> Self {
        if let Self::Respond { delay, .. } = &mut self {
            *delay = by;
        }
        self
    }
}

type Script = dyn Fn(usize, &Captured) -> Reply + Send + Sync;

/// A running server. Dropping it stops accepting connections.
pub struct TestServer {
    addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<Captured>>>,
    connections: Arc<AtomicUsize>,
    written: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Answers the n-th request (from 0) with `replies[n]`, repeating the last one.
    pub async fn with_replies(replies: Vec<Reply>) -> Self {
        assert!(!replies.is_empty(), "a server needs at least one reply");
        Self::with_script(move |n, _| replies[n.min(replies.len() - 1)].clone()).await
    }

    /// Answers each request with what `script(n, request)` returns.
    pub async fn with_script(
        script: impl Fn(usize, &Captured) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::bind("127.0.0.1", script)
            .await
            .expect("bind a loopback port")
    }

    /// Like [`Self::with_script`], on another loopback address (`127.0.0.2`
    /// is a different host to a client). `Err` when the address cannot be bound.
    pub async fn bind(
        ip: &str,
        script: impl Fn(usize, &Captured) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind((ip, 0)).await?;
        let addr = listener.local_addr().expect("local address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let written = Arc::new(AtomicU64::new(0));
        let script: Arc<Script> = Arc::new(script);
        let task = tokio::spawn({
            let requests = requests.clone();
            let connections = connections.clone();
            let written = written.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(serve(
                        stream,
                        requests.clone(),
                        script.clone(),
                        written.clone(),
                    ));
                }
            }
        });
        Ok(Self {
            addr,
            requests,
            connections,
            written,
            task,
        })
    }

    /// Body bytes of [`Reply::Stream`] replies the socket accepted so far.
    pub fn bytes_written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }

    /// `http://IP:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Captured> {
        self.requests.lock().expect("requests lock").clone()
    }

    /// Forgets the requests received so far (long runs that count memory).
    pub fn clear_requests(&self) {
        self.requests.lock().expect("requests lock").clear();
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn serve(
    mut stream: TcpStream,
    requests: Arc<Mutex<Vec<Captured>>>,
    script: Arc<Script>,
    written: Arc<AtomicU64>,
) {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        let n = {
            let mut all = requests.lock().expect("requests lock");
            all.push(request.clone());
            all.len() - 1
        };
        match script(n, &request) {
            Reply::Respond {
                status,
                headers,
                body,
                delay,
            } => {
                tokio::time::sleep(delay).await;
                let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
                let has_length = headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
                for (name, value) in &headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                if !has_length {
                    head.push_str(&format!("content-length: {}\r\n", body.len()));
                }
                head.push_str("\r\n");
                let mut bytes = head.into_bytes();
                bytes.extend_from_slice(&body);
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Reply::Close => return,
            Reply::Raw(bytes) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
                return;
            }
            Reply::Stream { head, body_bytes } => {
                if stream.write_all(&head).await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 64 * 1024];
                let mut left = body_bytes;
                while left > 0 {
                    let n = left.min(chunk.len() as u64) as usize;
                    if stream.write_all(&chunk[..n]).await.is_err() {
                        return;
                    }
                    written.fetch_add(n as u64, Ordering::SeqCst);
                    left -= n as u64;
                }
            }
            Reply::Trickle {
                head,
                interval,
                max_bytes,
            } => {
                if stream.write_all(&head).await.is_err() {
                    return;
                }
                for _ in 0..max_bytes {
                    tokio::time::sleep(interval).await;
                    if stream.write_all(b"x").await.is_err() {
                        return;
                    }
                }
                return;
            }
            Reply::StallBody { start, stall } => {
                let _ = stream.write_all(&start).await;
                tokio::time::sleep(stall).await;
                return;
            }
        }
    }
}

/// Reads one request (head and `content-length` body) from the connection.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Captured> {
    let head_end = loop {
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buffer.len() < body_start + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer[body_start..body_start + length].to_vec();
    buffer.drain(..body_start + length);
    Some(Captured {
        method,
        target,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        _ => "Status",
    }
}

/// The registry entry of `tests/fixtures/lowered.yaml`: one operation per
/// lowering (see `tests/tests/lowerings.rs`), for an API that takes an
/// idempotency key.
pub const LOWERED_ENTRY: &str = r#"
[providers.lowered]
spec = "lowered.yaml"
crate = "lowered"
title = "Lowered"
base_url_env = "LOWERED_BASE_URL"
idempotency_header = "Idempotency-Key"

[providers.lowered.auth]
header = "Authorization"
prefix = "Bearer "
env = "LOWERED_TOKEN"
what = "token"
"#;

/// A scratch copy of the workspace `repo` at `root`, with one more provider:
/// `tests/fixtures/{fixture}` as its spec and `entry` appended to the registry.
pub fn workspace_with_provider(
    repo: &std::path::Path,
    root: &std::path::Path,
    fixture: &str,
    entry: &str,
) {
    copy_dir(repo, root);
    add_provider(root, &repo.join("tests/fixtures").join(fixture), entry);
}

/// Adds a provider to the scratch workspace `root`: `spec` copied into
/// `specs/` under its own file name, and `entry` appended to the registry.
pub fn add_provider(root: &std::path::Path, spec: &std::path::Path, entry: &str) {
    std::fs::copy(spec, root.join("specs").join(spec.file_name().unwrap())).unwrap();
    let registry = std::fs::read_to_string(root.join("specs/providers.toml")).unwrap();
    std::fs::write(
        root.join("specs/providers.toml"),
        format!("{registry}{entry}"),
    )
    .unwrap();
}

/// Runs `cargo args` (with `env`) in the scratch workspace `root`, in `repo`'s
/// `target/drift-check`, and returns its output.
///
/// Scratch copies share that target directory so that their dependencies are
/// built once. Cargo names a path package's artifacts by its path relative to
/// the workspace root, so every scratch copy's `gcore-iam` (or runtime) is the
/// same file there, and cargo's own lock covers only compiling: one test's
/// build would replace an rlib while another test's rustdoc or example still
/// links against it. The lock file serializes these runs, across test threads
/// and across processes (nextest).
pub fn scratch_cargo(
    repo: &std::path::Path,
    root: &std::path::Path,
    args: &[&str],
    env: &[(&str, String)],
) -> std::process::Output {
    let target = repo.join("target/drift-check");
    std::fs::create_dir_all(&target).unwrap();
    let lock = std::fs::File::create(target.with_extension("lock")).unwrap();
    lock.lock().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(args)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    drop(lock);
    out
}

/// Writes `source` as example `call` of the generated crate `package` in the
/// scratch workspace `root` and runs it (offline, without default features,
/// through [`scratch_cargo`]) with `env`; returns its stdout, or panics with
/// its output when it fails.
pub fn run_example(
    repo: &std::path::Path,
    root: &std::path::Path,
    package: &str,
    source: &str,
    env: &[(&str, String)],
) -> String {
    let examples = root.join(package).join("examples");
    std::fs::create_dir_all(&examples).unwrap();
    std::fs::write(examples.join("call.rs"), source).unwrap();
    let run = scratch_cargo(
        repo,
        root,
        &["run", "--offline", "--quiet", "-p", package]
            .into_iter()
            .chain([
                "--no-default-features",
                "--features",
                "full",
                "--example",
                "call",
            ])
            .collect::<Vec<_>>(),
        env,
    );
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    stdout
}

/// [`run_example`] from an async test, whose runtime must keep serving the
/// test's server while the example is built and run.
pub async fn run_example_async(
    repo: &std::path::Path,
    root: &std::path::Path,
    package: &str,
    source: &str,
    env: &[(&str, String)],
) -> String {
    let (repo, root) = (repo.to_path_buf(), root.to_path_buf());
    let (package, source) = (package.to_string(), source.to_string());
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        run_example(&repo, &root, &package, &source, &env)
    })
    .await
    .unwrap()
}

/// Copies a checkout of the workspace (without `target/` and `.git/`), for
/// tests that generate into a scratch copy.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
