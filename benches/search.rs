//! Criterion benches of the core search on real road maps.
//!
//! `cargo bench --bench search` loads USA-road-d.NY from `shared/data/roads/` (next to the
//! workspace) and times plain Dijkstra (`Search::path_with(.., Algo::Dijkstra)`) over two
//! fixed query sets of 1,000 queries each:
//! - `random`: source and target uniformly random nodes (a worst case: half the map settled);
//! - `local`: the target is the k-th node settled from the source, k uniform in 1000..=4000
//!   (a player walking to a nearby clue).
//!
//! Criterion iterations reuse one `Search`. A `local` iteration runs the whole set, so
//! per-query time is iteration time / 1,000; a `random` iteration runs 100 queries of the set
//! (a whole-set iteration takes ~30 s), the 10 samples covering the set (see [`bench_set`]),
//! so per-query time is iteration time / 100. Criterion also prints queries/s.
//!
//! Before criterion runs, it prints to stderr what criterion cannot measure: map build,
//! memory and codec times, mean settled nodes, and per-query median and p99 from timing every
//! query individually (wall time of one pass, and each query's best wall and thread CPU time
//! over a few passes). Without the NY file it runs a Rome benchmark only.
//!
//! The query sets come from [`workload`] and are identical on every run (fixed-seed xorshift),
//! so other methods can be benched on the very same pairs: another core method is one more
//! [`bench_method`] call in `main` (`Algo::Bidir`, ...); another library takes the pairs from
//! [`workload`].
//!
//! Under `cargo test --all-targets` (no `--bench` argument) it smoke-tests on 10 queries per
//! set and skips the timing passes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, measurement::WallTime};
use hunt_core::codec::{decode_map, encode_map};
use hunt_core::{Algo, Cost, Map, Node, Query, Search};

/// Queries per set in a real bench run.
const QUERIES: usize = 1_000;
/// Local targets are the k-th settled node from the source, k in this range.
const LOCAL_RANK: std::ops::RangeInclusive<usize> = 1_000..=4_000;
const SEED_RANDOM: u64 = 0x5eed_0001_9e37_79b9;
const SEED_LOCAL: u64 = 0x5eed_0002_7f4a_7c15;

/// A small deterministic generator (xorshift64), so the query sets never change.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One (source, target) query in dense node indices.
#[derive(Clone, Copy, Debug)]
pub struct Pair {
    pub from: Node,
    pub to: Node,
}

/// A map and its fixed query sets.
pub struct Workload {
    pub name: &'static str,
    pub map: Map,
    pub random: Vec<Pair>,
    /// Empty when the map is too small for local pairs (Rome).
    pub local: Vec<Pair>,
}

fn bench_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list")
}

fn query_count() -> usize {
    if bench_mode() { QUERIES } else { 10 }
}

fn ny_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/roads/USA-road-d.NY.gr.gz")
}

fn rome_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/rome99.gr.gz")
}

/// The workload every bench in this file shares: NY if present, else Rome. Built once.
pub fn workload() -> &'static Workload {
    static WORKLOAD: OnceLock<Workload> = OnceLock::new();
    WORKLOAD.get_or_init(|| {
        let ny = ny_path();
        if ny.exists() {
            load("ny", &ny, true)
        } else {
            eprintln!("skipping NY benches: {} not found", ny.display());
            load("rome", &rome_path(), false)
        }
    })
}

fn load(name: &'static str, path: &Path, with_local: bool) -> Workload {
    let started = Instant::now();
    let edges = hunt_load::read_edges(path).expect("read the map file");
    let read = started.elapsed();
    let started = Instant::now();
    let mut map = Map::new();
    map.add_edges(&edges, 0, usize::MAX).expect("build the map");
    let build = started.elapsed();
    eprintln!(
        "[{name}] {} nodes, {} edges; read+parse {:.3} s, Map::add_edges {:.3} s, map.memory() {} bytes ({:.1} MiB)",
        map.node_count(),
        map.edge_count(),
        read.as_secs_f64(),
        build.as_secs_f64(),
        map.memory(),
        map.memory() as f64 / (1 << 20) as f64,
    );
    codec_timing(name, &map);
    let count = query_count();
    let random = random_pairs(&map, count, SEED_RANDOM);
    let local = if with_local { local_pairs(&map, count, SEED_LOCAL) } else { Vec::new() };
    Workload { name, map, random, local }
}

/// Encodes and decodes the map a few times; prints the best time of each and the blob size.
fn codec_timing(name: &str, map: &Map) {
    let rounds = if bench_mode() { 5 } else { 1 };
    let mut encode = Duration::MAX;
    let mut decode = Duration::MAX;
    let mut blob = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        blob = black_box(encode_map(map));
        encode = encode.min(started.elapsed());
        let started = Instant::now();
        let back = black_box(decode_map(&blob).expect("decode what was encoded"));
        decode = decode.min(started.elapsed());
        assert_eq!(back.edge_count(), map.edge_count());
    }
    eprintln!(
        "[{name}] codec: encode_map {:.1} ms, decode_map {:.1} ms (best of {rounds}), blob {} bytes ({:.1} MiB)",
        encode.as_secs_f64() * 1e3,
        decode.as_secs_f64() * 1e3,
        blob.len(),
        blob.len() as f64 / (1 << 20) as f64,
    );
}

