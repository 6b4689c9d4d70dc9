//! Shortest paths on a [`Map`].
//!
//! A `Search` owns the per-query scratch (distances, parents, marks) and is reused across
//! queries and maps: nothing is allocated per query once it has grown to the largest map, and
//! resetting is O(1) by bumping a generation counter instead of clearing O(nodes) arrays.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::map::{ALL_CLASSES, Cost, Map, Node};

/// What a query may use: edge classes, nodes to keep out of, and a cost bound.
#[derive(Clone, Debug)]
pub struct Query {
    pub mask: u16,
    pub avoid: Vec<Node>,
    pub max_cost: Cost,
}

impl Default for Query {
    fn default() -> Query {
        Query { mask: ALL_CLASSES, avoid: Vec::new(), max_cost: Cost::MAX }
    }
}

/// A least-cost path, as dense nodes from source to target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub cost: Cost,
    pub path: Vec<Node>,
}

#[derive(Default)]
pub struct Search {
    dist: Vec<Cost>,
    parent: Vec<Node>,
    /// `reached[v] == generation` means `dist[v]` and `parent[v]` belong to this query.
    reached: Vec<u32>,
    /// `avoided[v] == generation` means the query may not enter `v`.
    avoided: Vec<u32>,
    generation: u32,
    heap: BinaryHeap<Reverse<(Cost, Node)>>,
    settled: usize,
    /// `target_marks[v] == row`: `v` is a target of the current matrix row, not settled yet.
    target_marks: Vec<u64>,
    row: u64,
}

impl Search {
    pub fn new() -> Search {
        Search::default()
    }

    /// Nodes settled by the last query: the work it did.
    pub fn settled(&self) -> usize {
        self.settled
    }

