//! Criterion benches of the core search on real road maps, next to petgraph and pathfinding.
//!
//! `cargo bench --bench search` loads, from `shared/data/roads/` (next to the workspace),
//! USA-road-d.NY with its coordinates (`.co`) and USA-road-d.BAY (no coordinates published:
//! no A* there), computes 8 landmarks on each, and times every method on two fixed query
//! sets of 1,000 queries each:
//! - `random`: source and target uniformly random nodes (a worst case: half the map settled);
//! - `local`: the target is the k-th node settled from the source, k uniform in 1000..=4000
//!   (a player walking to a nearby clue).
//!
//! Methods: hunt's `Search::path_with(.., Algo::X)` for Dijkstra, Bidir, Astar (NY only), Alt
//! and Auto (the default; ALT once landmarks exist), and on the very same graph (built from
//! the map's merged edges, dense node indices) `petgraph::algo::dijkstra` (costs only, no
//! path), `petgraph::algo::astar` (zero heuristic on BAY, on NY the bound hunt's A* uses:
//! straight-line distance times the smallest weight per distance of any edge) and
//! `pathfinding::directed::dijkstra::dijkstra`.
//!
//! Before criterion runs, it prints to stderr what criterion cannot measure: map build,
//! memory, codec, coordinate and landmark times; then, per method and set, mean settled nodes
//! and per-query median and p99 from timing every query individually (wall time of one pass,
//! and each query's best wall and thread CPU time over the passes), asserting that every
//! method returns hunt Dijkstra's cost on every query. Hunt methods are timed on all 1,000
//! random queries (one pass); the third-party ones on the first 200 (one pass), their
//! Dijkstra-like searches taking 30-80 ms each. Local queries: all 1,000, 3 passes. At the end
//! of each map it prints a markdown table with ratios to `petgraph::algo::dijkstra`.
//!
//! Criterion iterations reuse one `Search`. A `local` iteration runs 100 consecutive queries
//! of the set, a `random` iteration 20 of its first 200, going on where the previous stopped,
//! so the samples cover the set (or subset) equally (see [`bench_set`]); criterion's time is
//! per iteration, and it prints queries/s.
//!
//! `HUNT_BENCH_MAPS=ny` (or `bay`, default `ny,bay`) picks the maps, so that each run stays
//! within a few minutes. A missing file skips its map with a message; with neither, it runs
//! Rome. Under `cargo test --all-targets` (no `--bench` argument) it smoke-tests on 10
//! queries per set and skips the timing passes.

mod common;

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, measurement::WallTime};
use hunt_core::codec::{decode_map, encode_map};
use hunt_core::{Algo, Cost, Map, Node, Query, Search};
use petgraph::graph::{DiGraph, NodeIndex};

/// Landmarks computed on every map (as `HUNT.LANDMARKS map 8`).
const LANDMARKS: usize = 8;
/// Random queries for third-party per-query timing and for every criterion random bench.
const RANDOM_SUBSET: usize = 200;

/// A map, its fixed query sets, and the same graph for the other libraries.
pub struct Workload {
    pub name: &'static str,
    pub map: Map,
    pub random: Vec<Pair>,
    /// Empty when the map is too small for local pairs (Rome).
    pub local: Vec<Pair>,
    pub other: Other,
}

/// The map's edges for petgraph and pathfinding.
pub struct Other {
    pub graph: DiGraph<(), u32>,
    /// CSR for pathfinding: out-edges of `v` are `adj[first[v]..first[v + 1]]`.
    first: Vec<u32>,
    adj: Vec<(u32, u32)>,
    /// Points on the unit sphere and the A* scale, as hunt computes them (when located).
    points: Option<Vec<[f32; 3]>>,
    ratio: f64,
}

