//! Maps survive the server: RDB (`SAVE` + restart, `DEBUG RELOAD`) and the AOF, with and
//! without an RDB preamble, across a rewrite (`BGREWRITEAOF`) and later writes.

mod common;

use std::time::Duration;

use common::oracle::XorShift;
use common::*;
use redis::{Connection, Value};

/// The keys every scenario writes.
const MAPS: [&str; 3] = ["rome", "ids", "later"];

/// The first writes: rome in calls of 1,000 edges (so the AOF holds many commands), a
/// class-3 shortcut, a changed weight, and a map with the largest ids.
fn first_writes(con: &mut Connection) {
    let edges = hunt_load::read_edges(&rome_path()).expect("rome99");
    let added = hunt_load::send(con, "rome", &edges, 1000, |_| {}).expect("loading rome");
    assert_eq!(added as usize, edges.len());
    assert_eq!(add_edges(con, "rome", Some(3), &[(1, 3000, 1000), (3000, 1, 1000)]), 2);
    let e = edges[17];
    assert_eq!(add_edges(con, "rome", None, &[(e.from, e.to, e.weight + 5000)]), 0);
    let max = i64::MAX as u64;
    assert_eq!(add_edges(con, "ids", None, &[(max, 0, 1), (0, max - 1, 2), (max - 1, max, 3)]), 3);
    ok(con, &["SET", "plain", "a string key"]);
}

/// Later writes: new edges, changed weights and a new map.
fn later_writes(con: &mut Connection, round: u64) {
    assert_eq!(add_edges(con, "rome", None, &[(100_000 + round, 1, 7), (2, 100_000 + round, 9)]), 2);
    assert_eq!(add_edges(con, "rome", Some(5), &[(2, 100_000 + round, 8)]), 0);
    add_edges(con, "later", Some(round as u8), &[(round, round + 1, 1), (round + 1, 1, 2)]);
}

/// Everything a client can observe of the maps: many answers (with every option), each
/// map's MAPINFO and digest, and the whole dataset's digest.
fn observe(con: &mut Connection) -> Vec<(String, Result<Value, String>)> {
    let mut rng = XorShift(0xfeed_beef);
    let options: [&[&str]; 6] = [
        &[],
        &["MASK", "1"],
        &["MASK", "8"],
        &["AVOID", "3", "2", "3", "4"],
        &["MAXCOST", "20000"],
        &["MASK", "9", "MAXCOST", "30000", "AVOID", "1", "100"],
    ];
    let mut commands = Vec::new();
    for k in 0..120 {
        let (from, to) = (1 + rng.below(3353), 1 + rng.below(3353));
        commands.push(path_cmd("rome", from, to, options[k % options.len()]));
    }
    commands.push(path_cmd("rome", 1, 3000, &[]));
    commands.push(path_cmd("rome", 1, 3000, &["MASK", "1"]));
    let max = i64::MAX as u64;
    commands.push(path_cmd("ids", max, max - 1, &[]));
    commands.push(path_cmd("ids", max - 1, 0, &[]));
    for key in MAPS {
        commands.push(cmd(&["HUNT.MAPINFO", key]));
        commands.push(cmd(&["DEBUG", "DIGEST-VALUE", key]));
        commands.push(cmd(&["TYPE", key]));
    }
    commands.push(cmd(&["GET", "plain"]));
    commands.push(cmd(&["DBSIZE"]));
    commands.push(cmd(&["DEBUG", "DIGEST"]));
    let replies = pipeline(con, &commands);
    commands
        .iter()
        .map(|c| command_words(c).join(" "))
        .zip(replies)
        .map(
            |(command, reply)| {
                if command.starts_with("HUNT.MAPINFO") {
                    (command, reply.map(without_memory))
                } else {
                    (command, reply)
                }
            },
        )
        .collect()
}

/// A MAPINFO reply without its `memory` field: that counts the capacity of the map's
/// arrays, which depends on how they grew (one big load after a restart, many small
/// appends before), not on what the map holds.
fn without_memory(reply: Value) -> Value {
    let info = map_info_of(&reply);
    assert!(info.memory > 0, "{info:?}");
    Value::Array(
        fields(&reply)
            .into_iter()
            .filter(|(name, _)| name != "memory")
            .flat_map(|(name, value)| [Value::BulkString(name.into_bytes()), value])
            .collect(),
    )
}

