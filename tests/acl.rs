//! Who may do what: the README's ready-made `player` rule grants the queries and the
//! subscriptions and denies every write and every other key; key patterns confine a user to
//! its city through every HUNT command; and where the server has the API, the commands carry
//! ACL categories (`@read`, `@write`, `@hunt`).

mod common;

use common::*;
use redis::{Connection, Value};

const PASSWORD: &str = "secret";

/// The `ACL SETUSER player ...` line of the README, as an operator would paste it.
fn readme_rule(user: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).expect("README.md");
    let line = readme
        .lines()
        .find(|l| l.starts_with(&format!("ACL SETUSER {user} ")))
        .unwrap_or_else(|| panic!("README.md has no `ACL SETUSER {user} ...` line"));
    line.split_whitespace().map(str::to_string).collect()
}

fn set_user(admin: &mut Connection, rule: &[String]) {
    let mut words = rule.to_vec();
    // The README's placeholder password becomes the test's.
    for w in words.iter_mut().filter(|w| w.starts_with('>')) {
        *w = format!(">{PASSWORD}");
    }
    assert_eq!(text(&ok(admin, &words)), "OK");
}

fn connect_as(server: &Server, user: &str) -> Connection {
    let client = redis::Client::open(format!("redis://{user}:{PASSWORD}@127.0.0.1:{}/", server.port)).expect("client");
    let con = client.get_connection().expect("log in");
    con.set_read_timeout(Some(std::time::Duration::from_secs(10))).expect("timeout");
    con
}

/// A map and a board for a city, under its hash tag, and a clue at node 3.
fn city(admin: &mut Connection, tag: &str) {
    let map = format!("hunt:{{{tag}}}:map");
    let board = format!("hunt:{{{tag}}}:board");
    add_edges(admin, &map, None, &[(1, 2, 4), (2, 3, 5), (3, 1, 2)]);
    ok(admin, &["HUNT.PUBLISH", &board, "c1", "first clue", "AT", "3"]);
}

fn is_denied(reply: &str) -> bool {
    reply.starts_with("NOPERM")
}

/// Every HUNT command on one city's keys, each valid for that city's data.
fn every_command(tag: &str) -> Vec<Vec<String>> {
    let map = format!("hunt:{{{tag}}}:map");
    let board = format!("hunt:{{{tag}}}:board");
    let blob = "x"; // HUNT.RESTORE refuses it, but only after the permission check
    [
        vec!["HUNT.ADDEDGES", &map, "3", "4", "1"],
        vec!["HUNT.SETWEIGHTS", &map, "1", "2", "7"],
        vec!["HUNT.CLOSE", &map, "1", "2"],
        vec!["HUNT.OPEN", &map, "1", "2"],
        vec!["HUNT.NODES", &map, "1", "12.5", "41.9"],
        vec!["HUNT.LANDMARKS", &map, "1"],
        vec!["HUNT.PATH", &map, "1", "3"],
        vec!["HUNT.PATHTOCLUE", &map, &board, "1", "c1"],
        vec!["HUNT.REACH", &map, "1", "100"],
        vec!["HUNT.MATRIX", &map, "FROM", "1", "1", "TO", "1", "3"],
        vec!["HUNT.MAPINFO", &map],
        vec!["HUNT.SCAN", &map, "0"],
        vec!["HUNT.PUBLISH", &board, "c2", "payload"],
        vec!["HUNT.UNPUBLISH", &board, "c2"],
        vec!["HUNT.CLUE", &board, "c1"],
        vec!["HUNT.CLUES", &board],
        vec!["HUNT.BOARDINFO", &board],
        vec!["HUNT.REPLAY", &board, "UNPUBLISH", "c9", "1000"],
        vec!["HUNT.RESTORE", &map, blob],
    ]
    .into_iter()
    .map(|words| words.into_iter().map(str::to_string).collect())
    .collect()
}

