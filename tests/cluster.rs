//! Redis Cluster: a real cluster of three primaries and three replicas on 127.0.0.1 (six
//! `redis-server` processes with the module, joined by `redis-cli --cluster create`), driven
//! through redis-rs's cluster client, which routes each command by its declared key:
//!
//! - every HUNT command on maps and boards under different hash tags, so on different shards;
//!   `HUNT.PATHTOCLUE` with both keys under one tag, and `CROSSSLOT` across tags;
//! - a live migration of a map's slot to another primary (`CLUSTER SETSLOT`, `MIGRATE`) while
//!   a thread keeps asking the way and publishing in that slot: ASK and MOVED are followed,
//!   no answer is wrong, the map arrives whole (same digest, same `HUNT.MAPINFO`); then
//!   `redis-cli --cluster reshard` moves that slot back, under the same load;
//! - a failover of the primary holding a board: clues and version intact, the next publish
//!   takes the next version, subscribers on every node get the messages;
//! - reads on a replica after `READONLY`.
//!
//! One test, as the cluster takes seconds to build; the phases run one after the other on it.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use common::oracle::{Graph, XorShift, read_dimacs};
use common::*;
use hunt_core::codec::encode_map;
use hunt_core::{EdgeSpec, Map};
use redis::Value;
use redis::cluster::{ClusterClient, ClusterConnection};

/// Joining, migrating and failing over take a few seconds; on 2 busy cores allow many more.
const CONVERGE: Duration = Duration::from_secs(30);

const ROME_MAP: &str = "hunt:{rome}:map";
const ROME_BOARD: &str = "hunt:{rome}:board";
const NYC_MAP: &str = "hunt:{nyc}:map";
const NYC_BOARD: &str = "hunt:{nyc}:board";
const BERLIN_MAP: &str = "hunt:{berlin}:map";
const BERLIN_BOARD: &str = "hunt:{berlin}:board";

fn redis_cli_binary() -> PathBuf {
    std::env::var_os("REDIS_CLI").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/redis-cli"))
}

/// Runs `redis-cli` with `args`, killed if it takes longer than `limit`; its output.
/// The output goes to a file (a pipe could fill up while we poll).
fn redis_cli(dir: &std::path::Path, args: &[String], limit: Duration) -> String {
    let out_path = dir.join("redis-cli.out");
    let out = std::fs::File::create(&out_path).expect("create redis-cli.out");
    let mut child = Command::new(redis_cli_binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("clone the output file"))
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", redis_cli_binary().display()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for redis-cli") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "redis-cli {args:?} took over {limit:?}:\n{}",
                std::fs::read_to_string(&out_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = std::fs::read_to_string(&out_path).unwrap_or_default();
    assert!(status.success(), "redis-cli {args:?} failed ({status}):\n{output}");
    output
}

/// One line of `CLUSTER NODES`, as one node sees the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NodeView {
    id: String,
    port: u16,
    primary: bool,
    primary_id: Option<String>,
    /// Slot ranges owned (inclusive); importing/migrating marks are left out.
    slots: Vec<(u16, u16)>,
}

fn cluster_nodes(con: &mut redis::Connection) -> Vec<NodeView> {
    let listing = text(&ok(con, &["CLUSTER", "NODES"]));
    let mut nodes: Vec<NodeView> = listing
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // <id> <ip:port@cport[,hostname]> <flags> <primary> <ping> <pong> <epoch> <link> <slot>...
            let port = f[1].split('@').next().and_then(|a| a.rsplit(':').next()).and_then(|p| p.parse().ok());
            let slots = f[8..]
                .iter()
                .filter(|s| !s.starts_with('['))
                .map(|s| match s.split_once('-') {
                    Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
                    None => (s.parse().unwrap(), s.parse().unwrap()),
                })
                .collect();
            NodeView {
                id: f[0].to_string(),
                port: port.unwrap_or_else(|| panic!("no port in {line}")),
                primary: f[2].split(',').any(|flag| flag == "master"),
                primary_id: (f[3] != "-").then(|| f[3].to_string()),
                slots,
            }
        })
        .collect();
    nodes.sort_by_key(|n| n.port);
    nodes
}

/// Six servers joined into one cluster; dropping it kills them all (also on a panic).
struct Cluster {
    servers: Vec<Server>,
}

impl Cluster {
    fn start() -> Cluster {
        let servers: Vec<Server> = (0..6)
            .map(|i| {
                // The bus port defaults to port + 10000, which a high ephemeral port overflows.
                let bus = free_port().to_string();
                Server::start(
                    &format!("cluster{i}"),
                    &[
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-port",
                        &bus,
                        "--repl-diskless-sync-delay",
                        "0",
                    ],
                )
            })
            .collect();
        let cluster = Cluster { servers };
        let mut args = vec!["--cluster".to_string(), "create".to_string()];
        args.extend(cluster.servers.iter().map(|s| format!("127.0.0.1:{}", s.port)));
        args.extend(["--cluster-replicas", "1", "--cluster-yes"].map(String::from));
        let output = redis_cli(&cluster.servers[0].dir, &args, Duration::from_secs(60));
        assert!(output.contains("[OK] All 16384 slots covered"), "{output}");
        cluster.wait_converged("the cluster to form");
        cluster
    }

