//! Faults, with nothing lost: `kill -9` of the server in the middle of a stream of board and
//! map writes (AOF with `appendfsync always`, with and without an RDB preamble, across
//! rewrites), a failover from a killed primary to its promoted replica (writes acknowledged
//! with `WAIT 1 0`, subscribers catching up with `HUNT.CLUES SINCE`), and servers that cannot
//! read our RDB (no module, another encoding version, a corrupted payload).
//!
//! Timing varies from run to run (how many writes are acknowledged before the kill, whether
//! the last one made it); the assertions never do: every acknowledged write is there, and
//! the only other state allowed for a key is the one write that was in flight.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use redis::{Connection, Value};

const BOARD: &str = "game";
const MAP: &str = "city";
/// The map: `EDGES` separate edges `2i -> 2i+1`, so `HUNT.PATH 2i 2i+1` costs its weight.
const EDGES: u64 = 24;
const INITIAL_WEIGHT: u32 = 7;
const PUBLISHERS: usize = 3;
const WEIGHT_SETTERS: usize = 2;
/// Clue ids per publisher: few, so that ids are written again and again (and removed).
const IDS_PER_PUBLISHER: u64 = 12;

// ---------------------------------------------------------------------------------------
// Writers that record what was acknowledged
// ---------------------------------------------------------------------------------------

/// A connection by port, for threads (a `Server` stays with the test, which kills it).
fn connect(port: u16) -> Connection {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).expect("client");
    let con = client.get_connection_with_timeout(Duration::from_secs(5)).expect("connect");
    con.set_read_timeout(Some(Duration::from_secs(30))).expect("read timeout");
    con
}

/// One board change: `payload` `None` is a removal.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Change {
    id: String,
    version: u64,
    payload: Option<String>,
}

/// What one writer thread saw: the writes acknowledged, in order, and the one it sent
/// after them, whose acknowledgement never came (it may or may not have been applied).
#[derive(Debug)]
struct Log<T> {
    acked: Vec<T>,
    in_flight: Option<T>,
}

impl<T> Log<T> {
    fn new() -> Log<T> {
        Log { acked: Vec::new(), in_flight: None }
    }
}

/// When a write counts as acknowledged: its reply (with `appendfsync always` the AOF is
/// fsynced before it is sent), or also `WAIT 1 0` replying at least 1 on the same connection.
#[derive(Clone, Copy)]
enum Ack {
    Reply,
    ReplicaWait,
}

fn replica_acknowledged(con: &mut Connection, ack: Ack) -> bool {
    match ack {
        Ack::Reply => true,
        Ack::ReplicaWait => matches!(call(con, &cmd(&["WAIT", "1", "0"])), Ok(Value::Int(n)) if n >= 1),
    }
}

/// Publishes and removes the clues `<prefix><k>` until `stop` is set, `limit` changes are
/// made, or the server goes away. Every fifth change removes a clue that exists.
fn publisher(port: u16, prefix: &str, ack: Ack, limit: usize, stop: &AtomicBool, acked: &AtomicUsize) -> Log<Change> {
    let mut con = connect(port);
    let mut log = Log::new();
    let mut live = BTreeMap::new();
    for seq in 0..limit {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let id = format!("{prefix}{}", seq as u64 % IDS_PER_PUBLISHER);
        let remove = seq % 5 == 4 && live.contains_key(&id);
        let payload = (!remove).then(|| format!("{prefix}payload-{seq}"));
        let command = match &payload {
            Some(p) => cmd(&["HUNT.PUBLISH", BOARD, &id, p, "AT", &(seq % 40).to_string()]),
            None => cmd(&["HUNT.UNPUBLISH", BOARD, &id]),
        };
        log.in_flight = Some(Change { id: id.clone(), version: 0, payload: payload.clone() });
        let version = match call(&mut con, &command) {
            Ok(Value::Int(v)) if v > 0 => v as u64,
            Ok(other) => panic!("{:?} replied {other:?}", command_words(&command)),
            Err(_) => break, // the server is gone
        };
        log.in_flight = Some(Change { id: id.clone(), version, payload: payload.clone() });
        if !replica_acknowledged(&mut con, ack) {
            break;
        }
        match payload {
            Some(_) => live.insert(id, ()),
            None => live.remove(&id),
        };
        log.acked.push(log.in_flight.take().expect("the change just sent"));
        acked.fetch_add(1, Ordering::Relaxed);
    }
    log
}