/// The maps this run benches (`HUNT_BENCH_MAPS`), each loaded once.
pub fn workloads() -> Vec<Workload> {
    let wanted = std::env::var("HUNT_BENCH_MAPS").unwrap_or_else(|_| "ny,bay".into());
    let mut out = Vec::new();
    for name in wanted.split(',').map(str::trim) {
        let (gr, co) = match name {
            "ny" => ("USA-road-d.NY.gr.gz", Some("USA-road-d.NY.co.gz")),
            "bay" => ("USA-road-d.BAY.gr.gz", None),
            other => panic!("HUNT_BENCH_MAPS: unknown map {other} (ny, bay)"),
        };
        let path = roads(gr);
        if !path.exists() {
            eprintln!("skipping {name} benches: {} not found", path.display());
            continue;
        }
        let co = co.map(roads).filter(|p| {
            let there = p.exists();
            if !there {
                eprintln!("[{name}] no coordinates ({} not found): no A*", p.display());
            }
            there
        });
        let name: &'static str = if name == "ny" { "ny" } else { "bay" };
        out.push(load(name, &path, co.as_deref(), true));
    }
    if out.is_empty() {
        eprintln!("no road map found: benching Rome only");
        out.push(load("rome", &rome_path(), None, false));
    }
    out
}

fn load(name: &'static str, path: &Path, co: Option<&Path>, with_local: bool) -> Workload {
    let (mut map, _) = build(name, path);
    codec_timing(name, &map);
    if let Some(co) = co {
        let nodes = hunt_load::read_coordinates(co).expect("read the coordinates");
        let started = Instant::now();
        map.set_coordinates(&nodes).expect("coordinates of existing nodes");
        eprintln!(
            "[{name}] Map::set_coordinates ({} nodes) {:.3} s; every node located: {}",
            nodes.len(),
            started.elapsed().as_secs_f64(),
            map.has_coordinates()
        );
    } else {
        eprintln!("[{name}] no coordinates: A* (hunt's and petgraph's with a coordinate bound) not available");
    }
    let started = Instant::now();
    map.compute_landmarks(LANDMARKS);
    eprintln!(
        "[{name}] Map::compute_landmarks({LANDMARKS}) {:.3} s; map.memory() now {} bytes ({:.1} MiB); Auto uses {}",
        started.elapsed().as_secs_f64(),
        map.memory(),
        map.memory() as f64 / (1 << 20) as f64,
        Search::choose(&map).name()
    );
    let count = query_count();
    let random = random_pairs(&map, count, SEED_RANDOM);
    let local = if with_local { local_pairs(&map, count, SEED_LOCAL) } else { Vec::new() };
    let other = other(&map, co.is_some());
    Workload { name, map, random, local, other }
}

fn other(map: &Map, located: bool) -> Other {
    let n = map.node_count();
    let mut graph = DiGraph::<(), u32>::with_capacity(n, map.edge_count());
    for _ in 0..n {
        graph.add_node(());
    }
    let mut first = Vec::with_capacity(n + 1);
    let mut adj = Vec::with_capacity(map.edge_count());
    for u in 0..n as Node {
        first.push(adj.len() as u32);
        for e in map.edges(u) {
            graph.add_edge(NodeIndex::new(u as usize), NodeIndex::new(map.head(e) as usize), map.weight(e));
            adj.push((map.head(e), map.weight(e)));
        }
    }
    first.push(adj.len() as u32);
    let (mut points, mut ratio) = (None, 0.0);
    if located {
        // hunt's geo bound, recomputed here: unit-sphere points as f32, chord distance, and the
        // smallest weight per chord over every edge, less a 1e-6 safety margin.
        let pts: Vec<[f32; 3]> = (0..n as Node)
            .map(|v| {
                let (lon, lat) = map.coordinates(v).expect("every node located");
                let (lon, lat) = (lon.to_radians(), lat.to_radians());
                [(lat.cos() * lon.cos()) as f32, (lat.cos() * lon.sin()) as f32, lat.sin() as f32]
            })
            .collect();
        let mut r = f64::INFINITY;
        for u in 0..n {
            for &(v, w) in &adj[first[u] as usize..first[u + 1] as usize] {
                let c = chord(&pts[u], &pts[v as usize]);
                if c > 0.0 {
                    r = r.min(w as f64 / c * (1.0 - 1e-6));
                }
            }
        }
        ratio = if r.is_finite() { r } else { 0.0 };
        points = Some(pts);
    }
    Other { graph, first, adj, points, ratio }
}