/// Compares two observations answer by answer, for readable failures.
fn assert_same(before: &[(String, Result<Value, String>)], after: &[(String, Result<Value, String>)]) {
    assert_eq!(before.len(), after.len());
    for ((command, a), (_, b)) in before.iter().zip(after) {
        assert_eq!(a, b, "{command} answers differently");
    }
    let answered =
        before.iter().filter(|(c, r)| c.starts_with("HUNT.PATH") && matches!(r, Ok(Value::Array(_)))).count();
    assert!(answered > 80, "most queries must find a path ({answered})");
}

#[test]
fn rdb_save_and_restart_keep_answers_and_map_info() {
    let mut server = Server::start("rdb", &[]);
    let mut con = server.con();
    first_writes(&mut con);
    later_writes(&mut con, 1);
    let before = observe(&mut con);
    assert_eq!(text(&ok(&mut con, &["SAVE"])), "OK");
    drop(con);
    server.restart();
    let mut con = server.con();
    assert_same(&before, &observe(&mut con));
    // The maps keep working: the next write takes the next version.
    let version = map_info(&mut con, "rome").version;
    later_writes(&mut con, 2);
    assert_eq!(map_info(&mut con, "rome").version, version + 2);
}

#[test]
fn debug_reload_keeps_answers_and_map_info() {
    let server = Server::start("reload", &[]);
    let mut con = server.con();
    first_writes(&mut con);
    later_writes(&mut con, 1);
    let before = observe(&mut con);
    assert_eq!(text(&ok(&mut con, &["DEBUG", "RELOAD"])), "OK");
    assert_same(&before, &observe(&mut con));
    later_writes(&mut con, 2);
    let before = observe(&mut con);
    assert_eq!(text(&ok(&mut con, &["DEBUG", "RELOAD"])), "OK");
    assert_same(&before, &observe(&mut con));
}

fn wait_for_no_rewrite(con: &mut Connection) {
    wait_until("the AOF rewrite to finish", Duration::from_secs(30), || {
        info_field(con, "persistence", "aof_rewrite_in_progress") == "0"
            && info_field(con, "persistence", "aof_rewrite_scheduled") == "0"
    });
}

/// The base file of the multi-part AOF (Redis 7): its name and bytes.
fn aof_base(server: &Server) -> (String, Vec<u8>) {
    let dir = server.dir.join("appendonlydir");
    let entry = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().contains(".base."))
        .unwrap_or_else(|| panic!("no base AOF file in {}", dir.display()));
    let name = entry.file_name().to_string_lossy().into_owned();
    (name, std::fs::read(entry.path()).expect("read the base AOF"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Writes, rewrite, more writes, restart: the AOF alone brings every map back.
fn aof_round_trip(name: &str, preamble: &str) -> Server {
    let mut server = Server::start(name, &["--appendonly", "yes", "--aof-use-rdb-preamble", preamble]);
    let mut con = server.con();
    wait_for_no_rewrite(&mut con);
    first_writes(&mut con);
    assert_eq!(text(&ok(&mut con, &["BGREWRITEAOF"])), "Background append only file rewriting started");
    wait_for_no_rewrite(&mut con);
    assert_eq!(info_field(&mut con, "persistence", "aof_last_bgrewrite_status"), "ok");
    later_writes(&mut con, 1);
    later_writes(&mut con, 2);
    let before = observe(&mut con);
    drop(con);
    server.restart();
    let mut con = server.con();
    assert_same(&before, &observe(&mut con));
    // Writes after the restart go on from the restored versions.
    let version = map_info(&mut con, "rome").version;
    later_writes(&mut con, 3);
    assert_eq!(map_info(&mut con, "rome").version, version + 2);
    let before = observe(&mut con);
    drop(con);
    server.restart();
    assert_same(&before, &observe(&mut server.con()));
    server
}

#[test]
fn aof_without_rdb_preamble_restores_maps_through_hunt_restore() {
    let server = aof_round_trip("aof-plain", "no");
    let (name, base) = aof_base(&server);
    assert!(name.ends_with(".base.aof"), "{name}");
    assert!(contains(&base, b"HUNT.RESTORE"), "the rewritten AOF holds each map as one HUNT.RESTORE");
}

#[test]
fn aof_with_rdb_preamble_restores_maps() {
    let server = aof_round_trip("aof-preamble", "yes");
    let (name, base) = aof_base(&server);
    assert!(name.ends_with(".base.rdb"), "{name}");
    // Valkey 9 writes its own magic.
    assert!(base.starts_with(b"REDIS") || base.starts_with(b"VALKEY"), "the base is an RDB file");
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).position(|w| w == needle).expect("the bytes are in the file")
}

/// An incremental AOF file of the multi-part AOF (Redis 7): its path.
fn aof_incr(server: &Server) -> std::path::PathBuf {
    let dir = server.dir.join("appendonlydir");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().contains(".incr."))
        .unwrap_or_else(|| panic!("no incremental AOF file in {}", dir.display()))
        .path()
}

