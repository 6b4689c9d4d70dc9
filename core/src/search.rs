//! Shortest paths on a [`Map`]: Dijkstra, bidirectional Dijkstra, A* on coordinates and A*
//! with landmarks (ALT). All are exact, under every query option.
//!
//! A `Search` owns the per-query scratch (costs, parents, marks, heaps) and is reused across
//! queries and maps: nothing is allocated per query once it has grown to the largest map, and
//! it is reset in O(1) by moving to a new generation instead of clearing O(nodes) arrays.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::Error;
use crate::heap::QuadHeap;
use crate::landmarks::UNKNOWN;
use crate::map::{ALL_CLASSES, Cost, Map, Node};
use crate::trees::NO_NODE;

/// What a query may use: edge classes, nodes it may not enter, and a cost bound.
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

/// How to search for a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algo {
    /// The best available (see [`Search::choose`]).
    Auto,
    Dijkstra,
    Bidir,
    Astar,
    Alt,
}

impl Algo {
    pub fn parse(name: &[u8]) -> Option<Algo> {
        [
            ("AUTO", Algo::Auto),
            ("DIJKSTRA", Algo::Dijkstra),
            ("BIDIR", Algo::Bidir),
            ("ASTAR", Algo::Astar),
            ("ALT", Algo::Alt),
        ]
        .into_iter()
        .find(|(n, _)| name.eq_ignore_ascii_case(n.as_bytes()))
        .map(|(_, algo)| algo)
    }

    pub fn name(self) -> &'static str {
        match self {
            Algo::Auto => "auto",
            Algo::Dijkstra => "dijkstra",
            Algo::Bidir => "bidir",
            Algo::Astar => "astar",
            Algo::Alt => "alt",
        }
    }
}

/// A least-cost path, as dense nodes from source to target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub cost: Cost,
    pub path: Vec<Node>,
}

/// One node's state in one search direction. `mark == generation` means reached in this
/// query (cost and parent valid); `mark == generation + 1` means settled.
#[derive(Clone, Copy, Default)]
struct Slot {
    cost: Cost,
    parent: Node,
    mark: u32,
}

#[derive(Default)]
struct Side {
    slots: Vec<Slot>,
    heap: QuadHeap,
}

/// Which adjacency a side walks: out-edges (forward) or in-edges (backward).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Forward,
    Backward,
}

/// Edge filter: the class mask and which flag bits make an edge unusable.
#[derive(Clone, Copy)]
struct Filter {
    mask: u16,
    /// `0x10` (closed edges unusable) for queries, `0` for landmark precomputation.
    closed: u8,
    max_cost: Cost,
    /// The query avoids nodes: only then is the avoided-node table read (one cache miss less
    /// per edge otherwise).
    avoids: bool,
}

impl Filter {
    fn of(query: &Query) -> Filter {
        Filter { mask: query.mask, closed: 0x10, max_cost: query.max_cost, avoids: !query.avoid.is_empty() }
    }

    #[inline]
    fn usable(&self, flags: u8) -> bool {
        flags & self.closed == 0 && self.mask & (1 << (flags & 0x0f)) != 0
    }
}

/// The work of the current job: what was settled, what may still be, and who may cancel it.
#[derive(Default)]
struct Work {
    settled: usize,
    /// Settles left before the job must stop (see [`Search::limit`]), when `limited`.
    left: usize,
    limited: bool,
    cancel: Option<Arc<AtomicBool>>,
    /// The job ran out of budget or was cancelled.
    stopped: bool,
}

impl Work {
    /// Counts one settle; false when the job must stop instead.
    #[inline]
    fn settle(&mut self) -> bool {
        if self.limited {
            if self.left == 0
                || (self.settled % 4096 == 4095 && self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)))
            {
                self.stopped = true;
                return false;
            }
            self.left -= 1;
        }
        self.settled += 1;
        true
    }
}

pub struct Search {
    forward: Side,
    backward: Side,
    /// `avoided[v] == generation`: the query may not enter `v`.
    avoided: Vec<u32>,
    generation: u32,
    work: Work,
    /// `target_marks[v] == row`: `v` is a target of the current matrix row, not settled yet.
    target_marks: Vec<u64>,
    row: u64,
}

