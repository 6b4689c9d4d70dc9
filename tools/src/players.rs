//! `hunt-bench players`: the 50,000-player topology. One primary holds the NY map and the boards
//! and takes every HUNT.PUBLISH; replicas hold the players (a process may open at most 20,000
//! files here, so no single server can hold them all). The players are split over several worker
//! processes, each this same executable, each binding its own loopback source address so that no
//! source address runs out of ephemeral ports. Every player subscribes to its hunt's board on a
//! replica and checks that it gets every version once and in order; one player in N also asks
//! HUNT.PATH on a replica. The run is bounded: connect, publish for `--seconds`, drain, report,
//! kill everything it started.
//!
//! The coordinator (this process) and the workers talk over the workers' stdin and stdout in
//! plain lines: the coordinator writes a plan file, each worker answers `ready …` once its
//! players are connected, gets `go`, later `stop <drain ms>`, and prints its report lines.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Semaphore, watch};

use crate::cpu;
use crate::load::{self, DEFAULT_CO, DEFAULT_GR, DEFAULT_MODULE, Env, ServerArgs};
use crate::message::{self, Kind};
use crate::push::{info_field, pct, progress, thousands};
use crate::resp::{self, Frame};
use crate::server::SpawnedServer;

#[derive(clap::Args, Debug, Clone)]
pub struct PlayersArgs {
    /// Player connections in all (each subscribed to its hunt's board on a replica)
    #[arg(long, default_value_t = 50_000)]
    players: usize,
    /// Players per hunt; each hunt has its own board
    #[arg(long, default_value_t = 100)]
    hunt_size: usize,
    /// Replicas to spawn (the players are spread over them)
    #[arg(long, default_value_t = 4)]
    replicas: usize,
    /// Load processes (each holds players / workers connections, under the 20,000 open-files cap)
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Worker i binds source address 127.0.0.<first-source + i>
    #[arg(long, default_value_t = 2)]
    first_source: u8,
    /// Every board gets one HUNT.PUBLISH this often (spread over the interval)
    #[arg(long, default_value_t = 500)]
    interval_ms: u64,
    /// The publisher wakes this often and sends the boards due in one pipeline
    #[arg(long, default_value_t = 10)]
    tick_ms: u64,
    /// How long the publisher runs (the measured window)
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// One player in this many also asks HUNT.PATH on its replica, over a second connection (0: none)
    #[arg(long, default_value_t = 100)]
    path_one_in: usize,
    /// Each of those players asks one HUNT.PATH this often
    #[arg(long, default_value_t = 1000)]
    path_interval_ms: u64,
    /// Local pairs (a random source, the k-th node HUNT.REACH lists from it, k in 1000..=4000)
    #[arg(long, default_value_t = 500)]
    pairs: usize,
    /// Size of each clue payload (it carries the update number and the send time)
    #[arg(long, default_value_t = 64)]
    payload_bytes: usize,
    /// How long subscribers may take after the last publish to receive everything
    #[arg(long, default_value_t = 15)]
    drain_seconds: u64,
    /// Connections each worker opens at a time during the connect phase
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,
    /// The module the spawned servers load
    #[arg(long, default_value = DEFAULT_MODULE)]
    module: PathBuf,
    #[arg(long, default_value = "redis-server")]
    redis_server: PathBuf,
    /// The hunt-load binary (default: next to this executable)
    #[arg(long)]
    hunt_load: Option<PathBuf>,
    #[arg(long, default_value = "ny")]
    map: String,
    #[arg(long, default_value = DEFAULT_GR)]
    gr: PathBuf,
    #[arg(long, default_value = DEFAULT_CO)]
    co: String,
    #[arg(long, default_value_t = 8)]
    landmarks: u32,
    #[arg(long, default_value_t = 0x5eed_2026)]
    seed: u64,
    /// Internal: run as a load worker with this plan file
    #[arg(long, hide = true)]
    worker_plan: Option<PathBuf>,
}

pub fn main(args: PlayersArgs) -> ExitCode {
    let hard = crate::push::raise_open_files_to(u64::MAX);
    if let Some(plan) = &args.worker_plan {
        return worker_main(plan);
    }
    if let Err(e) = validate(&args, hard) {
        eprintln!("hunt-bench players: {e}");
        return ExitCode::from(64);
    }
    let budget = Duration::from_secs(args.seconds + args.drain_seconds + 900);
    load::watchdog("players", budget);
    load::finish("players", run(&args), "connections or deliveries were lost, or replies were wrong")
}

fn validate(args: &PlayersArgs, hard: u64) -> Result<(), String> {
    if args.players == 0 || args.hunt_size == 0 || args.replicas == 0 || args.workers == 0 {
        return Err("--players, --hunt-size, --replicas and --workers must be positive".into());
    }
    if !args.players.is_multiple_of(args.hunt_size) {
        return Err("--players must be a multiple of --hunt-size".into());
    }
    if args.tick_ms == 0 || !args.interval_ms.is_multiple_of(args.tick_ms) || args.seconds * 1000 < args.interval_ms {
        return Err("--interval-ms must be a multiple of --tick-ms and fit in --seconds".into());
    }
    if args.pairs == 0 || args.path_interval_ms == 0 {
        return Err("--pairs and --path-interval-ms must be positive".into());
    }
    if message::bench_payload(u64::MAX >> 16, u64::MAX >> 16, args.payload_bytes).is_none() {
        return Err("--payload-bytes must be at least 32 (update number and send time go in it)".into());
    }
    if usize::from(args.first_source) + args.workers > 255 || args.first_source == 0 {
        return Err("--first-source + --workers must stay within 127.0.0.1..=127.0.0.254".into());
    }
    let per_worker = connections_per(args.players, args.hunt_size, args.path_one_in, args.workers);
    let per_replica = connections_per(args.players, args.hunt_size, args.path_one_in, args.replicas);
    let cap = hard.saturating_sub(256) as usize;
    if per_worker > cap || per_replica > cap {
        return Err(format!(
            "{per_worker} connections per worker and {per_replica} per replica; the open-files limit is {hard}: \
             add --workers or --replicas"
        ));
    }
    Ok(())
}

/// The largest number of connections (subscribers and path connections) any one of `parts` holds
/// when whole hunts are dealt round robin.
fn connections_per(players: usize, hunt_size: usize, path_one_in: usize, parts: usize) -> usize {
    let hunts = players / hunt_size;
    hunts.div_ceil(parts) * (hunt_size + path_players_in_hunt(hunt_size, path_one_in))
}

fn path_players_in_hunt(hunt_size: usize, path_one_in: usize) -> usize {
    if path_one_in == 0 { 0 } else { hunt_size.div_ceil(path_one_in) }
}

/// CLOCK_MONOTONIC in ns: one clock for every process on the machine, so a worker can subtract
/// the publisher's send time from its own receive time.
fn mono_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

// ---------------------------------------------------------------------------------------------
// Latency histogram: log-linear buckets of µs, 64 per power of two (under 1.6 % wide).

// Values under 128 µs have a bucket each; above, a u64 has 58 more powers of two.
const BUCKETS: usize = 59 * 64;

fn bucket(us: u64) -> usize {
    if us < 128 {
        return us as usize;
    }
    let shift = 63 - us.leading_zeros() as usize - 6;
    ((shift + 1) * 64 + (us >> shift) as usize - 64).min(BUCKETS - 1)
}

/// The smallest value in bucket `i`, µs.
fn bucket_low(i: usize) -> u64 {
    if i < 128 {
        return i as u64;
    }
    let shift = i / 64 - 1;
    ((i % 64 + 64) as u64) << shift
}

/// The largest value in bucket `i`, µs.
fn bucket_high(i: usize) -> u64 {
    if i + 1 >= BUCKETS { u64::MAX } else { bucket_low(i + 1) - 1 }
}

struct Histogram(Vec<AtomicU64>);

impl Histogram {
    fn new() -> Histogram {
        Histogram((0..BUCKETS).map(|_| AtomicU64::new(0)).collect())
    }

    fn record(&self, ns: u64) {
        self.0[bucket(ns / 1000)].fetch_add(1, Ordering::Relaxed);
    }

    fn lines(&self, name: &str) -> String {
        let mut out = String::new();
        for (i, n) in self.0.iter().enumerate() {
            let n = n.load(Ordering::Relaxed);
            if n > 0 {
                let _ = writeln!(out, "hist {name} {i} {n}");
            }
        }
        out
    }
}

/// Bucket counts merged from the workers.
#[derive(Clone, Default)]
struct Counts(HashMap<usize, u64>);

impl Counts {
    fn add(&mut self, i: usize, n: u64) {
        *self.0.entry(i).or_insert(0) += n;
    }

    fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Nearest-rank percentile, as the top of its bucket, µs.
    fn percentile(&self, p: f64) -> Option<u64> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let rank = (((p / 100.0) * total as f64 - 1e-9).ceil() as u64).clamp(1, total);
        let mut keys: Vec<usize> = self.0.keys().copied().collect();
        keys.sort_unstable();
        let mut seen = 0;
        for i in keys {
            seen += self.0[&i];
            if seen >= rank {
                return Some(bucket_high(i));
            }
        }
        None
    }

    fn max(&self) -> Option<u64> {
        self.0.keys().max().map(|&i| bucket_high(i))
    }
}

// ---------------------------------------------------------------------------------------------
// The plan a worker gets.

