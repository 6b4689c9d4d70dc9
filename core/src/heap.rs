//! A 4-ary min-heap of (cost, node) entries, with lazy deletion: a node whose cost improves
//! is pushed again and the stale entry is skipped when popped. Four children per node make
//! the tree half as deep as a binary heap's, and the children share a cache line.

use crate::map::{Cost, Node};

#[derive(Clone, Debug, Default)]
pub struct QuadHeap {
    items: Vec<(Cost, Node)>,
}

impl QuadHeap {
    pub fn clear(&mut self) {
        self.items.clear();
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The smallest key, without removing it.
    pub fn peek(&self) -> Option<Cost> {
        self.items.first().map(|e| e.0)
    }

    pub fn push(&mut self, key: Cost, node: Node) {
        let mut i = self.items.len();
        self.items.push((key, node));
        while i > 0 {
            let parent = (i - 1) / 4;
            if self.items[parent].0 <= key {
                break;
            }
            self.items[i] = self.items[parent];
            i = parent;
        }
        self.items[i] = (key, node);
    }

    pub fn pop(&mut self) -> Option<(Cost, Node)> {
        let top = *self.items.first()?;
        let last = self.items.pop()?;
        let n = self.items.len();
        if n > 0 {
            let mut i = 0;
            loop {
                let first = 4 * i + 1;
                if first >= n {
                    break;
                }
                let end = (first + 4).min(n);
                let mut best = first;
                for c in first + 1..end {
                    if self.items[c].0 < self.items[best].0 {
                        best = c;
                    }
                }
                if self.items[best].0 >= last.0 {
                    break;
                }
                self.items[i] = self.items[best];
                i = best;
            }
            self.items[i] = last;
        }
        Some(top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_key_order() {
        let mut heap = QuadHeap::default();
        let mut x: u64 = 12345;
        let mut keys = Vec::new();
        for i in 0..1000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let key = x >> 54;
            keys.push(key);
            heap.push(key, i);
        }
        keys.sort_unstable();
        let popped: Vec<Cost> = std::iter::from_fn(|| heap.pop().map(|e| e.0)).collect();
        assert_eq!(popped, keys);
    }
}
