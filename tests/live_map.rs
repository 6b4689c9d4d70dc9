//! The live map (issue "The live map") against a real server: closures, reopenings and weight
//! changes seen by the very next query, all-or-nothing changes, the query options (MASK, AVOID,
//! MAXCOST) on HUNT.PATH, HUNT.REACH and HUNT.MATRIX against the oracle, a concurrent stream of
//! changes and queries checked version by version, HUNT.PATHTOCLUE on a moving clue,
//! replicas and AOF replay, keyspace notifications and errors.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::oracle::{Graph, XorShift};
use common::*;
use redis::{Cmd, Connection, Value};

// ---------------------------------------------------------------------------------------
// A model of the map, kept by the test from the changes it sends
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Edge {
    weight: u32,
    class: u8,
    closed: bool,
}

#[derive(Clone)]
struct Model {
    edges: HashMap<(u64, u64), Edge>,
    nodes: Vec<u64>,
}

/// The query options, as the test chose them.
#[derive(Clone, Debug, Default)]
struct Opts {
    mask: Option<u16>,
    avoid: Vec<u64>,
    max_cost: Option<u64>,
    algo: Option<&'static str>,
}

impl Opts {
    fn words(&self) -> Vec<String> {
        let mut w = Vec::new();
        if let Some(m) = self.mask {
            w.extend(["MASK".to_string(), m.to_string()]);
        }
        if !self.avoid.is_empty() {
            w.push("AVOID".into());
            w.push(self.avoid.len().to_string());
            w.extend(self.avoid.iter().map(u64::to_string));
        }
        if let Some(c) = self.max_cost {
            w.extend(["MAXCOST".to_string(), c.to_string()]);
        }
        if let Some(a) = self.algo {
            w.extend(["ALGO".to_string(), a.to_string()]);
        }
        w
    }

    fn mask(&self) -> u16 {
        self.mask.unwrap_or(u16::MAX)
    }
}

impl Model {
    fn new(specs: &[hunt_core::EdgeSpec]) -> Model {
        let mut model = Model { edges: HashMap::new(), nodes: Vec::new() };
        model.add(0, &specs.iter().map(|e| (e.from, e.to, e.weight)).collect::<Vec<_>>());
        model
    }

    /// `HUNT.ADDEDGES ... CLASS class`: new edges, or new weight and class for existing ones.
    fn add(&mut self, class: u8, edges: &[(u64, u64, u32)]) {
        for &(from, to, weight) in edges {
            let e = self.edges.entry((from, to)).or_insert(Edge { weight, class, closed: false });
            e.weight = weight;
            e.class = class;
        }
        let mut nodes: Vec<u64> = self.edges.keys().flat_map(|&(u, v)| [u, v]).collect();
        nodes.sort_unstable();
        nodes.dedup();
        self.nodes = nodes;
    }

    fn edge(&self, from: u64, to: u64) -> Edge {
        self.edges[&(from, to)]
    }

    fn closed(&self) -> usize {
        self.edges.values().filter(|e| e.closed).count()
    }

    /// The oracle's graph of what a query with `opts` may use: open edges of the classes in the
    /// mask, none entering an avoided node. A zero self-loop per node keeps every node known.
    fn graph(&self, opts: &Opts) -> Graph {
        let avoid: HashSet<u64> = opts.avoid.iter().copied().collect();
        let mask = opts.mask();
        let arcs: Vec<(u64, u64, u64)> = self
            .edges
            .iter()
            .filter(|&(&(_, to), e)| !e.closed && mask & (1 << e.class) != 0 && !avoid.contains(&to))
            .map(|(&(from, to), e)| (from, to, e.weight as u64))
            .chain(self.nodes.iter().map(|&v| (v, v, 0)))
            .collect();
        Graph::new(&arcs)
    }

    /// The least cost the server must answer for `from -> to` under `opts`.
    fn expected(&self, graph: &Graph, from: u64, to: u64, opts: &Opts) -> Option<u64> {
        let cost = if from == to {
            Some(0)
        } else if opts.avoid.contains(&to) {
            None
        } else {
            graph.cost(from, to)
        };
        cost.filter(|&c| opts.max_cost.is_none_or(|m| c <= m))
    }

    /// Checks that a route only uses open edges allowed by `opts`, enters no avoided node, and
    /// that its weights add up to its cost.
    fn check_route(&self, from: u64, to: u64, route: &Route, opts: &Opts) {
        assert_eq!(route.path.first(), Some(&from), "{from}->{to}: {route:?}");
        assert_eq!(route.path.last(), Some(&to), "{from}->{to}: {route:?}");
        let mut sum = 0u64;
        for step in route.path.windows(2) {
            let e = self
                .edges
                .get(&(step[0], step[1]))
                .unwrap_or_else(|| panic!("{from}->{to} uses {} -> {}, which is no edge", step[0], step[1]));
            assert!(
                !e.closed,
                "{from}->{to} (version {}) uses the closed edge {} -> {}",
                route.version, step[0], step[1]
            );
            assert!(opts.mask() & (1 << e.class) != 0, "{from}->{to} uses a class-{} edge under {opts:?}", e.class);
            assert!(!opts.avoid.contains(&step[1]), "{from}->{to} enters avoided node {}", step[1]);
            sum += e.weight as u64;
        }
        assert_eq!(sum, route.cost, "{from}->{to} (version {}): the weights do not add up to the cost", route.version);
    }

    /// Queries the server and checks its answer against the oracle.
    fn check_query(&self, con: &mut Connection, key: &str, from: u64, to: u64, opts: &Opts) -> Option<Route> {
        let words = opts.words();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let got = path(con, key, from, to, &words);
        let want = self.expected(&self.graph(opts), from, to, opts);
        assert_eq!(got.as_ref().map(|r| r.cost), want, "HUNT.PATH {key} {from} {to} {words:?}");
        if let Some(r) = &got {
            self.check_route(from, to, r, opts);
        }
        got
    }
}

/// `HUNT.MAPINFO` fields by name.
fn map_fields(con: &mut Connection, key: &str) -> BTreeMap<String, Value> {
    fields(&ok(con, &["HUNT.MAPINFO", key])).into_iter().collect()
}

fn map_version(con: &mut Connection, key: &str) -> u64 {
    int(&map_fields(con, key)["version"]) as u64
}

fn edge_words(cmd_name: &str, key: &str, pairs: &[(u64, u64)]) -> Cmd {
    let mut c = redis::cmd(cmd_name);
    c.arg(key);
    for &(u, v) in pairs {
        c.arg(u).arg(v);
    }
    c
}

fn weight_words(key: &str, triples: &[(u64, u64, u32)]) -> Cmd {
    let mut c = redis::cmd("HUNT.SETWEIGHTS");
    c.arg(key);
    for &(u, v, w) in triples {
        c.arg(u).arg(v).arg(w);
    }
    c
}

fn run_int(con: &mut Connection, c: &Cmd) -> i64 {
    int(&call(con, c).unwrap_or_else(|e| panic!("{:?}: {e}", command_words(c))))
}

fn run_err(con: &mut Connection, c: &Cmd) -> String {
    match call(con, c) {
        Ok(v) => panic!("{:?} should fail, replied {v:?}", command_words(c)),
        Err(e) => e,
    }
}

/// Rome in `key`, and its model.
fn rome(con: &mut Connection, key: &str) -> Model {
    let model = Model::new(&load_map(con, key, &rome_path()));
    assert_eq!(model.nodes.len(), 3353);
    model
}