#[derive(Debug, Clone, PartialEq)]
struct Hunt {
    board: String,
    base_version: u64,
    /// Index into `Plan::servers` of the replica its players use.
    server: usize,
    players: usize,
    path_players: usize,
}

#[derive(Debug, Clone, PartialEq)]
struct Pair {
    src: u64,
    dst: u64,
    cost: u64,
}

#[derive(Debug, Clone, PartialEq)]
struct Plan {
    source: Ipv4Addr,
    servers: Vec<u16>,
    map: String,
    map_version: i64,
    rounds: u64,
    payload_bytes: usize,
    path_interval_ms: u64,
    connect_concurrency: usize,
    /// The worker gives up on its own after this long (in case the coordinator is gone).
    budget_seconds: u64,
    hunts: Vec<Hunt>,
    pairs: Vec<Pair>,
}

impl Plan {
    fn to_text(&self) -> String {
        let mut out = String::new();
        let ports: Vec<String> = self.servers.iter().map(u16::to_string).collect();
        let _ = writeln!(out, "source {}", self.source);
        let _ = writeln!(out, "servers {}", ports.join(" "));
        let _ = writeln!(out, "map {} {}", self.map, self.map_version);
        let _ = writeln!(out, "rounds {}", self.rounds);
        let _ = writeln!(out, "payload_bytes {}", self.payload_bytes);
        let _ = writeln!(out, "path_interval_ms {}", self.path_interval_ms);
        let _ = writeln!(out, "connect_concurrency {}", self.connect_concurrency);
        let _ = writeln!(out, "budget_seconds {}", self.budget_seconds);
        for h in &self.hunts {
            let _ = writeln!(out, "hunt {} {} {} {} {}", h.board, h.base_version, h.server, h.players, h.path_players);
        }
        for p in &self.pairs {
            let _ = writeln!(out, "pair {} {} {}", p.src, p.dst, p.cost);
        }
        out
    }

    fn parse(text: &str) -> Result<Plan, String> {
        let mut plan = Plan {
            source: Ipv4Addr::LOCALHOST,
            servers: Vec::new(),
            map: String::new(),
            map_version: 0,
            rounds: 0,
            payload_bytes: 0,
            path_interval_ms: 1000,
            connect_concurrency: 200,
            budget_seconds: 600,
            hunts: Vec::new(),
            pairs: Vec::new(),
        };
        for line in text.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            let bad = || format!("bad plan line {line:?}");
            let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).ok_or_else(bad);
            match f[0] {
                "source" => plan.source = f.get(1).and_then(|v| v.parse().ok()).ok_or_else(bad)?,
                "servers" => {
                    plan.servers = f[1..].iter().map(|p| p.parse().map_err(|_| bad())).collect::<Result<_, _>>()?
                }
                "map" => {
                    plan.map = f.get(1).ok_or_else(bad)?.to_string();
                    plan.map_version = f.get(2).and_then(|v| v.parse().ok()).ok_or_else(bad)?;
                }
                "rounds" => plan.rounds = num(1)?,
                "payload_bytes" => plan.payload_bytes = num(1)? as usize,
                "path_interval_ms" => plan.path_interval_ms = num(1)?,
                "connect_concurrency" => plan.connect_concurrency = num(1)? as usize,
                "budget_seconds" => plan.budget_seconds = num(1)?,
                "hunt" => plan.hunts.push(Hunt {
                    board: f.get(1).ok_or_else(bad)?.to_string(),
                    base_version: num(2)?,
                    server: num(3)? as usize,
                    players: num(4)? as usize,
                    path_players: num(5)? as usize,
                }),
                "pair" => plan.pairs.push(Pair { src: num(1)?, dst: num(2)?, cost: num(3)? }),
                _ => return Err(bad()),
            }
        }
        if plan.servers.is_empty() || plan.rounds == 0 || plan.hunts.iter().any(|h| h.server >= plan.servers.len()) {
            return Err("the plan names no servers, no rounds, or a server out of range".into());
        }
        if plan.pairs.is_empty() && plan.hunts.iter().any(|h| h.path_players > 0) {
            return Err("the plan has path players but no pairs".into());
        }
        Ok(plan)
    }
}

// ---------------------------------------------------------------------------------------------
// The worker.

/// What one worker's subscribers and path players share.
struct WorkerShared {
    plan: Plan,
    delivery: Histogram,
    path_latency: Histogram,
    connect: Semaphore,
    ready: AtomicUsize,
    failed: AtomicUsize,
    complete: AtomicUsize,
    path_ok: AtomicU64,
    path_errors: Mutex<Vec<(String, u64)>>,
}

/// One subscriber's account.
struct SubResult {
    server: usize,
    subscribed: bool,
    seen: u64,
    duplicates: u64,
    out_of_order: u64,
    bad: u64,
    first_bad: Option<String>,
    error: Option<String>,
}

struct PathResult {
    server: usize,
    connected: bool,
    error: Option<String>,
}

fn worker_main(plan_path: &Path) -> ExitCode {
    let plan = match std::fs::read_to_string(plan_path).map_err(|e| e.to_string()).and_then(|t| Plan::parse(&t)) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("hunt-bench players worker: {}: {e}", plan_path.display());
            return ExitCode::FAILURE;
        }
    };
    let budget = Duration::from_secs(plan.budget_seconds);
    std::thread::spawn(move || {
        std::thread::sleep(budget);
        eprintln!("hunt-bench players worker: gave up after {} s", budget.as_secs());
        std::process::exit(1);
    });
    // One thread per worker: the machine has two cores for servers and workers together.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hunt-bench players worker: tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(worker_run(plan)) {
        Ok(report) => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(report.as_bytes());
            let _ = stdout.flush();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hunt-bench players worker: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Commands from the coordinator: `go`, then `stop <drain ms>`; a closed stdin means stop now.
fn read_commands(go: watch::Sender<bool>, stop: mpsc::Sender<u64>) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if line == "go" {
                let _ = go.send(true);
            } else if let Some(ms) = line.strip_prefix("stop ") {
                let _ = stop.send(ms.parse().unwrap_or(0));
                return;
            }
        }
        let _ = stop.send(0);
    });
}