/// `count` uniformly random (source, target) pairs.
pub fn random_pairs(map: &Map, count: usize, seed: u64) -> Vec<Pair> {
    let n = map.node_count() as u64;
    let mut rng = Rng(seed);
    (0..count).map(|_| Pair { from: rng.below(n) as Node, to: rng.below(n) as Node }).collect()
}

/// `count` random sources, each with the k-th node settled from it as target, k uniform in
/// [`LOCAL_RANK`] (the source itself is the 1st).
pub fn local_pairs(map: &Map, count: usize, seed: u64) -> Vec<Pair> {
    let n = map.node_count();
    let mut rng = Rng(seed);
    let mut dist = vec![Cost::MAX; n];
    let mut done = vec![false; n];
    let mut touched = Vec::new();
    let mut heap = BinaryHeap::new();
    let span = (LOCAL_RANK.end() - LOCAL_RANK.start() + 1) as u64;
    let mut pairs = Vec::with_capacity(count);
    while pairs.len() < count {
        let from = rng.below(n as u64) as Node;
        let k = LOCAL_RANK.start() + rng.below(span) as usize;
        if let Some(to) = kth_settled(map, from, k, &mut dist, &mut done, &mut touched, &mut heap) {
            pairs.push(Pair { from, to });
        }
        // A source whose reachable part has fewer than k nodes is skipped (none on NY).
    }
    pairs
}

/// Plain Dijkstra from `from`, returning the k-th node it settles. The core's Dijkstra settles
/// about k nodes to reach it (exactly k but for nodes at equal cost settled in another order).
fn kth_settled(
    map: &Map,
    from: Node,
    k: usize,
    dist: &mut [Cost],
    done: &mut [bool],
    touched: &mut Vec<Node>,
    heap: &mut BinaryHeap<Reverse<(Cost, Node)>>,
) -> Option<Node> {
    for &v in touched.iter() {
        dist[v as usize] = Cost::MAX;
        done[v as usize] = false;
    }
    touched.clear();
    heap.clear();
    dist[from as usize] = 0;
    touched.push(from);
    heap.push(Reverse((0, from)));
    let mut settled = 0;
    while let Some(Reverse((d, u))) = heap.pop() {
        if done[u as usize] {
            continue;
        }
        done[u as usize] = true;
        settled += 1;
        if settled == k {
            return Some(u);
        }
        for e in map.edges(u) {
            let v = map.head(e);
            let nd = d + map.weight(e) as Cost;
            if nd < dist[v as usize] {
                if dist[v as usize] == Cost::MAX {
                    touched.push(v);
                }
                dist[v as usize] = nd;
                heap.push(Reverse((nd, v)));
            }
        }
    }
    None
}

/// CPU time of the calling thread, which unlike wall time does not count the time the thread
/// waits for a CPU while other processes run. `None` where this bench cannot read it.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu_time() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid, exclusive pointer.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.sec as u64, ts.nsec as u32))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

