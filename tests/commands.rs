//! The commands' contract on a live server: replies under RESP2 and RESP3, every error
//! reply (and that an error changes nothing), generic key commands on a map, keyspace
//! notifications, and hostile input.

mod common;

use std::time::Duration;

use common::oracle::XorShift;
use common::*;
use hunt_core::codec::encode_map;
use hunt_core::{EdgeSpec, Map};
use redis::Value;

/// A small map with a class-2 shortcut `1 -> 4`:
///
/// ```text
/// 1 -4-> 2 -5-> 3 -1-> 4      1 -20-> 3      2 -12-> 4      class 2: 1 -3-> 4
/// ```
fn small_map(con: &mut redis::Connection, key: &str) {
    assert_eq!(add_edges(con, key, None, &[(1, 2, 4), (2, 3, 5), (3, 4, 1), (1, 3, 20), (2, 4, 12)]), 5);
    assert_eq!(add_edges(con, key, Some(2), &[(1, 4, 3)]), 1);
}

/// Every command's replies in one protocol. `resp3` says which the connection speaks.
fn happy_paths(con: &mut redis::Connection, resp3: bool) {
    let key = if resp3 { "city3" } else { "city2" };
    // ADDEDGES replies an integer: how many edges are new.
    let reply = ok(con, &["HUNT.ADDEDGES", key, "1", "2", "4", "2", "3", "5", "3", "4", "1"]);
    assert_eq!(reply, Value::Int(3));
    assert_eq!(
        ok(con, &["HUNT.ADDEDGES", key, "1", "3", "20", "2", "4", "12", "2", "3", "5"]),
        Value::Int(2),
        "2 -> 3 exists already and is not counted"
    );
    assert_eq!(ok(con, &["HUNT.ADDEDGES", key, "CLASS", "2", "1", "4", "3"]), Value::Int(1));

    // MAPINFO: a map (RESP3) or a flat array ordered by field name (RESP2).
    let reply = ok(con, &["HUNT.MAPINFO", key]);
    if resp3 {
        assert!(matches!(reply, Value::Map(_)), "RESP3 MAPINFO is a map: {reply:?}");
    } else {
        assert!(matches!(reply, Value::Array(_)), "RESP2 MAPINFO is an array: {reply:?}");
        let names: Vec<String> = fields(&reply).into_iter().map(|(k, _)| k).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "RESP2 fields come ordered by name");
    }
    let info = map_info_of(&reply);
    assert_eq!((info.nodes, info.edges, info.closed, info.version), (4, 6, 0, 3));
    assert!(info.memory > 0);

    // PATH: cost, path, version.
    let reply = ok(con, &["HUNT.PATH", key, "1", "4"]);
    if resp3 {
        assert!(matches!(reply, Value::Map(_)), "RESP3 PATH is a map: {reply:?}");
    } else {
        assert!(matches!(reply, Value::Array(_)), "RESP2 PATH is an array: {reply:?}");
        let names: Vec<String> = fields(&reply).into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["cost", "path", "version"]);
    }
    let want = |cost, path: &[u64]| Some(Route { cost, path: path.to_vec(), version: 3 });
    assert_eq!(route(&reply), want(3, &[1, 4]), "the class-2 shortcut");
    assert_eq!(path(con, key, 1, 4, &["MASK", "1"]), want(10, &[1, 2, 3, 4]), "class 0 only");
    assert_eq!(path(con, key, 1, 4, &["mask", "4"]), want(3, &[1, 4]), "class 2 only");
    assert_eq!(path(con, key, 1, 4, &["MASK", "1", "AVOID", "1", "3"]), want(16, &[1, 2, 4]));
    assert_eq!(path(con, key, 1, 4, &["AVOID", "2", "3", "2", "MASK", "1"]), None, "no class-0 way around 2 and 3");
    assert_eq!(path(con, key, 1, 4, &["MASK", "1", "MAXCOST", "10"]), want(10, &[1, 2, 3, 4]));
    assert_eq!(path(con, key, 1, 4, &["MASK", "1", "MAXCOST", "9"]), None);
    assert_eq!(path(con, key, 1, 4, &["MAXCOST", "100", "AVOID", "0", "MASK", "65535"]), want(3, &[1, 4]));
    assert_eq!(path(con, key, 1, 4, &["AVOID", "1", "4"]), None, "the target avoided");
    assert_eq!(path(con, key, 1, 4, &["AVOID", "1", "1"]), want(3, &[1, 4]), "the source may be avoided");
    assert_eq!(path(con, key, 1, 4, &["AVOID", "2", "77", "78"]), want(3, &[1, 4]), "unknown ids are ignored");
    assert_eq!(path(con, key, 3, 3, &[]), want(0, &[3]), "from == to");
    assert_eq!(path(con, key, 3, 3, &["MAXCOST", "0"]), want(0, &[3]));
    // Unreachable: a Null reply (RESP2 null bulk, RESP3 null).
    assert_eq!(ok(con, &["HUNT.PATH", key, "4", "1"]), Value::Nil);

    // An existing edge takes the new weight; the version moves with every write.
    assert_eq!(add_edges(con, key, None, &[(1, 4, 50)]), 0);
    assert_eq!(path(con, key, 1, 4, &[]).map(|r| (r.cost, r.version)), Some((10, 4)));
    // Within one call, the last mention of a pair wins and is counted once.
    assert_eq!(add_edges(con, key, None, &[(4, 1, 9), (4, 1, 7)]), 1);
    assert_eq!(path(con, key, 4, 1, &[]).map(|r| r.cost), Some(7));
    let info = map_info(con, key);
    assert_eq!((info.nodes, info.edges, info.version), (4, 7, 5));

    // RESTORE takes hunt's persisted form (what the AOF rewrite writes) and replies OK.
    let mut map = Map::new();
    let edges = [(10, 20, 1), (20, 30, 2), (10, 30, 5)].map(|(from, to, weight)| EdgeSpec { from, to, weight });
    map.add_edges(&edges, 0, usize::MAX).unwrap();
    let restored = format!("{key}:restored");
    let reply = call(con, redis::cmd("HUNT.RESTORE").arg(&restored).arg(encode_map(&map))).expect("HUNT.RESTORE");
    assert!(matches!(reply, Value::Okay) || text(&reply) == "OK", "{reply:?}");
    assert_eq!(
        path(con, &restored, 10, 30, &[]),
        Some(Route { cost: 3, path: vec![10, 20, 30], version: map.version() })
    );
    // RESTORE replaces what a map key held.
    let reply = call(con, redis::cmd("HUNT.RESTORE").arg(key).arg(encode_map(&map))).expect("HUNT.RESTORE over a map");
    assert_eq!(text(&reply), "OK");
    assert_eq!(map_info(con, key).edges, 3);
    assert!(err(con, &["HUNT.PATH", key, "1", "4"]).starts_with("ERR no such node"));
}