async fn worker_run(plan: Plan) -> Result<String, String> {
    let shared = Arc::new(WorkerShared {
        connect: Semaphore::new(plan.connect_concurrency.max(1)),
        plan,
        delivery: Histogram::new(),
        path_latency: Histogram::new(),
        ready: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        complete: AtomicUsize::new(0),
        path_ok: AtomicU64::new(0),
        path_errors: Mutex::new(Vec::new()),
    });
    let (go_tx, go_rx) = watch::channel(false);
    let (stop_cmd_tx, stop_cmd_rx) = mpsc::channel::<u64>();
    read_commands(go_tx, stop_cmd_tx);
    let (stop_tx, stop_rx) = watch::channel(false);

    let mut subs = Vec::new();
    let mut paths = Vec::new();
    let mut expected = 0usize;
    let mut path_index = 0usize;
    for (h, hunt) in shared.plan.hunts.iter().enumerate() {
        for _ in 0..hunt.players {
            subs.push(tokio::spawn(subscriber(shared.clone(), h, stop_rx.clone())));
            expected += 1;
        }
        for _ in 0..hunt.path_players {
            paths.push(tokio::spawn(path_player(shared.clone(), h, path_index, go_rx.clone(), stop_rx.clone())));
            path_index += 1;
            expected += 1;
        }
    }
    let started = Instant::now();
    while shared.ready.load(Ordering::Acquire) + shared.failed.load(Ordering::Acquire) < expected {
        if started.elapsed() > Duration::from_secs(240) {
            return Err(format!(
                "only {} of {expected} connections ready after 240 s",
                shared.ready.load(Ordering::Acquire)
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "ready {} {} {:.3}",
        shared.ready.load(Ordering::Acquire),
        shared.failed.load(Ordering::Acquire),
        started.elapsed().as_secs_f64()
    );
    let _ = std::io::stdout().flush();

    // Wait for `stop` (from the blocking stdin thread) without blocking the runtime.
    let drain_ms = loop {
        match stop_cmd_rx.try_recv() {
            Ok(ms) => break ms,
            Err(mpsc::TryRecvError::Empty) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(mpsc::TryRecvError::Disconnected) => break 0,
        }
    };
    let stop_at = Instant::now();
    // Path players stop at once; subscribers get until the drain deadline to see every version.
    let live_subs = subs.len();
    let drain_deadline = stop_at + Duration::from_millis(drain_ms);
    while shared.complete.load(Ordering::Acquire) < live_subs && Instant::now() < drain_deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let drained = stop_at.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);

    let servers = shared.plan.servers.len();
    let mut held_subs = vec![0u64; servers];
    let mut held_paths = vec![0u64; servers];
    let (mut subscribed, mut complete, mut seen, mut missing, mut dups, mut ooo, mut bad) = (0, 0, 0, 0, 0, 0, 0);
    let mut first_bad: Option<String> = None;
    let mut errors: Vec<(String, u64)> = Vec::new();
    let rounds = shared.plan.rounds;
    for handle in subs {
        let r = tokio::time::timeout(Duration::from_secs(10), handle)
            .await
            .map_err(|_| "a subscriber did not stop".to_string())?
            .map_err(|e| format!("a subscriber task failed: {e}"))?;
        if r.subscribed {
            subscribed += 1;
            seen += r.seen;
            missing += rounds - r.seen.min(rounds);
            complete += u64::from(r.seen == rounds);
        } else {
            missing += rounds;
        }
        if r.subscribed && r.error.is_none() {
            held_subs[r.server] += 1;
        }
        dups += r.duplicates;
        ooo += r.out_of_order;
        bad += r.bad;
        if first_bad.is_none() {
            first_bad = r.first_bad;
        }
        if let Some(e) = r.error {
            count_error(&mut errors, format!("subscriber: {e}"), 1);
        }
    }
    let mut path_connected = 0u64;
    for handle in paths {
        let r = tokio::time::timeout(Duration::from_secs(40), handle)
            .await
            .map_err(|_| "a path player did not stop".to_string())?
            .map_err(|e| format!("a path player task failed: {e}"))?;
        if r.connected {
            path_connected += 1;
            if r.error.is_none() {
                held_paths[r.server] += 1;
            }
        }
        if let Some(e) = r.error {
            count_error(&mut errors, format!("path connection: {e}"), 1);
        }
    }

    let mut out = String::new();
    let _ = writeln!(out, "subscribers {} {subscribed} {complete}", live_subs);
    let _ = writeln!(out, "deliveries {seen} {missing} {dups} {ooo} {bad}");
    let _ = writeln!(out, "drained {drained:.3}");
    let _ = writeln!(out, "path_connections {path_connected}");
    let _ = writeln!(out, "path_ok {}", shared.path_ok.load(Ordering::Relaxed));
    for s in 0..servers {
        let _ = writeln!(out, "held {s} {} {}", held_subs[s], held_paths[s]);
    }
    if let Some(b) = first_bad {
        let _ = writeln!(out, "first_bad {}", one_line(&b));
    }
    for (e, n) in errors {
        let _ = writeln!(out, "error {n} {}", one_line(&e));
    }
    if let Ok(path_errors) = shared.path_errors.lock() {
        for (e, n) in path_errors.iter() {
            let _ = writeln!(out, "path_error {n} {}", one_line(e));
        }
    }
    out += &shared.delivery.lines("delivery");
    out += &shared.path_latency.lines("path");
    out += "end\n";
    Ok(out)
}

fn one_line(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    match s.char_indices().nth(300) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s,
    }
}

fn count_error(errors: &mut Vec<(String, u64)>, e: String, n: u64) {
    let e = if errors.len() >= 20 && !errors.iter().any(|(k, _)| *k == e) { "(other errors)".to_string() } else { e };
    match errors.iter_mut().find(|(k, _)| *k == e) {
        Some((_, m)) => *m += n,
        None => errors.push((e, n)),
    }
}

/// A TCP connection from the worker's own source address to a replica on 127.0.0.1.
async fn connect_from(source: Ipv4Addr, port: u16) -> Result<TcpStream, String> {
    let socket = TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
    socket.bind(SocketAddr::V4(SocketAddrV4::new(source, 0))).map_err(|e| format!("bind {source}: {e}"))?;
    let to = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
    let stream = tokio::time::timeout(Duration::from_secs(30), socket.connect(to))
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(stream)
}

/// Opens one player connection within the worker's limit of connects in flight, and counts it
/// as ready or failed.
async fn open(
    shared: &WorkerShared,
    connect: impl Future<Output = Result<TcpStream, String>>,
) -> Result<TcpStream, String> {
    let opened = {
        let _permit = shared.connect.acquire().await;
        connect.await
    };
    let counter = if opened.is_ok() { &shared.ready } else { &shared.failed };
    counter.fetch_add(1, Ordering::AcqRel);
    opened
}

async fn subscribe(shared: &WorkerShared, hunt: &Hunt, channel: &[u8], buf: &mut Vec<u8>) -> Result<TcpStream, String> {
    let mut stream = connect_from(shared.plan.source, shared.plan.servers[hunt.server]).await?;
    stream.write_all(&resp::command(&[b"SUBSCRIBE", channel])).await.map_err(|e| format!("write: {e}"))?;
    let used = resp::read_frame(&mut stream, buf).await?;
    if !matches!(resp::parse(&buf[..used])?, Some((frame, _)) if resp::confirms_subscribe(&frame, channel)) {
        return Err(format!("SUBSCRIBE: {}", String::from_utf8_lossy(&buf[..used])));
    }
    buf.drain(..used);
    Ok(stream)
}

async fn subscriber(shared: Arc<WorkerShared>, h: usize, mut stop: watch::Receiver<bool>) -> SubResult {
    let hunt = &shared.plan.hunts[h];
    let rounds = shared.plan.rounds;
    let mut r = SubResult {
        server: hunt.server,
        subscribed: false,
        seen: 0,
        duplicates: 0,
        out_of_order: 0,
        bad: 0,
        first_bad: None,
        error: None,
    };
    let channel = [b"hunt:", hunt.board.as_bytes()].concat();
    let mut buf: Vec<u8> = Vec::with_capacity(512);
    let mut stream = match open(&shared, subscribe(&shared, hunt, &channel, &mut buf)).await {
        Ok(s) => s,
        Err(e) => {
            r.error = Some(e);
            return r;
        }
    };
    r.subscribed = true;
    let mut got = vec![0u64; (rounds as usize).div_ceil(64)];
    let mut max_version = 0u64;
    let mut counted_complete = false;
    // The connection stays open after the last version, until `stop`, so the servers' client
    // counts at the end of the window still include it.
    loop {
        let now = match resp::read_more(&mut stream, &mut buf, &mut stop).await {
            Ok(true) => mono_ns(),
            Ok(false) => break,
            Err(e) => {
                r.error = Some(e);
                break;
            }
        };
        let taken = resp::take_frames(&mut buf, |frame| match check_delivery(&shared.plan, hunt, &channel, &frame) {
            Ok((update, sent)) => {
                let (word, bit) = ((update - 1) as usize / 64, (update - 1) % 64);
                if got[word] >> bit & 1 == 1 {
                    r.duplicates += 1;
                    return;
                }
                got[word] |= 1 << bit;
                let version = hunt.base_version + update;
                if version < max_version {
                    r.out_of_order += 1;
                }
                max_version = max_version.max(version);
                r.seen += 1;
                shared.delivery.record(now.saturating_sub(sent));
            }
            Err(e) => {
                r.bad += 1;
                r.first_bad.get_or_insert(e);
            }
        });
        if let Err(e) = taken {
            r.error = Some(e);
            return r;
        }
        if r.seen == rounds && !counted_complete {
            counted_complete = true;
            shared.complete.fetch_add(1, Ordering::AcqRel);
        }
    }
    r
}

/// A `message` push for this hunt's board: its update number (1..=rounds) and send time.
fn check_delivery(plan: &Plan, hunt: &Hunt, channel: &[u8], frame: &Frame) -> Result<(u64, u64), String> {
    let Frame::Array(Some(items)) = frame else { return Err(format!("not a push: {frame:?}")) };
    let [Frame::Bulk(Some(b"message")), Frame::Bulk(Some(ch)), Frame::Bulk(Some(body))] = items[..] else {
        return Err(format!("not a message: {items:?}"));
    };
    if ch != channel {
        return Err(format!("channel {:?}", String::from_utf8_lossy(ch)));
    }
    let m = message::parse(body).map_err(|e| format!("{e}: {:?}", String::from_utf8_lossy(body)))?;
    if m.kind != Kind::Publish || m.key != hunt.board.as_bytes() || m.id != CLUE_ID || m.node.is_some() {
        return Err(format!("unexpected message {m:?}"));
    }
    if m.version <= hunt.base_version || m.version > hunt.base_version + plan.rounds {
        return Err(format!("version {} outside the run", m.version));
    }
    let update = m.version - hunt.base_version;
    if m.payload.len() != plan.payload_bytes {
        return Err(format!("payload of {} bytes", m.payload.len()));
    }
    let (seq, sent) = message::read_bench_payload(m.payload)
        .ok_or_else(|| format!("payload {:?}", String::from_utf8_lossy(m.payload)))?;
    if seq != update {
        return Err(format!("version {} carries update {seq}", m.version));
    }
    Ok((update, sent))
}

const CLUE_ID: &[u8] = b"c";

async fn path_player(
    shared: Arc<WorkerShared>,
    h: usize,
    index: usize,
    mut go: watch::Receiver<bool>,
    mut stop: watch::Receiver<bool>,
) -> PathResult {
    let hunt = &shared.plan.hunts[h];
    let mut r = PathResult { server: hunt.server, connected: false, error: None };
    let mut stream = match open(&shared, connect_from(shared.plan.source, shared.plan.servers[hunt.server])).await {
        Ok(s) => s,
        Err(e) => {
            r.error = Some(e);
            return r;
        }
    };
    r.connected = true;
    tokio::select! {
        _ = go.wait_for(|g| *g) => {}
        _ = stop.changed() => return r,
    }
    let pairs = &shared.plan.pairs;
    let interval = Duration::from_millis(shared.plan.path_interval_ms);
    // Spread the players' first requests over one interval (a fixed stride, no clumping).
    let offset = Duration::from_millis((index as u64 * 7919) % shared.plan.path_interval_ms);
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + offset, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let map_version = shared.plan.map_version;
    for i in 0u64.. {
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            _ = ticker.tick() => {}
        }
        let pair = &pairs[(index as u64 * 31 + i) as usize % pairs.len()];
        let (src, dst) = (pair.src.to_string(), pair.dst.to_string());
        let command = resp::command(&[b"HUNT.PATH", shared.plan.map.as_bytes(), src.as_bytes(), dst.as_bytes()]);
        let sent = mono_ns();
        if let Err(e) = stream.write_all(&command).await {
            r.error = Some(format!("write: {e}"));
            break;
        }
        // A reply is always awaited, even after `stop`, so the connection is never left mid-reply.
        let used = match tokio::time::timeout(Duration::from_secs(30), resp::read_frame(&mut stream, &mut buf)).await {
            Ok(Ok(used)) => used,
            Ok(Err(e)) => {
                r.error = Some(e);
                break;
            }
            Err(_) => {
                r.error = Some("no HUNT.PATH reply within 30 s".into());
                break;
            }
        };
        shared.path_latency.record(mono_ns().saturating_sub(sent));
        let outcome = match resp::parse(&buf[..used]) {
            Ok(Some((frame, _))) => check_path(pair, map_version, &frame),
            Ok(None) => Err("incomplete reply".to_string()),
            Err(e) => Err(e),
        };
        buf.drain(..used);
        match outcome {
            Ok(()) => {
                shared.path_ok.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                if let Ok(mut errors) = shared.path_errors.lock() {
                    count_error(&mut errors, e, 1);
                }
            }
        }
    }
    r
}

