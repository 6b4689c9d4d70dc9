//! Long searches on worker threads: answers equal inline ones, snapshots keep a search on the
//! map as of its command, the budget error, cancellation on disconnect, configuration checks,
//! MULTI and Lua running inline, replicas, and unloading.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use redis::Value;

/// Every search leaves the main thread: the inline budget is zero.
fn offload_everything(con: &mut redis::Connection) {
    ok(con, &["CONFIG", "SET", "hunt.inline-budget", "0"]);
    ok(con, &["CONFIG", "SET", "hunt.workers", "2"]);
}

fn rome(server: &Server) -> Vec<(u64, u64, u32)> {
    let mut con = server.con();
    load_map(&mut con, "rome", &rome_path()).iter().map(|e| (e.from, e.to, e.weight)).collect()
}

#[test]
fn offloaded_answers_equal_inline_answers() {
    let server = Server::start("offload-equal", &[]);
    rome(&server);
    let mut con = server.con();
    let mut rng = oracle::XorShift(7);
    let pairs: Vec<(u64, u64)> = (0..200).map(|_| (1 + rng.below(3353), 1 + rng.below(3353))).collect();
    ok(&mut con, &["CONFIG", "SET", "hunt.workers", "0"]);
    let inline: Vec<_> = pairs.iter().map(|&(a, b)| path(&mut con, "rome", a, b, &[])).collect();
    offload_everything(&mut con);
    for algo in ["DIJKSTRA", "BIDIR"] {
        let offloaded: Vec<_> = pairs.iter().map(|&(a, b)| path(&mut con, "rome", a, b, &["ALGO", algo])).collect();
        let costs = |routes: &[Option<Route>]| routes.iter().map(|r| r.as_ref().map(|r| r.cost)).collect::<Vec<_>>();
        assert_eq!(costs(&offloaded), costs(&inline), "{algo}");
    }
    // REACH and MATRIX go through the same path.
    let reach = ok(&mut con, &["HUNT.REACH", "rome", "1", "1000000", "LIMIT", "50"]);
    assert!(matches!(field(&reach, "nodes"), Value::Array(items) if items.len() == 50));
    let matrix = ok(&mut con, &["HUNT.MATRIX", "rome", "FROM", "2", "1", "2", "TO", "2", "3000", "5"]);
    assert!(matches!(field(&matrix, "costs"), Value::Array(rows) if rows.len() == 2));
    ping(&mut con);
}

#[test]
fn a_search_in_flight_sees_the_map_of_its_command() {
    let server = Server::start("offload-snapshot", &[]);
    let edges = rome(&server);
    let mut con = server.con();
    offload_everything(&mut con);
    let (from, to) = (1, 3000);
    let before = path(&mut con, "rome", from, to, &["ALGO", "DIJKSTRA"]).expect("reachable");
    // Make the current best path expensive: any answer computed on the new map costs more.
    let (u, v) = (before.path[0], before.path[1]);
    let raised = edges.iter().find(|e| e.0 == u && e.1 == v).expect("first edge").2 as u64 + 1_000_000;
    let port = server.port;
    for round in 0..20 {
        let reader = thread::spawn(move || {
            let mut con = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap().get_connection().unwrap();
            path(&mut con, "rome", from, to, &["ALGO", "DIJKSTRA"]).expect("reachable")
        });
        thread::sleep(Duration::from_micros(200 * round));
        let weight = if round % 2 == 0 {
            raised.to_string()
        } else {
            edges.iter().find(|e| e.0 == u && e.1 == v).unwrap().2.to_string()
        };
        ok(&mut con, &["HUNT.SETWEIGHTS", "rome", &u.to_string(), &v.to_string(), &weight]);
        let after = map_info(&mut con, "rome").version as u64;
        let seen = reader.join().unwrap();
        // The answer belongs to exactly the version it reports.
        if seen.version == after {
            assert_eq!(seen, path(&mut con, "rome", from, to, &["ALGO", "DIJKSTRA"]).unwrap(), "round {round}");
        } else {
            assert_eq!(seen.version, after - 1, "round {round}");
        }
    }
}

