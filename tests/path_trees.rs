//! Shortest-path trees for popular targets: a target asked for often gets one, built on a
//! worker; paths to it are then walked from the tree and equal plain Dijkstra's, the cost limit
//! included; a change that may affect a tree drops it, one off its steps keeps it; queries with
//! options, and servers without workers or with a small `hunt.max-settled`, never use them.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use redis::Connection;

/// Rome has 3,353 nodes.
const TARGET: u64 = 3000;

fn counter(con: &mut Connection, name: &str) -> i64 {
    info_field(con, "hunt", &format!("hunt_{name}")).parse().expect("a number")
}

fn trees(con: &mut Connection) -> i64 {
    int(&field(&ok(con, &["HUNT.MAPINFO", "rome"]), "trees"))
}

/// Asks for `TARGET` as often as it takes to become popular, and waits for its tree.
fn make_popular(con: &mut Connection) {
    for from in 1..=(hunt_core::trees::POPULAR as u64) {
        path(con, "rome", from, TARGET, &[]);
    }
    wait_until("the tree to be built", Duration::from_secs(10), || trees(con) == 1);
}

/// Each hop an edge of the map, the weights adding up to the cost.
fn check_hops(route: &Route, weights: &HashMap<(u64, u64), u64>) {
    let sum: u64 = route.path.windows(2).map(|w| weights[&(w[0], w[1])]).sum();
    assert_eq!(sum, route.cost, "{route:?}");
}

#[test]
fn a_popular_target_gets_a_tree_and_its_answers_equal_dijkstras() {
    let server = Server::start("trees-exact", &[]);
    let mut con = server.con();
    let edges = load_map(&mut con, "rome", &rome_path());
    let weights: HashMap<(u64, u64), u64> = edges.iter().map(|e| ((e.from, e.to), e.weight as u64)).collect();
    ok(&mut con, &["CONFIG", "SET", "hunt.workers", "2"]);
    assert_eq!(trees(&mut con), 0);
    let memory_without = int(&field(&ok(&mut con, &["HUNT.MAPINFO", "rome"]), "memory"));
    let built = counter(&mut con, "path_trees_built");
    make_popular(&mut con);
    assert_eq!(counter(&mut con, "path_trees_built"), built + 1);

    let answers = counter(&mut con, "path_tree_answers");
    let mut rng = oracle::XorShift(11);
    for _ in 0..300 {
        let from = 1 + rng.below(3353);
        let walked = path(&mut con, "rome", from, TARGET, &[]);
        let searched = path(&mut con, "rome", from, TARGET, &["ALGO", "DIJKSTRA"]);
        assert_eq!(walked.as_ref().map(|r| r.cost), searched.as_ref().map(|r| r.cost), "from {from}");
        let walked = walked.expect("Rome is strongly connected");
        assert_eq!((walked.path[0], *walked.path.last().unwrap()), (from, TARGET));
        assert_eq!(walked.version, searched.unwrap().version);
        check_hops(&walked, &weights);
        // The cost limit applies to the walked path as to a search.
        let at = walked.cost.to_string();
        assert_eq!(path(&mut con, "rome", from, TARGET, &["MAXCOST", &at]).map(|r| r.cost), Some(walked.cost));
        if walked.cost > 0 {
            let below = (walked.cost - 1).to_string();
            assert_eq!(path(&mut con, "rome", from, TARGET, &["MAXCOST", &below]), None);
        }
    }
    assert!(counter(&mut con, "path_tree_answers") >= answers + 300);

    // HUNT.PATHTOCLUE to a clue on the target walks the same tree.
    ok(&mut con, &["HUNT.PUBLISH", "board", "clue", "dig here", "AT", &TARGET.to_string()]);
    let before = counter(&mut con, "path_tree_answers");
    let reply = ok(&mut con, &["HUNT.PATHTOCLUE", "rome", "board", "17", "clue"]);
    assert_eq!(
        int(&field(&reply, "cost")) as u64,
        path(&mut con, "rome", 17, TARGET, &["ALGO", "DIJKSTRA"]).unwrap().cost
    );
    assert_eq!(counter(&mut con, "path_tree_answers"), before + 1);

    // Queries with options do not use trees.
    let before = counter(&mut con, "path_tree_answers");
    for options in [&["MASK", "1"][..], &["AVOID", "1", "5"], &["ALGO", "BIDIR"], &["ALGO", "DIJKSTRA"]] {
        path(&mut con, "rome", 17, TARGET, options);
    }
    assert_eq!(counter(&mut con, "path_tree_answers"), before);
    // The tree counts in the map's memory: 4 bytes per node.
    let memory = int(&field(&ok(&mut con, &["HUNT.MAPINFO", "rome"]), "memory"));
    assert!(memory >= memory_without + 3353 * 4, "{memory_without} -> {memory}");
    ping(&mut con);
}

