//! What `path` and `stall` share: a server with a road map loaded (spawned, or one already
//! running), deterministic query sets (fixed-seed xorshift), a closed-loop load runner over raw
//! RESP connections that records every request's latency and checks every reply, and the
//! Markdown helpers for its results. With HUNT_BENCH_DEBUG set in the environment, each phase
//! also prints the (sent, replied) times of its first 400 requests to stderr.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use redis::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::cpu::{self, Snapshot, Usage};
use crate::push::{info_field, percentile, progress, thousands};
use crate::resp::{self, Frame};
use crate::server::SpawnedServer;

/// CPU ticks of each thread of `pid`: (tid, name, utime + stime).
pub fn thread_ticks(pid: u32) -> Vec<(u32, String, u64)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let name = stat[open + 1..close].to_string();
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let (Some(Ok(u)), Some(Ok(s))) =
            (fields.get(11).map(|v| v.parse::<u64>()), fields.get(12).map(|v| v.parse::<u64>()))
        else {
            continue;
        };
        out.push((tid, name, u + s));
    }
    out
}

/// The server's main thread and its hunt-worker threads: CPU between two `thread_ticks`
/// readings, % of one core over `seconds` (threads that exited in between are not counted).
pub fn thread_usage(pid: u32, before: &[(u32, String, u64)], after: &[(u32, String, u64)], seconds: f64) -> (f64, f64) {
    let hz = cpu::clock_ticks_per_second();
    let (mut main, mut workers) = (0u64, 0u64);
    for (tid, name, ticks) in after {
        let start = before.iter().find(|(t, _, _)| t == tid).map_or(0, |b| b.2);
        let used = ticks.saturating_sub(start);
        if *tid == pid {
            main += used;
        } else if name.starts_with("hunt-worker") {
            workers += used;
        }
    }
    let pct = |t: u64| if seconds > 0.0 { t as f64 / hz / seconds * 100.0 } else { 0.0 };
    (pct(main), pct(workers))
}

pub const DEFAULT_MODULE: &str = "target/release/libhunt.so";
pub const DEFAULT_GR: &str = "/work/shared/data/roads/USA-road-d.NY.gr.gz";
pub const DEFAULT_CO: &str = "/work/shared/data/roads/USA-road-d.NY.co.gz";

/// Where the server comes from and which map it holds.
#[derive(clap::Args, Debug, Clone)]
pub struct ServerArgs {
    /// Start a redis-server with this module on a free port and stop it at the end (the
    /// default, with target/release/libhunt.so, unless --port names a running server)
    #[arg(long, value_name = "LIBHUNT_SO")]
    pub spawn_server: Option<PathBuf>,
    /// A running server with the module on 127.0.0.1 (the map is loaded only if the key is missing)
    #[arg(long, conflicts_with = "spawn_server")]
    pub port: Option<u16>,
    /// The redis-server to spawn
    #[arg(long, default_value = "redis-server")]
    pub redis_server: PathBuf,
    /// The hunt-load binary (default: next to this executable)
    #[arg(long)]
    pub hunt_load: Option<PathBuf>,
    /// The map key
    #[arg(long, default_value = "ny")]
    pub map: String,
    /// The DIMACS graph (also read by this tool to check every returned path edge by edge)
    #[arg(long, default_value = DEFAULT_GR)]
    pub gr: PathBuf,
    /// The DIMACS coordinates (HUNT.NODES, so AUTO can use A*); "none" to load none
    #[arg(long, default_value = DEFAULT_CO)]
    pub co: String,
    /// Landmarks to compute after loading (HUNT.LANDMARKS; 0 = none)
    #[arg(long, default_value_t = 0)]
    pub landmarks: u32,
    /// Seed of the xorshift generator behind every query set
    #[arg(long, default_value_t = 0x5eed_2026)]
    pub seed: u64,
    /// CONFIG SET hunt.inline-budget to this before the run (default: leave the module's setting)
    #[arg(long)]
    pub inline_budget: Option<u64>,
    /// Tokio worker threads for the load connections
    #[arg(long, default_value_t = 1)]
    pub client_threads: usize,
}

/// Pids of the processes the run started (servers, load workers), so the watchdog can stop
/// them if the run overruns.
static STARTED: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

/// Records a process the watchdog must stop with the run.
pub fn started(pid: u32) {
    if let Ok(mut pids) = STARTED.lock() {
        pids.push(pid);
    }
}