#[inline]
fn chord(a: &[f32; 3], b: &[f32; 3]) -> f64 {
    let d = [a[0] as f64 - b[0] as f64, a[1] as f64 - b[1] as f64, a[2] as f64 - b[2] as f64];
    (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
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

/// A method to time: one of hunt's, or a third-party one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Method {
    Hunt(Algo),
    PetgraphDijkstra,
    PetgraphAstar,
    PathfindingDijkstra,
}

impl Method {
    fn name(self) -> String {
        match self {
            Method::Hunt(algo) => format!("hunt {}", algo.name()),
            Method::PetgraphDijkstra => "petgraph dijkstra".into(),
            Method::PetgraphAstar => "petgraph astar".into(),
            Method::PathfindingDijkstra => "pathfinding dijkstra".into(),
        }
    }

    fn id(self) -> String {
        self.name().replace(' ', "-")
    }

    fn third_party(self) -> bool {
        !matches!(self, Method::Hunt(_))
    }
}

/// Runs queries with one method, reusing what can be reused.
struct Runner<'a> {
    w: &'a Workload,
    method: Method,
    search: Search,
    query: Query,
}

impl<'a> Runner<'a> {
    fn new(w: &'a Workload, method: Method) -> Runner<'a> {
        let mut search = Search::new();
        let query = Query::default();
        // Grow the scratch before timing.
        let _ = search.path_with(&w.map, 0, 0, &query, Algo::Dijkstra);
        Runner { w, method, search, query }
    }

    /// The cost of one query, and the nodes settled (hunt) or labelled (petgraph dijkstra).
    #[inline]
    fn run(&mut self, p: Pair) -> (Option<Cost>, Option<usize>) {
        let (s, t) = (NodeIndex::new(p.from as usize), NodeIndex::new(p.to as usize));
        let o = &self.w.other;
        match self.method {
            Method::Hunt(algo) => {
                let route = self.search.path_with(&self.w.map, p.from, p.to, &self.query, algo).expect("a query");
                (black_box(route).map(|r| r.cost), Some(self.search.settled()))
            }
            Method::PetgraphDijkstra => {
                let scores = petgraph::algo::dijkstra(&o.graph, s, Some(t), |e| *e.weight() as u64);
                (scores.get(&t).copied(), Some(scores.len()))
            }
            Method::PetgraphAstar => {
                let found = match &o.points {
                    Some(points) => {
                        let target = points[p.to as usize];
                        let ratio = o.ratio;
                        petgraph::algo::astar(
                            &o.graph,
                            s,
                            |n| n == t,
                            |e| *e.weight() as u64,
                            |n| (chord(&points[n.index()], &target) * ratio) as u64,
                        )
                    }
                    None => petgraph::algo::astar(&o.graph, s, |n| n == t, |e| *e.weight() as u64, |_| 0u64),
                };
                (black_box(found).map(|(c, _)| c), None)
            }
            Method::PathfindingDijkstra => {
                let found = pathfinding::directed::dijkstra::dijkstra(
                    &p.from,
                    |&v: &u32| {
                        o.adj[o.first[v as usize] as usize..o.first[v as usize + 1] as usize]
                            .iter()
                            .map(|&(h, w)| (h, w as u64))
                    },
                    |&v| v == p.to,
                );
                (black_box(found).map(|(_, c)| c), None)
            }
        }
    }
}

/// One row of the per-query table.
struct Row {
    set: &'static str,
    method: Method,
    queries: usize,
    /// Mean settled (hunt) or labelled (petgraph dijkstra) nodes.
    settled: Option<f64>,
    wall: Stats,
    cpu: Stats,
    passes: usize,
}

/// Times every query of `pairs` individually, `passes` times over; prints mean settled nodes
/// and per-query median, p99 and mean: wall time of the first pass, each query's best wall
/// time over the passes, and each query's best thread CPU time. Asserts each cost equals
/// `reference[i]` (hunt Dijkstra's) when given; returns the costs.
/// On a busy shared machine one pass's p99 mostly measures preemption (a few queries in a
/// hundred lose a ~4 ms time slice); CPU time is the search's own cost.
fn per_query_pass(
    w: &Workload,
    set: &'static str,
    pairs: &[Pair],
    method: Method,
    passes: usize,
    reference: Option<&[Option<Cost>]>,
    rows: &mut Vec<Row>,
) -> Vec<Option<Cost>> {
    let label = format!("{}/{}/{set}", w.name, method.id());
    let mut runner = Runner::new(w, method);
    let mut first = Vec::with_capacity(pairs.len());
    let mut best = vec![Duration::MAX; pairs.len()];
    let mut best_cpu = vec![Duration::MAX; pairs.len()];
    let mut costs = Vec::with_capacity(pairs.len());
    let mut settled = 0usize;
    let mut counted = true;
    let (mut pass_wall, mut pass_cpu) = (Duration::ZERO, Duration::ZERO);
    for pass in 0..passes {
        let (pass_started, pass_cpu_started) = (Instant::now(), thread_cpu_time());
        for (i, &p) in pairs.iter().enumerate() {
            let cpu_started = thread_cpu_time();
            let started = Instant::now();
            let (cost, n) = runner.run(p);
            let took = started.elapsed();
            if let (Some(end), Some(start)) = (thread_cpu_time(), cpu_started) {
                best_cpu[i] = best_cpu[i].min(end.saturating_sub(start));
            }
            best[i] = best[i].min(took);
            if pass == 0 {
                first.push(took);
                costs.push(cost);
                match n {
                    Some(n) => settled += n,
                    None => counted = false,
                }
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
    if let Some(reference) = reference {
        for (i, (got, want)) in costs.iter().zip(reference).enumerate() {
            assert_eq!(got, want, "{label}: query {i} {:?} costs {got:?}, hunt dijkstra {want:?}", pairs[i]);
        }
    }
    let unreachable = costs.iter().filter(|c| c.is_none()).count();
    let settled = counted.then(|| settled as f64 / pairs.len() as f64);
    eprintln!(
        "[{label}] {} queries: mean {} {}, {unreachable} unreachable, costs {}; first pass on a CPU {:.0}% of its wall time",
        pairs.len(),
        if method == Method::PetgraphDijkstra { "labelled" } else { "settled" },
        settled.map_or("n/a".into(), |s| format!("{s:.0} nodes/query")),
        if reference.is_some() { "equal to hunt dijkstra's" } else { "are the reference" },
        100.0 * pass_cpu.as_secs_f64() / pass_wall.as_secs_f64()
    );
    eprintln!("[{label}] per query, wall, one pass: {}", stats(&first));
    eprintln!("[{label}] per query, wall, best of {passes}: {}", stats(&best));
    let cpu = if best_cpu[0] != Duration::MAX { stats(&best_cpu) } else { stats(&best) };
    eprintln!("[{label}] per query, CPU, best of {passes}: {cpu}");
    rows.push(Row { set, method, queries: pairs.len(), settled, wall: stats(&first), cpu, passes });
    costs
}

/// One criterion iteration: every query of `pairs`, one reused runner.
fn run_set(runner: &mut Runner<'_>, pairs: &[Pair]) -> Cost {
    let mut total = 0;
    for &p in pairs {
        total += runner.run(p).0.unwrap_or(0);
    }
    total
}

/// Criterion bench of one query set. An iteration runs `chunk` consecutive queries of the set
/// with one reused runner, going on where the previous iteration stopped (wrapping around).
/// With flat sampling every sample runs the same number of iterations, so when `chunk` is the
/// set size divided by the sample size, the samples together run each query of the set equally
/// often and the mean is exactly that of the whole set; criterion's time is per `chunk` queries.
fn bench_set(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    w: &Workload,
    pairs: &[Pair],
    method: Method,
    chunk: usize,
) {
    let mut runner = Runner::new(w, method);
    let mut cursor = 0;
    group.throughput(Throughput::Elements(chunk as u64));
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                let end = (cursor + chunk).min(pairs.len());
                black_box(run_set(&mut runner, black_box(&pairs[cursor..end])));
                cursor = if end == pairs.len() { 0 } else { end };
            }
            started.elapsed()
        })
    });
}

