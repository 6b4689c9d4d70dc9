//! `hunt-bench path`: N closed-loop connections drive PING, GET, then HUNT.PATH over local and
//! random pairs on a road map, and players walking to a few clues, each phase for a fixed time
//! (or request count); throughput and p50 / p99 / p99.9 latency per phase, every HUNT.PATH reply
//! checked, and the ratio of local HUNT.PATH to PING throughput measured in the same run. A
//! redis-benchmark cross-check follows.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::benchmark::{self, Bench};
use crate::cpu;
use crate::load::{
    self, Check, Env, PHASE_HEADER, PathSet, PhaseResult, ServerArgs, Workload, error_lines, ms3, phase_cells,
};
use crate::push::{percentile, progress, raise_open_files, thousands};
use crate::resp;

#[derive(clap::Args, Debug, Clone)]
pub struct PathArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Concurrent connections, each with one request in flight (closed loop)
    #[arg(long, default_value_t = 50)]
    connections: usize,
    /// Length of each phase
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Stop a phase after this many requests (in all connections), if that comes first
    #[arg(long)]
    requests: Option<u64>,
    /// CONFIG SET hunt.workers to this before the run (default: leave the module's setting)
    #[arg(long)]
    workers: Option<u32>,
    /// Clue nodes of the clue phase: players near them ask the way to them (0 skips the phase)
    #[arg(long, default_value_t = 16)]
    clues: usize,
    /// During the clue phase, change the map every this many ms (HUNT.SETWEIGHTS), as on a live
    /// map: the weight of an edge into a dead end is raised by 1, then restored, in turn. A raise
    /// keeps the shortest-path trees (the edge is not a step of any), a restore (a decrease)
    /// drops them all. No cost between the pairs' nodes changes, so replies are still checked
    /// (any version from the phase's start on)
    #[arg(long)]
    touch_ms: Option<u64>,
    /// Distinct pairs in each query set (cycled)
    #[arg(long, default_value_t = 1000)]
    pairs: usize,
    /// Size of the GET value
    #[arg(long, default_value_t = 64)]
    value_bytes: usize,
    /// Requests per redis-benchmark run of PING and GET (a fifth of it for HUNT.PATH); 0 skips
    #[arg(long, default_value_t = 100_000)]
    bench_requests: u64,
    /// The redis-benchmark to run
    #[arg(long, default_value = "redis-benchmark")]
    redis_benchmark: PathBuf,
}

pub fn main(args: PathArgs) -> ExitCode {
    if args.connections == 0 || args.seconds == 0 || args.pairs == 0 || args.requests == Some(0) {
        eprintln!("hunt-bench path: --connections, --seconds, --pairs and --requests must be positive");
        return ExitCode::from(64);
    }
    raise_open_files(args.connections as u64 + 256);
    load::watchdog("path", Duration::from_secs(4 * args.seconds + 420));
    load::finish("path", run(&args), "some replies were errors or invalid")
}

struct Phase {
    name: &'static str,
    command: String,
    result: PhaseResult,
    /// Answers walked from shortest-path trees, and trees built, during the phase.
    tree_answers: u64,
    trees_built: u64,
    /// Map changes made during the phase (`--touch-ms`), and the edge rewritten.
    touches: Option<(u64, (u64, u64, u32))>,
}

/// `--touch-ms`: one edge's weight raised by 1 and restored in turn, every `every` ms.
struct Touch {
    url: String,
    map: String,
    edge: (u64, u64, u32),
    every: u64,
    duration: Duration,
}

impl Touch {
    /// Runs for the phase on its own connection; the number of changes made, and the edge.
    fn run(self) -> Result<(u64, (u64, u64, u32)), String> {
        let mut con = redis::Client::open(self.url.as_str())
            .and_then(|c| c.get_connection())
            .map_err(|e| format!("touch connection: {e}"))?;
        let (a, b, w) = self.edge;
        let mut set = |weight: u32| -> Result<(), String> {
            let _: i64 = redis::cmd("HUNT.SETWEIGHTS")
                .arg(&self.map)
                .arg(a)
                .arg(b)
                .arg(weight)
                .query(&mut con)
                .map_err(|e| format!("HUNT.SETWEIGHTS: {e}"))?;
            Ok(())
        };
        let end = Instant::now() + self.duration;
        let mut made = 0;
        while Instant::now() < end {
            set(if made % 2 == 0 { w + 1 } else { w })?;
            made += 1;
            std::thread::sleep(Duration::from_millis(self.every));
        }
        // Leave the map as the run found it.
        if made % 2 == 1 {
            set(w)?;
        }
        Ok((made, self.edge))
    }
}