fn random_pair(rng: &mut XorShift, model: &Model) -> (u64, u64) {
    let n = model.nodes.len() as u64;
    (model.nodes[rng.below(n) as usize], model.nodes[rng.below(n) as usize])
}

// ---------------------------------------------------------------------------------------
// Closures, reopenings, weights
// ---------------------------------------------------------------------------------------

#[test]
fn a_closed_edge_is_never_used_once_close_replied_and_is_used_again_after_open() {
    let server = Server::start("live-close", &[]);
    let mut con = server.con();
    let mut model = rome(&mut con, "rome");
    let mut version = map_version(&mut con, "rome");
    let mut rng = XorShift(0x5EED_0001);
    let none = Opts::default();
    let mut closures = 0;
    for _ in 0..25 {
        let (a, b) = random_pair(&mut rng, &model);
        let Some(first) = model.check_query(&mut con, "rome", a, b, &none) else { continue };
        assert_eq!(first.version, version);
        let mut closed = Vec::new();
        let mut route = first.clone();
        // Close an edge of the current best path, four times over: each next path avoids it.
        for _ in 0..4 {
            if route.path.len() < 2 {
                break;
            }
            let k = route.path.len() / 2;
            let edge = (route.path[k - 1], route.path[k]);
            assert_eq!(run_int(&mut con, &edge_words("HUNT.CLOSE", "rome", &[edge])), 1);
            model.edges.get_mut(&edge).unwrap().closed = true;
            closed.push(edge);
            closures += 1;
            version += 1;
            match model.check_query(&mut con, "rome", a, b, &none) {
                Some(r) => {
                    assert_eq!(r.version, version, "each change takes the next version");
                    assert!(!r.path.windows(2).any(|s| closed.contains(&(s[0], s[1]))));
                    assert!(r.cost >= route.cost);
                    route = r;
                }
                None => break,
            }
        }
        assert_eq!(int(&map_fields(&mut con, "rome")["closed"]) as usize, model.closed());
        // Closing a closed edge changes nothing; reopening all of them at once restores the path.
        assert_eq!(run_int(&mut con, &edge_words("HUNT.CLOSE", "rome", &closed[..1])), 0);
        assert!(map_version(&mut con, "rome") >= version);
        version = map_version(&mut con, "rome");
        assert_eq!(run_int(&mut con, &edge_words("HUNT.OPEN", "rome", &closed)) as usize, closed.len());
        version += 1;
        for e in &closed {
            model.edges.get_mut(e).unwrap().closed = false;
        }
        let again = model.check_query(&mut con, "rome", a, b, &none).unwrap();
        assert_eq!((again.cost, again.version), (first.cost, version));
        assert_eq!(int(&map_fields(&mut con, "rome")["closed"]), 0);
        // Each reopened edge on its own: the oracle, with it open, agrees.
        for &(u, v) in &closed {
            let r = model.check_query(&mut con, "rome", u, v, &none).unwrap();
            assert!(r.cost <= model.edge(u, v).weight as u64);
        }
    }
    assert!(closures > 50, "{closures} closures");
}

#[test]
fn weight_changes_are_seen_by_the_next_query_and_each_change_takes_the_next_version() {
    let server = Server::start("live-weights", &[]);
    let mut con = server.con();
    let mut model = rome(&mut con, "rome");
    let mut version = map_version(&mut con, "rome");
    let mut rng = XorShift(0x5EED_0002);
    let none = Opts::default();
    for round in 0..25 {
        let (a, b) = random_pair(&mut rng, &model);
        let Some(first) = model.check_query(&mut con, "rome", a, b, &none) else { continue };
        if first.path.len() < 2 {
            continue;
        }
        let k = 1 + rng.below(first.path.len() as u64 - 1) as usize;
        let (u, v) = (first.path[k - 1], first.path[k]);
        let w = model.edge(u, v).weight;
        for new in [w * 10 + 500, w / 3, 0, w] {
            let changed = run_int(&mut con, &weight_words("rome", &[(u, v, new)]));
            assert_eq!(changed, i64::from(model.edge(u, v).weight != new), "SETWEIGHTS replies how many changed");
            model.edges.get_mut(&(u, v)).unwrap().weight = new;
            let after = map_version(&mut con, "rome");
            if changed == 1 {
                assert_eq!(after, version + 1, "a weight change takes the next version");
            } else {
                assert!(after == version || after == version + 1, "{version} -> {after}");
            }
            version = after;
            let r = model.check_query(&mut con, "rome", a, b, &none).unwrap();
            assert_eq!(r.version, version);
            if new <= w {
                assert!(r.cost <= first.cost);
            }
        }
        // Several at once, up and down.
        let (c, d) = (first.path[0], first.path[1]);
        let triples = [(u, v, w + 1 + round), (c, d, model.edge(c, d).weight / 2)];
        run_int(&mut con, &weight_words("rome", &triples));
        for (x, y, nw) in triples {
            model.edges.get_mut(&(x, y)).unwrap().weight = nw;
        }
        version += 1;
        assert_eq!(model.check_query(&mut con, "rome", a, b, &none).unwrap().version, version);
        assert_eq!(map_version(&mut con, "rome"), version);
    }
}

#[test]
fn a_missing_edge_fails_the_whole_change_and_leaves_everything_unchanged() {
    let server = Server::start("live-atomic", &[]);
    let mut con = server.con();
    let model = rome(&mut con, "rome");
    let mut edges: Vec<(u64, u64)> = model.edges.keys().copied().collect();
    edges.sort_unstable();
    let (g1, g2, g3) = (edges[10], edges[500], edges[7000]);
    // An edge whose reverse is not in the map, and two existing nodes with no edge between.
    let one_way = *edges.iter().find(|&&(u, v)| !model.edges.contains_key(&(v, u))).expect("a one-way street");
    let reverse = (one_way.1, one_way.0);
    let unrelated = (edges[0].0, edges[8000].1);
    assert!(!model.edges.contains_key(&unrelated));
    let unknown = (g1.0, 99_999_999);
    run_int(&mut con, &edge_words("HUNT.CLOSE", "rome", &[g3]));

    let snapshot = |con: &mut Connection| {
        let mut commands = vec![cmd(&["DEBUG", "DIGEST-VALUE", "rome"]), cmd(&["HUNT.MAPINFO", "rome"])];
        for &(u, v) in &[g1, g2, g3, one_way] {
            commands.push(path_cmd("rome", u, v, &[]));
            commands.push(path_cmd("rome", v, u, &[]));
        }
        pipeline(con, &commands)
    };
    let before = snapshot(&mut con);
    let w = |e: (u64, u64)| model.edge(e.0, e.1).weight + 7;
    let cases: Vec<(Cmd, (u64, u64))> = vec![
        (weight_words("rome", &[(g1.0, g1.1, w(g1)), (reverse.0, reverse.1, 1), (g2.0, g2.1, w(g2))]), reverse),
        (weight_words("rome", &[(unrelated.0, unrelated.1, 5)]), unrelated),
        (weight_words("rome", &[(g1.0, g1.1, 0), (g2.0, g2.1, 0), (unknown.0, unknown.1, 0)]), unknown),
        (edge_words("HUNT.CLOSE", "rome", &[g1, g2, unrelated]), unrelated),
        (edge_words("HUNT.CLOSE", "rome", &[reverse, g1]), reverse),
        (edge_words("HUNT.OPEN", "rome", &[g3, unknown]), unknown),
        (edge_words("HUNT.OPEN", "rome", &[g3, g1, reverse, g2]), reverse),
    ];
    for (c, (from, to)) in cases {
        let e = run_err(&mut con, &c);
        assert_eq!(e, format!("ERR no such edge {from} {to}"), "{:?}", command_words(&c));
        assert_eq!(snapshot(&mut con), before, "{:?} changed something", command_words(&c));
    }
    // Two bad items: the error names one of them; still nothing changes.
    let e = run_err(&mut con, &edge_words("HUNT.CLOSE", "rome", &[g1, unrelated, reverse]));
    assert!(
        [
            format!("ERR no such edge {} {}", unrelated.0, unrelated.1),
            format!("ERR no such edge {} {}", reverse.0, reverse.1)
        ]
        .contains(&e),
        "{e}"
    );
    assert_eq!(snapshot(&mut con), before);
    // The good items alone go through.
    assert_eq!(run_int(&mut con, &edge_words("HUNT.CLOSE", "rome", &[g1, g2])), 2);
    assert_eq!(run_int(&mut con, &edge_words("HUNT.OPEN", "rome", &[g3, g1, g2])), 3);
}

