//! The clue board (issue "Clues") against a real server: optimistic concurrency under a race,
//! Pub/Sub delivery in the documented format, catching up after a disconnect, client-side
//! caching invalidation, persistence (RDB, AOF with and without preamble), replication,
//! keyspace notifications, and every error reply (after which nothing changed).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::oracle::XorShift;
use common::*;
use redis::{Cmd, Connection, Value};

// ---------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------

/// The bytes of a string reply (binary-safe, unlike `text`).
fn bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::BulkString(b) => b.clone(),
        Value::SimpleString(s) => s.as_bytes().to_vec(),
        Value::VerbatimString { text, .. } => text.as_bytes().to_vec(),
        other => panic!("expected a string, got {other:?}"),
    }
}

/// A command from byte-string words (binary-safe).
fn bcmd(words: &[&[u8]]) -> Cmd {
    let mut c = Cmd::new();
    for w in words {
        c.arg(*w);
    }
    c
}

fn bok(con: &mut Connection, words: &[&[u8]]) -> Value {
    let c = bcmd(words);
    call(con, &c).unwrap_or_else(|e| panic!("{:?} failed: {e}", command_words(&c)))
}

fn berr(con: &mut Connection, words: &[&[u8]]) -> String {
    let c = bcmd(words);
    match call(con, &c) {
        Ok(v) => panic!("{:?} should have failed but replied {v:?}", command_words(&c)),
        Err(e) => e,
    }
}

fn names_of(value: &Value) -> Vec<String> {
    let mut names: Vec<String> = fields(value).into_iter().map(|(k, _)| k).collect();
    names.sort();
    names
}

fn opt_node(value: &Value) -> Option<u64> {
    match value {
        Value::Nil => None,
        v => Some(int(v) as u64),
    }
}

/// `HUNT.CLUE` as read: version, payload, node.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Clue {
    version: u64,
    payload: Vec<u8>,
    node: Option<u64>,
}

fn clue_of(value: &Value) -> Option<Clue> {
    if matches!(value, Value::Nil) {
        return None;
    }
    assert_eq!(names_of(value), ["node", "payload", "version"], "HUNT.CLUE reply {value:?}");
    Some(Clue {
        version: int(&field(value, "version")) as u64,
        payload: bytes(&field(value, "payload")),
        node: opt_node(&field(value, "node")),
    })
}

fn get_clue(con: &mut Connection, board: &[u8], id: &[u8]) -> Option<Clue> {
    clue_of(&bok(con, &[b"HUNT.CLUE", board, id]))
}

/// One record of `HUNT.CLUES`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    id: Vec<u8>,
    version: u64,
    payload: Option<Vec<u8>>,
    node: Option<u64>,
    removed: bool,
}

fn get_clues(con: &mut Connection, board: &[u8], since: Option<u64>) -> (u64, Vec<Entry>) {
    let reply = match since {
        None => bok(con, &[b"HUNT.CLUES", board]),
        Some(v) => bok(con, &[b"HUNT.CLUES", board, b"SINCE", v.to_string().as_bytes()]),
    };
    assert_eq!(names_of(&reply), ["clues", "version"], "HUNT.CLUES reply {reply:?}");
    let version = int(&field(&reply, "version")) as u64;
    let Value::Array(items) = field(&reply, "clues") else { panic!("clues is not an array: {reply:?}") };
    let entries: Vec<Entry> = items
        .iter()
        .map(|item| {
            assert_eq!(names_of(item), ["id", "node", "payload", "removed", "version"], "{item:?}");
            let removed = match int(&field(item, "removed")) {
                0 => false,
                1 => true,
                other => panic!("removed is {other}"),
            };
            let payload = match field(item, "payload") {
                Value::Nil => None,
                v => Some(bytes(&v)),
            };
            let entry = Entry {
                id: bytes(&field(item, "id")),
                version: int(&field(item, "version")) as u64,
                payload,
                node: opt_node(&field(item, "node")),
                removed,
            };
            if entry.removed {
                assert_eq!((&entry.payload, entry.node), (&None, None), "a removal has null payload and node");
            } else {
                assert!(entry.payload.is_some(), "a live clue has a payload: {item:?}");
            }
            entry
        })
        .collect();
    let versions: Vec<u64> = entries.iter().map(|e| e.version).collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "HUNT.CLUES is in version order: {versions:?}");
    assert!(versions.iter().all(|&v| v <= version && since.is_none_or(|s| v > s)));
    (version, entries)
}

/// `HUNT.BOARDINFO` without `memory` (which measures this server's allocations).
fn board_info(con: &mut Connection, board: &[u8]) -> (u64, u64, u64) {
    let reply = bok(con, &[b"HUNT.BOARDINFO", board]);
    assert_eq!(names_of(&reply), ["clues", "memory", "removed", "version"], "{reply:?}");
    assert!(int(&field(&reply, "memory")) > 0);
    (int(&field(&reply, "clues")) as u64, int(&field(&reply, "removed")) as u64, int(&field(&reply, "version")) as u64)
}

fn publish(con: &mut Connection, board: &[u8], id: &[u8], payload: &[u8], node: Option<u64>) -> u64 {
    let node = node.map(|n| n.to_string());
    let mut words: Vec<&[u8]> = vec![b"HUNT.PUBLISH", board, id, payload];
    if let Some(n) = &node {
        words.push(b"AT");
        words.push(n.as_bytes());
    }
    int(&bok(con, &words)) as u64
}

fn unpublish(con: &mut Connection, board: &[u8], id: &[u8]) -> u64 {
    int(&bok(con, &[b"HUNT.UNPUBLISH", board, id])) as u64
}

// ---------------------------------------------------------------------------------------
// A raw RESP2/RESP3 client: subscribers and client-side caching read pushes byte for byte
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum R {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    Nil,
    Array(Vec<R>),
    Map(Vec<(R, R)>),
    Set(Vec<R>),
    Push(Vec<R>),
    Other(String),
}

impl R {
    fn bytes(&self) -> Vec<u8> {
        match self {
            R::Bulk(b) => b.clone(),
            R::Simple(s) => s.as_bytes().to_vec(),
            other => panic!("expected a string, got {other:?}"),
        }
    }
}

struct Raw {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Raw {
    fn connect(server: &Server) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Raw { reader: BufReader::new(stream.try_clone().unwrap()), writer: stream }
    }

    fn send(&mut self, words: &[&[u8]]) {
        let mut out = format!("*{}\r\n", words.len()).into_bytes();
        for w in words {
            out.extend_from_slice(format!("${}\r\n", w.len()).as_bytes());
            out.extend_from_slice(w);
            out.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&out).expect("write to the server");
    }

