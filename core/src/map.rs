//! The map: a directed, weighted graph whose nodes carry user-chosen integer ids.
//!
//! Storage is CSR: the out-edges of dense node `u` are `first[u]..first[u + 1]`, with their
//! target, weight and flags (class and closed bit) in parallel arrays. User ids (up to
//! 2^63 - 1, as OSM ids are) are renumbered densely in order of first appearance, so every
//! per-node array is compact. Each array sits behind an `Arc`: cloning a `Map` is a cheap
//! snapshot, and a change copies an array only while a snapshot still shares it.

use std::sync::Arc;

use crate::error::Error;
use crate::id_index::IdIndex;

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

const CLASS_BITS: u8 = 0x0f;
const CLOSED: u8 = 0x10;

/// One directed edge as given by a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeSpec {
    pub from: NodeId,
    pub to: NodeId,
    pub weight: Weight,
}

#[derive(Clone, Debug, Default)]
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
    version: u64,
}

/// The raw arrays of a map, as the codec moves them.
pub struct Parts {
    pub ids: Vec<NodeId>,
    pub first: Vec<Edge>,
    pub head: Vec<Node>,
    pub weight: Vec<Weight>,
    pub flags: Vec<u8>,
    pub version: u64,
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

    /// The edge `from -> to`, if there is one (the map holds at most one per pair).
    pub fn edge(&self, from: Node, to: Node) -> Option<usize> {
        self.edges(from).find(|&e| self.head[e] == to)
    }

    /// Bytes of heap this map holds, for `MEMORY USAGE` and `HUNT.MAPINFO`.
    pub fn memory(&self) -> usize {
        std::mem::size_of::<Map>()
            + self.ids.capacity() * 8
            + self.index.memory()
            + self.first.capacity() * 4
            + self.head.capacity() * 4
            + self.weight.capacity() * 4
            + self.flags.capacity()
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
                    Arc::make_mut(&mut self.weight)[edge] = e.weight;
                    let f = &mut Arc::make_mut(&mut self.flags)[edge];
                    *f = (*f & !CLASS_BITS) | class;
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
        }
        self.version += 1;
        Ok(added)
    }

    /// Sets the weight of existing edges. All or nothing; returns how many changed value.
    pub fn set_weights(&mut self, edges: &[EdgeSpec]) -> Result<usize, Error> {
        let found = self.find_edges(edges.iter().map(|e| (e.from, e.to)))?;
        let weights = Arc::make_mut(&mut self.weight);
        let mut changed = 0;
        for (&edge, spec) in found.iter().zip(edges) {
            if weights[edge] != spec.weight {
                weights[edge] = spec.weight;
                changed += 1;
            }
        }
        self.version += 1;
        Ok(changed)
    }

    /// Closes (or reopens) existing edges. All or nothing; returns how many changed state.
    pub fn set_closed(&mut self, pairs: &[(NodeId, NodeId)], closed: bool) -> Result<usize, Error> {
        let found = self.find_edges(pairs.iter().copied())?;
        let flags = Arc::make_mut(&mut self.flags);
        let mut changed = 0;
        for edge in found {
            let before = flags[edge];
            flags[edge] = if closed { before | CLOSED } else { before & !CLOSED };
            changed += usize::from(before != flags[edge]);
        }
        self.version += 1;
        Ok(changed)
    }

    fn find_edges(&self, pairs: impl Iterator<Item = (NodeId, NodeId)>) -> Result<Vec<usize>, Error> {
        pairs
            .map(|(from, to)| {
                let edge = match (self.node(from), self.node(to)) {
                    (Some(u), Some(v)) => self.edge(u, v),
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
        let first = Arc::make_mut(&mut self.first);
        let end = first.last().copied().unwrap_or(0);
        first.resize(ids.len() + 1, end);
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
    }

    pub fn to_parts(&self) -> Parts {
        Parts {
            ids: self.ids.to_vec(),
            first: self.first.to_vec(),
            head: self.head.to_vec(),
            weight: self.weight.to_vec(),
            flags: self.flags.to_vec(),
            version: self.version,
        }
    }

    /// Borrowed view of the raw arrays, for encoding without a copy.
    pub fn parts_ref(&self) -> (&[NodeId], &[Edge], &[Node], &[Weight], &[u8], u64) {
        (&self.ids, &self.first, &self.head, &self.weight, &self.flags, self.version)
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
        let first = if n == 0 { Vec::new() } else { p.first };
        Ok(Map {
            ids: Arc::new(p.ids),
            index: Arc::new(index),
            first: Arc::new(first),
            head: Arc::new(p.head),
            weight: Arc::new(p.weight),
            flags: Arc::new(p.flags),
            version: p.version,
        })
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