/// A HUNT.PATH reply: `cost`/`path`/`version`, the path from src to dst, the cost HUNT.REACH gave
/// on the primary, the map's version (so the replica answered from the replicated map).
fn check_path(pair: &Pair, map_version: i64, frame: &Frame) -> Result<(), String> {
    match load::path_reply(frame, pair.src, pair.dst, map_version..=map_version)? {
        None => Err(format!("null reply for {} -> {}, which is reachable", pair.src, pair.dst)),
        Some((cost, _)) if cost != pair.cost => {
            Err(format!("{} -> {}: cost {cost}, HUNT.REACH said {}", pair.src, pair.dst, pair.cost))
        }
        Some(_) => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// The coordinator.

struct Server {
    role: &'static str,
    spawned: SpawnedServer,
    con: redis::Connection,
}

impl Server {
    fn start(args: &PlayersArgs, role: &'static str, maxclients: usize) -> Result<Server, String> {
        let spawned = SpawnedServer::start(&args.redis_server, &args.module, maxclients)?;
        load::started(spawned.pid);
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", spawned.port)).map_err(|e| e.to_string())?;
        let con = client.get_connection().map_err(|e| format!("{role}: {e}"))?;
        con.set_read_timeout(Some(Duration::from_secs(60))).map_err(|e| e.to_string())?;
        progress(format!("{role}: redis-server pid {} on port {}, maxclients {maxclients}", spawned.pid, spawned.port));
        Ok(Server { role, spawned, con })
    }

    fn info(&mut self, section: &str) -> String {
        redis::cmd("INFO").arg(section).query(&mut self.con).unwrap_or_default()
    }

    fn sample(&mut self) -> MemorySample {
        let clients = self.info("clients");
        let memory = self.info("memory");
        let int = |info: &str, f: &str| info_field(info, f).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        MemorySample {
            connected_clients: int(&clients, "connected_clients"),
            used_memory: int(&memory, "used_memory"),
            rss: vm_rss(self.spawned.pid).unwrap_or(0),
        }
    }
}

/// VmRSS of a process, bytes.
fn vm_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 =
        status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

#[derive(Clone, Copy, Default)]
struct MemorySample {
    connected_clients: u64,
    used_memory: u64,
    rss: u64,
}

struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    source: Ipv4Addr,
    pid: u32,
    lines: mpsc::Receiver<String>,
    plan_file: PathBuf,
    connections: usize,
}

impl Worker {
    fn spawn(index: usize, plan: &Plan, dir: &Path) -> Result<Worker, String> {
        let plan_file = dir.join(format!("worker-{index}.plan"));
        std::fs::write(&plan_file, plan.to_text()).map_err(|e| format!("{}: {e}", plan_file.display()))?;
        let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
        let mut child = Command::new(exe)
            .arg("players")
            .arg("--worker-plan")
            .arg(&plan_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start worker {index}: {e}"))?;
        load::started(child.id());
        let stdout = child.stdout.take().ok_or("worker without stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let connections = plan.hunts.iter().map(|h| h.players + h.path_players).sum();
        Ok(Worker {
            pid: child.id(),
            stdin: child.stdin.take(),
            child,
            source: plan.source,
            lines: rx,
            plan_file,
            connections,
        })
    }

    fn send(&mut self, line: &str) -> Result<(), String> {
        let stdin = self.stdin.as_mut().ok_or("worker stdin closed")?;
        writeln!(stdin, "{line}").and_then(|_| stdin.flush()).map_err(|e| format!("worker {}: {e}", self.pid))
    }

    fn line(&self, deadline: Instant) -> Result<String, String> {
        let wait = deadline.saturating_duration_since(Instant::now());
        self.lines.recv_timeout(wait).map_err(|e| format!("worker {} (source {}): {e}", self.pid, self.source))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                let _ = std::fs::remove_file(&self.plan_file);
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.plan_file);
    }
}

/// One worker's report, parsed.
#[derive(Default)]
struct WorkerReport {
    ready: u64,
    failed: u64,
    connect_seconds: f64,
    subscribers: u64,
    subscribed: u64,
    complete: u64,
    seen: u64,
    missing: u64,
    duplicates: u64,
    out_of_order: u64,
    bad: u64,
    drained: f64,
    path_connections: u64,
    path_ok: u64,
    /// Per server index: (subscribers, path connections) held at the end.
    held: Vec<(u64, u64)>,
    first_bad: Option<String>,
    errors: Vec<(String, u64)>,
    path_errors: Vec<(String, u64)>,
    delivery: Counts,
    path: Counts,
}

impl WorkerReport {
    fn parse_line(&mut self, line: &str) -> Result<bool, String> {
        let f: Vec<&str> = line.splitn(3, ' ').collect();
        let all: Vec<&str> = line.split(' ').collect();
        let n = |i: usize| {
            all.get(i).and_then(|v| v.parse::<u64>().ok()).ok_or_else(|| format!("bad report line {line:?}"))
        };
        match all[0] {
            "subscribers" => (self.subscribers, self.subscribed, self.complete) = (n(1)?, n(2)?, n(3)?),
            "deliveries" => {
                (self.seen, self.missing, self.duplicates, self.out_of_order, self.bad) =
                    (n(1)?, n(2)?, n(3)?, n(4)?, n(5)?)
            }
            "drained" => self.drained = all.get(1).and_then(|v| v.parse().ok()).unwrap_or(0.0),
            "path_connections" => self.path_connections = n(1)?,
            "path_ok" => self.path_ok = n(1)?,
            "held" => {
                let s = n(1)? as usize;
                if self.held.len() <= s {
                    self.held.resize(s + 1, (0, 0));
                }
                self.held[s] = (n(2)?, n(3)?);
            }
            "first_bad" => self.first_bad = f.get(1).map(|_| line["first_bad ".len()..].to_string()),
            "error" => self.errors.push((f.get(2).unwrap_or(&"").to_string(), n(1)?)),
            "path_error" => self.path_errors.push((f.get(2).unwrap_or(&"").to_string(), n(1)?)),
            "hist" => {
                let (i, c) = (n(2)? as usize, n(3)?);
                match all.get(1) {
                    Some(&"delivery") => self.delivery.add(i, c),
                    Some(&"path") => self.path.add(i, c),
                    _ => return Err(format!("bad report line {line:?}")),
                }
            }
            "end" => return Ok(true),
            _ => return Err(format!("bad report line {line:?}")),
        }
        Ok(false)
    }
}

/// The publisher's account.
struct Published {
    publishes: u64,
    /// Round trip of each tick's pipeline, ns.
    rtt: Vec<u64>,
    /// How late each tick started, ns.
    lateness: Vec<u64>,
}

/// Board `b` is published at ticks b % slots, b % slots + slots, …; its k-th publish (k = 1..)
/// carries update number k and must return version base + k.
fn publish(
    port: u16,
    boards: &[(String, u64)],
    slots: u64,
    rounds: u64,
    tick: Duration,
    payload_bytes: usize,
) -> Result<Published, String> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).map_err(|e| e.to_string())?;
    let mut con = client.get_connection().map_err(|e| format!("publisher: {e}"))?;
    con.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    let ticks = slots * rounds;
    let start = Instant::now() + Duration::from_millis(20);
    let (mut rtt, mut lateness) = (Vec::with_capacity(ticks as usize), Vec::with_capacity(ticks as usize));
    let mut publishes = 0;
    for t in 0..ticks {
        let due = start + tick * t as u32;
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        let began = Instant::now();
        lateness.push(began.saturating_duration_since(due).as_nanos() as u64);
        let (slot, update) = (t % slots, t / slots + 1);
        let due_boards: Vec<&(String, u64)> =
            boards.iter().enumerate().filter(|(b, _)| *b as u64 % slots == slot).map(|(_, x)| x).collect();
        if due_boards.is_empty() {
            continue;
        }
        let mut pipe = redis::pipe();
        for (board, _) in &due_boards {
            // Cannot fail: `validate` refused a --payload-bytes too small for any update and time.
            let payload = message::bench_payload(update, mono_ns(), payload_bytes).unwrap_or_default();
            pipe.cmd("HUNT.PUBLISH").arg(board).arg(CLUE_ID).arg(payload);
        }
        let versions: Vec<u64> = pipe.query(&mut con).map_err(|e| format!("publisher: HUNT.PUBLISH: {e}"))?;
        rtt.push(began.elapsed().as_nanos() as u64);
        for ((board, base), version) in due_boards.iter().zip(&versions) {
            if *version != base + update {
                return Err(format!("publisher: {board} at version {version}, expected {}", base + update));
            }
        }
        publishes += versions.len() as u64;
    }
    Ok(Published { publishes, rtt, lateness })
}

