//! The path methods (issue "Speed") against a real server: DIJKSTRA, BIDIR, ASTAR, ALT and
//! AUTO give the same cost on real road maps (the oracle's on Rome), under every query option,
//! after closures and weight increases (landmarks stay valid) and after a weight decrease
//! (landmarks become invalid, ALT refuses, AUTO stays exact) until HUNT.LANDMARKS runs again;
//! landmarks and coordinates survive DEBUG RELOAD.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use common::oracle::{Graph, XorShift};
use common::*;
use redis::{Cmd, Connection, Value};

const ALL: [&str; 5] = ["DIJKSTRA", "BIDIR", "ASTAR", "ALT", "AUTO"];
const NO_COORDINATES: [&str; 4] = ["DIJKSTRA", "BIDIR", "ALT", "AUTO"];

// ---------------------------------------------------------------------------------------
// The test's own record of the map
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Edge {
    weight: u32,
    class: u8,
    closed: bool,
}

struct Model {
    edges: HashMap<(u64, u64), Edge>,
    nodes: Vec<u64>,
}

/// A query: its options, and what they mean for the oracle.
#[derive(Clone, Debug)]
struct Case {
    from: u64,
    to: u64,
    words: Vec<String>,
    mask: u16,
    avoid: Vec<u64>,
    max_cost: Option<u64>,
}

impl Case {
    fn plain(from: u64, to: u64) -> Case {
        Case { from, to, words: vec![], mask: u16::MAX, avoid: vec![], max_cost: None }
    }
}

impl Model {
    fn new(edges: &[hunt_core::EdgeSpec]) -> Model {
        let edges: HashMap<(u64, u64), Edge> =
            edges.iter().map(|e| ((e.from, e.to), Edge { weight: e.weight, class: 0, closed: false })).collect();
        let mut nodes: Vec<u64> = edges.keys().flat_map(|&(u, v)| [u, v]).collect();
        nodes.sort_unstable();
        nodes.dedup();
        Model { edges, nodes }
    }

    fn edge(&mut self, from: u64, to: u64) -> &mut Edge {
        self.edges.get_mut(&(from, to)).unwrap_or_else(|| panic!("no edge {from} {to}"))
    }

    /// The oracle's graph for a mask and avoided nodes; a zero self-loop keeps every node known.
    fn graph(&self, mask: u16, avoid: &[u64]) -> Graph {
        let avoid: HashSet<u64> = avoid.iter().copied().collect();
        let arcs: Vec<(u64, u64, u64)> = self
            .edges
            .iter()
            .filter(|&(&(_, to), e)| !e.closed && mask & (1 << e.class) != 0 && !avoid.contains(&to))
            .map(|(&(from, to), e)| (from, to, e.weight as u64))
            .chain(self.nodes.iter().map(|&v| (v, v, 0)))
            .collect();
        Graph::new(&arcs)
    }

    fn expected(&self, graph: &Graph, case: &Case) -> Option<u64> {
        let cost = if case.from == case.to {
            Some(0)
        } else if case.avoid.contains(&case.to) {
            None
        } else {
            graph.cost(case.from, case.to)
        };
        cost.filter(|&c| case.max_cost.is_none_or(|m| c <= m))
    }

    /// A route uses only open edges of the mask, enters no avoided node, and its weights add
    /// up to its cost.
    fn check_route(&self, case: &Case, route: &Route, algo: &str) {
        let what = format!("{} -> {} {:?} ALGO {algo}", case.from, case.to, case.words);
        assert_eq!(route.path.first(), Some(&case.from), "{what}");
        assert_eq!(route.path.last(), Some(&case.to), "{what}");
        let mut sum = 0;
        for s in route.path.windows(2) {
            let e = self.edges.get(&(s[0], s[1])).unwrap_or_else(|| panic!("{what}: {} -> {} is no edge", s[0], s[1]));
            assert!(!e.closed, "{what}: uses the closed edge {} -> {}", s[0], s[1]);
            assert!(case.mask & (1 << e.class) != 0, "{what}: uses a class-{} edge", e.class);
            assert!(!case.avoid.contains(&s[1]), "{what}: enters avoided node {}", s[1]);
            sum += e.weight as u64;
        }
        assert_eq!(sum, route.cost, "{what}: the weights do not add up to the cost");
        if let Some(m) = case.max_cost {
            assert!(route.cost <= m, "{what}");
        }
    }
}

