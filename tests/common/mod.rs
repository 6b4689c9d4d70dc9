//! The harness of the integration tests: real `redis-server` processes with the module
//! loaded, reply helpers, and (in `oracle`) an independent shortest-path oracle.
//!
//! Tests never `use hunt` (a cdylib): they talk to the server over TCP like any client.

#![allow(dead_code)]

pub mod oracle;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use redis::{Cmd, Connection, RedisError, Value};

/// How long a server may take to start answering, and how long to wait for shutdown.
const STARTUP: Duration = Duration::from_secs(10);
/// Replies to a pipeline of searches on the largest maps can take a while on 2 cores.
const READ_TIMEOUT: Duration = Duration::from_secs(120);

static SERVERS: AtomicUsize = AtomicUsize::new(0);

/// The repository's root (the `hunt` package).
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled demo map.
pub fn rome_path() -> PathBuf {
    manifest_dir().join("data").join("rome99.gr.gz")
}

/// A road map of the shared data folder, or `None` (with a note on stderr) when it is absent,
/// so the suite passes on machines without it.
pub fn shared_map(file: &str) -> Option<PathBuf> {
    let path = manifest_dir().join("..").join("shared").join("data").join("roads").join(file);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("skipping: {} not found", path.display());
        None
    }
}

pub fn redis_server_binary() -> PathBuf {
    std::env::var_os("REDIS_SERVER").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/redis-server"))
}

/// The module to load: `HUNT_MODULE`, else the newest `libhunt.so` of the test binary's
/// directory (`target/<profile>/deps`) and the one above it (`target/<profile>`).
///
/// `cargo test` does not build the cdylib itself: run `cargo build -p hunt` (same profile)
/// first. A module older than the sources gets a warning on stderr.
pub fn module_path() -> PathBuf {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        if let Some(path) = std::env::var_os("HUNT_MODULE") {
            return PathBuf::from(path);
        }
        let exe = std::env::current_exe().expect("the test binary's path");
        let deps = exe.parent().expect("the test binary's directory");
        let newest = [deps.join("libhunt.so"), deps.join("..").join("libhunt.so")]
            .into_iter()
            .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
            .max_by_key(|(modified, _)| *modified);
        let Some((built, path)) = newest else {
            panic!(
                "libhunt.so not found next to {} nor one directory up: run `cargo build --release -p hunt` \
                 (or without --release, as for the tests) first, or set HUNT_MODULE",
                exe.display()
            );
        };
        let root = manifest_dir();
        let sources = [root.join("src"), root.join("core").join("src")];
        let stale = sources
            .iter()
            .filter_map(|dir| std::fs::read_dir(dir).ok())
            .flatten()
            .filter_map(Result::ok)
            .filter(|e| e.metadata().ok().and_then(|m| m.modified().ok()).is_some_and(|t| t > built))
            .map(|e| e.path().display().to_string())
            .collect::<Vec<_>>();
        if !stale.is_empty() {
            eprintln!(
                "warning: {} is older than {}: run `cargo build -p hunt` so the tests load the current module",
                path.display(),
                stale.join(", ")
            );
        }
        path
    })
    .clone()
}

/// A free TCP port on 127.0.0.1, as the OS hands it out for port 0. Another process could
/// take it before the server binds it; `Server::start` retries with a new port then.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// A `redis-server` child process with the module loaded. Dropping it kills the server,
/// also when the test panics; the directory is kept after a failure, for its log.
pub struct Server {
    child: Option<Child>,
    pub port: u16,
    pub dir: PathBuf,
    extra: Vec<String>,
}

