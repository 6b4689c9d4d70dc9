//! `hunt-bench push`: many raw-RESP subscribers on one board, one publisher updating clues on a
//! fixed tick; every subscriber checks every version arrives once, in order, and measures the
//! delivery latency from the send time the publisher wrote into the payload. Then, on the same
//! server, `redis-benchmark` of `HUNT.CLUE` next to `GET` of a value of the same size.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use redis::IntoConnectionInfo;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};

use crate::benchmark::{self, Bench};
use crate::cpu::{self, Snapshot, Usage};
use crate::message::{self, Kind};
use crate::resp::{self, Frame};
use crate::server::SpawnedServer;

const DEFAULT_MODULE: &str = "target/release/libhunt.so";

#[derive(clap::Args, Debug, Clone)]
pub struct PushArgs {
    /// A running server with the module: redis://[user:password@]host:port
    #[arg(long, conflicts_with_all = ["host", "port", "spawn_server"])]
    url: Option<String>,
    /// Host of a running server with the module (with --port)
    #[arg(long, conflicts_with = "spawn_server")]
    host: Option<String>,
    /// Port of a running server with the module (host defaults to 127.0.0.1)
    #[arg(long, conflicts_with = "spawn_server")]
    port: Option<u16>,
    /// Start a redis-server with this module on a free port and stop it at the end; the default
    /// (with target/release/libhunt.so) when no server is named
    #[arg(long, value_name = "LIBHUNT_SO")]
    spawn_server: Option<PathBuf>,
    /// The redis-server to spawn
    #[arg(long, default_value = "redis-server")]
    redis_server: PathBuf,
    /// The redis-benchmark to run
    #[arg(long, default_value = "redis-benchmark")]
    redis_benchmark: PathBuf,
    #[arg(long, default_value_t = 5000)]
    subscribers: usize,
    /// Clues updated on each tick (one pipelined HUNT.PUBLISH each)
    #[arg(long, default_value_t = 10)]
    clues: usize,
    #[arg(long, default_value_t = 500)]
    interval_ms: u64,
    /// How long the publisher runs
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Size of each clue payload, and of the GET value compared with HUNT.CLUE
    #[arg(long, default_value_t = 64)]
    payload_bytes: usize,
    /// The board key (its clues bench-0.. are overwritten; the key <board>:get is set and removed)
    #[arg(long, default_value = "hunt-bench")]
    board: String,
    /// How long subscribers may take after the last publish to receive everything
    #[arg(long, default_value_t = 10)]
    drain_seconds: u64,
    /// Requests per redis-benchmark run; 0 skips the command benchmark
    #[arg(long, default_value_t = 200_000)]
    bench_requests: u64,
    #[arg(long, default_value_t = 50)]
    bench_clients: u32,
    #[arg(long, default_value_t = 16)]
    bench_pipeline: u32,
}

/// Where the server is and how to log in.
struct Endpoint {
    host: String,
    port: u16,
    addr: SocketAddr,
    user: Option<String>,
    password: Option<String>,
    url: String,
}

/// What every subscriber shares.
struct Shared {
    addr: SocketAddr,
    auth: Option<(Option<String>, String)>,
    channel: Vec<u8>,
    board: Vec<u8>,
    ids: Vec<Vec<u8>>,
    payload_bytes: usize,
    /// The board version before the run: the run publishes base_version + 1 ..= base_version + total.
    base_version: u64,
    total: u64,
    /// The clock of the send times in the payloads.
    epoch: Instant,
    connect: Semaphore,
    ready: AtomicUsize,
    failed: AtomicUsize,
    complete: AtomicUsize,
}

const NOT_SEEN: u64 = u64::MAX;

/// One subscriber's account of the run.
struct SubStats {
    received: u64,
    seen: u64,
    duplicates: u64,
    out_of_order: u64,
    bad: u64,
    first_bad: Option<String>,
    /// Latency in ns by sequence number (version - base_version - 1); NOT_SEEN when missing.
    latency: Vec<u64>,
    /// Whether SUBSCRIBE was confirmed (so every version of the run was owed to it).
    subscribed: bool,
    error: Option<String>,
}

impl SubStats {
    fn new(total: u64) -> SubStats {
        SubStats {
            received: 0,
            seen: 0,
            duplicates: 0,
            out_of_order: 0,
            bad: 0,
            first_bad: None,
            latency: vec![NOT_SEEN; total as usize],
            subscribed: false,
            error: None,
        }
    }

    fn bad(&mut self, why: String) {
        self.bad += 1;
        self.first_bad.get_or_insert(why);
    }
}