fn path_words(key: &str, case: &Case, algo: &str) -> Cmd {
    let mut c = redis::cmd("HUNT.PATH");
    c.arg(key).arg(case.from).arg(case.to);
    for w in &case.words {
        c.arg(w);
    }
    c.arg("ALGO").arg(algo);
    c
}

/// Runs every case with every method (one pipeline) and checks that they agree, that every
/// route is a real one, and (with `oracle`) that the cost is the oracle's. Returns the
/// DIJKSTRA answers.
fn agree(
    con: &mut Connection,
    key: &str,
    model: &Model,
    cases: &[Case],
    algos: &[&str],
    oracle: bool,
) -> Vec<Option<Route>> {
    let commands: Vec<Cmd> = cases.iter().flat_map(|c| algos.iter().map(move |a| path_words(key, c, a))).collect();
    let replies = pipeline(con, &commands);
    let mut graphs: HashMap<String, Graph> = HashMap::new();
    let mut out = Vec::new();
    for (case, answers) in cases.iter().zip(replies.chunks(algos.len())) {
        let routes: Vec<Option<Route>> = answers
            .iter()
            .zip(algos)
            .map(|(a, algo)| match a {
                Ok(v) => route(v),
                Err(e) => panic!("{} -> {} {:?} ALGO {algo}: {e}", case.from, case.to, case.words),
            })
            .collect();
        let costs: Vec<Option<u64>> = routes.iter().map(|r| r.as_ref().map(|r| r.cost)).collect();
        assert!(
            costs.iter().all(|c| *c == costs[0]),
            "{} -> {} {:?}: the methods disagree: {:?}",
            case.from,
            case.to,
            case.words,
            algos.iter().zip(&costs).collect::<Vec<_>>()
        );
        for (r, algo) in routes.iter().zip(algos) {
            if let Some(r) = r {
                model.check_route(case, r, algo);
            }
        }
        if oracle {
            let key = format!("{} {:?}", case.mask, case.avoid);
            let graph = graphs.entry(key).or_insert_with(|| model.graph(case.mask, &case.avoid));
            assert_eq!(
                costs[0],
                model.expected(graph, case),
                "{} -> {} {:?}: not the oracle's cost",
                case.from,
                case.to,
                case.words
            );
        }
        out.push(routes[0].clone());
    }
    out
}

/// Each pair plain, and (for the first `with_options` pairs) under MASK, AVOID and MAXCOST
/// chosen from its plain answer.
fn cases(pairs: &[(u64, u64)], plain: &[Option<Route>], with_options: usize) -> Vec<Case> {
    let mut out = Vec::new();
    for (k, (&(a, b), base)) in pairs.iter().zip(plain).enumerate() {
        out.push(Case::plain(a, b));
        if k >= with_options {
            continue;
        }
        out.push(Case { words: s(&["MASK", "1"]), mask: 1, ..Case::plain(a, b) });
        let Some(r) = base else { continue };
        let mid = r.path[r.path.len() / 2];
        out.push(Case { words: s(&["AVOID", "1", &mid.to_string()]), avoid: vec![mid], ..Case::plain(a, b) });
        out.push(Case { words: s(&["MAXCOST", &r.cost.to_string()]), max_cost: Some(r.cost), ..Case::plain(a, b) });
        let under = r.cost.saturating_sub(1);
        out.push(Case { words: s(&["MAXCOST", &under.to_string()]), max_cost: Some(under), ..Case::plain(a, b) });
        out.push(Case {
            words: s(&[
                "MASK",
                "3",
                "AVOID",
                "2",
                &mid.to_string(),
                &a.to_string(),
                "MAXCOST",
                &(r.cost * 2).to_string(),
            ]),
            mask: 3,
            avoid: vec![mid, a],
            max_cost: Some(r.cost * 2),
            ..Case::plain(a, b)
        });
    }
    out
}

