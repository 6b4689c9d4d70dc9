//! `hunt-bench stall`: while N connections send far-pair `HUNT.PATH ... ALGO DIJKSTRA` nonstop
//! (each settling most of the map), one more client probes the main thread with PING and
//! HUNT.CLUE, one at a time with a short pause, and reports their latency: with offloading on
//! (hunt.workers 2) and off (hunt.workers 0), next to the probe on an idle server. Then HUNT.PATH
//! throughput for far and local pairs with 0 (inline), 1 and 2 workers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::cpu::{self, Snapshot, Usage};
use crate::load::{self, Check, Env, PathSet, PhaseResult, ServerArgs, error_lines, ms3};
use crate::push::{percentile, progress, raise_open_files, thousands};
use crate::resp;

#[derive(clap::Args, Debug, Clone)]
pub struct StallArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Connections sending far pairs nonstop (and the connections of the throughput table)
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Probe window of each stall configuration, and length of each throughput phase
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Pause of the probe between two requests, µs
    #[arg(long, default_value_t = 1000)]
    pause_us: u64,
    /// Far pairs are picked from one HUNT.MATRIX of this many random sources × targets ...
    #[arg(long, default_value_t = 32)]
    far_side: usize,
    /// ... keeping the pairs whose cost is at or above this percentile
    #[arg(long, default_value_t = 90.0)]
    far_percentile: f64,
    /// Local pairs for the throughput table (as in `path`: the k-th node from a random source)
    #[arg(long, default_value_t = 500)]
    local_pairs: usize,
    /// The workers setting of the "offloading on" configuration
    #[arg(long, default_value_t = 2)]
    workers_on: u32,
    /// Skip the throughput table
    #[arg(long)]
    no_throughput: bool,
    /// Experiment: after each CONFIG SET hunt.workers, renice the server's hunt-worker threads to
    /// this nice value (setpriority on each thread), so the main thread wins a contended core
    #[arg(long, allow_hyphen_values = true)]
    nice_workers: Option<i32>,
    /// Skip the extra stall configuration with one worker
    #[arg(long)]
    no_one_worker: bool,
}

const BOARD: &str = "hunt-bench:stall";
const CLUE: &str = "probe";
/// Time the far load runs before the probe starts.
const RAMP: Duration = Duration::from_millis(500);

pub fn main(args: StallArgs) -> ExitCode {
    if args.connections == 0 || args.seconds == 0 || args.far_side == 0 || args.local_pairs == 0 {
        eprintln!("hunt-bench stall: --connections, --seconds, --far-side and --local-pairs must be positive");
        return ExitCode::from(64);
    }
    raise_open_files(args.connections as u64 + 256);
    load::watchdog("stall", Duration::from_secs(10 * args.seconds + 420));
    load::finish("stall", run(&args), "some replies were errors or invalid")
}

/// The probe client's account: latencies (ns) of PING and of HUNT.CLUE.
#[derive(Default)]
struct Probe {
    ping: Vec<u64>,
    clue: Vec<u64>,
    errors: Vec<String>,
    seconds: f64,
    /// (s since the probe started, ms) of requests slower than 5 ms.
    slow: Vec<(f64, f64)>,
}