    fn server(&self, port: u16) -> &Server {
        self.servers.iter().find(|s| s.port == port).unwrap_or_else(|| panic!("no server on port {port}"))
    }

    fn con(&self, port: u16) -> redis::Connection {
        self.server(port).con()
    }

    /// A cluster client that knows every node, with generous timeouts and retries.
    fn client(&self) -> ClusterConnection {
        let nodes: Vec<String> = self.servers.iter().map(|s| format!("redis://127.0.0.1:{}/", s.port)).collect();
        let client = ClusterClient::builder(nodes)
            .retries(30)
            .min_retry_wait(20)
            .max_retry_wait(500)
            .connection_timeout(Duration::from_secs(5))
            .response_timeout(Duration::from_secs(30))
            .build()
            .expect("a cluster client");
        client.get_connection().expect("a cluster connection")
    }

    /// The cluster as node `port` sees it.
    fn view(&self, port: u16) -> Vec<NodeView> {
        cluster_nodes(&mut self.con(port))
    }

    /// Waits until every node says `cluster_state:ok`, all see the same primaries, replicas
    /// and slots, and every replica's link to its primary is up.
    fn wait_converged(&self, what: &str) {
        let deadline = Instant::now() + CONVERGE;
        loop {
            let Err(why) = self.converged() else { return };
            assert!(Instant::now() < deadline, "timed out waiting for {what}: {why}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `Ok` when the cluster has converged, else what is not there yet.
    fn converged(&self) -> Result<(), String> {
        let mut views = Vec::new();
        for server in &self.servers {
            let mut con = server.con();
            let cluster_info = text(&ok(&mut con, &["CLUSTER", "INFO"]));
            let state = cluster_info.lines().find_map(|line| line.strip_prefix("cluster_state:")).map(str::trim);
            if state != Some("ok") {
                return Err(format!("port {}: cluster_state {state:?}", server.port));
            }
            let view = cluster_nodes(&mut con);
            let replica = view.iter().find(|n| n.port == server.port).is_some_and(|n| !n.primary);
            let link = find_info_field(&mut con, "replication", "master_link_status");
            if replica && link.as_deref() != Some("up") {
                return Err(format!("port {}: master_link_status {link:?}", server.port));
            }
            if view.len() != 6 || views.first().is_some_and(|first| *first != view) {
                return Err(format!(
                    "port {} sees {view:?}, port {} sees {:?}",
                    server.port,
                    self.servers[0].port,
                    views.first()
                ));
            }
            views.push(view);
        }
        Ok(())
    }

    fn primaries(&self) -> Vec<NodeView> {
        self.view(self.servers[0].port).into_iter().filter(|n| n.primary).collect()
    }

    /// The primary that owns `slot`, as the first node sees it.
    fn owner(&self, slot: u16) -> NodeView {
        self.primaries()
            .into_iter()
            .find(|n| n.slots.iter().any(|&(a, b)| a <= slot && slot <= b))
            .unwrap_or_else(|| panic!("no primary owns slot {slot}"))
    }

    fn replica_of(&self, primary: &NodeView) -> NodeView {
        self.view(primary.port)
            .into_iter()
            .find(|n| n.primary_id.as_deref() == Some(primary.id.as_str()))
            .unwrap_or_else(|| panic!("no replica of {primary:?}"))
    }

    fn slot_of(&self, key: &str) -> u16 {
        int(&ok(&mut self.con(self.servers[0].port), &["CLUSTER", "KEYSLOT", key])) as u16
    }
}

/// How often a command ran on a server (`INFO commandstats`), 0 if never.
fn calls(con: &mut redis::Connection, command: &str) -> u64 {
    find_info_field(con, "commandstats", &format!("cmdstat_{command}"))
        .and_then(|stat| stat.split(',').find_map(|kv| kv.strip_prefix("calls=")).map(|n| n.parse().unwrap()))
        .unwrap_or(0)
}

fn digest(con: &mut redis::Connection, key: &str) -> String {
    match ok(con, &["DEBUG", "DIGEST-VALUE", key]) {
        Value::Array(items) => text(&items[0]),
        other => panic!("DEBUG DIGEST-VALUE replied {other:?}"),
    }
}

fn exists(con: &mut redis::Connection, key: &str) -> bool {
    // EXISTS on a node that does not own the slot would redirect: ask for keys of the slot.
    let slot = int(&ok(con, &["CLUSTER", "KEYSLOT", key]));
    match ok(con, &["CLUSTER", "GETKEYSINSLOT", &slot.to_string(), "1000"]) {
        Value::Array(keys) => keys.iter().any(|k| text(k) == key),
        other => panic!("CLUSTER GETKEYSINSLOT replied {other:?}"),
    }
}

#[test]
fn hunt_scales_out_on_redis_cluster() {
    let started = Instant::now();
    let cluster = Cluster::start();
    eprintln!("cluster of 6 formed in {:?}", started.elapsed());
    let mut cc = cluster.client();

    // The three tags hash to slots of the three shards (redis-cli splits the slots evenly).
    let shards: Vec<u16> =
        [NYC_MAP, ROME_MAP, BERLIN_MAP].iter().map(|k| cluster.owner(cluster.slot_of(k)).port).collect();
    assert!(shards[0] != shards[1] && shards[1] != shards[2] && shards[0] != shards[2], "tags on {shards:?}");

    let rome = every_command_through_the_cluster_client(&cluster, &mut cc);
    eprintln!("every command done at {:?}", started.elapsed());
    live_migration_of_a_map_slot(&cluster, &rome);
    eprintln!("migration done at {:?}", started.elapsed());
    reads_on_a_replica_after_readonly(&cluster, &rome);
    failover_of_a_primary_holding_a_board(&cluster, &mut cc);
    eprintln!("failover done at {:?}", started.elapsed());
    assert!(cluster.servers.iter().all(|s| s.log().find("crashed by signal").is_none()));
}

/// The Rome map and the questions asked on it, with the oracle's answers.
struct Rome {
    pairs: Vec<(u64, u64, u64)>,
}

fn every_command_through_the_cluster_client(cluster: &Cluster, cc: &mut ClusterConnection) -> Rome {
    // A small map under {nyc}: the README's example city.
    assert_eq!(
        int(&ok(cc, &["HUNT.ADDEDGES", NYC_MAP, "1", "2", "10", "2", "3", "15", "1", "3", "40", "3", "1", "20"])),
        4
    );
    assert_eq!(int(&ok(cc, &["HUNT.ADDEDGES", NYC_MAP, "CLASS", "2", "1", "3", "30"])), 0);
    assert_eq!(int(&ok(cc, &["HUNT.SETWEIGHTS", NYC_MAP, "1", "3", "12"])), 1);
    assert_eq!(int(&ok(cc, &["HUNT.CLOSE", NYC_MAP, "1", "3"])), 1);
    let closed = route(&ok(cc, &["HUNT.PATH", NYC_MAP, "1", "3"])).unwrap();
    assert_eq!((closed.cost, closed.path), (25, vec![1, 2, 3]));
    assert_eq!(int(&ok(cc, &["HUNT.OPEN", NYC_MAP, "1", "3"])), 1);
    let coordinates = ["1", "-73.98", "40.75", "2", "-73.97", "40.76", "3", "-73.96", "40.77"];
    assert_eq!(int(&ok(cc, &[&["HUNT.NODES", NYC_MAP][..], &coordinates].concat())), 3);
    assert_eq!(int(&ok(cc, &["HUNT.LANDMARKS", NYC_MAP, "2"])), 2);
    let open = route(&ok(cc, &["HUNT.PATH", NYC_MAP, "1", "3"])).unwrap();
    assert_eq!((open.cost, open.path), (12, vec![1, 3]));
    let reach = ok(cc, &["HUNT.REACH", NYC_MAP, "1", "30", "LIMIT", "2"]);
    assert_eq!(
        field(&reach, "nodes"),
        Value::Array(vec![
            Value::Array(vec![Value::Int(1), Value::Int(0)]),
            Value::Array(vec![Value::Int(2), Value::Int(10)])
        ])
    );
    let matrix = ok(cc, &["HUNT.MATRIX", NYC_MAP, "FROM", "1", "1", "TO", "2", "2", "3"]);
    assert_eq!(field(&matrix, "costs"), Value::Array(vec![Value::Array(vec![Value::Int(10), Value::Int(12)])]));
    let info = map_info_of(&ok(cc, &["HUNT.MAPINFO", NYC_MAP]));
    assert_eq!((info.nodes, info.edges, info.closed), (3, 4, 0));
    match ok(cc, &["HUNT.SCAN", NYC_MAP, "0", "COUNT", "100"]) {
        Value::Array(page) => {
            assert_eq!(text(&page[0]), "0");
            assert!(matches!(&page[1], Value::Array(nodes) if nodes.len() == 3), "{page:?}");
        }
        other => panic!("HUNT.SCAN replied {other:?}"),
    }

    // Its board, under the same tag: PATHTOCLUE reads both in one command on one shard.
    assert_eq!(int(&ok(cc, &["HUNT.PUBLISH", NYC_BOARD, "c1", "by the fountain", "AT", "3"])), 1);
    assert_eq!(int(&ok(cc, &["HUNT.PUBLISH", NYC_BOARD, "c2", "gone soon"])), 2);
    assert_eq!(int(&ok(cc, &["HUNT.UNPUBLISH", NYC_BOARD, "c2", "IFVERSION", "2"])), 3);
    let to_clue = ok(cc, &["HUNT.PATHTOCLUE", NYC_MAP, NYC_BOARD, "1", "c1"]);
    assert_eq!(int(&field(&to_clue, "cost")), 12);
    assert_eq!(int(&field(&field(&to_clue, "clue"), "version")), 1);
    assert_eq!(text(&field(&ok(cc, &["HUNT.CLUE", NYC_BOARD, "c1"]), "payload")), "by the fountain");
    assert_eq!(int(&field(&ok(cc, &["HUNT.CLUES", NYC_BOARD, "SINCE", "1"]), "version")), 3);
    let board = ok(cc, &["HUNT.BOARDINFO", NYC_BOARD]);
    assert_eq!((int(&field(&board, "clues")), int(&field(&board, "removed"))), (1, 1));
    let stale = err(cc, &["HUNT.PUBLISH", NYC_BOARD, "c1", "late", "IFVERSION", "7"]);
    assert_eq!(stale, "STALE clue c1 is at version 1");

    // A map and a board under different tags are in different slots: the server refuses.
    let cross = err(cc, &["HUNT.PATHTOCLUE", NYC_MAP, ROME_BOARD, "1", "c1"]);
    assert!(cross.starts_with("CROSSSLOT"), "{cross}");

    // The internal commands route like the others (a third shard: {berlin}).
    let mut small = Map::new();
    let edges = [(10, 20, 1), (20, 30, 2), (10, 30, 5)].map(|(from, to, weight)| EdgeSpec { from, to, weight });
    small.add_edges(&edges, 0, usize::MAX).unwrap();
    let restore = call(cc, redis::cmd("HUNT.RESTORE").arg(BERLIN_MAP).arg(encode_map(&small))).expect("HUNT.RESTORE");
    assert_eq!(text(&restore), "OK");
    assert_eq!(route(&ok(cc, &["HUNT.PATH", BERLIN_MAP, "10", "30"])).unwrap().cost, 3);
    assert_eq!(int(&ok(cc, &["HUNT.REPLAY", BERLIN_BOARD, "PUBLISH", "c9", "5", "-", "replayed"])), 5);
    assert_eq!(int(&field(&ok(cc, &["HUNT.BOARDINFO", BERLIN_BOARD]), "version")), 5);

    // The Rome map, loaded through the cluster client in one call, checked against the oracle.
    let rome_edges = hunt_load::read_edges(&rome_path()).expect("read the Rome map");
    let triples: Vec<(u64, u64, u32)> = rome_edges.iter().map(|e| (e.from, e.to, e.weight)).collect();
    let added = call(cc, &add_edges_cmd(ROME_MAP, None, &triples)).expect("load Rome");
    assert_eq!(int(&added) as usize, rome_edges.len());
    assert_eq!(int(&ok(cc, &["HUNT.LANDMARKS", ROME_MAP, "4"])), 4);
    let graph = Graph::new(&read_dimacs(&rome_path()));
    let nodes = map_info_of(&ok(cc, &["HUNT.MAPINFO", ROME_MAP])).nodes as u64;
    let mut rng = XorShift(0x5eed_c105);
    let mut pairs = Vec::new();
    while pairs.len() < 24 {
        let (from, to) = (1 + rng.below(nodes), 1 + rng.below(nodes));
        if let Some(cost) = graph.cost(from, to) {
            let got = route(&ok(cc, &["HUNT.PATH", ROME_MAP, &from.to_string(), &to.to_string()])).unwrap();
            graph.check_route(from, to, &got, cost);
            pairs.push((from, to, cost));
        }
    }

    // Each key lives on the primary that owns its slot, and only there.
    for key in [NYC_MAP, NYC_BOARD, ROME_MAP, BERLIN_MAP, BERLIN_BOARD] {
        let owner = cluster.owner(cluster.slot_of(key));
        for primary in cluster.primaries() {
            assert_eq!(
                exists(&mut cluster.con(primary.port), key),
                primary.port == owner.port,
                "{key} on {}",
                primary.port
            );
        }
    }
    Rome { pairs }
}

/// What the querying thread saw while the slot moved.
struct QueryLog {
    queries: u64,
    publishes: u64,
    last_version: i64,
    failures: Vec<String>,
}

/// Asks HUNT.PATH on the Rome map and publishes on the Rome board (same slot) until told to
/// stop, through its own cluster client; every answer is checked.
fn query_while_moving(
    cluster: &Cluster,
    pairs: Vec<(u64, u64, u64)>,
    board_version: i64,
    stop: Arc<AtomicBool>,
    progress: Arc<AtomicU64>,
) -> std::thread::JoinHandle<QueryLog> {
    let mut cc = cluster.client();
    std::thread::spawn(move || {
        let mut log = QueryLog { queries: 0, publishes: 0, last_version: board_version, failures: Vec::new() };
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut i = 0;
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline && log.failures.len() < 5 {
            let (from, to, cost) = pairs[i % pairs.len()];
            i += 1;
            match call(&mut cc, &path_cmd(ROME_MAP, from, to, &[])) {
                Ok(reply) => match route(&reply) {
                    Some(r) if r.cost == cost && r.path.first() == Some(&from) && r.path.last() == Some(&to) => {}
                    other => log.failures.push(format!("HUNT.PATH {from} {to}: {other:?}, want cost {cost}")),
                },
                Err(e) => log.failures.push(format!("HUNT.PATH {from} {to}: {e}")),
            }
            log.queries += 1;
            if i % 4 == 0 {
                let payload = format!("walker at {from}");
                match call(&mut cc, &cmd(&["HUNT.PUBLISH", ROME_BOARD, "walker", &payload, "AT", &from.to_string()])) {
                    Ok(Value::Int(v)) if v == log.last_version + 1 => log.last_version = v,
                    other => log.failures.push(format!("HUNT.PUBLISH after version {}: {other:?}", log.last_version)),
                }
                log.publishes += 1;
            }
            progress.fetch_add(1, Ordering::Relaxed);
        }
        log
    })
}

/// The Rome board's version, 0 before its first clue.
fn board_version(con: &mut redis::Connection) -> i64 {
    match call(con, &cmd(&["HUNT.BOARDINFO", ROME_BOARD])) {
        Ok(info) => int(&field(&info, "version")),
        Err(e) if e.to_string().contains("no such board") => 0,
        Err(e) => panic!("HUNT.BOARDINFO: {e}"),
    }
}

fn live_migration_of_a_map_slot(cluster: &Cluster, rome: &Rome) {
    let slot = cluster.slot_of(ROME_MAP);
    assert_eq!(slot, cluster.slot_of(ROME_BOARD));
    let source = cluster.owner(slot);
    // A target whose slots all lie above this one: there the slot becomes its lowest, the one
    // `redis-cli --cluster reshard` moves first (see `reshard_back_with_redis_cli`).
    let others: Vec<NodeView> = cluster.primaries().into_iter().filter(|n| n.port != source.port).collect();
    let target = others
        .iter()
        .find(|n| n.slots.iter().all(|&(low, _)| low > slot))
        .unwrap_or_else(|| panic!("no primary has only slots above {slot}: {others:?}"))
        .clone();
    let (mut src, mut dst) = (cluster.con(source.port), cluster.con(target.port));
    let digest_before = digest(&mut src, ROME_MAP);
    let info_before = ok(&mut src, &["HUNT.MAPINFO", ROME_MAP]);
    let memory = int(&ok(&mut src, &["MEMORY", "USAGE", ROME_MAP]));
    let dumped = match ok(&mut src, &["DUMP", ROME_MAP]) {
        Value::BulkString(bytes) => bytes.len(),
        other => panic!("DUMP replied {other:?}"),
    };
    eprintln!("Rome map: MEMORY USAGE {memory} bytes, DUMP payload {dumped} bytes");
    let slots_refreshes_before: u64 = cluster.servers.iter().map(|s| calls(&mut s.con(), "cluster|slots")).sum();

    let stop = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(AtomicU64::new(0));
    let board_version = board_version(&mut src);
    let worker = query_while_moving(cluster, rome.pairs.clone(), board_version, stop.clone(), progress.clone());
    let wait_for_queries = |what: &str, more: u64| {
        let goal = progress.load(Ordering::Relaxed) + more;
        wait_until(what, CONVERGE, || progress.load(Ordering::Relaxed) >= goal);
    };
    wait_for_queries("the first queries", 20);

    // Open the slot on both sides, move the map alone: its slot is split for a while.
    let slot_arg = slot.to_string();
    assert_eq!(text(&ok(&mut dst, &["CLUSTER", "SETSLOT", &slot_arg, "IMPORTING", &source.id])), "OK");
    assert_eq!(text(&ok(&mut src, &["CLUSTER", "SETSLOT", &slot_arg, "MIGRATING", &target.id])), "OK");
    let target_port = target.port.to_string();
    let migrate = ["MIGRATE", "127.0.0.1", &target_port, "", "0", "10000", "KEYS", ROME_MAP];
    let moved_at = Instant::now();
    assert_eq!(text(&ok(&mut src, &migrate)), "OK");
    eprintln!("MIGRATE of the Rome map took {:?}", moved_at.elapsed());

    // The old owner sends clients on with ASK; the new one takes them only after ASKING.
    let (from, to, cost) = rome.pairs[0];
    let (from_arg, to_arg) = (from.to_string(), to.to_string());
    let ask = err(&mut src, &["HUNT.PATH", ROME_MAP, &from_arg, &to_arg]);
    assert_eq!(ask, format!("ASK {slot} 127.0.0.1:{}", target.port));
    let moved = err(&mut dst, &["HUNT.PATH", ROME_MAP, &from_arg, &to_arg]);
    assert_eq!(moved, format!("MOVED {slot} 127.0.0.1:{}", source.port));
    assert_eq!(text(&ok(&mut dst, &["ASKING"])), "OK");
    assert_eq!(path(&mut dst, ROME_MAP, from, to, &[]).map(|r| r.cost), Some(cost));
    assert_eq!(int(&field(&ok(&mut src, &["HUNT.BOARDINFO", ROME_BOARD]), "clues")), 1, "the board is still here");
    let askings_before = calls(&mut dst, "asking");
    wait_for_queries("queries while the slot is split", 40);
    let client_askings = calls(&mut dst, "asking") - askings_before;
    assert!(client_askings > 0, "the cluster client followed no ASK");

    // Then the rest of the slot (the board), and the slot is the target's everywhere.
    let migrate = ["MIGRATE", "127.0.0.1", &target_port, "", "0", "10000", "KEYS", ROME_BOARD];
    assert_eq!(text(&ok(&mut src, &migrate)), "OK");
    assert_eq!(int(&ok(&mut src, &["CLUSTER", "COUNTKEYSINSLOT", &slot_arg])), 0);
    assert_eq!(text(&ok(&mut dst, &["CLUSTER", "SETSLOT", &slot_arg, "NODE", &target.id])), "OK");
    assert_eq!(text(&ok(&mut src, &["CLUSTER", "SETSLOT", &slot_arg, "NODE", &target.id])), "OK");
    for primary in cluster.primaries() {
        let _ = ok(&mut cluster.con(primary.port), &["CLUSTER", "SETSLOT", &slot_arg, "NODE", &target.id]);
    }
    let moved = err(&mut src, &["HUNT.PATH", ROME_MAP, &from_arg, &to_arg]);
    assert_eq!(moved, format!("MOVED {slot} 127.0.0.1:{}", target.port));
    wait_for_queries("queries after the move", 40);
    stop.store(true, Ordering::Relaxed);
    let log = worker.join().expect("the querying thread");
    assert!(log.failures.is_empty(), "wrong answers or errors during the move: {:?}", log.failures);
    let slots_refreshes: u64 =
        cluster.servers.iter().map(|s| calls(&mut s.con(), "cluster|slots")).sum::<u64>() - slots_refreshes_before;
    assert!(slots_refreshes > 0, "the cluster client never refreshed its slots after MOVED");
    eprintln!(
        "during the move: {} HUNT.PATH and {} HUNT.PUBLISH, {client_askings} ASKING sent to the new owner, \
         {slots_refreshes} CLUSTER SLOTS refreshes, no wrong answer",
        log.queries, log.publishes
    );

    // The map arrived whole: same digest, same MAPINFO; the board kept every version.
    assert_eq!(digest(&mut dst, ROME_MAP), digest_before);
    assert_eq!(ok(&mut dst, &["HUNT.MAPINFO", ROME_MAP]), info_before);
    assert_eq!(int(&field(&ok(&mut dst, &["HUNT.BOARDINFO", ROME_BOARD]), "version")), log.last_version);
    cluster.wait_converged("every node to see the slot moved");
    assert_eq!(cluster.owner(slot).port, target.port);
    let check = redis_cli(
        &cluster.servers[0].dir,
        &["--cluster".into(), "check".into(), format!("127.0.0.1:{}", target.port)],
        Duration::from_secs(30),
    );
    assert!(check.contains("[OK] All 16384 slots covered") && !check.contains("[WARNING]"), "{check}");
    reshard_back_with_redis_cli(cluster, rome, slot, &source);
}

/// `redis-cli --cluster reshard` takes a node's lowest slots first, and the map's slot is now
/// the lowest of its owner: one slot moved back to the first owner is that slot, keys and
/// all (redis-cli moves them with `MIGRATE`, i.e. the module type's DUMP and RESTORE), while
/// a client keeps asking the way and publishing.
fn reshard_back_with_redis_cli(cluster: &Cluster, rome: &Rome, slot: u16, back_to: &NodeView) {
    let from = &cluster.owner(slot);
    let lowest = from.slots.iter().map(|&(low, _)| low).min();
    assert_eq!(lowest, Some(slot), "slot {slot} must be the lowest of its owner for reshard to pick it: {from:?}");
    let mut owner = cluster.con(from.port);
    let digest_before = digest(&mut owner, ROME_MAP);
    let info_before = ok(&mut owner, &["HUNT.MAPINFO", ROME_MAP]);
    let board_version = board_version(&mut owner);
    let stop = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(AtomicU64::new(0));
    let worker = query_while_moving(cluster, rome.pairs.clone(), board_version, stop.clone(), progress.clone());
    wait_until("queries before the reshard", CONVERGE, || progress.load(Ordering::Relaxed) >= 20);
    let started = Instant::now();
    let output = redis_cli(
        &cluster.servers[0].dir,
        &[
            "--cluster".into(),
            "reshard".into(),
            format!("127.0.0.1:{}", from.port),
            "--cluster-from".into(),
            from.id.clone(),
            "--cluster-to".into(),
            back_to.id.clone(),
            "--cluster-slots".into(),
            "1".into(),
            "--cluster-yes".into(),
        ],
        CONVERGE,
    );
    eprintln!("redis-cli --cluster reshard of slot {slot} took {:?}", started.elapsed());
    assert!(output.contains(&format!("Moving slot {slot} from")), "{output}");
    cluster.wait_converged("every node to see the slot resharded");
    assert_eq!(cluster.owner(slot).port, back_to.port);
    let goal = progress.load(Ordering::Relaxed) + 40;
    wait_until("queries after the reshard", CONVERGE, || progress.load(Ordering::Relaxed) >= goal);
    stop.store(true, Ordering::Relaxed);
    let log = worker.join().expect("the querying thread");
    assert!(log.failures.is_empty(), "wrong answers or errors during the reshard: {:?}", log.failures);
    let mut back = cluster.con(back_to.port);
    assert_eq!(digest(&mut back, ROME_MAP), digest_before);
    assert_eq!(ok(&mut back, &["HUNT.MAPINFO", ROME_MAP]), info_before);
    assert_eq!(int(&field(&ok(&mut back, &["HUNT.BOARDINFO", ROME_BOARD]), "version")), log.last_version);
    assert!(!exists(&mut owner, ROME_MAP) && !exists(&mut owner, ROME_BOARD));
}

fn reads_on_a_replica_after_readonly(cluster: &Cluster, rome: &Rome) {
    let primary = cluster.owner(cluster.slot_of(ROME_MAP));
    let replica = cluster.replica_of(&primary);
    // The replica has everything the primary acknowledged.
    assert_eq!(int(&ok(&mut cluster.con(primary.port), &["WAIT", "1", "10000"])), 1);
    let mut con = cluster.con(replica.port);
    let (from, to, cost) = rome.pairs[1];
    let (from_arg, to_arg) = (from.to_string(), to.to_string());
    let moved = err(&mut con, &["HUNT.PATH", ROME_MAP, &from_arg, &to_arg]);
    assert!(moved.starts_with(&format!("MOVED {} 127.0.0.1:{}", cluster.slot_of(ROME_MAP), primary.port)), "{moved}");
    assert_eq!(text(&ok(&mut con, &["READONLY"])), "OK");
    let served_before = calls(&mut con, "hunt.path");
    assert_eq!(path(&mut con, ROME_MAP, from, to, &[]).map(|r| r.cost), Some(cost));
    assert_eq!(calls(&mut con, "hunt.path"), served_before + 1, "answered by the replica itself");
    assert_eq!(digest(&mut con, ROME_MAP), digest(&mut cluster.con(primary.port), ROME_MAP));
    assert!(int(&field(&ok(&mut con, &["HUNT.CLUE", ROME_BOARD, "walker"]), "version")) > 0);
    // Writes still go to the primary.
    let write = err(&mut con, &["HUNT.PUBLISH", ROME_BOARD, "walker", "x"]);
    assert!(write.starts_with("MOVED"), "{write}");
}

/// A subscriber on one node: a thread that forwards each message on `channel` until it reads
/// `stop` (or 60 s pass, or the connection fails).
fn subscribe(
    label: &'static str,
    mut con: redis::Connection,
    channel: String,
    events: mpsc::Sender<(&'static str, Vec<u8>)>,
) -> std::thread::JoinHandle<()> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let mut pubsub = con.as_pubsub();
        pubsub.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        pubsub.subscribe(&channel).expect("SUBSCRIBE");
        ready_tx.send(()).unwrap();
        while let Ok(message) = pubsub.get_message() {
            let payload = message.get_payload_bytes().to_vec();
            if payload == b"stop" {
                break;
            }
            if events.send((label, payload)).is_err() {
                break;
            }
        }
    });
    ready_rx.recv_timeout(Duration::from_secs(10)).expect("the subscriber is subscribed");
    handle
}

/// Collects subscriber events until every label has seen both markers `<round>:P` and
/// `<round>:R` (plain PUBLISH from the board's primary and replica: each reaches every node
/// by the cluster bus after what that node published before); per label, the hunt messages'
/// versions in order of arrival.
fn collect_round(
    events: &mpsc::Receiver<(&'static str, Vec<u8>)>,
    labels: &[&'static str],
    round: &str,
) -> BTreeMap<&'static str, Vec<u64>> {
    let mut versions: BTreeMap<&'static str, Vec<u64>> = labels.iter().map(|l| (*l, Vec::new())).collect();
    let mut markers: BTreeMap<&'static str, usize> = BTreeMap::new();
    let deadline = Instant::now() + CONVERGE;
    while markers.values().filter(|&&n| n == 2).count() < labels.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        let (label, payload) = events
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("round {round}: markers seen {markers:?}, messages {versions:?}"));
        let text = String::from_utf8_lossy(&payload).into_owned();
        if text == format!("{round}:P") || text == format!("{round}:R") {
            *markers.entry(label).or_default() += 1;
        } else {
            let header = text.split('\n').next().unwrap_or_default();
            let words: Vec<&str> = header.split(' ').collect();
            assert_eq!(words[0], "publish", "{text}");
            versions.get_mut(label).unwrap().push(words[1].parse().unwrap());
        }
    }
    versions
}