/// `calls` and `usec` of one command in the text of INFO commandstats ((0, 0) if absent).
pub fn cmdstat_in(info: &str, command: &str) -> (u64, u64) {
    let mut out = (0, 0);
    if let Some(line) = info_field(info, &format!("cmdstat_{}", command.to_ascii_lowercase())) {
        for pair in line.split(',') {
            match pair.split_once('=') {
                Some(("calls", v)) => out.0 = v.parse().unwrap_or(0),
                Some(("usec", v)) => out.1 = v.parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    out
}

/// The start of a run's markdown report: its title, the command line that ran it, and the
/// first row of its set-up table.
pub fn report_head(out: &mut String, name: &str, started_at: SystemTime) {
    use std::fmt::Write;
    let _ = writeln!(out, "## hunt-bench {name}\n");
    let _ = writeln!(out, "```sh\n{}\n```\n", invocation());
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| started | {} |", utc(started_at));
}

/// The end of a run: its markdown report on stdout and exit 0, or exit 2 with `unclean` when
/// the run saw something wrong, or 1 when it could not run.
pub fn finish(name: &str, result: Result<(String, bool), String>, unclean: &str) -> std::process::ExitCode {
    use std::process::ExitCode;
    match result {
        Ok((markdown, clean)) => {
            print!("{markdown}");
            if clean {
                ExitCode::SUCCESS
            } else {
                eprintln!("hunt-bench {name}: {unclean}");
                ExitCode::from(2)
            }
        }
        Err(e) => {
            eprintln!("hunt-bench {name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Ends the process, and every process it [`started`], if the run is still going after `budget`.
pub fn watchdog(name: &'static str, budget: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(budget);
        eprintln!("hunt-bench {name}: gave up after {} s", budget.as_secs());
        if let Ok(pids) = STARTED.lock() {
            for &pid in pids.iter() {
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            }
        }
        std::process::exit(1);
    });
}

/// xorshift64*: deterministic, good enough to spread node ids.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in lo..=hi (the modulo bias is below 1e-13 for these ranges).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// Every edge of the map file, smallest weight per node pair (as the loader keeps it), to
/// check returned paths edge by edge.
pub struct Edges(HashMap<u64, u32>);

impl Edges {
    pub fn read(gr: &Path) -> Result<Edges, String> {
        let mut child = std::process::Command::new("gzip")
            .arg("-dcf")
            .arg(gr)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("gzip -dcf {}: {e}", gr.display()))?;
        let out = child.stdout.take().ok_or("gzip: no stdout")?;
        let mut edges: HashMap<u64, u32> = HashMap::with_capacity(800_000);
        for line in BufReader::with_capacity(1 << 20, out).lines() {
            let line = line.map_err(|e| format!("{}: {e}", gr.display()))?;
            let Some(rest) = line.strip_prefix("a ") else { continue };
            let mut it = rest.split_whitespace().map(|v| v.parse::<u64>());
            let (Some(Ok(a)), Some(Ok(b)), Some(Ok(w))) = (it.next(), it.next(), it.next()) else {
                return Err(format!("{}: bad arc line {line:?}", gr.display()));
            };
            if a >= 1 << 32 || b >= 1 << 32 || w >= 1 << 32 {
                return Err(format!("{}: arc out of range {line:?}", gr.display()));
            }
            let slot = edges.entry(a << 32 | b).or_insert(u32::MAX);
            *slot = (*slot).min(w as u32);
        }
        let status = child.wait().map_err(|e| e.to_string())?;
        if !status.success() || edges.is_empty() {
            return Err(format!("gzip -dcf {}: {status}, {} arcs", gr.display(), edges.len()));
        }
        Ok(Edges(edges))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// An arc `a -> b` into a dead end (`b`'s only arcs are `a -> b` and `b -> a`), with `b`
    /// not in `avoid`, and its weight: the smallest such (a, b). No least-cost path passes
    /// through `b`, so changing that weight changes no cost between other nodes.
    pub fn dead_end_arc(&self, avoid: &[u64]) -> Option<(u64, u64, u32)> {
        let mut degree: HashMap<u64, (u32, u32)> = HashMap::new();
        for k in self.0.keys() {
            degree.entry(k >> 32).or_default().0 += 1;
            degree.entry(k & 0xffff_ffff).or_default().1 += 1;
        }
        self.0
            .iter()
            .map(|(k, w)| (k >> 32, k & 0xffff_ffff, *w))
            .filter(|&(a, b, _)| {
                degree.get(&b) == Some(&(1, 1)) && self.0.contains_key(&(b << 32 | a)) && !avoid.contains(&b)
            })
            .min_by_key(|&(a, b, _)| (a, b))
    }

    fn weight(&self, a: i64, b: i64) -> Option<u32> {
        if !(0..1 << 32).contains(&a) || !(0..1 << 32).contains(&b) {
            return None;
        }
        self.0.get(&((a as u64) << 32 | b as u64)).copied()
    }
}

/// The server under test, with the map loaded.
pub struct Env {
    pub spawned: Option<SpawnedServer>,
    pub addr: SocketAddr,
    pub port: u16,
    pub server_pid: Option<u32>,
    pub con: redis::Connection,
    pub redis_version: String,
    pub module: Option<(PathBuf, String)>,
    pub map: String,
    pub load_line: Option<String>,
    pub load_seconds: f64,
    pub landmark_seconds: Option<f64>,
    pub info: MapInfo,
    pub edges: Arc<Edges>,
    pub runtime: tokio::runtime::Runtime,
    pub client_threads: usize,
}

#[derive(Clone, Debug, Default)]
pub struct MapInfo {
    pub nodes: u64,
    pub edges: u64,
    pub version: i64,
    pub algo: String,
    pub landmarks: i64,
    pub landmarks_valid: i64,
    pub located: i64,
}

impl MapInfo {
    /// The report's table row.
    pub fn row(&self) -> String {
        format!(
            "| HUNT.MAPINFO | {} nodes, {} edges, {} landmarks, version {}, AUTO = {} |",
            thousands(self.nodes),
            thousands(self.edges),
            self.landmarks,
            self.version,
            self.algo
        )
    }
}

pub fn value_text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Okay => "OK".into(),
        Value::Int(i) => i.to_string(),
        Value::Nil => "(nil)".into(),
        other => format!("{other:?}"),
    }
}

fn value_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        Value::SimpleString(s) => s.parse().ok(),
        _ => None,
    }
}

/// A RESP2 flat field/value array as pairs.
pub fn fields(v: &Value) -> HashMap<String, Value> {
    let mut out = HashMap::new();
    if let Value::Array(items) = v {
        for pair in items.chunks(2) {
            if let [k, v] = pair {
                out.insert(value_text(k), v.clone());
            }
        }
    }
    out
}

pub fn map_info(con: &mut redis::Connection, map: &str) -> Result<MapInfo, String> {
    let v: Value = redis::cmd("HUNT.MAPINFO").arg(map).query(con).map_err(|e| format!("HUNT.MAPINFO {map}: {e}"))?;
    let f = fields(&v);
    let int = |k: &str| f.get(k).and_then(value_int).unwrap_or(-1);
    Ok(MapInfo {
        nodes: int("nodes").max(0) as u64,
        edges: int("edges").max(0) as u64,
        version: int("version"),
        algo: f.get("algo").map(value_text).unwrap_or_default(),
        landmarks: int("landmarks"),
        landmarks_valid: int("landmarks_valid"),
        located: int("located"),
    })
}

pub fn config_get(con: &mut redis::Connection, name: &str) -> String {
    let v: Result<Vec<String>, _> = redis::cmd("CONFIG").arg("GET").arg(name).query(con);
    v.ok().and_then(|v| v.get(1).cloned()).unwrap_or_else(|| "?".into())
}

pub fn config_set(con: &mut redis::Connection, name: &str, value: &str) -> Result<(), String> {
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query(con)
        .map_err(|e| format!("CONFIG SET {name} {value}: {e}"))?;
    Ok(())
}

fn mtime_utc(path: &Path) -> String {
    std::fs::metadata(path).and_then(|m| m.modified()).map(utc).unwrap_or_else(|_| "?".into())
}

/// A time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem / 60 % 60, rem % 60)
}

