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
