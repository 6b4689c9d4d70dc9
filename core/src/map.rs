//! The map: a directed, weighted graph whose nodes carry user-chosen integer ids.
//!
//! Storage is CSR: the out-edges of dense node `u` are `first[u]..first[u + 1]`, with their
//! target, weight and flags (class and closed bit) in parallel arrays. User ids (up to
//! 2^63 - 1, as OSM ids are) are renumbered densely in order of first appearance, so every
//! per-node array is compact. Each array sits behind an `Arc`: cloning a `Map` is a cheap
//! snapshot, and a change copies an array only while a snapshot still shares it.

use std::sync::Arc;

use crate::error::Error;
use crate::geo;
use crate::id_index::IdIndex;
use crate::landmarks::Landmarks;
use crate::trees::{Tree, Trees};

/// A node id as users see it.
pub type NodeId = u64;
/// A node's dense index inside one map.
pub type Node = u32;
/// An edge's index in the CSR arrays.
pub type Edge = u32;
pub type Weight = u32;
/// Path costs are sums of weights and never overflow 64 bits for fewer than 2^32 edges.
pub type Cost = u64;

pub const MAX_NODE_ID: NodeId = i64::MAX as u64;
/// Edge classes are `0..=MAX_CLASS`; a query's mask has one bit per class.
pub const MAX_CLASS: u8 = 15;
pub const ALL_CLASSES: u16 = u16::MAX;
/// Landmarks per map at most (`HUNT.LANDMARKS`): each costs two `u32` per node.
pub const MAX_LANDMARKS: usize = 64;

const CLASS_BITS: u8 = 0x0f;
const CLOSED: u8 = 0x10;

/// One directed edge as given by a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeSpec {
    pub from: NodeId,
    pub to: NodeId,
    pub weight: Weight,
}

/// One out-edge as [`Map::out_edges`] shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeView {
    pub to: NodeId,
    pub weight: Weight,
    pub class: u8,
    pub closed: bool,
}

#[derive(Clone, Debug)]
pub struct Map {
    /// Dense index -> user id.
    ids: Arc<Vec<NodeId>>,
    /// User id -> dense index.
    index: Arc<IdIndex>,
    /// CSR offsets, `node_count() + 1` entries (empty for an empty map).
    first: Arc<Vec<Edge>>,
    head: Arc<Vec<Node>>,
    weight: Arc<Vec<Weight>>,
    flags: Arc<Vec<u8>>,
    /// In-edges (reverse CSR) for backward search, rebuilt with the forward arrays. Entry `k`
    /// of node `v` is the edge `back_edge[k]` (a forward edge index) from `back_tail[k]`.
    back_first: Arc<Vec<Edge>>,
    back_tail: Arc<Vec<Node>>,
    back_edge: Arc<Vec<Edge>>,
    /// Coordinates as unit-sphere points (`geo::NONE` where unknown), empty until given.
    points: Arc<Vec<[f32; 3]>>,
    /// Nodes with coordinates; A* needs all of them.
    located: usize,
    /// The smallest weight per unit of chord over all edges (see `geo`), kept at or below the
    /// true minimum as weights change.
    geo_ratio: f64,
    landmarks: Option<Arc<Landmarks>>,
    version: u64,
    /// Shortest-path trees of this version (see `trees`); a change starts a new set, with the
    /// trees it cannot affect.
    trees: Arc<Trees>,
}

/// The raw arrays of a map, as the codec moves them.
pub struct Parts {
    pub ids: Vec<NodeId>,
    pub first: Vec<Edge>,
    pub head: Vec<Node>,
    pub weight: Vec<Weight>,
    pub flags: Vec<u8>,
    pub points: Vec<[f32; 3]>,
    pub landmarks: Vec<Node>,
    /// The landmarks no longer fit the weights: kept as a fact (so a replica or a reload
    /// agrees with the primary), without their tables.
    pub landmarks_stale: bool,
    pub version: u64,
}