#[test]
fn every_command_replies_as_documented_under_resp2() {
    let server = Server::start("resp2", &[]);
    happy_paths(&mut server.con(), false);
}

#[test]
fn every_command_replies_as_documented_under_resp3() {
    let server = Server::start("resp3", &[]);
    happy_paths(&mut server.con3(), true);
}

#[test]
fn node_ids_up_to_2_pow_63_minus_1_work() {
    let server = Server::start("ids", &[]);
    let mut con = server.con();
    let max = i64::MAX as u64;
    let big = 1u64 << 62;
    assert_eq!(add_edges(&mut con, "ids", None, &[(max, 0, 1), (0, big, 2), (big, max, 3)]), 3);
    assert_eq!(path(&mut con, "ids", max, big, &[]), Some(Route { cost: 3, path: vec![max, 0, big], version: 1 }));
    assert_eq!(path(&mut con, "ids", big, max, &["AVOID", "1", &max.to_string()]), None);
    assert_eq!(err(&mut con, &["HUNT.PATH", "ids", &max.to_string(), "7"]), "ERR no such node 7");
    // Costs are sums of 32-bit weights and go past 2^32.
    let heavy = u32::MAX;
    assert_eq!(add_edges(&mut con, "heavy", None, &[(1, 2, heavy), (2, 3, heavy), (3, max, heavy)]), 3);
    let cost = 3 * heavy as u64;
    assert_eq!(path(&mut con, "heavy", 1, max, &[]).map(|r| r.cost), Some(cost));
    assert_eq!(path(&mut con, "heavy", 1, max, &["MAXCOST", &cost.to_string()]).map(|r| r.cost), Some(cost));
    assert_eq!(path(&mut con, "heavy", 1, max, &["MAXCOST", &(cost - 1).to_string()]), None);
    let limit = i64::MAX.to_string();
    assert_eq!(path(&mut con, "heavy", 1, max, &["MAXCOST", &limit]).map(|r| r.cost), Some(cost));
    assert_eq!(
        err(&mut con, &["HUNT.PATH", "ids", "9223372036854775806", "0"]),
        "ERR no such node 9223372036854775806"
    );
}