/// One weight change: edge `2i -> 2i+1` got `weight`, and the map was at `version` after it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Weight {
    edge: u64,
    weight: u32,
    version: u64,
}

/// Sets the weights of the edges `i` with `i % WEIGHT_SETTERS == setter` to new values
/// (`base + seq`, never the value before), reading the weight and the map version back in
/// the same `MULTI`, until `stop` is set or the server goes away.
fn weight_setter(port: u16, setter: usize, base: u32, ack: Ack, stop: &AtomicBool, acked: &AtomicUsize) -> Log<Weight> {
    let mut con = connect(port);
    let mut log = Log::new();
    let edges: Vec<u64> = (0..EDGES).filter(|i| *i as usize % WEIGHT_SETTERS == setter).collect();
    for seq in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let edge = edges[seq % edges.len()];
        let weight = base + seq as u32;
        log.in_flight = Some(Weight { edge, weight, version: 0 });
        let mut transaction = redis::pipe();
        transaction.atomic();
        transaction.cmd("HUNT.SETWEIGHTS").arg(MAP).arg(2 * edge).arg(2 * edge + 1).arg(weight);
        transaction.add_command(path_cmd(MAP, 2 * edge, 2 * edge + 1, &[]));
        let Ok((changed, answer)) = transaction.query::<(i64, Value)>(&mut con) else {
            break; // the server is gone
        };
        assert_eq!(changed, 1, "edge {edge} had another weight than {weight}");
        let route = route(&answer).expect("the edge's own path");
        assert_eq!(route.cost, weight as u64, "the weight just set is the edge's cost");
        log.in_flight = Some(Weight { edge, weight, version: route.version });
        if !replica_acknowledged(&mut con, ack) {
            break;
        }
        log.acked.push(log.in_flight.take().expect("the change just sent"));
        acked.fetch_add(1, Ordering::Relaxed);
    }
    log
}

/// The logs of one stream of writes.
struct Stream {
    publishers: Vec<Log<Change>>,
    setters: Vec<Log<Weight>>,
}

/// Runs `PUBLISHERS` publishers and `WEIGHT_SETTERS` weight setters against `port` while
/// `fault` runs on this thread. `fault` is given the number of changes acknowledged so
/// far, and must make the writers stop (it kills the server).
fn stream_during(port: u16, round: usize, ack: Ack, fault: impl FnOnce(&AtomicUsize)) -> Stream {
    let stop = AtomicBool::new(false);
    let acked = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let publishers: Vec<_> = (0..PUBLISHERS)
            .map(|t| {
                let (stop, acked) = (&stop, &acked);
                scope.spawn(move || publisher(port, &format!("r{round}-p{t}-"), ack, usize::MAX, stop, acked))
            })
            .collect();
        let setters: Vec<_> = (0..WEIGHT_SETTERS)
            .map(|t| {
                let (stop, acked) = (&stop, &acked);
                let base = 1000 * (round as u32 + 1) * 1000;
                scope.spawn(move || weight_setter(port, t, base, ack, stop, acked))
            })
            .collect();
        fault(&acked);
        stop.store(true, Ordering::Relaxed);
        Stream {
            publishers: publishers.into_iter().map(|h| h.join().expect("a publisher panicked")).collect(),
            setters: setters.into_iter().map(|h| h.join().expect("a weight setter panicked")).collect(),
        }
    })
}

fn wait_for_acks(acked: &AtomicUsize, at_least: usize) {
    wait_until(&format!("{at_least} acknowledged writes"), Duration::from_secs(30), || {
        acked.load(Ordering::Relaxed) >= at_least
    });
}

// ---------------------------------------------------------------------------------------
// What the server holds, and what it must hold
// ---------------------------------------------------------------------------------------

/// Every change the board remembers (`HUNT.CLUES SINCE 0`: live clues and tombstones), by
/// id, and the board version.
fn board_history(con: &mut Connection) -> (u64, BTreeMap<String, Change>) {
    let reply = ok(con, &["HUNT.CLUES", BOARD, "SINCE", "0"]);
    let version = int(&field(&reply, "version")) as u64;
    let Value::Array(items) = field(&reply, "clues") else { panic!("clues is not an array: {reply:?}") };
    let mut changes = BTreeMap::new();
    let mut last = 0;
    for item in &items {
        let change = Change {
            id: text(&field(item, "id")),
            version: int(&field(item, "version")) as u64,
            payload: match field(item, "payload") {
                Value::Nil => None,
                payload => Some(text(&payload)),
            },
        };
        assert!(change.version > last && change.version <= version, "versions in order, unique: {reply:?}");
        last = change.version;
        assert_eq!(int(&field(item, "removed")) == 1, change.payload.is_none(), "{item:?}");
        changes.insert(change.id.clone(), change);
    }
    (version, changes)
}