fn reply_text(con: &mut Connection, words: &[String]) -> String {
    match call(con, &cmd(words)) {
        Ok(value) => format!("{value:?}"),
        Err(error) => error,
    }
}

#[test]
fn the_readme_player_rule_allows_queries_and_subscriptions_and_denies_everything_else() {
    let server = Server::start("acl-player", &[]);
    let mut admin = server.con();
    city(&mut admin, "nyc");
    add_edges(&mut admin, "private:map", None, &[(1, 2, 1)]);
    ok(&mut admin, &["SET", "private:string", "v"]);
    set_user(&mut admin, &readme_rule("player"));
    let digest_before = ok(&mut admin, &["DEBUG", "DIGEST"]);

    let mut player = connect_as(&server, "player");
    let allowed = ["HUNT.PATH", "HUNT.PATHTOCLUE", "HUNT.REACH", "HUNT.CLUE", "HUNT.CLUES"];
    for words in every_command("nyc") {
        let reply = reply_text(&mut player, &words);
        if allowed.contains(&words[0].as_str()) {
            assert!(!reply.starts_with("NOPERM") && !reply.starts_with("ERR"), "{words:?} must work: {reply}");
        } else {
            assert!(is_denied(&reply), "{words:?} must be denied to a player: {reply}");
        }
    }
    // Other keys, other commands, other channels.
    for words in [
        vec!["HUNT.PATH", "private:map", "1", "2"],
        vec!["GET", "private:string"],
        vec!["GET", "hunt:{nyc}:map"],
        vec!["SET", "hunt:{nyc}:x", "1"],
        vec!["DEL", "hunt:{nyc}:map"],
        vec!["RENAME", "hunt:{nyc}:map", "hunt:{nyc}:gone"],
        vec!["PUBLISH", "hunt:hunt:{nyc}:board", "forged"],
        vec!["KEYS", "*"],
        vec!["FLUSHALL"],
        vec!["CONFIG", "SET", "hunt.max-settled", "1"],
        vec!["EVAL", "return redis.call('HUNT.PUBLISH', KEYS[1], 'c', 'p')", "1", "hunt:{nyc}:board"],
        vec!["PSUBSCRIBE", "*"],
        vec!["SUBSCRIBE", "other-channel"],
    ] {
        let words: Vec<String> = words.into_iter().map(str::to_string).collect();
        let reply = reply_text(&mut player, &words);
        assert!(is_denied(&reply), "{words:?} must be denied to a player: {reply}");
    }
    assert_eq!(ok(&mut admin, &["DEBUG", "DIGEST"]), digest_before, "a player changed nothing");

    // The board's channel: subscribed, and the next publish arrives.
    let mut listener = connect_as(&server, "player");
    let mut pubsub = listener.as_pubsub();
    pubsub.set_read_timeout(Some(std::time::Duration::from_secs(10))).expect("timeout");
    pubsub.subscribe("hunt:hunt:{nyc}:board").expect("the board's channel");
    ok(&mut admin, &["HUNT.PUBLISH", "hunt:{nyc}:board", "c1", "moved", "AT", "2"]);
    let message = pubsub.get_message().expect("the publish reaches the player");
    assert_eq!(message.get_channel_name(), "hunt:hunt:{nyc}:board");
}