/// What a key holds, to prove an error changed nothing.
fn state(con: &mut redis::Connection) -> Vec<Value> {
    let mut out = vec![ok(con, &["HUNT.MAPINFO", "m"]), ok(con, &["DEBUG", "DIGEST-VALUE", "m"])];
    out.push(ok(con, &["GET", "s"]));
    out.push(ok(con, &["EXISTS", "nokey"]));
    out
}

#[test]
fn every_error_reply_is_exact_and_changes_nothing() {
    let server = Server::start("errors", &[]);
    let mut con = server.con();
    small_map(&mut con, "m");
    ok(&mut con, &["SET", "s", "a string"]);
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    let node_range = "ERR node id must be between 0 and 9223372036854775807";
    let not_int = "ERR node id is not an integer or out of range";
    let weight_range = "ERR weight must be between 0 and 4294967295";
    let arity = |name: &str| format!("ERR wrong number of arguments for '{name}' command");
    let too_big = "9223372036854775808";
    let huge = "99999999999999999999999999";
    let cases: Vec<(Vec<&str>, String)> = vec![
        // HUNT.PATH
        (vec!["HUNT.PATH", "m", "1", "99"], "ERR no such node 99".into()),
        (vec!["HUNT.PATH", "m", "99", "1"], "ERR no such node 99".into()),
        (vec!["HUNT.PATH", "nokey", "1", "2"], "ERR no such map".into()),
        (vec!["HUNT.PATH", "s", "1", "2"], wrongtype.into()),
        (vec!["HUNT.PATH", "m", "1"], arity("hunt.path")),
        (vec!["HUNT.PATH", "m"], arity("hunt.path")),
        (vec!["HUNT.PATH"], arity("hunt.path")),
        (vec!["HUNT.PATH", "m", "a", "2"], not_int.into()),
        (vec!["HUNT.PATH", "m", "1", "2.5"], not_int.into()),
        (vec!["HUNT.PATH", "m", "1", ""], not_int.into()),
        (vec!["HUNT.PATH", "m", "+1", "2"], not_int.into()),
        (vec!["HUNT.PATH", "m", "-1", "2"], node_range.into()),
        (vec!["HUNT.PATH", "m", "1", too_big], node_range.into()),
        (vec!["HUNT.PATH", "m", huge, "2"], node_range.into()),
        (vec!["HUNT.PATH", "m", "1", "2", "FOO"], "ERR syntax error".into()),
        (vec!["HUNT.PATH", "m", "1", "2", "MASK", "1", "BAR", "3"], "ERR syntax error".into()),
        (vec!["HUNT.PATH", "m", "1", "2", "AVOID", "3", "1"], "ERR syntax error".into()),
        (vec!["HUNT.PATH", "m", "1", "2", "AVOID", "1", "-3"], node_range.into()),
        (vec!["HUNT.PATH", "m", "1", "2", "MASK", "65536"], "ERR mask must be between 0 and 65535".into()),
        (
            vec!["HUNT.PATH", "m", "1", "2", "MAXCOST", "-1"],
            "ERR maxcost must be between 0 and 9223372036854775807".into(),
        ),
        // HUNT.ADDEDGES
        (vec!["HUNT.ADDEDGES", "m", "1", "2", "-5"], weight_range.into()),
        (vec!["HUNT.ADDEDGES", "m", "1", "2", "4294967296"], weight_range.into()),
        (vec!["HUNT.ADDEDGES", "m", "1", "2", huge], weight_range.into()),
        (
            vec!["HUNT.ADDEDGES", "m", "5", "6", "7", "1", "2", "x"],
            "ERR weight is not an integer or out of range".into(),
        ),
        (vec!["HUNT.ADDEDGES", "m", "5", "6", "7", "-4", "5", "6"], node_range.into()),
        (vec!["HUNT.ADDEDGES", "m", "5", "6", "7", "8", too_big, "6"], node_range.into()),
        (vec!["HUNT.ADDEDGES", "m", "5", "6", "7", "8", "x", "6"], not_int.into()),
        (vec!["HUNT.ADDEDGES", "m", "1", "2"], arity("hunt.addedges")),
        (vec!["HUNT.ADDEDGES", "m", "1", "2", "3", "4"], arity("hunt.addedges")),
        (vec!["HUNT.ADDEDGES", "m"], arity("hunt.addedges")),
        (vec!["HUNT.ADDEDGES"], arity("hunt.addedges")),
        (vec!["HUNT.ADDEDGES", "m", "CLASS", "16", "1", "2", "3"], "ERR class must be between 0 and 15".into()),
        (vec!["HUNT.ADDEDGES", "s", "1", "2", "3"], wrongtype.into()),
        // A failed write to a missing key must not create it.
        (vec!["HUNT.ADDEDGES", "nokey", "1", "2", "3", "4", "5", "-1"], weight_range.into()),
        // HUNT.MAPINFO
        (vec!["HUNT.MAPINFO", "nokey"], "ERR no such map".into()),
        (vec!["HUNT.MAPINFO", "s"], wrongtype.into()),
        (vec!["HUNT.MAPINFO", "m", "extra"], arity("hunt.mapinfo")),
        (vec!["HUNT.MAPINFO"], arity("hunt.mapinfo")),
        // HUNT.RESTORE
        (vec!["HUNT.RESTORE", "m"], arity("hunt.restore")),
        (vec!["HUNT.RESTORE", "m", "blob", "extra"], arity("hunt.restore")),
        (vec!["HUNT.RESTORE", "m", "not a hunt map at all"], "ERR corrupt payload: not a hunt map".into()),
        (vec!["HUNT.RESTORE", "nokey", ""], "ERR corrupt payload: truncated".into()),
    ];
    let before = state(&mut con);
    for (words, expected) in &cases {
        assert_eq!(&err(&mut con, words), expected, "reply to {words:?}");
        assert_eq!(state(&mut con), before, "{words:?} changed something");
        ping(&mut con);
    }
    // A valid blob over a key of another type is refused and leaves the string alone.
    let blob = encode_map(&Map::new());
    let reply = call(&mut con, redis::cmd("HUNT.RESTORE").arg("s").arg(&blob));
    assert_eq!(reply, Err(wrongtype.to_string()));
    assert_eq!(state(&mut con), before);
}