// ---------------------------------------------------------------------------------------
// Query options against the oracle
// ---------------------------------------------------------------------------------------

/// Rome with classes: 10% of its edges in class 1, 5% in class 2, and 60 new class-3
/// shortcuts; a few edges closed.
fn classy_rome(con: &mut Connection, rng: &mut XorShift) -> Model {
    let mut model = rome(con, "rome");
    let mut edges: Vec<(u64, u64)> = model.edges.keys().copied().collect();
    edges.sort_unstable();
    let mut class1 = Vec::new();
    let mut class2 = Vec::new();
    for &(u, v) in &edges {
        let w = model.edge(u, v).weight;
        match rng.below(20) {
            0 | 1 => class1.push((u, v, w)),
            2 => class2.push((u, v, w)),
            _ => {}
        }
    }
    assert_eq!(add_edges(con, "rome", Some(1), &class1), 0, "reclassing adds no edge");
    assert_eq!(add_edges(con, "rome", Some(2), &class2), 0);
    model.add(1, &class1);
    model.add(2, &class2);
    let mut shortcuts = Vec::new();
    while shortcuts.len() < 60 {
        let (a, b) = random_pair(rng, &model);
        if a != b && !model.edges.contains_key(&(a, b)) && !shortcuts.iter().any(|&(x, y, _)| (x, y) == (a, b)) {
            shortcuts.push((a, b, 1000 + rng.below(5000) as u32));
        }
    }
    assert_eq!(add_edges(con, "rome", Some(3), &shortcuts), 60);
    model.add(3, &shortcuts);
    let closed: Vec<(u64, u64)> = (0..40).map(|_| edges[rng.below(edges.len() as u64) as usize]).collect();
    run_int(con, &edge_words("HUNT.CLOSE", "rome", &closed));
    for e in &closed {
        model.edges.get_mut(e).unwrap().closed = true;
    }
    let info = map_fields(con, "rome");
    assert_eq!(int(&info["edges"]) as usize, model.edges.len());
    assert_eq!(int(&info["closed"]) as usize, model.closed());
    model
}

#[test]
fn path_with_mask_avoid_and_maxcost_matches_the_oracle() {
    let server = Server::start("live-options", &[]);
    let mut con = server.con();
    let mut rng = XorShift(0x5EED_0003);
    let model = classy_rome(&mut con, &mut rng);
    let mut answered = 0;
    for _ in 0..40 {
        let (a, b) = random_pair(&mut rng, &model);
        let base = model.check_query(&mut con, "rome", a, b, &Opts::default());
        let mut variants = vec![
            Opts { mask: Some(1), ..Opts::default() },
            Opts { mask: Some(0b11), ..Opts::default() },
            Opts { mask: Some(0b1001), ..Opts::default() },
            Opts { mask: Some(0b1000), ..Opts::default() },
            Opts { mask: Some(0), ..Opts::default() },
            Opts { avoid: vec![a], ..Opts::default() },
            Opts { avoid: vec![b], ..Opts::default() },
            Opts { avoid: vec![99_999_999, a], mask: Some(0b111), ..Opts::default() },
        ];
        if let Some(r) = &base {
            answered += 1;
            let inner: Vec<u64> = r.path[1..r.path.len().saturating_sub(1)].to_vec();
            if !inner.is_empty() {
                let mid = inner[inner.len() / 2];
                variants.push(Opts { avoid: vec![mid], ..Opts::default() });
                variants.push(Opts { avoid: inner.clone(), ..Opts::default() });
                variants.push(Opts {
                    avoid: vec![mid, 99_999_999],
                    mask: Some(0b0111),
                    max_cost: Some(r.cost * 2),
                    algo: None,
                });
            }
            variants.push(Opts { max_cost: Some(r.cost), ..Opts::default() });
            variants.push(Opts { max_cost: Some(r.cost.saturating_sub(1)), ..Opts::default() });
            variants.push(Opts { max_cost: Some(r.cost), mask: Some(1), ..Opts::default() });
        }
        variants.push(Opts { max_cost: Some(0), ..Opts::default() });
        for opts in &variants {
            let got = model.check_query(&mut con, "rome", a, b, opts);
            if opts.max_cost == base.as_ref().map(|r| r.cost) && opts.mask.is_none() {
                assert!(got.is_some(), "MAXCOST equal to the cost still answers");
            }
        }
        // from == to: cost 0 under any option.
        for opts in [Opts::default(), Opts { avoid: vec![a], mask: Some(0), max_cost: Some(0), algo: None }] {
            let r = model.check_query(&mut con, "rome", a, a, &opts).unwrap();
            assert_eq!(r.path, vec![a]);
        }
    }
    assert!(answered > 25);
}

/// `HUNT.REACH` as (node, cost) pairs and the version.
fn reach(con: &mut Connection, words: &[String]) -> (Vec<(u64, u64)>, u64) {
    let reply = ok(con, words);
    let f = fields(&reply);
    let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["nodes", "version"], "{reply:?}");
    let Value::Array(items) = field(&reply, "nodes") else { panic!("{reply:?}") };
    let nodes = items
        .iter()
        .map(|item| match item {
            Value::Array(pair) if pair.len() == 2 => (int(&pair[0]) as u64, int(&pair[1]) as u64),
            other => panic!("not a pair: {other:?}"),
        })
        .collect();
    (nodes, int(&field(&reply, "version")) as u64)
}

