//! Criterion benches of the live map on USA-road-d.NY: weight-change batches, searches with a
//! class mask and with closures, searches before and after 10,000 weight changes,
//! `Search::reach` and `Search::costs` matrices.
//!
//! `cargo bench --bench live` loads NY from `shared/data/roads/` with its coordinates and 8
//! landmarks (the state of a map after `HUNT.NODES` and `HUNT.LANDMARKS`, where `AUTO` uses
//! ALT), gives 10% of the edges class 1 (`Map::add_edges(.., class 1, ..)` on existing pairs:
//! no new edge) and uses the `local` query set of the search bench (same seed, same pairs).
//!
//! - `set_weights/{1,100,10000}`: one `Map::set_weights` call on one map, alternating two
//!   weight sets for the same random existing edges (the file's weight + 10%, and the file's
//!   weight: both at or above the weights the landmarks were computed with, so they stay
//!   valid, as for traffic slowing down and clearing). The very first call after the
//!   landmarks is timed separately: it copies the weight array shared with them.
//! - `path/{plain,mask,closed}`: the local set with `Algo::Auto`, default query; with
//!   `MASK` excluding class 1; with 1% of edges closed (`Map::set_closed`).
//! - `path/{before,after}`: the local set before and after 10,000 weight changes.
//! - `reach`: `Search::reach` from 100 random sources with a cost bound chosen so that a
//!   median source returns ~2,500 nodes.
//! - `matrix/{10,100}`: `Search::costs` for 10x10 and 100x100 matrices, sources and targets
//!   drawn from one neighbourhood (the first 200 nodes settled from a random node), over 20
//!   neighbourhoods.
//!
//! Before criterion runs, it prints per-call medians and p99 (each call timed individually).
//! Without the NY file it prints a message and exits. Under `cargo test --all-targets` it
//! only smoke-tests.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::*;
use criterion::{Criterion, SamplingMode, Throughput};
use hunt_core::{Algo, Cost, EdgeSpec, Map, Node, Query, Search};

const SEED_EDGES: u64 = 0x5eed_0004_0000_0001;
const SEED_CLASS: u64 = 0x5eed_0004_0000_0002;
const SEED_CLOSED: u64 = 0x5eed_0004_0000_0003;
const SEED_REACH: u64 = 0x5eed_0004_0000_0004;
const SEED_MATRIX: u64 = 0x5eed_0004_0000_0005;
const CLASS_MASK: u16 = !(1 << 1);

/// `count` distinct random edges of the file, each with two weight sets: up 10%, and back.
fn weight_sets(edges: &[EdgeSpec], count: usize, seed: u64) -> [Vec<EdgeSpec>; 2] {
    let mut rng = Rng(seed);
    let mut seen = std::collections::HashSet::new();
    let mut up = Vec::with_capacity(count);
    while up.len() < count.min(edges.len()) {
        let e = edges[rng.below(edges.len() as u64) as usize];
        if seen.insert((e.from, e.to)) {
            up.push(EdgeSpec { weight: e.weight + e.weight / 10 + 1, ..e });
        }
    }
    let back = up.iter().map(|e| EdgeSpec { weight: e.weight - e.weight / 11 - 1, ..*e }).collect::<Vec<_>>();
    // Exactly the file's weights back.
    let originals: std::collections::HashMap<_, _> = edges.iter().map(|e| ((e.from, e.to), e.weight)).collect();
    let back = back.into_iter().map(|e| EdgeSpec { weight: originals[&(e.from, e.to)], ..e }).collect();
    [up, back]
}

/// Times `f` once per item, after one untimed call; the per-call stats of thread CPU time
/// (wall time where unavailable) and of wall time.
fn per_call<T>(items: &[T], mut f: impl FnMut(&T)) -> (Stats, Stats) {
    f(&items[0]);
    let mut cpu = Vec::with_capacity(items.len());
    let mut wall = Vec::with_capacity(items.len());
    for item in items {
        let c = thread_cpu_time();
        let started = Instant::now();
        f(item);
        let took = started.elapsed();
        wall.push(took);
        cpu.push(match (thread_cpu_time(), c) {
            (Some(end), Some(start)) => end.saturating_sub(start),
            _ => took,
        });
    }
    (stats(&cpu), stats(&wall))
}