#[test]
fn del_rename_copy_and_type_treat_a_map_like_any_key() {
    let server = Server::start("keys", &[]);
    let mut con = server.con();
    small_map(&mut con, "m");
    assert_eq!(text(&ok(&mut con, &["TYPE", "m"])), "hunt-map1");
    let original = path(&mut con, "m", 1, 4, &["MASK", "1"]).unwrap();
    let info = map_info(&mut con, "m");

    // COPY answers the same and is independent of the original.
    assert_eq!(ok(&mut con, &["COPY", "m", "c"]), Value::Int(1));
    assert_eq!(text(&ok(&mut con, &["TYPE", "c"])), "hunt-map1");
    assert_eq!(path(&mut con, "c", 1, 4, &["MASK", "1"]), Some(original.clone()));
    assert_eq!(map_info(&mut con, "c"), info);
    assert_eq!(ok(&mut con, &["DEBUG", "DIGEST-VALUE", "c"]), ok(&mut con, &["DEBUG", "DIGEST-VALUE", "m"]));
    // 1 -> 4 exists (class 2): it becomes class 0 with weight 1; 4 -> 5 is new.
    assert_eq!(add_edges(&mut con, "c", None, &[(1, 4, 1), (4, 5, 1)]), 1);
    assert_eq!(path(&mut con, "c", 1, 4, &["MASK", "1"]).map(|r| r.cost), Some(1));
    assert_eq!(path(&mut con, "m", 1, 4, &["MASK", "1"]), Some(original.clone()));
    assert_eq!(map_info(&mut con, "m"), info, "a write to the copy changed the original");
    assert_eq!(err(&mut con, &["HUNT.PATH", "m", "4", "5"]), "ERR no such node 5");
    // And a write to the original leaves the copy alone.
    let copy_info = map_info(&mut con, "c");
    assert_eq!(add_edges(&mut con, "m", None, &[(9, 10, 1)]), 1);
    assert_eq!(map_info(&mut con, "c"), copy_info);

    // RENAME moves the map.
    let info = map_info(&mut con, "m");
    let before = path(&mut con, "m", 1, 4, &[]);
    assert_eq!(text(&ok(&mut con, &["RENAME", "m", "r"])), "OK");
    assert_eq!(err(&mut con, &["HUNT.MAPINFO", "m"]), "ERR no such map");
    assert_eq!(map_info(&mut con, "r"), info);
    assert_eq!(path(&mut con, "r", 1, 4, &[]), before);
    assert_eq!(add_edges(&mut con, "r", None, &[(4, 1, 2)]), 1);

    // DUMP and RESTORE (the server's own) carry a map through its RDB form.
    let dump = ok(&mut con, &["DUMP", "r"]);
    let Value::BulkString(dump) = dump else { panic!("DUMP gave {dump:?}") };
    assert_eq!(call(&mut con, redis::cmd("RESTORE").arg("d").arg(0).arg(dump)).map(|v| text(&v)), Ok("OK".to_string()));
    assert_eq!(path(&mut con, "d", 4, 3, &[]), path(&mut con, "r", 4, 3, &[]));
    let (d, r) = (map_info(&mut con, "d"), map_info(&mut con, "r"));
    assert_eq!((d.nodes, d.edges, d.closed, d.version), (r.nodes, r.edges, r.closed, r.version));

    // DEL removes it; the key is then simply missing.
    assert_eq!(ok(&mut con, &["DEL", "r"]), Value::Int(1));
    assert_eq!(ok(&mut con, &["EXISTS", "r"]), Value::Int(0));
    assert_eq!(err(&mut con, &["HUNT.PATH", "r", "1", "4"]), "ERR no such map");
    assert_eq!(text(&ok(&mut con, &["TYPE", "r"])), "none");
    // A fresh map can be created under the old name.
    assert_eq!(add_edges(&mut con, "r", None, &[(1, 2, 3)]), 1);
    assert_eq!(map_info(&mut con, "r").version, 1);
    // FLUSHALL frees every map.
    assert_eq!(text(&ok(&mut con, &["FLUSHALL"])), "OK");
    assert_eq!(ok(&mut con, &["DBSIZE"]), Value::Int(0));
}