#[test]
fn reach_lists_the_nodes_within_maxcost_nearest_first_and_limit_keeps_the_nearest() {
    let server = Server::start("live-reach", &[]);
    let mut con = server.con();
    let mut rng = XorShift(0x5EED_0004);
    let model = classy_rome(&mut con, &mut rng);
    let version = map_version(&mut con, "rome");
    for round in 0..12 {
        let from = model.nodes[rng.below(model.nodes.len() as u64) as usize];
        let opts = match round % 4 {
            0 => Opts::default(),
            1 => Opts { mask: Some(1), ..Opts::default() },
            2 => Opts { avoid: vec![model.nodes[rng.below(3353) as usize], from], ..Opts::default() },
            _ => Opts { mask: Some(0b1011), max_cost: Some(3000), ..Opts::default() },
        };
        let graph = model.graph(&opts);
        let all = graph.costs(from, &model.nodes);
        let mut costs: Vec<(u64, u64)> = model
            .nodes
            .iter()
            .zip(&all)
            .filter_map(|(&v, c)| c.map(|c| (v, c)))
            .filter(|&(v, _)| v == from || !opts.avoid.contains(&v))
            .collect();
        costs.sort_by_key(|&(v, c)| (c, v));
        // Max costs: 0, the exact cost of the 30th nearest node (inclusive), and large.
        let exact = costs.get(30).map_or(0, |&(_, c)| c);
        for max_cost in [0, exact, 20_000, u32::MAX as u64] {
            let bound = opts.max_cost.map_or(max_cost, |m| m.min(max_cost));
            let within: Vec<(u64, u64)> = costs.iter().copied().filter(|&(_, c)| c <= bound).collect();
            for limit in [None, Some(0), Some(1), Some(7), Some(100)] {
                let mut words: Vec<String> =
                    vec!["HUNT.REACH".into(), "rome".into(), from.to_string(), max_cost.to_string()];
                if let Some(n) = limit {
                    words.extend(["LIMIT".to_string(), n.to_string()]);
                }
                words.extend(opts.words());
                let (nodes, v) = reach(&mut con, &words);
                assert_eq!(v, version);
                let want_len = limit.map_or(within.len(), |n| n.min(within.len()));
                assert_eq!(nodes.len(), want_len, "{words:?}");
                if want_len > 0 {
                    assert_eq!(nodes[0], (from, 0), "the source comes first: {words:?}");
                }
                assert!(nodes.windows(2).all(|w| w[0].1 <= w[1].1), "nearest first: {words:?}");
                let truth: HashMap<u64, u64> = within.iter().copied().collect();
                let mut seen = HashSet::new();
                for &(node, cost) in &nodes {
                    assert!(seen.insert(node), "{node} twice: {words:?}");
                    assert_eq!(truth.get(&node), Some(&cost), "node {node} in {words:?}");
                }
                let got_costs: Vec<u64> = nodes.iter().map(|&(_, c)| c).collect();
                let want_costs: Vec<u64> = within.iter().take(want_len).map(|&(_, c)| c).collect();
                assert_eq!(got_costs, want_costs, "the nearest ones: {words:?}");
            }
        }
    }
}

#[test]
fn matrix_matches_the_oracle_with_nulls_where_unreachable() {
    let server = Server::start("live-matrix", &[]);
    let mut con = server.con();
    let mut rng = XorShift(0x5EED_0005);
    let mut model = classy_rome(&mut con, &mut rng);
    // An island: 900001 -> 900002 is reachable from nowhere else.
    assert_eq!(add_edges(&mut con, "rome", None, &[(900_001, 900_002, 5)]), 1);
    model.add(0, &[(900_001, 900_002, 5)]);
    let version = map_version(&mut con, "rome");
    let pick = |rng: &mut XorShift| model.nodes[rng.below(model.nodes.len() as u64) as usize];
    for round in 0..6 {
        let mut sources: Vec<u64> = (0..4).map(|_| pick(&mut rng)).collect();
        sources.push(900_001);
        let mut targets: Vec<u64> = (0..5).map(|_| pick(&mut rng)).collect();
        targets.extend([900_002, sources[0], 900_001]);
        let opts = match round % 3 {
            0 => Opts::default(),
            1 => Opts { mask: Some(0b101), ..Opts::default() },
            _ => Opts { avoid: vec![targets[1], 99_999_999], max_cost: Some(15_000), ..Opts::default() },
        };
        let mut words: Vec<String> =
            vec!["HUNT.MATRIX".into(), "rome".into(), "FROM".into(), sources.len().to_string()];
        words.extend(sources.iter().map(u64::to_string));
        words.extend(["TO".to_string(), targets.len().to_string()]);
        words.extend(targets.iter().map(u64::to_string));
        words.extend(opts.words());
        let reply = ok(&mut con, &words);
        assert_eq!(int(&field(&reply, "version")) as u64, version);
        let Value::Array(rows) = field(&reply, "costs") else { panic!("{reply:?}") };
        assert_eq!(rows.len(), sources.len());
        let graph = model.graph(&opts);
        let mut nulls = 0;
        for (row, &s) in rows.iter().zip(&sources) {
            let Value::Array(cells) = row else { panic!("{row:?}") };
            assert_eq!(cells.len(), targets.len());
            for (cell, &t) in cells.iter().zip(&targets) {
                let got = match cell {
                    Value::Nil => None,
                    v => Some(int(v) as u64),
                };
                nulls += usize::from(got.is_none());
                assert_eq!(got, model.expected(&graph, s, t, &opts), "{s} -> {t} in {words:?}");
            }
        }
        assert!(nulls >= targets.len() + 4, "the island gives nulls");
    }
}

// ---------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Change {
    Close(Vec<(u64, u64)>),
    Open(Vec<(u64, u64)>),
    Weights(Vec<(u64, u64, u32)>),
}

impl Change {
    fn command(&self) -> Cmd {
        match self {
            Change::Close(p) => edge_words("HUNT.CLOSE", "rome", p),
            Change::Open(p) => edge_words("HUNT.OPEN", "rome", p),
            Change::Weights(t) => weight_words("rome", t),
        }
    }

    fn apply(&self, model: &mut Model) {
        match self {
            Change::Close(p) => p.iter().for_each(|e| model.edges.get_mut(e).unwrap().closed = true),
            Change::Open(p) => p.iter().for_each(|e| model.edges.get_mut(e).unwrap().closed = false),
            Change::Weights(t) => t.iter().for_each(|&(u, v, w)| model.edges.get_mut(&(u, v)).unwrap().weight = w),
        }
    }
}

struct Answer {
    from: u64,
    to: u64,
    opts: Opts,
    route: Option<Route>,
    /// For a null reply, which carries no version: the versions it may have been computed on
    /// (from what the writer had committed and what this reader saw around it).
    window: (u64, u64),
}