fn failover_of_a_primary_holding_a_board(cluster: &Cluster, cc: &mut ClusterConnection) {
    let slot = cluster.slot_of(NYC_BOARD);
    let primary = cluster.owner(slot);
    let replica = cluster.replica_of(&primary);
    let other_primary = cluster.primaries().into_iter().find(|n| n.port != primary.port).unwrap();
    let other_replica = cluster.replica_of(&other_primary);
    let channel = format!("hunt:{NYC_BOARD}");

    // Subscribers on the board's primary and replica, and on a primary and a replica of another shard.
    let (events_tx, events) = mpsc::channel();
    let labels = ["primary", "replica", "other primary", "other replica"];
    let subscribers: Vec<_> = [primary.port, replica.port, other_primary.port, other_replica.port]
        .iter()
        .zip(labels)
        .map(|(&port, label)| subscribe(label, cluster.con(port), channel.clone(), events_tx.clone()))
        .collect();
    // Once the board's replica has applied the change (WAIT), a marker from it and one from
    // the primary follow the messages each of them sent, on every node.
    let markers = |round: &str, board_primary: u16, board_replica: u16| {
        assert_eq!(int(&ok(&mut cluster.con(board_primary), &["WAIT", "1", "10000"])), 1, "the replica has it");
        ok(&mut cluster.con(board_primary), &["PUBLISH", &channel, &format!("{round}:P")]);
        ok(&mut cluster.con(board_replica), &["PUBLISH", &channel, &format!("{round}:R")]);
    };

    let before = int(&ok(cc, &["HUNT.PUBLISH", NYC_BOARD, "c1", "at the bridge", "AT", "2"])) as u64;
    markers("before", primary.port, replica.port);
    let seen = collect_round(&events, &labels, "before");
    eprintln!("HUNT.PUBLISH version {before} reached the subscribers as {seen:?}");
    for (label, versions) in &seen {
        assert!(versions.contains(&before), "{label} missed version {before}: {versions:?}");
        assert!(versions.iter().all(|&v| v == before), "{label}: {versions:?}");
    }

    let clues_before = ok(&mut cluster.con(primary.port), &["HUNT.CLUES", NYC_BOARD]);
    let digest_before = digest(&mut cluster.con(primary.port), NYC_BOARD);
    assert_eq!(text(&ok(&mut cluster.con(replica.port), &["CLUSTER", "FAILOVER"])), "OK");
    wait_until("the replica to take over", CONVERGE, || cluster.owner(slot).port == replica.port);
    cluster.wait_converged("every node to see the failover");
    assert_eq!(cluster.replica_of(&cluster.owner(slot)).port, primary.port, "the old primary follows");

    // Everything is on the new primary; the next change takes the next version.
    let mut promoted = cluster.con(replica.port);
    assert_eq!(ok(&mut promoted, &["HUNT.CLUES", NYC_BOARD]), clues_before);
    assert_eq!(digest(&mut promoted, NYC_BOARD), digest_before);
    assert_eq!(int(&field(&ok(&mut promoted, &["HUNT.BOARDINFO", NYC_BOARD]), "version")) as u64, before);
    let clue_version = int(&field(&ok(cc, &["HUNT.CLUE", NYC_BOARD, "c1"]), "version"));
    let after =
        ok(cc, &["HUNT.PUBLISH", NYC_BOARD, "c1", "under the arch", "AT", "3", "IFVERSION", &clue_version.to_string()]);
    assert_eq!(int(&after) as u64, before + 1);
    let to_clue = ok(cc, &["HUNT.PATHTOCLUE", NYC_MAP, NYC_BOARD, "1", "c1"]);
    assert_eq!(int(&field(&to_clue, "cost")), 12);
    assert_eq!(int(&field(&field(&to_clue, "clue"), "version")) as u64, before + 1);
    markers("after", replica.port, primary.port);
    let seen = collect_round(&events, &labels, "after");
    eprintln!("after the failover, version {} reached the subscribers as {seen:?}", before + 1);
    for (label, versions) in &seen {
        assert!(versions.contains(&(before + 1)), "{label} missed version {}: {versions:?}", before + 1);
    }

    ok(&mut cluster.con(replica.port), &["PUBLISH", &channel, "stop"]);
    for subscriber in subscribers {
        subscriber.join().expect("a subscriber thread");
    }
}