/// One request, its latency, and a check of its reply.
fn probe_one(stream: &mut TcpStream, buf: &mut Vec<u8>, cmd: &[u8], check: &Check) -> Result<u64, String> {
    buf.clear();
    let sent = Instant::now();
    stream.write_all(cmd).map_err(|e| format!("write: {e}"))?;
    loop {
        if let Some((frame, used)) = resp::parse(buf)? {
            let took = sent.elapsed().as_nanos() as u64;
            if used != buf.len() {
                return Err("more than one reply".into());
            }
            load::check_reply(check, 0, &frame)?;
            return Ok(took);
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// PING and HUNT.CLUE alternately, one at a time, `pause` between two requests, for `window`.
fn probe(addr: SocketAddr, window: Duration, pause: Duration, payload: &[u8]) -> Probe {
    let mut out = Probe::default();
    let mut stream = match TcpStream::connect_timeout(&addr, Duration::from_secs(10)) {
        Ok(s) => s,
        Err(e) => {
            out.errors.push(format!("connect: {e}"));
            return out;
        }
    };
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let ping = resp::command(&[b"PING"]);
    let clue = resp::command(&[b"HUNT.CLUE", BOARD.as_bytes(), CLUE.as_bytes()]);
    let (check_ping, check_clue) = (Check::Pong, Check::Clue(payload.to_vec()));
    let mut buf = Vec::with_capacity(4096);
    // One warm-up request each, not counted.
    for (cmd, check) in [(&ping, &check_ping), (&clue, &check_clue)] {
        if let Err(e) = probe_one(&mut stream, &mut buf, cmd, check) {
            out.errors.push(e);
            return out;
        }
    }
    let start = Instant::now();
    let deadline = start + window;
    let mut turn = 0u64;
    while Instant::now() < deadline {
        std::thread::sleep(pause);
        let (cmd, check, into) = if turn.is_multiple_of(2) {
            (&ping, &check_ping, &mut out.ping)
        } else {
            (&clue, &check_clue, &mut out.clue)
        };
        turn += 1;
        match probe_one(&mut stream, &mut buf, cmd, check) {
            Ok(ns) => {
                into.push(ns);
                if ns > 5_000_000 {
                    out.slow.push((start.elapsed().as_secs_f64(), ns as f64 / 1e6));
                }
            }
            Err(e) => {
                out.errors.push(e);
                // The stream may hold a stray reply now: stop rather than misattribute it.
                break;
            }
        }
    }
    out.seconds = start.elapsed().as_secs_f64();
    out.ping.sort_unstable();
    out.clue.sort_unstable();
    out
}

/// Latencies as an open-loop client sending every `interval` would have seen them: a reply
/// that took L also stands for the requests that would have been sent meanwhile, waiting
/// L - interval, L - 2 interval, ... (HdrHistogram's recordValueWithExpectedInterval). A
/// closed-loop probe records one sample per stall however long it lasts; this counts a stall
/// by its length.
fn corrected(sorted: &[u64], interval: u64) -> Vec<u64> {
    let mut out = Vec::with_capacity(sorted.len());
    for &l in sorted {
        out.push(l);
        if interval > 0 {
            let mut missing = l.saturating_sub(interval);
            while missing >= interval {
                out.push(missing);
                missing -= interval;
            }
        }
    }
    out.sort_unstable();
    out
}

struct StallRun {
    label: String,
    workers: u32,
    probe: Probe,
    load: Option<PhaseResult>,
    /// CPU over the probe window when there was no load.
    usage: Usage,
    threads: Option<(f64, f64)>,
}

struct ThroughputRow {
    workers: u32,
    pairs: &'static str,
    result: PhaseResult,
}

/// Sets hunt.workers and, with --nice-workers, renices the worker threads it started.
fn set_workers(env: &mut Env, workers: u32, nice: Option<i32>) -> Result<(), String> {
    env.set_workers(workers)?;
    if let (Some(nice), Some(pid)) = (nice, env.server_pid) {
        std::thread::sleep(Duration::from_millis(50));
        let mut reniced = 0;
        for (tid, name, _) in load::thread_ticks(pid) {
            if name.starts_with("hunt-worker") {
                let done = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice) };
                if done == 0 {
                    reniced += 1;
                } else {
                    progress(format!("setpriority({tid}, {nice}): {}", std::io::Error::last_os_error()));
                }
            }
        }
        progress(format!("hunt.workers {workers}: {reniced} worker threads at nice {nice}"));
    }
    Ok(())
}

fn run(args: &StallArgs) -> Result<(String, bool), String> {
    let wall = Instant::now();
    let started_at = SystemTime::now();
    let mut env = Env::start(&args.server, 1000)?;
    let workers_before = load::config_get(&mut env.con, "hunt.workers");
    let inline_budget = load::config_get(&mut env.con, "hunt.inline-budget");
    let map = env.map.clone();

    // The clue the probe reads.
    let payload = vec![b'c'; 64];
    let _: i64 = redis::cmd("HUNT.PUBLISH")
        .arg(BOARD)
        .arg(CLUE)
        .arg(&payload)
        .arg("AT")
        .arg(1)
        .query(&mut env.con)
        .map_err(|e| format!("HUNT.PUBLISH: {e}"))?;

    // Far pairs, from one matrix (run with workers on, so it does not stall setup).
    env.set_workers(args.workers_on.max(1))?;
    progress(format!("far pairs: HUNT.MATRIX {map} FROM {0} ... TO {0} ...", args.far_side));
    let t = Instant::now();
    let seed = args.server.seed;
    let (far, cut) = env.far_pairs(seed ^ 0xfa4, args.far_side, args.far_percentile)?;
    let matrix_seconds = t.elapsed().as_secs_f64();
    let mut within = Vec::new();
    for p in far.iter().take(3) {
        within.push(env.nodes_within(p.src, p.cost.unwrap_or(0))?);
    }
    progress(format!(
        "{} far pairs (cost ≥ {cut}); nodes within their cost of the source: {within:?} of {}",
        far.len(),
        env.info.nodes
    ));
    let far_costs = {
        let mut v: Vec<u64> = far.iter().filter_map(|p| p.cost).collect();
        v.sort_unstable();
        v
    };
    let far_set = Arc::new(PathSet::new(far, env.info.version, env.edges.clone()));
    progress(format!("{} local pairs", args.local_pairs));
    let local = env.local_pairs(seed, args.local_pairs, 1000, 4000)?;
    let local_set = Arc::new(PathSet::new(local, env.info.version, env.edges.clone()));
    let far_work = Arc::new(load::path_workload(&map, far_set.clone(), Some("DIJKSTRA")));
    let local_work = Arc::new(load::path_workload(&map, local_set.clone(), None));

    let window = Duration::from_secs(args.seconds);
    let pause = Duration::from_micros(args.pause_us);
    let addr = env.addr;

    // The stall configurations.
    let mut stalls = Vec::new();
    let mut configs: Vec<(String, u32, bool)> = vec![
        (format!("idle server (no load), hunt.workers {}", args.workers_on), args.workers_on, false),
        (format!("far load, hunt.workers {} (offloading on)", args.workers_on), args.workers_on, true),
        ("far load, hunt.workers 0 (all inline)".to_string(), 0, true),
    ];
    if args.workers_on != 1 && !args.no_one_worker {
        configs.push(("far load, hunt.workers 1 (offloading on, one worker)".to_string(), 1, true));
    }
    for (label, workers, with_load) in configs {
        set_workers(&mut env, workers, args.nice_workers)?;
        progress(format!("stall: {label}"));
        let payload = payload.clone();
        let run = if with_load {
            let (result, probe) = load::run_phase(
                &mut env,
                far_work.clone(),
                args.connections,
                RAMP + window,
                None,
                "hunt.path",
                || {
                    std::thread::sleep(RAMP);
                    let p = probe(addr, window, pause, &payload);
                    if std::env::var_os("HUNT_BENCH_DEBUG").is_some() {
                        progress(format!(
                            "probe ran {:.3}..{:.3} s",
                            RAMP.as_secs_f64(),
                            RAMP.as_secs_f64() + p.seconds
                        ));
                        let slow: Vec<String> =
                            p.slow.iter().map(|(t, ms)| format!("{:.3}:{ms:.1}", t + RAMP.as_secs_f64())).collect();
                        progress(format!("probe slow (ends at s: ms): {}", slow.join(" ")));
                    }
                    p
                },
            )?;
            let (usage, threads) = (result.usage, result.threads);
            StallRun { label, workers, probe, load: Some(result), usage, threads }
        } else {
            let threads_before = env.server_pid.map(load::thread_ticks).unwrap_or_default();
            let before = Snapshot::take(env.server_pid);
            let probe = probe(addr, window, pause, &payload);
            let usage = Snapshot::take(env.server_pid).usage_since(&before);
            let threads = env
                .server_pid
                .map(|pid| load::thread_usage(pid, &threads_before, &load::thread_ticks(pid), usage.seconds));
            StallRun { label, workers, probe, load: None, usage, threads }
        };
        progress(format!(
            "  PING p50 {} p99 {} max {} ms; HUNT.CLUE p50 {} p99 {} max {} ms{}",
            ms3(percentile(&run.probe.ping, 50.0)),
            ms3(percentile(&run.probe.ping, 99.0)),
            ms3(run.probe.ping.last().copied()),
            ms3(percentile(&run.probe.clue, 50.0)),
            ms3(percentile(&run.probe.clue, 99.0)),
            ms3(run.probe.clue.last().copied()),
            run.load.as_ref().map_or(String::new(), |l| format!("; far load {:.1} req/s", l.rps()))
        ));
        stalls.push(run);
    }

    // Throughput with 0, 1, 2 workers.
    let mut rows = Vec::new();
    if !args.no_throughput {
        for workers in [0u32, 1, 2] {
            set_workers(&mut env, workers, args.nice_workers)?;
            for (pairs, work) in [("far (ALGO DIJKSTRA)", &far_work), ("local (AUTO)", &local_work)] {
                progress(format!("throughput: hunt.workers {workers}, {pairs}, {} connections", args.connections));
                let (result, ()) =
                    load::run_phase(&mut env, work.clone(), args.connections, window, None, "hunt.path", || ())?;
                progress(format!(
                    "  {:.1} req/s, p50 {} ms, p99 {} ms",
                    result.rps(),
                    ms3(result.p(50.0)),
                    ms3(result.p(99.0))
                ));
                rows.push(ThroughputRow { workers, pairs, result });
            }
        }
    }
    let _ = load::config_set(&mut env.con, "hunt.workers", &workers_before);
    let _: i64 = redis::cmd("DEL").arg(BOARD).query(&mut env.con).unwrap_or(0);

    let clean = stalls
        .iter()
        .all(|s| s.probe.errors.is_empty() && s.load.as_ref().is_none_or(|l| l.errors == 0 && l.failures.is_empty()))
        && rows.iter().all(|r| r.result.errors == 0 && r.result.failures.is_empty());
    let markdown = render(&Render {
        args,
        env: &env,
        started_at,
        workers_before: &workers_before,
        inline_budget: &inline_budget,
        far_count: far_set.pairs.len(),
        far_costs: &far_costs,
        cut,
        matrix_seconds,
        within: &within,
        local_count: local_set.pairs.len(),
        stalls: &stalls,
        rows: &rows,
        wall: wall.elapsed().as_secs_f64(),
    });
    Ok((markdown, clean))
}

struct Render<'a> {
    args: &'a StallArgs,
    env: &'a Env,
    started_at: SystemTime,
    workers_before: &'a str,
    inline_budget: &'a str,
    far_count: usize,
    far_costs: &'a [u64],
    cut: u64,
    matrix_seconds: f64,
    within: &'a [usize],
    local_count: usize,
    stalls: &'a [StallRun],
    rows: &'a [ThroughputRow],
    wall: f64,
}

