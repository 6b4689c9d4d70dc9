//! Property tests of the live map: random edges, then weight changes, closures, reopenings and
//! class-tagged additions interleaved with queries under random masks, avoid sets and cost
//! bounds. Every answer is checked against a model of the map kept independently (a plain
//! hash map of edges) and a Bellman-Ford oracle over it.

use std::collections::HashMap;

use hunt_core::{Algo, Cost, EdgeSpec, Error, Map, NodeId, Query, Search};
use proptest::prelude::*;

/// The model: (from, to) -> (weight, class, closed).
type Model = HashMap<(NodeId, NodeId), (u32, u8, bool)>;

#[derive(Clone, Debug)]
enum Op {
    Add {
        edges: Vec<(NodeId, NodeId, u32)>,
        class: u8,
    },
    SetWeights(Vec<(usize, u32)>),
    Close(Vec<usize>),
    Open(Vec<usize>),
    Path {
        from: NodeId,
        to: NodeId,
        mask: u16,
        avoid: Vec<NodeId>,
        max_cost: Cost,
    },
    Reach {
        from: NodeId,
        max_cost: Cost,
        mask: u16,
    },
    Matrix {
        sources: Vec<NodeId>,
        targets: Vec<NodeId>,
        mask: u16,
    },
    /// Coordinates for every node (so A* can run), seeded.
    Locate(u64),
    Landmarks(usize),
}

const NODES: NodeId = 9;

fn node() -> impl Strategy<Value = NodeId> {
    0..NODES
}

fn mask() -> impl Strategy<Value = u16> {
    prop_oneof![Just(u16::MAX), 0..16u16]
}

fn op() -> impl Strategy<Value = Op> {
    let weight = prop_oneof![Just(0u32), 1..20u32, Just(u32::MAX)];
    prop_oneof![
        (prop::collection::vec((node(), node(), weight.clone()), 1..6), 0..4u8)
            .prop_map(|(edges, class)| Op::Add { edges, class }),
        prop::collection::vec((any::<usize>(), weight), 1..4).prop_map(Op::SetWeights),
        prop::collection::vec(any::<usize>(), 1..3).prop_map(Op::Close),
        prop::collection::vec(any::<usize>(), 1..3).prop_map(Op::Open),
        (node(), node(), mask(), prop::collection::vec(node(), 0..3), prop_oneof![Just(Cost::MAX), 0..40u64])
            .prop_map(|(from, to, mask, avoid, max_cost)| Op::Path { from, to, mask, avoid, max_cost }),
        (node(), prop_oneof![Just(Cost::MAX), 0..40u64], mask()).prop_map(|(from, max_cost, mask)| Op::Reach {
            from,
            max_cost,
            mask
        }),
        (prop::collection::vec(node(), 1..4), prop::collection::vec(node(), 1..4), mask())
            .prop_map(|(sources, targets, mask)| Op::Matrix { sources, targets, mask }),
        any::<u64>().prop_map(Op::Locate),
        (1..4usize).prop_map(Op::Landmarks),
    ]
}

/// Costs from `from` to every node over the usable edges of the model, never entering `avoid`.
fn oracle(model: &Model, from: NodeId, mask: u16, avoid: &[NodeId], max_cost: Cost) -> HashMap<NodeId, Cost> {
    let mut dist = HashMap::from([(from, 0)]);
    loop {
        let mut changed = false;
        for (&(u, v), &(w, class, closed)) in model {
            if closed || mask & (1 << class) == 0 || avoid.contains(&v) {
                continue;
            }
            if let Some(&du) = dist.get(&u) {
                let dv = du + w as Cost;
                if dv <= max_cost && dist.get(&v).is_none_or(|&old| dv < old) {
                    dist.insert(v, dv);
                    changed = true;
                }
            }
        }
        if !changed {
            return dist;
        }
    }
}

fn pick(model: &Model, k: usize) -> Option<(NodeId, NodeId)> {
    let mut keys: Vec<_> = model.keys().copied().collect();
    keys.sort_unstable();
    (!keys.is_empty()).then(|| keys[k % keys.len()])
}