#[test]
fn addedges_notifies_keyspace_subscribers() {
    let server = Server::start("notify", &[]);
    let mut con = server.con();
    let mut listener = server.con();
    let mut pubsub = listener.as_pubsub();
    pubsub.psubscribe("__keyspace@0__:*").expect("PSUBSCRIBE");
    pubsub.set_read_timeout(Some(Duration::from_secs(5))).expect("read timeout");
    // A refused write notifies nothing; the first message must be the good write's.
    assert!(err(&mut con, &["HUNT.ADDEDGES", "quiet", "1", "2", "x"]).starts_with("ERR"));
    assert_eq!(add_edges(&mut con, "loud", None, &[(1, 2, 3)]), 1);
    let message = pubsub.get_message().expect("a keyspace notification within 5 s");
    assert_eq!(message.get_channel_name(), "__keyspace@0__:loud");
    assert_eq!(message.get_payload_bytes(), b"hunt.addedges");
    assert_eq!(message.get_pattern::<String>().unwrap(), "__keyspace@0__:*");
    // A write to an existing map notifies again.
    assert_eq!(add_edges(&mut con, "loud", None, &[(1, 2, 4)]), 0);
    let message = pubsub.get_message().expect("a second notification");
    assert_eq!(
        (message.get_channel_name(), message.get_payload_bytes()),
        ("__keyspace@0__:loud", &b"hunt.addedges"[..])
    );
}