pub fn main(args: PushArgs) -> ExitCode {
    if let Err(e) = validate(&args) {
        eprintln!("hunt-bench push: {e}");
        return ExitCode::from(64);
    }
    raise_open_files(args.subscribers as u64 + 256);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hunt-bench push: tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A watchdog over everything, so the run stops by itself whatever happens.
    let budget = Duration::from_secs(args.seconds + args.drain_seconds + 360);
    let outcome = runtime.block_on(async {
        tokio::select! {
            r = tokio::time::timeout(budget, run(args)) => {
                r.unwrap_or_else(|_| Err(format!("gave up after {} s", budget.as_secs())))
            }
            _ = tokio::signal::ctrl_c() => Err("interrupted".to_string()),
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(3));
    match outcome {
        Ok(report) => {
            print!("{}", report.markdown);
            if report.clean {
                ExitCode::SUCCESS
            } else {
                eprintln!("hunt-bench push: some deliveries were missing, late, duplicated or malformed");
                ExitCode::from(2)
            }
        }
        Err(e) => {
            eprintln!("hunt-bench push: {e}");
            ExitCode::FAILURE
        }
    }
}

fn validate(args: &PushArgs) -> Result<(), String> {
    if args.subscribers == 0 || args.clues == 0 || args.interval_ms == 0 || args.seconds == 0 {
        return Err("--subscribers, --clues, --interval-ms and --seconds must be positive".into());
    }
    if args.seconds * 1000 < args.interval_ms {
        return Err("--seconds must cover at least one --interval-ms".into());
    }
    if message::bench_payload(u64::MAX >> 16, u64::MAX >> 16, args.payload_bytes).is_none() {
        return Err("--payload-bytes must be at least 32 (sequence and send time go in it)".into());
    }
    Ok(())
}

/// Lifts the soft open-files limit towards `want` (up to the hard limit), warning when it stays
/// below.
pub(crate) fn raise_open_files(want: u64) {
    let now = raise_open_files_to(want);
    if now < want {
        eprintln!("warning: open files limited to {now} (wanted {want})");
    }
}

/// Lifts the soft open-files limit towards `want` (up to the hard limit); returns the limit
/// now in force.
pub(crate) fn raise_open_files_to(want: u64) -> u64 {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024;
    }
    if limit.rlim_cur >= want as libc::rlim_t {
        return limit.rlim_cur;
    }
    let raised = libc::rlimit { rlim_cur: (want as libc::rlim_t).min(limit.rlim_max), rlim_max: limit.rlim_max };
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 { raised.rlim_cur } else { limit.rlim_cur }
}

pub(crate) fn progress(msg: impl AsRef<str>) {
    eprintln!("[hunt-bench] {}", msg.as_ref());
}

fn endpoint(args: &PushArgs, spawned: Option<&SpawnedServer>) -> Result<Endpoint, String> {
    let url = match (spawned, &args.url) {
        (Some(s), _) => format!("redis://127.0.0.1:{}", s.port),
        (None, Some(url)) => url.clone(),
        (None, None) => format!(
            "redis://{}:{}",
            args.host.as_deref().unwrap_or("127.0.0.1"),
            args.port.ok_or("--host needs --port")?
        ),
    };
    let info = url.as_str().into_connection_info().map_err(|e| format!("{url}: {e}"))?;
    let redis::ConnectionAddr::Tcp(host, port) = info.addr().clone() else {
        return Err(format!("{url}: only plain TCP servers are supported"));
    };
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("{host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host}: no address"))?;
    let settings = info.redis_settings();
    Ok(Endpoint {
        host,
        port,
        addr,
        user: settings.username().map(str::to_string),
        password: settings.password().map(str::to_string),
        url,
    })
}

pub(crate) fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')).map(|v| v.trim().to_string())
}

struct Report {
    markdown: String,
    clean: bool,
}