fn report(what: &str, (cpu, wall): (Stats, Stats)) {
    eprintln!("[ny/{what}] CPU {cpu}");
    eprintln!("[ny/{what}] wall {wall}");
}

/// The local set with one method, each query timed (best of 3 passes); mean settled nodes.
fn path_pass(what: &str, map: &Map, pairs: &[Pair], query: &Query, algo: Algo) -> Vec<Option<Cost>> {
    let mut search = Search::new();
    let _ = search.path_with(map, 0, 0, query, algo);
    let mut best = vec![Duration::MAX; pairs.len()];
    let mut best_wall = vec![Duration::MAX; pairs.len()];
    let mut costs = Vec::new();
    let mut settled = 0;
    for pass in 0..3 {
        for (i, p) in pairs.iter().enumerate() {
            let c = thread_cpu_time();
            let started = Instant::now();
            let route = black_box(search.path_with(map, p.from, p.to, query, algo).expect("a query"));
            let took = started.elapsed();
            best_wall[i] = best_wall[i].min(took);
            best[i] = best[i].min(match (thread_cpu_time(), c) {
                (Some(end), Some(start)) => end.saturating_sub(start),
                _ => took,
            });
            if pass == 0 {
                settled += search.settled();
                costs.push(route.map(|r| r.cost));
            }
        }
    }
    let unreachable = costs.iter().filter(|c| c.is_none()).count();
    eprintln!(
        "[ny/path/{what}/{}] {} queries: mean settled {:.0}, {unreachable} unreachable; CPU best of 3: {}; wall best of 3: {}",
        algo.name(),
        pairs.len(),
        settled as f64 / pairs.len() as f64,
        stats(&best),
        stats(&best_wall)
    );
    costs
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let gr = roads("USA-road-d.NY.gr.gz");
    let co = roads("USA-road-d.NY.co.gz");
    if !gr.exists() || !co.exists() {
        eprintln!("skipping the live-map benches: {} or {} not found", gr.display(), co.display());
        return;
    }
    cpu_pressure("at start");
    let (mut map, edges) = build("ny", &gr);
    map.set_coordinates(&hunt_load::read_coordinates(&co).expect("read coordinates")).expect("coordinates");
    let started = Instant::now();
    map.compute_landmarks(8);
    eprintln!(
        "[ny] compute_landmarks(8) {:.3} s; Auto uses {}",
        started.elapsed().as_secs_f64(),
        Search::choose(&map).name()
    );

    // 10% of the edges get class 1: existing pairs, so no edge is new and nothing is rebuilt.
    let mut rng = Rng(SEED_CLASS);
    let class1: Vec<EdgeSpec> = edges.iter().copied().filter(|_| rng.below(10) == 0).collect();
    let started = Instant::now();
    let added = map.add_edges(&class1, 1, usize::MAX).expect("class 1");
    assert_eq!(added, 0);
    eprintln!("[ny] {} edges (10%) set to class 1 in {:.3} s", class1.len(), started.elapsed().as_secs_f64());
    assert_eq!(Search::choose(&map), Algo::Alt, "landmarks still valid after the class change");

    let count = query_count();
    let local = local_pairs(&map, count, SEED_LOCAL);

    // Weight-change batches.
    let sizes = [1usize, 100, 10_000];
    let sets: Vec<[Vec<EdgeSpec>; 2]> = sizes.iter().map(|&k| weight_sets(&edges, k, SEED_EDGES ^ k as u64)).collect();
    {
        let started = Instant::now();
        map.set_weights(&sets[2][0]).expect("existing edges");
        let first = started.elapsed();
        let started = Instant::now();
        map.set_weights(&sets[2][1]).expect("existing edges");
        eprintln!(
            "[ny/set_weights/10000] first call after compute_landmarks {:.3} ms (copies the weight array shared with the landmarks), next {:.3} ms",
            ms(first),
            ms(started.elapsed())
        );
    }
    assert_eq!(Search::choose(&map), Algo::Alt, "raised weights keep the landmarks");
    if bench_mode() {
        for (k, set) in sizes.iter().zip(&sets) {
            let rounds = if *k == 10_000 { 200 } else { 2_000 };
            let mut flip = 0;
            let calls: Vec<usize> = (0..rounds).collect();
            report(
                &format!("set_weights/{k}"),
                per_call(&calls, |_| {
                    flip ^= 1;
                    black_box(map.set_weights(&set[flip]).expect("existing edges"));
                }),
            );
        }
        // Leave the map at the file's weights.
        map.set_weights(&sets[2][1]).unwrap();
    }
    let mut group = c.benchmark_group("ny/set_weights");
    group.sampling_mode(SamplingMode::Flat).sample_size(20).warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    for (k, set) in sizes.iter().zip(&sets) {
        let mut flip = 0;
        group.throughput(Throughput::Elements(*k as u64));
        group.bench_function(k.to_string(), |b| {
            b.iter(|| {
                flip ^= 1;
                black_box(map.set_weights(black_box(&set[flip])).expect("existing edges"))
            })
        });
    }
    group.finish();
    map.set_weights(&sets[2][1]).unwrap();
    assert_eq!(Search::choose(&map), Algo::Alt);

    // Paths: plain, with a mask, with closures; before and after 10,000 weight changes.
    let plain = Query::default();
    let masked = Query { mask: CLASS_MASK, ..Query::default() };
    let mut rng = Rng(SEED_CLOSED);
    let closures: Vec<(u64, u64)> = edges.iter().filter(|_| rng.below(100) == 0).map(|e| (e.from, e.to)).collect();
    let path_group = |c: &mut Criterion, map: &Map, what: &str, query: &Query| {
        let mut group = c.benchmark_group("ny/path");
        group.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(3)).throughput(Throughput::Elements(100));
        let mut search = Search::new();
        let mut cursor = 0;
        group.bench_function(what, |b| {
            b.iter(|| {
                let mut total = 0;
                for p in &local[cursor..cursor + local.len().div_ceil(10)] {
                    total += search.path_with(map, p.from, p.to, query, Algo::Auto).unwrap().map_or(0, |r| r.cost);
                }
                cursor = (cursor + local.len().div_ceil(10)) % local.len();
                total
            })
        });
        group.finish();
    };
    if bench_mode() {
        for algo in [Algo::Auto, Algo::Dijkstra] {
            path_pass("plain", &map, &local, &plain, algo);
            path_pass("mask", &map, &local, &masked, algo);
        }
    }
    path_group(&mut c, &map, "plain", &plain);
    path_group(&mut c, &map, "mask", &masked);
    let started = Instant::now();
    let closed = map.set_closed(&closures, true).expect("existing edges");
    eprintln!(
        "[ny] {closed} edges (1%) closed in {:.3} ms; Auto uses {}",
        ms(started.elapsed()),
        Search::choose(&map).name()
    );
    if bench_mode() {
        for algo in [Algo::Auto, Algo::Dijkstra] {
            path_pass("closed", &map, &local, &plain, algo);
        }
    }
    path_group(&mut c, &map, "closed", &plain);
    map.set_closed(&closures, false).expect("existing edges");

    if bench_mode() {
        for algo in [Algo::Auto, Algo::Dijkstra] {
            path_pass("before", &map, &local, &plain, algo);
        }
    }
    path_group(&mut c, &map, "before", &plain);
    let started = Instant::now();
    map.set_weights(&sets[2][0]).expect("existing edges");
    eprintln!(
        "[ny] 10,000 weights raised in {:.3} ms; Auto uses {} (landmarks valid: {})",
        ms(started.elapsed()),
        Search::choose(&map).name(),
        map.landmark_info().1
    );
    if bench_mode() {
        for algo in [Algo::Auto, Algo::Dijkstra] {
            path_pass("after", &map, &local, &plain, algo);
        }
    }
    path_group(&mut c, &map, "after", &plain);
    map.set_weights(&sets[2][1]).expect("existing edges");

    // Reach with a cost bound: the median cost of the 2,500th node settled from 100 sources.
    let mut search = Search::new();
    let mut out = Vec::new();
    let mut rng = Rng(SEED_REACH);
    let n = map.node_count() as u64;
    let sources: Vec<Node> = (0..100).map(|_| rng.below(n) as Node).collect();
    let mut kth: Vec<Cost> = sources
        .iter()
        .map(|&s| {
            search.reach(&map, s, 2_500, &plain, &mut out).unwrap();
            out.last().unwrap().1
        })
        .collect();
    kth.sort_unstable();
    let bound = Query { max_cost: kth[kth.len() / 2], ..Query::default() };
    let mut sizes_reached: Vec<usize> = sources
        .iter()
        .map(|&s| {
            search.reach(&map, s, usize::MAX, &bound, &mut out).unwrap();
            out.len()
        })
        .collect();
    sizes_reached.sort_unstable();
    eprintln!(
        "[ny/reach] MAXCOST {}: nodes returned median {}, p10 {}, p90 {}, min {}, max {}",
        bound.max_cost, sizes_reached[50], sizes_reached[10], sizes_reached[90], sizes_reached[0], sizes_reached[99]
    );
    if bench_mode() {
        report("reach", per_call(&sources, |&s| search.reach(&map, s, usize::MAX, &bound, &mut out).unwrap()));
    }
    {
        let mut group = c.benchmark_group("ny/reach");
        group.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(3)).throughput(Throughput::Elements(10));
        let mut cursor = 0;
        group.bench_function("maxcost", |b| {
            b.iter(|| {
                for &s in &sources[cursor..cursor + 10] {
                    search.reach(&map, s, usize::MAX, &bound, &mut out).unwrap();
                }
                cursor = (cursor + 10) % sources.len();
                out.len()
            })
        });
        group.finish();
    }

    // Matrices of local nodes.
    let mut rng = Rng(SEED_MATRIX);
    let hoods: Vec<Vec<Node>> = (0..20)
        .map(|_| {
            search.reach(&map, rng.below(n) as Node, 200, &plain, &mut out).unwrap();
            out.iter().map(|&(v, _)| v).collect()
        })
        .collect();
    let mut row = Vec::new();
    for size in [10usize, 100] {
        let matrices: Vec<(Vec<Node>, Vec<Node>)> = hoods
            .iter()
            .map(|hood| {
                let mut pick = |k: usize| -> Vec<Node> {
                    let mut h = hood.clone();
                    for i in 0..k {
                        let j = i + rng.below((h.len() - i) as u64) as usize;
                        h.swap(i, j);
                    }
                    h.truncate(k);
                    h
                };
                (pick(size), pick(size))
            })
            .collect();
        let mut matrix = |(from, to): &(Vec<Node>, Vec<Node>), search: &mut Search| {
            let mut settled = 0;
            for &s in from {
                search.costs(&map, s, to, &plain, &mut row).unwrap();
                settled += search.settled();
                black_box(&row);
            }
            settled
        };
        let settled: usize = matrices.iter().map(|m| matrix(m, &mut search)).sum();
        eprintln!("[ny/matrix/{size}x{size}] mean settled per matrix {:.0}", settled as f64 / matrices.len() as f64);
        if bench_mode() {
            report(
                &format!("matrix/{size}x{size}"),
                per_call(&matrices, |m| {
                    matrix(m, &mut search);
                }),
            );
        }
        let mut group = c.benchmark_group("ny/matrix");
        group.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(3)).throughput(Throughput::Elements(2));
        let mut cursor = 0;
        group.bench_function(format!("{size}x{size}"), |b| {
            b.iter(|| {
                let total = matrix(&matrices[cursor], &mut search) + matrix(&matrices[cursor + 1], &mut search);
                cursor = (cursor + 2) % matrices.len();
                total
            })
        });
        group.finish();
    }
    cpu_pressure("at end");
    c.final_summary();
}
