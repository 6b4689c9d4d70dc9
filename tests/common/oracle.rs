//! An oracle for shortest paths that shares no code with hunt: its own DIMACS reader (every
//! arc kept, parallel arcs included) and a textbook Dijkstra over an adjacency list.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::Route;

/// A small deterministic generator (xorshift64), so every run asks the same questions.
pub struct XorShift(pub u64);

impl XorShift {
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

/// Every `a from to weight` arc of a DIMACS `.gr` file (gzip if the name ends in `.gz`).
pub fn read_dimacs(path: &Path) -> Vec<(u64, u64, u64)> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let raw: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut arcs = Vec::new();
    for line in BufReader::new(raw).lines() {
        let line = line.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut words = line.split_whitespace();
        if words.next() != Some("a") {
            continue;
        }
        let mut number = || -> u64 {
            words
                .next()
                .and_then(|w| w.parse().ok())
                .unwrap_or_else(|| panic!("{}: bad arc line {line:?}", path.display()))
        };
        let (from, to, weight) = (number(), number(), number());
        arcs.push((from, to, weight));
    }
    arcs
}

/// What a query may use, as `HUNT.PATH`'s options say: edge classes (`MASK`), nodes it may
/// not enter (`AVOID`; the source itself is allowed) and a cost bound (`MAXCOST`).
#[derive(Clone, Debug)]
pub struct Limits {
    pub mask: u16,
    pub avoid: Vec<u64>,
    pub max_cost: Option<u64>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { mask: u16::MAX, avoid: Vec::new(), max_cost: None }
    }
}

/// A directed graph as adjacency lists over the node ids that appear in its arcs.
pub struct Graph {
    /// Every node id, ascending.
    pub ids: Vec<u64>,
    index: HashMap<u64, usize>,
    /// `adj[u]` lists `(v, weight, class)` for every arc `u -> v`, parallel arcs included.
    adj: Vec<Vec<(usize, u64, u8)>>,
}

impl Graph {
    /// A graph whose arcs are all of class 0.
    pub fn new(arcs: &[(u64, u64, u64)]) -> Graph {
        Graph::with_classes(arcs, |_, _| 0)
    }

    /// A graph whose arc `u -> v` has class `class_of(u, v)`.
    pub fn with_classes(arcs: &[(u64, u64, u64)], class_of: impl Fn(u64, u64) -> u8) -> Graph {
        let mut ids: Vec<u64> = arcs.iter().flat_map(|&(u, v, _)| [u, v]).collect();
        ids.sort_unstable();
        ids.dedup();
        let index: HashMap<u64, usize> = ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        let mut adj = vec![Vec::new(); ids.len()];
        for &(u, v, w) in arcs {
            adj[index[&u]].push((index[&v], w, class_of(u, v)));
        }
        Graph { ids, index, adj }
    }

    /// How many distinct `(from, to)` pairs the arcs have: the edges a map of them holds.
    pub fn distinct_pairs(&self) -> usize {
        self.adj
            .iter()
            .map(|out| {
                let mut heads: Vec<usize> = out.iter().map(|&(v, _, _)| v).collect();
                heads.sort_unstable();
                heads.dedup();
                heads.len()
            })
            .sum()
    }

    /// Dijkstra's algorithm from `from` within `limits`: the least cost of every node, `None`
    /// where unreachable. Stops early once `stop_at` is settled.
    fn dijkstra(&self, from: usize, stop_at: Option<usize>, limits: &Limits) -> Vec<Option<u64>> {
        let mut avoided = vec![false; self.ids.len()];
        for id in &limits.avoid {
            if let Some(&v) = self.index.get(id) {
                avoided[v] = true;
            }
        }
        let mut dist: Vec<Option<u64>> = vec![None; self.ids.len()];
        let mut done = vec![false; self.ids.len()];
        let mut heap = BinaryHeap::new();
        dist[from] = Some(0);
        heap.push(Reverse((0u64, from)));
        while let Some(Reverse((d, u))) = heap.pop() {
            if done[u] {
                continue;
            }
            done[u] = true;
            if Some(u) == stop_at {
                break;
            }
            for &(v, w, class) in &self.adj[u] {
                if limits.mask & (1 << class) == 0 || avoided[v] {
                    continue;
                }
                let candidate = d + w;
                if limits.max_cost.is_some_and(|max| candidate > max) {
                    continue;
                }
                if dist[v].is_none_or(|old| candidate < old) {
                    dist[v] = Some(candidate);
                    heap.push(Reverse((candidate, v)));
                }
            }
        }
        dist
    }

    /// The least cost from `from` to `to`, or `None` when `to` cannot be reached.
    pub fn cost(&self, from: u64, to: u64) -> Option<u64> {
        self.cost_within(from, to, &Limits::default())
    }

    /// The least cost from `from` to `to` within `limits`.
    pub fn cost_within(&self, from: u64, to: u64, limits: &Limits) -> Option<u64> {
        let (s, t) = (self.index[&from], self.index[&to]);
        self.dijkstra(s, Some(t), limits)[t]
    }

    /// The least costs from `from` to each of `targets` (one search for all of them).
    pub fn costs(&self, from: u64, targets: &[u64]) -> Vec<Option<u64>> {
        let dist = self.dijkstra(self.index[&from], None, &Limits::default());
        targets.iter().map(|t| dist[self.index[t]]).collect()
    }

    /// The reachable node farthest from `from` (by cost): a pair that crosses the map.
    pub fn farthest(&self, from: u64) -> u64 {
        let dist = self.dijkstra(self.index[&from], None, &Limits::default());
        let far =
            (0..self.ids.len()).filter_map(|v| dist[v].map(|d| (d, v))).max().map_or(self.index[&from], |(_, v)| v);
        self.ids[far]
    }

    /// The weight of the cheapest arc `from -> to` whose class `mask` allows, if any.
    pub fn arc_weight(&self, from: u64, to: u64, mask: u16) -> Option<u64> {
        let (u, v) = (*self.index.get(&from)?, *self.index.get(&to)?);
        self.adj[u].iter().filter(|&&(head, _, class)| head == v && mask & (1 << class) != 0).map(|&(_, w, _)| w).min()
    }

    /// Checks a route from the server: it starts at `from`, ends at `to`, every step is a
    /// real arc, the steps' weights add up to the route's cost, and that cost is the least.
    pub fn check_route(&self, from: u64, to: u64, route: &Route, expected_cost: u64) {
        self.check_route_within(from, to, route, expected_cost, &Limits::default());
    }

    /// Like `check_route`, and the route keeps to `limits`: only allowed classes, no avoided
    /// node after the source, no more than the cost bound.
    pub fn check_route_within(&self, from: u64, to: u64, route: &Route, expected_cost: u64, limits: &Limits) {
        let what = format!("{from}->{to} {limits:?}");
        assert_eq!(route.path.first(), Some(&from), "{what}: path starts wrong: {route:?}");
        assert_eq!(route.path.last(), Some(&to), "{what}: path ends wrong: {route:?}");
        let mut sum = 0;
        for step in route.path.windows(2) {
            sum += self.arc_weight(step[0], step[1], limits.mask).unwrap_or_else(|| {
                panic!("{what}: the path uses {} -> {}, which is no usable arc: {route:?}", step[0], step[1])
            });
        }
        for node in &route.path[1..] {
            assert!(!limits.avoid.contains(node), "{what}: the path enters avoided node {node}: {route:?}");
        }
        assert_eq!(sum, route.cost, "{what}: the path's weights do not add up to its cost: {route:?}");
        assert_eq!(route.cost, expected_cost, "{what}: not the least cost: {route:?}");
    }
}