fn pct0(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.0} %"))
}

fn render(r: &Render) -> String {
    use std::fmt::Write;
    let (a, env) = (r.args, r.env);
    let mut out = String::new();
    load::report_head(&mut out, "stall", r.started_at);
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
    if let Some(line) = &env.load_line {
        let _ = writeln!(out, "| map loaded with | `{line}` ({:.1} s) |", env.load_seconds);
    }
    let i = &env.info;
    let _ = writeln!(out, "{}", i.row());
    let _ = writeln!(
        out,
        "| hunt.workers before the run / hunt.inline-budget | {} / {} (the run sets hunt.workers per configuration and restores it) |",
        r.workers_before, r.inline_budget
    );
    let _ = writeln!(
        out,
        "| far pairs | {} pairs from one `HUNT.MATRIX {} FROM {} … TO {} …` of random nodes ({:.1} s): those with cost ≥ the {}th percentile ({}); costs {}–{}; sent as `HUNT.PATH {} <src> <dst> ALGO DIJKSTRA` |",
        r.far_count,
        env.map,
        a.far_side,
        a.far_side,
        r.matrix_seconds,
        a.far_percentile,
        r.cut,
        r.far_costs.first().unwrap_or(&0),
        r.far_costs.last().unwrap_or(&0),
        env.map
    );
    let _ = writeln!(
        out,
        "| what one far query settles | nodes within the pair's cost of the source (`HUNT.REACH`), first 3 pairs: {} of {} |",
        r.within
            .iter()
            .map(|n| format!("{} ({:.0} %)", thousands(*n as u64), *n as f64 * 100.0 / i.nodes as f64))
            .collect::<Vec<_>>()
            .join(", "),
        thousands(i.nodes)
    );
    let _ = writeln!(
        out,
        "| local pairs | {} (as in `hunt-bench path`: the k-th node of HUNT.REACH from a random source, k in 1000..=4000), sent without ALGO (AUTO) |",
        r.local_count
    );
    let _ = writeln!(
        out,
        "| far load | {} connections, one `HUNT.PATH … ALGO DIJKSTRA` each in flight, nonstop; started {} ms before the probe, stopped at its end |",
        a.connections,
        RAMP.as_millis()
    );
    let _ = writeln!(
        out,
        "| probe | one more connection: PING and `HUNT.CLUE {BOARD} {CLUE}` alternately, one at a time, {} µs pause between requests, {} s |",
        a.pause_us, a.seconds
    );
    let _ =
        writeln!(out, "| machine | {} cores, shared by redis-server, hunt-bench and other users' jobs |", cpu::cores());
    if let Some(nice) = a.nice_workers {
        let _ = writeln!(
            out,
            "| experiment | the server's hunt-worker threads reniced to {nice} after each CONFIG SET hunt.workers |"
        );
    }

    let _ = writeln!(out, "\n### Probe latency while far pairs run (goal: p99 < 1 ms with offloading on)\n");
    let _ = writeln!(
        out,
        "| configuration | probe | n | p50 ms | p99 ms | p99.9 ms | max ms | > 1 ms | corrected p99 / p99.9 ms | far HUNT.PATH done (req/s) | redis-server CPU (main thread, hunt workers) | hunt-bench CPU | machine CPU |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for s in r.stalls {
        for (name, lat) in [("PING", &s.probe.ping), ("HUNT.CLUE", &s.probe.clue)] {
            let over = lat.iter().filter(|&&ns| ns > 1_000_000).count();
            let goal = s.load.is_some() && s.workers > 0;
            let p99 = ms3(percentile(lat, 99.0));
            let fixed = corrected(lat, 2 * a.pause_us * 1000);
            let _ = writeln!(
                out,
                "| {} | {name} | {} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} | {} |",
                s.label,
                thousands(lat.len() as u64),
                ms3(percentile(lat, 50.0)),
                if goal { format!("**{p99}**") } else { p99 },
                ms3(percentile(lat, 99.9)),
                ms3(lat.last().copied()),
                over,
                ms3(percentile(&fixed, 99.0)),
                ms3(percentile(&fixed, 99.9)),
                s.load.as_ref().map_or("–".into(), |l| format!("{} ({:.1})", thousands(l.completed), l.rps())),
                load::server_cpu(&s.usage, s.threads),
                pct0(s.usage.me),
                pct0(s.usage.machine),
            );
        }
    }
    let mut notes = String::new();
    for s in r.stalls {
        for e in s.probe.errors.iter().take(5) {
            notes += &format!("* {}: probe error `{}`\n", s.label, e.replace('`', "'"));
        }
        if let Some(l) = &s.load {
            notes += &error_lines(&s.label, l);
            if let Some(u) = l.usec_per_call() {
                notes += &format!(
                    "* {}: far HUNT.PATH latency p50 {} ms, p99 {} ms; main-thread wall time per call (INFO commandstats) {:.1} ms\n",
                    s.label,
                    ms3(l.p(50.0)),
                    ms3(l.p(99.0)),
                    u / 1000.0,
                );
            }
        }
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "\n{notes}");
    }

    if !r.rows.is_empty() {
        let _ = writeln!(
            out,
            "\n### HUNT.PATH throughput by hunt.workers ({} connections, {} s each)\n",
            a.connections, a.seconds
        );
        let _ = writeln!(out, "| hunt.workers | pairs {}", load::PHASE_HEADER);
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for row in r.rows {
            let label = if row.workers == 0 { "0 (inline)".to_string() } else { row.workers.to_string() };
            let _ = writeln!(out, "| {label} | {} | {} |", row.pairs, load::phase_cells(&row.result));
        }
        let errors: String = r
            .rows
            .iter()
            .map(|row| error_lines(&format!("workers {} {}", row.workers, row.pairs), &row.result))
            .collect();
        if !errors.is_empty() {
            let _ = writeln!(out, "\nErrors:\n\n{errors}");
        }
    }
    let _ = writeln!(
        out,
        "\n`n`, p50 … max and `> 1 ms` are per request, as the probe measured them. `corrected`: the same \
         samples as an open-loop client sending the same command every {} ms would have seen them (a reply that \
         took L also stands for the requests that would have been sent while waiting, at L − {} ms, L − {} ms, …): \
         a closed-loop probe gets one sample per stall however long the stall, so its own p99 understates stalls \
         that are rare but long.",
        2.0 * a.pause_us as f64 / 1000.0,
        2.0 * a.pause_us as f64 / 1000.0,
        4.0 * a.pause_us as f64 / 1000.0
    );
    let _ = writeln!(
        out,
        "\nEvery HUNT.PATH reply was checked (path from source to target, cost equal to HUNT.MATRIX's for far \
         pairs and HUNT.REACH's for local ones, version, the first reply per pair hop by hop against the map \
         file). CPU columns: % of one core over the window (of {} % for the machine). `server µs/call`: INFO \
         commandstats, wall time on the main thread (for an offloaded search: the inline attempt). \
         `main-thread CPU µs/req`: the main thread's CPU time over the phase divided by the requests completed.",
        cpu::cores() * 100
    );
    let _ = writeln!(out, "\nWhole run {:.1} s.", r.wall);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_stall_counts_by_its_length() {
        let ms = 1_000_000u64;
        let fixed = corrected(&[ms / 10, 10 * ms], 2 * ms);
        assert_eq!(fixed, vec![ms / 10, 2 * ms, 4 * ms, 6 * ms, 8 * ms, 10 * ms]);
        assert_eq!(corrected(&[5], 0), vec![5]);
    }
}