async fn run(args: PushArgs) -> Result<Report, String> {
    let wall_start = Instant::now();
    let spawned = if args.url.is_none() && args.host.is_none() && args.port.is_none() {
        let module = args.spawn_server.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_MODULE));
        progress(format!("starting {} with {}", args.redis_server.display(), module.display()));
        let server = SpawnedServer::start(&args.redis_server, &module, (args.subscribers + 128).max(10_000))?;
        progress(format!("redis-server pid {} on port {}", server.pid, server.port));
        Some(server)
    } else {
        None
    };
    let ep = endpoint(&args, spawned.as_ref())?;
    let client = redis::Client::open(ep.url.as_str()).map_err(|e| e.to_string())?;
    let mut con = client.get_connection().map_err(|e| format!("{}: {e}", ep.url))?;

    let info: String = redis::cmd("INFO").arg("server").query(&mut con).map_err(|e| e.to_string())?;
    let redis_version = info_field(&info, "redis_version").unwrap_or_else(|| "?".into());
    let server_pid = match &spawned {
        Some(s) => Some(s.pid),
        None => info_field(&info, "process_id").and_then(|p| p.parse().ok()),
    };
    let server_cpu_visible = server_pid.and_then(cpu::process_ticks).is_some();

    // The board and its clues, so the run starts from a known version.
    let board = args.board.as_bytes().to_vec();
    let ids: Vec<Vec<u8>> = (0..args.clues).map(|i| format!("bench-{i}").into_bytes()).collect();
    let mut base_version = 0u64;
    for id in &ids {
        // Cannot fail: `run` refused a --payload-bytes too small for the largest sequence and time.
        let payload = message::bench_payload(0, 0, args.payload_bytes).unwrap();
        base_version = redis::cmd("HUNT.PUBLISH")
            .arg(&board)
            .arg(id)
            .arg(payload)
            .query(&mut con)
            .map_err(|e| format!("HUNT.PUBLISH (is the module loaded?): {e}"))?;
    }
    let ticks = args.seconds * 1000 / args.interval_ms;
    let total = ticks * args.clues as u64;
    let channel = [b"hunt:", &board[..]].concat();

    let shared = Arc::new(Shared {
        addr: ep.addr,
        auth: ep.password.clone().map(|p| (ep.user.clone(), p)),
        channel: channel.clone(),
        board: board.clone(),
        ids: ids.clone(),
        payload_bytes: args.payload_bytes,
        base_version,
        total,
        epoch: Instant::now(),
        connect: Semaphore::new(200),
        ready: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        complete: AtomicUsize::new(0),
    });

    // Subscribers.
    progress(format!("connecting {} subscribers to {}", args.subscribers, String::from_utf8_lossy(&channel)));
    let connect_started = Instant::now();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut handles = Vec::with_capacity(args.subscribers);
    for _ in 0..args.subscribers {
        handles.push(tokio::spawn(subscriber(shared.clone(), stop_rx.clone())));
    }
    let connect_deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (ready, failed) = (shared.ready.load(Ordering::Acquire), shared.failed.load(Ordering::Acquire));
        if ready + failed == args.subscribers {
            break;
        }
        if Instant::now() > connect_deadline {
            let _ = stop_tx.send(true);
            return Err(format!("only {ready} of {} subscribers ready after 90 s", args.subscribers));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connect_seconds = connect_started.elapsed().as_secs_f64();
    let connect_failed = shared.failed.load(Ordering::Acquire);
    let numsub: Vec<(Vec<u8>, u64)> =
        redis::cmd("PUBSUB").arg("NUMSUB").arg(&channel).query(&mut con).map_err(|e| e.to_string())?;
    let numsub = numsub.first().map_or(0, |(_, n)| *n);
    progress(format!(
        "{} subscribed in {connect_seconds:.1} s ({connect_failed} failed); PUBSUB NUMSUB says {numsub}",
        args.subscribers - connect_failed
    ));

    // One quiet second with every subscriber connected: what else is using the machine.
    let quiet_start = Snapshot::take(server_pid);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let quiet = Snapshot::take(server_pid).usage_since(&quiet_start);

    // Publisher, on its own thread, with a blocking connection.
    let counters_before = ServerCounters::read(&mut con)?;
    let before = Snapshot::take(server_pid);
    let interval = Duration::from_millis(args.interval_ms);
    let stop_publisher = Arc::new(AtomicBool::new(false));
    let publisher = {
        let shared = shared.clone();
        let client = client.clone();
        let stop = stop_publisher.clone();
        tokio::task::spawn_blocking(move || publish(client, &shared, ticks, interval, &stop))
    };
    progress(format!(
        "publishing {} clues every {} ms for {} s ({total} publishes, {} deliveries expected)",
        args.clues,
        args.interval_ms,
        args.seconds,
        total * (args.subscribers - connect_failed) as u64
    ));
    let published = match publisher.await {
        Ok(result) => result,
        Err(e) => Err(format!("publisher thread: {e}")),
    };
    let published = match published {
        Ok(p) => p,
        Err(e) => {
            stop_publisher.store(true, Ordering::Relaxed);
            let _ = stop_tx.send(true);
            return Err(e);
        }
    };
    let publish_end = Instant::now();
    let live = args.subscribers - connect_failed;
    let drain_deadline = publish_end + Duration::from_secs(args.drain_seconds);
    while shared.complete.load(Ordering::Acquire) < live && Instant::now() < drain_deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let drain_seconds = publish_end.elapsed().as_secs_f64();
    let after = Snapshot::take(server_pid);
    let usage = after.usage_since(&before);
    let counters = ServerCounters::read(&mut con)?.since(&counters_before);
    let _ = stop_tx.send(true);
    let mut subs = Vec::with_capacity(handles.len());
    for handle in handles {
        match tokio::time::timeout(Duration::from_secs(10), handle).await {
            Ok(Ok(stats)) => subs.push(stats),
            Ok(Err(e)) => return Err(format!("a subscriber task failed: {e}")),
            Err(_) => return Err("a subscriber did not stop within 10 s".into()),
        }
    }
    progress(format!("publishing done; subscribers drained {drain_seconds:.2} s after the last publish"));

    let stats_info: String = redis::cmd("INFO").arg("stats").query(&mut con).map_err(|e| e.to_string())?;
    let obl_disconnects = info_field(&stats_info, "client_output_buffer_limit_disconnections");

    // Command throughput on the same server: HUNT.CLUE next to GET of a value of the same size.
    let get_key = [&board[..], b":get"].concat();
    let clue_cmd: Vec<&[u8]> = vec![b"HUNT.CLUE", &board, &ids[0]];
    let get_cmd: Vec<&[u8]> = vec![b"GET", &get_key];
    let mut bench_rows = Vec::new();
    if args.bench_requests > 0 {
        // Cannot fail: `run` refused a --payload-bytes too small for the largest sequence and time.
        let value = message::bench_payload(0, 0, args.payload_bytes).unwrap();
        let _: () = redis::cmd("SET").arg(&get_key).arg(&value).query(&mut con).map_err(|e| e.to_string())?;
        let clue_reply: redis::Value =
            redis::cmd("HUNT.CLUE").arg(&board).arg(&ids[0]).query(&mut con).map_err(|e| e.to_string())?;
        if matches!(clue_reply, redis::Value::Nil) {
            return Err("HUNT.CLUE found no clue to benchmark".into());
        }
        let target = benchmark::Target {
            exe: &args.redis_benchmark,
            host: &ep.host,
            port: ep.port,
            user: ep.user.as_deref(),
            password: ep.password.as_deref(),
        };
        for pipeline in [None, Some(args.bench_pipeline)] {
            for (name, cmd) in [("GET", &get_cmd), ("HUNT.CLUE", &clue_cmd)] {
                let line = benchmark::command_line(&target, args.bench_requests, args.bench_clients, pipeline, cmd);
                progress(&line);
                let result = benchmark::run(
                    &target,
                    args.bench_requests,
                    args.bench_clients,
                    pipeline,
                    cmd,
                    Duration::from_secs(120),
                )
                .await?;
                bench_rows.push((name, pipeline, line, result));
            }
        }
        let _: i64 = redis::cmd("DEL").arg(&get_key).query(&mut con).map_err(|e| e.to_string())?;
    }
    drop(con);
    drop(spawned);

    let summary = Summary::new(&subs, total, live, connect_failed);
    let markdown = render(RenderInput {
        args: &args,
        redis_version: &redis_version,
        endpoint: &ep,
        spawned: server_pid.is_some() && server_cpu_visible,
        total,
        ticks,
        connect_seconds,
        numsub,
        published: &published,
        usage,
        quiet,
        drain_seconds,
        summary: &summary,
        obl_disconnects,
        counters,
        bench_rows: &bench_rows,
        wall_seconds: wall_start.elapsed().as_secs_f64(),
    });
    Ok(Report { markdown, clean: summary.clean() })
}