#[test]
fn a_change_to_the_map_drops_its_trees_and_answers_follow_the_new_map() {
    let server = Server::start("trees-change", &[]);
    let mut con = server.con();
    load_map(&mut con, "rome", &rome_path());
    ok(&mut con, &["CONFIG", "SET", "hunt.workers", "2"]);
    make_popular(&mut con);
    let from = 1;
    let before = path(&mut con, "rome", from, TARGET, &[]).unwrap();
    // Make the first hop of the tree's path expensive: the old tree would now be wrong.
    let (u, v) = (before.path[0], before.path[1]);
    ok(&mut con, &["HUNT.SETWEIGHTS", "rome", &u.to_string(), &v.to_string(), "10000000"]);
    assert_eq!(trees(&mut con), 0);
    let after = path(&mut con, "rome", from, TARGET, &[]).unwrap();
    let dijkstra = path(&mut con, "rome", from, TARGET, &["ALGO", "DIJKSTRA"]).unwrap();
    assert_eq!(after.cost, dijkstra.cost);
    assert!(after.version > before.version);
    assert_ne!(after.path[1], v, "the raised edge is not taken");
    // Popular again: a tree of the new version, as exact.
    make_popular(&mut con);
    let walked = path(&mut con, "rome", from, TARGET, &[]).unwrap();
    assert_eq!((walked.cost, walked.version), (dijkstra.cost, after.version));
    // A closed street drops them too.
    ok(&mut con, &["HUNT.CLOSE", "rome", &walked.path[0].to_string(), &walked.path[1].to_string()]);
    assert_eq!(trees(&mut con), 0);
    let closed = path(&mut con, "rome", from, TARGET, &[]).unwrap();
    assert_eq!(closed.cost, path(&mut con, "rome", from, TARGET, &["ALGO", "DIJKSTRA"]).unwrap().cost);
}

#[test]
fn a_tree_survives_changes_off_its_steps() {
    let server = Server::start("trees-keep", &[]);
    let mut con = server.con();
    let edges = load_map(&mut con, "rome", &rome_path());
    ok(&mut con, &["CONFIG", "SET", "hunt.workers", "2"]);
    make_popular(&mut con);
    // Edges that are not steps of the tree: the tree's path from their tail starts elsewhere.
    let mut off = Vec::new();
    for e in edges.iter().step_by(97) {
        let walked = path(&mut con, "rome", e.from, TARGET, &[]).unwrap();
        if walked.path.get(1) != Some(&e.to) {
            off.push(*e);
        }
    }
    assert!(off.len() > 20, "{}", off.len());
    let raised = &off[..off.len() / 2];
    let mut args: Vec<String> = vec!["HUNT.SETWEIGHTS".into(), "rome".into()];
    for e in raised {
        args.extend([e.from.to_string(), e.to.to_string(), (e.weight as u64 * 10 + 1).to_string()]);
    }
    ok(&mut con, &args);
    let closed = off[off.len() / 2];
    ok(&mut con, &["HUNT.CLOSE", "rome", &closed.from.to_string(), &closed.to.to_string()]);
    assert_eq!(trees(&mut con), 1, "raised weights and a closure off the tree keep it");
    let answers = counter(&mut con, "path_tree_answers");
    let mut rng = oracle::XorShift(5);
    for _ in 0..100 {
        let from = 1 + rng.below(3353);
        let walked = path(&mut con, "rome", from, TARGET, &[]).map(|r| r.cost);
        assert_eq!(walked, path(&mut con, "rome", from, TARGET, &["ALGO", "DIJKSTRA"]).map(|r| r.cost), "from {from}");
    }
    assert_eq!(counter(&mut con, "path_tree_answers"), answers + 100);
    // Reopening the street may open a shortcut: the tree goes.
    ok(&mut con, &["HUNT.OPEN", "rome", &closed.from.to_string(), &closed.to.to_string()]);
    assert_eq!(trees(&mut con), 0);
}

#[test]
fn no_trees_without_workers_with_path_trees_0_or_below_max_settled() {
    let server = Server::start("trees-settings", &[]);
    let mut con = server.con();
    load_map(&mut con, "rome", &rome_path());
    let ask = |con: &mut Connection, times: u64| {
        for from in 1..=times {
            path(con, "rome", from, TARGET, &[]);
        }
    };
    for (name, value, restore) in [
        ("hunt.workers", "0", "2"),
        ("hunt.path-trees", "0", "16"),
        // One node less than Rome has: a tree would not fit in one query's budget.
        ("hunt.max-settled", "3352", "100000000"),
    ] {
        ok(&mut con, &["CONFIG", "SET", "hunt.workers", "2"]);
        ok(&mut con, &["CONFIG", "SET", name, value]);
        ask(&mut con, 100);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(trees(&mut con), 0, "{name} {value}");
        assert_eq!(counter(&mut con, "path_trees_built"), 0, "{name} {value}");
        ok(&mut con, &["CONFIG", "SET", name, restore]);
    }
    // The setting's bounds.
    for bad in ["-1", "1025"] {
        let e = err(&mut con, &["CONFIG", "SET", "hunt.path-trees", bad]);
        assert!(e.starts_with("ERR"), "{bad}: {e}");
    }
    ok(&mut con, &["CONFIG", "SET", "hunt.path-trees", "3"]);
    let got = ok(&mut con, &["CONFIG", "GET", "hunt.path-trees"]);
    assert!(format!("{got:?}").contains('3'), "{got:?}");
}