#[test]
fn concurrent_changes_and_queries_never_yield_a_path_that_is_not_in_its_map_version() {
    const CHANGES: usize = 1000;
    const READERS: usize = 3;
    let server = Server::start("live-concurrent", &[]);
    let mut con = server.con();
    let base = rome(&mut con, "rome");
    let v0 = map_version(&mut con, "rome");
    // Short searches stay on the main thread, longer ones move to workers (on a snapshot).
    ok(&mut con, &["CONFIG", "SET", "hunt.inline-budget", "800"]);
    // The version of the last change the writer has seen acknowledged.
    let committed = AtomicU64::new(v0);
    let mut all_edges: Vec<(u64, u64)> = base.edges.keys().copied().collect();
    all_edges.sort_unstable();
    let hot: Mutex<Vec<(u64, u64)>> = Mutex::new(Vec::new());
    let done = AtomicBool::new(false);
    // Answers so far: the writer keeps about two per change, however busy the machine is.
    let asked = AtomicUsize::new(0);
    let started = Instant::now();

    let (log, answers) = std::thread::scope(|scope| {
        let readers: Vec<_> = (0..READERS)
            .map(|r| {
                let (server, base, hot, done, committed, asked) = (&server, &base, &hot, &done, &committed, &asked);
                scope.spawn(move || {
                    let mut con = server.con();
                    let mut rng = XorShift(0xBEEF + r as u64);
                    let mut answers: Vec<Answer> = Vec::new();
                    let mut last = v0;
                    while !done.load(Ordering::SeqCst) {
                        let (from, to) = random_pair(&mut rng, base);
                        let opts = match rng.below(7) {
                            0 => Opts { algo: Some("BIDIR"), ..Opts::default() },
                            6 if rng.below(4) == 0 => Opts { mask: Some(0), ..Opts::default() },
                            1 => Opts { algo: Some("DIJKSTRA"), ..Opts::default() },
                            2 => Opts { mask: Some(1), ..Opts::default() },
                            3 => Opts { avoid: vec![base.nodes[rng.below(3353) as usize]], ..Opts::default() },
                            _ => Opts::default(),
                        };
                        let words = opts.words();
                        let words: Vec<&str> = words.iter().map(String::as_str).collect();
                        let before = committed.load(Ordering::SeqCst);
                        let route = path(&mut con, "rome", from, to, &words);
                        // The writer sends its next change only after the last one replied.
                        let after = committed.load(Ordering::SeqCst) + 1;
                        if let Some(route) = &route {
                            assert!(route.version >= last, "a reader saw the version go back");
                            assert!(
                                route.version >= before,
                                "version {} ignores change {before}, acknowledged before the query was sent",
                                route.version
                            );
                            assert!(route.version <= after, "version {} was not made yet ({after})", route.version);
                            last = route.version;
                            let mut hot = hot.lock().unwrap();
                            hot.extend(route.path.windows(2).map(|s| (s[0], s[1])));
                            let len = hot.len();
                            if len > 400 {
                                hot.drain(..len - 400);
                            }
                        }
                        answers.push(Answer { from, to, opts, route, window: (last.max(before), after) });
                        asked.fetch_add(1, Ordering::SeqCst);
                    }
                    // Close the windows of null replies with the next version seen.
                    let mut next = u64::MAX;
                    for a in answers.iter_mut().rev() {
                        match &a.route {
                            Some(r) => next = r.version,
                            None => a.window.1 = a.window.1.min(next),
                        }
                    }
                    answers
                })
            })
            .collect();

        // The only writer: every change takes the next version, so the log says which map each
        // version is.
        let mut rng = XorShift(0xFEED);
        let mut closed: Vec<(u64, u64)> = Vec::new();
        let mut log: Vec<Change> = Vec::new();
        for k in 0..CHANGES {
            let pick = |rng: &mut XorShift| {
                let hot = hot.lock().unwrap();
                if !hot.is_empty() && rng.below(3) > 0 {
                    hot[rng.below(hot.len() as u64) as usize]
                } else {
                    all_edges[rng.below(all_edges.len() as u64) as usize]
                }
            };
            let count = 1 + rng.below(3) as usize;
            let change = match rng.below(3) {
                0 => {
                    let pairs: Vec<(u64, u64)> = (0..count).map(|_| pick(&mut rng)).collect();
                    closed.extend(&pairs);
                    Change::Close(pairs)
                }
                1 if !closed.is_empty() => {
                    let n = count.min(closed.len());
                    let pairs: Vec<(u64, u64)> =
                        (0..n).map(|_| closed.swap_remove(rng.below(closed.len() as u64) as usize)).collect();
                    Change::Open(pairs)
                }
                _ => {
                    let triples: Vec<(u64, u64, u32)> = (0..count)
                        .map(|_| {
                            let (u, v) = pick(&mut rng);
                            let original = base.edge(u, v).weight;
                            let w = match rng.below(3) {
                                0 => original * (2 + rng.below(10) as u32),
                                1 => original / (1 + rng.below(4) as u32),
                                _ => original,
                            };
                            (u, v, w)
                        })
                        .collect();
                    Change::Weights(triples)
                }
            };
            run_int(&mut con, &change.command());
            log.push(change);
            committed.store(v0 + log.len() as u64, Ordering::SeqCst);
            let deadline = Instant::now() + Duration::from_secs(1);
            while asked.load(Ordering::SeqCst) < 2 * (k + 1) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        assert_eq!(map_version(&mut con, "rome"), v0 + CHANGES as u64, "the writer was the only writer");
        done.store(true, Ordering::SeqCst);
        let answers: Vec<Answer> = readers.into_iter().flat_map(|r| r.join().unwrap()).collect();
        (log, answers)
    });
    let elapsed = started.elapsed();

    // Replay the log version by version and check every answer against its version's map.
    let mut by_version: BTreeMap<u64, Vec<&Answer>> = BTreeMap::new();
    let mut nulls: Vec<(&Answer, bool)> = Vec::new();
    for a in &answers {
        match &a.route {
            Some(r) => by_version.entry(r.version).or_default().push(a),
            None => nulls.push((a, false)),
        }
    }
    let mut model = base.clone();
    let mut checked = 0;
    let mut graphs: HashMap<String, Graph> = HashMap::new();
    for version in v0..=v0 + CHANGES as u64 {
        if version > v0 {
            log[(version - v0 - 1) as usize].apply(&mut model);
            graphs.clear();
        }
        for a in by_version.get(&version).into_iter().flatten() {
            let route = a.route.as_ref().unwrap();
            model.check_route(a.from, a.to, route, &a.opts);
            let key = format!("{:?}", (a.opts.mask, &a.opts.avoid));
            let graph = graphs.entry(key).or_insert_with(|| model.graph(&a.opts));
            assert_eq!(
                Some(route.cost),
                model.expected(graph, a.from, a.to, &a.opts),
                "{} -> {} {:?} at version {version}: not the least cost of that version",
                a.from,
                a.to,
                a.opts
            );
            checked += 1;
        }
        for (a, ok) in nulls.iter_mut().filter(|(a, ok)| !*ok && a.window.0 <= version && version <= a.window.1) {
            let graph = model.graph(&a.opts);
            *ok = model.expected(&graph, a.from, a.to, &a.opts).is_none();
        }
    }
    for (a, ok) in &nulls {
        assert!(ok, "{} -> {} {:?} was null, but reachable in every version in {:?}", a.from, a.to, a.opts, a.window);
    }
    let versions_seen = by_version.len();
    eprintln!(
        "{} answers ({} null) over {versions_seen} versions, {CHANGES} changes, in {elapsed:?}",
        answers.len(),
        nulls.len()
    );
    assert!(checked > 1000, "{checked} answers checked");
    assert!(versions_seen > CHANGES / 4, "queries interleaved with changes ({versions_seen} versions seen)");
}

// ---------------------------------------------------------------------------------------
// HUNT.PATHTOCLUE on a moving clue
// ---------------------------------------------------------------------------------------

struct ClueAnswer {
    from: u64,
    route: Route,
    clue_version: u64,
    node: u64,
    payload: Vec<u8>,
}

fn path_to_clue(reply: &Value, from: u64) -> ClueAnswer {
    let f = fields(reply);
    let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["clue", "cost", "path", "version"], "{reply:?}");
    let clue = field(reply, "clue");
    let cf = fields(&clue);
    let names: Vec<&str> = cf.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["id", "node", "payload", "version"], "{clue:?}");
    assert_eq!(text(&field(&clue, "id")), "c");
    let Value::Array(steps) = field(reply, "path") else { panic!("{reply:?}") };
    let Value::BulkString(payload) = field(&clue, "payload") else { panic!("{clue:?}") };
    ClueAnswer {
        from,
        route: Route {
            cost: int(&field(reply, "cost")) as u64,
            path: steps.iter().map(|v| int(v) as u64).collect(),
            version: int(&field(reply, "version")) as u64,
        },
        clue_version: int(&field(&clue, "version")) as u64,
        node: int(&field(&clue, "node")) as u64,
        payload,
    }
}

