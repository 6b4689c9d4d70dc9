//! What tools learn about hunt from the server: `COMMAND INFO` (arity, key specs),
//! `COMMAND GETKEYSANDFLAGS` (which arguments are keys and how they are used, as cluster
//! clients route by it) and `COMMAND DOCS` (the hints `redis-cli` shows).

mod common;

use common::*;
use redis::{Connection, Value};

/// Every command with a valid call, its keys, and whether it only reads them.
const CALLS: &[(&[&str], &[&str], bool)] = &[
    (&["HUNT.ADDEDGES", "m", "CLASS", "1", "1", "2", "3"], &["m"], false),
    (&["HUNT.SETWEIGHTS", "m", "1", "2", "3"], &["m"], false),
    (&["HUNT.CLOSE", "m", "1", "2"], &["m"], false),
    (&["HUNT.OPEN", "m", "1", "2"], &["m"], false),
    (&["HUNT.NODES", "m", "1", "2.5", "3.5"], &["m"], false),
    (&["HUNT.LANDMARKS", "m", "4"], &["m"], false),
    (&["HUNT.PATH", "m", "1", "2", "AVOID", "1", "3", "ALGO", "ALT"], &["m"], true),
    (&["HUNT.PATHTOCLUE", "m", "b", "1", "c"], &["m", "b"], true),
    (&["HUNT.REACH", "m", "1", "100", "LIMIT", "5"], &["m"], true),
    (&["HUNT.MATRIX", "m", "FROM", "1", "1", "TO", "2", "2", "3"], &["m"], true),
    (&["HUNT.MAPINFO", "m"], &["m"], true),
    (&["HUNT.SCAN", "m", "0", "COUNT", "10"], &["m"], true),
    (&["HUNT.PUBLISH", "b", "c", "payload", "AT", "1", "IFVERSION", "0"], &["b"], false),
    (&["HUNT.UNPUBLISH", "b", "c"], &["b"], false),
    (&["HUNT.CLUE", "b", "c"], &["b"], true),
    (&["HUNT.CLUES", "b", "SINCE", "3"], &["b"], true),
    (&["HUNT.BOARDINFO", "b"], &["b"], true),
    (&["HUNT.REPLAY", "b", "UNPUBLISH", "c", "9"], &["b"], false),
    (&["HUNT.RESTORE", "k", "blob"], &["k"], false),
];

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) | Value::Set(items) => items.iter().map(text).collect(),
        other => panic!("not a list: {other:?}"),
    }
}

/// `COMMAND DOCS name` as field -> value.
fn docs(con: &mut Connection, name: &str) -> Vec<(String, Value)> {
    let reply = ok(con, &["COMMAND", "DOCS", name]);
    let entries = fields(&reply);
    let (_, doc) = entries.into_iter().next().unwrap_or_else(|| panic!("COMMAND DOCS {name}: {reply:?}"));
    fields(&doc)
}

