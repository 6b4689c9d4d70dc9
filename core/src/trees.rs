//! Shortest-path trees towards popular targets.
//!
//! In a hunt, thousands of players ask the way to the same few clues. One backward Dijkstra
//! from a clue's node, over the [`TREE_NODES`] nodes nearest it (the whole map if smaller),
//! gives each of them its next step towards the clue; after that, a player's path is a walk
//! along those steps, with no search at all. Players farther away are searched for as usual.
//!
//! A tree is exact only for the map it was built on, so it is tied to one map version: a
//! change to the map starts a new [`Trees`] (see `Map::changed`), and a lookup also checks the
//! version. The new set keeps the trees the change cannot affect ([`Trees::carried`]): raising a
//! weight or closing an edge that is not a step of the tree (its steps keep their costs, and
//! nothing got cheaper), setting coordinates or landmarks. Any lowered weight, reopened or new
//! edge drops every tree, and a dropped tree's target is rebuilt on its next query.
//!
//! Trees answer only queries that use every class, avoid nothing and force no method; a cost
//! limit is applied to the walked cost. Ties between paths of equal cost may be broken
//! differently than a search would.
//!
//! Admission: a target earns a tree after [`POPULAR`] path queries at one version; at most
//! `limit` trees per map (the caller's setting), and when all are taken, a target asked for
//! twice as often as the least-used tree replaces it. Counts halve every [`DECAY`] queries, so
//! clues that moved away give their trees up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::map::{ALL_CLASSES, Cost, Map, Node};
use crate::search::{Algo, Query, Route, Search};

/// `Tree::next` of a node that cannot reach the target.
pub const NO_NODE: Node = Node::MAX;
/// Path queries to one target, at one map version, before it gets a tree.
pub const POPULAR: u32 = 32;
/// Counts halve after this many path queries to a map.
const DECAY: u64 = 4096;
/// Nodes a tree covers at most: the nearest to its target. Bounded so that a build settles a
/// fixed share of a big map (a quarter of NY's) and is redone quickly on a map that changes
/// twice a second.
pub const TREE_NODES: usize = 65_536;

/// The least-cost paths to one target from the nodes nearest it, at one map version.
#[derive(Debug)]
pub struct Tree {
    target: Node,
    version: u64,
    /// Shared by the versions the tree was carried to.
    next: Arc<Vec<Node>>,
    /// Every node that can reach the target is in the tree: the others cannot.
    complete: bool,
}

impl Tree {
    /// One backward Dijkstra from `target` over the `size` nodes nearest it (a worker's job).
    /// `None` if the search's budget (see `Search::limit`) ran out first.
    pub fn build(map: &Map, target: Node, size: usize, search: &mut Search) -> Option<Tree> {
        let (next, complete) = search.tree(map, target, size)?;
        Some(Tree { target, version: map.version(), next: Arc::new(next), complete })
    }

    /// Whether `tail -> head` is one of the tree's steps.
    pub fn uses(&self, tail: Node, head: Node) -> bool {
        self.next.get(tail as usize) == Some(&head) && tail != self.target
    }

    pub fn target(&self) -> Node {
        self.target
    }

    /// The path from `from`: `Some(None)` when there is none or it costs more than
    /// `max_cost`, `None` when the tree cannot tell (`from` is beyond it) and the caller must
    /// search. `map` must be the map the tree was built on (same version); a tree that does
    /// not fit it (a step that is not an edge, a walk longer than the map) cannot tell either.
    pub fn route(&self, map: &Map, from: Node, max_cost: Cost) -> Option<Option<Route>> {
        if self.next.len() != map.node_count() {
            return None;
        }
        if self.next[from as usize] == NO_NODE {
            return self.complete.then_some(None);
        }
        let mut path = vec![from];
        let mut cost: Cost = 0;
        let mut v = from;
        while v != self.target {
            let u = self.next[v as usize];
            // Each step is the edge the backward search relaxed; a map holds one per pair.
            let e = map.edge(v, u)?;
            cost += map.weight(e) as Cost;
            path.push(u);
            if path.len() > map.node_count() {
                return None;
            }
            v = u;
        }
        Some((cost <= max_cost).then_some(Route { cost, path }))
    }