/// Arguments no client should send: every reply must be an error or a well-formed answer,
/// never an internal error (a caught panic), and the server must keep running.
#[test]
fn hostile_arguments_get_error_replies_and_the_server_survives() {
    let mut server = Server::start("hostile", &[]);
    let mut con = server.con();
    small_map(&mut con, "m");
    let plain = path(&mut con, "m", 1, 4, &[]);

    let mut rng = XorShift(0xbad_5eed);
    let mut garbage = |len: usize| -> Vec<u8> { (0..len).map(|_| rng.next() as u8).collect() };
    let long_digits = "9".repeat(100_000);
    let thousand_digits = format!("1{}", "0".repeat(999));
    let nasty: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b" ".to_vec(),
        b"\0".to_vec(),
        b"1\0".to_vec(),
        b"\r\n".to_vec(),
        b"-".to_vec(),
        b"--1".to_vec(),
        b"-0".to_vec(),
        b"0x10".to_vec(),
        b"1e9".to_vec(),
        b"\xff\xfe\x80".to_vec(),
        b"18446744073709551616".to_vec(),
        b"-9223372036854775808".to_vec(),
        b"4294967295".to_vec(),
        b"4294967296".to_vec(),
        thousand_digits.clone().into_bytes(),
        long_digits.clone().into_bytes(),
        b"MASK".to_vec(),
        b"AVOID".to_vec(),
        b"MAXCOST".to_vec(),
        b"CLASS".to_vec(),
        garbage(64),
        garbage(4096),
    ];

    let mut commands: Vec<redis::Cmd> = Vec::new();
    // Each nasty value in each argument position of PATH and ADDEDGES.
    for value in &nasty {
        for position in 0..4 {
            let mut words: Vec<Vec<u8>> = ["1", "4", "MASK", "1"].iter().map(|w| w.as_bytes().to_vec()).collect();
            words[position] = value.clone();
            let mut c = redis::cmd("HUNT.PATH");
            c.arg("m").arg(words);
            commands.push(c);
        }
        for option in ["MASK", "AVOID", "MAXCOST"] {
            commands.push(redis::cmd("HUNT.PATH").arg("m").arg(1).arg(4).arg(option).arg(value).clone());
        }
        commands.push(redis::cmd("HUNT.PATH").arg("m").arg(1).arg(4).arg("AVOID").arg(1).arg(value).clone());
        for position in 0..3 {
            let mut words: Vec<Vec<u8>> = ["7", "8", "9"].iter().map(|w| w.as_bytes().to_vec()).collect();
            words[position] = value.clone();
            let mut c = redis::cmd("HUNT.ADDEDGES");
            c.arg("m").arg(words);
            commands.push(c);
        }
        commands.push(redis::cmd("HUNT.ADDEDGES").arg("m").arg("CLASS").arg(value).arg(7).arg(8).arg(9).clone());
        commands.push(redis::cmd("HUNT.RESTORE").arg("hostile:restore").arg(value).clone());
        commands.push(redis::cmd("HUNT.MAPINFO").arg("m").arg(value).clone());
        // A garbage key name is just a missing key.
        commands.push(redis::cmd("HUNT.PATH").arg(value).arg(1).arg(4).clone());
    }
    // AVOID counts larger than the arguments that follow.
    for count in ["4294967295", "4294967296", "1000000", "3", &long_digits] {
        commands.push(redis::cmd("HUNT.PATH").arg("m").arg(1).arg(4).arg("AVOID").arg(count).arg(1).arg(2).clone());
    }
    // Random sequences of option words and values.
    let vocabulary: Vec<&[u8]> = vec![
        b"MASK",
        b"AVOID",
        b"MAXCOST",
        b"mask",
        b"avoid",
        b"1",
        b"2",
        b"0",
        b"3",
        b"-1",
        b"",
        b"65535",
        b"99999999999999999999",
        b"\xff",
        b"CLASS",
    ];
    for _ in 0..2000 {
        let mut c = redis::cmd("HUNT.PATH");
        c.arg("m").arg(1 + rng.below(4)).arg(1 + rng.below(4));
        for _ in 0..rng.below(8) {
            c.arg(vocabulary[rng.below(vocabulary.len() as u64) as usize]);
        }
        commands.push(c);
    }

    let replies = pipeline(&mut con, &commands);
    let mut errors = 0;
    for (command, reply) in commands.iter().zip(&replies) {
        match reply {
            Err(e) => {
                errors += 1;
                assert!(
                    e.starts_with("ERR ") || e.starts_with("WRONGTYPE "),
                    "{:?}: odd error {e}",
                    command_words(command)
                );
                assert!(!e.contains("internal error"), "{:?}: {e}", command_words(command));
            }
            Ok(Value::Nil) | Ok(Value::Int(_)) | Ok(Value::Okay) => {}
            Ok(value @ Value::Array(_)) => {
                let r = route(value).expect("a route");
                assert!(r.cost <= 20 && !r.path.is_empty(), "{:?}: {r:?}", command_words(command));
            }
            Ok(other) => panic!("{:?}: unexpected reply {other:?}", command_words(command)),
        }
    }
    assert!(errors > commands.len() / 2, "most of these must be refused");

    // A long AVOID list of nodes the map does not have changes nothing.
    let mut c = redis::cmd("HUNT.PATH");
    c.arg("m").arg(1).arg(4).arg("AVOID").arg(200_000);
    for id in 1_000_000..1_200_000u64 {
        c.arg(id);
    }
    let long = route(&call(&mut con, &c).expect("long AVOID"));
    let same = |r: Option<Route>| r.map(|r| (r.cost, r.path));
    assert_eq!(same(long), same(plain.clone()));

    // A long ADDEDGES whose very last triple is bad adds nothing.
    let mut c = redis::cmd("HUNT.ADDEDGES");
    c.arg("m");
    for id in 0..100_000u64 {
        c.arg(100 + id).arg(101 + id).arg(1);
    }
    c.arg(1).arg(2).arg("x");
    assert!(call(&mut con, &c).is_err());

    // Whatever was refused or accepted above, the answer between 1 and 4 is unchanged:
    // the few ADDEDGES that parsed only touched nodes other than 1 to 4.
    assert_eq!(same(path(&mut con, "m", 1, 4, &[])), same(plain));
    ping(&mut con);
    assert!(server.is_running(), "the server died");
    assert!(!server.log().contains("panicked"), "a panic was caught:\n{}", server.log());
}