fn map_version(con: &mut Connection) -> u64 {
    map_info(con, MAP).version as u64
}

fn weights(con: &mut Connection) -> Vec<u32> {
    (0..EDGES).map(|i| path(con, MAP, 2 * i, 2 * i + 1, &[]).expect("the edge's path").cost as u32).collect()
}

/// The board and map as a test last saw them whole, after a restart or a failover.
#[derive(Clone, Debug)]
struct Settled {
    board_version: u64,
    changes: BTreeMap<String, Change>,
    map_version: u64,
    weights: Vec<u32>,
}

fn settled(con: &mut Connection) -> Settled {
    let (board_version, changes) = board_history(con);
    Settled { board_version, changes, map_version: map_version(con), weights: weights(con) }
}

fn create_map(con: &mut Connection) {
    let edges: Vec<(u64, u64, u32)> = (0..EDGES).map(|i| (2 * i, 2 * i + 1, INITIAL_WEIGHT)).collect();
    assert_eq!(add_edges(con, MAP, None, &edges), EDGES as i64);
}

/// Checks what a server holds after a fault against what the writers were told, and
/// returns it as the new settled state:
///
/// - each key holds its last acknowledged write, or the one write in flight after it;
/// - keys the stream did not write hold what they held before;
/// - every acknowledged version is newer than the versions before the stream (no version
///   is reused across the fault), and the versions the server holds are each the version
///   of the change that the writers were told it was.
fn assert_nothing_lost(con: &mut Connection, before: &Settled, stream: &Stream) -> Settled {
    let now = settled(con);

    // The board.
    let mut told: BTreeMap<u64, &Change> = BTreeMap::new();
    for log in &stream.publishers {
        let mut last: BTreeMap<&str, &Change> = BTreeMap::new();
        for change in &log.acked {
            assert!(change.version > before.board_version, "version {} reused: {change:?}", change.version);
            assert!(told.insert(change.version, change).is_none(), "version {} given twice", change.version);
            last.insert(&change.id, change);
        }
        let in_flight = log.in_flight.as_ref();
        for (id, acked) in &last {
            let held = now.changes.get(*id).unwrap_or_else(|| panic!("acknowledged clue {id} is gone"));
            let is_in_flight =
                in_flight.is_some_and(|f| f.id == *id && f.payload == held.payload && held.version > acked.version);
            assert!(
                held == *acked || is_in_flight,
                "clue {id} is {held:?}; acknowledged {acked:?}, in flight {in_flight:?}"
            );
        }
        if let Some(f) = in_flight.filter(|f| !last.contains_key(f.id.as_str())) {
            // A first write of an id whose acknowledgement never came: there or not.
            if let Some(held) = now.changes.get(&f.id) {
                assert_eq!(held.payload, f.payload, "clue {} holds a change nobody sent", f.id);
            }
        }
    }
    for (id, held) in &now.changes {
        if let Some(change) = told.get(&held.version) {
            assert_eq!(*change, held, "version {} stands for another change", held.version);
        }
        let written = stream.publishers.iter().flat_map(|l| l.acked.iter().chain(&l.in_flight)).any(|c| &c.id == id);
        if !written {
            assert_eq!(before.changes.get(id), Some(held), "clue {id} changed though nobody wrote it");
        }
    }
    for (id, change) in &before.changes {
        assert!(now.changes.contains_key(id), "clue {id} ({change:?}) is gone");
    }
    let newest = told.keys().next_back().copied().unwrap_or(before.board_version);
    assert!(now.board_version >= newest, "board at {} but {newest} was acknowledged", now.board_version);

    // The map.
    let mut expected: Vec<Vec<u32>> = before.weights.iter().map(|w| vec![*w]).collect();
    let mut newest_map = before.map_version;
    for log in &stream.setters {
        let mut last_version = before.map_version;
        for w in &log.acked {
            assert!(w.version > last_version, "map version {} after {last_version}", w.version);
            last_version = w.version;
            expected[w.edge as usize] = vec![w.weight];
        }
        newest_map = newest_map.max(last_version);
        if let Some(w) = &log.in_flight {
            expected[w.edge as usize].push(w.weight);
        }
    }
    for (edge, (held, allowed)) in now.weights.iter().zip(&expected).enumerate() {
        assert!(allowed.contains(held), "edge {edge} weighs {held}; acknowledged or in flight: {allowed:?}");
    }
    assert!(now.map_version >= newest_map, "map at {} but {newest_map} was acknowledged", now.map_version);
    now
}