/// The methods benched on a map: hunt's five (no A* without coordinates), then the others.
fn methods(w: &Workload) -> Vec<Method> {
    let mut m = vec![Method::Hunt(Algo::Dijkstra), Method::Hunt(Algo::Bidir)];
    if w.map.has_coordinates() {
        m.push(Method::Hunt(Algo::Astar));
    }
    m.extend([
        Method::Hunt(Algo::Alt),
        Method::Hunt(Algo::Auto),
        Method::PetgraphDijkstra,
        Method::PetgraphAstar,
        Method::PathfindingDijkstra,
    ]);
    m
}

/// Per-query passes of every method on both sets (costs checked against hunt Dijkstra), a
/// markdown table, then the criterion groups `<map>/<method>/{random,local}`.
fn bench_map(c: &mut Criterion, w: &Workload) {
    let methods = methods(w);
    let subset = &w.random[..RANDOM_SUBSET.min(w.random.len())];
    let mut rows = Vec::new();
    if bench_mode() {
        let mut reference_random = None;
        let mut reference_local = None;
        for &m in &methods {
            let pairs = if m.third_party() { subset } else { &w.random[..] };
            let reference = reference_random.as_ref().map(|r: &Vec<Option<Cost>>| &r[..pairs.len()]);
            let costs = per_query_pass(w, "random", pairs, m, 1, reference, &mut rows);
            reference_random.get_or_insert(costs);
            if !w.local.is_empty() {
                let costs = per_query_pass(w, "local", &w.local, m, 3, reference_local.as_deref(), &mut rows);
                reference_local.get_or_insert(costs);
            }
        }
        cpu_pressure(&format!("after the {} per-query passes", w.name));
        table(w, &rows);
    } else {
        // Smoke test: every method agrees with hunt Dijkstra on the few queries.
        for pairs in [&w.random[..], &w.local[..]] {
            let want: Vec<_> = pairs.iter().map(|&p| Runner::new(w, Method::Hunt(Algo::Dijkstra)).run(p).0).collect();
            for &m in &methods {
                let mut runner = Runner::new(w, m);
                let got: Vec<_> = pairs.iter().map(|&p| runner.run(p).0).collect();
                assert_eq!(got, want, "{} on {}", m.name(), w.name);
            }
        }
    }
    for &m in &methods {
        let mut group = c.benchmark_group(format!("{}/{}", w.name, m.id()));
        group.sampling_mode(SamplingMode::Flat);
        // Random queries with a Dijkstra-like method settle half the map, 20-80 ms each: an
        // iteration is 20 queries of the 200-query subset, 10 samples going through it a
        // whole number of times (see `bench_set`).
        group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(4));
        bench_set(&mut group, "random", w, subset, m, subset.len().div_ceil(10));
        if !w.local.is_empty() {
            group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
            bench_set(&mut group, "local", w, &w.local, m, w.local.len().div_ceil(10));
        }
        group.finish();
    }
}

