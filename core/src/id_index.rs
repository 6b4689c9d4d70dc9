//! User id -> dense node lookup: an open-addressing hash table of dense indices, keyed by the
//! ids the map already stores. It costs 4 bytes per slot (a `HashMap<u64, u32>` costs four
//! times that) and a lookup touches about two cache lines, which keeps batches of thousands of
//! edge changes fast on maps of millions of nodes.

use crate::map::{Node, NodeId};

const EMPTY: Node = Node::MAX;

#[derive(Clone, Debug, Default)]
pub struct IdIndex {
    /// Dense indices, `EMPTY` where free; the length is zero or a power of two.
    slots: Vec<Node>,
}

fn hash(id: NodeId, mask: usize) -> usize {
    // Fibonacci hashing: spreads sequential ids (DIMACS 1..N) and OSM ids alike.
    (id.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize & mask
}

impl IdIndex {
    pub fn find(&self, ids: &[NodeId], id: NodeId) -> Option<Node> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut slot = hash(id, mask);
        loop {
            let node = self.slots[slot];
            if node == EMPTY {
                return None;
            }
            if ids.get(node as usize) == Some(&id) {
                return Some(node);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Makes room for `count` ids in all, keeping the load at most 70%; `ids` are the ids
    /// indexed so far.
    pub fn reserve(&mut self, ids: &[NodeId], count: usize) {
        let wanted = (count * 10 / 7 + 1).next_power_of_two().max(16);
        if wanted > self.slots.len() {
            self.slots = vec![EMPTY; wanted];
            for node in 0..ids.len() as Node {
                self.place(ids, node);
            }
        }
    }

    /// Adds `ids[node]`, which must not be present yet, after `reserve` made room for it.
    pub fn insert(&mut self, ids: &[NodeId], node: Node) {
        self.place(ids, node);
    }

    fn place(&mut self, ids: &[NodeId], node: Node) {
        let mask = self.slots.len() - 1;
        let mut slot = hash(ids[node as usize], mask);
        while self.slots[slot] != EMPTY {
            slot = (slot + 1) & mask;
        }
        self.slots[slot] = node;
    }

    /// Builds the index of `ids`; `None` if an id appears twice.
    pub fn build(ids: &[NodeId]) -> Option<IdIndex> {
        let mut index = IdIndex::default();
        index.reserve(&[], ids.len());
        for node in 0..ids.len() as Node {
            if index.find(ids, ids[node as usize]).is_some() {
                return None;
            }
            index.place(ids, node);
        }
        Some(index)
    }

    /// Heap bytes, with `block` telling what the allocator holds for a block (see
    /// `Map::memory_by`).
    pub fn memory_by(&self, block: &dyn Fn(*const u8, usize) -> usize) -> usize {
        let bytes = self.slots.capacity() * 4;
        if bytes == 0 { 0 } else { block(self.slots.as_ptr().cast(), bytes) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_id_and_nothing_else() {
        let ids: Vec<NodeId> = (0..5000u64).map(|k| k * k * 7919 + (k << 40)).collect();
        let index = IdIndex::build(&ids).unwrap();
        for (node, &id) in ids.iter().enumerate() {
            assert_eq!(index.find(&ids, id), Some(node as Node));
        }
        assert_eq!(index.find(&ids, 3), None);
        assert!(IdIndex::build(&[5, 6, 5]).is_none());
    }
}