#[test]
fn every_command_declares_its_keys_with_their_access() {
    let server = Server::start("keyspecs", &[]);
    let mut con = server.con();
    for (call, keys, readonly) in CALLS {
        let reply = ok(&mut con, &[&["COMMAND", "GETKEYSANDFLAGS"], *call].concat());
        let Value::Array(entries) = reply else { panic!("{call:?}: {reply:?}") };
        let found: Vec<(String, Vec<String>)> = entries
            .iter()
            .map(|e| match e {
                Value::Array(pair) => (text(&pair[0]), strings(&pair[1])),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(found.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), *keys, "{call:?}");
        for (key, flags) in &found {
            let access = if *readonly {
                "RO"
            } else if call[0] == "HUNT.RESTORE" {
                "OW"
            } else {
                "RW"
            };
            assert!(flags.iter().any(|f| f == access), "{call:?} key {key}: {flags:?}, expected {access}");
        }
        // The arity Redis checks before calling the module.
        let info = ok(&mut con, &["COMMAND", "INFO", call[0]]);
        let Value::Array(infos) = info else { panic!("{info:?}") };
        let Value::Array(fields) = &infos[0] else { panic!("{infos:?}") };
        let arity = int(&fields[1]);
        let argc = call.len() as i64;
        assert!(if arity < 0 { argc >= -arity } else { argc == arity }, "{call:?}: arity {arity}");
    }
    assert!(err(&mut con, &["HUNT.PATH", "m", "1"]).starts_with("ERR wrong number of arguments for 'hunt.path'"));
}

#[test]
fn every_command_has_docs_for_redis_cli() {
    let server = Server::start("docs", &[]);
    let mut con = server.con();
    for (call, _, _) in CALLS {
        let name = call[0].to_lowercase();
        let doc = docs(&mut con, &name);
        let get = |field: &str| {
            doc.iter().find(|(k, _)| k == field).map(|(_, v)| v.clone()).unwrap_or_else(|| panic!("{name}: no {field}"))
        };
        assert!(text(&get("summary")).len() > 10, "{name}");
        assert!(!text(&get("complexity")).is_empty(), "{name}");
        assert_eq!(text(&get("since")), env!("CARGO_PKG_VERSION"), "{name}");
        assert_eq!(text(&get("module")), "hunt", "{name}");
        let Value::Array(arguments) = get("arguments") else { panic!("{name}: arguments") };
        let first = fields(&arguments[0]);
        let type_of = first.iter().find(|(k, _)| k == "type").map(|(_, v)| text(v));
        assert_eq!(type_of.as_deref(), Some("key"), "{name}: the key comes first");
    }
    // The options of HUNT.PATH, as redis-cli hints them.
    let doc = docs(&mut con, "hunt.path");
    let Some((_, Value::Array(arguments))) = doc.iter().find(|(k, _)| k == "arguments") else { panic!() };
    let tokens: Vec<String> = arguments
        .iter()
        .filter_map(|a| fields(a).into_iter().find(|(k, _)| k == "token").map(|(_, v)| text(&v)))
        .collect();
    assert_eq!(tokens, ["MASK", "AVOID", "MAXCOST", "ALGO"]);
}

/// `INFO hunt` as field -> value (without the `hunt_` prefix).
fn hunt_info(con: &mut Connection) -> std::collections::HashMap<String, i64> {
    let text: String = redis::cmd("INFO").arg("hunt").query(con).expect("INFO hunt");
    text.lines()
        .filter_map(|l| l.strip_prefix("hunt_")?.split_once(':'))
        .filter_map(|(k, v)| Some((k.to_string(), v.trim().parse().ok()?)))
        .collect()
}

#[test]
fn info_hunt_counts_keys_commands_searches_and_messages() {
    let server = Server::start("info", &["--enable-debug-command", "yes"]);
    let mut con = server.con();
    add_edges(&mut con, "m", None, &[(1, 2, 4), (2, 3, 5), (3, 4, 1)]);
    for _ in 0..3 {
        path(&mut con, "m", 1, 4, &["ALGO", "DIJKSTRA"]);
    }
    ok(&mut con, &["CONFIG", "SET", "hunt.inline-budget", "0"]);
    ok(&mut con, &["CONFIG", "SET", "hunt.workers", "1"]);
    for _ in 0..2 {
        path(&mut con, "m", 1, 4, &["ALGO", "DIJKSTRA"]);
    }
    ok(&mut con, &["CONFIG", "SET", "hunt.max-settled", "1"]);
    assert_eq!(err(&mut con, &["HUNT.PATH", "m", "1", "4", "ALGO", "DIJKSTRA"]), "ERR search budget exceeded");
    ok(&mut con, &["COPY", "m", "m2"]);
    let mut subscriber = server.con();
    let mut pubsub = subscriber.as_pubsub();
    pubsub.subscribe("hunt:b").expect("subscribe");
    ok(&mut con, &["HUNT.PUBLISH", "b", "c1", "payload"]);
    ok(&mut con, &["HUNT.UNPUBLISH", "b", "c1"]);
    let info = hunt_info(&mut con);
    assert_eq!((info["maps"], info["boards"]), (2, 1), "{info:?}");
    // ADDEDGES, 6 paths, COPY is not ours, PUBLISH, UNPUBLISH.
    assert_eq!(info["commands"], 1 + 6 + 2, "{info:?}");
    assert_eq!((info["searches_inline"], info["searches_offloaded"], info["searches_stopped"]), (3, 3, 1));
    assert_eq!(info["searches"], 6);
    // Dijkstra settles the 4 nodes of the chain in each finished search (3 inline, 2
    // offloaded, their inline attempts settling none), 1 in the stopped one.
    assert_eq!(info["settled_nodes"], 5 * 4 + 1, "{info:?}");
    assert!(info["search_usec_p50"] <= info["search_usec_p99"] && info["search_usec_p99"] <= info["search_usec_p999"]);
    assert!(info["search_usec_p999"] > 0, "{info:?}");
    assert_eq!((info["publishes"], info["messages_sent"]), (2, 2), "one subscriber got both changes");
    assert_eq!(info["workers"], 1);

    // Freed values leave the count, reloaded ones come back.
    ok(&mut con, &["DEL", "m2"]);
    assert_eq!(hunt_info(&mut con)["maps"], 1);
    ok(&mut con, &["DEBUG", "RELOAD"]);
    let info = hunt_info(&mut con);
    assert_eq!((info["maps"], info["boards"]), (1, 1), "{info:?}");
    ok(&mut con, &["FLUSHALL"]);
    let info = hunt_info(&mut con);
    assert_eq!((info["maps"], info["boards"]), (0, 0), "{info:?}");
}

/// A `side` x `side` grid with edges both ways, ids `row * side + col + 1`.
fn grid(con: &mut Connection, key: &str, side: u64) {
    let id = |r: u64, c: u64| r * side + c + 1;
    let mut edges = Vec::new();
    for r in 0..side {
        for c in 0..side {
            if c + 1 < side {
                edges.push((id(r, c), id(r, c + 1), 3 + ((r * 7 + c) % 5) as u32));
                edges.push((id(r, c + 1), id(r, c), 3 + ((r * 3 + c) % 5) as u32));
            }
            if r + 1 < side {
                edges.push((id(r, c), id(r + 1, c), 3 + ((r + c * 5) % 5) as u32));
                edges.push((id(r + 1, c), id(r, c), 3 + ((r * 11 + c) % 5) as u32));
            }
        }
    }
    for batch in edges.chunks(20_000) {
        add_edges(con, key, None, batch);
    }
}

fn slowlog_entries(con: &mut Connection) -> Vec<(i64, Vec<String>)> {
    let Value::Array(entries) = ok(con, &["SLOWLOG", "GET", "100"]) else { panic!("SLOWLOG GET") };
    entries
        .iter()
        .map(|e| match e {
            Value::Array(f) => (int(&f[2]), strings(&f[3])),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn an_offloaded_search_shows_in_slowlog_latency_and_commandstats_with_its_whole_time() {
    let server = Server::start("slowlog", &[]);
    let mut con = server.con();
    let side = 200;
    grid(&mut con, "g", side);
    ok(&mut con, &["CONFIG", "SET", "hunt.inline-budget", "0"]);
    ok(&mut con, &["CONFIG", "SET", "hunt.workers", "1"]);
    ok(&mut con, &["CONFIG", "SET", "slowlog-log-slower-than", "1000"]);
    ok(&mut con, &["CONFIG", "SET", "latency-monitor-threshold", "1"]);
    ok(&mut con, &["SLOWLOG", "RESET"]);
    ok(&mut con, &["LATENCY", "RESET"]);
    ok(&mut con, &["CONFIG", "RESETSTAT"]);
    // Corner to corner with plain Dijkstra settles all 40,000 nodes: milliseconds on a worker,
    // while the inline attempt settles none.
    let started = std::time::Instant::now();
    let corner = (side * side).to_string();
    let reply = ok(&mut con, &["HUNT.PATH", "g", "1", &corner, "ALGO", "DIJKSTRA"]);
    let took = started.elapsed();
    assert!(route(&reply).is_some());
    assert!(took.as_millis() >= 1, "the search was too quick to test with ({took:?})");

    let entries = slowlog_entries(&mut con);
    let logged = entries.iter().find(|(_, args)| args[0].eq_ignore_ascii_case("hunt.path"));
    let (micros, args) = logged.unwrap_or_else(|| panic!("no HUNT.PATH in SLOWLOG: {entries:?}"));
    assert!(*micros >= 1000, "SLOWLOG counts the worker's time: {micros} us");
    assert_eq!(args[1..], ["g", "1", corner.as_str(), "ALGO", "DIJKSTRA"]);

    let Value::Array(latest) = ok(&mut con, &["LATENCY", "LATEST"]) else { panic!("LATENCY LATEST") };
    let events: Vec<(String, i64)> = latest
        .iter()
        .map(|e| match e {
            Value::Array(f) => (text(&f[0]), int(&f[2])),
            other => panic!("{other:?}"),
        })
        .collect();
    let command = events.iter().find(|(name, _)| name == "command");
    assert!(command.is_some_and(|&(_, ms)| ms >= 1), "LATENCY LATEST has the search: {events:?}");

    let usec: i64 = info_field(&mut con, "commandstats", "cmdstat_hunt.path")
        .split(',')
        .find_map(|f| f.strip_prefix("usec="))
        .and_then(|v| v.parse().ok())
        .expect("cmdstat_hunt.path usec");
    assert!(usec >= 1000, "INFO commandstats counts the worker's time: {usec} us");
}
