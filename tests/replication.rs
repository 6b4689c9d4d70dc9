//! A replica gets the same maps: by full sync (RDB) for what existed when it connected, and
//! by the replicated commands for later writes. It answers queries and refuses writes.

mod common;

use std::time::Duration;

use common::oracle::XorShift;
use common::*;
use redis::{Connection, Value};

fn observe(con: &mut Connection) -> Vec<(String, Result<Value, String>)> {
    let mut rng = XorShift(0x1234_5678);
    let mut commands = Vec::new();
    for k in 0..100 {
        let (from, to) = (1 + rng.below(3353), 1 + rng.below(3353));
        let options: &[&str] = if k % 3 == 0 { &["MASK", "1"] } else { &[] };
        commands.push(path_cmd("rome", from, to, options));
    }
    commands.push(path_cmd("rome", 1, 3000, &[]));
    commands.push(path_cmd("late", 7, 9, &[]));
    for key in ["rome", "late"] {
        commands.push(cmd(&["DEBUG", "DIGEST-VALUE", key]));
        commands.push(cmd(&["TYPE", key]));
    }
    commands.push(cmd(&["DEBUG", "DIGEST"]));
    let replies = pipeline(con, &commands);
    commands.iter().map(|c| command_words(c).join(" ")).zip(replies).collect()
}

/// MAPINFO without `memory`, which measures this server's allocations, not the map.
fn logical_info(con: &mut Connection, key: &str) -> (i64, i64, i64, i64) {
    let info = map_info(con, key);
    (info.nodes, info.edges, info.closed, info.version)
}

#[test]
fn replica_gets_the_same_maps_answers_queries_and_refuses_writes() {
    let primary = Server::start("primary", &[]);
    let mut con = primary.con();
    // Before the replica exists: it gets this through the full sync.
    load_map(&mut con, "rome", &rome_path());
    add_edges(&mut con, "rome", Some(4), &[(1, 3000, 5000)]);

    let port = primary.port.to_string();
    let replica = Server::start("replica", &["--replicaof", "127.0.0.1", &port]);
    let mut rcon = replica.con();
    wait_until("the replica's link to come up", Duration::from_secs(10), || {
        info_field(&mut rcon, "replication", "master_link_status") == "up"
    });

    // After: these reach the replica as replicated commands.
    add_edges(&mut con, "rome", None, &[(3000, 1, 3), (2, 1, 4)]);
    add_edges(&mut con, "rome", Some(2), &[(5, 6, 1)]);
    add_edges(&mut con, "late", None, &[(7, 8, 1), (8, 9, 2), (7, 9, 5)]);
    assert!(err(&mut con, &["HUNT.ADDEDGES", "rome", "1", "2", "x"]).starts_with("ERR"));
    assert_eq!(ok(&mut con, &["WAIT", "1", "1000"]), Value::Int(1), "the replica acknowledged");

    let on_primary = observe(&mut con);
    let on_replica = observe(&mut rcon);
    for ((command, a), (_, b)) in on_primary.iter().zip(&on_replica) {
        assert_eq!(a, b, "{command} answers differently on the replica");
    }
    for key in ["rome", "late"] {
        assert_eq!(logical_info(&mut con, key), logical_info(&mut rcon, key), "{key}");
    }
    let route = path(&mut rcon, "late", 7, 9, &[]).expect("HUNT.PATH on the replica");
    assert_eq!((route.cost, route.path.as_slice()), (3, &[7, 8, 9][..]));

    // Writes are refused on the replica, and change nothing there.
    let refused = err(&mut rcon, &["HUNT.ADDEDGES", "rome", "1", "2", "3"]);
    assert!(refused.starts_with("READONLY "), "{refused}");
    let refused = err(&mut rcon, &["HUNT.ADDEDGES", "fresh", "1", "2", "3"]);
    assert!(refused.starts_with("READONLY "), "{refused}");
    assert_eq!(ok(&mut rcon, &["EXISTS", "fresh"]), Value::Int(0));
    assert_eq!(ok(&mut rcon, &["DEBUG", "DIGEST-VALUE", "rome"]), ok(&mut con, &["DEBUG", "DIGEST-VALUE", "rome"]));
}