    fn line(&mut self) -> String {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).expect("read from the server");
        assert!(line.ends_with(b"\r\n"), "truncated RESP line {line:?}");
        line.truncate(line.len() - 2);
        String::from_utf8(line).expect("RESP line")
    }

    fn read(&mut self) -> R {
        let line = self.line();
        let (kind, rest) = line.split_at(1);
        let n = || rest.parse::<i64>().unwrap_or_else(|_| panic!("bad RESP length {line:?}"));
        match kind {
            "+" => R::Simple(rest.into()),
            "-" => R::Error(rest.into()),
            ":" => R::Int(n()),
            "_" => R::Nil,
            "$" | "=" if n() < 0 => R::Nil,
            "$" | "=" => {
                let mut buf = vec![0; n() as usize + 2];
                self.reader.read_exact(&mut buf).expect("read a bulk string");
                buf.truncate(buf.len() - 2);
                R::Bulk(buf)
            }
            "*" if n() < 0 => R::Nil,
            "*" | "~" | ">" => {
                let items = (0..n()).map(|_| self.read()).collect();
                match kind {
                    "*" => R::Array(items),
                    "~" => R::Set(items),
                    _ => R::Push(items),
                }
            }
            "%" => R::Map((0..n()).map(|_| (self.read(), self.read())).collect()),
            "|" => {
                for _ in 0..n() {
                    self.read();
                    self.read();
                }
                self.read()
            }
            _ => R::Other(line.clone()),
        }
    }

    fn call(&mut self, words: &[&[u8]]) -> R {
        self.send(words);
        self.read()
    }
}

/// A `hunt:<board>` message, parsed by the documented format with no help from the core.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Message {
    kind: String,
    version: u64,
    node: Option<u64>,
    board: Vec<u8>,
    id: Vec<u8>,
    payload: Vec<u8>,
}

fn parse_message(data: &[u8]) -> Message {
    let newline = data.iter().position(|&b| b == b'\n').expect("a header line");
    let header = std::str::from_utf8(&data[..newline]).expect("an ASCII header");
    let words: Vec<&str> = header.split(' ').collect();
    let [kind, version, node, key_len, id_len, payload_len] = words[..] else {
        panic!("header {header:?} has not six words")
    };
    let num = |w: &str| w.parse::<u64>().unwrap_or_else(|_| panic!("{w:?} in {header:?}")) as usize;
    let (key_len, id_len, payload_len) = (num(key_len), num(id_len), num(payload_len));
    let body = &data[newline + 1..];
    assert_eq!(body.len(), key_len + id_len + payload_len, "lengths of {header:?}");
    let message = Message {
        kind: kind.to_string(),
        version: num(version) as u64,
        node: if node == "-" { None } else { Some(num(node) as u64) },
        board: body[..key_len].to_vec(),
        id: body[key_len..key_len + id_len].to_vec(),
        payload: body[key_len + id_len..].to_vec(),
    };
    match kind {
        "publish" => {}
        "unpublish" => assert!(message.payload.is_empty() && message.node.is_none(), "{message:?}"),
        other => panic!("unknown kind {other:?}"),
    }
    message
}

/// A connection in subscribed mode (RESP2), on channels or patterns.
struct Subscriber(Raw);

impl Subscriber {
    fn channel(server: &Server, channel: &[u8]) -> Subscriber {
        let mut raw = Raw::connect(server);
        let reply = raw.call(&[b"SUBSCRIBE", channel]);
        assert_eq!(reply, R::Array(vec![R::Bulk(b"subscribe".to_vec()), R::Bulk(channel.to_vec()), R::Int(1)]));
        Subscriber(raw)
    }

    fn pattern(server: &Server, pattern: &[u8]) -> Subscriber {
        let mut raw = Raw::connect(server);
        let reply = raw.call(&[b"PSUBSCRIBE", pattern]);
        assert_eq!(reply, R::Array(vec![R::Bulk(b"psubscribe".to_vec()), R::Bulk(pattern.to_vec()), R::Int(1)]));
        Subscriber(raw)
    }

    /// The next message: its channel and data.
    fn next(&mut self) -> (Vec<u8>, Vec<u8>) {
        match self.0.read() {
            R::Array(items) if items.len() == 3 && items[0] == R::Bulk(b"message".to_vec()) => {
                (items[1].bytes(), items[2].bytes())
            }
            R::Array(items) if items.len() == 4 && items[0] == R::Bulk(b"pmessage".to_vec()) => {
                (items[2].bytes(), items[3].bytes())
            }
            other => panic!("not a message: {other:?}"),
        }
    }

    /// The next board message, checked to come from `hunt:<board>` and name that board.
    fn board_message(&mut self, board: &[u8]) -> Message {
        let (channel, data) = self.next();
        assert_eq!(channel, [b"hunt:", board].concat());
        let message = parse_message(&data);
        assert_eq!(message.board, board);
        message
    }
}

// ---------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------

#[test]
fn racing_ifversion_publishers_never_lose_an_update_and_every_loser_gets_stale() {
    const CLIENTS: usize = 8;
    const LOOPS: usize = 1000;
    let server = Server::start("board-race", &[]);
    let mut sub = Subscriber::channel(&server, b"hunt:race");
    let successes: Mutex<Vec<(u64, u64, Vec<u8>)>> = Mutex::new(Vec::new());
    let failures: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for t in 0..CLIENTS {
            let (server, successes, failures) = (&server, &successes, &failures);
            scope.spawn(move || {
                let mut con = server.con();
                let (mut won, mut lost) = (Vec::new(), Vec::new());
                for i in 0..LOOPS {
                    let read = get_clue(&mut con, b"race", b"c").map_or(0, |c| c.version);
                    let payload = format!("client {t} loop {i}\nread {read}").into_bytes();
                    let read_text = read.to_string();
                    let words: [&[u8]; 6] =
                        [b"HUNT.PUBLISH", b"race", b"c", &payload, b"IFVERSION", read_text.as_bytes()];
                    match call(&mut con, &bcmd(&words)) {
                        Ok(v) => won.push((int(&v) as u64, read, payload)),
                        Err(e) => lost.push((read, e)),
                    }
                }
                successes.lock().unwrap().extend(won);
                failures.lock().unwrap().extend(lost);
            });
        }
    });
    let mut successes = successes.into_inner().unwrap();
    let failures = failures.into_inner().unwrap();
    assert_eq!(successes.len() + failures.len(), CLIENTS * LOOPS);
    assert!(!successes.is_empty());
    eprintln!("{} successes, {} STALE", successes.len(), failures.len());

    successes.sort_by_key(|s| s.0);
    let n = successes.len() as u64;
    let versions: Vec<u64> = successes.iter().map(|s| s.0).collect();
    assert_eq!(versions, (1..=n).collect::<Vec<u64>>(), "every success got a distinct version, none skipped");
    for (version, read, payload) in &successes {
        assert_eq!(*version, read + 1, "a success applied on top of exactly the version it read: {payload:?}");
    }
    for (read, error) in &failures {
        let rest = error
            .strip_prefix("STALE clue c is at version ")
            .unwrap_or_else(|| panic!("a lost race replies STALE, got {error:?}"));
        let now: u64 = rest.parse().unwrap_or_else(|_| panic!("{error:?}"));
        assert!(now > *read, "STALE names a newer version than the one read ({read}): {error}");
        assert!(now <= n);
    }
    let mut con = server.con();
    let last = get_clue(&mut con, b"race", b"c").expect("the clue exists");
    assert_eq!((last.version, &last.payload), (n, &successes.last().unwrap().2), "the last success is the clue");
    assert_eq!(get_clues(&mut con, b"race", None).0, n, "the board version is the number of successes");
    assert_eq!(board_info(&mut con, b"race"), (1, 0, n));

    // The subscriber saw every success, once, in version order, with its payload.
    for (version, _, payload) in &successes {
        let m = sub.board_message(b"race");
        assert_eq!((m.kind.as_str(), m.version, &m.id, &m.payload), ("publish", *version, &b"c".to_vec(), payload));
    }
}