    fn memory(&self) -> usize {
        std::mem::size_of::<Tree>() + self.next.capacity() * std::mem::size_of::<Node>()
    }
}

/// What a path query should do about trees.
#[derive(Debug)]
pub enum Lookup {
    /// Walk this tree.
    Tree(Arc<Tree>),
    /// Search as usual, and build a tree for the target meanwhile (with [`Trees::insert`], or
    /// [`Trees::abandon`] if that fails).
    Build,
    /// Search as usual.
    Search,
}

/// The trees of one map version, shared by the map and its snapshots at that version.
#[derive(Debug, Default)]
pub struct Trees {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    queries: u64,
    /// Path queries per target without a tree.
    counts: HashMap<Node, u32>,
    /// Trees with their use since built (halved with the counts).
    trees: Vec<(Arc<Tree>, u32)>,
    /// Targets whose tree a worker is building.
    building: Vec<Node>,
}

impl Trees {
    /// A poisoned lock only means a panic elsewhere; the worst left behind is a count.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one path query to `to` on `map` and says how to answer it. `limit` is the most
    /// trees this map may hold (0: none, and nothing is counted).
    pub fn lookup(&self, map: &Map, to: Node, query: &Query, algo: Algo, limit: usize) -> Lookup {
        if limit == 0 || algo != Algo::Auto || query.mask != ALL_CLASSES || !query.avoid.is_empty() {
            return Lookup::Search;
        }
        let mut inner = self.lock();
        inner.queries += 1;
        if inner.queries.is_multiple_of(DECAY) {
            inner.counts.retain(|_, c| {
                *c /= 2;
                *c > 0
            });
            inner.trees.iter_mut().for_each(|(_, hits)| *hits /= 2);
        }
        if let Some(i) = inner.trees.iter().position(|(t, _)| t.target == to) {
            let (tree, hits) = &mut inner.trees[i];
            if tree.version == map.version() {
                *hits = hits.saturating_add(1);
                return Lookup::Tree(Arc::clone(tree));
            }
            // Of another version (it cannot happen: a change starts a new set): never walked.
            inner.trees.swap_remove(i);
        }
        let count = inner.counts.entry(to).or_insert(0);
        *count = count.saturating_add(1);
        let count = *count;
        if count < POPULAR || inner.building.contains(&to) {
            return Lookup::Search;
        }
        if inner.trees.len() + inner.building.len() >= limit {
            // Full: only a target asked for twice as often as the least-used tree replaces it.
            let weakest = inner.trees.iter().enumerate().min_by_key(|(_, (_, hits))| *hits).map(|(i, (_, h))| (i, *h));
            match weakest {
                Some((i, hits)) if count / 2 > hits && inner.trees.len() + inner.building.len() <= limit => {
                    inner.trees.swap_remove(i);
                }
                _ => return Lookup::Search,
            }
        }
        inner.counts.remove(&to);
        inner.building.push(to);
        Lookup::Build
    }

    /// Adds a built tree (a worker's), unless the map changed since (then these trees are the
    /// old version's and go with it).
    pub fn insert(&self, tree: Tree) {
        let mut inner = self.lock();
        inner.building.retain(|&t| t != tree.target);
        inner.trees.push((Arc::new(tree), POPULAR));
    }

    /// The build for `target` did not happen.
    pub fn abandon(&self, target: Node) {
        self.lock().building.retain(|&t| t != target);
    }

