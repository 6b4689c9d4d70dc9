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
use std::path::{Path, PathBuf};
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

/// Whether an error means that the server went away (it was killed): the writers stop
/// then. Any other error is a failure of the test.
fn server_gone(error: &redis::RedisError) -> bool {
    error.is_io_error() || error.is_connection_dropped()
}

/// The reply, or `None` once the server is gone; panics on an error reply.
fn reply_unless_gone<T: redis::FromRedisValue>(result: redis::RedisResult<T>, what: &str) -> Option<T> {
    match result {
        Ok(reply) => Some(reply),
        Err(e) if server_gone(&e) => None,
        Err(e) => panic!("{what} failed: {}", error_text(&e)),
    }
}

fn replica_acknowledged(con: &mut Connection, ack: Ack) -> bool {
    match ack {
        Ack::Reply => true,
        Ack::ReplicaWait => reply_unless_gone(redis::cmd("WAIT").arg(1).arg(0).query::<i64>(con), "WAIT 1 0")
            .is_some_and(|replicas| replicas >= 1),
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
        let Some(version) = reply_unless_gone(command.query::<u64>(&mut con), &command_words(&command).join(" "))
        else {
            break;
        };
        assert!(version > 0, "{:?} replied 0", command_words(&command));
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
        let Some((changed, answer)) = reply_unless_gone(transaction.query::<(i64, Value)>(&mut con), "SETWEIGHTS")
        else {
            break;
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

/// The board version and every change after `since` that the board remembers, in version
/// order (`HUNT.CLUES SINCE`: live clues and tombstones).
fn board_changes(con: &mut Connection, since: u64) -> (u64, Vec<Change>) {
    let reply = ok(con, &["HUNT.CLUES", BOARD, "SINCE", &since.to_string()]);
    let version = int(&field(&reply, "version")) as u64;
    let Value::Array(items) = field(&reply, "clues") else { panic!("clues is not an array: {reply:?}") };
    let mut changes = Vec::new();
    let mut last = since;
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
        changes.push(change);
    }
    (version, changes)
}

/// The whole history the board keeps (`SINCE 0`), by id, and the board version.
fn board_history(con: &mut Connection) -> (u64, BTreeMap<String, Change>) {
    let (version, changes) = board_changes(con, 0);
    (version, changes.into_iter().map(|c| (c.id.clone(), c)).collect())
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

// ---------------------------------------------------------------------------------------
// Failover: kill -9 of the primary, REPLICAOF NO ONE on the replica
// ---------------------------------------------------------------------------------------

/// A subscriber's copy of the board, built only from its messages and `HUNT.CLUES SINCE`,
/// as the README tells clients to: apply what is newer than the last version applied.
#[derive(Debug, Default)]
struct Follower {
    version: u64,
    changes: BTreeMap<String, Change>,
    /// Messages applied before the failover, and after it.
    messages: [usize; 2],
}

impl Follower {
    fn apply(&mut self, change: Change) -> bool {
        if change.version <= self.version {
            return false;
        }
        self.version = change.version;
        self.changes.insert(change.id.clone(), change);
        true
    }

    fn catch_up(&mut self, con: &mut Connection) {
        let (_, changes) = board_changes(con, self.version);
        for change in changes {
            self.apply(change);
        }
    }

    fn apply_message(&mut self, message: &redis::Msg, phase: usize) {
        let message = hunt_core::message::decode(message.get_payload_bytes()).expect("a hunt message");
        assert_eq!(message.key, BOARD.as_bytes());
        let change = Change {
            id: String::from_utf8(message.change.id).expect("an ASCII id"),
            version: message.change.version,
            payload: message.change.clue.map(|c| String::from_utf8(c.payload).expect("an ASCII payload")),
        };
        if self.apply(change) {
            self.messages[phase] += 1;
        }
    }

    /// Subscribes (a new connection), catches up with `HUNT.CLUES SINCE`, then applies
    /// messages until `until` says to stop.
    fn follow(&mut self, port: u16, phase: usize, mut until: impl FnMut(&Follower) -> bool) {
        let mut subscriber = connect(port);
        let mut pubsub = subscriber.as_pubsub();
        pubsub.subscribe(format!("hunt:{BOARD}")).expect("SUBSCRIBE");
        pubsub.set_read_timeout(Some(Duration::from_millis(50))).expect("read timeout");
        self.catch_up(&mut connect(port));
        while !until(self) {
            match pubsub.get_message() {
                Ok(message) => self.apply_message(&message, phase),
                Err(e) if e.is_timeout() => {}
                Err(e) => panic!("the subscription on port {port} failed: {e}"),
            }
        }
    }
}

/// Subscribed to the replica before the failover; after it, re-subscribes and catches up,
/// and follows until it has seen board version `target` (set once the writes are over).
fn follower(port: u16, failed_over: &AtomicBool, target: &AtomicU64) -> Follower {
    let mut follower = Follower::default();
    follower.follow(port, 0, |_| failed_over.load(Ordering::Relaxed));
    let deadline = Instant::now() + Duration::from_secs(30);
    follower.follow(port, 1, |f| {
        let target = target.load(Ordering::Relaxed);
        assert!(Instant::now() < deadline, "follower at version {} of {target}", f.version);
        target != 0 && f.version >= target
    });
    follower
}

#[test]
fn failover_to_the_promoted_replica_keeps_every_write_acknowledged_by_wait() {
    // No 5 s wait for more replicas before the full sync (Redis 7.0's default).
    let mut primary = Server::start("failover-primary", &["--repl-diskless-sync-delay", "0"]);
    let replica = Server::start("failover-replica", &["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let mut rcon = replica.con();
    wait_until("the replica's link", Duration::from_secs(10), || {
        info_field(&mut rcon, "replication", "master_link_status") == "up"
    });
    let mut con = primary.con();
    create_map(&mut con);
    assert_eq!(ok(&mut con, &["WAIT", "1", "0"]), Value::Int(1));
    let before = settled(&mut rcon);
    drop(con);

    let failed_over = AtomicBool::new(false);
    let target = AtomicU64::new(0);
    let followers = std::thread::scope(|scope| {
        let followers: Vec<_> = (0..2).map(|_| scope.spawn(|| follower(replica.port, &failed_over, &target))).collect();
        let stream = stream_during(primary.port, 0, Ack::ReplicaWait, |acked| {
            wait_for_acks(acked, 300);
            primary.kill9();
        });
        let acked: usize = stream.publishers.iter().map(|l| l.acked.len()).sum();
        let weights: usize = stream.setters.iter().map(|l| l.acked.len()).sum();
        eprintln!("failover: {acked} publishes and {weights} weights acknowledged by WAIT 1 0");
        assert!(acked > 0 && weights > 0);

        assert_eq!(text(&ok(&mut rcon, &["REPLICAOF", "NO", "ONE"])), "OK");
        assert_eq!(info_field(&mut rcon, "replication", "role"), "master");
        let promoted = assert_nothing_lost(&mut rcon, &before, &stream);
        let probed = next_writes_continue(&mut rcon, &mut replica.con(), &promoted, "failover");
        failed_over.store(true, Ordering::Relaxed);

        // The game goes on against the new primary; the followers catch up and follow.
        let never = AtomicBool::new(false);
        let count = AtomicUsize::new(0);
        let later: Vec<Log<Change>> = std::thread::scope(|inner| {
            let writers: Vec<_> = (0..PUBLISHERS)
                .map(|t| {
                    let (never, count) = (&never, &count);
                    inner.spawn(move || publisher(replica.port, &format!("after-p{t}-"), Ack::Reply, 100, never, count))
                })
                .collect();
            writers.into_iter().map(|w| w.join().expect("a publisher panicked")).collect()
        });
        for log in &later {
            assert_eq!(log.acked.len(), 100, "{:?}", log.in_flight);
            let versions: Vec<u64> = log.acked.iter().map(|c| c.version).collect();
            assert!(versions[0] > probed.board_version, "{} after {}", versions[0], probed.board_version);
            assert!(versions.windows(2).all(|w| w[0] < w[1]), "versions go up: {versions:?}");
        }
        let (version, _) = board_history(&mut rcon);
        assert_eq!(version, probed.board_version + 3 * 100);
        target.store(version, Ordering::Relaxed);
        followers.into_iter().map(|f| f.join().expect("a follower panicked")).collect::<Vec<_>>()
    });

    let (version, changes) = board_history(&mut rcon);
    for follower in followers {
        eprintln!("follower: {:?} messages before and after the failover", follower.messages);
        assert!(follower.messages[0] > 0, "the follower got messages before the failover");
        assert_eq!(follower.version, version);
        assert_eq!(follower.changes, changes, "the follower ends with the new primary's board");
    }
}

// ---------------------------------------------------------------------------------------
// Servers that cannot read our RDB
// ---------------------------------------------------------------------------------------

/// How a server given an RDB file ended.
#[derive(Debug)]
enum Outcome {
    /// It exited (by itself, not by a signal: a crash would be a signal) without serving.
    Refused(String),
    /// It loaded the file and became ready (then the test stopped it).
    Started(String),
}

/// Runs `redis-server` (with the module or without) on a directory holding `dump.rdb`, with
/// no TCP port (a Unix socket only), until it exits or says it is ready; its log. A replica
/// (`replica_of` a port) says it is ready before its first sync: only its exit counts.
fn run_on_rdb(dir: &Path, with_module: bool, replica_of: Option<u16>) -> Outcome {
    let log_path = dir.join("redis.log");
    let mut command = Command::new(redis_server_binary());
    command.args(["--port", "0", "--unixsocket"]).arg(dir.join("redis.sock"));
    command.args(["--save", "", "--dir"]).arg(dir).arg("--logfile").arg(&log_path);
    if with_module {
        command.arg("--loadmodule").arg(module_path());
    }
    let stdout = std::fs::File::create(dir.join("stdout.log")).expect("stdout.log");
    if let Some(port) = replica_of {
        command.args(["--replicaof", "127.0.0.1", &port.to_string()]);
    }
    command.stdin(Stdio::null()).stdout(stdout).stderr(Stdio::null());
    let mut child = command.spawn().expect("run redis-server");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(status) = child.try_wait().expect("the server's status") {
            assert_no_crash(status, &log);
            return Outcome::Refused(log);
        }
        // "Ready to accept connections" (TCP) or "... is now ready to accept connections at <socket>".
        if replica_of.is_none() && log.to_lowercase().contains("ready to accept connections") {
            let _ = child.kill();
            let _ = child.wait();
            return Outcome::Started(log);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("redis-server neither started nor exited within 10 s:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_no_crash(status: ExitStatus, log: &str) {
    assert!(status.code().is_some(), "redis-server died by a signal ({status}):\n{log}");
    for mark in ["crashed by signal", "BUG REPORT", "Guru Meditation", "internal error in hunt"] {
        assert!(!log.contains(mark), "the log reports a crash ({mark}):\n{log}");
    }
}

fn refused(outcome: Outcome) -> String {
    match outcome {
        Outcome::Refused(log) => log,
        Outcome::Started(log) => panic!("the server loaded the file:\n{log}"),
    }
}

/// An RDB with a map (`city`) and a board (`game`, live clues and a tombstone), saved
/// uncompressed so that the payloads can be found and patched.
fn saved_rdb() -> Vec<u8> {
    let mut server = Server::start("rdb-source", &["--rdbcompression", "no"]);
    let mut con = server.con();
    create_map(&mut con);
    for (id, payload) in [("c1", "by the fountain"), ("c2", "under the bridge"), ("c3", "gone soon")] {
        ok(&mut con, &["HUNT.PUBLISH", BOARD, id, payload, "AT", "3"]);
    }
    ok(&mut con, &["HUNT.UNPUBLISH", BOARD, "c3"]);
    assert_eq!(text(&ok(&mut con, &["SAVE"])), "OK");
    server.stop();
    std::fs::read(server.dir.join("dump.rdb")).expect("dump.rdb")
}

/// An empty directory for one case (removed by the test when the case passes).
fn fresh_dir(case: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("hunt-faults-{case}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the directory");
    dir
}

/// A fresh directory holding `rdb` as `dump.rdb`, with its trailing CRC64 zeroed (Redis
/// skips the check for a zero checksum), so patched bytes get as far as the module.
fn rdb_dir(case: &str, rdb: &[u8]) -> PathBuf {
    let dir = fresh_dir(case);
    let mut rdb = rdb.to_vec();
    let crc = rdb.len() - 8;
    rdb[crc..].fill(0);
    std::fs::write(dir.join("dump.rdb"), rdb).expect("write dump.rdb");
    dir
}

/// The 64-bit id an RDB stores before a module value: the type's 9-character name in 6 bits
/// a character, then the 10-bit encoding version.
fn module_type_id(name: &str, encver: u64) -> u64 {
    const CHARSET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let name_bits = name
        .bytes()
        .fold(0u64, |id, c| id << 6 | CHARSET.iter().position(|&x| x == c).expect("a type name character") as u64);
    name_bits << 10 | encver
}

/// Where `needle` is in `haystack`, checked to be there exactly once.
fn find_once(haystack: &[u8], needle: &[u8]) -> usize {
    let hits: Vec<usize> =
        haystack.windows(needle.len()).enumerate().filter(|(_, w)| *w == needle).map(|(i, _)| i).collect();
    assert_eq!(hits.len(), 1, "{needle:?} should be in the RDB once");
    hits[0]
}

/// `rdb` with the encoding version of the value of type `name` changed to `encver`.
fn with_encver(rdb: &[u8], name: &str, encver: u64) -> Vec<u8> {
    // A 64-bit length in an RDB is the byte 0x81 and 8 bytes big-endian.
    let ours = [&[0x81][..], &module_type_id(name, 1).to_be_bytes()].concat();
    let at = find_once(rdb, &ours);
    let mut patched = rdb.to_vec();
    patched[at + 1..at + 9].copy_from_slice(&module_type_id(name, encver).to_be_bytes());
    patched
}

/// The length of the payload that starts at `at`: a module string in an RDB is the opcode 5,
/// then its length (here 6 or 14 bits: one byte `00xxxxxx` or two `01xxxxxx xxxxxxxx`).
fn payload_len(rdb: &[u8], at: usize) -> usize {
    if rdb[at - 3] == 5 && rdb[at - 2] & 0xc0 == 0x40 {
        (usize::from(rdb[at - 2] & 0x3f) << 8) | usize::from(rdb[at - 1])
    } else {
        assert!(rdb[at - 2] == 5 && rdb[at - 1] & 0xc0 == 0, "a short module string before {at}");
        usize::from(rdb[at - 1])
    }
}

fn remove(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_server_or_replica_without_the_module_refuses_our_rdb_naming_the_module_type() {
    let rdb = saved_rdb();
    let no_type = |log: &str| {
        ["hunt-map1", "hunt-brd1"].into_iter().any(|name| {
            log.contains(&format!("The RDB file contains module data I can't load: no matching module type '{name}'"))
        })
    };
    let dir = rdb_dir("no-module", &rdb);
    let log = refused(run_on_rdb(&dir, false, None));
    assert!(no_type(&log), "{log}");
    remove(&dir);

    // A replica without the module gets the same file by full sync, and stops the same way.
    let primary = Server::start("no-module-primary", &["--repl-diskless-sync-delay", "0"]);
    let mut con = primary.con();
    create_map(&mut con);
    ok(&mut con, &["HUNT.PUBLISH", BOARD, "c1", "by the fountain"]);
    let dir = fresh_dir("no-module-replica");
    let log = refused(run_on_rdb(&dir, false, Some(primary.port)));
    // Redis says MASTER, Valkey PRIMARY.
    assert!(["MASTER", "PRIMARY"].iter().any(|p| log.contains(&format!("{p} <-> REPLICA sync"))), "{log}");
    assert!(no_type(&log), "{log}");
    remove(&dir);
}

#[test]
fn another_encoding_version_is_refused_with_a_log_line_naming_the_key_and_versions() {
    let rdb = saved_rdb();

    // The patching itself is sound: with only the checksum zeroed, the file loads.
    let dir = rdb_dir("zero-crc", &rdb);
    match run_on_rdb(&dir, true, None) {
        Outcome::Started(log) => {
            assert!(log.contains("RDB file was saved with checksum disabled: no check performed."))
        }
        Outcome::Refused(log) => panic!("the unpatched file was refused:\n{log}"),
    }
    remove(&dir);

    for (name, kind, key, encver) in [("hunt-brd1", "board", BOARD, 2), ("hunt-map1", "map", MAP, 1023)] {
        let dir = rdb_dir(&format!("encver-{encver}"), &with_encver(&rdb, name, encver));
        let log = refused(run_on_rdb(&dir, true, None));
        let line = format!(
            "hunt: cannot load {kind} '{key}': its encoding version {encver} is not one this hunt reads (1); upgrade hunt"
        );
        assert!(log.contains(&line), "no line {line:?} in:\n{log}");
        remove(&dir);
    }
}

#[test]
fn a_corrupted_payload_is_refused_with_a_log_line_naming_the_key_never_a_crash() {
    let rdb = saved_rdb();
    let board_at = find_once(&rdb, b"HUNTBRD\0");
    let map_at = find_once(&rdb, b"HUNTMAP\0");

    // Forged fields, with the exact line each gives.
    let board_count = board_at + 8 + 4 + 8;
    let map_format = map_at + 8;
    let cases: [(&str, usize, &[u8], String); 3] = [
        (
            "board-count",
            board_count,
            &[0xff; 8],
            format!("hunt: cannot load board '{BOARD}': corrupt payload: truncated"),
        ),
        (
            "board-magic",
            board_at,
            b"X",
            format!("hunt: cannot load board '{BOARD}': corrupt payload: not a hunt board"),
        ),
        (
            "map-format",
            map_format,
            &9u32.to_le_bytes(),
            format!("hunt: cannot load map '{MAP}': corrupt payload: unknown map format 9 (this hunt reads 1 to 2)"),
        ),
    ];
    for (case, at, bytes, line) in cases {
        let mut patched = rdb.clone();
        patched[at..at + bytes.len()].copy_from_slice(bytes);
        let dir = rdb_dir(case, &patched);
        let log = refused(run_on_rdb(&dir, true, None));
        assert!(log.contains(&line), "{case}: no line {line:?} in:\n{log}");
        remove(&dir);
    }

    // Bit flips all over both payloads: each file loads (the flip hit a payload byte or a
    // weight) or is refused with a line naming the key; the server never crashes.
    let (mut loaded, mut refusals) = (0, 0);
    for (kind, key, start) in [("board", BOARD, board_at), ("map", MAP, map_at)] {
        let len = payload_len(&rdb, start);
        for k in 0..12 {
            let at = start + k * len / 12;
            let mut patched = rdb.clone();
            patched[at] ^= 1 << (k % 8);
            let dir = rdb_dir(&format!("flip-{kind}-{k}"), &patched);
            match run_on_rdb(&dir, true, None) {
                Outcome::Started(_) => loaded += 1,
                Outcome::Refused(log) => {
                    let line = format!("hunt: cannot load {kind} '{key}': corrupt payload: ");
                    assert!(log.contains(&line), "flip at {at}: no line {line:?} in:\n{log}");
                    refusals += 1;
                }
            }
            remove(&dir);
        }
    }
    eprintln!("bit flips: {loaded} files loaded, {refusals} refused");
    assert!(refusals > 0, "some flips hit a checked field");
}