// ---------------------------------------------------------------------------------------
// Push
// ---------------------------------------------------------------------------------------

#[test]
fn subscriber_receives_every_change_in_version_order_in_the_documented_format() {
    let server = Server::start("board-push", &[]);
    let mut con = server.con();
    let mut sub = Subscriber::channel(&server, b"hunt:game");

    // Six changes, then the README's example as the seventh: exact bytes.
    let mut expected: Vec<Message> = Vec::new();
    let mut expect = |kind: &str, version, node, id: &[u8], payload: &[u8]| {
        expected.push(Message {
            kind: kind.into(),
            version,
            node,
            board: b"game".to_vec(),
            id: id.to_vec(),
            payload: payload.to_vec(),
        })
    };
    let binary: Vec<u8> = (1..=255u8).chain(b"\n\r\n \n".iter().copied()).collect();
    let changes: Vec<(&[u8], Option<&[u8]>, Option<u64>)> = vec![
        (b"plain", Some(b"hello world"), Some(7)),
        (b"with space\nand newline", Some(b"line 1\nline 2\n\nlen 3 4 5\n"), None),
        (b"bin", Some(&binary), Some(9_223_372_036_854_775_807)),
        (b"empty", Some(b""), Some(0)),
        (b"with space\nand newline", None, None),
        (b"plain", Some(b"publish 1 - 4 2 8\ngamec1Go north"), Some(3)),
    ];
    for (version, (id, payload, node)) in (1u64..).zip(&changes) {
        let got = match payload {
            Some(p) => {
                expect("publish", version, *node, id, p);
                publish(&mut con, b"game", id, p, *node)
            }
            None => {
                expect("unpublish", version, None, id, b"");
                unpublish(&mut con, b"game", id)
            }
        };
        assert_eq!(got, version);
    }
    // Refused or empty changes publish nothing.
    assert_eq!(unpublish(&mut con, b"game", b"never there"), 0);
    assert!(berr(&mut con, &[b"HUNT.PUBLISH", b"game", b"plain", b"x", b"IFVERSION", b"1"]).starts_with("STALE "));
    assert!(berr(&mut con, &[b"HUNT.UNPUBLISH", b"game", b"plain", b"IFVERSION", b"5"]).starts_with("STALE "));
    assert!(berr(&mut con, &[b"HUNT.PUBLISH", b"game", b"plain", b"x", b"BOGUS"]).starts_with("ERR "));
    assert_eq!(publish(&mut con, b"game", b"c1", b"Go north", Some(42)), 7);
    expect("publish", 7, Some(42), b"c1", b"Go north");
    assert_eq!(int(&bok(&mut con, &[b"HUNT.UNPUBLISH", b"game", b"bin", b"IFVERSION", b"3"])), 8);
    expect("unpublish", 8, None, b"bin", b"");

    for (k, want) in expected.iter().enumerate() {
        let (channel, data) = sub.next();
        assert_eq!(channel, b"hunt:game");
        if want.version == 7 {
            assert_eq!(data, b"publish 7 42 4 2 8\ngamec1Go north", "the README's example, byte for byte");
        }
        if want.version == 8 {
            assert_eq!(data, b"unpublish 8 - 4 3 0\ngamebin");
        }
        assert_eq!(&parse_message(&data), want, "message {k}");
    }

    // A board key with any bytes: the channel and the message carry it as is.
    let key: &[u8] = b"odd key\n\x01\xff";
    let channel = [b"hunt:", key].concat();
    let mut odd = Subscriber::channel(&server, &channel);
    assert_eq!(publish(&mut con, key, b"id", b"p\n", None), 1);
    let m = odd.board_message(key);
    assert_eq!(
        (m.kind.as_str(), m.version, m.node, &m.id[..], &m.payload[..]),
        ("publish", 1, None, &b"id"[..], &b"p\n"[..])
    );

    // A payload at the size limit arrives whole.
    let big: Vec<u8> = (0..65536u32).map(|i| 1 + (i % 251) as u8).collect();
    assert_eq!(publish(&mut con, b"game", b"big", &big, Some(1)), 9);
    let m = sub.board_message(b"game");
    assert_eq!((m.version, m.payload.len()), (9, 65536));
    assert_eq!(m.payload, big);
}