impl Default for Map {
    fn default() -> Map {
        Map {
            ids: Arc::default(),
            index: Arc::default(),
            first: Arc::default(),
            head: Arc::default(),
            weight: Arc::default(),
            flags: Arc::default(),
            back_first: Arc::default(),
            back_tail: Arc::default(),
            back_edge: Arc::default(),
            points: Arc::default(),
            located: 0,
            geo_ratio: f64::INFINITY,
            landmarks: None,
            version: 0,
            trees: Arc::default(),
        }
    }
}

impl Map {
    pub fn new() -> Map {
        Map::default()
    }

    pub fn node_count(&self) -> usize {
        self.ids.len()
    }

    pub fn edge_count(&self) -> usize {
        self.head.len()
    }

    /// Increases with every change; replies report it so a client knows what it saw.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Every change ends here: a new version, with no shortest-path trees (those of the old
    /// one stay with the snapshots that still read it).
    fn changed(&mut self) {
        self.changed_keeping(|_| false);
    }

    /// A change that leaves the trees `keep` accepts exact (see `trees`).
    fn changed_keeping(&mut self, keep: impl Fn(&Tree) -> bool) {
        self.version += 1;
        self.trees = Arc::new(self.trees.carried(self.version, keep));
    }

    /// The shortest-path trees of this version.
    pub fn trees(&self) -> &Trees {
        &self.trees
    }

    /// The dense index of a user id.
    pub fn node(&self, id: NodeId) -> Option<Node> {
        self.index.find(&self.ids, id)
    }

    /// Like [`Map::node`], with the error a command replies.
    pub fn existing_node(&self, id: NodeId) -> Result<Node, Error> {
        self.node(id).ok_or(Error::NoSuchNode(id))
    }

    pub fn id(&self, node: Node) -> NodeId {
        self.ids[node as usize]
    }

    pub fn edges(&self, node: Node) -> std::ops::Range<usize> {
        self.first[node as usize] as usize..self.first[node as usize + 1] as usize
    }

    #[inline]
    pub fn head(&self, edge: usize) -> Node {
        self.head[edge]
    }

    #[inline]
    pub fn weight(&self, edge: usize) -> Weight {
        self.weight[edge]
    }

    #[inline]
    pub fn class(&self, edge: usize) -> u8 {
        self.flags[edge] & CLASS_BITS
    }

    #[inline]
    pub fn is_closed(&self, edge: usize) -> bool {
        self.flags[edge] & CLOSED != 0
    }

    /// Whether a search may use this edge under a class mask.
    #[inline]
    pub fn usable(&self, edge: usize, mask: u16) -> bool {
        let f = self.flags[edge];
        f & CLOSED == 0 && mask & (1 << (f & CLASS_BITS)) != 0
    }

    /// Raw CSR arrays for the search loop, which must not pay for bounds on every access.
    pub(crate) fn csr(&self) -> (&[Edge], &[Node], &[Weight], &[u8]) {
        (&self.first, &self.head, &self.weight, &self.flags)
    }

    pub(crate) fn weights_arc(&self) -> Arc<Vec<Weight>> {
        Arc::clone(&self.weight)
    }

    /// Raw reverse CSR: in-edge offsets, tails and forward edge indices.
    pub(crate) fn back_csr(&self) -> (&[Edge], &[Node], &[Edge]) {
        (&self.back_first, &self.back_tail, &self.back_edge)
    }

