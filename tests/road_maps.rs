//! Real road maps against an independent oracle: the demo map of the README, every DIMACS
//! map of the shared data folder (skipped, with a note, where it is absent), every search
//! method, and the query options.

mod common;

use std::path::Path;
use std::time::Instant;

use common::oracle::{Graph, Limits, XorShift, read_dimacs};
use common::*;
use redis::Connection;

#[test]
fn demo_path_on_rome_is_a_chain_of_real_edges_at_the_least_cost() {
    let server = Server::start("demo", &[]);
    let mut con = server.con();
    let edges = load_map(&mut con, "rome", &rome_path());
    let graph = Graph::new(&read_dimacs(&rome_path()));

    let info = map_info(&mut con, "rome");
    assert_eq!(info.nodes, 3353);
    assert_eq!(info.edges, 8870 - 11, "rome99 has 11 parallel arcs, merged");
    assert_eq!(info.edges as usize, edges.len());
    assert_eq!(info.closed, 0);

    let route = path(&mut con, "rome", 1, 3000, &[]).expect("3000 is reachable from 1");
    let expected = graph.cost(1, 3000).expect("the oracle reaches 3000");
    graph.check_route(1, 3000, &route, expected);
    assert_eq!(route.version as i64, info.version);
    eprintln!("rome 1 -> 3000: cost {} over {} nodes", route.cost, route.path.len());
}

/// A map loaded into a server, seeded questions about it and the oracle's answers.
struct Asked {
    name: String,
    _server: Server,
    con: Connection,
    graph: Graph,
    pairs: Vec<(u64, u64)>,
    expected: Vec<Option<u64>>,
}