#[test]
fn a_subscriber_that_reconnects_catches_up_with_clues_since_and_ends_with_the_board() {
    let server = Server::start("board-catchup", &[]);
    let mut con = server.con();
    const CHANGES: u64 = 1500;
    let publisher_done = AtomicBool::new(false);

    /// What a follower holds: clue id -> (version, payload, node).
    type State = BTreeMap<Vec<u8>, (u64, Vec<u8>, Option<u64>)>;
    fn apply_message(state: &mut State, m: &Message) {
        if m.kind == "publish" {
            state.insert(m.id.clone(), (m.version, m.payload.clone(), m.node));
        } else {
            assert!(state.remove(&m.id).is_some(), "a removal of a clue the follower never had: {m:?}");
        }
    }
    fn apply_entry(state: &mut State, e: &Entry) {
        if e.removed {
            state.remove(&e.id);
        } else {
            state.insert(e.id.clone(), (e.version, e.payload.clone().unwrap(), e.node));
        }
    }

    let mut removals_caught_up = 0;
    std::thread::scope(|scope| {
        // The publisher: publishes and unpublishes over 40 ids, with binary payloads.
        let publisher = scope.spawn(|| {
            let mut con = server.con();
            let mut rng = XorShift(0xC0FFEE);
            let mut done = 0;
            while done < CHANGES {
                let id = format!("clue {}\n", rng.below(40)).into_bytes();
                let version = if rng.below(3) == 0 {
                    unpublish(&mut con, b"live", &id)
                } else {
                    let payload = format!("payload {done}\n\x7f {}", rng.next()).into_bytes();
                    let node = (rng.below(2) == 0).then(|| rng.below(1000));
                    publish(&mut con, b"live", &id, &payload, node)
                };
                if version != 0 {
                    done += 1;
                    assert_eq!(version, done, "the only publisher gets consecutive versions");
                }
                if done % 10 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            publisher_done.store(true, Ordering::SeqCst);
        });

        // The follower: subscribe, read the board, apply messages; drop the connection;
        // reconnect: subscribe, catch up with SINCE, apply later messages.
        let mut state = State::new();
        let mut last = 0;
        for round in 0..3 {
            let mut sub = Subscriber::channel(&server, b"hunt:live");
            let (version, entries) = get_clues(&mut con, b"live", if round == 0 { None } else { Some(last) });
            for e in &entries {
                if round > 0 && e.removed {
                    removals_caught_up += 1;
                }
                apply_entry(&mut state, e);
            }
            last = last.max(version);
            // Follow for a while (or until the publisher is done and everything is seen).
            let follow = if round < 2 { 150 } else { u64::MAX };
            let mut seen = 0;
            while seen < follow && last < CHANGES {
                let m = sub.board_message(b"live");
                if m.version <= last {
                    continue; // already applied through HUNT.CLUES
                }
                assert_eq!(m.version, last + 1, "messages arrive in version order, with no gap");
                apply_message(&mut state, &m);
                last = m.version;
                seen += 1;
            }
            drop(sub); // disconnect; the publisher goes on
            if last == CHANGES {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        publisher.join().unwrap();
        assert!(publisher_done.load(Ordering::SeqCst));
        // Whatever is left: one more catch-up.
        let (version, entries) = get_clues(&mut con, b"live", Some(last));
        entries.iter().for_each(|e| apply_entry(&mut state, e));
        assert_eq!(version, CHANGES);

        let (version, entries) = get_clues(&mut con, b"live", None);
        assert_eq!(version, CHANGES);
        assert!(entries.iter().all(|e| !e.removed));
        let board: State =
            entries.iter().map(|e| (e.id.clone(), (e.version, e.payload.clone().unwrap(), e.node))).collect();
        assert_eq!(state, board, "the follower ends with exactly the board");
        let (clues, removed, version) = board_info(&mut con, b"live");
        assert_eq!((clues as usize, version), (board.len(), CHANGES));
        assert!(clues + removed <= 40, "tombstones never exceed the ids used");
    });
    assert!(removals_caught_up > 0, "some removals reached the follower only through SINCE");

    // SINCE reports removals with removed 1, and a republished id only once, at its new version.
    let mut con = server.con();
    let base = CHANGES;
    publish(&mut con, b"live", b"x", b"1", None);
    unpublish(&mut con, b"live", b"x");
    publish(&mut con, b"live", b"y", b"2", Some(5));
    unpublish(&mut con, b"live", b"y");
    publish(&mut con, b"live", b"y", b"3", None);
    let (version, entries) = get_clues(&mut con, b"live", Some(base));
    assert_eq!(version, base + 5);
    let want = vec![
        Entry { id: b"x".to_vec(), version: base + 2, payload: None, node: None, removed: true },
        Entry { id: b"y".to_vec(), version: base + 5, payload: Some(b"3".to_vec()), node: None, removed: false },
    ];
    assert_eq!(entries, want);
    assert_eq!(get_clues(&mut con, b"live", Some(base + 5)), (base + 5, vec![]));
    assert_eq!(get_clues(&mut con, b"live", Some(base + 100)).1, vec![]);
}

/// Reads until the next invalidation push (RESP3), skipping nothing else: it must come next.
fn invalidation(raw: &mut Raw) -> Vec<Vec<u8>> {
    match raw.read() {
        R::Push(items) if items.len() == 2 && items[0].bytes() == b"invalidate" => match &items[1] {
            R::Array(keys) => keys.iter().map(R::bytes).collect(),
            other => panic!("invalidate without keys: {other:?}"),
        },
        other => panic!("expected an invalidation push, got {other:?}"),
    }
}

#[test]
fn client_side_caching_gets_an_invalidation_when_a_read_clue_changes() {
    let server = Server::start("board-tracking", &[]);
    let mut con = server.con();
    publish(&mut con, b"b", b"c", b"first", Some(1));

    let mut raw = Raw::connect(&server);
    assert!(matches!(raw.call(&[b"HELLO", b"3"]), R::Map(_)));
    assert_eq!(raw.call(&[b"CLIENT", b"TRACKING", b"on"]), R::Simple("OK".into()));
    // RESP3: HUNT.CLUE is a map.
    let reply = raw.call(&[b"HUNT.CLUE", b"b", b"c"]);
    let R::Map(pairs) = &reply else { panic!("RESP3 HUNT.CLUE is a map: {reply:?}") };
    let pairs: Vec<(Vec<u8>, R)> = pairs.iter().map(|(k, v)| (k.bytes(), v.clone())).collect();
    assert_eq!(
        pairs,
        vec![
            (b"node".to_vec(), R::Int(1)),
            (b"payload".to_vec(), R::Bulk(b"first".to_vec())),
            (b"version".to_vec(), R::Int(1)),
        ]
    );

    // Another client publishes to that clue: the reader is told its cached key is stale.
    publish(&mut con, b"b", b"c", b"second", None);
    assert_eq!(invalidation(&mut raw), vec![b"b".to_vec()]);
    assert_eq!(raw.call(&[b"PING"]), R::Simple("PONG".into()), "nothing else was pushed");

    // Tracking is per read: read again, then an unpublish invalidates as well.
    assert!(matches!(raw.call(&[b"HUNT.CLUES", b"b"]), R::Map(_)));
    unpublish(&mut con, b"b", b"c");
    assert_eq!(invalidation(&mut raw), vec![b"b".to_vec()]);

    // A read of a board that does not exist yet is tracked too: its first publish invalidates.
    assert_eq!(raw.call(&[b"HUNT.CLUE", b"fresh", b"c"]), R::Nil);
    publish(&mut con, b"fresh", b"c", b"new", None);
    assert_eq!(invalidation(&mut raw), vec![b"fresh".to_vec()]);
    assert_eq!(raw.call(&[b"PING"]), R::Simple("PONG".into()));
}

// ---------------------------------------------------------------------------------------
// Persistence
// ---------------------------------------------------------------------------------------

/// Writes boards with binary ids and payloads, nodes and no nodes, removals and a board whose
/// every clue was removed. `round` makes each call's writes differ.
fn board_writes(con: &mut Connection, round: u64) {
    let r = round.to_string();
    let r = r.as_bytes();
    publish(con, b"g", &[b"c1 ", r].concat(), &[b"payload\n\x01", r].concat(), Some(10 + round));
    publish(con, b"g", b"c2", &[b"two\r\n", r].concat(), None);
    publish(con, b"g", &[b"tmp", r].concat(), b"gone soon", Some(3));
    unpublish(con, b"g", &[b"tmp", r].concat());
    publish(con, b"g", b"c2", &[b"two again", r].concat(), Some(round));
    publish(con, b"g", &[b"last", r].concat(), b"", None);
    unpublish(con, b"g", &[b"last", r].concat()); // the board's version is a tombstone's
    publish(con, b"gone", &[b"x", r].concat(), b"x", None);
    unpublish(con, b"gone", &[b"x", r].concat()); // no live clue left, only tombstones
}

/// Everything a board shows, in both read commands, plus its digest and type.
fn observe_boards(con: &mut Connection) -> Vec<(String, Result<Value, String>)> {
    let mut commands = Vec::new();
    for board in ["g", "gone"] {
        commands.push(cmd(&["HUNT.CLUES", board]));
        commands.push(cmd(&["HUNT.CLUES", board, "SINCE", "0"]));
        commands.push(cmd(&["HUNT.CLUES", board, "SINCE", "3"]));
        commands.push(cmd(&["DEBUG", "DIGEST-VALUE", board]));
        commands.push(cmd(&["TYPE", board]));
    }
    for id in ["c1 1", "c1 2", "c2", "tmp1", "last1", "c1 3"] {
        commands.push(cmd(&["HUNT.CLUE", "g", id]));
    }
    let mut out: Vec<(String, Result<Value, String>)> =
        commands.iter().map(|c| command_words(c).join(" ")).zip(pipeline(con, &commands)).collect();
    for board in ["g", "gone"] {
        let (clues, removed, version) = board_info(con, board.as_bytes());
        out.push((
            format!("BOARDINFO {board} numbers"),
            Ok(Value::Array(vec![Value::Int(clues as i64), Value::Int(removed as i64), Value::Int(version as i64)])),
        ));
    }
    assert!(matches!(&out[0].1, Ok(v) if !fields(v).is_empty()));
    out
}

fn assert_same(before: &[(String, Result<Value, String>)], after: &[(String, Result<Value, String>)]) {
    assert_eq!(before.len(), after.len());
    for ((command, a), (_, b)) in before.iter().zip(after) {
        assert_eq!(a, b, "{command} answers differently");
    }
}

/// The next publish on each board takes the next version: none is reused.
fn next_versions_follow(con: &mut Connection) {
    for board in [&b"g"[..], b"gone"] {
        let (_, _, version) = board_info(con, board);
        assert!(version > 0);
        assert_eq!(publish(con, board, b"after restart", b"p", None), version + 1, "{board:?}");
        assert_eq!(unpublish(con, board, b"after restart"), version + 2);
    }
}

#[test]
fn rdb_save_restart_and_debug_reload_keep_clues_versions_and_tombstones() {
    let mut server = Server::start("board-rdb", &[]);
    let mut con = server.con();
    board_writes(&mut con, 1);
    board_writes(&mut con, 2);
    assert_eq!(board_info(&mut con, b"g"), (3, 4, 14));
    assert_eq!(board_info(&mut con, b"gone"), (0, 2, 4));
    let before = observe_boards(&mut con);
    assert_eq!(text(&ok(&mut con, &["SAVE"])), "OK");
    drop(con);
    server.restart();
    let mut con = server.con();
    assert_same(&before, &observe_boards(&mut con));
    next_versions_follow(&mut con);

    board_writes(&mut con, 3);
    let before = observe_boards(&mut con);
    assert_eq!(text(&ok(&mut con, &["DEBUG", "RELOAD"])), "OK");
    assert_same(&before, &observe_boards(&mut con));
    next_versions_follow(&mut con);
}

fn wait_for_no_rewrite(con: &mut Connection) {
    wait_until("the AOF rewrite to finish", Duration::from_secs(30), || {
        info_field(con, "persistence", "aof_rewrite_in_progress") == "0"
            && info_field(con, "persistence", "aof_rewrite_scheduled") == "0"
    });
}

fn aof_keeps_boards(preamble: &str) {
    let mut server =
        Server::start(&format!("board-aof-{preamble}"), &["--appendonly", "yes", "--aof-use-rdb-preamble", preamble]);
    let mut con = server.con();
    wait_for_no_rewrite(&mut con);
    // Only the command log (HUNT.REPLAY) first.
    board_writes(&mut con, 1);
    let before = observe_boards(&mut con);
    drop(con);
    server.restart();
    let mut con = server.con();
    assert_same(&before, &observe_boards(&mut con));

    // Then a rewrite (RDB preamble or HUNT.RESTORE), and more changes on top of it.
    assert_eq!(text(&ok(&mut con, &["BGREWRITEAOF"])), "Background append only file rewriting started");
    wait_for_no_rewrite(&mut con);
    assert_eq!(info_field(&mut con, "persistence", "aof_last_bgrewrite_status"), "ok");
    board_writes(&mut con, 2);
    let before = observe_boards(&mut con);
    drop(con);
    server.restart();
    let mut con = server.con();
    assert_same(&before, &observe_boards(&mut con));
    next_versions_follow(&mut con);

    // Once more, with the versions taken after the restart.
    let before = observe_boards(&mut con);
    drop(con);
    server.restart();
    let mut con = server.con();
    assert_same(&before, &observe_boards(&mut con));
    next_versions_follow(&mut con);
    assert_eq!(board_info(&mut con, b"gone").2, 8);
}

#[test]
fn aof_with_rdb_preamble_keeps_clues_versions_and_tombstones() {
    aof_keeps_boards("yes");
}

#[test]
fn aof_without_rdb_preamble_keeps_clues_versions_and_tombstones() {
    aof_keeps_boards("no");
}

// ---------------------------------------------------------------------------------------
// Replication
// ---------------------------------------------------------------------------------------

#[test]
fn replica_has_equal_boards_and_messages_and_ignores_refused_changes() {
    let primary = Server::start("board-primary", &[]);
    let mut con = primary.con();
    board_writes(&mut con, 1); // reaches the replica through the full sync

    let port = primary.port.to_string();
    let replica = Server::start("board-replica", &["--replicaof", "127.0.0.1", &port]);
    let mut rcon = replica.con();
    wait_until("the replica's link to come up", Duration::from_secs(10), || {
        info_field(&mut rcon, "replication", "master_link_status") == "up"
    });
    assert_eq!(ok(&mut con, &["WAIT", "1", "2000"]), Value::Int(1));
    assert_same(&observe_boards(&mut con), &observe_boards(&mut rcon));

    let mut on_primary = Subscriber::channel(&primary, b"hunt:g");
    let mut on_replica = Subscriber::channel(&replica, b"hunt:g");
    // The replica's own limits are smaller than what the primary accepts: replicated changes
    // apply regardless.
    assert_eq!(text(&ok(&mut rcon, &["CONFIG", "SET", "hunt.max-payload", "2"])), "OK");
    assert_eq!(text(&ok(&mut rcon, &["CONFIG", "SET", "hunt.max-clue-id", "1"])), "OK");

    // Changes after the sync reach the replica as their effect.
    board_writes(&mut con, 2);
    let (_, _, version) = board_info(&mut con, b"g");
    assert_eq!(ok(&mut con, &["WAIT", "1", "2000"]), Value::Int(1));
    let c2 = get_clue(&mut con, b"g", b"c2").expect("c2").version;

    // A refused IFVERSION change on the primary changes nothing anywhere.
    let stale = berr(&mut con, &[b"HUNT.PUBLISH", b"g", b"c2", b"nope", b"IFVERSION", b"1"]);
    assert_eq!(stale, format!("STALE clue c2 is at version {c2}"));
    let stale = berr(&mut con, &[b"HUNT.UNPUBLISH", b"g", b"c2", b"IFVERSION", b"0"]);
    assert!(stale.starts_with("STALE clue c2 is at version "), "{stale}");
    assert!(berr(&mut con, &[b"HUNT.PUBLISH", b"g", b"c2", b"x", b"AT", b"-1"]).starts_with("ERR "));
    assert_eq!(unpublish(&mut con, b"g", b"never"), 0);
    // Then a good one, as a marker.
    let good = int(&bok(&mut con, &[b"HUNT.PUBLISH", b"g", b"c2", b"yes", b"IFVERSION", c2.to_string().as_bytes()]));
    assert_eq!(good as u64, version + 1);
    assert_eq!(ok(&mut con, &["WAIT", "1", "2000"]), Value::Int(1));

    // The same messages on both, in the same order, ending with the marker.
    let mut primary_messages = Vec::new();
    let mut replica_messages = Vec::new();
    loop {
        let p = on_primary.board_message(b"g");
        let r = on_replica.board_message(b"g");
        let done = p.version == version + 1;
        primary_messages.push(p);
        replica_messages.push(r);
        if done {
            break;
        }
    }
    assert_eq!(primary_messages, replica_messages);
    assert_eq!(primary_messages.len(), 8, "board_writes changes g seven times, then the marker");
    assert_eq!(primary_messages.last().unwrap().payload, b"yes");

    assert_same(&observe_boards(&mut con), &observe_boards(&mut rcon));
    for board in ["g", "gone"] {
        assert_eq!(
            ok(&mut rcon, &["DEBUG", "DIGEST-VALUE", board]),
            ok(&mut con, &["DEBUG", "DIGEST-VALUE", board]),
            "{board}"
        );
        assert_eq!(board_info(&mut rcon, board.as_bytes()), board_info(&mut con, board.as_bytes()));
    }

    // The replica refuses writes.
    let refused = berr(&mut rcon, &[b"HUNT.PUBLISH", b"g", b"c2", b"x"]);
    assert!(refused.starts_with("READONLY "), "{refused}");
}

// ---------------------------------------------------------------------------------------
// Keyspace notifications
// ---------------------------------------------------------------------------------------

#[test]
fn publish_and_unpublish_fire_keyspace_notifications() {
    let server = Server::start("board-notify", &[]); // started with notify-keyspace-events KEA
    let mut con = server.con();
    let mut sub = Subscriber::pattern(&server, b"__key*@0__:*");
    publish(&mut con, b"b", b"c", b"p", None);
    unpublish(&mut con, b"b", b"c");
    // Refused and empty changes notify nothing.
    assert_eq!(unpublish(&mut con, b"b", b"c"), 0);
    assert!(berr(&mut con, &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"IFVERSION", b"9"]).starts_with("STALE"));
    assert!(berr(&mut con, &[b"HUNT.PUBLISH", b"nb", b"c", b"p", b"IFVERSION", b"9"]).starts_with("STALE"));
    ok(&mut con, &["SET", "marker", "1"]);

    // The marker's two events come last: anything the refused commands fired would come first.
    let events: Vec<(String, String)> = (0..6)
        .map(|_| {
            let (channel, data) = sub.next();
            (String::from_utf8(channel).unwrap(), String::from_utf8(data).unwrap())
        })
        .collect();
    let want = [
        ("__keyspace@0__:b", "hunt.publish"),
        ("__keyevent@0__:hunt.publish", "b"),
        ("__keyspace@0__:b", "hunt.unpublish"),
        ("__keyevent@0__:hunt.unpublish", "b"),
        ("__keyspace@0__:marker", "set"),
        ("__keyevent@0__:set", "marker"),
    ];
    let got: Vec<(&str, &str)> = events.iter().map(|(c, d)| (c.as_str(), d.as_str())).collect();
    assert_eq!(got, want);
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// Everything an error could have changed: the whole data set, and the board's history.
fn snapshot(con: &mut Connection) -> Vec<Result<Value, String>> {
    pipeline(
        con,
        &[
            cmd(&["DEBUG", "DIGEST"]),
            cmd(&["DBSIZE"]),
            cmd(&["HUNT.CLUES", "b", "SINCE", "0"]),
            cmd(&["HUNT.MAPINFO", "m"]),
            cmd(&["GET", "s"]),
        ],
    )
}

fn arity(command: &str) -> String {
    format!("ERR wrong number of arguments for '{}' command", command.to_lowercase())
}

#[test]
fn every_board_error_replies_as_documented_and_changes_nothing() {
    let server = Server::start("board-errors", &[]);
    let mut con = server.con();

    // A missing board reads as empty, and reading or failing never creates it.
    assert_eq!(get_clue(&mut con, b"nb", b"c"), None);
    assert_eq!(get_clues(&mut con, b"nb", None), (0, vec![]));
    assert_eq!(get_clues(&mut con, b"nb", Some(0)), (0, vec![]));
    assert_eq!(get_clues(&mut con, b"nb", Some(7)), (0, vec![]));
    assert_eq!(err(&mut con, &["HUNT.BOARDINFO", "nb"]), "ERR no such board");
    assert_eq!(unpublish(&mut con, b"nb", b"c"), 0);
    assert_eq!(int(&ok(&mut con, &["HUNT.UNPUBLISH", "nb", "c", "IFVERSION", "0"])), 0);
    assert_eq!(err(&mut con, &["HUNT.UNPUBLISH", "nb", "c", "IFVERSION", "3"]), "STALE clue c is at version 0");
    assert_eq!(err(&mut con, &["HUNT.PUBLISH", "nb", "c", "p", "IFVERSION", "1"]), "STALE clue c is at version 0");
    assert_eq!(
        err(&mut con, &["HUNT.PUBLISH", "nb", "c", "p", "AT", "x"]),
        "ERR node id is not an integer or out of range"
    );
    assert_eq!(ok(&mut con, &["EXISTS", "nb"]), Value::Int(0), "no failed or empty change creates a board");

    // The state the errors below must leave alone.
    publish(&mut con, b"b", b"c", b"payload", Some(4));
    publish(&mut con, b"b", b"d", b"other", None);
    unpublish(&mut con, b"b", b"d");
    ok(&mut con, &["SET", "s", "a string"]);
    add_edges(&mut con, "m", None, &[(1, 2, 3)]);
    let mut sub = Subscriber::channel(&server, b"hunt:b");
    let before = snapshot(&mut con);

    let check = |con: &mut Connection, words: &[&[u8]], want: &dyn Fn(&str) -> bool, what: &str| {
        let got = berr(con, words);
        let shown: Vec<String> =
            words.iter().map(|w| String::from_utf8_lossy(&w[..w.len().min(40)]).into_owned()).collect();
        assert!(want(&got), "{shown:?}: expected {what}, got {got:?}");
        assert_eq!(snapshot(con), before, "{shown:?} changed something");
    };
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    let is = |s: &'static str| move |got: &str| got == s;

    // WRONGTYPE, on a string key and on a map key.
    for key in [&b"s"[..], b"m"] {
        check(&mut con, &[b"HUNT.PUBLISH", key, b"c", b"p"], &is(wrongtype), "WRONGTYPE");
        check(&mut con, &[b"HUNT.PUBLISH", key, b"c", b"p", b"IFVERSION", b"0"], &is(wrongtype), "WRONGTYPE");
        check(&mut con, &[b"HUNT.UNPUBLISH", key, b"c"], &is(wrongtype), "WRONGTYPE");
        check(&mut con, &[b"HUNT.CLUE", key, b"c"], &is(wrongtype), "WRONGTYPE");
        check(&mut con, &[b"HUNT.CLUES", key], &is(wrongtype), "WRONGTYPE");
        check(&mut con, &[b"HUNT.CLUES", key, b"SINCE", b"0"], &is(wrongtype), "WRONGTYPE");
        check(&mut con, &[b"HUNT.BOARDINFO", key], &is(wrongtype), "WRONGTYPE");
        check(&mut con, &[b"HUNT.REPLAY", key, b"PUBLISH", b"c", b"9", b"-", b"p"], &is(wrongtype), "WRONGTYPE");
    }
    // And the other way round: a board is not a map.
    check(&mut con, &[b"HUNT.PATH", b"b", b"1", b"2"], &is(wrongtype), "WRONGTYPE");
    check(&mut con, &[b"HUNT.ADDEDGES", b"b", b"1", b"2", b"3"], &is(wrongtype), "WRONGTYPE");
    check(&mut con, &[b"GET", b"b"], &is(wrongtype), "WRONGTYPE");

    // Arity.
    let arity_cases: Vec<(&str, Vec<&[u8]>)> = vec![
        ("HUNT.PUBLISH", vec![]),
        ("HUNT.PUBLISH", vec![b"b"]),
        ("HUNT.PUBLISH", vec![b"b", b"c"]),
        ("HUNT.UNPUBLISH", vec![]),
        ("HUNT.UNPUBLISH", vec![b"b"]),
        ("HUNT.CLUE", vec![]),
        ("HUNT.CLUE", vec![b"b"]),
        ("HUNT.CLUE", vec![b"b", b"c", b"extra"]),
        ("HUNT.CLUES", vec![]),
        ("HUNT.BOARDINFO", vec![]),
        ("HUNT.BOARDINFO", vec![b"b", b"extra"]),
        ("HUNT.REPLAY", vec![]),
    ];
    for (name, rest) in &arity_cases {
        let mut words: Vec<&[u8]> = vec![name.as_bytes()];
        words.extend(rest);
        let want = arity(name);
        check(&mut con, &words, &|got: &str| got == want, &want);
    }

    // Bad numbers.
    let not_integer = |got: &str| got.starts_with("ERR ") && got.ends_with(" is not an integer or out of range");
    let out_of_range = |got: &str| got.starts_with("ERR ") && got.contains(" must be between 0 and ");
    check(&mut con, &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"IFVERSION", b"-1"], &out_of_range, "out of range");
    check(&mut con, &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"IFVERSION", b"abc"], &not_integer, "not an integer");
    check(&mut con, &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"IFVERSION", b"1.5"], &not_integer, "not an integer");
    check(
        &mut con,
        &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"IFVERSION", b"99999999999999999999"],
        &out_of_range,
        "out of range",
    );
    check(&mut con, &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"AT", b"-5"], &out_of_range, "out of range");
    check(&mut con, &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"AT", b"north"], &not_integer, "not an integer");
    check(&mut con, &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"AT", b"9223372036854775808"], &out_of_range, "out of range");
    check(&mut con, &[b"HUNT.UNPUBLISH", b"b", b"c", b"IFVERSION", b"-1"], &out_of_range, "out of range");
    check(&mut con, &[b"HUNT.UNPUBLISH", b"b", b"c", b"IFVERSION", b"x"], &not_integer, "not an integer");
    check(&mut con, &[b"HUNT.CLUES", b"b", b"SINCE", b"-1"], &out_of_range, "out of range");
    check(&mut con, &[b"HUNT.CLUES", b"b", b"SINCE", b"soon"], &not_integer, "not an integer");
    assert_eq!(
        berr(&mut con, &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"IFVERSION", b"-1"]),
        "ERR version must be between 0 and 9223372036854775807"
    );

    // Sizes: a clue id over 512 bytes, a payload over 64 KiB.
    let id_512 = vec![b'i'; 512];
    let id_513 = vec![b'i'; 513];
    let payload_max = vec![b'p'; 65536];
    let payload_over = vec![b'p'; 65537];
    check(&mut con, &[b"HUNT.PUBLISH", b"b", &id_513, b"p"], &is("ERR clue id is longer than 512 bytes"), "id limit");
    check(&mut con, &[b"HUNT.UNPUBLISH", b"b", &id_513], &is("ERR clue id is longer than 512 bytes"), "id limit");
    check(
        &mut con,
        &[b"HUNT.PUBLISH", b"b", b"c", &payload_over],
        &is("ERR payload is longer than 65536 bytes"),
        "payload limit",
    );
    check(
        &mut con,
        &[b"HUNT.PUBLISH", b"b", b"c", &payload_over, b"IFVERSION", b"1"],
        &is("ERR payload is longer than 65536 bytes"),
        "payload limit",
    );

    // Unknown or repeated options.
    let syntax = is("ERR syntax error");
    check(&mut con, &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"FOO"], &syntax, "syntax error");
    check(&mut con, &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"AT", b"1", b"AT", b"2"], &syntax, "syntax error");
    check(
        &mut con,
        &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"IFVERSION", b"1", b"IFVERSION", b"1"],
        &syntax,
        "syntax error",
    );
    check(&mut con, &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"AT", b"1", b"extra"], &syntax, "syntax error");
    check(&mut con, &[b"HUNT.UNPUBLISH", b"b", b"c", b"FOO"], &syntax, "syntax error");
    check(&mut con, &[b"HUNT.UNPUBLISH", b"b", b"c", b"IFVERSION", b"1", b"x"], &syntax, "syntax error");
    check(&mut con, &[b"HUNT.CLUES", b"b", b"FOO"], &syntax, "syntax error");
    check(&mut con, &[b"HUNT.CLUES", b"b", b"SINCE", b"1", b"SINCE", b"2"], &syntax, "syntax error");

    // STALE.
    check(
        &mut con,
        &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"IFVERSION", b"0"],
        &is("STALE clue c is at version 1"),
        "STALE",
    );
    check(
        &mut con,
        &[b"HUNT.PUBLISH", b"b", b"c", b"p", b"IFVERSION", b"2"],
        &is("STALE clue c is at version 1"),
        "STALE",
    );
    check(
        &mut con,
        &[b"HUNT.PUBLISH", b"b", b"d", b"p", b"IFVERSION", b"3"],
        &is("STALE clue d is at version 0"),
        "STALE",
    );
    check(&mut con, &[b"HUNT.UNPUBLISH", b"b", b"c", b"IFVERSION", b"3"], &is("STALE clue c is at version 1"), "STALE");

    // None of that published anything; the limits are exact, and configurable.
    assert_eq!(publish(&mut con, b"b", &id_512, &payload_max, None), 4);
    let (channel, data) = sub.next();
    assert_eq!(channel, b"hunt:b");
    let m = parse_message(&data);
    assert_eq!((m.version, m.id.len(), m.payload.len()), (4, 512, 65536), "the first message after the errors");

    assert_eq!(text(&ok(&mut con, &["CONFIG", "SET", "hunt.max-payload", "10"])), "OK");
    assert_eq!(err(&mut con, &["HUNT.PUBLISH", "b", "c", "eleven byte"]), "ERR payload is longer than 10 bytes");
    assert_eq!(publish(&mut con, b"b", b"c", b"ten bytes!", None), 5);
    assert_eq!(text(&ok(&mut con, &["CONFIG", "SET", "hunt.max-payload", "100000"])), "OK");
    assert_eq!(publish(&mut con, b"b", b"c", &payload_over, None), 6);
    assert_eq!(text(&ok(&mut con, &["CONFIG", "SET", "hunt.max-clue-id", "3"])), "OK");
    assert_eq!(err(&mut con, &["HUNT.PUBLISH", "b", "four", "p"]), "ERR clue id is longer than 3 bytes");
    assert_eq!(err(&mut con, &["HUNT.UNPUBLISH", "b", "four"]), "ERR clue id is longer than 3 bytes");
    assert_eq!(publish(&mut con, b"b", b"thr", b"p", None), 7);
    assert_eq!(board_info(&mut con, b"b"), (3, 1, 7));
}