/// Times every query of the set individually with one `Search`, `passes` times over; prints
/// mean settled nodes, then per-query median, p99 and mean latency: wall time of the first
/// pass, each query's best wall time over the passes, and each query's best thread CPU time.
/// On a busy shared machine one pass's p99 mostly measures preemption (a few queries in a
/// hundred lose a ~4 ms time slice) and even best-of wall times stretch when every pass runs
/// at half a CPU; CPU time is the search's own cost, cache effects of neighbours aside.
fn per_query_pass(label: &str, map: &Map, pairs: &[Pair], algo: Algo, passes: usize) {
    let mut search = Search::new();
    let query = Query::default();
    // Grow the scratch before timing, as the criterion runs have.
    let _ = search.path_with(map, 0, 0, &query, algo);
    let mut first = Vec::with_capacity(pairs.len());
    let mut best = vec![Duration::MAX; pairs.len()];
    let mut best_cpu = vec![Duration::MAX; pairs.len()];
    let mut settled = 0usize;
    let mut unreachable = 0usize;
    let (mut pass_wall, mut pass_cpu) = (Duration::ZERO, Duration::ZERO);
    for pass in 0..passes {
        let (pass_started, pass_cpu_started) = (Instant::now(), thread_cpu_time());
        for (i, p) in pairs.iter().enumerate() {
            let cpu_started = thread_cpu_time();
            let started = Instant::now();
            let route = black_box(search.path_with(map, p.from, p.to, &query, algo).expect("an unlimited query"));
            let took = started.elapsed();
            if let (Some(end), Some(start)) = (thread_cpu_time(), cpu_started) {
                best_cpu[i] = best_cpu[i].min(end.saturating_sub(start));
            }
            best[i] = best[i].min(took);
            if pass == 0 {
                first.push(took);
                settled += search.settled();
                unreachable += usize::from(route.is_none());
            }
        }
        if pass == 0 {
            pass_wall = pass_started.elapsed();
            pass_cpu = match (thread_cpu_time(), pass_cpu_started) {
                (Some(end), Some(start)) => end.saturating_sub(start),
                _ => Duration::ZERO,
            };
        }
    }
    eprintln!(
        "[{label}] {} queries: mean settled {:.0} nodes/query, {unreachable} unreachable; first pass on a CPU {:.0}% of its wall time",
        pairs.len(),
        settled as f64 / pairs.len() as f64,
        100.0 * pass_cpu.as_secs_f64() / pass_wall.as_secs_f64()
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut rows = vec![("wall, one pass".to_string(), first), (format!("wall, best of {passes}"), best)];
    if best_cpu[0] != Duration::MAX {
        rows.push((format!("CPU, best of {passes}"), best_cpu));
    }
    for (what, mut times) in rows {
        times.sort_unstable();
        let q = |f: f64| times[((times.len() - 1) as f64 * f).round() as usize];
        let mean = times.iter().sum::<Duration>() / times.len() as u32;
        eprintln!(
            "[{label}] per query, {what}: median {:.3} ms, p99 {:.3} ms, mean {:.3} ms, max {:.3} ms",
            ms(q(0.5)),
            ms(q(0.99)),
            ms(mean),
            ms(times[times.len() - 1])
        );
    }
}

/// One criterion iteration: every query of `pairs`, one reused `Search`.
fn run_set(search: &mut Search, map: &Map, pairs: &[Pair], query: &Query, algo: Algo) -> Cost {
    let mut total = 0;
    for p in pairs {
        if let Ok(Some(route)) = search.path_with(map, p.from, p.to, query, algo) {
            total += route.cost;
        }
    }
    total
}

/// Criterion bench of one query set. An iteration runs `chunk` consecutive queries of the set
/// with one reused `Search`, going on where the previous iteration stopped (wrapping around).
/// With flat sampling every sample runs the same number of iterations, so when `chunk` is the
/// set size divided by the sample size, the samples together run each query of the set equally
/// often and the mean is exactly that of the whole set; criterion's time is per `chunk` queries.
fn bench_set(group: &mut BenchmarkGroup<'_, WallTime>, id: &str, map: &Map, pairs: &[Pair], algo: Algo, chunk: usize) {
    let mut search = Search::new();
    let query = Query::default();
    let mut cursor = 0;
    group.throughput(Throughput::Elements(chunk as u64));
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                let end = (cursor + chunk).min(pairs.len());
                black_box(run_set(&mut search, map, black_box(&pairs[cursor..end]), &query, algo));
                cursor = if end == pairs.len() { 0 } else { end };
            }
            started.elapsed()
        })
    });
}

/// Groups `<map>/<method>/random` and `<map>/<method>/local`, after the per-query passes.
fn bench_method(c: &mut Criterion, algo: Algo) {
    let w = workload();
    let name = format!("{}/{}", w.name, algo.name());
    if bench_mode() {
        per_query_pass(&format!("{name}/random"), &w.map, &w.random, algo, 2);
        if !w.local.is_empty() {
            per_query_pass(&format!("{name}/local"), &w.map, &w.local, algo, 5);
        }
        cpu_pressure("after the per-query passes");
    }
    let mut group = c.benchmark_group(name);
    group.sampling_mode(SamplingMode::Flat);
    // Random NY queries with Dijkstra settle half the map, 20-30 ms each: the whole set per
    // iteration would make the minimum of 10 samples take 5 minutes. So an iteration is a tenth
    // of the set and the samples go through it a whole number of times (see `bench_set`).
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(25));
    bench_set(&mut group, "random", &w.map, &w.random, algo, w.random.len().div_ceil(10));
    if !w.local.is_empty() {
        // Local queries take 0.3-0.5 ms: an iteration is the whole set.
        group.sample_size(20).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(10));
        bench_set(&mut group, "local", &w.map, &w.local, algo, w.local.len());
    }
    group.finish();
}

/// Prints the kernel's CPU pressure (share of time some task waited for a CPU), so numbers
/// taken on a busy shared machine say how busy it was.
fn cpu_pressure(when: &str) {
    if !bench_mode() {
        return;
    }
    if let Ok(text) = std::fs::read_to_string("/proc/pressure/cpu") {
        let some = text.lines().next().unwrap_or("").trim_start_matches("some ");
        eprintln!("[cpu pressure {when}] {some}");
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    cpu_pressure("at start");
    bench_method(&mut c, Algo::Dijkstra);
    cpu_pressure("at end");
    c.final_summary();
}