fn s(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn pairs(model: &Model, n: usize, seed: u64) -> Vec<(u64, u64)> {
    let mut rng = XorShift(seed);
    let len = model.nodes.len() as u64;
    (0..n).map(|_| (model.nodes[rng.below(len) as usize], model.nodes[rng.below(len) as usize])).collect()
}

fn info(con: &mut Connection, key: &str) -> BTreeMap<String, Value> {
    fields(&ok(con, &["HUNT.MAPINFO", key])).into_iter().collect()
}

fn landmarks_state(con: &mut Connection, key: &str) -> (i64, i64, String) {
    let i = info(con, key);
    (int(&i["landmarks"]), int(&i["landmarks_valid"]), text(&i["algo"]))
}

fn set_weights(con: &mut Connection, key: &str, model: &mut Model, triples: &[(u64, u64, u32)]) {
    let mut c = redis::cmd("HUNT.SETWEIGHTS");
    c.arg(key);
    for &(u, v, w) in triples {
        c.arg(u).arg(v).arg(w);
        model.edge(u, v).weight = w;
    }
    call(con, &c).unwrap_or_else(|e| panic!("SETWEIGHTS: {e}"));
}

fn close(con: &mut Connection, key: &str, model: &mut Model, pairs: &[(u64, u64)]) {
    let mut c = redis::cmd("HUNT.CLOSE");
    c.arg(key);
    for &(u, v) in pairs {
        c.arg(u).arg(v);
        model.edge(u, v).closed = true;
    }
    call(con, &c).unwrap_or_else(|e| panic!("CLOSE: {e}"));
}

/// The middle edge of each route, distinct.
fn middle_edges(routes: &[Option<Route>]) -> Vec<(u64, u64)> {
    let mut seen = HashSet::new();
    routes
        .iter()
        .flatten()
        .filter(|r| r.path.len() >= 2)
        .map(|r| {
            let k = r.path.len() / 2;
            (r.path[k - 1], r.path[k])
        })
        .filter(|e| seen.insert(*e))
        .collect()
}

/// Puts 10% of the edges in class 1 (same weights), before landmarks exist.
fn reclass(con: &mut Connection, key: &str, model: &mut Model) {
    let mut edges: Vec<(u64, u64)> = model.edges.keys().copied().collect();
    edges.sort_unstable();
    let mut rng = XorShift(0xC1A55);
    let chosen: Vec<(u64, u64, u32)> =
        edges.iter().filter(|_| rng.below(10) == 0).map(|&(u, v)| (u, v, model.edges[&(u, v)].weight)).collect();
    for batch in chosen.chunks(20_000) {
        assert_eq!(add_edges(con, key, Some(1), batch), 0);
    }
    for &(u, v, _) in &chosen {
        model.edge(u, v).class = 1;
    }
}

/// How much each phase asks (New York's searches are slow on a shared 2-core machine).
struct Plan {
    /// Pairs asked with landmarks valid, and how many of them also under options.
    first: usize,
    options_first: usize,
    /// Pairs asked in the later phases, and how many of them also under options.
    later: usize,
    options_later: usize,
    /// Whether to check that a new edge invalidates landmarks (one more HUNT.LANDMARKS).
    new_edge: bool,
}

/// The phases shared by both maps. `algos` are the methods this map supports; `oracle` says
/// whether every answer is checked against the oracle; `auto_fallback` is what AUTO uses
/// without valid landmarks.
fn phases(
    con: &mut Connection,
    key: &str,
    model: &mut Model,
    algos: &[&str],
    oracle: bool,
    plan: &Plan,
    auto_fallback: &str,
) {
    let without_alt: Vec<&str> = algos.iter().copied().filter(|&a| a != "ALT").collect();
    let n = plan.first;
    let pairs = pairs(model, n, 0x9A1F);
    let t = Instant::now();

    // Landmarks valid.
    assert_eq!(ok(con, &["HUNT.LANDMARKS", key, "8"]), Value::Int(8));
    assert_eq!(landmarks_state(con, key), (8, 1, "alt".into()));
    let plain: Vec<Case> = pairs.iter().map(|&(a, b)| Case::plain(a, b)).collect();
    let base = agree(con, key, model, &plain, algos, oracle);
    let answered = base.iter().flatten().count();
    assert!(answered * 10 > n * 8, "most pairs are connected ({answered} of {n})");
    agree(con, key, model, &cases(&pairs, &base, plan.options_first), algos, oracle);
    eprintln!("{key}: landmarks valid, {:?}", t.elapsed());
    let (pairs, plain) = (&pairs[..plan.later], &plain[..plan.later]);

    // Closures and weight increases keep them valid, and every method exact.
    let edges = middle_edges(&base);
    close(con, key, model, &edges[..edges.len() / 3]);
    let increases: Vec<(u64, u64, u32)> = edges[edges.len() / 3..2 * edges.len() / 3]
        .iter()
        .map(|&(u, v)| (u, v, model.edges[&(u, v)].weight * 3 + 100))
        .collect();
    set_weights(con, key, model, &increases);
    assert_eq!(landmarks_state(con, key), (8, 1, "alt".into()), "closures and increases keep landmarks valid");
    let after = agree(con, key, model, plain, algos, oracle);
    agree(con, key, model, &cases(pairs, &after, plan.options_later), algos, oracle);
    eprintln!("{key}: after closures and increases, {:?}", t.elapsed());

    // A weight decrease invalidates them: ALT refuses, AUTO falls back and stays exact.
    let decreases: Vec<(u64, u64, u32)> = edges[2 * edges.len() / 3..]
        .iter()
        .enumerate()
        .map(|(k, &(u, v))| (u, v, if k % 5 == 0 { 0 } else { model.edges[&(u, v)].weight / 10 }))
        .collect();
    set_weights(con, key, model, &decreases);
    assert_eq!(landmarks_state(con, key), (8, 0, auto_fallback.to_string()));
    let (a, b) = pairs[0];
    let refused = err(con, &["HUNT.PATH", key, &a.to_string(), &b.to_string(), "ALGO", "ALT"]);
    assert!(refused.starts_with("ERR ALT needs landmarks"), "{refused}");
    let after = agree(con, key, model, plain, &without_alt, oracle);
    agree(con, key, model, &cases(pairs, &after, plan.options_later), &without_alt, oracle);
    eprintln!("{key}: after decreases, {:?}", t.elapsed());

    // HUNT.LANDMARKS makes them valid again.
    assert_eq!(ok(con, &["HUNT.LANDMARKS", key, "8"]), Value::Int(8));
    assert_eq!(landmarks_state(con, key), (8, 1, "alt".into()));
    agree(con, key, model, plain, algos, oracle);
    if !plan.new_edge {
        eprintln!("{key}: done, {:?}", t.elapsed());
        return;
    }

    // A new edge invalidates them as well; closing more does not.
    let (x, y) = (pairs[1].0, pairs[2].1);
    let weight = if model.edges.contains_key(&(x, y)) { model.edges[&(x, y)].weight } else { 1 };
    add_edges(con, key, None, &[(x, y, weight / 2)]);
    model.edges.insert((x, y), Edge { weight: weight / 2, class: 0, closed: false });
    assert_eq!(landmarks_state(con, key).1, 0, "an added edge invalidates landmarks");
    assert!(
        err(con, &["HUNT.PATH", key, &a.to_string(), &b.to_string(), "ALGO", "ALT"])
            .starts_with("ERR ALT needs landmarks")
    );
    agree(con, key, model, &plain[..plan.later / 2], &without_alt, oracle);
    assert_eq!(ok(con, &["HUNT.LANDMARKS", key, "8"]), Value::Int(8));
    close(con, key, model, &middle_edges(&after)[..5]);
    assert_eq!(landmarks_state(con, key), (8, 1, "alt".into()));
    agree(con, key, model, &plain[..plan.later / 2], algos, oracle);
    eprintln!("{key}: done, {:?}", t.elapsed());
}

#[test]
fn every_method_gives_the_oracles_cost_on_rome_under_every_option_and_change() {
    let server = Server::start("methods-rome", &[]);
    let mut con = server.con();
    let mut model = Model::new(&load_map(&mut con, "rome", &rome_path()));
    reclass(&mut con, "rome", &mut model);
    let state = info(&mut con, "rome");
    assert_eq!((int(&state["located"]), int(&state["landmarks"])), (0, 0));
    assert_eq!(text(&state["algo"]), "bidir");
    let astar = err(&mut con, &["HUNT.PATH", "rome", "1", "3000", "ALGO", "ASTAR"]);
    assert!(astar.starts_with("ERR ASTAR needs coordinates"), "{astar}");
    let alt = err(&mut con, &["HUNT.PATH", "rome", "1", "3000", "ALGO", "ALT"]);
    assert!(alt.starts_with("ERR ALT needs landmarks"), "{alt}");
    let plan = Plan { first: 100, options_first: 100, later: 100, options_later: 50, new_edge: true };
    phases(&mut con, "rome", &mut model, &NO_COORDINATES, true, &plan, "bidir");
    // Still no coordinates: ASTAR still refuses, with landmarks or without.
    let astar = err(&mut con, &["HUNT.PATH", "rome", "1", "3000", "ALGO", "ASTAR"]);
    assert!(astar.starts_with("ERR ASTAR needs coordinates"), "{astar}");
}

/// New York with coordinates, when the shared data folder has it.
fn new_york(con: &mut Connection) -> Option<Model> {
    let gr = shared_map("USA-road-d.NY.gr.gz")?;
    let co = shared_map("USA-road-d.NY.co.gz")?;
    let t = Instant::now();
    let edges = hunt_load::read_edges(&gr).unwrap_or_else(|e| panic!("{}: {e}", gr.display()));
    let added = hunt_load::send(con, "ny", &edges, 20_000, |_| {}).expect("load New York");
    assert_eq!(added as usize, edges.len());
    let nodes = hunt_load::read_coordinates(&co).unwrap_or_else(|e| panic!("{}: {e}", co.display()));
    hunt_load::send_coordinates(con, "ny", &nodes, 20_000).expect("send the coordinates");
    let model = Model::new(&edges);
    let state = info(con, "ny");
    assert_eq!(int(&state["nodes"]) as usize, model.nodes.len());
    assert_eq!(int(&state["located"]), int(&state["nodes"]), "every node has coordinates");
    assert_eq!(text(&state["algo"]), "astar");
    eprintln!("ny: loaded in {:?}", t.elapsed());
    Some(model)
}

fn oracle_spot_check(con: &mut Connection, key: &str, model: &Model, pairs: &[(u64, u64)], algos: &[&str]) {
    let graph = model.graph(u16::MAX, &[]);
    for &(a, b) in pairs {
        let want = graph.cost(a, b);
        for &algo in algos {
            let got = path(con, key, a, b, &["ALGO", algo]).map(|r| r.cost);
            assert_eq!(got, want, "{a} -> {b} ALGO {algo}: not the oracle's cost");
        }
    }
}

#[test]
fn every_method_gives_the_same_cost_on_new_york_with_coordinates() {
    let server = Server::start("methods-ny", &[]);
    let mut con = server.con();
    let Some(mut model) = new_york(&mut con) else { return };
    reclass(&mut con, "ny", &mut model);
    let spot = pairs(&model, 3, 0x0AC1E);
    oracle_spot_check(&mut con, "ny", &model, &spot, &["DIJKSTRA", "BIDIR", "ASTAR", "AUTO"]);
    let plan = Plan { first: 100, options_first: 4, later: 20, options_later: 3, new_edge: false };
    phases(&mut con, "ny", &mut model, &ALL, false, &plan, "astar");

    // Landmarks and coordinates survive DEBUG RELOAD.
    let probe: Vec<Case> = pairs(&model, 20, 0x5AFE).into_iter().map(|(a, b)| Case::plain(a, b)).collect();
    let fast = ["ASTAR", "ALT", "AUTO"];
    let before_info = without_memory(info(&mut con, "ny"));
    let before = replies(&mut con, "ny", &probe, &fast);
    assert!(before.iter().all(|r| matches!(r, Ok(Value::Array(_)) | Ok(Value::Nil))), "{before:?}");
    assert_eq!(text(&ok(&mut con, &["DEBUG", "RELOAD"])), "OK");
    assert_eq!(without_memory(info(&mut con, "ny")), before_info);
    assert_eq!(replies(&mut con, "ny", &probe, &fast), before, "the same answers after the reload");
}

fn without_memory(mut info: BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    info.remove("memory");
    info
}

/// Made-up coordinates around Rome: pairs of nodes share a point, so some edges have length
/// zero; the A* bound must stay admissible anyway.
fn synthetic_coordinates(model: &Model) -> Vec<(u64, f64, f64)> {
    model
        .nodes
        .iter()
        .map(|&id| {
            let k = id / 2;
            (id, 12.3 + (k * 7919 % 10007) as f64 * 0.4 / 10007.0, 41.7 + (k * 104_729 % 10009) as f64 * 0.3 / 10009.0)
        })
        .collect()
}

fn replies(con: &mut Connection, key: &str, cases: &[Case], algos: &[&str]) -> Vec<Result<Value, String>> {
    let commands: Vec<Cmd> = cases.iter().flat_map(|c| algos.iter().map(move |a| path_words(key, c, a))).collect();
    pipeline(con, &commands)
}

#[test]
fn landmarks_and_coordinates_survive_debug_reload() {
    let server = Server::start("methods-reload", &[]);
    let mut con = server.con();
    let mut model = Model::new(&load_map(&mut con, "rome", &rome_path()));
    hunt_load::send_coordinates(&mut con, "rome", &synthetic_coordinates(&model), 1000).expect("HUNT.NODES");
    assert_eq!(text(&info(&mut con, "rome")["algo"]), "astar");
    assert_eq!(ok(&mut con, &["HUNT.LANDMARKS", "rome", "8"]), Value::Int(8));
    let state = info(&mut con, "rome");
    assert_eq!(
        (int(&state["located"]), int(&state["landmarks"]), int(&state["landmarks_valid"]), text(&state["algo"])),
        (3353, 8, 1, "alt".to_string())
    );
    let probe: Vec<Case> = pairs(&model, 100, 0x7E10).into_iter().map(|(a, b)| Case::plain(a, b)).collect();
    agree(&mut con, "rome", &model, &probe, &ALL, true);
    let before = replies(&mut con, "rome", &probe, &ALL);
    let digest = ok(&mut con, &["DEBUG", "DIGEST-VALUE", "rome"]);
    assert_eq!(text(&ok(&mut con, &["DEBUG", "RELOAD"])), "OK");
    assert_eq!(without_memory(info(&mut con, "rome")), without_memory(state));
    assert_eq!(replies(&mut con, "rome", &probe, &ALL), before, "the same answers after the reload");
    assert_eq!(ok(&mut con, &["DEBUG", "DIGEST-VALUE", "rome"]), digest);

    // With landmarks made invalid by a decrease: after the reload every method still exact.
    let edges = middle_edges(&agree(&mut con, "rome", &model, &probe, &ALL, true));
    let decreases: Vec<(u64, u64, u32)> =
        edges.iter().take(10).map(|&(u, v)| (u, v, model.edges[&(u, v)].weight / 5)).collect();
    set_weights(&mut con, "rome", &mut model, &decreases);
    assert_eq!(landmarks_state(&mut con, "rome"), (8, 0, "astar".into()));
    let without_alt = ["DIJKSTRA", "BIDIR", "ASTAR", "AUTO"];
    agree(&mut con, "rome", &model, &probe, &without_alt, true);
    assert_eq!(text(&ok(&mut con, &["DEBUG", "RELOAD"])), "OK");
    let (landmarks, valid, algo) = landmarks_state(&mut con, "rome");
    assert_eq!(landmarks, 8, "the landmark nodes are saved with the map");
    eprintln!("after a decrease and a reload: landmarks_valid {valid}, algo {algo}");
    let algos: &[&str] = if valid == 1 { &ALL } else { &without_alt };
    agree(&mut con, "rome", &model, &probe, algos, true);
    assert_eq!(int(&info(&mut con, "rome")["located"]), 3353);
}