#[test]
fn replay_refuses_a_version_that_is_not_newer_than_the_boards() {
    let server = Server::start("board-replay", &[]);
    let mut con = server.con();
    publish(&mut con, b"b", b"c", b"one", Some(1));
    publish(&mut con, b"b", b"d", b"two", None);
    publish(&mut con, b"b", b"c", b"three", None);
    let before = (ok(&mut con, &["DEBUG", "DIGEST-VALUE", "b"]), get_clues(&mut con, b"b", Some(0)));
    let mut sub = Subscriber::channel(&server, b"hunt:b");

    for words in [
        &["HUNT.REPLAY", "b", "PUBLISH", "c", "3", "-", "same version"][..],
        &["HUNT.REPLAY", "b", "PUBLISH", "e", "2", "7", "older"],
        &["HUNT.REPLAY", "b", "PUBLISH", "c", "1", "-", "much older"],
        &["HUNT.REPLAY", "b", "UNPUBLISH", "c", "3"],
        &["HUNT.REPLAY", "b", "UNPUBLISH", "d", "1"],
        &["HUNT.REPLAY", "b", "PUBLISH", "c", "0", "-", "zero"],
        &["HUNT.REPLAY", "b", "PUBLISH", "c", "x", "-", "not a number"],
        &["HUNT.REPLAY", "b", "REMOVE", "c", "9"],
    ] {
        let e = err(&mut con, words);
        assert!(e.starts_with("ERR ") || e.starts_with("STALE "), "{words:?}: {e}");
        assert_eq!(
            (ok(&mut con, &["DEBUG", "DIGEST-VALUE", "b"]), get_clues(&mut con, b"b", Some(0))),
            before,
            "{words:?} changed the board"
        );
    }
    // A newer version applies as given (the primary decided it), and publishes.
    assert_eq!(ok(&mut con, &["HUNT.REPLAY", "b", "PUBLISH", "c", "10", "8", "ten"]), Value::Int(10));
    let m = sub.board_message(b"b");
    assert_eq!((m.kind.as_str(), m.version, m.node, &m.payload[..]), ("publish", 10, Some(8), &b"ten"[..]));
    assert_eq!(get_clue(&mut con, b"b", b"c"), Some(Clue { version: 10, payload: b"ten".to_vec(), node: Some(8) }));
    let e = err(&mut con, &["HUNT.REPLAY", "b", "UNPUBLISH", "c", "10"]);
    assert!(e.starts_with("ERR ") || e.starts_with("STALE "), "{e}");
    assert_eq!(get_clue(&mut con, b"b", b"c").map(|c| c.version), Some(10));
    assert_eq!(get_clues(&mut con, b"b", None).0, 10);
    // Ordinary changes go on from there.
    assert_eq!(publish(&mut con, b"b", b"c", b"next", None), 11);
}

