//! What the benches share: the fixed query sets (fixed-seed xorshift, identical on every run),
//! map loading, per-query CPU time and the machine's CPU pressure.
#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hunt_core::{Cost, Map, Node};

/// Queries per set in a real bench run.
pub const QUERIES: usize = 1_000;
/// Local targets are the k-th settled node from the source, k in this range.
pub const LOCAL_RANK: std::ops::RangeInclusive<usize> = 1_000..=4_000;
pub const SEED_RANDOM: u64 = 0x5eed_0001_9e37_79b9;
pub const SEED_LOCAL: u64 = 0x5eed_0002_7f4a_7c15;

/// A small deterministic generator (xorshift64), so the query sets never change.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One (source, target) query in dense node indices.
#[derive(Clone, Copy, Debug)]
pub struct Pair {
    pub from: Node,
    pub to: Node,
}

pub fn bench_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list")
}

pub fn query_count() -> usize {
    if bench_mode() { QUERIES } else { 10 }
}

/// A file of `shared/data/roads/` (next to the workspace).
pub fn roads(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/roads").join(file)
}

pub fn rome_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/rome99.gr.gz")
}

/// Reads a map file and builds it in one `Map::add_edges` call; prints the times.
pub fn build(name: &str, path: &Path) -> (Map, Vec<hunt_core::EdgeSpec>) {
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
    (map, edges)
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
pub fn thread_cpu_time() -> Option<Duration> {
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
pub fn thread_cpu_time() -> Option<Duration> {
    None
}

/// Prints the kernel's CPU pressure (share of time some task waited for a CPU), so numbers
/// taken on a busy shared machine say how busy it was.
pub fn cpu_pressure(when: &str) {
    if !bench_mode() {
        return;
    }
    if let Ok(text) = std::fs::read_to_string("/proc/pressure/cpu") {
        let some = text.lines().next().unwrap_or("").trim_start_matches("some ");
        eprintln!("[cpu pressure {when}] {some}");
    }
}

/// Latency summary of individually timed calls.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    pub median: Duration,
    pub p99: Duration,
    pub mean: Duration,
    pub max: Duration,
}

pub fn stats(times: &[Duration]) -> Stats {
    let mut times = times.to_vec();
    times.sort_unstable();
    let q = |f: f64| times[((times.len() - 1) as f64 * f).round() as usize];
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    Stats { median: q(0.5), p99: q(0.99), mean, max: times[times.len() - 1] }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "median {:.3} ms, p99 {:.3} ms, mean {:.3} ms, max {:.3} ms",
            ms(self.median),
            ms(self.p99),
            ms(self.mean),
            ms(self.max)
        )
    }
}