/// What the server counted: HUNT.PUBLISH calls and the time spent in them (which includes
/// appending the message to every subscriber's output buffer, but not the socket writes), and
/// the bytes it wrote to clients.
#[derive(Clone, Copy, Default)]
struct ServerCounters {
    publish_calls: u64,
    publish_usec: u64,
    net_output_bytes: u64,
}

impl ServerCounters {
    fn read(con: &mut redis::Connection) -> Result<ServerCounters, String> {
        let commands: String = redis::cmd("INFO").arg("commandstats").query(con).map_err(|e| e.to_string())?;
        let stats: String = redis::cmd("INFO").arg("stats").query(con).map_err(|e| e.to_string())?;
        let mut counters = ServerCounters::default();
        if let Some(line) = info_field(&commands, "cmdstat_hunt.publish") {
            for pair in line.split(',') {
                match pair.split_once('=') {
                    Some(("calls", v)) => counters.publish_calls = v.parse().unwrap_or(0),
                    Some(("usec", v)) => counters.publish_usec = v.parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        counters.net_output_bytes =
            info_field(&stats, "total_net_output_bytes").and_then(|v| v.parse().ok()).unwrap_or(0);
        Ok(counters)
    }

    fn since(&self, before: &ServerCounters) -> ServerCounters {
        ServerCounters {
            publish_calls: self.publish_calls.saturating_sub(before.publish_calls),
            publish_usec: self.publish_usec.saturating_sub(before.publish_usec),
            net_output_bytes: self.net_output_bytes.saturating_sub(before.net_output_bytes),
        }
    }
}

/// The publisher's account of the run.
struct Published {
    publishes: u64,
    /// Round trip of each tick's pipeline, ns.
    rtt: Vec<u64>,
    /// How late each tick started against its schedule, ns.
    lateness: Vec<u64>,
}

fn publish(
    client: redis::Client,
    shared: &Shared,
    ticks: u64,
    interval: Duration,
    stop: &AtomicBool,
) -> Result<Published, String> {
    let mut con = client.get_connection().map_err(|e| format!("publisher: {e}"))?;
    let clues = shared.ids.len() as u64;
    let start = Instant::now() + Duration::from_millis(50);
    let (mut rtt, mut lateness) = (Vec::new(), Vec::new());
    for tick in 0..ticks {
        let due = start + interval * tick as u32;
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        if stop.load(Ordering::Relaxed) {
            return Err("publisher stopped".into());
        }
        let began = Instant::now();
        lateness.push(began.saturating_duration_since(due).as_nanos() as u64);
        let mut pipe = redis::pipe();
        for (c, id) in shared.ids.iter().enumerate() {
            let seq = tick * clues + c as u64 + 1;
            let sent = shared.epoch.elapsed().as_nanos() as u64;
            // Cannot fail: `run` refused a --payload-bytes too small for the largest sequence and time.
            let payload = message::bench_payload(seq, sent, shared.payload_bytes).unwrap();
            pipe.cmd("HUNT.PUBLISH").arg(&shared.board).arg(id).arg(payload);
        }
        let versions: Vec<u64> = pipe.query(&mut con).map_err(|e| format!("publisher: HUNT.PUBLISH: {e}"))?;
        rtt.push(began.elapsed().as_nanos() as u64);
        for (c, version) in versions.iter().enumerate() {
            let expected = shared.base_version + tick * clues + c as u64 + 1;
            if *version != expected {
                return Err(format!(
                    "publisher: HUNT.PUBLISH returned version {version}, expected {expected}: another writer on the board?"
                ));
            }
        }
    }
    Ok(Published { publishes: ticks * clues, rtt, lateness })
}

async fn handshake(shared: &Shared, buf: &mut Vec<u8>) -> Result<TcpStream, String> {
    let mut stream = TcpStream::connect(shared.addr).await.map_err(|e| format!("connect: {e}"))?;
    if let Some((user, password)) = &shared.auth {
        let auth = match user {
            Some(user) => resp::command(&[b"AUTH", user.as_bytes(), password.as_bytes()]),
            None => resp::command(&[b"AUTH", password.as_bytes()]),
        };
        stream.write_all(&auth).await.map_err(|e| e.to_string())?;
        let used = resp::read_frame(&mut stream, buf).await?;
        if !matches!(resp::parse(&buf[..used])?, Some((Frame::Simple(b"OK"), _))) {
            return Err(format!("AUTH: {}", String::from_utf8_lossy(&buf[..used])));
        }
        buf.drain(..used);
    }
    stream.write_all(&resp::command(&[b"SUBSCRIBE", &shared.channel])).await.map_err(|e| e.to_string())?;
    let used = resp::read_frame(&mut stream, buf).await?;
    if !matches!(resp::parse(&buf[..used])?, Some((frame, _)) if resp::confirms_subscribe(&frame, &shared.channel)) {
        return Err(format!("SUBSCRIBE: {}", String::from_utf8_lossy(&buf[..used])));
    }
    buf.drain(..used);
    Ok(stream)
}

async fn subscriber(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) -> SubStats {
    let mut stats = SubStats::new(shared.total);
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let connected = {
        let _permit = shared.connect.acquire().await;
        tokio::time::timeout(Duration::from_secs(60), handshake(&shared, &mut buf)).await
    };
    let mut stream = match connected {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            stats.error = Some(e);
            shared.failed.fetch_add(1, Ordering::AcqRel);
            return stats;
        }
        Err(_) => {
            stats.error = Some("handshake timed out".into());
            shared.failed.fetch_add(1, Ordering::AcqRel);
            return stats;
        }
    };
    stats.subscribed = true;
    shared.ready.fetch_add(1, Ordering::AcqRel);
    let mut max_version = 0u64;
    while stats.seen < shared.total {
        let now = match resp::read_more(&mut stream, &mut buf, &mut stop).await {
            Ok(true) => shared.epoch.elapsed().as_nanos() as u64,
            Ok(false) => break,
            Err(e) => {
                stats.error = Some(e);
                break;
            }
        };
        if let Err(e) = resp::take_frames(&mut buf, |frame| on_frame(&shared, &mut stats, &mut max_version, frame, now))
        {
            stats.error = Some(e);
            break;
        }
        if stats.seen == shared.total {
            shared.complete.fetch_add(1, Ordering::AcqRel);
        }
    }
    stats
}

fn on_frame(shared: &Shared, stats: &mut SubStats, max_version: &mut u64, frame: Frame, now: u64) {
    stats.received += 1;
    let Frame::Array(Some(items)) = frame else {
        return stats.bad(format!("not a push: {frame:?}"));
    };
    let [Frame::Bulk(Some(b"message")), Frame::Bulk(Some(channel)), Frame::Bulk(Some(body))] = items[..] else {
        return stats.bad(format!("not a message: {items:?}"));
    };
    if channel != shared.channel {
        return stats.bad(format!("channel {:?}", String::from_utf8_lossy(channel)));
    }
    let m = match message::parse(body) {
        Ok(m) => m,
        Err(e) => return stats.bad(format!("{e}: {:?}", String::from_utf8_lossy(body))),
    };
    if m.kind != Kind::Publish || m.key != shared.board || m.node.is_some() {
        return stats.bad(format!("unexpected message {m:?}"));
    }
    if m.version <= shared.base_version || m.version > shared.base_version + shared.total {
        return stats.bad(format!("version {} outside the run", m.version));
    }
    let seq = m.version - shared.base_version;
    let clue = ((seq - 1) % shared.ids.len() as u64) as usize;
    if m.id != shared.ids[clue] || m.payload.len() != shared.payload_bytes {
        return stats.bad(format!("version {} carries {m:?}", m.version));
    }
    let Some((payload_seq, sent)) = message::read_bench_payload(m.payload) else {
        return stats.bad(format!("payload {:?}", String::from_utf8_lossy(m.payload)));
    };
    if payload_seq != seq {
        return stats.bad(format!("version {} carries the payload of sequence {payload_seq}", m.version));
    }
    let slot = &mut stats.latency[(seq - 1) as usize];
    if *slot != NOT_SEEN {
        stats.duplicates += 1;
        return;
    }
    if m.version < *max_version {
        stats.out_of_order += 1;
    }
    *max_version = (*max_version).max(m.version);
    *slot = now.saturating_sub(sent);
    stats.seen += 1;
}

struct Summary {
    subscribers_live: usize,
    connect_failed: usize,
    complete: usize,
    expected: u64,
    received_ok: u64,
    missing: u64,
    duplicates: u64,
    out_of_order: u64,
    bad: u64,
    first_bad: Option<String>,
    errors: Vec<(String, usize)>,
    /// All delivery latencies, sorted, ns.
    latencies: Vec<u64>,
    /// Per publish, the latency of the last subscriber to get it, sorted, ns.
    fanout: Vec<u64>,
}

impl Summary {
    fn new(subs: &[SubStats], total: u64, live: usize, connect_failed: usize) -> Summary {
        let connected: Vec<&SubStats> = subs.iter().filter(|s| s.subscribed).collect();
        let mut latencies = Vec::with_capacity(connected.len() * total as usize);
        let mut fanout = vec![0u64; total as usize];
        let mut errors: Vec<(String, usize)> = Vec::new();
        let mut s = Summary {
            subscribers_live: live,
            connect_failed,
            complete: 0,
            expected: total * live as u64,
            received_ok: 0,
            missing: 0,
            duplicates: 0,
            out_of_order: 0,
            bad: 0,
            first_bad: None,
            errors: Vec::new(),
            latencies: Vec::new(),
            fanout: Vec::new(),
        };
        for sub in subs {
            if let Some(e) = &sub.error {
                match errors.iter_mut().find(|(k, _)| k == e) {
                    Some((_, n)) => *n += 1,
                    None => errors.push((e.clone(), 1)),
                }
            }
        }
        for sub in connected {
            if sub.seen == total {
                s.complete += 1;
            }
            s.received_ok += sub.seen;
            s.missing += total - sub.seen;
            s.duplicates += sub.duplicates;
            s.out_of_order += sub.out_of_order;
            s.bad += sub.bad;
            if s.first_bad.is_none() {
                s.first_bad = sub.first_bad.clone();
            }
            for (i, &l) in sub.latency.iter().enumerate() {
                if l != NOT_SEEN {
                    latencies.push(l);
                    fanout[i] = fanout[i].max(l);
                }
            }
        }
        latencies.sort_unstable();
        fanout.sort_unstable();
        s.errors = errors;
        s.latencies = latencies;
        s.fanout = fanout;
        s
    }

    fn clean(&self) -> bool {
        self.connect_failed == 0
            && self.missing == 0
            && self.duplicates == 0
            && self.out_of_order == 0
            && self.bad == 0
            && self.received_ok == self.expected
    }
}

/// Nearest-rank percentile of sorted values.
pub(crate) fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    // The small nudge keeps 99.9 % of 1000 at rank 999 despite binary floating point.
    let rank = ((p / 100.0) * sorted.len() as f64 - 1e-9).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn ms(ns: Option<u64>) -> String {
    ns.map_or("–".into(), |ns| format!("{:.2}", ns as f64 / 1e6))
}

pub(crate) fn pct(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.1} %"))
}

pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

struct RenderInput<'a> {
    args: &'a PushArgs,
    redis_version: &'a str,
    endpoint: &'a Endpoint,
    spawned: bool,
    total: u64,
    ticks: u64,
    connect_seconds: f64,
    numsub: u64,
    published: &'a Published,
    usage: Usage,
    quiet: Usage,
    drain_seconds: f64,
    summary: &'a Summary,
    obl_disconnects: Option<String>,
    counters: ServerCounters,
    bench_rows: &'a [(&'static str, Option<u32>, String, Bench)],
    wall_seconds: f64,
}