#[test]
fn a_user_confined_to_one_city_cannot_read_or_change_another_through_any_hunt_command() {
    let server = Server::start("acl-city", &[]);
    let mut admin = server.con();
    city(&mut admin, "nyc");
    city(&mut admin, "sf");
    set_user(&mut admin, &readme_rule("nyc-worker"));
    let mut worker = connect_as(&server, "nyc-worker");

    let sf_before = (ok(&mut admin, &["DEBUG", "DIGEST-VALUE", "hunt:{sf}:map", "hunt:{sf}:board"]),);
    for words in every_command("sf") {
        let reply = reply_text(&mut worker, &words);
        assert!(is_denied(&reply), "{words:?} must be denied outside the user's city: {reply}");
    }
    // A mix of cities in one command is denied too.
    let mixed: Vec<String> =
        ["HUNT.PATHTOCLUE", "hunt:{nyc}:map", "hunt:{sf}:board", "1", "c1"].into_iter().map(str::to_string).collect();
    assert!(is_denied(&reply_text(&mut worker, &mixed)));
    assert_eq!((ok(&mut admin, &["DEBUG", "DIGEST-VALUE", "hunt:{sf}:map", "hunt:{sf}:board"]),), sf_before);

    // In its own city every public command gets past the permission check; the internal
    // ones (which replicas and the AOF apply without ACL checks) stay denied.
    for words in every_command("nyc") {
        let reply = reply_text(&mut worker, &words);
        let internal = ["HUNT.REPLAY", "HUNT.RESTORE"].contains(&words[0].as_str());
        assert_eq!(is_denied(&reply), internal, "{words:?} in the user's own city: {reply}");
    }
}

/// The server's version as `INFO server` reports it for compatibility (Valkey reports the
/// Redis version it is compatible with, 7.2.4).
fn redis_version(con: &mut Connection) -> (u32, u32) {
    let version = info_field(con, "server", "redis_version");
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// `ACL CAT name`, or every category for `""`.
fn category(con: &mut Connection, name: &str) -> Vec<String> {
    let words: Vec<&str> = if name.is_empty() { vec!["ACL", "CAT"] } else { vec!["ACL", "CAT", name] };
    match ok(con, &words) {
        Value::Array(names) => names.iter().map(text).collect(),
        other => panic!("ACL CAT {name}: {other:?}"),
    }
}

#[test]
fn commands_carry_acl_categories_where_the_server_has_the_api() {
    let server = Server::start("acl-categories", &[]);
    let mut con = server.con();
    let reads = [
        "hunt.path",
        "hunt.pathtoclue",
        "hunt.reach",
        "hunt.matrix",
        "hunt.mapinfo",
        "hunt.scan",
        "hunt.clue",
        "hunt.clues",
        "hunt.boardinfo",
    ];
    let writes = [
        "hunt.addedges",
        "hunt.setweights",
        "hunt.close",
        "hunt.open",
        "hunt.nodes",
        "hunt.landmarks",
        "hunt.publish",
        "hunt.unpublish",
        "hunt.replay",
        "hunt.restore",
    ];
    let hunt_in = |list: Vec<String>| {
        let mut names: Vec<String> = list.into_iter().filter(|n| n.starts_with("hunt.")).collect();
        names.sort();
        names
    };
    let sorted = |list: &[&str]| {
        let mut names: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        names.sort();
        names
    };
    if redis_version(&mut con) < (7, 2) {
        // Redis 7.0 has no API for module command categories: the module loads without
        // them, and operators grant commands one by one (the README's rules).
        assert!(hunt_in(category(&mut con, "read")).is_empty());
        assert!(server.log().contains("hunt 0.1.0 loaded"), "{}", server.log());
        return;
    }
    assert_eq!(hunt_in(category(&mut con, "read")), sorted(&reads));
    assert_eq!(hunt_in(category(&mut con, "write")), sorted(&writes));
    assert_eq!(hunt_in(category(&mut con, "dangerous")), sorted(&["hunt.replay", "hunt.restore"]));
    let categories = category(&mut con, "");
    if categories.iter().any(|c| c == "hunt") {
        let mut all = sorted(&reads);
        all.extend(sorted(&writes));
        all.sort();
        assert_eq!(hunt_in(category(&mut con, "hunt")), all);
        // The category rule of the README works where @hunt exists.
        set_user(&mut con, &readme_rule("player-by-category"));
        let mut player = connect_as(&server, "player-by-category");
        city(&mut con, "nyc");
        for words in every_command("nyc") {
            let reply = reply_text(&mut player, &words);
            let read = reads.contains(&words[0].to_lowercase().as_str());
            assert_eq!(!is_denied(&reply), read, "{words:?}: {reply}");
        }
    }
}