impl Server {
    /// Starts a server with the standard arguments plus `extra` (e.g. `--appendonly yes`).
    /// `name` names the directory, so a failed test's files are easy to find.
    pub fn start(name: &str, extra: &[&str]) -> Server {
        let n = SERVERS.fetch_add(1, Ordering::Relaxed);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("hunt-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the server's directory");
        let mut server = Server { child: None, port: 0, dir, extra: extra.iter().map(|s| s.to_string()).collect() };
        for attempt in 1..=5 {
            server.port = free_port();
            match server.spawn() {
                Ok(()) => return server,
                Err(log) if log.contains("Address already in use") && attempt < 5 => continue,
                Err(log) => panic!("redis-server on port {} did not start:\n{log}", server.port),
            }
        }
        unreachable!()
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("redis.log")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn spawn(&mut self) -> Result<(), String> {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("stderr.log"))
            .expect("open stderr.log");
        let mut command = Command::new(redis_server_binary());
        command
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--loadmodule")
            .arg(module_path())
            .arg("--enable-debug-command")
            .arg("yes")
            .arg("--save")
            .arg("")
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(self.log_path())
            .arg("--notify-keyspace-events")
            .arg("KEA")
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        let child = command.spawn().map_err(|e| format!("cannot run {}: {e}", redis_server_binary().display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                self.child = None;
                let stderr = std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default();
                return Err(format!("exited with {status}\n{}\n{stderr}", self.log()));
            }
            if let Ok(mut con) = self.try_con() {
                // A server still loading its data answers `LOADING`; wait for PONG.
                if let Ok(Value::SimpleString(pong)) = redis::cmd("PING").query::<Value>(&mut con) {
                    if pong == "PONG" {
                        return Ok(());
                    }
                }
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(format!("no PONG within {STARTUP:?}\n{}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn try_con(&self) -> redis::RedisResult<Connection> {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))?;
        let con = client.get_connection_with_timeout(Duration::from_secs(2))?;
        con.set_read_timeout(Some(READ_TIMEOUT))?;
        con.set_write_timeout(Some(READ_TIMEOUT))?;
        Ok(con)
    }

    /// A RESP2 connection, retried every 20 ms for up to 10 s.
    pub fn con(&self) -> Connection {
        let deadline = Instant::now() + STARTUP;
        loop {
            match self.try_con() {
                Ok(con) => return con,
                Err(e) if Instant::now() > deadline => {
                    panic!("cannot connect to port {}: {e}\n{}", self.port, self.log())
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// A connection switched to RESP3 with `HELLO 3`.
    pub fn con3(&self) -> Connection {
        let mut con = self.con();
        let hello: Value = redis::cmd("HELLO").arg(3).query(&mut con).expect("HELLO 3");
        let proto = fields(&hello).into_iter().find(|(k, _)| k == "proto").map(|(_, v)| int(&v));
        assert_eq!(proto, Some(3), "HELLO 3 did not switch to RESP3: {hello:?}");
        con
    }

    /// Whether the process is still running (it did not crash).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Stops the server gracefully (`SHUTDOWN`, which also flushes the AOF), or kills it.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(mut con) = self.try_con() {
            // The server closes the connection instead of replying.
            let _ = redis::cmd("SHUTDOWN").query::<Value>(&mut con);
        }
        let deadline = Instant::now() + STARTUP;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Stops the server and starts it again on the same port and directory, with the same
    /// arguments: what it serves afterwards comes from its RDB or AOF files.
    pub fn restart(&mut self) {
        self.stop();
        let mut last = String::new();
        // The port was ours a moment ago; only a very unlucky race takes it meanwhile.
        for _ in 0..20 {
            match self.spawn() {
                Ok(()) => return,
                Err(log) if log.contains("Address already in use") => {
                    last = log;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(log) => panic!("redis-server did not restart on port {}:\n{log}", self.port),
            }
        }
        panic!("port {} stayed busy:\n{last}", self.port);
    }

    /// Stops the server and starts it once more on the same port and files: `Err` with its log
    /// when it does not come up (it refused its data).
    pub fn try_restart(&mut self) -> Result<(), String> {
        self.stop();
        self.spawn()
    }

    /// Kills the server with SIGKILL (`kill -9`: no shutdown, no last write) and reaps it.
    /// `restart` then starts it again from whatever reached its files.
    pub fn kill9(&mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("server files kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Commands and replies
// ---------------------------------------------------------------------------------------

/// A command from its words.
pub fn cmd<A: redis::ToRedisArgs>(words: &[A]) -> Cmd {
    let mut c = Cmd::new();
    for w in words {
        c.arg(w);
    }
    c
}

/// An error reply as the server sent it: `ERR no such map`, `WRONGTYPE Operation ...`.
pub fn error_text(error: &RedisError) -> String {
    match (error.code(), error.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => format!("(not a server error) {error}"),
    }
}

fn server_error_text(error: &redis::ServerError) -> String {
    match error.details() {
        Some(detail) => format!("{} {detail}", error.code()),
        None => error.code().to_string(),
    }
}

/// Runs one command on any connection (also a `redis::cluster::ClusterConnection`): its reply,
/// or the error reply's full text.
pub fn call(con: &mut dyn redis::ConnectionLike, command: &Cmd) -> Result<Value, String> {
    match command.query::<Value>(con) {
        Ok(Value::ServerError(e)) => Err(server_error_text(&e)),
        Ok(value) => Ok(value),
        Err(e) => Err(error_text(&e)),
    }
}

/// Runs a command given as words and panics on an error reply.
pub fn ok<A: redis::ToRedisArgs>(con: &mut dyn redis::ConnectionLike, words: &[A]) -> Value {
    let command = cmd(words);
    call(con, &command).unwrap_or_else(|e| panic!("{:?} failed: {e}", command_words(&command)))
}

/// Runs a command given as words and returns its error text; panics if it succeeds.
pub fn err<A: redis::ToRedisArgs>(con: &mut dyn redis::ConnectionLike, words: &[A]) -> String {
    let command = cmd(words);
    match call(con, &command) {
        Ok(value) => panic!("{:?} should have failed but replied {value:?}", command_words(&command)),
        Err(text) => text,
    }
}

/// The command's words, shortened, for messages.
pub fn command_words(command: &Cmd) -> Vec<String> {
    let words: Vec<String> = command
        .args_iter()
        .map(|a| match a {
            redis::Arg::Simple(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            _ => "<cursor>".into(),
        })
        .collect();
    if words.len() > 12 {
        let mut short = words[..12].to_vec();
        short.push(format!("... ({} words)", words.len()));
        short
    } else {
        words
    }
}

/// Runs many commands in one pipeline (one round trip); each reply or error text, in order.
pub fn pipeline(con: &mut Connection, commands: &[Cmd]) -> Vec<Result<Value, String>> {
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    for c in commands {
        pipe.add_command(c.clone());
    }
    let replies: Vec<Value> = pipe.query(con).expect("pipeline");
    assert_eq!(replies.len(), commands.len());
    replies
        .into_iter()
        .map(|v| match v {
            Value::ServerError(e) => Err(server_error_text(&e)),
            v => Ok(v),
        })
        .collect()
}

pub fn text(value: &Value) -> String {
    match value {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Okay => "OK".into(),
        Value::VerbatimString { text, .. } => text.clone(),
        other => panic!("expected a string, got {other:?}"),
    }
}

pub fn int(value: &Value) -> i64 {
    match value {
        Value::Int(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// The named fields of a reply: a RESP3 map, or the flat `name value ...` array RESP2 gets.
pub fn fields(value: &Value) -> Vec<(String, Value)> {
    match value {
        Value::Map(pairs) => pairs.iter().map(|(k, v)| (text(k), v.clone())).collect(),
        Value::Array(items) => {
            assert!(items.len() % 2 == 0, "odd field array: {value:?}");
            items.chunks(2).map(|kv| (text(&kv[0]), kv[1].clone())).collect()
        }
        other => panic!("expected fields, got {other:?}"),
    }
}

pub fn field(value: &Value, name: &str) -> Value {
    fields(value)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no field {name} in {value:?}"))
}

/// A `HUNT.PATH` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub cost: u64,
    pub path: Vec<u64>,
    pub version: u64,
}

/// Reads a `HUNT.PATH` reply in either protocol: `None` for the Null of an unreachable
/// target. Checks that exactly the fields `cost`, `path`, `version` are there.
pub fn route(value: &Value) -> Option<Route> {
    if matches!(value, Value::Nil) {
        return None;
    }
    let f = fields(value);
    let mut names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["cost", "path", "version"], "reply {value:?}");
    let path = match field(value, "path") {
        Value::Array(items) => items.iter().map(|v| int(v) as u64).collect(),
        other => panic!("path is not an array: {other:?}"),
    };
    Some(Route { cost: int(&field(value, "cost")) as u64, path, version: int(&field(value, "version")) as u64 })
}

/// The fields of `HUNT.MAPINFO` the tests rely on (it may report more).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInfo {
    pub nodes: i64,
    pub edges: i64,
    pub closed: i64,
    pub version: i64,
    pub memory: i64,
}

pub fn map_info_of(value: &Value) -> MapInfo {
    let names: Vec<String> = fields(value).into_iter().map(|(k, _)| k).collect();
    for name in ["closed", "edges", "memory", "nodes", "version"] {
        assert!(names.iter().any(|n| n == name), "no {name} in {value:?}");
    }
    MapInfo {
        nodes: int(&field(value, "nodes")),
        edges: int(&field(value, "edges")),
        closed: int(&field(value, "closed")),
        version: int(&field(value, "version")),
        memory: int(&field(value, "memory")),
    }
}

pub fn map_info(con: &mut Connection, key: &str) -> MapInfo {
    map_info_of(&ok(con, &["HUNT.MAPINFO", key]))
}

/// `HUNT.PATH key from to [options...]` as a command.
pub fn path_cmd(key: &str, from: u64, to: u64, options: &[&str]) -> Cmd {
    let mut c = redis::cmd("HUNT.PATH");
    c.arg(key).arg(from).arg(to);
    for o in options {
        c.arg(*o);
    }
    c
}

pub fn path(con: &mut Connection, key: &str, from: u64, to: u64, options: &[&str]) -> Option<Route> {
    let c = path_cmd(key, from, to, options);
    route(&call(con, &c).unwrap_or_else(|e| panic!("{:?}: {e}", command_words(&c))))
}

/// One field of `INFO <section>`.
pub fn info_field(con: &mut Connection, section: &str, name: &str) -> String {
    find_info_field(con, section, name).unwrap_or_else(|| panic!("no {name} in INFO {section}"))
}

/// One field of `INFO <section>`, or `None` when it is not there (yet).
pub fn find_info_field(con: &mut Connection, section: &str, name: &str) -> Option<String> {
    let info = text(&ok(con, &["INFO", section]));
    info.lines().find_map(|line| line.strip_prefix(&format!("{name}:"))).map(|v| v.trim().to_string())
}

pub fn ping(con: &mut Connection) {
    assert_eq!(text(&ok(con, &["PING"])), "PONG");
}

/// Polls `check` every 20 ms until it holds, for up to `limit`.
pub fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Loads a road map file into `key` through the loader crate, in calls of 20,000 edges;
/// returns the edges sent (parallel arcs merged to their smallest weight).
pub fn load_map(con: &mut Connection, key: &str, file: &Path) -> Vec<hunt_core::EdgeSpec> {
    let edges = hunt_load::read_edges(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let added = hunt_load::send(con, key, &edges, 20_000, |_| {})
        .unwrap_or_else(|e| panic!("loading {} failed: {}", file.display(), error_text(&e)));
    assert_eq!(added as usize, edges.len(), "every merged edge of {} is new", file.display());
    edges
}

/// `HUNT.ADDEDGES key [CLASS c] from to weight ...` as a command.
pub fn add_edges_cmd(key: &str, class: Option<u8>, edges: &[(u64, u64, u32)]) -> Cmd {
    let mut c = redis::cmd("HUNT.ADDEDGES");
    c.arg(key);
    if let Some(class) = class {
        c.arg("CLASS").arg(class);
    }
    for &(from, to, weight) in edges {
        c.arg(from).arg(to).arg(weight);
    }
    c
}

pub fn add_edges(con: &mut Connection, key: &str, class: Option<u8>, edges: &[(u64, u64, u32)]) -> i64 {
    let c = add_edges_cmd(key, class, edges);
    int(&call(con, &c).unwrap_or_else(|e| panic!("{:?}: {e}", command_words(&c))))
}