fn render(r: RenderInput) -> String {
    use std::fmt::Write;
    let (a, s) = (r.args, r.summary);
    let mut out = String::new();
    let _ = writeln!(out, "## hunt-bench push\n");
    let _ = writeln!(
        out,
        "Redis {} at {}:{}{}; {} subscribers (raw RESP over TCP, tokio with 2 workers) on `hunt:{}`; \
         one publisher sending {} pipelined `HUNT.PUBLISH` every {} ms for {} s ({} ticks, {} publishes); \
         payload {} bytes; {} cores on this machine, shared by server and client.\n",
        r.redis_version,
        r.endpoint.host,
        r.endpoint.port,
        if r.spawned { " (spawned by the tool)" } else { "" },
        a.subscribers,
        a.board,
        a.clues,
        a.interval_ms,
        a.seconds,
        r.ticks,
        r.total,
        a.payload_bytes,
        cpu::cores(),
    );

    let _ = writeln!(out, "### Delivery\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(
        out,
        "| subscribers ready | {} of {} in {:.1} s (PUBSUB NUMSUB {}) |",
        a.subscribers - s.connect_failed,
        a.subscribers,
        r.connect_seconds,
        r.numsub
    );
    let _ = writeln!(out, "| subscribers that got every version | {} of {} |", s.complete, s.subscribers_live);
    let _ = writeln!(out, "| publishes acknowledged (versions checked) | {} |", thousands(r.published.publishes));
    let _ = writeln!(out, "| deliveries expected | {} |", thousands(s.expected));
    let _ = writeln!(out, "| deliveries received (distinct, valid) | {} |", thousands(s.received_ok));
    let _ = writeln!(out, "| **missing** | **{}** |", thousands(s.missing));
    let _ = writeln!(out, "| **out of order** | **{}** |", thousands(s.out_of_order));
    let _ = writeln!(out, "| **duplicates** | **{}** |", thousands(s.duplicates));
    let _ = writeln!(out, "| malformed / unexpected | {} |", thousands(s.bad));
    let window = (r.ticks * a.interval_ms) as f64 / 1000.0;
    let rate = s.received_ok as f64 / window;
    let _ = writeln!(
        out,
        "| delivery rate | {} /s ({} ticks × {} ms; target {} /s) |",
        thousands(rate as u64),
        r.ticks,
        a.interval_ms,
        thousands((a.subscribers * a.clues) as u64 * 1000 / a.interval_ms)
    );
    let _ = writeln!(out, "| last subscriber done after the last publish | {:.3} s |", r.drain_seconds);
    let c = r.counters;
    if c.publish_calls > 0 {
        let _ = writeln!(
            out,
            "| server time inside HUNT.PUBLISH (INFO commandstats) | {:.0} µs per call, {:.2} s in all ({} calls) |",
            c.publish_usec as f64 / c.publish_calls as f64,
            c.publish_usec as f64 / 1e6,
            thousands(c.publish_calls)
        );
    }
    let _ = writeln!(
        out,
        "| bytes written to clients (INFO total_net_output_bytes) | {:.1} MB, {:.2} MB/s |",
        c.net_output_bytes as f64 / 1e6,
        c.net_output_bytes as f64 / 1e6 / r.usage.seconds.max(1e-9)
    );
    if let Some(d) = &r.obl_disconnects {
        let _ = writeln!(out, "| server's output-buffer-limit disconnections | {d} |");
    }
    if let Some(bad) = &s.first_bad {
        let _ = writeln!(out, "| first malformed | `{}` |", bad.replace('|', "\\|"));
    }
    for (e, n) in &s.errors {
        let _ = writeln!(out, "| subscriber error ×{n} | {} |", e.replace('|', "\\|"));
    }

    let l = &s.latencies;
    let _ = writeln!(out, "\n### Delivery latency (publisher send → subscriber parsed), ms\n");
    let _ = writeln!(out, "| | n | p50 | p90 | p99 | p99.9 | max |\n|---|---|---|---|---|---|---|");
    let _ = writeln!(
        out,
        "| every delivery | {} | {} | {} | {} | {} | {} |",
        thousands(l.len() as u64),
        ms(percentile(l, 50.0)),
        ms(percentile(l, 90.0)),
        ms(percentile(l, 99.0)),
        ms(percentile(l, 99.9)),
        ms(l.last().copied())
    );
    let f = &s.fanout;
    let _ = writeln!(
        out,
        "| per publish, the last subscriber | {} | {} | {} | {} | {} | {} |",
        thousands(f.len() as u64),
        ms(percentile(f, 50.0)),
        ms(percentile(f, 90.0)),
        ms(percentile(f, 99.0)),
        ms(percentile(f, 99.9)),
        ms(f.last().copied())
    );
    let mut rtt = r.published.rtt.clone();
    rtt.sort_unstable();
    let _ = writeln!(
        out,
        "| publisher: round trip of one tick's {} HUNT.PUBLISH | {} | {} | {} | {} | {} | {} |",
        a.clues,
        rtt.len(),
        ms(percentile(&rtt, 50.0)),
        ms(percentile(&rtt, 90.0)),
        ms(percentile(&rtt, 99.0)),
        ms(percentile(&rtt, 99.9)),
        ms(rtt.last().copied())
    );
    let mut late = r.published.lateness.clone();
    late.sort_unstable();
    let _ = writeln!(
        out,
        "| publisher: tick start behind schedule | {} | {} | {} | {} | {} | {} |",
        late.len(),
        ms(percentile(&late, 50.0)),
        ms(percentile(&late, 90.0)),
        ms(percentile(&late, 99.0)),
        ms(percentile(&late, 99.9)),
        ms(late.last().copied())
    );

    let _ = writeln!(
        out,
        "\n### CPU over the publishing window ({:.1} s, first publish to last delivery), % of one core\n",
        r.usage.seconds
    );
    let others = |u: &Usage| match (u.machine, u.server, u.me) {
        (Some(m), Some(s), Some(me)) => Some((m - s - me).max(0.0)),
        _ => None,
    };
    let _ = writeln!(
        out,
        "| process | publishing window | 1 s before it, subscribers connected, no publishing |\n|---|---|---|"
    );
    let _ = writeln!(
        out,
        "| redis-server (utime+stime from /proc/<pid>/stat) | **{}** | {} |",
        pct(r.usage.server),
        pct(r.quiet.server)
    );
    let _ = writeln!(out, "| hunt-bench (subscribers + publisher) | {} | {} |", pct(r.usage.me), pct(r.quiet.me));
    let _ = writeln!(out, "| other processes on the machine | {} | {} |", pct(others(&r.usage)), pct(others(&r.quiet)));
    let _ = writeln!(
        out,
        "| whole machine (of {} %, from /proc/stat) | {} | {} |",
        cpu::cores() * 100,
        pct(r.usage.machine),
        pct(r.quiet.machine)
    );

    if !r.bench_rows.is_empty() {
        let _ = writeln!(
            out,
            "\n### HUNT.CLUE next to GET of a {}-byte string, same server, after the push run\n",
            a.payload_bytes
        );
        let _ = writeln!(out, "| command | pipeline | requests/s | p50 ms |\n|---|---|---|---|");
        for (name, pipeline, _, bench) in r.bench_rows {
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} |",
                pipeline.map_or("1".into(), |p| p.to_string()),
                thousands(bench.rps.round() as u64),
                bench.p50_ms.map_or("–".into(), |p| format!("{p:.3}"))
            );
        }
        let _ = writeln!(out, "\n```");
        for (_, _, line, _) in r.bench_rows {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "```");
    }
    let _ = writeln!(
        out,
        "\nResult: {} (whole run {:.1} s).",
        if s.clean() {
            "every subscriber received every version once, in order".to_string()
        } else {
            "NOT CLEAN: see missing / out of order / duplicates / errors above".to_string()
        },
        r.wall_seconds
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=1000).collect();
        assert_eq!(percentile(&v, 50.0), Some(500));
        assert_eq!(percentile(&v, 99.0), Some(990));
        assert_eq!(percentile(&v, 99.9), Some(999));
        assert_eq!(percentile(&v, 100.0), Some(1000));
        assert_eq!(percentile(&[7], 0.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(thousands(6_000_000), "6,000,000");
        assert_eq!(thousands(999), "999");
    }
}