    /// Starts a query on a map of `n` nodes: grows the scratch if needed and invalidates
    /// every mark of earlier queries by moving to a new generation.
    fn reset(&mut self, n: usize, query: &Query) {
        if self.dist.len() < n {
            self.dist.resize(n, 0);
            self.parent.resize(n, 0);
            self.reached.resize(n, 0);
            self.avoided.resize(n, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Once in 2^32 queries the marks could alias: clear them for real.
            self.reached.iter_mut().for_each(|g| *g = 0);
            self.avoided.iter_mut().for_each(|g| *g = 0);
            self.generation = 1;
        }
        for &v in &query.avoid {
            if let Some(mark) = self.avoided.get_mut(v as usize) {
                *mark = self.generation;
            }
        }
        self.heap.clear();
        self.settled = 0;
    }

    fn cost_of(&self, v: Node) -> Option<Cost> {
        (self.reached[v as usize] == self.generation).then(|| self.dist[v as usize])
    }

    /// Dijkstra from `from`, stopping once `to` is settled. `None` when `to` cannot be reached
    /// within the query's limits.
    pub fn path(&mut self, map: &Map, from: Node, to: Node, query: &Query) -> Option<Route> {
        self.run(map, from, query, |v, _| v == to)?;
        let cost = self.cost_of(to)?;
        let mut path = vec![to];
        let mut v = to;
        while v != from {
            v = self.parent[v as usize];
            path.push(v);
        }
        path.reverse();
        Some(Route { cost, path })
    }

    /// Every node reachable from `from` within the query's limits, with its cost, nearest
    /// first; at most `limit` of them (the source included, at cost 0).
    pub fn reach(&mut self, map: &Map, from: Node, limit: usize, query: &Query, out: &mut Vec<(Node, Cost)>) {
        out.clear();
        if limit == 0 {
            return;
        }
        self.run(map, from, query, |v, cost| {
            out.push((v, cost));
            out.len() >= limit
        });
    }

    /// The cost from `from` to each of `targets` (`None` where unreachable), in the order
    /// given. The search stops as soon as every target is settled.
    pub fn costs(&mut self, map: &Map, from: Node, targets: &[Node], query: &Query, out: &mut Vec<Option<Cost>>) {
        self.target_marks.resize(map.node_count(), 0);
        self.row += 1;
        let row = self.row;
        let mut pending = 0;
        for &t in targets {
            if self.target_marks[t as usize] != row {
                self.target_marks[t as usize] = row;
                pending += 1;
            }
        }
        if pending > 0 {
            // The closure needs the marks while `run` needs the rest of `self`.
            let mut marks = std::mem::take(&mut self.target_marks);
            self.run(map, from, query, |v, _| {
                if marks[v as usize] == row {
                    marks[v as usize] = 0; // counted once
                    pending -= 1;
                }
                pending == 0
            });
            self.target_marks = marks;
        }
        out.clear();
        out.extend(targets.iter().map(|&t| self.cost_of(t)));
    }

    /// Runs Dijkstra from `from` until `stop` accepts a settled node (its node is returned) or
    /// everything within the limits is settled (`None`).
    fn run(&mut self, map: &Map, from: Node, query: &Query, mut stop: impl FnMut(Node, Cost) -> bool) -> Option<Node> {
        let n = map.node_count();
        self.reset(n, query);
        let generation = self.generation;
        let (first, head, weight, flags) = map.csr();
        let mask = query.mask;
        self.dist[from as usize] = 0;
        self.reached[from as usize] = generation;
        self.heap.push(Reverse((0, from)));
        while let Some(Reverse((d, u))) = self.heap.pop() {
            if d > self.dist[u as usize] {
                continue; // a stale entry: u was settled with a smaller cost already
            }
            self.settled += 1;
            if stop(u, d) {
                return Some(u);
            }
            for e in first[u as usize] as usize..first[u as usize + 1] as usize {
                let f = flags[e];
                if f & 0x10 != 0 || mask & (1 << (f & 0x0f)) == 0 {
                    continue;
                }
                let v = head[e];
                let nd = d + weight[e] as Cost;
                if nd > query.max_cost || self.avoided[v as usize] == generation {
                    continue;
                }
                if self.reached[v as usize] != generation || nd < self.dist[v as usize] {
                    self.reached[v as usize] = generation;
                    self.dist[v as usize] = nd;
                    self.parent[v as usize] = u;
                    self.heap.push(Reverse((nd, v)));
                }
            }
        }
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::map::{EdgeSpec, MAX_NODE_ID, NodeId};

    /// A small deterministic generator, so failures reproduce from the printed seed.
    pub(crate) struct Rng(pub u64);
    impl Rng {
        pub(crate) fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// Bellman-Ford over the user's edge list: slow, obviously right.
    pub(crate) fn oracle(edges: &[(NodeId, NodeId, u64)], from: NodeId, to: NodeId) -> Option<u64> {
        let mut dist = std::collections::HashMap::from([(from, 0u64)]);
        loop {
            let mut changed = false;
            for &(u, v, w) in edges {
                if let Some(&du) = dist.get(&u) {
                    if dist.get(&v).is_none_or(|&dv| du + w < dv) {
                        dist.insert(v, du + w);
                        changed = true;
                    }
                }
            }
            if !changed {
                return dist.get(&to).copied();
            }
        }
    }

    pub(crate) fn random_graph(rng: &mut Rng) -> Vec<EdgeSpec> {
        let nodes = 1 + rng.below(12);
        let huge = rng.below(2) == 0;
        let id = |k: u64| if huge { MAX_NODE_ID - k * 977 } else { k };
        (0..rng.below(40))
            .map(|_| EdgeSpec {
                from: id(rng.below(nodes)),
                to: id(rng.below(nodes)),
                weight: [0, 1, 2, 5, 100, u32::MAX][rng.below(6) as usize],
            })
            .collect()
    }

    /// The map keeps the last weight of a repeated pair; the oracle must see the same edges.
    pub(crate) fn effective_edges(spec: &[EdgeSpec]) -> Vec<(NodeId, NodeId, u64)> {
        let mut last = std::collections::HashMap::new();
        for e in spec {
            last.insert((e.from, e.to), e.weight as u64);
        }
        last.into_iter().map(|((u, v), w)| (u, v, w)).collect()
    }

    #[test]
    fn dijkstra_matches_bellman_ford_on_random_graphs() {
        let mut search = Search::new();
        for seed in 1..3000u64 {
            let mut rng = Rng(seed * 0x9e37_79b9_7f4a_7c15);
            let spec = random_graph(&mut rng);
            let mut map = Map::new();
            // Add in two batches, so appends to a built map are covered too.
            let half = spec.len() / 2;
            map.add_edges(&spec[..half], 0, usize::MAX).unwrap();
            map.add_edges(&spec[half..], 0, usize::MAX).unwrap();
            let edges = effective_edges(&spec);
            for _ in 0..8 {
                if map.node_count() == 0 {
                    break;
                }
                let (s, t) = (rng.below(map.node_count() as u64) as Node, rng.below(map.node_count() as u64) as Node);
                let (from, to) = (map.id(s), map.id(t));
                let got = search.path(&map, s, t, &Query::default());
                assert_eq!(got.as_ref().map(|r| r.cost), oracle(&edges, from, to), "seed {seed} {from}->{to}");
                if let Some(route) = got {
                    assert_eq!(route.path.first(), Some(&s));
                    assert_eq!(route.path.last(), Some(&t));
                    let sum: u64 = route
                        .path
                        .windows(2)
                        .map(|w| map.weight(map.edge(w[0], w[1]).expect("path uses a real edge")) as u64)
                        .sum();
                    assert_eq!(sum, route.cost, "seed {seed}");
                }
            }
        }
    }

    #[test]
    fn source_is_its_own_target_at_cost_zero() {
        let mut map = Map::new();
        map.add_edges(&[EdgeSpec { from: 4, to: 5, weight: 3 }], 0, usize::MAX).unwrap();
        let route = Search::new().path(&map, 1, 1, &Query::default()).unwrap();
        assert_eq!(route, Route { cost: 0, path: vec![1] });
    }

    #[test]
    fn scratch_is_reused_across_maps_of_different_sizes() {
        let mut search = Search::new();
        let mut big = Map::new();
        let chain: Vec<EdgeSpec> = (0..100).map(|k| EdgeSpec { from: k, to: k + 1, weight: 1 }).collect();
        big.add_edges(&chain, 0, usize::MAX).unwrap();
        let mut small = Map::new();
        small.add_edges(&chain[..2], 0, usize::MAX).unwrap();
        assert_eq!(search.path(&big, 0, 100, &Query::default()).unwrap().cost, 100);
        assert_eq!(search.path(&small, 0, 2, &Query::default()).unwrap().cost, 2);
        assert!(search.path(&small, 2, 0, &Query::default()).is_none());
        assert_eq!(search.path(&big, 0, 100, &Query::default()).unwrap().path.len(), 101);
    }
}