/// The next writes after a fault take versions newer than every one acknowledged before,
/// and subscribers get them. Returns the settled state after them.
fn next_writes_continue(con: &mut Connection, sub: &mut Connection, settled_now: &Settled, tag: &str) -> Settled {
    let mut pubsub = sub.as_pubsub();
    pubsub.subscribe(format!("hunt:{BOARD}")).expect("SUBSCRIBE");
    pubsub.set_read_timeout(Some(Duration::from_secs(10))).expect("read timeout");
    let id = format!("probe-{tag}");
    let version = int(&ok(con, &["HUNT.PUBLISH", BOARD, &id, "after the fault"])) as u64;
    assert_eq!(version, settled_now.board_version + 1, "the next publish takes the next version");
    let message = pubsub.get_message().expect("the probe's message");
    let message = hunt_core::message::decode(message.get_payload_bytes()).expect("a hunt message");
    assert_eq!((message.change.id, message.change.version), (id.into_bytes(), version));
    drop(pubsub);

    let mut transaction = redis::pipe();
    transaction.atomic();
    transaction.cmd("HUNT.SETWEIGHTS").arg(MAP).arg(0).arg(1).arg(settled_now.weights[0] + 1);
    transaction.add_command(path_cmd(MAP, 0, 1, &[]));
    let (changed, answer): (i64, Value) = transaction.query(con).expect("SETWEIGHTS after the fault");
    assert_eq!(changed, 1);
    let route = route(&answer).expect("the edge's path");
    assert!(route.version > settled_now.map_version, "map version {} after {}", route.version, settled_now.map_version);
    settled(con)
}

// ---------------------------------------------------------------------------------------
// kill -9 with appendfsync always
// ---------------------------------------------------------------------------------------

fn rewrite_done(con: &mut Connection) -> bool {
    info_field(con, "persistence", "aof_rewrite_in_progress") == "0"
        && info_field(con, "persistence", "aof_rewrite_scheduled") == "0"
}

/// Three rounds of writes, each ended by `kill -9` and a restart from the AOF: a plain one,
/// one killed just after `BGREWRITEAOF` started (the rewrite may be under way), and one
/// killed after a finished rewrite (the base file holds most of the data).
fn kill9_rounds(name: &str, preamble: &str) {
    let mut server =
        Server::start(name, &["--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", preamble]);
    let mut con = server.con();
    wait_until("the first AOF to exist", Duration::from_secs(10), || rewrite_done(&mut con));
    create_map(&mut con);
    let mut before = settled(&mut con);
    for round in 0..3 {
        let stream = stream_during(server.port, round, Ack::Reply, |acked| {
            wait_for_acks(acked, 1000);
            if round > 0 {
                let started = text(&ok(&mut con, &["BGREWRITEAOF"]));
                assert!(started.starts_with("Background append only file rewriting"), "{started}");
                if round == 2 {
                    wait_until("the rewrite", Duration::from_secs(20), || rewrite_done(&mut con));
                    assert_eq!(info_field(&mut con, "persistence", "aof_last_bgrewrite_status"), "ok");
                }
            }
            let at_fault = acked.load(Ordering::Relaxed);
            wait_for_acks(acked, at_fault + 200);
            server.kill9();
        });
        let acked: usize = stream.publishers.iter().map(|l| l.acked.len()).sum();
        let weights: usize = stream.setters.iter().map(|l| l.acked.len()).sum();
        assert!(acked > 0 && weights > 0, "round {round}: {acked} publishes and {weights} weights acknowledged");
        let in_flight = stream.publishers.iter().filter(|l| l.in_flight.is_some()).count();
        eprintln!("round {round}: {acked} publishes, {weights} weights acknowledged; {in_flight} in flight");
        server.restart();
        con = server.con();
        let now = assert_nothing_lost(&mut con, &before, &stream);
        before = next_writes_continue(&mut con, &mut server.con(), &now, &format!("{round}"));
    }
}

#[test]
fn kill9_with_appendfsync_always_loses_no_acknowledged_write() {
    kill9_rounds("kill9-preamble", "yes");
}

#[test]
fn kill9_with_appendfsync_always_loses_no_acknowledged_write_without_rdb_preamble() {
    kill9_rounds("kill9-plain", "no");
}