/// HUNT.RESTORE takes whatever bytes a client sends: every truncation and many bit flips
/// of a valid blob must be refused or give a map that answers queries.
#[test]
fn restore_refuses_damaged_blobs_without_harm() {
    let mut server = Server::start("blobs", &[]);
    let mut con = server.con();
    let mut map = Map::new();
    let edges: Vec<EdgeSpec> = [(1, 2, 3), (2, 3, 4), (3, 1, 0), (1 << 62, 1, 9), (3, 4, 7)]
        .iter()
        .map(|&(from, to, weight)| EdgeSpec { from, to, weight })
        .collect();
    map.add_edges(&edges, 3, usize::MAX).unwrap();
    let blob = encode_map(&map);

    let mut commands = Vec::new();
    for len in 0..blob.len() {
        commands.push(redis::cmd("HUNT.RESTORE").arg(format!("cut{len}")).arg(&blob[..len]).clone());
    }
    let mut flipped = Vec::new();
    for pos in 0..blob.len() {
        for bit in [0, 3, 7] {
            let mut bad = blob.clone();
            bad[pos] ^= 1 << bit;
            let key = format!("flip{pos}:{bit}");
            commands.push(redis::cmd("HUNT.RESTORE").arg(&key).arg(bad).clone());
            flipped.push(key);
        }
    }
    let replies = pipeline(&mut con, &commands);
    for (command, reply) in commands.iter().zip(&replies).take(blob.len()) {
        let e = reply.as_ref().expect_err("a truncated blob must be refused");
        assert!(e.starts_with("ERR corrupt payload"), "{:?}: {e}", command_words(command));
    }
    // Whatever was accepted must answer queries between any of its nodes.
    let mut queries = Vec::new();
    for (key, reply) in flipped.iter().zip(&replies[blob.len()..]) {
        match reply {
            Ok(_) => {
                for from in [1u64, 2, 3, 4, 1 << 62] {
                    for to in [1u64, 3, 4] {
                        queries.push(path_cmd(key, from, to, &[]));
                    }
                }
                queries.push(redis::cmd("HUNT.MAPINFO").arg(key).clone());
            }
            Err(e) => assert!(e.starts_with("ERR corrupt payload"), "{key}: {e}"),
        }
    }
    for (query, reply) in queries.iter().zip(pipeline(&mut con, &queries)) {
        if let Err(e) = reply {
            assert!(e.starts_with("ERR no such node"), "{:?}: {e}", command_words(query));
        }
    }
    // The intact blob still restores.
    assert_eq!(call(&mut con, redis::cmd("HUNT.RESTORE").arg("whole").arg(&blob)).map(|v| text(&v)), Ok("OK".into()));
    assert_eq!(path(&mut con, "whole", 1, 4, &[]).map(|r| r.cost), Some(14));
    ping(&mut con);
    assert!(server.is_running(), "the server died");
}

