//! What each fuzz target checks on one input. The targets in `fuzz_targets/` call these, and
//! so does `core/tests/fuzz_regressions.rs`, which feeds them every saved input without
//! libFuzzer: a crash found once stays a test.

use hunt_core::board::Change;
use hunt_core::{Clue, Map, codec, message};

use crate::alloc;
use crate::session::{self, Session};

/// What decoding may hold at once, by the blob's length: the arrays themselves, the id index,
/// the backward arrays, and at most 64 landmarks of two `u32` costs per node (a node takes at
/// least 12 bytes of blob). Beyond that a forged count is making the decoder allocate.
fn decode_allowance(len: usize) -> usize {
    100 * len + (256 << 10)
}

/// `commands`: a script of commands on one map and one board (see `session.rs`).
pub fn commands(data: &[u8]) {
    session::run(data);
}

/// `decode_map`: any bytes as a map blob. A decoded map re-encodes to a blob that decodes to
/// the same map (byte for byte, once in the current format), answers searches like Dijkstra,
/// and survives a change; decoding never holds more than `decode_allowance`.
pub fn decode_map(data: &[u8]) {
    let (decoded, peak) = alloc::peak_of(|| codec::decode_map(data));
    assert!(peak <= decode_allowance(data.len()), "decoding {} bytes held {peak} bytes", data.len());
    let Ok(map) = decoded else { return };
    let blob = codec::encode_map(&map);
    if data.get(8..12) == Some(&codec::MAP_FORMAT.to_le_bytes()) {
        assert!(blob == data, "a current-format map blob re-encodes differently");
    }
    let back = codec::decode_map(&blob).expect("a re-encoded map decodes");
    assert!(codec::encode_map(&back) == blob, "a map changed through a second save and load");
    exercise_map(map);
}

/// Paths between a few nodes through the session (every method against the oracle), a reach
/// set, a weight change and a reload.
fn exercise_map(map: Map) {
    let n = map.node_count();
    if n == 0 {
        return;
    }
    let id = |i: usize| map.id(i as hunt_core::Node).to_string().into_bytes();
    let (a, b, c) = (id(0), id(n - 1), id(n / 2));
    let first_edge = (0..n as hunt_core::Node).find(|&u| map.edges(u).len() > 0).map(|u| {
        let e = map.edges(u).start;
        (map.id(u).to_string().into_bytes(), map.id(map.head(e)).to_string().into_bytes())
    });
    let mut session = Session::with_state(Some(map), None);
    for (from, to) in [(&a, &b), (&b, &a), (&c, &a)] {
        let _ = session.execute("PATH", &[from, to]);
    }
    let _ = session.execute("REACH", &[&a, b"LIMIT", b"8"]);
    if let Some((from, to)) = first_edge {
        let _ = session.execute("SETWEIGHTS", &[&from, &to, b"1"]);
        let _ = session.execute("PATH", &[&a, &to]);
    }
    let _ = session.execute("RELOAD", &[]);
}

/// `decode_board`: any bytes as a board blob. A decoded board re-encodes to a blob that decodes
/// to the same board, its versions fit the replies, and it takes a publish and an unpublish
/// like any other board; decoding never holds more than `decode_allowance`.
pub fn decode_board(data: &[u8]) {
    let (decoded, peak) = alloc::peak_of(|| codec::decode_board(data));
    assert!(peak <= decode_allowance(data.len()), "decoding {} bytes held {peak} bytes", data.len());
    let Ok(board) = decoded else { return };
    session::check_board(&board);
    let first = board.entries().next().map(|(id, _)| id.to_vec());
    let mut session = Session::with_state(None, Some(board));
    let _ = session.execute("PUBLISH", &[b"fuzz", b"payload"]);
    if let Some(id) = first {
        let _ = session.execute("UNPUBLISH", &[&id]);
        let _ = session.execute("PUBLISH", &[&id, b"again", b"AT", b"1"]);
    }
    let _ = session.execute("RELOAD", &[]);
}

/// `message`: the input both as a message to decode (what decodes must re-encode and decode to
/// itself) and as the parts of a change to encode (which must decode to exactly those parts).
pub fn message(data: &[u8]) {
    if let Ok(decoded) = message::decode(data) {
        let again = message::encode(&decoded.key, &decoded.change);
        assert_eq!(message::decode(&again).as_ref(), Ok(&decoded), "a decoded message re-encodes differently");
    }
    let change = change_from(data);
    let key = data.get(..data.len().min(3)).unwrap_or_default();
    let text = message::encode(key, &change);
    let back = message::decode(&text).expect("an encoded message decodes");
    assert_eq!((back.key.as_slice(), &back.change), (key, &change), "message round trip");
    assert_eq!(message::channel(key), [b"hunt:", key].concat());
}

/// A change built from bytes: byte 0 chooses publish or unpublish and whether there is a node,
/// bytes 1..9 the version, 9..17 the node, then the id and payload split at byte 17's value.
fn change_from(data: &[u8]) -> Change {
    let word = |at: usize| {
        let mut raw = [0u8; 8];
        for (i, b) in data.iter().skip(at).take(8).enumerate() {
            raw[i] = *b;
        }
        u64::from_le_bytes(raw)
    };
    let flags = data.first().copied().unwrap_or(0);
    let rest = data.get(18..).unwrap_or_default();
    let split = (data.get(17).copied().unwrap_or(0) as usize).min(rest.len());
    let (id, payload) = rest.split_at(split);
    let node = (flags & 2 != 0).then(|| word(9));
    let clue = (flags & 1 != 0).then(|| Clue { payload: payload.to_vec(), node });
    Change { id: id.to_vec(), version: word(1), clue }
}

/// Runs the check of the target `name` (a folder name under `fuzz/regressions/`).
pub fn by_name(name: &str) -> Option<fn(&[u8])> {
    Some(match name {
        "commands" => commands,
        "decode_map" => decode_map,
        "decode_board" => decode_board,
        "message" => message,
        _ => return None,
    })
}