/// CPU ticks of every process in the run, and the servers' main threads.
struct CpuSnapshot {
    at: Instant,
    processes: Vec<Option<u64>>,
    main_threads: Vec<Option<u64>>,
    machine: Option<(u64, u64)>,
}

impl CpuSnapshot {
    fn take(pids: &[u32], servers: usize) -> CpuSnapshot {
        CpuSnapshot {
            at: Instant::now(),
            processes: pids.iter().map(|&p| cpu::process_ticks(p)).collect(),
            main_threads: pids[..servers]
                .iter()
                .map(|&p| load::thread_ticks(p).iter().find(|t| t.0 == p).map(|t| t.2))
                .collect(),
            machine: cpu::machine_ticks(),
        }
    }

    /// % of one core per process, per server main thread, and the machine's.
    fn since(&self, before: &CpuSnapshot) -> CpuUse {
        let seconds = self.at.duration_since(before.at).as_secs_f64();
        let hz = cpu::clock_ticks_per_second();
        let pct = |a: &Option<u64>, b: &Option<u64>| match (a, b) {
            (Some(a), Some(b)) if seconds > 0.0 => Some(a.saturating_sub(*b) as f64 / hz / seconds * 100.0),
            _ => None,
        };
        let processes = self.processes.iter().zip(&before.processes).map(|(a, b)| pct(a, b)).collect();
        let mains = self.main_threads.iter().zip(&before.main_threads).map(|(a, b)| pct(a, b)).collect();
        let machine = match (self.machine, before.machine) {
            (Some((b1, t1)), Some((b0, t0))) if t1 > t0 => {
                Some((b1 - b0) as f64 / (t1 - t0) as f64 * cpu::cores() as f64 * 100.0)
            }
            _ => None,
        };
        CpuUse { processes, main_threads: mains, machine, seconds }
    }
}

/// CPU between two snapshots, % of one core (`None`: not measured).
struct CpuUse {
    processes: Vec<Option<f64>>,
    main_threads: Vec<Option<f64>>,
    machine: Option<f64>,
    seconds: f64,
}