    /// The A* bound towards `target`, when every node has coordinates.
    pub(crate) fn geo_bound(&self, target: Node) -> Option<geo::Bound<'_>> {
        // With no edge to bound it (an infinite ratio), the bound is zero.
        self.has_coordinates().then(|| geo::Bound {
            points: &self.points,
            target: self.points[target as usize],
            ratio: if self.geo_ratio.is_finite() { self.geo_ratio } else { 0.0 },
        })
    }

    /// Whether every node has coordinates, so A* can run.
    pub fn has_coordinates(&self) -> bool {
        self.node_count() > 0 && self.located == self.node_count()
    }

    pub fn located(&self) -> usize {
        self.located
    }

    /// The coordinates of a node, in degrees (longitude, latitude).
    pub fn coordinates(&self, node: Node) -> Option<(f64, f64)> {
        self.points.get(node as usize).filter(|p| geo::has(p)).map(|&p| geo::degrees(p))
    }

    /// The out-edges of a node as a reader sees them: target id, weight, class, closed.
    pub fn out_edges(&self, node: Node) -> impl Iterator<Item = EdgeView> + '_ {
        self.edges(node).map(move |e| EdgeView {
            to: self.ids[self.head[e] as usize],
            weight: self.weight[e],
            class: self.class(e),
            closed: self.is_closed(e),
        })
    }

    /// One page of a scan over the nodes in index order (`HUNT.SCAN`): the nodes from
    /// `cursor` on, at most `count`, and the cursor of the next page (0 when this page ends the
    /// scan). Nodes are only ever appended, so a scan returns every node that existed when it
    /// started exactly once; a cursor past the end is an empty, final page.
    pub fn scan(&self, cursor: u64, count: usize) -> (std::ops::Range<Node>, u64) {
        let n = self.node_count() as u64;
        let start = cursor.min(n);
        let end = start.saturating_add(count as u64).min(n);
        (start as Node..end as Node, if end < n { end } else { 0 })
    }

    /// Landmark data, if computed and still valid for the current weights.
    pub(crate) fn landmarks(&self) -> Option<&Landmarks> {
        self.landmarks.as_deref().filter(|l| !l.stale)
    }

    /// The landmark nodes (even when stale), for `HUNT.MAPINFO`.
    pub fn landmark_info(&self) -> (usize, bool) {
        self.landmarks.as_ref().map_or((0, false), |l| (l.nodes.len(), !l.stale))
    }

    /// Sets coordinates (degrees) of existing nodes. All or nothing; returns how many nodes
    /// had none before.
    pub fn set_coordinates(&mut self, nodes: &[(NodeId, f64, f64)]) -> Result<usize, Error> {
        let found = nodes.iter().map(|&(id, _, _)| self.existing_node(id)).collect::<Result<Vec<_>, _>>()?;
        let n = self.node_count();
        let points = Arc::make_mut(&mut self.points);
        points.resize(n, geo::NONE);
        let mut added = 0;
        for (&node, &(_, lon, lat)) in found.iter().zip(nodes) {
            added += usize::from(!geo::has(&points[node as usize]));
            points[node as usize] = geo::point(lon, lat);
        }
        self.located += added;
        self.recompute_geo_ratio();
        self.changed_keeping(|_| true); // costs do not depend on coordinates
        Ok(added)
    }

    fn recompute_geo_ratio(&mut self) {
        let mut ratio = f64::INFINITY;
        if self.located > 0 {
            for u in 0..self.node_count() {
                for e in self.edges(u as Node) {
                    let v = self.head[e] as usize;
                    ratio = ratio.min(geo::edge_ratio(self.weight[e], &self.points[u], &self.points[v]));
                }
            }
        }
        self.geo_ratio = ratio;
    }

    /// After `edge` went from `old` to `weight`: keeps the A* scale and the landmarks valid.
    /// An increase can invalidate neither (both are lower bounds), so it costs nothing here.
    fn weight_changed(&mut self, edge: usize, tail: Node, old: Weight, weight: Weight) {
        if weight >= old {
            return;
        }
        if self.located > 0 {
            let head = self.head[edge] as usize;
            let r = geo::edge_ratio(weight, &self.points[tail as usize], &self.points[head]);
            self.geo_ratio = self.geo_ratio.min(r);
        }
        if let Some(l) = &mut self.landmarks {
            // Stale landmarks (after new edges) may hold a shorter, renumbered weight array.
            if !l.stale && l.weights.get(edge).is_none_or(|&old| weight < old) {
                Arc::make_mut(l).stale = true;
            }
        }
    }

    /// Picks `count` landmarks and computes their distances (see `landmarks`).
    pub fn compute_landmarks(&mut self, count: usize) {
        self.landmarks = (count > 0 && self.node_count() > 0).then(|| Arc::new(Landmarks::compute(self, count)));
        self.changed_keeping(|_| true);
    }

    /// The edge `from -> to`, if there is one (the map holds at most one per pair).
    pub fn edge(&self, from: Node, to: Node) -> Option<usize> {
        self.edges(from).find(|&e| self.head[e] == to)
    }

    /// Bytes of heap this map holds, for `MEMORY USAGE` and `HUNT.MAPINFO`.
    pub fn memory(&self) -> usize {
        self.memory_by(&|_, bytes| bytes)
    }

    /// Like [`Map::memory`], with `block(address, requested bytes)` telling what an allocator
    /// really holds for each heap block (size classes round large blocks up by up to 25%).
    pub fn memory_by(&self, block: &dyn Fn(*const u8, usize) -> usize) -> usize {
        fn array<T>(v: &[T], capacity: usize, block: &dyn Fn(*const u8, usize) -> usize) -> usize {
            let bytes = capacity * std::mem::size_of::<T>();
            if bytes == 0 { 0 } else { block(v.as_ptr().cast(), bytes) }
        }
        std::mem::size_of::<Map>()
            + array(&self.ids, self.ids.capacity(), block)
            + self.index.memory_by(block)
            + array(&self.first, self.first.capacity(), block)
            + array(&self.head, self.head.capacity(), block)
            + array(&self.weight, self.weight.capacity(), block)
            + array(&self.flags, self.flags.capacity(), block)
            + array(&self.back_first, self.back_first.capacity(), block)
            + array(&self.back_tail, self.back_tail.capacity(), block)
            + array(&self.back_edge, self.back_edge.capacity(), block)
            + array(&self.points, self.points.capacity(), block)
            + self.landmarks.as_ref().map_or(0, |l| {
                std::mem::size_of::<Landmarks>()
                    + array(&l.nodes, l.nodes.capacity(), block)
                    + array(&l.from, l.from.capacity(), block)
                    + array(&l.to, l.to.capacity(), block)
            })
            + self.trees.memory()
    }

    /// Adds directed edges of class `class`. An edge that exists already takes the new weight
    /// and class; within one call the last mention of a pair wins. Returns how many edges are
    /// new. All or nothing: everything is checked before anything changes.
    pub fn add_edges(&mut self, edges: &[EdgeSpec], class: u8, max_nodes: usize) -> Result<usize, Error> {
        if class > MAX_CLASS {
            return Err(Error::OutOfRange { what: "class", min: 0, max: MAX_CLASS as u64 });
        }
        if edges.iter().any(|e| e.from > MAX_NODE_ID || e.to > MAX_NODE_ID) {
            return Err(Error::OutOfRange { what: "node id", min: 0, max: MAX_NODE_ID });
        }
        let mut new_ids: Vec<NodeId> =
            edges.iter().flat_map(|e| [e.from, e.to]).filter(|&id| self.node(id).is_none()).collect();
        new_ids.sort_unstable();
        new_ids.dedup();
        if self.node_count() + new_ids.len() > max_nodes.min(Node::MAX as usize) {
            return Err(Error::TooManyNodes { limit: max_nodes });
        }
        if self.edge_count() + edges.len() > Edge::MAX as usize {
            return Err(Error::TooManyEdges);
        }

        // From here on nothing can fail.
        self.append_nodes(&new_ids);
        let mut fresh: Vec<(Node, Node, Weight, usize)> = Vec::new();
        for (i, e) in edges.iter().enumerate() {
            let (u, v) = (self.node(e.from).unwrap_or(0), self.node(e.to).unwrap_or(0));
            match self.edge(u, v) {
                Some(edge) => {
                    let old = std::mem::replace(&mut Arc::make_mut(&mut self.weight)[edge], e.weight);
                    let f = &mut Arc::make_mut(&mut self.flags)[edge];
                    *f = (*f & !CLASS_BITS) | class;
                    self.weight_changed(edge, u, old, e.weight);
                }
                None => fresh.push((u, v, e.weight, i)),
            }
        }
        // The last mention of a pair wins: sort by pair, then by position, and keep the last.
        fresh.sort_unstable_by_key(|&(u, v, _, i)| (u, v, i));
        let mut unique: Vec<(Node, Node, Weight)> = Vec::with_capacity(fresh.len());
        for (u, v, w, _) in fresh {
            match unique.last_mut() {
                Some(last) if last.0 == u && last.1 == v => last.2 = w,
                _ => unique.push((u, v, w)),
            }
        }
        let added = unique.len();
        if added > 0 {
            self.insert_edges(&unique, class);
            // New edges can make paths shorter than the landmarks know, and renumber edges.
            if let Some(l) = &mut self.landmarks {
                Arc::make_mut(l).stale = true;
            }
            if self.located > 0 {
                self.recompute_geo_ratio();
            }
        }
        self.changed();
        Ok(added)
    }

    /// Sets the weight of existing edges. All or nothing; returns how many changed value.
    pub fn set_weights(&mut self, edges: &[EdgeSpec]) -> Result<usize, Error> {
        let found = self.find_edges(edges.iter().map(|e| (e.from, e.to)))?;
        let mut changed = 0;
        // A tree survives raised weights off its steps; a lowered one anywhere may open a shortcut.
        let (mut raised, mut lowered) = (Vec::new(), false);
        for (&(edge, tail), spec) in found.iter().zip(edges) {
            let old = self.weight[edge];
            if old != spec.weight {
                Arc::make_mut(&mut self.weight)[edge] = spec.weight;
                self.weight_changed(edge, tail, old, spec.weight);
                changed += 1;
                if spec.weight > old {
                    raised.push((tail, self.head[edge]));
                } else {
                    lowered = true;
                }
            }
        }
        self.changed_keeping(|tree| !lowered && raised.iter().all(|&(a, b)| !tree.uses(a, b)));
        Ok(changed)
    }

    /// Closes (or reopens) existing edges. All or nothing; returns how many changed state.
    pub fn set_closed(&mut self, pairs: &[(NodeId, NodeId)], closed: bool) -> Result<usize, Error> {
        let found = self.find_edges(pairs.iter().copied())?;
        let flags = Arc::make_mut(&mut self.flags);
        let mut changed = Vec::new();
        for (edge, tail) in found {
            let before = flags[edge];
            flags[edge] = if closed { before | CLOSED } else { before & !CLOSED };
            if before != flags[edge] {
                changed.push((tail, self.head[edge]));
            }
        }
        // Closing a street off a tree's steps leaves it exact; reopening one may open a shortcut.
        self.changed_keeping(|tree| closed && changed.iter().all(|&(a, b)| !tree.uses(a, b)));
        Ok(changed.len())
    }

    /// The (edge, tail) of each pair, or the error for the first missing one.
    fn find_edges(&self, pairs: impl Iterator<Item = (NodeId, NodeId)>) -> Result<Vec<(usize, Node)>, Error> {
        pairs
            .map(|(from, to)| {
                let edge = match (self.node(from), self.node(to)) {
                    (Some(u), Some(v)) => self.edge(u, v).map(|e| (e, u)),
                    _ => None,
                };
                edge.ok_or(Error::NoSuchEdge(from, to))
            })
            .collect()
    }

    fn append_nodes(&mut self, sorted_new: &[NodeId]) {
        if sorted_new.is_empty() {
            return;
        }
        let start = self.ids.len() as Node;
        let ids = Arc::make_mut(&mut self.ids);
        let index = Arc::make_mut(&mut self.index);
        index.reserve(ids, ids.len() + sorted_new.len());
        ids.extend_from_slice(sorted_new);
        for node in start..ids.len() as Node {
            index.insert(ids, node);
        }
        let n = ids.len();
        let first = Arc::make_mut(&mut self.first);
        let end = first.last().copied().unwrap_or(0);
        first.resize(n + 1, end);
        if !self.points.is_empty() {
            Arc::make_mut(&mut self.points).resize(n, geo::NONE);
        }
        let back = Arc::make_mut(&mut self.back_first);
        let end = back.last().copied().unwrap_or(0);
        back.resize(n + 1, end);
    }

    /// Rebuilds the CSR arrays with `new` edges (sorted by source, none already present).
    fn insert_edges(&mut self, new: &[(Node, Node, Weight)], class: u8) {
        let n = self.node_count();
        let m = self.edge_count() + new.len();
        let mut first = Vec::with_capacity(n + 1);
        let mut head = Vec::with_capacity(m);
        let mut weight = Vec::with_capacity(m);
        let mut flags = Vec::with_capacity(m);
        let mut next = new.iter().peekable();
        for u in 0..n as Node {
            first.push(head.len() as Edge);
            let old = self.edges(u);
            head.extend_from_slice(&self.head[old.clone()]);
            weight.extend_from_slice(&self.weight[old.clone()]);
            flags.extend_from_slice(&self.flags[old]);
            while let Some(&(_, v, w)) = next.next_if(|e| e.0 == u) {
                head.push(v);
                weight.push(w);
                flags.push(class);
            }
        }
        first.push(head.len() as Edge);
        self.first = Arc::new(first);
        self.head = Arc::new(head);
        self.weight = Arc::new(weight);
        self.flags = Arc::new(flags);
        self.build_backward();
    }

    /// Builds the reverse CSR from the forward arrays (a counting sort by head).
    fn build_backward(&mut self) {
        let n = self.node_count();
        let mut first = vec![0 as Edge; n + 1];
        for &v in self.head.iter() {
            first[v as usize + 1] += 1;
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut next = first.clone();
        let mut tail = vec![0 as Node; self.head.len()];
        let mut edge = vec![0 as Edge; self.head.len()];
        for u in 0..n as Node {
            for e in self.edges(u) {
                let slot = &mut next[self.head[e] as usize];
                tail[*slot as usize] = u;
                edge[*slot as usize] = e as Edge;
                *slot += 1;
            }
        }
        self.back_first = Arc::new(first);
        self.back_tail = Arc::new(tail);
        self.back_edge = Arc::new(edge);
    }

    pub fn to_parts(&self) -> Parts {
        Parts {
            ids: self.ids.to_vec(),
            first: self.first.to_vec(),
            head: self.head.to_vec(),
            weight: self.weight.to_vec(),
            flags: self.flags.to_vec(),
            points: self.points.to_vec(),
            landmarks: self.landmarks.as_ref().map_or(Vec::new(), |l| l.nodes.clone()),
            landmarks_stale: self.landmarks.as_ref().is_some_and(|l| l.stale),
            version: self.version,
        }
    }

    /// Borrowed view of the raw arrays, for encoding without a copy.
    #[allow(clippy::type_complexity)]
    pub fn parts_ref(&self) -> (&[NodeId], &[Edge], &[Node], &[Weight], &[u8], &[[f32; 3]], (&[Node], bool), u64) {
        let landmarks = self.landmarks.as_ref().map_or((&[][..], false), |l| (&l.nodes[..], l.stale));
        (&self.ids, &self.first, &self.head, &self.weight, &self.flags, &self.points, landmarks, self.version)
    }

    /// Rebuilds a map from raw arrays, checking every invariant the rest of the code relies
    /// on, so that a corrupt payload is an error and never a later panic.
    pub fn from_parts(p: Parts) -> Result<Map, Error> {
        let n = p.ids.len();
        let m = p.head.len();
        let bad = |why: &str| Err(Error::Corrupt(why.to_string()));
        if n > Node::MAX as usize || m > Edge::MAX as usize {
            return bad("too many nodes or edges");
        }
        if p.weight.len() != m || p.flags.len() != m {
            return bad("edge arrays differ in length");
        }
        if n == 0 {
            if m != 0 || !(p.first.is_empty() || p.first == [0]) {
                return bad("edges without nodes");
            }
        } else {
            if p.first.len() != n + 1 || p.first[0] != 0 || p.first[n] as usize != m {
                return bad("edge offsets do not cover the edges");
            }
            if p.first.windows(2).any(|w| w[0] > w[1]) {
                return bad("edge offsets go backwards");
            }
        }
        if p.head.iter().any(|&v| v as usize >= n) {
            return bad("edge target out of range");
        }
        if p.flags.iter().any(|&f| f & !(CLASS_BITS | CLOSED) != 0) {
            return bad("unknown edge flags");
        }
        if p.ids.iter().any(|&id| id > MAX_NODE_ID) {
            return bad("node id out of range");
        }
        let Some(index) = IdIndex::build(&p.ids) else {
            return bad("duplicate node id");
        };
        if !(p.points.is_empty() || p.points.len() == n) {
            return bad("coordinates do not match the nodes");
        }
        if p.points.iter().any(|q| geo::has(q) && !q.iter().all(|c| c.is_finite() && c.abs() <= 1.0 + 1e-3)) {
            return bad("coordinates off the sphere");
        }
        if p.landmarks.iter().any(|&l| l as usize >= n) {
            return bad("landmark out of range");
        }
        // Landmark tables are recomputed below at 8 bytes per node and landmark: a forged count
        // would make loading quadratic in the map (found by the decode_map fuzzer).
        if p.landmarks.len() > MAX_LANDMARKS {
            return bad("more landmarks than a map may have");
        }
        // Versions are replied as Redis integers.
        if p.version > i64::MAX as u64 {
            return bad("map version past the largest a reply can carry");
        }
        let first = if n == 0 { Vec::new() } else { p.first };
        let located = p.points.iter().filter(|q| geo::has(q)).count();
        let mut map = Map {
            ids: Arc::new(p.ids),
            index: Arc::new(index),
            first: Arc::new(first),
            head: Arc::new(p.head),
            weight: Arc::new(p.weight),
            flags: Arc::new(p.flags),
            points: Arc::new(p.points),
            located,
            version: p.version,
            ..Map::default()
        };
        map.build_backward();
        map.recompute_geo_ratio();
        if p.landmarks_stale {
            map.landmarks = Some(Arc::new(Landmarks::retired(p.landmarks)));
        } else if !p.landmarks.is_empty() {
            // Landmark costs are derived data: recomputed rather than trusted from a file.
            map.landmarks = Some(Arc::new(Landmarks::compute_for(&map, p.landmarks)));
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(from: NodeId, to: NodeId, weight: Weight) -> EdgeSpec {
        EdgeSpec { from, to, weight }
    }

    #[test]
    fn huge_ids_are_renumbered_densely() {
        let mut map = Map::new();
        let added = map.add_edges(&[e(MAX_NODE_ID, 7, 3), e(7, 1 << 40, 4)], 0, usize::MAX).unwrap();
        assert_eq!(added, 2);
        assert_eq!(map.node_count(), 3);
        let u = map.node(MAX_NODE_ID).unwrap();
        assert_eq!(map.id(u), MAX_NODE_ID);
        assert!(map.node(8).is_none());
    }

    #[test]
    fn existing_edge_takes_the_new_weight_and_last_mention_wins() {
        let mut map = Map::new();
        assert_eq!(map.add_edges(&[e(1, 2, 5), e(1, 2, 9)], 0, usize::MAX).unwrap(), 1);
        let (u, v) = (map.node(1).unwrap(), map.node(2).unwrap());
        assert_eq!(map.weight(map.edge(u, v).unwrap()), 9);
        assert_eq!(map.add_edges(&[e(1, 2, 4), e(2, 1, 1)], 0, usize::MAX).unwrap(), 1);
        assert_eq!(map.weight(map.edge(u, v).unwrap()), 4);
        assert_eq!(map.edge_count(), 2);
        assert_eq!(map.version(), 2);
    }

    #[test]
    fn a_bad_edge_changes_nothing() {
        let mut map = Map::new();
        map.add_edges(&[e(1, 2, 5)], 0, usize::MAX).unwrap();
        let err = map.add_edges(&[e(3, 4, 1), e(5, MAX_NODE_ID + 1, 1)], 0, usize::MAX);
        assert!(err.is_err());
        assert_eq!((map.node_count(), map.edge_count(), map.version()), (2, 1, 1));
        assert!(map.set_weights(&[e(1, 2, 7), e(2, 1, 7)]).is_err());
        assert_eq!(map.weight(0), 5);
    }

    #[test]
    fn node_limit_is_enforced_before_any_change() {
        let mut map = Map::new();
        assert_eq!(map.add_edges(&[e(1, 2, 1), e(3, 4, 1)], 0, 3), Err(Error::TooManyNodes { limit: 3 }));
        assert_eq!(map.node_count(), 0);
    }

    #[test]
    fn snapshot_is_unaffected_by_later_changes() {
        let mut map = Map::new();
        map.add_edges(&[e(1, 2, 5)], 0, usize::MAX).unwrap();
        let snapshot = map.clone();
        map.set_weights(&[e(1, 2, 8)]).unwrap();
        map.set_closed(&[(1, 2)], true).unwrap();
        assert_eq!((snapshot.weight(0), snapshot.is_closed(0)), (5, false));
        assert_eq!((map.weight(0), map.is_closed(0)), (8, true));
    }

    #[test]
    fn a_scan_visits_every_node_once_with_its_out_edges() {
        let mut map = Map::new();
        map.add_edges(&[e(10, 20, 5), e(20, 30, 6), e(30, 10, 7), e(10, 30, 8)], 0, usize::MAX).unwrap();
        map.add_edges(&[e(30, 20, 9)], 3, usize::MAX).unwrap();
        map.set_closed(&[(10, 30)], true).unwrap();
        let (mut cursor, mut seen) = (0, Vec::new());
        loop {
            let (page, next) = map.scan(cursor, 2);
            assert!(page.len() <= 2);
            seen.extend(page.map(|u| (map.id(u), map.out_edges(u).collect::<Vec<_>>())));
            if next == 0 {
                break;
            }
            cursor = next;
        }
        let view = |to, weight, class, closed| EdgeView { to, weight, class, closed };
        assert_eq!(
            seen,
            [
                (10, vec![view(20, 5, 0, false), view(30, 8, 0, true)]),
                (20, vec![view(30, 6, 0, false)]),
                (30, vec![view(10, 7, 0, false), view(20, 9, 3, false)]),
            ]
        );
        assert_eq!(map.scan(3, 5), (3..3, 0), "the end is an empty, final page");
        assert_eq!(map.scan(u64::MAX, usize::MAX), (3..3, 0));
        assert_eq!(Map::new().scan(0, 10), (0..0, 0));
    }

    #[test]
    fn parts_round_trip_and_corrupt_parts_are_rejected() {
        let mut map = Map::new();
        map.add_edges(&[e(10, 20, 5), e(20, 30, 6), e(30, 10, 7)], 2, usize::MAX).unwrap();
        let back = Map::from_parts(map.to_parts()).unwrap();
        assert_eq!(back.node(30), map.node(30));
        assert_eq!(back.class(0), 2);
        let mut bad = map.to_parts();
        bad.head[1] = 3;
        assert!(Map::from_parts(bad).is_err());
        let mut bad = map.to_parts();
        bad.ids[2] = 10;
        assert!(Map::from_parts(bad).is_err());
        let mut bad = map.to_parts();
        bad.first[1] = 3;
        assert!(Map::from_parts(bad).is_err());
    }
}