#[test]
fn pathtoclue_ends_at_the_node_of_the_clue_version_it_reports_while_the_clue_moves() {
    let server = Server::start("live-pathtoclue", &[]);
    let mut con = server.con();
    let model = rome(&mut con, "rome");
    let graph = model.graph(&Opts::default());
    let version0 = map_version(&mut con, "rome");
    let mut rng = XorShift(0x5EED_0006);
    let sources: Vec<u64> = (0..6).map(|_| model.nodes[rng.below(3353) as usize]).collect();
    // Clue nodes every source can reach.
    let mut reachable: Option<HashSet<u64>> = None;
    for &s in &sources {
        let set: HashSet<u64> =
            model.nodes.iter().zip(graph.costs(s, &model.nodes)).filter_map(|(&v, c)| c.map(|_| v)).collect();
        reachable = Some(match reachable {
            None => set,
            Some(r) => r.intersection(&set).copied().collect(),
        });
    }
    let mut targets: Vec<u64> = reachable.unwrap().into_iter().collect();
    targets.sort_unstable();
    assert!(targets.len() > 3000);

    ok(&mut con, &["CONFIG", "SET", "hunt.inline-budget", "800"]);
    let publishes: Mutex<HashMap<u64, (u64, Vec<u8>)>> = Mutex::new(HashMap::new());
    let first = targets[0];
    let v = int(&ok(&mut con, &["HUNT.PUBLISH", "b", "c", "start", "AT", &first.to_string()])) as u64;
    publishes.lock().unwrap().insert(v, (first, b"start".to_vec()));
    // The version of c's last publish that has replied.
    let published = AtomicU64::new(v);
    let done = AtomicBool::new(false);
    let answers: Vec<ClueAnswer> = std::thread::scope(|scope| {
        let readers: Vec<_> = (0..2)
            .map(|r| {
                let (server, sources, done, published) = (&server, &sources, &done, &published);
                scope.spawn(move || {
                    let mut con = server.con();
                    let mut rng = XorShift(0xABC + r);
                    let mut out: Vec<ClueAnswer> = Vec::new();
                    while !done.load(Ordering::SeqCst) {
                        let from = sources[rng.below(sources.len() as u64) as usize];
                        let acknowledged = published.load(Ordering::SeqCst);
                        let reply = ok(&mut con, &["HUNT.PATHTOCLUE", "rome", "b", &from.to_string(), "c"]);
                        let answer = path_to_clue(&reply, from);
                        assert!(
                            answer.clue_version >= acknowledged,
                            "clue version {} is older than {acknowledged}, published before the query was sent",
                            answer.clue_version
                        );
                        if let Some(prev) = out.last() {
                            assert!(answer.clue_version >= prev.clue_version, "the clue went back");
                        }
                        out.push(answer);
                    }
                    out
                })
            })
            .collect();
        let mut rng = XorShift(0x5EED_0007);
        for i in 0..400 {
            let node = targets[rng.below(targets.len() as u64) as usize];
            let payload = format!("move {i}").into_bytes();
            let v = int(&call(&mut con, &{
                let mut c = redis::cmd("HUNT.PUBLISH");
                c.arg("b").arg("c").arg(&payload[..]).arg("AT").arg(node);
                c
            })
            .unwrap()) as u64;
            publishes.lock().unwrap().insert(v, (node, payload));
            published.store(v, Ordering::SeqCst);
            if i % 4 == 0 {
                // Another clue on the same board: the versions of c are not consecutive.
                ok(&mut con, &["HUNT.PUBLISH", "b", "other", "x"]);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        done.store(true, Ordering::SeqCst);
        readers.into_iter().flat_map(|r| r.join().unwrap()).collect()
    });
    let publishes = publishes.into_inner().unwrap();
    let mut versions_seen = HashSet::new();
    for a in &answers {
        let (node, payload) = publishes
            .get(&a.clue_version)
            .unwrap_or_else(|| panic!("clue version {} was never published for c", a.clue_version));
        assert_eq!(a.node, *node, "the reply's clue node is the one set at version {}", a.clue_version);
        assert_eq!(&a.payload, payload);
        assert_eq!(a.route.path.last(), Some(node), "the path ends at the clue's node");
        assert_eq!(a.route.version, version0);
        model.check_route(a.from, *node, &a.route, &Opts::default());
        assert_eq!(Some(a.route.cost), graph.cost(a.from, *node), "{} -> {node}", a.from);
        versions_seen.insert(a.clue_version);
    }
    eprintln!("{} answers over {} clue versions", answers.len(), versions_seen.len());
    assert!(versions_seen.len() > 50, "the clue moved under the readers");
}

// ---------------------------------------------------------------------------------------
// Replicas and AOF replay
// ---------------------------------------------------------------------------------------

fn observe(con: &mut Connection, model: &Model) -> Vec<(String, Result<Value, String>)> {
    let mut rng = XorShift(0x0B5E);
    let mut commands = Vec::new();
    for k in 0..100 {
        let (a, b) = random_pair(&mut rng, model);
        let options: &[&str] = match k % 4 {
            0 => &[],
            1 => &["MASK", "3"],
            2 => &["ALGO", "DIJKSTRA"],
            _ => &["MAXCOST", "20000"],
        };
        commands.push(path_cmd("rome", a, b, options));
    }
    commands.push(cmd(&["HUNT.REACH", "rome", "1", "3000", "LIMIT", "50"]));
    commands.push(cmd(&["HUNT.MATRIX", "rome", "FROM", "2", "1", "2", "TO", "3", "3000", "5", "900"]));
    commands.push(cmd(&["DEBUG", "DIGEST-VALUE", "rome"]));
    let mut out: Vec<(String, Result<Value, String>)> =
        commands.iter().map(|c| command_words(c).join(" ")).zip(pipeline(con, &commands)).collect();
    let mut info = map_fields(con, "rome");
    info.remove("memory");
    out.push(("MAPINFO without memory".into(), Ok(Value::Array(info.into_values().collect()))));
    out
}

fn assert_same(a: &[(String, Result<Value, String>)], b: &[(String, Result<Value, String>)]) {
    assert_eq!(a.len(), b.len());
    for ((command, x), (_, y)) in a.iter().zip(b) {
        assert_eq!(x, y, "{command} answers differently");
    }
    let answered = a.iter().filter(|(c, r)| c.starts_with("HUNT.PATH") && matches!(r, Ok(Value::Array(_)))).count();
    assert!(answered > 50, "{answered} paths");
}

/// A series of changes of every kind; returns them applied to `model`.
fn changes(con: &mut Connection, model: &mut Model, rng: &mut XorShift, round: u32) {
    let mut edges: Vec<(u64, u64)> = model.edges.keys().copied().collect();
    edges.sort_unstable();
    for _ in 0..30 {
        let e = edges[rng.below(edges.len() as u64) as usize];
        match rng.below(4) {
            0 => {
                run_int(con, &edge_words("HUNT.CLOSE", "rome", &[e]));
                model.edges.get_mut(&e).unwrap().closed = true;
            }
            1 => {
                run_int(con, &edge_words("HUNT.OPEN", "rome", &[e]));
                model.edges.get_mut(&e).unwrap().closed = false;
            }
            2 => {
                let w = model.edge(e.0, e.1).weight / 2 + rng.below(3000) as u32;
                run_int(con, &weight_words("rome", &[(e.0, e.1, w)]));
                model.edges.get_mut(&e).unwrap().weight = w;
            }
            _ => {
                let w = model.edge(e.0, e.1).weight;
                add_edges(con, "rome", Some(1 + (round % 3) as u8), &[(e.0, e.1, w)]);
                model.add(1 + (round % 3) as u8, &[(e.0, e.1, w)]);
            }
        }
    }
    let (a, b) = random_pair(rng, model);
    add_edges(con, "rome", Some(2), &[(a, b, 777 + round)]);
    model.add(2, &[(a, b, 777 + round)]);
    ok(con, &["HUNT.LANDMARKS", "rome", &(2 + round).to_string()]);
}

#[test]
fn replicas_and_aof_replay_give_the_same_answers_after_a_series_of_changes() {
    let mut primary = Server::start("live-aof-primary", &["--appendonly", "yes"]);
    let mut con = primary.con();
    wait_until("the first AOF rewrite", Duration::from_secs(30), || {
        info_field(&mut con, "persistence", "aof_rewrite_in_progress") == "0"
    });
    let mut model = rome(&mut con, "rome");
    let mut rng = XorShift(0x5EED_0008);
    changes(&mut con, &mut model, &mut rng, 1); // reaches the replica by the full sync

    let port = primary.port.to_string();
    let replica = Server::start("live-aof-replica", &["--replicaof", "127.0.0.1", &port]);
    let mut rcon = replica.con();
    wait_until("the replica's link to come up", Duration::from_secs(10), || {
        info_field(&mut rcon, "replication", "master_link_status") == "up"
    });
    // The replica's own limits are smaller than what the primary accepts: replicated commands
    // apply regardless.
    assert_eq!(text(&ok(&mut rcon, &["CONFIG", "SET", "hunt.max-batch", "1"])), "OK");
    assert_eq!(text(&ok(&mut rcon, &["CONFIG", "SET", "hunt.max-nodes", "10"])), "OK");
    let fresh = [(900_001, 900_002, 4), (900_002, 1, 5), (2, 900_001, 6)];
    assert_eq!(add_edges(&mut con, "rome", Some(5), &fresh), 3);
    model.add(5, &fresh);
    changes(&mut con, &mut model, &mut rng, 2); // reaches it as commands
    changes(&mut con, &mut model, &mut rng, 3);
    assert!(run_err(&mut con, &edge_words("HUNT.CLOSE", "rome", &[(1, 99_999_999)])).starts_with("ERR no such edge"));
    assert_eq!(ok(&mut con, &["WAIT", "1", "5000"]), Value::Int(1));
    // (The limits do apply to the replica's own clients' queries.)
    let limited = err(&mut rcon, &["HUNT.MATRIX", "rome", "FROM", "2", "1", "2", "TO", "1", "3"]);
    assert_eq!(limited, "ERR too many items in one call (the limit is 1)");
    assert_eq!(text(&ok(&mut rcon, &["CONFIG", "SET", "hunt.max-batch", "1000000"])), "OK");

    let before = observe(&mut con, &model);
    assert_same(&before, &observe(&mut rcon, &model));
    // The answers are right, too.
    for k in 0..10 {
        let (a, b) = random_pair(&mut rng, &model);
        let opts = if k % 2 == 0 { Opts::default() } else { Opts { mask: Some(0b101), ..Opts::default() } };
        model.check_query(&mut con, "rome", a, b, &opts);
        model.check_query(&mut rcon, "rome", a, b, &opts);
    }

    // The primary's AOF alone (no rewrite since the load: every change as a command).
    drop(con);
    primary.restart();
    let mut con = primary.con();
    assert_same(&before, &observe(&mut con, &model));
}

// ---------------------------------------------------------------------------------------
// Keyspace notifications
// ---------------------------------------------------------------------------------------

#[test]
fn setweights_close_and_open_fire_keyspace_notifications() {
    let server = Server::start("live-notify", &[]); // started with notify-keyspace-events KEA
    let mut con = server.con();
    add_edges(&mut con, "m", None, &[(1, 2, 3), (2, 3, 4)]);
    let mut scon = server.con();
    let mut sub = scon.as_pubsub();
    sub.psubscribe("__key*@0__:*").unwrap();
    ok(&mut con, &["HUNT.SETWEIGHTS", "m", "1", "2", "5"]);
    ok(&mut con, &["HUNT.CLOSE", "m", "2", "3"]);
    ok(&mut con, &["HUNT.OPEN", "m", "2", "3"]);
    // Refused changes notify nothing.
    assert_eq!(err(&mut con, &["HUNT.SETWEIGHTS", "m", "1", "3", "5"]), "ERR no such edge 1 3");
    assert_eq!(err(&mut con, &["HUNT.CLOSE", "m", "2", "3", "3", "2"]), "ERR no such edge 3 2");
    assert_eq!(err(&mut con, &["HUNT.OPEN", "nomap", "2", "3"]), "ERR no such map");
    ok(&mut con, &["SET", "marker", "1"]);
    let events: Vec<(String, String)> = (0..8)
        .map(|_| {
            let m = sub.get_message().unwrap();
            (m.get_channel_name().to_string(), m.get_payload::<String>().unwrap())
        })
        .collect();
    let got: Vec<(&str, &str)> = events.iter().map(|(c, d)| (c.as_str(), d.as_str())).collect();
    assert_eq!(
        got,
        [
            ("__keyspace@0__:m", "hunt.setweights"),
            ("__keyevent@0__:hunt.setweights", "m"),
            ("__keyspace@0__:m", "hunt.close"),
            ("__keyevent@0__:hunt.close", "m"),
            ("__keyspace@0__:m", "hunt.open"),
            ("__keyevent@0__:hunt.open", "m"),
            ("__keyspace@0__:marker", "set"),
            ("__keyevent@0__:set", "marker"),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

fn arity(command: &str) -> String {
    format!("ERR wrong number of arguments for '{}' command", command.to_lowercase())
}

#[test]
fn live_map_errors_reply_as_documented_and_change_nothing() {
    let server = Server::start("live-errors", &[]);
    let mut con = server.con();
    add_edges(&mut con, "m", None, &[(1, 2, 3), (2, 3, 4)]);
    ok(&mut con, &["HUNT.PUBLISH", "b", "c", "at three", "AT", "3"]);
    ok(&mut con, &["HUNT.PUBLISH", "b", "nonode", "nowhere"]);
    ok(&mut con, &["HUNT.PUBLISH", "b", "far", "off the map", "AT", "99"]);
    ok(&mut con, &["HUNT.PUBLISH", "b", "gone", "x", "AT", "2"]);
    ok(&mut con, &["HUNT.UNPUBLISH", "b", "gone"]);
    ok(&mut con, &["SET", "s", "a string"]);
    let snapshot = |con: &mut Connection| {
        pipeline(
            con,
            &[
                cmd(&["DEBUG", "DIGEST"]),
                cmd(&["DBSIZE"]),
                cmd(&["HUNT.MAPINFO", "m"]),
                cmd(&["HUNT.CLUES", "b", "SINCE", "0"]),
            ],
        )
    };
    let before = snapshot(&mut con);
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value".to_string();
    let mut cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["HUNT.PATHTOCLUE", "m", "b", "1", "nonode"], "ERR clue nonode has no node".into()),
        (vec!["HUNT.PATHTOCLUE", "m", "b", "1", "missing"], "ERR no such clue missing".into()),
        (vec!["HUNT.PATHTOCLUE", "m", "b", "1", "gone"], "ERR no such clue gone".into()),
        (vec!["HUNT.PATHTOCLUE", "m", "noboard", "1", "c"], "ERR no such clue c".into()),
        (vec!["HUNT.PATHTOCLUE", "nomap", "b", "1", "c"], "ERR no such map".into()),
        (vec!["HUNT.PATHTOCLUE", "s", "b", "1", "c"], wrongtype.clone()),
        (vec!["HUNT.PATHTOCLUE", "m", "s", "1", "c"], wrongtype.clone()),
        (vec!["HUNT.PATHTOCLUE", "b", "b", "1", "c"], wrongtype.clone()),
        (vec!["HUNT.PATHTOCLUE", "m", "m", "1", "c"], wrongtype.clone()),
        (vec!["HUNT.PATHTOCLUE", "m", "b", "99", "c"], "ERR no such node 99".into()),
        (vec!["HUNT.PATHTOCLUE", "m", "b", "1", "far"], "ERR no such node 99".into()),
        (vec!["HUNT.PATHTOCLUE", "m", "b", "1", "c", "FOO"], "ERR syntax error".into()),
        (vec!["HUNT.PATHTOCLUE", "m", "b", "1", "c", "MASK", "1", "MASK", "1"], "ERR syntax error".into()),
        (vec!["HUNT.PATHTOCLUE", "m", "b", "x", "c"], "ERR node id is not an integer or out of range".into()),
        (vec!["HUNT.PATHTOCLUE", "m", "b", "1"], arity("HUNT.PATHTOCLUE")),
        (vec!["HUNT.PATHTOCLUE", "m", "b"], arity("HUNT.PATHTOCLUE")),
        (vec!["HUNT.PATHTOCLUE", "m"], arity("HUNT.PATHTOCLUE")),
        (vec!["HUNT.ADDEDGES", "m", "CLASS", "16", "1", "2", "3"], "ERR class must be between 0 and 15".into()),
        (vec!["HUNT.ADDEDGES", "new", "CLASS", "16", "1", "2", "3"], "ERR class must be between 0 and 15".into()),
        (vec!["HUNT.ADDEDGES", "m", "CLASS", "-1", "1", "2", "3"], "ERR class must be between 0 and 15".into()),
        (vec!["HUNT.ADDEDGES", "m", "CLASS", "x", "1", "2", "3"], "ERR class is not an integer or out of range".into()),
        (vec!["HUNT.SETWEIGHTS", "m", "1", "3", "5"], "ERR no such edge 1 3".into()),
        (vec!["HUNT.SETWEIGHTS", "m", "1", "2", "x"], "ERR weight is not an integer or out of range".into()),
        (vec!["HUNT.SETWEIGHTS", "m", "1", "2", "4294967296"], "ERR weight must be between 0 and 4294967295".into()),
        (vec!["HUNT.SETWEIGHTS", "m", "1", "2"], arity("HUNT.SETWEIGHTS")),
        (vec!["HUNT.SETWEIGHTS", "m", "1", "2", "3", "4"], arity("HUNT.SETWEIGHTS")),
        (vec!["HUNT.SETWEIGHTS", "m"], arity("HUNT.SETWEIGHTS")),
        (vec!["HUNT.CLOSE", "m", "1"], arity("HUNT.CLOSE")),
        (vec!["HUNT.CLOSE", "m"], arity("HUNT.CLOSE")),
        (vec!["HUNT.OPEN", "m", "1", "2", "3"], arity("HUNT.OPEN")),
        (vec!["HUNT.OPEN", "m", "3", "1"], "ERR no such edge 3 1".into()),
        (vec!["HUNT.CLOSE", "m", "1", "-2"], "ERR node id must be between 0 and 9223372036854775807".into()),
        (vec!["HUNT.PATH", "m", "1", "3", "MASK", "1", "MASK", "1"], "ERR syntax error".into()),
        (vec!["HUNT.PATH", "m", "1", "3", "AVOID", "3", "1"], "ERR syntax error".into()),
        (vec!["HUNT.PATH", "m", "1", "3", "MASK", "65536"], "ERR mask must be between 0 and 65535".into()),
        (
            vec!["HUNT.PATH", "m", "1", "3", "MAXCOST", "-1"],
            "ERR maxcost must be between 0 and 9223372036854775807".into(),
        ),
        (
            vec!["HUNT.PATH", "m", "1", "3", "ALGO", "FASTEST"],
            "ERR ALGO must be AUTO, DIJKSTRA, BIDIR, ASTAR or ALT".into(),
        ),
        (vec!["HUNT.PATH", "m", "1", "7"], "ERR no such node 7".into()),
        (vec!["HUNT.REACH", "m", "1"], arity("HUNT.REACH")),
        (vec!["HUNT.REACH", "m", "1", "x"], "ERR maxcost is not an integer or out of range".into()),
        (vec!["HUNT.REACH", "m", "1", "10", "LIMIT", "-1"], "ERR limit must be between 0 and 4294967295".into()),
        (vec!["HUNT.REACH", "m", "1", "10", "FOO"], "ERR syntax error".into()),
        (vec!["HUNT.MATRIX", "m", "FROM", "1", "1", "TO", "1", "9"], "ERR no such node 9".into()),
        (vec!["HUNT.MATRIX", "m", "TO", "1", "1", "FROM", "1", "1"], "ERR syntax error".into()),
    ];
    for command in
        ["HUNT.PATH", "HUNT.REACH", "HUNT.MATRIX", "HUNT.SETWEIGHTS", "HUNT.CLOSE", "HUNT.OPEN", "HUNT.MAPINFO"]
    {
        let rest: &[&str] = match command {
            "HUNT.PATH" => &["1", "2"],
            "HUNT.REACH" => &["1", "10"],
            "HUNT.MATRIX" => &["FROM", "1", "1", "TO", "1", "2"],
            "HUNT.SETWEIGHTS" => &["1", "2", "3"],
            "HUNT.MAPINFO" => &[],
            _ => &["1", "2"],
        };
        for (key, want) in
            [("nomap", "ERR no such map".to_string()), ("s", wrongtype.clone()), ("b", wrongtype.clone())]
        {
            let mut words = vec![command, key];
            words.extend(rest);
            cases.push((words, want));
        }
    }
    for (words, want) in &cases {
        assert_eq!(&err(&mut con, words), want, "{words:?}");
        assert_eq!(snapshot(&mut con), before, "{words:?} changed something");
    }
    assert_eq!(ok(&mut con, &["EXISTS", "new", "nomap"]), Value::Int(0));
    // And the good forms work.
    let reply = ok(&mut con, &["HUNT.PATHTOCLUE", "m", "b", "1", "c"]);
    let answer = path_to_clue(&reply, 1);
    assert_eq!((answer.route.cost, answer.route.path, answer.node), (7, vec![1, 2, 3], 3));
    assert_eq!(
        ok(&mut con, &["HUNT.PATHTOCLUE", "m", "b", "3", "c", "MAXCOST", "0"]),
        ok(&mut con, &["HUNT.PATHTOCLUE", "m", "b", "3", "c"])
    );
    assert_eq!(ok(&mut con, &["HUNT.PATHTOCLUE", "m", "b", "1", "c", "MAXCOST", "6"]), Value::Nil);
    assert_eq!(ok(&mut con, &["HUNT.ADDEDGES", "m", "CLASS", "15", "3", "1", "1"]), Value::Int(1));
}