impl Env {
    /// Spawns (or connects to) the server, loads the map if needed, reads the map file for
    /// path checks.
    pub fn start(args: &ServerArgs, maxclients: usize) -> Result<Env, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.client_threads.max(1))
            .enable_all()
            .build()
            .map_err(|e| format!("tokio: {e}"))?;
        let (spawned, port, module) = match args.port {
            Some(port) => (None, port, None),
            None => {
                let module = args.spawn_server.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_MODULE));
                progress(format!("starting {} with {}", args.redis_server.display(), module.display()));
                let server = SpawnedServer::start(&args.redis_server, &module, maxclients)?;
                started(server.pid);
                progress(format!("redis-server pid {} on port {}", server.pid, server.port));
                let stamp = mtime_utc(&module);
                let port = server.port;
                (Some(server), port, Some((module, stamp)))
            }
        };
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let url = format!("redis://127.0.0.1:{port}/");
        let client = redis::Client::open(url.as_str()).map_err(|e| e.to_string())?;
        let mut con = client.get_connection().map_err(|e| format!("{url}: {e}"))?;
        con.set_read_timeout(Some(Duration::from_secs(120))).map_err(|e| e.to_string())?;
        let info: String = redis::cmd("INFO").arg("server").query(&mut con).map_err(|e| e.to_string())?;
        let redis_version = info_field(&info, "redis_version").unwrap_or_else(|| "?".into());
        let server_pid = match &spawned {
            Some(s) => Some(s.pid),
            None => info_field(&info, "process_id").and_then(|p| p.parse().ok()),
        }
        .filter(|pid| cpu::process_ticks(*pid).is_some());

        let exists: i64 = redis::cmd("EXISTS").arg(&args.map).query(&mut con).map_err(|e| e.to_string())?;
        let (mut load_line, mut load_seconds) = (None, 0.0);
        if exists == 0 {
            let hunt_load = match &args.hunt_load {
                Some(p) => p.clone(),
                None => std::env::current_exe()
                    .ok()
                    .and_then(|p| Some(p.parent()?.join("hunt-load")))
                    .filter(|p| p.exists())
                    .unwrap_or_else(|| PathBuf::from("target/release/hunt-load")),
            };
            let mut cmd_args: Vec<String> =
                vec!["--url".into(), url.clone(), args.map.clone(), args.gr.display().to_string()];
            if args.co != "none" {
                cmd_args.extend(["--coordinates".into(), args.co.clone()]);
            }
            if args.landmarks > 0 {
                cmd_args.extend(["--landmarks".into(), args.landmarks.to_string()]);
            }
            let line = format!("{} {}", hunt_load.display(), cmd_args.join(" "));
            progress(&line);
            let started = Instant::now();
            let output = runtime.block_on(async {
                let mut command = tokio::process::Command::new(&hunt_load);
                command.args(&cmd_args).stdin(Stdio::null()).kill_on_drop(true);
                tokio::time::timeout(Duration::from_secs(300), command.output()).await
            });
            let output = output
                .map_err(|_| "hunt-load took longer than 300 s".to_string())?
                .map_err(|e| format!("cannot run {}: {e}", hunt_load.display()))?;
            if !output.status.success() {
                return Err(format!(
                    "{line}: {}\n{}{}",
                    output.status,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
            load_seconds = started.elapsed().as_secs_f64();
            load_line = Some(line);
        }
        let mut info = map_info(&mut con, &args.map)?;
        let mut landmark_seconds = None;
        if exists != 0 && info.landmarks != i64::from(args.landmarks) {
            progress(format!("HUNT.LANDMARKS {} {}", args.map, args.landmarks));
            let started = Instant::now();
            let _: Value = redis::cmd("HUNT.LANDMARKS")
                .arg(&args.map)
                .arg(args.landmarks)
                .query(&mut con)
                .map_err(|e| format!("HUNT.LANDMARKS: {e}"))?;
            landmark_seconds = Some(started.elapsed().as_secs_f64());
            info = map_info(&mut con, &args.map)?;
        }
        if info.nodes == 0 {
            return Err(format!("map {} is empty", args.map));
        }
        if let Some(budget) = args.inline_budget {
            config_set(&mut con, "hunt.inline-budget", &budget.to_string())?;
        }
        progress(format!("reading {} for the path checks", args.gr.display()));
        let edges = Arc::new(Edges::read(&args.gr)?);
        progress(format!(
            "map {}: {} nodes, {} edges, version {}, AUTO = {}, {} landmarks; {} arcs read for checks",
            args.map,
            info.nodes,
            info.edges,
            info.version,
            info.algo,
            info.landmarks,
            edges.len()
        ));
        Ok(Env {
            spawned,
            addr,
            port,
            server_pid,
            con,
            redis_version,
            module,
            map: args.map.clone(),
            load_line,
            load_seconds,
            landmark_seconds,
            info,
            edges,
            runtime,
            client_threads: args.client_threads.max(1),
        })
    }

    /// The `--workers` setting, applied.
    pub fn set_workers(&mut self, workers: u32) -> Result<(), String> {
        config_set(&mut self.con, "hunt.workers", &workers.to_string())
    }

    /// One counter of `INFO hunt` (`hunt_<name>`), 0 when the module does not report it.
    pub fn hunt_counter(&mut self, name: &str) -> u64 {
        let info: String = redis::cmd("INFO").arg("hunt").query(&mut self.con).unwrap_or_default();
        let prefix = format!("hunt_{name}:");
        info.lines().find_map(|l| l.strip_prefix(&prefix)?.trim().parse().ok()).unwrap_or(0)
    }

    /// `calls` and `usec` of one command in INFO commandstats.
    pub fn cmdstat(&mut self, command: &str) -> (u64, u64) {
        let info: String = redis::cmd("INFO").arg("commandstats").query(&mut self.con).unwrap_or_default();
        cmdstat_in(&info, command)
    }

    /// Local pairs: a random source, and the k-th node (k uniform in k_min..=k_max) that
    /// `HUNT.REACH map src <max> LIMIT k_max+1` lists from it (index 0 is the source), with the
    /// cost REACH gives, which every HUNT.PATH reply must match.
    pub fn local_pairs(&mut self, seed: u64, count: usize, k_min: u64, k_max: u64) -> Result<Vec<Pair>, String> {
        let mut rng = XorShift::new(seed);
        let mut out = Vec::with_capacity(count);
        let mut tried = 0usize;
        while out.len() < count {
            let batch: Vec<(u64, u64)> =
                (0..32).map(|_| (rng.range(1, self.info.nodes), rng.range(k_min, k_max))).collect();
            let mut pipe = redis::pipe();
            for (src, _) in &batch {
                pipe.cmd("HUNT.REACH").arg(&self.map).arg(*src).arg(i64::MAX).arg("LIMIT").arg(k_max + 1);
            }
            let replies: Vec<Value> = pipe.query(&mut self.con).map_err(|e| format!("HUNT.REACH: {e}"))?;
            for ((src, k), reply) in batch.into_iter().zip(replies) {
                tried += 1;
                let f = fields(&reply);
                let Some(Value::Array(nodes)) = f.get("nodes") else {
                    return Err(format!("HUNT.REACH {} {src}: unexpected reply {reply:?}", self.map));
                };
                if let Some(Value::Array(entry)) = nodes.get(k as usize)
                    && let [id, cost] = &entry[..]
                    && out.len() < count
                {
                    let (Some(dst), Some(cost)) = (value_int(id), value_int(cost)) else {
                        return Err(format!("HUNT.REACH: bad entry {entry:?}"));
                    };
                    out.push(Pair { src, dst: dst as u64, cost: Some(cost as u64), rank: Some(k) });
                }
            }
            if tried > count * 4 + 64 {
                return Err(format!("only {} of {tried} sources reach {k_max} nodes", out.len()));
            }
        }
        Ok(out)
    }

    /// Players around clues, the game's own shape: `clues` random clue nodes, and for each about
    /// `count / clues` players, each at the k-th node (k uniform in k_min..=k_max) that
    /// `HUNT.REACH map clue <max> LIMIT k_max+1` lists from the clue; a pair goes from the
    /// player to its clue. Its cost is not known beforehand (REACH gives the cost from the
    /// clue, and roads need not be symmetric). Shuffled, so that consecutive requests ask for
    /// different clues, as players do.
    pub fn clue_pairs(
        &mut self,
        seed: u64,
        clues: usize,
        count: usize,
        k_min: u64,
        k_max: u64,
    ) -> Result<Vec<Pair>, String> {
        let mut rng = XorShift::new(seed);
        let mut out = Vec::with_capacity(count);
        let (mut found, mut tried) = (0usize, 0usize);
        while found < clues {
            tried += 1;
            if tried > clues * 4 + 64 {
                return Err(format!("only {found} of {tried} clue nodes reach {k_max} nodes"));
            }
            let clue = rng.range(1, self.info.nodes);
            let reply: Value = redis::cmd("HUNT.REACH")
                .arg(&self.map)
                .arg(clue)
                .arg(i64::MAX)
                .arg("LIMIT")
                .arg(k_max + 1)
                .query(&mut self.con)
                .map_err(|e| format!("HUNT.REACH: {e}"))?;
            let Some(Value::Array(nodes)) = fields(&reply).get("nodes").cloned() else {
                return Err(format!("HUNT.REACH {} {clue}: unexpected reply {reply:?}", self.map));
            };
            if nodes.len() <= k_max as usize {
                continue;
            }
            // Spread the remainder over the first clues.
            let players = count / clues + usize::from(found < count % clues);
            for _ in 0..players {
                let k = rng.range(k_min, k_max);
                let Some(Value::Array(entry)) = nodes.get(k as usize) else {
                    return Err(format!("HUNT.REACH: no entry {k}"));
                };
                let Some(player) = entry.first().and_then(value_int) else {
                    return Err(format!("HUNT.REACH: bad entry {entry:?}"));
                };
                out.push(Pair { src: player as u64, dst: clue, cost: None, rank: Some(k) });
            }
            found += 1;
        }
        for i in (1..out.len()).rev() {
            out.swap(i, rng.range(0, i as u64) as usize);
        }
        Ok(out)
    }

    /// Uniform random pairs of node ids 1..=nodes (the DIMACS ids).
    pub fn random_pairs(&self, seed: u64, count: usize) -> Vec<Pair> {
        let mut rng = XorShift::new(seed);
        (0..count)
            .map(|_| Pair {
                src: rng.range(1, self.info.nodes),
                dst: rng.range(1, self.info.nodes),
                cost: None,
                rank: None,
            })
            .collect()
    }

    /// Far pairs: the costs of `side`×`side` random sources and targets from one HUNT.MATRIX, and
    /// the pairs at or above the `percentile`-th cost (with that cost, to check replies against).
    pub fn far_pairs(&mut self, seed: u64, side: usize, percentile_at: f64) -> Result<(Vec<Pair>, u64), String> {
        let mut rng = XorShift::new(seed);
        let sources: Vec<u64> = (0..side).map(|_| rng.range(1, self.info.nodes)).collect();
        let targets: Vec<u64> = (0..side).map(|_| rng.range(1, self.info.nodes)).collect();
        let reply: Value = redis::cmd("HUNT.MATRIX")
            .arg(&self.map)
            .arg("FROM")
            .arg(side)
            .arg(&sources)
            .arg("TO")
            .arg(side)
            .arg(&targets)
            .query(&mut self.con)
            .map_err(|e| format!("HUNT.MATRIX: {e}"))?;
        let f = fields(&reply);
        let Some(Value::Array(rows)) = f.get("costs") else {
            return Err(format!("HUNT.MATRIX: unexpected reply {reply:?}"));
        };
        let mut cells = Vec::new();
        for (s, row) in sources.iter().zip(rows) {
            let Value::Array(row) = row else { return Err(format!("HUNT.MATRIX row {row:?}")) };
            for (t, cost) in targets.iter().zip(row) {
                if let Some(c) = value_int(cost)
                    && s != t
                {
                    cells.push((*s, *t, c as u64));
                }
            }
        }
        let mut costs: Vec<u64> = cells.iter().map(|c| c.2).collect();
        costs.sort_unstable();
        let cut = percentile(&costs, percentile_at).ok_or("HUNT.MATRIX: no reachable pair")?;
        let pairs =
            cells.into_iter().filter(|c| c.2 >= cut).map(|(src, dst, c)| Pair { src, dst, cost: Some(c), rank: None });
        Ok((pairs.collect(), cut))
    }

    /// How many nodes lie within `cost` of `src` (what a one-way Dijkstra to a target at that cost
    /// settles, give or take ties).
    pub fn nodes_within(&mut self, src: u64, cost: u64) -> Result<usize, String> {
        let reply: Value = redis::cmd("HUNT.REACH")
            .arg(&self.map)
            .arg(src)
            .arg(cost)
            .query(&mut self.con)
            .map_err(|e| format!("HUNT.REACH: {e}"))?;
        match fields(&reply).get("nodes") {
            Some(Value::Array(nodes)) => Ok(nodes.len()),
            _ => Err(format!("HUNT.REACH: unexpected reply {reply:?}")),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Pair {
    pub src: u64,
    pub dst: u64,
    /// The cost every reply must have, when known beforehand.
    pub cost: Option<u64>,
    /// For local pairs: the rank of `dst` in the REACH order from `src`; for clue pairs, of
    /// `src` (the player) in the REACH order from `dst` (the clue).
    pub rank: Option<u64>,
}

const UNSET: u64 = u64::MAX;
const NULL_COST: u64 = u64::MAX - 1;

/// HUNT.PATH over a set of pairs, and what every reply must satisfy.
pub struct PathSet {
    pub pairs: Vec<Pair>,
    version: i64,
    edges: Arc<Edges>,
    /// Replies may carry a later version than `version` (the map is being touched).
    live: bool,
    /// The first cost seen for each pair (replies for one pair must agree).
    first_cost: Vec<AtomicU64>,
    /// Whether a reply for this pair was checked edge by edge.
    walked: Vec<AtomicBool>,
}

impl PathSet {
    pub fn new(pairs: Vec<Pair>, version: i64, edges: Arc<Edges>) -> PathSet {
        let n = pairs.len();
        PathSet {
            pairs,
            version,
            edges,
            live: false,
            first_cost: (0..n).map(|_| AtomicU64::new(UNSET)).collect(),
            walked: (0..n).map(|_| AtomicBool::new(false)).collect(),
        }
    }

    /// For a map that changes during the run without changing any cost: a reply may carry any
    /// version from `version` on.
    pub fn live(mut self) -> PathSet {
        self.live = true;
        self
    }

    /// Checks a reply: a RESP2 `cost`/`path`/`version` array, the path from src to dst, the cost
    /// equal to the known one (or to earlier replies for the pair), the version the map's; the
    /// first reply for each pair also edge by edge (every hop an edge of the map file, weights
    /// adding up to the cost). Ok(false) for a null reply (no path).
    fn check(&self, idx: usize, frame: &Frame) -> Result<bool, String> {
        let pair = &self.pairs[idx];
        let versions = if self.live { self.version..=i64::MAX } else { self.version..=self.version };
        let Some((cost, path)) = path_reply(frame, pair.src, pair.dst, versions)? else {
            if pair.cost.is_some() {
                return Err(format!("null reply for {} -> {}, which is reachable", pair.src, pair.dst));
            }
            self.agree(idx, NULL_COST)?;
            return Ok(false);
        };
        if let Some(expected) = pair.cost
            && cost != expected
        {
            return Err(format!("{} -> {}: cost {cost}, expected {expected}", pair.src, pair.dst));
        }
        self.agree(idx, cost)?;
        if !self.walked[idx].swap(true, Ordering::Relaxed) {
            let mut sum = 0u64;
            for hop in path.windows(2) {
                let [Frame::Integer(a), Frame::Integer(b)] = hop else { return Err("non-integer node in path".into()) };
                let Some(w) = self.edges.weight(*a, *b) else {
                    return Err(format!("{} -> {}: the path uses {a} -> {b}, not an edge", pair.src, pair.dst));
                };
                sum += u64::from(w);
            }
            if sum != cost {
                return Err(format!(
                    "{} -> {}: the path's edges add up to {sum}, the reply says {cost}",
                    pair.src, pair.dst
                ));
            }
        }
        Ok(true)
    }

    fn agree(&self, idx: usize, cost: u64) -> Result<(), String> {
        match self.first_cost[idx].compare_exchange(UNSET, cost, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => Ok(()),
            Err(seen) if seen == cost => Ok(()),
            Err(seen) => {
                let show = |c: u64| if c == NULL_COST { "null".to_string() } else { c.to_string() };
                let pair = &self.pairs[idx];
                Err(format!("{} -> {}: cost {} now, {} before", pair.src, pair.dst, show(cost), show(seen)))
            }
        }
    }
}

/// A RESP2 `HUNT.PATH` reply taken apart and checked to be the map's (a version in
/// `versions`) and to run from `src` to `dst`: its cost and path, or `None` for a null reply
/// (no path).
pub fn path_reply<'f>(
    frame: &'f Frame<'f>,
    src: u64,
    dst: u64,
    versions: std::ops::RangeInclusive<i64>,
) -> Result<Option<(u64, &'f [Frame<'f>])>, String> {
    let items = match frame {
        Frame::Array(Some(items)) => items,
        Frame::Array(None) | Frame::Bulk(None) => return Ok(None),
        Frame::Error(e) => return Err(String::from_utf8_lossy(e).into_owned()),
        other => return Err(format!("unexpected reply {other:?}")),
    };
    let [
        Frame::Bulk(Some(b"cost")),
        Frame::Integer(cost),
        Frame::Bulk(Some(b"path")),
        Frame::Array(Some(path)),
        Frame::Bulk(Some(b"version")),
        Frame::Integer(got),
    ] = &items[..]
    else {
        return Err(format!("not a path reply: {}", short(&format!("{items:?}"))));
    };
    if !versions.contains(got) {
        return Err(if versions.start() == versions.end() {
            format!("version {got}, the map is at {}", versions.start())
        } else {
            format!("version {got}, the map was at {} before the phase", versions.start())
        });
    }
    let (Some(Frame::Integer(first)), Some(Frame::Integer(last))) = (path.first(), path.last()) else {
        return Err("empty or non-integer path".into());
    };
    if *first != src as i64 || *last != dst as i64 {
        return Err(format!("path {first}..{last} for pair {src} -> {dst}"));
    }
    let cost = u64::try_from(*cost).map_err(|_| format!("negative cost {cost}"))?;
    Ok(Some((cost, path)))
}

fn short(s: &str) -> String {
    match s.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// What a phase sends, cycled in order over all connections, and how replies are checked.
pub struct Workload {
    pub commands: Vec<Vec<u8>>,
    pub check: Check,
}

pub enum Check {
    Pong,
    Bulk(Vec<u8>),
    Path(Arc<PathSet>),
    /// A HUNT.CLUE reply: an array holding the payload.
    Clue(Vec<u8>),
}

pub fn path_workload(map: &str, set: Arc<PathSet>, algo: Option<&str>) -> Workload {
    let commands = set
        .pairs
        .iter()
        .map(|p| {
            let (src, dst) = (p.src.to_string(), p.dst.to_string());
            let mut args: Vec<&[u8]> = vec![b"HUNT.PATH", map.as_bytes(), src.as_bytes(), dst.as_bytes()];
            if let Some(algo) = algo {
                args.extend([b"ALGO".as_slice(), algo.as_bytes()]);
            }
            resp::command(&args)
        })
        .collect();
    Workload { commands, check: Check::Path(set) }
}

/// Outcome of one reply: Ok(true) a valid answer, Ok(false) a valid null, Err a bad one.
pub fn check_reply(check: &Check, idx: usize, frame: &Frame) -> Result<bool, String> {
    match (check, frame) {
        (Check::Pong, Frame::Simple(b"PONG")) => Ok(true),
        (Check::Bulk(want), Frame::Bulk(Some(got))) if got == want => Ok(true),
        (Check::Path(set), frame) => set.check(idx, frame),
        (Check::Clue(payload), Frame::Array(Some(items)))
            if items.iter().any(|i| matches!(i, Frame::Bulk(Some(p)) if p == payload)) =>
        {
            Ok(true)
        }
        (_, Frame::Error(e)) => Err(String::from_utf8_lossy(e).into_owned()),
        (_, other) => Err(format!("unexpected reply {}", short(&format!("{other:?}")))),
    }
}

/// One closed-loop phase's result.
pub struct PhaseResult {
    pub completed: u64,
    pub ok: u64,
    pub nulls: u64,
    pub errors: u64,
    /// Distinct error messages and how often each came.
    pub error_kinds: Vec<(String, u64)>,
    /// Connection-level failures (connect, I/O, timeouts).
    pub failures: Vec<String>,
    /// First request sent to last reply read, s.
    pub seconds: f64,
    /// Every request's latency, sorted, ns.
    pub latencies: Vec<u64>,
    pub usage: Usage,
    /// INFO commandstats over the phase: calls, usec.
    pub cmdstat: (u64, u64),
    pub capped: bool,
    /// (sent, replied) of every request, s since the phase started, in reply order.
    pub timeline: Vec<(f32, f32)>,
    /// The server's main thread and hunt-worker threads, % of one core over the phase.
    pub threads: Option<(f64, f64)>,
}

impl PhaseResult {
    pub fn rps(&self) -> f64 {
        self.completed as f64 / self.seconds.max(1e-9)
    }

    pub fn p(&self, p: f64) -> Option<u64> {
        percentile(&self.latencies, p)
    }

    /// CPU the server's main thread used per completed request, µs.
    pub fn main_cpu_per_request(&self) -> Option<f64> {
        if self.usage.seconds < MIN_CPU_WINDOW {
            return None;
        }
        let (main, _) = self.threads?;
        (self.completed > 0).then(|| main / 100.0 * self.seconds * 1e6 / self.completed as f64)
    }

    pub fn usec_per_call(&self) -> Option<f64> {
        (self.cmdstat.0 > 0).then(|| self.cmdstat.1 as f64 / self.cmdstat.0 as f64)
    }
}

#[derive(Default)]
struct ConnStats {
    latencies: Vec<u64>,
    ok: u64,
    nulls: u64,
    errors: Vec<(String, u64)>,
    failure: Option<String>,
    last_reply: Option<Instant>,
    /// (sent, replied) per request, s since the phase started.
    timeline: Vec<(f32, f32)>,
}

impl ConnStats {
    fn error(&mut self, e: String) {
        if let Some((_, n)) = self.errors.iter_mut().find(|(k, _)| *k == e) {
            *n += 1;
        } else if self.errors.len() < 20 {
            self.errors.push((e, 1));
        } else {
            let more = "(other errors)";
            match self.errors.iter_mut().find(|(k, _)| k == more) {
                Some((_, n)) => *n += 1,
                None => self.errors.push((more.into(), 1)),
            }
        }
    }
}

/// How long a connection waits for one reply before it gives up.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

async fn connect(addr: SocketAddr) -> Result<TcpStream, String> {
    let stream = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr))
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(stream)
}

async fn closed_loop(
    mut stream: TcpStream,
    work: Arc<Workload>,
    next: Arc<AtomicU64>,
    cap: u64,
    start: Instant,
    deadline: Instant,
) -> ConnStats {
    let mut stats = ConnStats { latencies: Vec::with_capacity(1 << 16), ..ConnStats::default() };
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    let n = work.commands.len() as u64;
    loop {
        if Instant::now() >= deadline {
            break;
        }
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= cap {
            break;
        }
        let idx = (i % n) as usize;
        let sent = Instant::now();
        if let Err(e) = stream.write_all(&work.commands[idx]).await {
            stats.failure = Some(format!("write: {e}"));
            break;
        }
        let outcome = loop {
            match resp::parse(&buf) {
                Ok(Some((frame, used))) => {
                    let now = Instant::now();
                    stats.latencies.push(now.duration_since(sent).as_nanos() as u64);
                    stats.last_reply = Some(now);
                    stats
                        .timeline
                        .push((sent.duration_since(start).as_secs_f32(), now.duration_since(start).as_secs_f32()));
                    let r = check_reply(&work.check, idx, &frame);
                    buf.drain(..used);
                    break Ok(r);
                }
                Ok(None) => {}
                Err(e) => break Err(format!("RESP: {e}")),
            }
            if buf.capacity() - buf.len() < 16384 {
                buf.reserve(buf.capacity().max(65536));
            }
            match tokio::time::timeout(REPLY_TIMEOUT, stream.read_buf(&mut buf)).await {
                Err(_) => break Err(format!("no reply within {} s", REPLY_TIMEOUT.as_secs())),
                Ok(Err(e)) => break Err(format!("read: {e}")),
                Ok(Ok(0)) => break Err("the server closed the connection".into()),
                Ok(Ok(_)) => {}
            }
        };
        match outcome {
            Ok(Ok(true)) => stats.ok += 1,
            Ok(Ok(false)) => stats.nulls += 1,
            Ok(Err(e)) => stats.error(e),
            Err(e) => {
                stats.failure = Some(e);
                break;
            }
        }
    }
    stats
}

/// Runs `connections` closed loops (each one request at a time) for `duration` or until `cap`
/// requests were sent in all, and measures the server's and the machine's CPU meanwhile.
/// `during` runs on this thread once every connection is up and the clock has started (the
/// stall probe); the load keeps going until the deadline whatever it does.
pub fn run_phase<R>(
    env: &mut Env,
    work: Arc<Workload>,
    connections: usize,
    duration: Duration,
    cap: Option<u64>,
    cmdstat_name: &str,
    during: impl FnOnce() -> R,
) -> Result<(PhaseResult, R), String> {
    let addr = env.addr;
    let streams: Vec<TcpStream> = env.runtime.block_on(async {
        let mut out = Vec::with_capacity(connections);
        for _ in 0..connections {
            out.push(connect(addr).await?);
        }
        Ok::<_, String>(out)
    })?;
    let before_stat = env.cmdstat(cmdstat_name);
    let cap_n = cap.unwrap_or(u64::MAX);
    let next = Arc::new(AtomicU64::new(0));
    let threads_before = env.server_pid.map(thread_ticks).unwrap_or_default();
    let before = Snapshot::take(env.server_pid);
    let start = Instant::now();
    let deadline = start + duration;
    let handles: Vec<_> = streams
        .into_iter()
        .map(|s| env.runtime.spawn(closed_loop(s, work.clone(), next.clone(), cap_n, start, deadline)))
        .collect();
    let extra = during();
    let joined = env.runtime.block_on(async {
        let mut all = Vec::with_capacity(handles.len());
        for h in handles {
            match tokio::time::timeout(duration + REPLY_TIMEOUT + Duration::from_secs(5), h).await {
                Ok(Ok(s)) => all.push(s),
                Ok(Err(e)) => return Err(format!("a load connection failed: {e}")),
                Err(_) => return Err("a load connection did not stop".to_string()),
            }
        }
        Ok(all)
    })?;
    let end = joined.iter().filter_map(|s| s.last_reply).max().unwrap_or(start);
    let usage = Snapshot::take(env.server_pid).usage_since(&before);
    let threads = env.server_pid.map(|pid| thread_usage(pid, &threads_before, &thread_ticks(pid), usage.seconds));
    let after_stat = env.cmdstat(cmdstat_name);
    let mut result = PhaseResult {
        completed: 0,
        ok: 0,
        nulls: 0,
        errors: 0,
        error_kinds: Vec::new(),
        failures: Vec::new(),
        seconds: end.duration_since(start).as_secs_f64(),
        latencies: Vec::new(),
        usage,
        cmdstat: (after_stat.0.saturating_sub(before_stat.0), after_stat.1.saturating_sub(before_stat.1)),
        capped: next.load(Ordering::Relaxed) >= cap_n,
        timeline: Vec::new(),
        threads,
    };
    for s in joined {
        result.ok += s.ok;
        result.nulls += s.nulls;
        for (e, n) in s.errors {
            result.errors += n;
            match result.error_kinds.iter_mut().find(|(k, _)| *k == e) {
                Some((_, m)) => *m += n,
                None => result.error_kinds.push((e, n)),
            }
        }
        if let Some(f) = s.failure {
            result.failures.push(f);
        }
        result.latencies.extend(s.latencies);
        result.timeline.extend(s.timeline);
    }
    result.completed = result.latencies.len() as u64;
    result.latencies.sort_unstable();
    result.timeline.sort_unstable_by(|a, b| a.1.total_cmp(&b.1));
    if std::env::var_os("HUNT_BENCH_DEBUG").is_some() {
        let shown: Vec<String> = result.timeline.iter().take(400).map(|(s, r)| format!("{s:.3}->{r:.3}")).collect();
        progress(format!("timeline: {}", shown.join(" ")));
    }
    Ok((result, extra))
}

/// CPU readings come in clock ticks (10 ms): shorter windows are not reported.
const MIN_CPU_WINDOW: f64 = 1.0;

/// Milliseconds with 3 decimals.
pub fn ms3(ns: Option<u64>) -> String {
    ns.map_or("–".into(), |ns| format!("{:.3}", ns as f64 / 1e6))
}

pub fn rate(rps: f64) -> String {
    thousands(rps.round() as u64)
}

/// "whole machine / server / this tool" CPU, each % of one core.
pub fn cpu_cell(u: &Usage) -> (String, String, String) {
    let short = u.seconds < MIN_CPU_WINDOW;
    let p = |v: Option<f64>| match v {
        Some(v) if !short => format!("{v:.0} %"),
        _ => "n/a".into(),
    };
    (p(u.server), p(u.me), p(u.machine))
}

/// The server's CPU, with the main thread's and the workers' shares when known.
pub fn server_cpu(usage: &Usage, threads: Option<(f64, f64)>) -> String {
    if usage.seconds < MIN_CPU_WINDOW {
        return "n/a (< 1 s)".into();
    }
    match (usage.server, threads) {
        (Some(all), Some((main, workers))) => format!("{all:.0} % (main {main:.0}, workers {workers:.0})"),
        (Some(all), None) => format!("{all:.0} %"),
        _ => "n/a".into(),
    }
}

/// The Markdown row cells every phase table shares: completed, errors, req/s, p50, p99, p99.9,
/// max, server CPU, tool CPU, machine CPU, server µs per call.
pub fn phase_cells(r: &PhaseResult) -> String {
    let (_, me, machine) = cpu_cell(&r.usage);
    format!(
        "{} | {} | **{}** | {} | {} | {} | {} | {} | {} | {} | {} | {}",
        thousands(r.completed),
        thousands(r.errors + r.failures.len() as u64),
        rate(r.rps()),
        ms3(r.p(50.0)),
        ms3(r.p(99.0)),
        ms3(r.p(99.9)),
        ms3(r.latencies.last().copied()),
        server_cpu(&r.usage, r.threads),
        me,
        machine,
        r.usec_per_call().map_or("–".into(), |u| format!("{u:.1}")),
        r.main_cpu_per_request().map_or("–".into(), |u| format!("{u:.1}")),
    )
}

pub const PHASE_HEADER: &str = "| requests | errors | req/s | p50 ms | p99 ms | p99.9 ms | max ms | redis-server CPU (main thread, hunt workers) | hunt-bench CPU | machine CPU | server µs/call | main-thread CPU µs/req |";

/// Lines listing the errors of a phase (empty when there were none).
pub fn error_lines(name: &str, r: &PhaseResult) -> String {
    let mut out = String::new();
    for (e, n) in &r.error_kinds {
        out += &format!("* {name}: {n} × `{}`\n", e.replace('`', "'"));
    }
    for f in &r.failures {
        out += &format!("* {name}: a connection stopped: `{}`\n", f.replace('`', "'"));
    }
    out
}

/// The command line this process was started with.
pub fn invocation() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xorshift_is_deterministic_and_in_range() {
        let mut a = XorShift::new(7);
        let mut b = XorShift::new(7);
        for _ in 0..1000 {
            let x = a.range(1, 264_346);
            assert_eq!(x, b.range(1, 264_346));
            assert!((1..=264_346).contains(&x));
        }
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(SystemTime::UNIX_EPOCH), "1970-01-01 00:00:00 UTC");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_322_985);
        assert_eq!(utc(t), "2026-12-03 18:36:25 UTC");
    }

    #[test]
    fn path_replies_are_checked() {
        let mut edges = HashMap::new();
        edges.insert(1u64 << 32 | 2, 5u32);
        edges.insert(2u64 << 32 | 3, 7u32);
        let set = PathSet::new(
            vec![Pair { src: 1, dst: 3, cost: Some(12), rank: None }, Pair { src: 3, dst: 1, cost: None, rank: None }],
            9,
            Arc::new(Edges(edges)),
        );
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
        assert_eq!(set.check(0, &reply(12, &[1, 2, 3], 9)), Ok(true));
        assert!(set.check(0, &reply(11, &[1, 2, 3], 9)).is_err());
        assert!(set.check(0, &reply(12, &[1, 2, 3], 8)).is_err());
        assert!(set.check(0, &reply(12, &[1, 3], 9)).is_ok(), "walked once per pair only");
        assert!(set.check(0, &Frame::Bulk(None)).is_err());
        assert_eq!(set.check(1, &Frame::Bulk(None)), Ok(false));
        assert!(set.check(1, &reply(3, &[3, 1], 9)).is_err(), "was null before");
        assert!(set.check(1, &Frame::Error(b"ERR x")).is_err());
        let fresh = PathSet::new(vec![Pair { src: 1, dst: 3, cost: None, rank: None }], 9, set.edges.clone());
        assert!(fresh.check(0, &reply(12, &[1, 3], 9)).is_err(), "1 -> 3 is not an edge");
    }
}
