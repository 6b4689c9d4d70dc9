//! Independent checks of search answers: a plain Dijkstra over the map's public accessors
//! (no shared scratch, no heap of the core's), and a route validator.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use hunt_core::{Cost, Map, Node, Query, Route};

/// The cost from `from` to every node under `query` (classes, closures, avoided nodes, the
/// cost bound); the source may be avoided (it is never entered).
pub fn distances(map: &Map, from: Node, query: &Query) -> Vec<Option<Cost>> {
    let n = map.node_count();
    let avoid: HashSet<Node> = query.avoid.iter().copied().collect();
    let mut dist: Vec<Option<Cost>> = vec![None; n];
    let mut heap = BinaryHeap::new();
    dist[from as usize] = Some(0);
    heap.push(Reverse((0, from)));
    while let Some(Reverse((d, u))) = heap.pop() {
        if dist[u as usize] != Some(d) {
            continue;
        }
        for e in map.edges(u) {
            let v = map.head(e);
            if !map.usable(e, query.mask) || avoid.contains(&v) {
                continue;
            }
            let nd = d + map.weight(e) as Cost;
            if nd <= query.max_cost && dist[v as usize].is_none_or(|old| nd < old) {
                dist[v as usize] = Some(nd);
                heap.push(Reverse((nd, v)));
            }
        }
    }
    dist
}

/// Panics unless `route` is a real path from `from` to `to` under `query` costing `expected`.
pub fn check_route(map: &Map, route: &Route, from: Node, to: Node, query: &Query, expected: Cost) {
    assert_eq!(route.cost, expected, "a path method disagrees with Dijkstra");
    assert_eq!(route.path.first(), Some(&from), "a path starts elsewhere");
    assert_eq!(route.path.last(), Some(&to), "a path ends elsewhere");
    assert!(route.cost <= query.max_cost, "a path costs more than MAXCOST");
    let mut sum: Cost = 0;
    for w in route.path.windows(2) {
        let edge = map.edge(w[0], w[1]).expect("a path uses an edge that does not exist");
        assert!(map.usable(edge, query.mask), "a path uses a closed or masked edge");
        assert!(!query.avoid.contains(&w[1]), "a path enters an avoided node");
        sum += map.weight(edge) as Cost;
    }
    assert_eq!(sum, route.cost, "a path's edges do not add up to its cost");
}