#[test]
fn changes_deletes_and_renames_during_searches_never_give_a_path_of_another_version() {
    let server = Server::start("offload-torture", &[]);
    let edges = rome(&server);
    let mut con = server.con();
    offload_everything(&mut con);
    // The writer is the only one changing `rome`, so each version's weights are known.
    let start = map_info(&mut con, "rome").version as u64;
    let base: HashMap<(u64, u64), u64> = edges.iter().map(|&(u, v, w)| ((u, v), w as u64)).collect();
    let states: Arc<Mutex<HashMap<u64, HashMap<(u64, u64), Option<u64>>>>> = Arc::new(Mutex::new(HashMap::new()));
    states.lock().unwrap().insert(start, base.iter().map(|(&k, &w)| (k, Some(w))).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let port = server.port;
    let readers: Vec<_> = (0..3)
        .map(|seed| {
            let (states, stop) = (Arc::clone(&states), Arc::clone(&stop));
            thread::spawn(move || {
                let mut con =
                    redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap().get_connection().unwrap();
                let mut rng = oracle::XorShift(100 + seed);
                let mut checked = 0;
                while !stop.load(Ordering::Relaxed) {
                    let (a, b) = (1 + rng.below(3353), 1 + rng.below(3353));
                    let key = if rng.below(4) == 0 { "copy" } else { "rome" };
                    let Ok(reply) = call(&mut con, &path_cmd(key, a, b, &["ALGO", "BIDIR"])) else { continue };
                    let Some(found) = route(&reply) else { continue };
                    if key == "copy" {
                        continue; // a copy's versions are not logged; it must only not crash
                    }
                    let states = states.lock().unwrap();
                    let state =
                        states.get(&found.version).unwrap_or_else(|| panic!("unknown version {}", found.version));
                    let sum: u64 = found
                        .path
                        .windows(2)
                        .map(|w| state.get(&(w[0], w[1])).copied().flatten().expect("an open edge of that version"))
                        .sum();
                    assert_eq!(sum, found.cost);
                    checked += 1;
                }
                checked
            })
        })
        .collect();
    let mut rng = oracle::XorShift(5);
    let mut weights = base.clone();
    let mut closed = std::collections::HashSet::new();
    let mut keys: Vec<(u64, u64)> = base.keys().copied().collect();
    keys.sort_unstable();
    let deadline = Instant::now() + Duration::from_secs(8);
    let mut version = start;
    while Instant::now() < deadline {
        let (u, v) = keys[rng.below(keys.len() as u64) as usize];
        let (us, vs) = (u.to_string(), v.to_string());
        let op = rng.below(6);
        match op {
            0 => {
                closed.insert((u, v));
            }
            1 => {
                closed.remove(&(u, v));
            }
            2 | 3 => {}
            _ => {
                weights.insert((u, v), 1 + rng.below(5000));
            }
        }
        if op < 2 || op > 3 {
            // Recorded before the change is sent, so a reader never sees a version unknown yet.
            version += 1;
            let state = weights.iter().map(|(&k, &w)| (k, (!closed.contains(&k)).then_some(w))).collect();
            states.lock().unwrap().insert(version, state);
        }
        match op {
            0 => drop(ok(&mut con, &["HUNT.CLOSE", "rome", &us, &vs])),
            1 => drop(ok(&mut con, &["HUNT.OPEN", "rome", &us, &vs])),
            2 => {
                // Rename away and back: searches in flight keep their snapshot.
                ok(&mut con, &["RENAME", "rome", "rome-moved"]);
                ok(&mut con, &["RENAME", "rome-moved", "rome"]);
            }
            3 => {
                ok(&mut con, &["COPY", "rome", "copy", "REPLACE"]);
                ok(&mut con, &["DEL", "copy"]);
            }
            _ => drop(ok(&mut con, &["HUNT.SETWEIGHTS", "rome", &us, &vs, &weights[&(u, v)].to_string()])),
        }
    }
    stop.store(true, Ordering::Relaxed);
    let checked: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(checked > 50, "only {checked} paths checked");
    ping(&mut con);
}

#[test]
fn a_search_over_max_settled_replies_the_budget_error_inline_and_offloaded() {
    let server = Server::start("offload-budget", &[]);
    rome(&server);
    let mut con = server.con();
    ok(&mut con, &["CONFIG", "SET", "hunt.max-settled", "100"]);
    for workers in ["0", "2"] {
        ok(&mut con, &["CONFIG", "SET", "hunt.workers", workers]);
        ok(&mut con, &["CONFIG", "SET", "hunt.inline-budget", "10"]);
        assert_eq!(
            err(&mut con, &["HUNT.PATH", "rome", "1", "3000", "ALGO", "DIJKSTRA"]),
            "ERR search budget exceeded"
        );
        assert_eq!(
            err(&mut con, &["HUNT.MATRIX", "rome", "FROM", "1", "1", "TO", "1", "3000"]),
            "ERR search budget exceeded"
        );
    }
    ok(&mut con, &["CONFIG", "SET", "hunt.max-settled", "100000000"]);
    assert!(path(&mut con, "rome", 1, 3000, &[]).is_some());
}

#[test]
fn configuration_is_range_checked() {
    let server = Server::start("offload-config", &[]);
    let mut con = server.con();
    for (name, bad) in
        [("hunt.workers", "65"), ("hunt.workers", "-1"), ("hunt.inline-budget", "-1"), ("hunt.max-settled", "0")]
    {
        let e = err(&mut con, &["CONFIG", "SET", name, bad]);
        assert!(e.starts_with("ERR"), "{name} {bad}: {e}");
    }
    for (name, good) in [("hunt.workers", "1"), ("hunt.inline-budget", "123"), ("hunt.max-settled", "456")] {
        ok(&mut con, &["CONFIG", "SET", name, good]);
        let got = ok(&mut con, &["CONFIG", "GET", name]);
        assert!(format!("{got:?}").contains(good), "{name}: {got:?}");
    }
}

#[test]
fn load_time_arguments_set_the_configuration() {
    let server = Server::start("offload-args", &["--hunt.workers", "1", "--hunt.inline-budget", "77"]);
    let mut con = server.con();
    assert!(format!("{:?}", ok(&mut con, &["CONFIG", "GET", "hunt.inline-budget"])).contains("77"));
}

#[test]
fn multi_and_lua_run_searches_inline_within_max_settled() {
    let server = Server::start("offload-multi", &[]);
    rome(&server);
    let mut con = server.con();
    offload_everything(&mut con);
    let expected = path(&mut con, "rome", 1, 3000, &[]).unwrap();
    let replies: Vec<Value> =
        redis::pipe().atomic().cmd("HUNT.PATH").arg("rome").arg(1).arg(3000).cmd("PING").query(&mut con).unwrap();
    assert_eq!(route(&replies[0]).unwrap().cost, expected.cost);
    let lua = ok(&mut con, &["EVAL", "return redis.call('HUNT.PATH', 'rome', '1', '3000')", "0"]);
    assert_eq!(route(&lua).unwrap().cost, expected.cost);
    ok(&mut con, &["CONFIG", "SET", "hunt.max-settled", "50"]);
    let e = err(&mut con, &["EVAL", "return redis.call('HUNT.PATH', 'rome', '1', '3000', 'ALGO', 'DIJKSTRA')", "0"]);
    assert!(e.contains("search budget exceeded"), "{e}");
}

#[test]
fn killing_a_blocked_client_cancels_its_search() {
    let Some(ny) = shared_map("USA-road-d.NY.gr.gz") else { return };
    let server = Server::start("offload-cancel", &[]);
    let mut con = server.con();
    load_map(&mut con, "ny", &ny);
    ok(&mut con, &["CONFIG", "SET", "hunt.workers", "1"]);
    ok(&mut con, &["CONFIG", "SET", "hunt.inline-budget", "0"]);
    // How long one search over the whole map takes here (the target is avoided, so it is never
    // reached and everything else is settled).
    let started = Instant::now();
    ok(&mut con, &["HUNT.MATRIX", "ny", "FROM", "1", "1", "TO", "1", "5", "AVOID", "1", "5"]);
    let one = started.elapsed().max(Duration::from_millis(1));
    // A matrix of such searches that keeps the only worker busy for about 12 s.
    let rows = (Duration::from_secs(12).as_micros() / one.as_micros()).clamp(20, 2000) as u64;
    let mut words: Vec<String> = vec!["HUNT.MATRIX".into(), "ny".into(), "FROM".into(), rows.to_string()];
    words.extend((1..=rows).map(|k| (1 + k * 131 % 264_000).to_string()));
    words.extend(["TO", "1", "5", "AVOID", "1", "5"].map(String::from));
    let port = server.port;
    let (id_tx, id_rx) = std::sync::mpsc::channel();
    let victim = thread::spawn(move || {
        let mut con = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap().get_connection().unwrap();
        id_tx.send(int(&ok(&mut con, &["CLIENT", "ID"]))).unwrap();
        call(&mut con, &cmd(&words)).err()
    });
    let id = id_rx.recv().unwrap();
    thread::sleep(Duration::from_millis(300));
    ok(&mut con, &["CLIENT", "KILL", "ID", &id.to_string()]);
    let _ = victim.join();
    // The worker is free again soon: a far search through it answers in far less time than
    // the rest of the matrix would have taken.
    let started = Instant::now();
    assert!(path(&mut con, "ny", 1, 264346, &["ALGO", "DIJKSTRA"]).is_some());
    let took = started.elapsed();
    let whole = one * rows as u32;
    assert!(took < whole / 3, "the worker was still busy: {took:?} (the whole matrix takes about {whole:?})");
    ping(&mut con);
}

#[test]
fn offloaded_searches_run_on_a_replica() {
    let primary = Server::start("offload-primary", &[]);
    rome(&primary);
    let port = primary.port.to_string();
    let replica = Server::start("offload-replica", &["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.con();
    wait_until("the replica to sync", Duration::from_secs(20), || {
        info_field(&mut r, "replication", "master_link_status") == "up"
            && call(&mut r, &cmd(&["HUNT.MAPINFO", "rome"])).is_ok()
    });
    offload_everything(&mut r);
    let mut p = primary.con();
    let on_primary = path(&mut p, "rome", 1, 3000, &[]);
    assert_eq!(path(&mut r, "rome", 1, 3000, &["ALGO", "DIJKSTRA"]).map(|x| x.cost), on_primary.map(|x| x.cost));
}

#[test]
fn module_unload_is_refused_while_hunt_types_exist() {
    let server = Server::start("offload-unload", &["--enable-module-command", "yes"]);
    let mut con = server.con();
    let e = err(&mut con, &["MODULE", "UNLOAD", "hunt"]);
    assert!(e.contains("data types"), "{e}");
    ping(&mut con);
}