impl Default for Search {
    fn default() -> Search {
        Search {
            forward: Side::default(),
            backward: Side::default(),
            avoided: Vec::new(),
            generation: 0,
            work: Work::default(),
            target_marks: Vec::new(),
            row: 0,
        }
    }
}

impl Search {
    pub fn new() -> Search {
        Search::default()
    }

    /// Nodes settled since the last [`Search::limit`] (both directions, all queries): the
    /// work done.
    pub fn settled(&self) -> usize {
        self.work.settled
    }

    /// Starts a job: the queries that follow may settle at most `settles` nodes in all, and
    /// stop early once `cancel` is set. A query that has to stop replies
    /// `Error::SearchBudget` (or `Error::Cancelled`).
    pub fn limit(&mut self, settles: usize, cancel: Option<Arc<AtomicBool>>) {
        let limited = settles != usize::MAX || cancel.is_some();
        self.work = Work { settled: 0, left: settles, limited, cancel, stopped: false };
    }

    /// The error for a query that had to stop, if it had to.
    fn stopped(&self) -> Result<(), Error> {
        match &self.work {
            w if !w.stopped => Ok(()),
            w if w.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) => Err(Error::Cancelled),
            _ => Err(Error::SearchBudget),
        }
    }

    /// The method `Auto` uses on this map: ALT when it has valid landmarks, else A* when
    /// every node has coordinates, else bidirectional Dijkstra.
    pub fn choose(map: &Map) -> Algo {
        if map.landmarks().is_some() {
            Algo::Alt
        } else if map.has_coordinates() {
            Algo::Astar
        } else {
            Algo::Bidir
        }
    }

    /// Starts a query on a map of `n` nodes: grows the scratch if needed and invalidates every
    /// mark of earlier queries by moving to a new generation.
    fn reset(&mut self, n: usize, avoid: &[Node]) {
        if self.avoided.len() < n {
            self.forward.slots.resize(n, Slot::default());
            self.backward.slots.resize(n, Slot::default());
            self.avoided.resize(n, 0);
        }
        self.generation = self.generation.wrapping_add(2);
        if self.generation < 2 {
            // Once in 2^31 queries the marks could alias: clear them for real.
            self.forward.slots.iter_mut().for_each(|s| s.mark = 0);
            self.backward.slots.iter_mut().for_each(|s| s.mark = 0);
            self.avoided.iter_mut().for_each(|g| *g = 0);
            self.generation = 2;
        }
        for &v in avoid {
            if let Some(mark) = self.avoided.get_mut(v as usize) {
                *mark = self.generation;
            }
        }
        self.forward.heap.clear();
        self.backward.heap.clear();
        if !self.work.limited {
            self.work.settled = 0; // no job: count per query
        }
    }

    /// The least-cost path with the automatic choice of method. `None` when `to` cannot be
    /// reached within the query's limits.
    pub fn path(&mut self, map: &Map, from: Node, to: Node, query: &Query) -> Option<Route> {
        self.path_with(map, from, to, query, Algo::Auto).ok().flatten()
    }

    /// The least-cost path with a given method. Forcing A* on a map without coordinates for
    /// every node, or ALT without valid landmarks, is an error.
    pub fn path_with(
        &mut self,
        map: &Map,
        from: Node,
        to: Node,
        query: &Query,
        algo: Algo,
    ) -> Result<Option<Route>, Error> {
        let algo = if algo == Algo::Auto { Search::choose(map) } else { algo };
        self.reset(map.node_count(), &query.avoid);
        let filter = Filter::of(query);
        if from != to && self.avoided[to as usize] == self.generation {
            // Still refuse a method the map cannot run: the same request must not succeed or
            // fail depending on what it avoids (found by the commands fuzzer).
            return match algo {
                Algo::Astar if !map.has_coordinates() => Err(Error::NoCoordinates),
                Algo::Alt if map.landmarks().is_none() => Err(Error::NoLandmarks),
                _ => Ok(None),
            };
        }
        let found = match algo {
            Algo::Dijkstra | Algo::Auto => self.one_way(map, from, to, filter, |_| 0),
            Algo::Astar => {
                let bound = map.geo_bound(to).ok_or(Error::NoCoordinates)?;
                self.one_way(map, from, to, filter, |v| bound.at(v))
            }
            Algo::Alt => {
                let bound = map.landmarks().ok_or(Error::NoLandmarks)?.bound(to);
                self.one_way(map, from, to, filter, |v| bound.at(v))
            }
            Algo::Bidir => {
                let route = self.bidirectional(map, from, to, filter);
                self.stopped()?;
                return Ok(route);
            }
        };
        self.stopped()?;
        Ok(found.then(|| self.route(from, to)))
    }

    /// The path found by a one-way search, from the forward parents.
    fn route(&self, from: Node, to: Node) -> Route {
        let slots = &self.forward.slots;
        let mut path = vec![to];
        let mut v = to;
        while v != from {
            v = slots[v as usize].parent;
            path.push(v);
        }
        path.reverse();
        Route { cost: slots[to as usize].cost, path }
    }

    /// A* from `from` until `to` is settled, with `potential` a consistent lower bound of the
    /// cost to `to` (zero: plain Dijkstra). Returns whether `to` was reached.
    fn one_way(&mut self, map: &Map, from: Node, to: Node, filter: Filter, potential: impl Fn(Node) -> Cost) -> bool {
        self.start(Dir::Forward, from, potential(from));
        while let Some((u, _)) = self.settle_forward(map, filter, &potential) {
            if u == to {
                return true;
            }
        }
        false
    }

    fn start(&mut self, dir: Dir, node: Node, key: Cost) {
        let side = if dir == Dir::Forward { &mut self.forward } else { &mut self.backward };
        side.slots[node as usize] = Slot { cost: 0, parent: node, mark: self.generation };
        side.heap.push(key, node);
    }

    /// Settles the next node of the forward side (see [`settle_next`]).
    fn settle_forward(&mut self, map: &Map, filter: Filter, potential: &impl Fn(Node) -> Cost) -> Option<(Node, Cost)> {
        settle_next(
            &mut self.forward,
            &self.avoided,
            &mut self.work,
            map,
            Dir::Forward,
            filter,
            self.generation,
            potential,
            |_, _| {},
        )
    }

    /// Bidirectional Dijkstra. `best` is the cheapest s-t path seen through a node reached from
    /// both sides; the search stops when the smallest keys of the two heaps add up to at
    /// least `best`, since no path through an unsettled node can then be cheaper.
    fn bidirectional(&mut self, map: &Map, from: Node, to: Node, filter: Filter) -> Option<Route> {
        if from == to {
            return Some(Route { cost: 0, path: vec![from] });
        }
        let generation = self.generation;
        // The source may be avoided (it is never entered); the target was checked already.
        let source_avoided = std::mem::replace(&mut self.avoided[from as usize], 0);
        self.start(Dir::Forward, from, 0);
        self.start(Dir::Backward, to, 0);
        let mut best: Option<(Cost, Node)> = None;
        loop {
            let (Some(top_f), Some(top_b)) = (self.forward.heap.peek(), self.backward.heap.peek()) else { break };
            if best.is_some_and(|(b, _)| top_f.saturating_add(top_b) >= b) {
                break;
            }
            let forward_turn = self.forward.heap.len() <= self.backward.heap.len();
            let Search { forward, backward, avoided, work, .. } = self;
            let (side, other, dir) =
                if forward_turn { (forward, &*backward, Dir::Forward) } else { (backward, &*forward, Dir::Backward) };
            // Meeting points are checked as costs improve, against the other side's costs.
            let candidate = |v: Node, cost: Cost| {
                let o = other.slots[v as usize];
                if o.mark == generation || o.mark == generation + 1 {
                    let total = cost + o.cost;
                    if best.is_none_or(|(b, _)| total < b) {
                        best = Some((total, v));
                    }
                }
            };
            if settle_next(side, avoided, work, map, dir, filter, generation, &|_| 0, candidate).is_none() {
                break;
            }
        }
        self.avoided[from as usize] = source_avoided;
        let (cost, meet) = best?;
        if cost > filter.max_cost {
            return None;
        }
        let mut path = Vec::new();
        let mut v = meet;
        while v != from {
            path.push(v);
            v = self.forward.slots[v as usize].parent;
        }
        path.push(from);
        path.reverse();
        let mut v = meet;
        while v != to {
            v = self.backward.slots[v as usize].parent;
            path.push(v);
        }
        Some(Route { cost, path })
    }

    /// Every node reachable from `from` within the query's limits, with its cost, nearest
    /// first; at most `limit` of them (the source included, at cost 0).
    pub fn reach(
        &mut self,
        map: &Map,
        from: Node,
        limit: usize,
        query: &Query,
        out: &mut Vec<(Node, Cost)>,
    ) -> Result<(), Error> {
        out.clear();
        self.reset(map.node_count(), &query.avoid);
        self.start(Dir::Forward, from, 0);
        while out.len() < limit {
            let Some(settled) = self.settle_forward(map, Filter::of(query), &|_| 0) else {
                break;
            };
            out.push(settled);
        }
        self.stopped()
    }

    /// The cost from `from` to each of `targets` (`None` where unreachable), in the order
    /// given. The search stops as soon as every target is settled.
    pub fn costs(
        &mut self,
        map: &Map,
        from: Node,
        targets: &[Node],
        query: &Query,
        out: &mut Vec<Option<Cost>>,
    ) -> Result<(), Error> {
        self.reset(map.node_count(), &query.avoid);
        let generation = self.generation;
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
        self.start(Dir::Forward, from, 0);
        while pending > 0 {
            let Some((v, _)) = self.settle_forward(map, Filter::of(query), &|_| 0) else {
                break;
            };
            if self.target_marks[v as usize] == row {
                self.target_marks[v as usize] = 0; // counted once
                pending -= 1;
            }
        }
        out.clear();
        let slots = &self.forward.slots;
        out.extend(targets.iter().map(|&t| (slots[t as usize].mark == generation + 1).then(|| slots[t as usize].cost)));
        self.stopped()
    }

    /// The least-cost paths to `target` from the `size` nodes nearest it (by cost to it)
    /// under the default query (every class, closed edges unusable), by one backward
    /// Dijkstra: `next[v]` is the node after `v` on its path (`target` for itself), `NO_NODE`
    /// for the others; and whether that is every node that can reach `target`. See `trees`.
    /// `None` if the job's settle budget ran out first.
    pub(crate) fn tree(&mut self, map: &Map, target: Node, size: usize) -> Option<(Vec<Node>, bool)> {
        let n = map.node_count();
        self.reset(n, &[]);
        let generation = self.generation;
        let filter = Filter::of(&Query::default());
        let mut next = vec![NO_NODE; n];
        self.start(Dir::Backward, target, 0);
        let side = &mut self.backward;
        let mut settled = 0;
        while settled < size {
            let Some((v, _)) = settle_next(
                side,
                &self.avoided,
                &mut self.work,
                map,
                Dir::Backward,
                filter,
                generation,
                &|_| 0,
                |_, _| {},
            ) else {
                return self.stopped().is_ok().then_some((next, true));
            };
            next[v as usize] = side.slots[v as usize].parent;
            settled += 1;
        }
        self.stopped().is_ok().then_some((next, false))
    }

    /// Costs from `source` to every node (or, `backward`, from every node to `source`) over
    /// every edge, closed or not, whatever its class: the landmark tables. Written to
    /// `out[v * stride + offset]`, `UNKNOWN` where unreachable. Returns false, leaving that
    /// column all `UNKNOWN`, if some cost does not fit the table.
    pub(crate) fn distances(
        &mut self,
        map: &Map,
        source: Node,
        backward: bool,
        out: &mut [u32],
        stride: usize,
        offset: usize,
    ) -> bool {
        let n = map.node_count();
        self.reset(n, &[]);
        let generation = self.generation;
        let dir = if backward { Dir::Backward } else { Dir::Forward };
        let filter = Filter { mask: ALL_CLASSES, closed: 0, max_cost: Cost::MAX, avoids: false };
        for v in 0..n {
            out[v * stride + offset] = UNKNOWN;
        }
        self.start(dir, source, 0);
        let mut fits = true;
        let side = if backward { &mut self.backward } else { &mut self.forward };
        while let Some((v, cost)) =
            settle_next(side, &self.avoided, &mut self.work, map, dir, filter, generation, &|_| 0, |_, _| {})
        {
            fits &= cost < UNKNOWN as Cost;
            out[v as usize * stride + offset] = cost.min(UNKNOWN as Cost) as u32;
        }
        if !fits {
            for v in 0..n {
                out[v * stride + offset] = UNKNOWN;
            }
        }
        fits
    }
}