/// The per-query results as a markdown table, with ratios of CPU medians to petgraph dijkstra.
fn table(w: &Workload, rows: &[Row]) {
    eprintln!(
        "\n[{}] per-query table (CPU: each query's best thread CPU time over the passes; wall: one pass)\n",
        w.name
    );
    eprintln!(
        "| set | method | queries | mean settled | CPU median / p99 | wall (one pass) median / p99 | speed-up vs petgraph dijkstra (CPU median) |"
    );
    eprintln!("| --- | --- | ---: | ---: | --- | --- | ---: |");
    for set in ["random", "local"] {
        let base = rows.iter().find(|r| r.set == set && r.method == Method::PetgraphDijkstra).map(|r| r.cpu.median);
        for r in rows.iter().filter(|r| r.set == set) {
            let settled = match (r.settled, r.method) {
                (Some(s), Method::PetgraphDijkstra) => format!("({s:.0} labelled)"),
                (Some(s), _) => format!("{s:.0}"),
                (None, _) => "n/a".into(),
            };
            let ratio = base.map_or("".into(), |b| format!("{:.2}x", b.as_secs_f64() / r.cpu.median.as_secs_f64()));
            eprintln!(
                "| {set} | {} | {} ({} pass{}) | {settled} | {:.3} / {:.3} ms | {:.3} / {:.3} ms | {ratio} |",
                r.method.name(),
                r.queries,
                r.passes,
                if r.passes == 1 { "" } else { "es" },
                ms(r.cpu.median),
                ms(r.cpu.p99),
                ms(r.wall.median),
                ms(r.wall.p99),
            );
        }
    }
    eprintln!();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    cpu_pressure("at start");
    for w in workloads() {
        bench_map(&mut c, &w);
        cpu_pressure(&format!("after {}", w.name));
    }
    c.final_summary();
}