/// Only writes that succeeded reach the AOF, so a hunt command failing while the AOF loads
/// means the file was damaged. Redis does not check replies while loading and would start
/// without that change; hunt refuses instead, with a log line naming the key.
#[test]
fn a_damaged_aof_is_refused_with_a_log_line_naming_the_key_never_a_crash() {
    let mut server = Server::start("aof-damaged", &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
    let mut con = server.con();
    wait_for_no_rewrite(&mut con);
    add_edges(&mut con, "city", None, &[(1, 2, 5), (2, 3, 7)]);
    assert_eq!(int(&ok(&mut con, &["HUNT.PUBLISH", "game", "c1", "by the fountain"])), 1);
    assert_eq!(text(&ok(&mut con, &["BGREWRITEAOF"])), "Background append only file rewriting started");
    wait_for_no_rewrite(&mut con);
    drop(con);
    server.stop();
    let (name, good) = aof_base(&server);
    let base_path = server.dir.join("appendonlydir").join(&name);

    // A map blob in the base file with its format number changed (lengths intact).
    let mut damaged = good.clone();
    damaged[find(&good, b"HUNTMAP\0") + 8] = 9;
    std::fs::write(&base_path, &damaged).expect("write the base AOF");
    let log = server.try_restart().expect_err("the server started on a damaged AOF");
    assert!(
        log.contains(
            "hunt: cannot load key 'city' from the AOF: HUNT.RESTORE failed: ERR corrupt payload: unknown map format 9"
        ),
        "{log}"
    );
    assert!(log.contains("The AOF is damaged; refusing to start"), "{log}");
    assert!(!log.contains("crashed by signal"), "{log}");

    // An edited board change in the incremental file: a version the board already has.
    std::fs::write(&base_path, &good).expect("write the base AOF");
    let incr = aof_incr(&server);
    let mut tail = std::fs::read(&incr).expect("read the incremental AOF");
    let as_written = tail.len();
    let words = ["HUNT.REPLAY", "game", "PUBLISH", "c2", "1", "-", "moved"];
    tail.extend_from_slice(format!("*{}\r\n", words.len()).as_bytes());
    for word in words {
        tail.extend_from_slice(format!("${}\r\n{word}\r\n", word.len()).as_bytes());
    }
    std::fs::write(&incr, &tail).expect("write the incremental AOF");
    let log = server.try_restart().expect_err("the server started on a damaged AOF");
    assert!(log.contains("hunt: cannot load key 'game' from the AOF: HUNT.REPLAY failed: STALE"), "{log}");

    // The files as Redis wrote them load again, with everything in them.
    tail.truncate(as_written);
    std::fs::write(&incr, &tail).expect("write the incremental AOF");
    server.try_restart().expect("the undamaged files load");
    let mut con = server.con();
    assert_eq!(path(&mut con, "city", 1, 3, &[]).map(|r| r.cost), Some(12));
    assert_eq!(int(&field(&ok(&mut con, &["HUNT.BOARDINFO", "game"]), "version")), 1);
}