/// Loads `file` with the loader crate and asks 200 seeded pairs (20 sources with 10 targets
/// each, so the oracle answers a source's questions with one search), a pair from a node to
/// itself, and pairs that cross the map, then checks the default method's answers.
fn load_and_ask(name: &str, file: &Path, seed: u64) -> Asked {
    let started = Instant::now();
    let server = Server::start(name, &[]);
    let mut con = server.con();
    // Read the file for the oracle while the loader streams it into the server.
    let (arcs, edges) = std::thread::scope(|s| {
        let arcs = s.spawn(|| read_dimacs(file));
        let edges = load_map(&mut con, "map", file);
        (arcs.join().expect("reading the map for the oracle"), edges)
    });
    let graph = Graph::new(&arcs);
    let loaded = started.elapsed();

    let info = map_info(&mut con, "map");
    assert_eq!(info.nodes as usize, graph.ids.len(), "{name}: node count");
    assert_eq!(info.edges as usize, graph.distinct_pairs(), "{name}: edge count");
    assert_eq!(info.edges as usize, edges.len());

    let mut rng = XorShift(seed);
    let n = graph.ids.len() as u64;
    let mut pick = || graph.ids[rng.below(n) as usize];
    let mut questions: Vec<(u64, Vec<u64>)> = (0..20).map(|_| (pick(), (0..10).map(|_| pick()).collect())).collect();
    questions.push((graph.ids[0], vec![graph.ids[0]]));
    // Far pairs: from a few sources to the reachable node farthest from them, and back.
    for _ in 0..3 {
        let from = pick();
        let far = graph.farthest(from);
        questions.push((from, vec![far]));
        questions.push((far, vec![from]));
    }
    let pairs: Vec<(u64, u64)> =
        questions.iter().flat_map(|(from, targets)| targets.iter().map(move |&to| (*from, to))).collect();

    // The server answers while the oracle works through the same questions.
    let commands: Vec<redis::Cmd> = pairs.iter().map(|&(from, to)| path_cmd("map", from, to, &[])).collect();
    let (replies, expected) = std::thread::scope(|s| {
        let oracle =
            s.spawn(|| questions.iter().flat_map(|(from, targets)| graph.costs(*from, targets)).collect::<Vec<_>>());
        let replies = pipeline(&mut con, &commands);
        (replies, oracle.join().expect("the oracle"))
    });
    let asked = Asked { name: name.to_string(), _server: server, con, graph, pairs, expected };
    let unreachable = asked.compare(&[], replies);
    eprintln!(
        "{name}: {} nodes, {} edges; {} pairs agree with the oracle ({unreachable} unreachable); load {:.1}s, total {:.1}s",
        info.nodes,
        info.edges,
        asked.pairs.len(),
        loaded.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    asked
}

impl Asked {
    /// Asks every pair again with `options` (e.g. `ALGO BIDIR`) and checks the answers.
    /// Returns how many pairs were unreachable.
    fn ask(&mut self, options: &[&str]) -> usize {
        let commands: Vec<redis::Cmd> =
            self.pairs.iter().map(|&(from, to)| path_cmd("map", from, to, options)).collect();
        let replies = pipeline(&mut self.con, &commands);
        self.compare(options, replies)
    }

    fn compare(&self, options: &[&str], replies: Vec<Result<redis::Value, String>>) -> usize {
        let name = &self.name;
        let version = map_info(&mut self._server.con(), "map").version;
        let mut unreachable = 0;
        for ((&(from, to), reply), want) in self.pairs.iter().zip(&replies).zip(&self.expected) {
            let reply = reply.as_ref().unwrap_or_else(|e| panic!("{name}: HUNT.PATH map {from} {to} {options:?}: {e}"));
            match (route(reply), want) {
                (None, None) => unreachable += 1,
                (Some(route), Some(cost)) => {
                    self.graph.check_route(from, to, &route, *cost);
                    assert_eq!(route.version as i64, version, "{name}: version");
                }
                (got, want) => {
                    panic!("{name}: HUNT.PATH map {from} {to} {options:?} gave {got:?}, the oracle says cost {want:?}")
                }
            }
        }
        unreachable
    }
}

#[test]
fn path_matches_oracle_on_rome() {
    let mut rome = load_and_ask("rome", &rome_path(), 0x5eed_0001);
    rome.ask(&["ALGO", "DIJKSTRA"]);
    rome.ask(&["ALGO", "BIDIR"]);
}

#[test]
fn path_matches_oracle_on_new_york() {
    if let Some(file) = shared_map("USA-road-d.NY.gr.gz") {
        load_and_ask("ny", &file, 0x5eed_0002);
    }
}

#[test]
fn path_matches_oracle_on_bay_area() {
    if let Some(file) = shared_map("USA-road-d.BAY.gr.gz") {
        load_and_ask("bay", &file, 0x5eed_0003);
    }
}

#[test]
fn path_matches_oracle_with_every_method_on_andorra() {
    let (Some(file), Some(coordinates)) =
        (shared_map("OSM-road-d.andorra.gr.gz"), shared_map("OSM-road-d.andorra.co.gz"))
    else {
        return;
    };
    let mut andorra = load_and_ask("andorra", &file, 0x5eed_0004);
    for algo in ["DIJKSTRA", "BIDIR"] {
        andorra.ask(&["ALGO", algo]);
    }
    // With coordinates for every node, A* (and AUTO picks it).
    let nodes = hunt_load::read_coordinates(&coordinates).expect("andorra coordinates");
    hunt_load::send_coordinates(&mut andorra.con, "map", &nodes, 10_000).expect("HUNT.NODES");
    let info = ok(&mut andorra.con, &["HUNT.MAPINFO", "map"]);
    assert_eq!(int(&field(&info, "located")), int(&field(&info, "nodes")));
    assert_eq!(text(&field(&info, "algo")), "astar");
    andorra.ask(&["ALGO", "ASTAR"]);
    andorra.ask(&[]);
    // With landmarks, ALT (and AUTO picks it).
    assert_eq!(ok(&mut andorra.con, &["HUNT.LANDMARKS", "map", "8"]), redis::Value::Int(8));
    let info = ok(&mut andorra.con, &["HUNT.MAPINFO", "map"]);
    assert_eq!(text(&field(&info, "algo")), "alt");
    andorra.ask(&["ALGO", "ALT"]);
    andorra.ask(&[]);
    andorra.ask(&["ALGO", "ASTAR"]);
}

#[test]
fn path_matches_oracle_on_bremen_including_unreachable_pairs() {
    if let Some(file) = shared_map("fastpaths-bremen_dist.gr.gz") {
        let mut bremen = load_and_ask("bremen", &file, 0x5eed_0005);
        let unreachable = bremen.ask(&["ALGO", "DIJKSTRA"]);
        assert!(unreachable > 0, "bremen has 752 components: some of 200 random pairs must be unreachable");
        assert_eq!(ok(&mut bremen.con, &["HUNT.LANDMARKS", "map", "4"]), redis::Value::Int(4));
        bremen.ask(&["ALGO", "ALT"]);
    }
}

/// The class of rome's edge `u -> v` in the options test: a function of the pair, so that
/// parallel arcs share it.
fn class_of(u: u64, v: u64) -> u8 {
    ((u * 7 + v) % 4) as u8
}

/// MASK, AVOID and MAXCOST with every method, against the oracle under the same limits:
/// rome's edges are split into four classes, avoided nodes are taken from the unconstrained
/// path (so they force detours), and cost bounds sit just at and just below the answer.
#[test]
fn path_options_match_oracle_with_every_method_on_rome() {
    let server = Server::start("options", &[]);
    let mut con = server.con();
    let edges = hunt_load::read_edges(&rome_path()).expect("rome99");
    let mut commands = Vec::new();
    for class in 0..4u8 {
        let of_class: Vec<(u64, u64, u32)> =
            edges.iter().filter(|e| class_of(e.from, e.to) == class).map(|e| (e.from, e.to, e.weight)).collect();
        for chunk in of_class.chunks(1000) {
            commands.push(add_edges_cmd("map", Some(class), chunk));
        }
    }
    let added: i64 = pipeline(&mut con, &commands).iter().map(|r| int(r.as_ref().unwrap())).sum();
    assert_eq!(added as usize, edges.len());
    let graph = Graph::with_classes(&read_dimacs(&rome_path()), class_of);
    assert_eq!(ok(&mut con, &["HUNT.LANDMARKS", "map", "4"]), redis::Value::Int(4));

    let mut rng = XorShift(0x0b7_1085);
    let n = graph.ids.len() as u64;
    let pairs: Vec<(u64, u64)> =
        (0..150).map(|_| (graph.ids[rng.below(n) as usize], graph.ids[rng.below(n) as usize])).collect();
    // The unconstrained paths, for nodes worth avoiding.
    let plain: Vec<redis::Cmd> = pairs.iter().map(|&(from, to)| path_cmd("map", from, to, &[])).collect();
    let plain: Vec<Option<Route>> = pipeline(&mut con, &plain).iter().map(|r| route(r.as_ref().unwrap())).collect();

    // Rome needs most classes to stay connected: mostly one class is left out.
    let masks = [u16::MAX, 0b1111, 0b1110, 0b1101, 0b1011, 0b0111, 0b0011];
    let mut questions: Vec<(u64, u64, Limits)> = Vec::new();
    for (&(from, to), plain) in pairs.iter().zip(&plain) {
        let mut limits = Limits { mask: masks[rng.below(masks.len() as u64) as usize], ..Limits::default() };
        if let Some(plain) = plain.as_ref().filter(|r| r.path.len() > 2) {
            let inner = &plain.path[1..plain.path.len() - 1];
            for _ in 0..1 + rng.below(3) {
                limits.avoid.push(inner[rng.below(inner.len() as u64) as usize]);
            }
        }
        if rng.below(4) == 0 {
            limits.avoid.push(graph.ids[rng.below(n) as usize]);
            limits.avoid.push(10_000_000 + rng.below(1000)); // not in the map: ignored
        }
        // A cost bound at the answer (still found) or just below it (not found).
        if let Some(cost) = graph.cost_within(from, to, &limits) {
            match rng.below(3) {
                0 => limits.max_cost = Some(cost),
                1 if cost > 0 => limits.max_cost = Some(cost - 1),
                _ => {}
            }
        }
        questions.push((from, to, limits));
    }
    let expected: Vec<Option<u64>> =
        questions.iter().map(|(from, to, limits)| graph.cost_within(*from, *to, limits)).collect();

    let options = |limits: &Limits, algo: &str| -> Vec<String> {
        let mut words = vec!["MASK".to_string(), limits.mask.to_string()];
        if !limits.avoid.is_empty() {
            words.push("AVOID".into());
            words.push(limits.avoid.len().to_string());
            words.extend(limits.avoid.iter().map(u64::to_string));
        }
        if let Some(max) = limits.max_cost {
            words.push("MAXCOST".into());
            words.push(max.to_string());
        }
        if !algo.is_empty() {
            words.push("ALGO".into());
            words.push(algo.into());
        }
        words
    };
    let (mut found, mut refused) = (0, 0);
    for algo in ["", "DIJKSTRA", "BIDIR", "ALT"] {
        let commands: Vec<redis::Cmd> = questions
            .iter()
            .map(|(from, to, limits)| {
                let words = options(limits, algo);
                path_cmd("map", *from, *to, &words.iter().map(String::as_str).collect::<Vec<_>>())
            })
            .collect();
        let replies = pipeline(&mut con, &commands);
        for (((from, to, limits), reply), want) in questions.iter().zip(&replies).zip(&expected) {
            let what = format!("HUNT.PATH map {from} {to} {}", options(limits, algo).join(" "));
            let reply = reply.as_ref().unwrap_or_else(|e| panic!("{what}: {e}"));
            match (route(reply), want) {
                (None, None) => refused += 1,
                (Some(route), Some(cost)) => {
                    graph.check_route_within(*from, *to, &route, *cost, limits);
                    found += 1;
                }
                (got, want) => panic!("{what} gave {got:?}, the oracle says cost {want:?}"),
            }
        }
    }
    eprintln!("rome with options: {found} paths and {refused} nulls agree with the oracle");
    assert!(found > 150 && refused > 50, "both outcomes are exercised");
}

/// Lower and raise weights of existing edges and add shortcuts after coordinates and
/// landmarks are in place: every method must stay exact (A* must lower its bound, ALT must
/// stop using landmarks a decrease made wrong, or refuse `ALGO ALT`).
#[test]
fn path_stays_exact_under_every_method_after_addedges_changes_weights() {
    let (Some(file), Some(coordinates)) =
        (shared_map("OSM-road-d.andorra.gr.gz"), shared_map("OSM-road-d.andorra.co.gz"))
    else {
        return;
    };
    let server = Server::start("reweigh", &[]);
    let mut con = server.con();
    let mut edges: Vec<(u64, u64, u32)> =
        load_map(&mut con, "map", &file).iter().map(|e| (e.from, e.to, e.weight)).collect();
    let nodes = hunt_load::read_coordinates(&coordinates).expect("andorra coordinates");
    hunt_load::send_coordinates(&mut con, "map", &nodes, 10_000).expect("HUNT.NODES");
    assert_eq!(ok(&mut con, &["HUNT.LANDMARKS", "map", "6"]), redis::Value::Int(6));
    let mut rng = XorShift(0x4e_3e16);
    let ids: Vec<u64> = {
        let mut ids: Vec<u64> = edges.iter().flat_map(|e| [e.0, e.1]).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let pairs: Vec<(u64, u64)> = (0..120)
        .map(|_| (ids[rng.below(ids.len() as u64) as usize], ids[rng.below(ids.len() as u64) as usize]))
        .collect();

    let check = |con: &mut Connection, edges: &[(u64, u64, u32)], stage: &str| {
        let arcs: Vec<(u64, u64, u64)> = edges.iter().map(|&(u, v, w)| (u, v, w as u64)).collect();
        let graph = Graph::new(&arcs);
        let expected: Vec<Option<u64>> = pairs.iter().map(|&(from, to)| graph.cost(from, to)).collect();
        let info = ok(con, &["HUNT.MAPINFO", "map"]);
        let alt_valid = int(&field(&info, "landmarks_valid")) == 1;
        for algo in ["", "DIJKSTRA", "BIDIR", "ASTAR", "ALT"] {
            let options: Vec<&str> = if algo.is_empty() { vec![] } else { vec!["ALGO", algo] };
            let commands: Vec<redis::Cmd> =
                pairs.iter().map(|&(from, to)| path_cmd("map", from, to, &options)).collect();
            for ((&(from, to), reply), want) in pairs.iter().zip(pipeline(con, &commands)).zip(&expected) {
                let what = format!("{stage}: HUNT.PATH map {from} {to} {options:?}");
                match reply {
                    Err(e) if algo == "ALT" && !alt_valid => {
                        assert!(e.starts_with("ERR ALT needs landmarks"), "{what}: {e}")
                    }
                    Err(e) => panic!("{what}: {e}"),
                    Ok(value) => match (route(&value), want) {
                        (None, None) => {}
                        (Some(route), Some(cost)) => graph.check_route(from, to, &route, *cost),
                        (got, want) => panic!("{what} gave {got:?}, the oracle says cost {want:?}"),
                    },
                }
            }
        }
        eprintln!("{stage}: every method agrees with the oracle (landmarks valid: {alt_valid})");
    };
    check(&mut con, &edges, "as loaded");

    // Raise 500 weights (landmarks may stay valid: costs only grew).
    let mut changes = Vec::new();
    for _ in 0..500 {
        let k = rng.below(edges.len() as u64) as usize;
        edges[k].2 = edges[k].2.saturating_mul(3);
        changes.push(edges[k]);
    }
    assert_eq!(add_edges(&mut con, "map", None, &changes), 0, "no edge is new");
    check(&mut con, &edges, "after raising weights");

    // Lower 500 weights to a tenth: landmarks and the A* bound must follow.
    let mut changes = Vec::new();
    for _ in 0..500 {
        let k = rng.below(edges.len() as u64) as usize;
        edges[k].2 /= 10;
        changes.push(edges[k]);
    }
    assert_eq!(add_edges(&mut con, "map", None, &changes), 0, "no edge is new");
    check(&mut con, &edges, "after lowering weights");

    // Recompute landmarks, then add cheap shortcuts between far-apart nodes.
    assert_eq!(ok(&mut con, &["HUNT.LANDMARKS", "map", "6"]), redis::Value::Int(6));
    check(&mut con, &edges, "with fresh landmarks");
    let mut shortcuts = Vec::new();
    for _ in 0..20 {
        let (from, to) = (ids[rng.below(ids.len() as u64) as usize], ids[rng.below(ids.len() as u64) as usize]);
        if from != to && !edges.iter().any(|e| e.0 == from && e.1 == to) {
            shortcuts.push((from, to, 1 + rng.below(5) as u32));
        }
    }
    assert_eq!(add_edges(&mut con, "map", Some(0), &shortcuts) as usize, shortcuts.len());
    edges.extend(&shortcuts);
    check(&mut con, &edges, "after adding shortcuts");
}