    /// Trees held (for `HUNT.MAPINFO`).
    pub fn len(&self) -> usize {
        self.lock().trees.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The trees of the next version: those `keep` accepts, and a head start for the targets
    /// of the others (and of builds under way), whose next query rebuilds them.
    pub fn carried(&self, version: u64, keep: impl Fn(&Tree) -> bool) -> Trees {
        let inner = self.lock();
        let mut next = Inner::default();
        for (tree, hits) in &inner.trees {
            if keep(tree) {
                let moved = Tree { version, next: Arc::clone(&tree.next), ..**tree };
                next.trees.push((Arc::new(moved), *hits));
            } else {
                next.counts.insert(tree.target, POPULAR - 1);
            }
        }
        for &target in &inner.building {
            next.counts.insert(target, POPULAR - 1);
        }
        Trees { inner: Mutex::new(next) }
    }

    /// Bytes of heap the trees hold. The popularity counts (a few thousand entries at most,
    /// see [`DECAY`]) are left out, so that merely reading a map does not change its
    /// `MEMORY USAGE`; a tree does, once built.
    pub fn memory(&self) -> usize {
        let inner = self.lock();
        std::mem::size_of::<Trees>() + inner.trees.iter().map(|(t, _)| t.memory()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::EdgeSpec;
    use crate::search::tests::{Rng, check_route, random_graph};

    /// A random map (see `random_graph`) with its edges, `None` when it has no node.
    fn random_map(rng: &mut Rng) -> Option<(Map, Vec<EdgeSpec>)> {
        let spec = random_graph(rng);
        let mut map = Map::new();
        map.add_edges(&spec, 0, usize::MAX).unwrap();
        (map.node_count() > 0).then_some((map, spec))
    }

    /// Walks `tree` from every node and compares with plain Dijkstra where it answers: the
    /// cost, and a path of real edges. Returns the answers that are paths, and whether the
    /// tree deferred any source.
    fn compare_with_dijkstra(map: &Map, tree: &Tree, t: Node, search: &mut Search, seed: u64) -> (usize, bool) {
        let (mut paths, mut deferred) = (0, false);
        for s in 0..map.node_count() as Node {
            let want = search.path_with(map, s, t, &Query::default(), Algo::Dijkstra).unwrap();
            let Some(got) = tree.route(map, s, Cost::MAX) else {
                deferred = true;
                continue;
            };
            assert_eq!(got.as_ref().map(|r| r.cost), want.map(|r| r.cost), "seed {seed} {s}->{t}");
            if let Some(route) = got {
                check_route(map, &route, s, t, seed);
                paths += 1;
            }
        }
        (paths, deferred)
    }

    #[test]
    fn tree_routes_match_dijkstra_from_every_node_on_random_graphs() {
        let mut search = Search::new();
        for seed in 1..1500u64 {
            let mut rng = Rng(seed * 0x9e37_79b9_7f4a_7c15);
            let Some((mut map, spec)) = random_map(&mut rng) else { continue };
            // Closed edges must stay out of the trees, as they stay out of searches.
            let closed: Vec<_> = spec.iter().filter(|_| rng.below(4) == 0).map(|e| (e.from, e.to)).collect();
            map.set_closed(&closed, true).unwrap();
            for t in 0..map.node_count() as Node {
                let tree = Tree::build(&map, t, TREE_NODES, &mut search).unwrap();
                let (_, deferred) = compare_with_dijkstra(&map, &tree, t, &mut search, seed);
                assert!(!deferred, "seed {seed}: a tree of the whole map answers every source");
                // The cost limit applies to the walked cost, as it does to a search.
                for s in 0..map.node_count() as Node {
                    if let Some(Some(route)) = tree.route(&map, s, Cost::MAX) {
                        assert_eq!(tree.route(&map, s, route.cost).unwrap().map(|r| r.cost), Some(route.cost));
                        if route.cost > 0 {
                            assert_eq!(tree.route(&map, s, route.cost - 1), Some(None), "seed {seed}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_bounded_tree_answers_exactly_where_it_reaches_and_defers_elsewhere() {
        let mut search = Search::new();
        for seed in 1..800u64 {
            let mut rng = Rng(seed * 0x2545_f491_4f6c_dd1d);
            let Some((map, _)) = random_map(&mut rng) else { continue };
            let n = map.node_count() as u64;
            let t = rng.below(n) as Node;
            let size = 1 + rng.below(n) as usize;
            let tree = Tree::build(&map, t, size, &mut search).unwrap();
            let (answered, deferred) = compare_with_dijkstra(&map, &tree, t, &mut search, seed);
            assert!(!deferred || !tree.complete, "seed {seed}: a complete tree answers every source");
            assert!(answered <= size, "seed {seed}");
            assert!(answered >= 1, "seed {seed}: the target itself");
        }
    }

    #[test]
    fn trees_kept_across_a_change_stay_exact() {
        let mut search = Search::new();
        let (mut kept, mut dropped) = (0, 0);
        for seed in 1..3000u64 {
            let mut rng = Rng(seed * 0x9e37_79b9_7f4a_7c15 + 1);
            let Some((mut map, spec)) = random_map(&mut rng) else { continue };
            let n = map.node_count() as u64;
            let t = rng.below(n) as Node;
            let size = 1 + rng.below(n) as usize;
            map.trees().insert(Tree::build(&map, t, size, &mut search).unwrap());
            // One random change: a weight up or down, a street closed or reopened (or none of
            // them, when it already was), or coordinates.
            let e = spec[rng.below(spec.len() as u64) as usize];
            match rng.below(4) {
                0 | 1 => {
                    let weight = [0, 1, 2, 5, 100, 7919][rng.below(6) as usize];
                    map.set_weights(&[EdgeSpec { weight, ..e }]).unwrap();
                }
                2 => {
                    map.set_closed(&[(e.from, e.to)], rng.below(3) != 0).unwrap();
                }
                _ => {
                    map.set_coordinates(&[(e.from, 12.5, 41.9)]).unwrap();
                }
            }
            let Lookup::Tree(tree) = map.trees().lookup(&map, t, &Query::default(), Algo::Auto, 4) else {
                dropped += 1;
                continue;
            };
            kept += 1;
            compare_with_dijkstra(&map, &tree, t, &mut search, seed);
        }
        assert!(kept > 500 && dropped > 500, "kept {kept}, dropped {dropped}");
    }

    #[test]
    fn a_dropped_tree_is_rebuilt_on_the_next_query() {
        let mut map = line(10);
        let mut search = Search::new();
        let q = Query::default();
        map.trees().insert(Tree::build(&map, 9, TREE_NODES, &mut search).unwrap());
        // 0 -> 1 is a step of the tree: raising it drops the tree.
        map.set_weights(&[EdgeSpec { from: 0, to: 1, weight: 5 }]).unwrap();
        assert_eq!(map.trees().len(), 0);
        assert!(matches!(map.trees().lookup(&map, 9, &q, Algo::Auto, 4), Lookup::Build));
    }

    fn line(n: u64) -> Map {
        let mut map = Map::new();
        let edges: Vec<EdgeSpec> = (0..n).map(|k| EdgeSpec { from: k, to: k + 1, weight: 1 }).collect();
        map.add_edges(&edges, 0, usize::MAX).unwrap();
        map
    }

    #[test]
    fn a_target_earns_a_tree_after_popular_queries_and_loses_it_when_a_change_hits_it() {
        let mut map = line(10);
        let mut search = Search::new();
        let q = Query::default();
        for _ in 1..POPULAR {
            assert!(matches!(map.trees().lookup(&map, 9, &q, Algo::Auto, 4), Lookup::Search));
        }
        assert!(matches!(map.trees().lookup(&map, 9, &q, Algo::Auto, 4), Lookup::Build));
        // While a worker builds it, queries search.
        assert!(matches!(map.trees().lookup(&map, 9, &q, Algo::Auto, 4), Lookup::Search));
        map.trees().insert(Tree::build(&map, 9, TREE_NODES, &mut search).unwrap());
        let Lookup::Tree(tree) = map.trees().lookup(&map, 9, &q, Algo::Auto, 4) else { panic!("no tree") };
        assert_eq!(tree.route(&map, 2, Cost::MAX).unwrap().unwrap().cost, 7);
        assert_eq!(map.trees().len(), 1);
        // Other queries neither use nor count towards trees.
        let masked = Query { mask: 1, ..Query::default() };
        let avoiding = Query { avoid: vec![3], ..Query::default() };
        assert!(matches!(map.trees().lookup(&map, 9, &masked, Algo::Auto, 4), Lookup::Search));
        assert!(matches!(map.trees().lookup(&map, 9, &avoiding, Algo::Auto, 4), Lookup::Search));
        assert!(matches!(map.trees().lookup(&map, 9, &q, Algo::Dijkstra, 4), Lookup::Search));
        assert!(matches!(map.trees().lookup(&map, 9, &q, Algo::Auto, 0), Lookup::Search));
        // A snapshot keeps the old version's trees; the changed map starts with none.
        let snapshot = map.clone();
        map.set_weights(&[EdgeSpec { from: 5, to: 6, weight: 100 }]).unwrap(); // a step of the tree
        assert_eq!(map.trees().len(), 0);
        // The target was popular: its next query rebuilds it.
        assert!(matches!(map.trees().lookup(&map, 9, &q, Algo::Auto, 4), Lookup::Build));
        let Lookup::Tree(old) = snapshot.trees().lookup(&snapshot, 9, &q, Algo::Auto, 4) else { panic!("no tree") };
        assert_eq!(old.route(&snapshot, 2, Cost::MAX).unwrap().unwrap().cost, 7);
        // Walked on the changed map it would be wrong where it can tell: an error, never a path.
        let mut grown = snapshot.clone();
        grown.add_edges(&[EdgeSpec { from: 20, to: 21, weight: 1 }], 0, usize::MAX).unwrap();
        assert_eq!(old.route(&grown, 2, Cost::MAX), None);
        // A tree of another version is never walked, even if it were offered.
        map.trees().insert(Tree::build(&snapshot, 9, TREE_NODES, &mut search).unwrap());
        assert!(matches!(map.trees().lookup(&map, 9, &q, Algo::Auto, 4), Lookup::Search));
    }

    #[test]
    fn when_full_only_a_much_more_popular_target_takes_a_tree() {
        let map = line(10);
        let mut search = Search::new();
        let q = Query::default();
        let ask = |to: Node, times: u32| {
            let mut last = None;
            for _ in 0..times {
                last = Some(map.trees().lookup(&map, to, &q, Algo::Auto, 1));
            }
            last.unwrap()
        };
        assert!(matches!(ask(9, POPULAR), Lookup::Build));
        map.trees().insert(Tree::build(&map, 9, TREE_NODES, &mut search).unwrap());
        // Target 8 is as popular as 9 was: no room.
        assert!(matches!(ask(8, POPULAR), Lookup::Search));
        // Asked for more than twice as often as the tree's use (POPULAR on insertion): it replaces it.
        let mut took = false;
        for _ in 0..2 * POPULAR {
            took |= matches!(map.trees().lookup(&map, 8, &q, Algo::Auto, 1), Lookup::Build);
        }
        assert!(took);
        assert_eq!(map.trees().len(), 0);
        map.trees().abandon(8);
        assert!(matches!(ask(7, POPULAR), Lookup::Build));
    }

    #[test]
    fn a_tree_the_budget_cuts_short_is_not_built() {
        let map = line(10);
        let mut search = Search::new();
        search.limit(5, None);
        assert!(Tree::build(&map, 9, TREE_NODES, &mut search).is_none());
        search.limit(11, None);
        assert!(Tree::build(&map, 9, TREE_NODES, &mut search).is_some());
    }
}