fn check(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut map = Map::new();
    let mut model = Model::new();
    let mut search = Search::new();
    let mut version = 0;
    for op in ops {
        match op {
            Op::Add { edges, class } => {
                let spec: Vec<EdgeSpec> =
                    edges.iter().map(|&(from, to, weight)| EdgeSpec { from, to, weight }).collect();
                map.add_edges(&spec, class, usize::MAX).unwrap();
                for (u, v, w) in edges {
                    let closed = model.get(&(u, v)).is_some_and(|e| e.2);
                    model.insert((u, v), (w, class, closed));
                }
            }
            Op::SetWeights(changes) => {
                let mut spec = Vec::new();
                for (k, w) in changes {
                    let Some((u, v)) = pick(&model, k) else { continue };
                    spec.push(EdgeSpec { from: u, to: v, weight: w });
                }
                if spec.is_empty() {
                    continue;
                }
                map.set_weights(&spec).unwrap();
                for e in spec {
                    model.get_mut(&(e.from, e.to)).unwrap().0 = e.weight;
                }
            }
            Op::Close(ks) | Op::Open(ks) if model.is_empty() || ks.is_empty() => {}
            Op::Close(ks) => {
                let pairs: Vec<_> = ks.iter().filter_map(|&k| pick(&model, k)).collect();
                map.set_closed(&pairs, true).unwrap();
                pairs.iter().for_each(|p| model.get_mut(p).unwrap().2 = true);
            }
            Op::Open(ks) => {
                let pairs: Vec<_> = ks.iter().filter_map(|&k| pick(&model, k)).collect();
                map.set_closed(&pairs, false).unwrap();
                pairs.iter().for_each(|p| model.get_mut(p).unwrap().2 = false);
            }
            Op::Path { from, to, mask, avoid, max_cost } => {
                let (Some(s), Some(t)) = (map.node(from), map.node(to)) else { continue };
                let query = Query { mask, avoid: avoid.iter().filter_map(|&id| map.node(id)).collect(), max_cost };
                let expected = oracle(&model, from, mask, &avoid, max_cost).get(&to).copied();
                for algo in [Algo::Auto, Algo::Dijkstra, Algo::Bidir, Algo::Astar, Algo::Alt] {
                    let got = match search.path_with(&map, s, t, &query, algo) {
                        Err(Error::NoCoordinates | Error::NoLandmarks) => continue,
                        other => other.unwrap(),
                    };
                    prop_assert_eq!(got.as_ref().map(|r| r.cost), expected, "{:?} path {} -> {}", algo, from, to);
                    if let Some(route) = got {
                        let mut sum = 0;
                        for w in route.path.windows(2) {
                            let (u, v) = (map.id(w[0]), map.id(w[1]));
                            let &(weight, class, closed) = model.get(&(u, v)).expect("the path uses a real edge");
                            prop_assert!(!closed && mask & (1 << class) != 0, "the path uses a closed or masked edge");
                            prop_assert!(!avoid.contains(&v), "the path enters an avoided node");
                            sum += weight as Cost;
                        }
                        prop_assert_eq!(sum, route.cost);
                    }
                }
            }
            Op::Locate(seed) => {
                let mut x = seed | 1;
                let mut next = || {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 10_000) as f64 / 1e5
                };
                let coords: Vec<_> =
                    (0..map.node_count() as u32).map(|v| (map.id(v), 2.3 + next(), 48.8 + next())).collect();
                if !coords.is_empty() {
                    map.set_coordinates(&coords).unwrap();
                }
            }
            Op::Landmarks(k) => map.compute_landmarks(k),
            Op::Reach { from, max_cost, mask } => {
                let Some(s) = map.node(from) else { continue };
                let query = Query { mask, avoid: vec![], max_cost };
                let mut out = Vec::new();
                search.reach(&map, s, usize::MAX, &query, &mut out).unwrap();
                let got: HashMap<NodeId, Cost> = out.iter().map(|&(v, c)| (map.id(v), c)).collect();
                prop_assert_eq!(got, oracle(&model, from, mask, &[], max_cost));
                prop_assert!(out.windows(2).all(|w| w[0].1 <= w[1].1), "reach is nearest first");
            }
            Op::Matrix { sources, targets, mask } => {
                let targets: Vec<NodeId> = targets.into_iter().filter(|&t| map.node(t).is_some()).collect();
                let dense: Vec<_> = targets.iter().map(|&t| map.node(t).unwrap()).collect();
                for from in sources {
                    let Some(s) = map.node(from) else { continue };
                    let mut row = Vec::new();
                    search.costs(&map, s, &dense, &Query { mask, ..Query::default() }, &mut row).unwrap();
                    let all = oracle(&model, from, mask, &[], Cost::MAX);
                    let expected: Vec<Option<Cost>> = targets.iter().map(|t| all.get(t).copied()).collect();
                    prop_assert_eq!(row, expected);
                }
            }
        }
        prop_assert!(map.version() >= version);
        version = map.version();
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn live_map_answers_match_the_oracle(ops in prop::collection::vec(op(), 1..40)) {
        check(ops)?;
    }
}