fn run(args: &PathArgs) -> Result<(String, bool), String> {
    let wall = Instant::now();
    let started_at = SystemTime::now();
    let mut env = Env::start(&args.server, (args.connections + 128).max(1000))?;
    if let Some(w) = args.workers {
        env.set_workers(w)?;
    }
    let workers = load::config_get(&mut env.con, "hunt.workers");
    let inline_budget = load::config_get(&mut env.con, "hunt.inline-budget");
    let get_key = "hunt-bench:get";
    let value = vec![b'v'; args.value_bytes];
    let _: () = redis::cmd("SET").arg(get_key).arg(&value).query(&mut env.con).map_err(|e| e.to_string())?;

    progress(format!("{} local pairs (HUNT.REACH from random sources)", args.pairs));
    let seed = args.server.seed;
    let t = Instant::now();
    let local = env.local_pairs(seed, args.pairs, 1000, 4000)?;
    let local_setup = t.elapsed().as_secs_f64();
    let random = env.random_pairs(seed ^ 0x9e37_79b9_7f4a_7c15, args.pairs);
    let local_set = Arc::new(PathSet::new(local, env.info.version, env.edges.clone()));
    let random_set = Arc::new(PathSet::new(random, env.info.version, env.edges.clone()));
    let clue_set = if args.clues > 0 {
        progress(format!("{} clue pairs around {} clues (HUNT.REACH from each clue)", args.pairs, args.clues));
        let clue = env.clue_pairs(seed ^ 0x51ed_270b_2715_1d6b, args.clues, args.pairs, 1000, 4000)?;
        let set = PathSet::new(clue, env.info.version, env.edges.clone());
        Some(Arc::new(if args.touch_ms.is_some() { set.live() } else { set }))
    } else {
        None
    };

    let duration = Duration::from_secs(args.seconds);
    let map = env.map.clone();
    let mut plans: Vec<(&'static str, String, Arc<Workload>, &str)> = vec![
        (
            "PING",
            "PING".into(),
            Arc::new(Workload { commands: vec![resp::command(&[b"PING"])], check: Check::Pong }),
            "ping",
        ),
        (
            "GET",
            format!("GET {get_key} ({} bytes)", args.value_bytes),
            Arc::new(Workload {
                commands: vec![resp::command(&[b"GET", get_key.as_bytes()])],
                check: Check::Bulk(value.clone()),
            }),
            "get",
        ),
        (
            "HUNT.PATH local",
            format!("HUNT.PATH {map} <src> <k-th node from src, k in 1000..=4000>"),
            Arc::new(load::path_workload(&map, local_set.clone(), None)),
            "hunt.path",
        ),
        (
            "HUNT.PATH random",
            format!("HUNT.PATH {map} <random src> <random dst>"),
            Arc::new(load::path_workload(&map, random_set.clone(), None)),
            "hunt.path",
        ),
    ];
    if let Some(set) = &clue_set {
        plans.push((
            "HUNT.PATH to clues",
            format!("HUNT.PATH {map} <player> <clue>, players at the k-th node from their clue, k in 1000..=4000"),
            Arc::new(load::path_workload(&map, set.clone(), None)),
            "hunt.path",
        ));
    }
    let mut phases = Vec::new();
    for (name, command, work, stat) in plans {
        progress(format!("{name}: {} connections, {} s", args.connections, args.seconds));
        let trees_before = (env.hunt_counter("path_tree_answers"), env.hunt_counter("path_trees_built"));
        let touch = match (args.touch_ms, name) {
            (Some(every), "HUNT.PATH to clues") => {
                let ends: Vec<u64> =
                    clue_set.iter().flat_map(|s| s.pairs.iter().flat_map(|p| [p.src, p.dst])).collect();
                let edge = env.edges.dead_end_arc(&ends).ok_or("no edge into a dead end to change")?;
                Some(Touch { url: format!("redis://{}/", env.addr), map: map.clone(), edge, every, duration })
            }
            _ => None,
        };
        let (result, touches) =
            load::run_phase(&mut env, work, args.connections, duration, args.requests, stat, || {
                touch.map(|t| t.run())
            })?;
        let touches = touches.transpose()?;
        let tree_answers = env.hunt_counter("path_tree_answers") - trees_before.0;
        let trees_built = env.hunt_counter("path_trees_built") - trees_before.1;
        progress(format!(
            "{name}: {} requests, {:.0} req/s, p50 {} ms, p99 {} ms, {} errors",
            result.completed,
            result.rps(),
            ms3(result.p(50.0)),
            ms3(result.p(99.0)),
            result.errors + result.failures.len() as u64
        ));
        phases.push(Phase { name, command, result, tree_answers, trees_built, touches });
    }

    // Cross-check with redis-benchmark (a C client) on the same server.
    let mut bench_rows: Vec<(String, String, Bench)> = Vec::new();
    if args.bench_requests > 0 {
        let first = local_set.pairs[0];
        let (src, dst) = (first.src.to_string(), first.dst.to_string());
        let target = benchmark::Target {
            exe: &args.redis_benchmark,
            host: "127.0.0.1",
            port: env.port,
            user: None,
            password: None,
        };
        let runs: Vec<(String, u64, Vec<&[u8]>)> = vec![
            ("PING".into(), args.bench_requests, vec![b"PING"]),
            ("GET".into(), args.bench_requests, vec![b"GET", get_key.as_bytes()]),
            (
                format!("HUNT.PATH, one local pair (rank {})", first.rank.unwrap_or(0)),
                (args.bench_requests / 5).max(1),
                vec![b"HUNT.PATH", map.as_bytes(), src.as_bytes(), dst.as_bytes()],
            ),
        ];
        for (name, n, cmd) in runs {
            let line = benchmark::command_line(&target, n, args.connections as u32, None, &cmd);
            progress(&line);
            let result = env.runtime.block_on(benchmark::run(
                &target,
                n,
                args.connections as u32,
                None,
                &cmd,
                Duration::from_secs(120),
            ));
            match result {
                Ok(bench) => bench_rows.push((name, line, bench)),
                Err(e) => progress(format!("redis-benchmark: {e}")),
            }
        }
    }
    let final_info = load::map_info(&mut env.con, &map)?;
    let _: i64 = redis::cmd("DEL").arg(get_key).query(&mut env.con).map_err(|e| e.to_string())?;

    let clean = phases.iter().all(|p| p.result.errors == 0 && p.result.failures.is_empty());
    let markdown = render(&Render {
        args,
        env: &env,
        started_at,
        workers: &workers,
        inline_budget: &inline_budget,
        local_set: &local_set,
        random_set: &random_set,
        clue_set: clue_set.as_deref(),
        local_setup,
        phases: &phases,
        bench_rows: &bench_rows,
        final_version: final_info.version,
        wall: wall.elapsed().as_secs_f64(),
    });
    Ok((markdown, clean))
}