// ---------------------------------------------------------------------------------------
// NUL bytes
// ---------------------------------------------------------------------------------------

/// Clue ids, payloads and board keys are binary-safe, NUL bytes included: the change is
/// stored, published and replicated like any other. (A regression test: the module built the
/// Pub/Sub message as a C string, panicked on the NUL after the board had been changed, and
/// replied `ERR internal error in hunt (logged); nothing was changed` although the clue was
/// stored and took a version, while nothing was published or replicated.)
#[test]
fn nul_bytes_in_payloads_ids_and_board_keys_are_binary_safe() {
    let primary = Server::start("board-nul", &[]);
    let port = primary.port.to_string();
    let replica = Server::start("board-nul-replica", &["--replicaof", "127.0.0.1", &port]);
    let mut rcon = replica.con();
    wait_until("the replica's link to come up", Duration::from_secs(10), || {
        info_field(&mut rcon, "replication", "master_link_status") == "up"
    });
    let mut con = primary.con();
    let mut sub = Subscriber::channel(&primary, b"hunt:b");
    let cases: [(&[u8], &[u8], &[u8]); 3] =
        [(b"b", b"c", b"before\0after"), (b"b", b"id\0with nul", b"p"), (b"key\0with nul", b"c", b"\0")];
    for (version, (board, id, payload)) in (1u64..).zip(cases) {
        let version = if board == b"b" { version } else { 1 };
        let reply = call(&mut con, &bcmd(&[b"HUNT.PUBLISH", board, id, payload]));
        let stored = get_clue(&mut con, board, id);
        assert_eq!(
            reply,
            Ok(Value::Int(version as i64)),
            "HUNT.PUBLISH {board:?} {id:?} {payload:?} (the board now holds {stored:?})"
        );
        assert_eq!(stored, Some(Clue { version, payload: payload.to_vec(), node: None }));
        if board == b"b" {
            let m = sub.board_message(b"b");
            assert_eq!((m.version, &m.id[..], &m.payload[..]), (version, id, payload));
        }
    }
    assert_eq!(ok(&mut con, &["WAIT", "1", "2000"]), Value::Int(1));
    for board in [&b"b"[..], b"key\0with nul"] {
        assert_eq!(
            bok(&mut rcon, &[b"DEBUG", b"DIGEST-VALUE", board]),
            bok(&mut con, &[b"DEBUG", b"DIGEST-VALUE", board]),
            "the replica has {board:?}"
        );
    }
}