/// Settles the next node of one side and relaxes its edges, calling `reached(node, cost)` for
/// every node whose cost improved. `None` when the side has nothing left.
#[allow(clippy::too_many_arguments)]
#[inline]
fn settle_next(
    side: &mut Side,
    avoided: &[u32],
    work: &mut Work,
    map: &Map,
    dir: Dir,
    filter: Filter,
    generation: u32,
    potential: &impl Fn(Node) -> Cost,
    mut reached: impl FnMut(Node, Cost),
) -> Option<(Node, Cost)> {
    let (first, head, weight, flags) = map.csr();
    let (back_first, back_tail, back_edge) = map.back_csr();
    loop {
        let (_, u) = side.heap.pop()?;
        let slot = &mut side.slots[u as usize];
        if slot.mark != generation {
            continue; // settled already: a stale entry
        }
        if !work.settle() {
            return None;
        }
        slot.mark = generation + 1;
        let d = slot.cost;
        let mut relax = |v: Node, e: usize| {
            if !filter.usable(flags[e]) || (filter.avoids && avoided[v as usize] == generation) {
                return;
            }
            let nd = d + weight[e] as Cost;
            if nd > filter.max_cost {
                return;
            }
            let slot = &mut side.slots[v as usize];
            if slot.mark < generation || (slot.mark == generation && nd < slot.cost) {
                *slot = Slot { cost: nd, parent: u, mark: generation };
                side.heap.push(nd + potential(v), v);
                reached(v, nd);
            }
        };
        match dir {
            Dir::Forward => {
                for e in first[u as usize] as usize..first[u as usize + 1] as usize {
                    relax(head[e], e);
                }
            }
            Dir::Backward => {
                for k in back_first[u as usize] as usize..back_first[u as usize + 1] as usize {
                    relax(back_tail[k], back_edge[k] as usize);
                }
            }
        }
        return Some((u, d));
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

    /// Bellman-Ford over a plain edge list: slow, obviously right.
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
                weight: [0, 1, 2, 5, 100, 7919, u32::MAX][rng.below(7) as usize],
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

    const ALGOS: [Algo; 5] = [Algo::Auto, Algo::Dijkstra, Algo::Bidir, Algo::Astar, Algo::Alt];

    pub(crate) fn check_route(map: &Map, route: &Route, s: Node, t: Node, seed: u64) {
        assert_eq!(route.path.first(), Some(&s));
        assert_eq!(route.path.last(), Some(&t));
        let sum: u64 = route
            .path
            .windows(2)
            .map(|w| map.weight(map.edge(w[0], w[1]).expect("path uses a real edge")) as u64)
            .sum();
        assert_eq!(sum, route.cost, "seed {seed}");
    }

    #[test]
    fn every_method_matches_bellman_ford_on_random_graphs() {
        let mut search = Search::new();
        for seed in 1..2000u64 {
            let mut rng = Rng(seed * 0x9e37_79b9_7f4a_7c15);
            let spec = random_graph(&mut rng);
            let mut map = Map::new();
            // Add in two batches, so appends to a built map are covered too.
            let half = spec.len() / 2;
            map.add_edges(&spec[..half], 0, usize::MAX).unwrap();
            map.add_edges(&spec[half..], 0, usize::MAX).unwrap();
            let n = map.node_count();
            if n == 0 {
                continue;
            }
            let coords: Vec<(NodeId, f64, f64)> = (0..n as Node)
                .map(|v| (map.id(v), 12.0 + rng.below(1000) as f64 / 1e4, 41.0 + rng.below(1000) as f64 / 1e4))
                .collect();
            map.set_coordinates(&coords).unwrap();
            map.compute_landmarks(1 + rng.below(3) as usize);
            let edges = effective_edges(&spec);
            for _ in 0..8 {
                let (s, t) = (rng.below(n as u64) as Node, rng.below(n as u64) as Node);
                let expected = oracle(&edges, map.id(s), map.id(t));
                for algo in ALGOS {
                    let got = search.path_with(&map, s, t, &Query::default(), algo).unwrap();
                    assert_eq!(got.as_ref().map(|r| r.cost), expected, "seed {seed} {algo:?} {s}->{t}");
                    if let Some(route) = got {
                        check_route(&map, &route, s, t, seed);
                    }
                }
            }
        }
    }

    #[test]
    fn a_weight_decrease_retires_the_landmarks_and_answers_stay_exact() {
        let mut map = Map::new();
        let chain: Vec<EdgeSpec> = (0..50).map(|k| EdgeSpec { from: k, to: k + 1, weight: 10 }).collect();
        map.add_edges(&chain, 0, usize::MAX).unwrap();
        map.add_edges(&[EdgeSpec { from: 0, to: 50, weight: 1000 }], 0, usize::MAX).unwrap();
        map.compute_landmarks(2);
        let mut search = Search::new();
        let (s, t) = (map.node(0).unwrap(), map.node(50).unwrap());
        assert_eq!(search.path_with(&map, s, t, &Query::default(), Algo::Alt).unwrap().unwrap().cost, 500);
        map.set_weights(&[EdgeSpec { from: 10, to: 11, weight: 20 }]).unwrap(); // an increase keeps them
        assert_eq!(Search::choose(&map), Algo::Alt);
        assert_eq!(search.path_with(&map, s, t, &Query::default(), Algo::Alt).unwrap().unwrap().cost, 510);
        map.set_weights(&[EdgeSpec { from: 0, to: 50, weight: 3 }]).unwrap(); // a decrease retires them
        assert_eq!(search.path_with(&map, s, t, &Query::default(), Algo::Alt), Err(Error::NoLandmarks));
        assert_eq!(search.path(&map, s, t, &Query::default()).unwrap().cost, 3);
        map.compute_landmarks(2);
        assert_eq!(search.path_with(&map, s, t, &Query::default(), Algo::Alt).unwrap().unwrap().cost, 3);
    }

    #[test]
    fn a_method_the_map_cannot_run_is_refused_even_when_the_target_is_avoided() {
        let mut map = Map::new();
        map.add_edges(&[EdgeSpec { from: 4, to: 5, weight: 3 }], 0, usize::MAX).unwrap();
        let query = Query { avoid: vec![1], ..Query::default() };
        let mut search = Search::new();
        assert_eq!(search.path_with(&map, 0, 1, &query, Algo::Astar), Err(Error::NoCoordinates));
        assert_eq!(search.path_with(&map, 0, 1, &query, Algo::Alt), Err(Error::NoLandmarks));
        assert_eq!(search.path_with(&map, 0, 1, &query, Algo::Dijkstra), Ok(None));
    }

    #[test]
    fn source_is_its_own_target_at_cost_zero_even_when_avoided() {
        let mut map = Map::new();
        map.add_edges(&[EdgeSpec { from: 4, to: 5, weight: 3 }], 0, usize::MAX).unwrap();
        let query = Query { avoid: vec![0], ..Query::default() };
        for algo in [Algo::Dijkstra, Algo::Bidir] {
            let route = Search::new().path_with(&map, 0, 0, &query, algo).unwrap().unwrap();
            assert_eq!(route, Route { cost: 0, path: vec![0] });
            assert_eq!(Search::new().path_with(&map, 0, 1, &query, algo).unwrap().unwrap().cost, 3);
        }
    }

    #[test]
    fn a_search_over_budget_stops_with_an_error_and_cancel_stops_it_too() {
        let mut map = Map::new();
        let chain: Vec<EdgeSpec> = (0..10_000).map(|k| EdgeSpec { from: k, to: k + 1, weight: 1 }).collect();
        map.add_edges(&chain, 0, usize::MAX).unwrap();
        let (s, t) = (map.node(0).unwrap(), map.node(10_000).unwrap());
        let mut search = Search::new();
        for algo in [Algo::Dijkstra, Algo::Bidir] {
            search.limit(100, None);
            assert_eq!(search.path_with(&map, s, t, &Query::default(), algo), Err(Error::SearchBudget));
            search.limit(20_000, None);
            assert_eq!(search.path_with(&map, s, t, &Query::default(), algo).unwrap().unwrap().cost, 10_000);
        }
        let cancel = Arc::new(AtomicBool::new(true));
        search.limit(usize::MAX - 1, Some(cancel));
        assert_eq!(search.path_with(&map, s, t, &Query::default(), Algo::Dijkstra), Err(Error::Cancelled));
        search.limit(usize::MAX, None);
        assert!(search.path(&map, s, t, &Query::default()).is_some());
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