fn wait_for_replicas(primary: &mut Server, replicas: &mut [Server], map: &str, version: i64) -> Result<f64, String> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(180);
    loop {
        let primary_offset =
            info_field(&primary.info("replication"), "master_repl_offset").and_then(|v| v.parse::<u64>().ok());
        let mut synced = 0;
        for r in replicas.iter_mut() {
            let info = r.info("replication");
            let up = info_field(&info, "master_link_status").as_deref() == Some("up");
            let offset = info_field(&info, "slave_repl_offset").and_then(|v| v.parse::<u64>().ok());
            let map_version = load::map_info(&mut r.con, map).map(|i| i.version).unwrap_or(-1);
            if up && offset.is_some() && offset == primary_offset && map_version == version {
                synced += 1;
            }
        }
        if synced == replicas.len() {
            return Ok(started.elapsed().as_secs_f64());
        }
        if Instant::now() > deadline {
            return Err(format!("only {synced} of {} replicas in sync after 180 s", replicas.len()));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sum of PUBSUB NUMSUB over the channels of the hunts a replica serves.
fn numsub(server: &mut Server, channels: &[String]) -> u64 {
    if channels.is_empty() {
        return 0;
    }
    let reply: Result<Vec<(String, u64)>, _> = redis::cmd("PUBSUB").arg("NUMSUB").arg(channels).query(&mut server.con);
    reply.map(|v| v.iter().map(|(_, n)| n).sum()).unwrap_or(0)
}

fn run(args: &PlayersArgs) -> Result<(String, bool), String> {
    let wall = Instant::now();
    let started_at = SystemTime::now();
    let hunts = args.players / args.hunt_size;
    let path_per_hunt = path_players_in_hunt(args.hunt_size, args.path_one_in);
    let per_replica = connections_per(args.players, args.hunt_size, args.path_one_in, args.replicas);
    let replica_maxclients = per_replica + 256;

    // Servers: the primary first, with the map; the replicas attach once it is loaded.
    progress(format!("starting a primary and {} replicas with {}", args.replicas, args.module.display()));
    let mut primary = Server::start(args, "primary", 1024)?;
    let mut replicas = Vec::with_capacity(args.replicas);
    for i in 0..args.replicas {
        replicas.push(Server::start(args, REPLICA_NAMES.get(i).copied().unwrap_or("replica"), replica_maxclients)?);
    }
    let server_args = ServerArgs {
        spawn_server: None,
        port: Some(primary.spawned.port),
        redis_server: args.redis_server.clone(),
        hunt_load: args.hunt_load.clone(),
        map: args.map.clone(),
        gr: args.gr.clone(),
        co: args.co.clone(),
        landmarks: args.landmarks,
        seed: args.seed,
        inline_budget: None,
        client_threads: 1,
    };
    let mut env = Env::start(&server_args, 0)?;
    progress(format!("{} local pairs (HUNT.REACH on the primary)", args.pairs));
    let pairs: Vec<Pair> = env
        .local_pairs(args.seed, args.pairs, 1000, 4000)?
        .into_iter()
        .map(|p| Pair { src: p.src, dst: p.dst, cost: p.cost.unwrap_or(0) })
        .collect();

    // Boards: one clue each, published once so the run starts from a known version.
    let boards: Vec<String> = (0..hunts).map(|h| format!("players:{h:04}")).collect();
    let mut pipe = redis::pipe();
    for b in &boards {
        pipe.cmd("HUNT.PUBLISH")
            .arg(b)
            .arg(CLUE_ID)
            .arg(message::bench_payload(0, 0, args.payload_bytes).unwrap_or_default());
    }
    let base_versions: Vec<u64> =
        pipe.query(&mut primary.con).map_err(|e| format!("HUNT.PUBLISH (is the module loaded?): {e}"))?;

    load::config_set(&mut primary.con, "repl-diskless-sync-delay", "0")?;
    for r in replicas.iter_mut() {
        let _: () = redis::cmd("REPLICAOF")
            .arg("127.0.0.1")
            .arg(primary.spawned.port)
            .query(&mut r.con)
            .map_err(|e| format!("REPLICAOF: {e}"))?;
    }
    progress("waiting for the replicas to sync");
    let sync_seconds = wait_for_replicas(&mut primary, &mut replicas, &args.map, env.info.version)?;
    progress(format!("replicas in sync after {sync_seconds:.1} s"));

    let mut all: Vec<&mut Server> = std::iter::once(&mut primary).chain(replicas.iter_mut()).collect();
    let before_players: Vec<MemorySample> = all.iter_mut().map(|s| s.sample()).collect();
    drop(all);

    // Hunts: dealt round robin to the workers; within a worker, round robin over the replicas,
    // so every worker talks to every replica and every replica gets whole hunts.
    let rounds = args.seconds * 1000 / args.interval_ms;
    let replica_ports: Vec<u16> = replicas.iter().map(|r| r.spawned.port).collect();
    let mut plans: Vec<Plan> = (0..args.workers)
        .map(|w| Plan {
            source: Ipv4Addr::new(127, 0, 0, args.first_source + w as u8),
            servers: replica_ports.clone(),
            map: args.map.clone(),
            map_version: env.info.version,
            rounds,
            payload_bytes: args.payload_bytes,
            path_interval_ms: args.path_interval_ms,
            connect_concurrency: args.connect_concurrency,
            budget_seconds: args.seconds + args.drain_seconds + 900,
            hunts: Vec::new(),
            pairs: pairs.clone(),
        })
        .collect();
    let mut channels_by_replica: Vec<Vec<String>> = vec![Vec::new(); args.replicas];
    for (h, board) in boards.iter().enumerate() {
        let server = h % args.replicas;
        channels_by_replica[server].push(format!("hunt:{board}"));
        plans[h % args.workers].hunts.push(Hunt {
            board: board.clone(),
            base_version: base_versions[h],
            server,
            players: args.hunt_size,
            path_players: path_per_hunt,
        });
    }
    let dir = std::env::temp_dir().join(format!("hunt-bench-players-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result =
        run_players(args, &mut primary, &mut replicas, &plans, &channels_by_replica, &boards, &base_versions, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    let measured = result?;

    let mut servers: Vec<Server> = std::iter::once(primary).chain(replicas).collect();
    for s in servers.iter_mut() {
        let _ = s.con.set_read_timeout(Some(Duration::from_secs(5)));
    }
    let versions: Vec<String> = servers
        .iter_mut()
        .map(|s| info_field(&s.info("server"), "redis_version").unwrap_or_else(|| "?".into()))
        .collect();
    let obl: Vec<String> = servers
        .iter_mut()
        .map(|s| {
            info_field(&s.info("stats"), "client_output_buffer_limit_disconnections").unwrap_or_else(|| "n/a".into()) // in INFO from Redis 7.2
        })
        .collect();
    let render_input = Render {
        args,
        started_at,
        hunts,
        path_per_hunt,
        rounds,
        servers: &servers,
        redis_version: versions.first().cloned().unwrap_or_default(),
        env: &env,
        pairs: &pairs,
        sync_seconds,
        before_players: &before_players,
        obl: &obl,
        m: &measured,
        wall: 0.0,
    };
    let clean = render_input.clean();
    let markdown = render(&Render { wall: wall.elapsed().as_secs_f64(), ..render_input });
    drop(servers);
    Ok((markdown, clean))
}

const REPLICA_NAMES: [&str; 8] =
    ["replica 1", "replica 2", "replica 3", "replica 4", "replica 5", "replica 6", "replica 7", "replica 8"];

/// Everything measured once the players are connected.
struct Measured {
    reports: Vec<WorkerReport>,
    worker_sources: Vec<Ipv4Addr>,
    worker_connections: Vec<usize>,
    worker_rss: Vec<u64>,
    connect_seconds: f64,
    /// Per server (primary first): at the end of the publishing window.
    at_end: Vec<MemorySample>,
    numsub: Vec<u64>,
    published: Published,
    /// CPU over the window, % of one core: servers then workers then this process.
    cpu: Vec<Option<f64>>,
    main_threads: Vec<Option<f64>>,
    machine: Option<f64>,
    cpu_seconds: f64,
    quiet_machine: Option<f64>,
    quiet_cpu: Vec<Option<f64>>,
    publish_usec: (u64, u64),
}

#[allow(clippy::too_many_arguments)]
fn run_players(
    args: &PlayersArgs,
    primary: &mut Server,
    replicas: &mut [Server],
    plans: &[Plan],
    channels_by_replica: &[Vec<String>],
    boards: &[String],
    base_versions: &[u64],
    dir: &Path,
) -> Result<Measured, String> {
    let connect_started = Instant::now();
    let mut workers = Vec::with_capacity(plans.len());
    for (i, plan) in plans.iter().enumerate() {
        let w = Worker::spawn(i, plan, dir)?;
        progress(format!(
            "worker {} pid {} from {}: {} hunts, {} connections",
            i + 1,
            w.pid,
            w.source,
            plan.hunts.len(),
            w.connections
        ));
        workers.push(w);
    }
    let mut reports: Vec<WorkerReport> = (0..workers.len()).map(|_| WorkerReport::default()).collect();
    let deadline = Instant::now() + Duration::from_secs(300);
    for (w, report) in workers.iter().zip(reports.iter_mut()) {
        let line = w.line(deadline)?;
        let f: Vec<&str> = line.split(' ').collect();
        if f.len() != 4 || f[0] != "ready" {
            return Err(format!("worker {}: {line:?}", w.pid));
        }
        report.ready = f[1].parse().unwrap_or(0);
        report.failed = f[2].parse().unwrap_or(0);
        report.connect_seconds = f[3].parse().unwrap_or(0.0);
    }
    let connect_seconds = connect_started.elapsed().as_secs_f64();
    let ready: u64 = reports.iter().map(|r| r.ready).sum();
    let failed: u64 = reports.iter().map(|r| r.failed).sum();
    progress(format!("{ready} connections ready in {connect_seconds:.1} s ({failed} failed)"));

    let mut pids: Vec<u32> =
        std::iter::once(primary.spawned.pid).chain(replicas.iter().map(|r| r.spawned.pid)).collect();
    let servers = pids.len();
    pids.extend(workers.iter().map(|w| w.pid));
    pids.push(std::process::id());

    // One quiet second with every player connected and nothing published.
    let quiet_start = CpuSnapshot::take(&pids, servers);
    std::thread::sleep(Duration::from_secs(1));
    let quiet = CpuSnapshot::take(&pids, servers).since(&quiet_start);

    let publish_before = cmdstat(primary, "hunt.publish");
    for w in workers.iter_mut() {
        w.send("go")?;
    }
    let before = CpuSnapshot::take(&pids, servers);
    let slots = args.interval_ms / args.tick_ms;
    let rounds = args.seconds * 1000 / args.interval_ms;
    let board_versions: Vec<(String, u64)> = boards.iter().cloned().zip(base_versions.iter().copied()).collect();
    let port = primary.spawned.port;
    let tick = Duration::from_millis(args.tick_ms);
    let payload_bytes = args.payload_bytes;
    progress(format!(
        "publishing: {} boards, each every {} ms, for {} s ({} publishes/s)",
        boards.len(),
        args.interval_ms,
        args.seconds,
        boards.len() as u64 * 1000 / args.interval_ms
    ));
    let publisher = std::thread::spawn(move || publish(port, &board_versions, slots, rounds, tick, payload_bytes));
    let published = publisher.join().map_err(|_| "the publisher thread panicked".to_string())??;
    progress(format!("{} publishes done", published.publishes));

    // The servers as the window ends, every player still connected.
    let mut at_end = vec![primary.sample()];
    at_end.extend(replicas.iter_mut().map(|r| r.sample()));
    let mut numsubs = vec![0];
    numsubs.extend(replicas.iter_mut().zip(channels_by_replica).map(|(r, ch)| numsub(r, ch)));
    let worker_rss: Vec<u64> = workers.iter().map(|w| vm_rss(w.pid).unwrap_or(0)).collect();
    let publish_after = cmdstat(primary, "hunt.publish");

    let drain_ms = args.drain_seconds * 1000;
    for w in workers.iter_mut() {
        w.send(&format!("stop {drain_ms}"))?;
    }
    let deadline = Instant::now() + Duration::from_secs(args.drain_seconds + 60);
    let mut after: Option<CpuSnapshot> = None;
    for (w, report) in workers.iter().zip(reports.iter_mut()) {
        loop {
            let line = w.line(deadline)?;
            // The first report line means the worker's subscribers have drained: the window ends.
            if after.is_none() {
                after = Some(CpuSnapshot::take(&pids, servers));
            }
            if report.parse_line(&line)? {
                break;
            }
        }
    }
    let after = after.unwrap_or_else(|| CpuSnapshot::take(&pids, servers));
    let busy = after.since(&before);
    let worker_sources = workers.iter().map(|w| w.source).collect();
    let worker_connections = workers.iter().map(|w| w.connections).collect();
    drop(workers);
    Ok(Measured {
        reports,
        worker_sources,
        worker_connections,
        worker_rss,
        connect_seconds,
        at_end,
        numsub: numsubs,
        published,
        cpu: busy.processes,
        main_threads: busy.main_threads,
        machine: busy.machine,
        cpu_seconds: busy.seconds,
        quiet_machine: quiet.machine,
        quiet_cpu: quiet.processes,
        publish_usec: (
            publish_after.0.saturating_sub(publish_before.0),
            publish_after.1.saturating_sub(publish_before.1),
        ),
    })
}

fn cmdstat(server: &mut Server, command: &str) -> (u64, u64) {
    load::cmdstat_in(&server.info("commandstats"), command)
}

// ---------------------------------------------------------------------------------------------
// The report.

struct Render<'a> {
    args: &'a PlayersArgs,
    started_at: SystemTime,
    hunts: usize,
    path_per_hunt: usize,
    rounds: u64,
    servers: &'a [Server],
    redis_version: String,
    env: &'a Env,
    pairs: &'a [Pair],
    sync_seconds: f64,
    before_players: &'a [MemorySample],
    obl: &'a [String],
    m: &'a Measured,
    wall: f64,
}

impl Render<'_> {
    fn totals(&self) -> WorkerReport {
        let mut t = WorkerReport::default();
        for r in &self.m.reports {
            t.ready += r.ready;
            t.failed += r.failed;
            t.subscribers += r.subscribers;
            t.subscribed += r.subscribed;
            t.complete += r.complete;
            t.seen += r.seen;
            t.missing += r.missing;
            t.duplicates += r.duplicates;
            t.out_of_order += r.out_of_order;
            t.bad += r.bad;
            t.drained = t.drained.max(r.drained);
            t.path_connections += r.path_connections;
            t.path_ok += r.path_ok;
            if t.held.len() < r.held.len() {
                t.held.resize(r.held.len(), (0, 0));
            }
            for (i, (s, p)) in r.held.iter().enumerate() {
                t.held[i].0 += s;
                t.held[i].1 += p;
            }
            if t.first_bad.is_none() {
                t.first_bad = r.first_bad.clone();
            }
            for (e, n) in &r.errors {
                count_error(&mut t.errors, e.clone(), *n);
            }
            for (e, n) in &r.path_errors {
                count_error(&mut t.path_errors, e.clone(), *n);
            }
            for (i, n) in &r.delivery.0 {
                t.delivery.add(*i, *n);
            }
            for (i, n) in &r.path.0 {
                t.path.add(*i, *n);
            }
        }
        t
    }

    fn clean(&self) -> bool {
        let t = self.totals();
        let path_requests = t.path.total();
        t.failed == 0
            && t.subscribed == self.args.players as u64
            && t.complete == t.subscribed
            && t.missing == 0
            && t.duplicates == 0
            && t.out_of_order == 0
            && t.bad == 0
            && t.errors.is_empty()
            && t.path_errors.is_empty()
            && t.path_ok == path_requests
            && t.seen == self.m.published.publishes * self.args.hunt_size as u64
    }
}

fn ms_us(us: Option<u64>) -> String {
    us.map_or("–".into(), |us| format!("{:.2}", us as f64 / 1000.0))
}

fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}

fn percentile_ns(sorted: &[u64], p: f64) -> Option<u64> {
    crate::push::percentile(sorted, p).map(|ns| ns / 1000)
}

fn render(r: &Render) -> String {
    let (a, m) = (r.args, r.m);
    let t = r.totals();
    let mut out = String::new();
    load::report_head(&mut out, "players", r.started_at);
    let _ = writeln!(
        out,
        "| servers | Redis {} ×{}: a primary and {} replicas on 127.0.0.1, spawned by the tool, module `{}`; replicas in sync {:.1} s after REPLICAOF |",
        r.redis_version,
        r.servers.len(),
        r.servers.len() - 1,
        a.module.display(),
        r.sync_seconds
    );
    match &r.env.load_line {
        Some(line) => {
            let _ = writeln!(out, "| map | `{line}` ({:.1} s), on the primary, replicated |", r.env.load_seconds);
        }
        None => {
            let _ = writeln!(out, "| map | key `{}` was already there |", r.env.map);
        }
    }
    let _ = writeln!(out, "{}", r.env.info.row());
    let _ = writeln!(
        out,
        "| players | {} in {} hunts of {}, each subscribed to `hunt:players:<hunt>` on its hunt's replica (hunt h on replica h mod {}) |",
        thousands(a.players as u64),
        r.hunts,
        a.hunt_size,
        r.servers.len() - 1
    );
    let _ = writeln!(
        out,
        "| publishing | one HUNT.PUBLISH per board every {} ms on the primary ({} publishes/s, {} deliveries/s), {} boards per {} ms pipeline, for {} s ({} updates per board); payload {} bytes with the update number and the CLOCK_MONOTONIC send time |",
        a.interval_ms,
        thousands(r.hunts as u64 * 1000 / a.interval_ms),
        thousands((r.hunts * a.hunt_size) as u64 * 1000 / a.interval_ms),
        r.hunts as u64 * a.tick_ms / a.interval_ms,
        a.tick_ms,
        a.seconds,
        r.rounds,
        a.payload_bytes
    );
    let costs: Vec<u64> = {
        let mut c: Vec<u64> = r.pairs.iter().map(|p| p.cost).collect();
        c.sort_unstable();
        c
    };
    let _ = writeln!(
        out,
        "| HUNT.PATH | {} players ({} per hunt, one in {}) on a second connection to their replica, one request every {} ms each; {} local pairs (k-th node of HUNT.REACH, k in 1000..=4000, median cost {}) |",
        t.path_connections,
        r.path_per_hunt,
        a.path_one_in,
        a.path_interval_ms,
        r.pairs.len(),
        crate::push::percentile(&costs, 50.0).unwrap_or(0)
    );
    let _ = writeln!(
        out,
        "| load processes | {} workers (this executable, one tokio thread each), sources {}; open files: soft limit raised to the hard limit in each process |",
        m.reports.len(),
        m.worker_sources.iter().map(Ipv4Addr::to_string).collect::<Vec<_>>().join(", ")
    );
    let _ = writeln!(out, "| machine | {} cores, shared by every server, worker and other users' jobs |", cpu::cores());

    let _ = writeln!(out, "\n### Connections\n");
    let _ = writeln!(
        out,
        "All {} connections ready in {:.1} s ({} failed). Held at the end of the publishing window:\n",
        thousands(t.ready + t.failed),
        m.connect_seconds,
        t.failed
    );
    let _ = writeln!(
        out,
        "| server | port | maxclients | players held (tool) | path connections held (tool) | PUBSUB NUMSUB | INFO connected_clients |\n|---|---|---|---|---|---|---|"
    );
    let mut held_total = 0;
    let mut info_total = 0;
    for (s, server) in r.servers.iter().enumerate() {
        let (subs, paths) = if s == 0 { (0, 0) } else { t.held.get(s - 1).copied().unwrap_or((0, 0)) };
        held_total += subs + paths;
        info_total += m.at_end[s].connected_clients;
        let maxclients =
            if s == 0 { 1024 } else { connections_per(a.players, a.hunt_size, a.path_one_in, a.replicas) + 256 };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            server.role,
            server.spawned.port,
            thousands(maxclients as u64),
            thousands(subs),
            thousands(paths),
            if s == 0 { "–".to_string() } else { thousands(m.numsub[s]) },
            thousands(m.at_end[s].connected_clients)
        );
    }
    let _ = writeln!(out, "| **all** | | | | **{}** | | **{}** |", thousands(held_total), thousands(info_total));
    let _ = writeln!(
        out,
        "\nconnected_clients counts every client of a server: on a replica the players plus this tool's control \
         connection; on the primary the publisher, the control connection and the {} replicas' links.\n",
        r.servers.len() - 1
    );
    let _ =
        writeln!(out, "| load process | source | connections planned | connected in | RSS |\n|---|---|---|---|---|");
    for (w, rep) in m.reports.iter().enumerate() {
        let _ = writeln!(
            out,
            "| worker {} | {} | {} | {:.1} s | {} MB |",
            w + 1,
            m.worker_sources[w],
            thousands(m.worker_connections[w] as u64),
            rep.connect_seconds,
            mb(m.worker_rss[w])
        );
    }

    let _ = writeln!(out, "\n### Delivery (every subscriber must get every update of its board once, in order)\n");
    let expected = m.published.publishes * a.hunt_size as u64;
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| publishes acknowledged (versions checked) | {} |", thousands(m.published.publishes));
    let _ = writeln!(out, "| deliveries expected (publishes × {}) | {} |", a.hunt_size, thousands(expected));
    let _ = writeln!(out, "| deliveries received (distinct, valid) | {} |", thousands(t.seen));
    let _ = writeln!(
        out,
        "| subscribers that got every update | {} of {} |",
        thousands(t.complete),
        thousands(a.players as u64)
    );
    let _ = writeln!(out, "| **missing** | **{}** |", thousands(t.missing));
    let _ = writeln!(out, "| **out of order** | **{}** |", thousands(t.out_of_order));
    let _ = writeln!(out, "| **duplicates** | **{}** |", thousands(t.duplicates));
    let _ = writeln!(out, "| malformed / unexpected | {} |", thousands(t.bad));
    let _ = writeln!(
        out,
        "| delivery rate | {} /s over {} s (target {} /s) |",
        thousands((t.seen as f64 / a.seconds as f64) as u64),
        a.seconds,
        thousands((a.players as u64) * 1000 / a.interval_ms)
    );
    let _ = writeln!(out, "| last subscriber done after the last publish | {:.3} s |", t.drained);
    let (calls, usec) = m.publish_usec;
    if calls > 0 {
        let _ = writeln!(
            out,
            "| server time inside HUNT.PUBLISH on the primary (INFO commandstats) | {:.1} µs per call ({} calls) |",
            usec as f64 / calls as f64,
            thousands(calls)
        );
    }
    let _ = writeln!(out, "| output-buffer-limit disconnections (primary, replicas) | {} |", r.obl.join(", "));
    if let Some(b) = &t.first_bad {
        let _ = writeln!(out, "| first malformed | `{}` |", b.replace('|', "\\|"));
    }
    for (e, n) in &t.errors {
        let _ = writeln!(out, "| connection error ×{n} | {} |", e.replace('|', "\\|"));
    }

    let _ = writeln!(out, "\n### Latency, ms\n");
    let _ = writeln!(out, "| | n | p50 | p90 | p99 | p99.9 | max |\n|---|---|---|---|---|---|---|");
    let d = &t.delivery;
    let _ = writeln!(
        out,
        "| delivery: publisher send → subscriber parsed (primary → replica → player) | {} | {} | {} | {} | {} | {} |",
        thousands(d.total()),
        ms_us(d.percentile(50.0)),
        ms_us(d.percentile(90.0)),
        ms_us(d.percentile(99.0)),
        ms_us(d.percentile(99.9)),
        ms_us(d.max())
    );
    let p = &t.path;
    let _ = writeln!(
        out,
        "| HUNT.PATH on a replica, request → reply | {} | {} | {} | {} | {} | {} |",
        thousands(p.total()),
        ms_us(p.percentile(50.0)),
        ms_us(p.percentile(90.0)),
        ms_us(p.percentile(99.0)),
        ms_us(p.percentile(99.9)),
        ms_us(p.max())
    );
    let mut rtt = m.published.rtt.clone();
    rtt.sort_unstable();
    let mut late = m.published.lateness.clone();
    late.sort_unstable();
    for (name, v) in
        [("publisher: round trip of one tick's pipeline", &rtt), ("publisher: tick start behind schedule", &late)]
    {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {} |",
            thousands(v.len() as u64),
            ms_us(percentile_ns(v, 50.0)),
            ms_us(percentile_ns(v, 90.0)),
            ms_us(percentile_ns(v, 99.0)),
            ms_us(percentile_ns(v, 99.9)),
            ms_us(v.last().map(|ns| ns / 1000))
        );
    }
    let _ = writeln!(
        out,
        "\nDelivery and HUNT.PATH latencies are histogram buckets (64 per power of two; the top of the bucket is shown, \
         at most 1.6 % above the value). HUNT.PATH: {} requests, {} valid (path from the source to the target, the \
         cost HUNT.REACH gave on the primary, the map's version), {} errors.",
        thousands(p.total()),
        thousands(t.path_ok),
        thousands(t.path_errors.iter().map(|(_, n)| n).sum())
    );
    for (e, n) in &t.path_errors {
        let _ = writeln!(out, "* HUNT.PATH error ×{n}: `{}`", e.replace('`', "'"));
    }

    let _ = writeln!(out, "\n### Memory per server\n");
    let _ = writeln!(
        out,
        "| server | connections (INFO) | VmRSS before players → end, MB | used_memory before → end, MB | RSS / connection | used_memory / connection | added RSS / added connection | added used_memory / added connection |\n|---|---|---|---|---|---|---|---|"
    );
    for (s, server) in r.servers.iter().enumerate() {
        let (b, e) = (r.before_players[s], m.at_end[s]);
        let conns = e.connected_clients.max(1);
        let added = e.connected_clients.saturating_sub(b.connected_clients);
        let per_added = |after: u64, before: u64| {
            if added == 0 {
                "–".to_string()
            } else {
                format!("{:.1} KB", after.saturating_sub(before) as f64 / added as f64 / 1000.0)
            }
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} → {} | {} → {} | {:.1} KB | {:.1} KB | {} | {} |",
            server.role,
            thousands(e.connected_clients),
            mb(b.rss),
            mb(e.rss),
            mb(b.used_memory),
            mb(e.used_memory),
            e.rss as f64 / conns as f64 / 1000.0,
            e.used_memory as f64 / conns as f64 / 1000.0,
            per_added(e.rss, b.rss),
            per_added(e.used_memory, b.used_memory)
        );
    }
    let _ = writeln!(
        out,
        "\nRSS / connection and used_memory / connection divide the whole server (the map included) by its clients; the \
         `added` columns divide what the players added by the connections they added (before players: replicas synced, \
         no players)."
    );

    let _ = writeln!(
        out,
        "\n### CPU over the publishing window ({:.1} s, first publish to the workers' drained reports), % of one core\n",
        m.cpu_seconds
    );
    let _ = writeln!(
        out,
        "| process | pid | publishing window | main thread | 1 s before it, players connected, no publishing |\n|---|---|---|---|---|"
    );
    let mut named: Vec<(String, u32)> =
        r.servers.iter().map(|s| (format!("redis-server, {}", s.role), s.spawned.pid)).collect();
    for (w, src) in m.worker_sources.iter().enumerate() {
        named.push((format!("hunt-bench worker {} ({src})", w + 1), 0));
    }
    named.push(("hunt-bench coordinator (publisher)".into(), std::process::id()));
    let mut known = 0.0;
    for (i, (name, pid)) in named.iter().enumerate() {
        known += m.cpu[i].unwrap_or(0.0);
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} |",
            if *pid == 0 { "–".to_string() } else { pid.to_string() },
            pct(m.cpu[i]),
            m.main_threads.get(i).map_or("–".to_string(), |v| pct(*v)),
            pct(m.quiet_cpu[i])
        );
    }
    let quiet_known: f64 = m.quiet_cpu.iter().map(|v| v.unwrap_or(0.0)).sum();
    let _ = writeln!(
        out,
        "| other processes on the machine | | {} | | {} |",
        pct(m.machine.map(|v| (v - known).max(0.0))),
        pct(m.quiet_machine.map(|v| (v - quiet_known).max(0.0)))
    );
    let _ = writeln!(
        out,
        "| whole machine (of {} %, /proc/stat) | | {} | | {} |",
        cpu::cores() * 100,
        pct(m.machine),
        pct(m.quiet_machine)
    );
    let _ = writeln!(
        out,
        "\nResult: {} (whole run {:.1} s).",
        if r.clean() {
            format!(
                "{} connections held; every subscriber received every update once, in order; every HUNT.PATH reply valid",
                thousands(t.ready)
            )
        } else {
            "NOT CLEAN: see failed connections / missing / out of order / duplicates / errors above".to_string()
        },
        r.wall
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_contiguous_and_narrow() {
        let mut last = 0;
        for us in 0..2_000_000u64 {
            let b = bucket(us);
            assert!(b == last || b == last + 1, "{us}: {last} -> {b}");
            assert!(bucket_low(b) <= us && us <= bucket_high(b), "{us} in bucket {b}");
            assert!((bucket_high(b) - bucket_low(b)) as f64 <= us as f64 / 63.0 + 1.0);
            last = b;
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn histogram_percentiles() {
        let h = Histogram::new();
        for us in 1..=1000u64 {
            h.record(us * 1000);
        }
        let mut counts = Counts::default();
        for line in h.lines("delivery").lines() {
            let f: Vec<u64> = line.split(' ').skip(2).map(|v| v.parse().unwrap()).collect();
            counts.add(f[0] as usize, f[1]);
        }
        assert_eq!(counts.total(), 1000);
        let p50 = counts.percentile(50.0).unwrap();
        assert!((500..=508).contains(&p50), "{p50}");
        let p999 = counts.percentile(99.9).unwrap();
        assert!((999..=1015).contains(&p999), "{p999}");
        assert_eq!(Counts::default().percentile(50.0), None);
    }

    #[test]
    fn plans_round_trip() {
        let plan = Plan {
            source: Ipv4Addr::new(127, 0, 0, 3),
            servers: vec![7001, 7002],
            map: "ny".into(),
            map_version: 42,
            rounds: 120,
            payload_bytes: 64,
            path_interval_ms: 1000,
            connect_concurrency: 200,
            budget_seconds: 975,
            hunts: vec![
                Hunt { board: "players:0001".into(), base_version: 1, server: 1, players: 100, path_players: 1 },
                Hunt { board: "players:0005".into(), base_version: 3, server: 0, players: 100, path_players: 0 },
            ],
            pairs: vec![Pair { src: 1, dst: 2, cost: 3 }],
        };
        assert_eq!(Plan::parse(&plan.to_text()), Ok(plan.clone()));
        let mut broken = plan.clone();
        broken.hunts[0].server = 2;
        assert!(Plan::parse(&broken.to_text()).is_err());
        assert!(Plan::parse("hunt x\n").is_err());
    }

    #[test]
    fn whole_hunts_keep_every_process_under_the_open_files_cap() {
        // The defaults: 50,000 players, 100 per hunt, 1 in 100 asking paths, 4 workers, 4 replicas.
        assert_eq!(connections_per(50_000, 100, 100, 4), 125 * 101);
        assert_eq!(connections_per(50_000, 100, 0, 3), 167 * 100);
        assert_eq!(path_players_in_hunt(100, 100), 1);
        assert_eq!(path_players_in_hunt(100, 30), 4);
    }

    #[test]
    fn deliveries_are_checked() {
        let plan = Plan::parse("servers 1\nmap ny 1\nrounds 3\npayload_bytes 64\nhunt b 10 0 1 0\n").unwrap();
        let hunt = &plan.hunts[0];
        let body = |version: u64, seq: u64| {
            let payload = message::bench_payload(seq, 77, 64).unwrap();
            let mut m = format!("publish {version} - 1 1 64\nbc").into_bytes();
            m.extend(payload);
            m
        };
        let check = |b: Vec<u8>| {
            let f = Frame::Array(Some(vec![
                Frame::Bulk(Some(b"message")),
                Frame::Bulk(Some(b"hunt:b")),
                Frame::Bulk(Some(&b)),
            ]));
            check_delivery(&plan, hunt, b"hunt:b", &f)
        };
        assert_eq!(check(body(12, 2)), Ok((2, 77)));
        assert!(check(body(12, 1)).is_err(), "update number and version disagree");
        assert!(check(body(14, 4)).is_err(), "beyond the run");
        assert!(check(body(10, 0)).is_err(), "the version before the run");
    }

    #[test]
    fn path_replies_are_checked() {
        let pair = Pair { src: 1, dst: 3, cost: 12 };
        let reply = |cost: i64, path: &[i64], version: i64| {
            Frame::Array(Some(vec![
                Frame::Bulk(Some(b"cost")),
                Frame::Integer(cost),
                Frame::Bulk(Some(b"path")),
                Frame::Array(Some(path.iter().map(|&n| Frame::Integer(n)).collect())),
                Frame::Bulk(Some(b"version")),
                Frame::Integer(version),
            ]))
        };
        assert_eq!(check_path(&pair, 9, &reply(12, &[1, 2, 3], 9)), Ok(()));
        assert!(check_path(&pair, 9, &reply(11, &[1, 2, 3], 9)).is_err());
        assert!(check_path(&pair, 9, &reply(12, &[1, 2, 3], 8)).is_err());
        assert!(check_path(&pair, 9, &reply(12, &[2, 3], 9)).is_err());
        assert!(check_path(&pair, 9, &Frame::Error(b"ERR x")).is_err());
        assert!(check_path(&pair, 9, &Frame::Bulk(None)).is_err());
    }

    #[test]
    fn worker_reports_parse() {
        let mut r = WorkerReport::default();
        for line in [
            "subscribers 200 200 199",
            "deliveries 2399 1 0 0 0",
            "held 1 200 2",
            "error 1 subscriber: read: reset by peer",
            "hist delivery 130 5",
            "hist path 7 2",
        ] {
            assert_eq!(r.parse_line(line), Ok(false), "{line}");
        }
        assert_eq!(r.parse_line("end"), Ok(true));
        assert_eq!((r.subscribed, r.complete, r.missing), (200, 199, 1));
        assert_eq!(r.held, vec![(0, 0), (200, 2)]);
        assert_eq!(r.errors, vec![("subscriber: read: reset by peer".to_string(), 1)]);
        assert_eq!((r.delivery.total(), r.path.total()), (5, 2));
        assert!(r.parse_line("nonsense").is_err());
    }
}