struct Render<'a> {
    args: &'a PathArgs,
    env: &'a Env,
    started_at: SystemTime,
    workers: &'a str,
    inline_budget: &'a str,
    local_set: &'a PathSet,
    random_set: &'a PathSet,
    clue_set: Option<&'a PathSet>,
    local_setup: f64,
    phases: &'a [Phase],
    bench_rows: &'a [(String, String, Bench)],
    final_version: i64,
    wall: f64,
}

fn render(r: &Render) -> String {
    use std::fmt::Write;
    let (a, env) = (r.args, r.env);
    let mut out = String::new();
    load::report_head(&mut out, "path", r.started_at);
    let _ = writeln!(
        out,
        "| server | Redis {} at 127.0.0.1:{}{} |",
        env.redis_version,
        env.port,
        if env.spawned.is_some() { " (spawned by the tool)" } else { "" }
    );
    if let Some((module, stamp)) = &env.module {
        let _ = writeln!(out, "| module | `{}` (built {stamp}) |", module.display());
    }
    match &env.load_line {
        Some(line) => {
            let _ = writeln!(out, "| map loaded with | `{line}` ({:.1} s) |", env.load_seconds);
        }
        None => {
            let _ = writeln!(out, "| map | key `{}` was already there |", env.map);
        }
    }
    if let Some(s) = env.landmark_seconds {
        let _ = writeln!(out, "| landmarks | HUNT.LANDMARKS {} {} ({s:.1} s) |", env.map, a.server.landmarks);
    }
    let i = &env.info;
    let _ = writeln!(
        out,
        "| HUNT.MAPINFO | {} nodes, {} edges, {} located, {} landmarks (valid {}), version {}, **AUTO = {}** |",
        thousands(i.nodes),
        thousands(i.edges),
        thousands(i.located.max(0) as u64),
        i.landmarks,
        i.landmarks_valid,
        i.version,
        i.algo
    );
    let _ = writeln!(out, "| hunt.workers / hunt.inline-budget | {} / {} |", r.workers, r.inline_budget);
    let _ = writeln!(
        out,
        "| load | {} connections, one request each in flight (closed loop), {} s per phase{}; raw RESP2 over TCP, tokio with {} thread{} |",
        a.connections,
        a.seconds,
        a.requests.map_or(String::new(), |n| format!(" or {} requests", thousands(n))),
        env.client_threads,
        if env.client_threads == 1 { "" } else { "s" }
    );
    let _ =
        writeln!(out, "| machine | {} cores, shared by redis-server, hunt-bench and other users' jobs |", cpu::cores());
    let local_costs = sorted(r.local_set.pairs.iter().filter_map(|p| p.cost));
    let ranks = sorted(r.local_set.pairs.iter().filter_map(|p| p.rank));
    let _ = writeln!(
        out,
        "| local pairs | {} (seed {:#x}): random source, target = the k-th node of `HUNT.REACH {} <src> {} LIMIT 4001` (k uniform in 1000..=4000, median k {}), costs {}–{} (median {}); built in {:.1} s |",
        r.local_set.pairs.len(),
        a.server.seed,
        env.map,
        i64::MAX,
        percentile(&ranks, 50.0).unwrap_or(0),
        local_costs.first().unwrap_or(&0),
        local_costs.last().unwrap_or(&0),
        percentile(&local_costs, 50.0).unwrap_or(0),
        r.local_setup
    );
    let _ = writeln!(
        out,
        "| random pairs | {} (seed {:#x} ^ 0x9e3779b97f4a7c15): source and target uniform in 1..={} |",
        r.random_set.pairs.len(),
        a.server.seed,
        env.info.nodes
    );
    if let Some(set) = r.clue_set {
        let clues = sorted(set.pairs.iter().map(|p| p.dst));
        let mut distinct = clues.clone();
        distinct.dedup();
        let _ = writeln!(
            out,
            "| clue pairs | {} (seed {:#x} ^ 0x51ed270b27151d6b) around {} clue nodes (random, each reaching 4,000 nodes): player = the k-th node of `HUNT.REACH {} <clue> {} LIMIT 4001` (k uniform in 1000..=4000), target = the clue; shuffled. Roads may be one-way, so the cost is checked against other replies, not against REACH |",
            set.pairs.len(),
            a.server.seed,
            distinct.len(),
            env.map,
            i64::MAX,
        );
    }

    let _ = writeln!(out, "\n### Throughput and latency, one phase after the other\n");
    let _ = writeln!(out, "| phase {}\n|---|---|---|---|---|---|---|---|---|---|---|---|---|", PHASE_HEADER);
    for p in r.phases {
        let _ = writeln!(out, "| {} | {} |", p.name, phase_cells(&p.result));
    }
    let ping = r.phases.iter().find(|p| p.name == "PING").map(|p| p.result.rps());
    let local = r.phases.iter().find(|p| p.name == "HUNT.PATH local").map(|p| p.result.rps());
    let ratio = |name: &str| -> String {
        match (ping, r.phases.iter().find(|p| p.name == name)) {
            (Some(ping), Some(p)) if ping > 0.0 => format!("{:.2}", p.result.rps() / ping),
            _ => "–".into(),
        }
    };
    let _ = writeln!(
        out,
        "\nRatios to PING throughput: GET {}, **HUNT.PATH local {}** (goal ≥ 0.50: {}), HUNT.PATH random {}, HUNT.PATH to clues {}.\n",
        ratio("GET"),
        ratio("HUNT.PATH local"),
        match (ping, local) {
            (Some(p), Some(l)) if p > 0.0 && l / p >= 0.5 => "met",
            (Some(_), Some(_)) => "**not met**",
            _ => "–",
        },
        ratio("HUNT.PATH random"),
        ratio("HUNT.PATH to clues")
    );
    let _ = writeln!(out, "Replies per phase:\n");
    for p in r.phases {
        let res = &p.result;
        let _ = writeln!(
            out,
            "* {}: `{}`; {} valid{}, {} errors{}{}{}{}",
            p.name,
            p.command,
            thousands(res.ok),
            if res.nulls > 0 { format!(", {} null (no path)", thousands(res.nulls)) } else { String::new() },
            thousands(res.errors),
            if res.failures.is_empty() {
                String::new()
            } else {
                format!(", {} connections failed", res.failures.len())
            },
            if res.capped { " (stopped by --requests)" } else { "" },
            match p.touches {
                Some((made, (a, b, w))) => format!(
                    "; the map changed {made} times during the phase (`HUNT.SETWEIGHTS {} {a} {b} {}` then `{w}` in turn, every {} ms: {b} is a dead end)",
                    r.env.map,
                    w + 1,
                    r.args.touch_ms.unwrap_or(0)
                ),
                None => String::new(),
            },
            if p.tree_answers + p.trees_built > 0 {
                format!(
                    "; {} answered from shortest-path trees, {} trees built (INFO hunt)",
                    thousands(p.tree_answers),
                    p.trees_built
                )
            } else {
                String::new()
            }
        );
    }
    let errors: String = r.phases.iter().map(|p| error_lines(p.name, &p.result)).collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "\nErrors:\n\n{errors}");
    }
    let _ = writeln!(
        out,
        "\nEvery HUNT.PATH reply was checked: a `cost`/`path`/`version` array, the path from the source to the \
         target, the version the map's ({}), the cost equal to HUNT.REACH's for local pairs and to every other \
         reply for the same pair (for every set); the first reply for each pair also hop by hop against the edges of `{}` \
         (each hop an edge, the weights adding up to the cost). The map's version after the run: {}.",
        env.info.version,
        a.server.gr.display(),
        r.final_version
    );
    let _ = writeln!(
        out,
        "\nCPU columns: % of one core over the phase (redis-server and hunt-bench from /proc/<pid>/stat, the \
         machine from /proc/stat, of {} %). `server µs/call` is INFO commandstats' usec/calls over the phase: \
         wall time on the main thread (stretched when the thread waits for a core), so for a search moved to a \
         worker it covers the inline attempt, not the search. `main-thread CPU µs/req`: the main thread's CPU \
         time over the phase (/proc/<pid>/task/<pid>/stat) divided by the requests completed.",
        cpu::cores() * 100
    );

    if !r.bench_rows.is_empty() {
        let _ = writeln!(out, "\n### Cross-check with redis-benchmark, same server, after the phases\n");
        let _ = writeln!(out, "| command | requests/s | p50 ms |\n|---|---|---|");
        for (name, _, b) in r.bench_rows {
            let _ = writeln!(
                out,
                "| {name} | {} | {} |",
                load::rate(b.rps),
                b.p50_ms.map_or("–".into(), |p| format!("{p:.3}"))
            );
        }
        let _ = writeln!(out, "\n```");
        for (_, line, _) in r.bench_rows {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "```");
    }
    let _ = writeln!(out, "\nWhole run {:.1} s.", r.wall);
    out
}

fn sorted(it: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut v: Vec<u64> = it.collect();
    v.sort_unstable();
    v
}
