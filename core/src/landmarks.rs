//! ALT landmarks: for a few well-spread nodes L, the exact cost from L to every node and from
//! every node to L. By the triangle inequality, `d(L, t) - d(L, v)` and `d(v, L) - d(t, L)`
//! are lower bounds of `d(v, t)`, which makes a consistent A* potential.
//!
//! The costs are computed on every edge, closed or not, whatever its class: closing edges,
//! masking classes, avoiding nodes and raising weights only make real costs larger, so the
//! bounds stay valid. Lowering a weight below its value at computation time, or adding edges,
//! could make them too large: the map then marks the landmarks stale and searches stop using
//! them until `HUNT.LANDMARKS` runs again.

use std::sync::Arc;

use crate::map::{Cost, Map, Node, Weight};
use crate::search::Search;

/// A cost too large for the table, or no path: the bound is not used.
pub const UNKNOWN: u32 = u32::MAX;

#[derive(Clone, Debug)]
pub struct Landmarks {
    pub nodes: Vec<Node>,
    /// `from[v * k + i]`: the cost from landmark `i` to `v`.
    pub from: Vec<u32>,
    /// `to[v * k + i]`: the cost from `v` to landmark `i`.
    pub to: Vec<u32>,
    /// The weights the costs were computed with (shared with the map until it changes one).
    pub weights: Arc<Vec<Weight>>,
    pub stale: bool,
}

impl Landmarks {
    /// Picks `count` landmarks by farthest selection (each new one is the node farthest from
    /// those chosen so far), then computes their costs.
    pub fn compute(map: &Map, count: usize) -> Landmarks {
        let n = map.node_count();
        let count = count.min(n);
        let mut search = Search::new();
        let mut nearest = vec![Cost::MAX; n]; // cost from the closest chosen landmark
        let mut dist = vec![UNKNOWN; n];
        let mut nodes = Vec::with_capacity(count);
        // Start from the node farthest from node 0, a cheap way to land on the map's rim.
        search.distances(map, 0, false, &mut dist, 1, 0);
        let mut next = farthest(&dist, &nodes).unwrap_or(0);
        while nodes.len() < count {
            nodes.push(next);
            search.distances(map, next, false, &mut dist, 1, 0);
            for (near, &d) in nearest.iter_mut().zip(&dist) {
                if d != UNKNOWN {
                    *near = (*near).min(d as Cost);
                }
            }
            let spread: Vec<u32> = nearest.iter().map(|&c| if c == Cost::MAX { 0 } else { c as u32 }).collect();
            match farthest(&spread, &nodes) {
                Some(v) => next = v,
                None => break,
            }
        }
        Landmarks::compute_for(map, nodes)
    }

    /// The costs for given landmark nodes.
    pub fn compute_for(map: &Map, nodes: Vec<Node>) -> Landmarks {
        let (n, k) = (map.node_count(), nodes.len());
        let mut search = Search::new();
        let mut from = vec![UNKNOWN; n * k];
        let mut to = vec![UNKNOWN; n * k];
        for (i, &l) in nodes.iter().enumerate() {
            search.distances(map, l, false, &mut from, k, i);
            search.distances(map, l, true, &mut to, k, i);
        }
        Landmarks { nodes, from, to, weights: map.weights_arc(), stale: false }
    }

    /// Landmarks known to be stale, without tables (they are never used until recomputed).
    pub fn retired(nodes: Vec<Node>) -> Landmarks {
        Landmarks { nodes, from: Vec::new(), to: Vec::new(), weights: Arc::default(), stale: true }
    }

    /// The potential towards `target`: a lower bound of the cost from any node to it.
    pub fn bound(&self, target: Node) -> Bound<'_> {
        let k = self.nodes.len();
        let t = target as usize * k;
        Bound { k, from: &self.from, to: &self.to, from_t: &self.from[t..t + k], to_t: &self.to[t..t + k] }
    }
}

fn farthest(dist: &[u32], chosen: &[Node]) -> Option<Node> {
    let mut best: Option<(u32, Node)> = None;
    for (v, &d) in dist.iter().enumerate() {
        if d != UNKNOWN && !chosen.contains(&(v as Node)) && best.is_none_or(|(b, _)| d > b) {
            best = Some((d, v as Node));
        }
    }
    best.map(|(_, v)| v)
}

pub struct Bound<'a> {
    k: usize,
    from: &'a [u32],
    to: &'a [u32],
    from_t: &'a [u32],
    to_t: &'a [u32],
}

impl Bound<'_> {
    #[inline]
    pub fn at(&self, v: Node) -> Cost {
        let base = v as usize * self.k;
        let (from_v, to_v) = (&self.from[base..base + self.k], &self.to[base..base + self.k]);
        let mut best: u32 = 0;
        for i in 0..self.k {
            let (lt, lv, vl, tl) = (self.from_t[i], from_v[i], to_v[i], self.to_t[i]);
            if lt != UNKNOWN && lv != UNKNOWN {
                best = best.max(lt.saturating_sub(lv));
            }
            if vl != UNKNOWN && tl != UNKNOWN {
                best = best.max(vl.saturating_sub(tl));
            }
        }
        best as Cost
    }
}