/// One page of `HUNT.SCAN`: the next cursor and the nodes `[id, lon, lat, [[to, weight, class,
/// closed], ...]]`.
fn scan_page(con: &mut redis::Connection, key: &str, cursor: &str, count: &str) -> (String, Vec<Value>) {
    match ok(con, &["HUNT.SCAN", key, cursor, "COUNT", count]) {
        Value::Array(reply) if reply.len() == 2 => match &reply[1] {
            Value::Array(nodes) => (text(&reply[0]), nodes.clone()),
            other => panic!("HUNT.SCAN nodes: {other:?}"),
        },
        other => panic!("HUNT.SCAN reply: {other:?}"),
    }
}

#[test]
fn a_scan_returns_every_node_once_with_its_coordinates_and_out_edges() {
    let server = Server::start("scan", &[]);
    let mut con = server.con();
    small_map(&mut con, "m");
    ok(&mut con, &["HUNT.CLOSE", "m", "1", "3"]);
    ok(&mut con, &["HUNT.NODES", "m", "1", "12.5", "41.9", "2", "-0.0000001", "-41.25"]);
    let (mut cursor, mut nodes) = ("0".to_string(), Vec::new());
    loop {
        let (next, page) = scan_page(&mut con, "m", &cursor, "3");
        assert!(page.len() <= 3, "COUNT bounds a page");
        nodes.extend(page);
        if next == "0" {
            break;
        }
        cursor = next;
    }
    // Coordinates are stored as 32-bit unit vectors: good to about 1e-5 degree (1 m).
    let degrees = |v: &Value| match v {
        Value::Nil => None,
        other => Some(text(other).parse::<f64>().expect("degrees")),
    };
    let edges = |v: &Value| match v {
        Value::Array(edges) => edges
            .iter()
            .map(|e| match e {
                Value::Array(f) => (int(&f[0]), int(&f[1]), int(&f[2]), int(&f[3])),
                other => panic!("edge {other:?}"),
            })
            .collect::<Vec<_>>(),
        other => panic!("edges {other:?}"),
    };
    let seen: Vec<_> = nodes
        .iter()
        .map(|n| match n {
            Value::Array(f) => (int(&f[0]), degrees(&f[1]), degrees(&f[2]), edges(&f[3])),
            other => panic!("node {other:?}"),
        })
        .collect();
    let expected = [
        (1, Some(12.5), Some(41.9), vec![(2, 4, 0, 0), (3, 20, 0, 1), (4, 3, 2, 0)]),
        (2, Some(0.0), Some(-41.25), vec![(3, 5, 0, 0), (4, 12, 0, 0)]),
        (3, None, None, vec![(4, 1, 0, 0)]),
        (4, None, None, vec![]),
    ];
    assert_eq!(seen.len(), expected.len());
    let near = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-5,
        (a, b) => a == b,
    };
    for (got, want) in seen.iter().zip(&expected) {
        assert_eq!((got.0, &got.3), (want.0, &want.3));
        assert!(near(got.1, want.1) && near(got.2, want.2), "{got:?} vs {want:?}");
    }
    assert_eq!(text(&nodes[1].clone().into_sequence().unwrap()[1]), "0.000000", "no -0");
    // A cursor past the end is an empty, final page; a missing key is an empty scan.
    assert_eq!(scan_page(&mut con, "m", "99", "10"), ("0".to_string(), vec![]));
    assert_eq!(scan_page(&mut con, "nokey", "0", "10"), ("0".to_string(), vec![]));
    assert_eq!(err(&mut con, &["HUNT.SCAN", "m", "0", "COUNT", "0"]), "ERR count must be between 1 and 1000000");
    assert_eq!(err(&mut con, &["HUNT.SCAN", "m", "x"]), "ERR cursor is not an integer or out of range");
    assert_eq!(err(&mut con, &["HUNT.SCAN", "m", "0", "MATCH", "1"]), "ERR syntax error");
    ok(&mut con, &["SET", "s", "v"]);
    assert!(err(&mut con, &["HUNT.SCAN", "s", "0"]).starts_with("WRONGTYPE"));
}
