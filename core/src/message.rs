//! The Pub/Sub message for a board change, published on channel `hunt:<board key>`.
//!
//! Format: one ASCII header line, then the raw bytes it announces:
//!
//! ```text
//! <kind> <version> <node> <key length> <id length> <payload length>\n<key><id><payload>
//! ```
//!
//! `kind` is `publish` or `unpublish`; `node` is a node id or `-` when the clue has none;
//! lengths are decimal byte counts, so keys, ids and payloads may hold any bytes (newlines
//! included). An unpublish has an empty payload. Example: board `game`, clue `c1` published
//! at version 7 on node 42 with payload `Go north` is
//! `publish 7 42 4 2 8\ngamec1Go north`.

use crate::board::Change;
use crate::error::Error;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub key: Vec<u8>,
    pub change: Change,
}

pub fn channel(board_key: &[u8]) -> Vec<u8> {
    [b"hunt:", board_key].concat()
}

pub fn encode(key: &[u8], change: &Change) -> Vec<u8> {
    let (kind, node, payload) = match &change.clue {
        Some(clue) => ("publish", clue.node.map_or("-".to_string(), |n| n.to_string()), clue.payload.as_slice()),
        None => ("unpublish", "-".to_string(), &[][..]),
    };
    let header = format!("{kind} {} {node} {} {} {}\n", change.version, key.len(), change.id.len(), payload.len());
    [header.as_bytes(), key, &change.id, payload].concat()
}

pub fn decode(message: &[u8]) -> Result<Message, Error> {
    let bad = || Error::Corrupt("not a hunt message".into());
    let newline = message.iter().position(|&b| b == b'\n').ok_or_else(bad)?;
    let header = std::str::from_utf8(&message[..newline]).map_err(|_| bad())?;
    let fields: Vec<&str> = header.split(' ').collect();
    let [kind, version, node, key_len, id_len, payload_len] = fields[..] else {
        return Err(bad());
    };
    let number = |s: &str| s.parse::<u64>().map_err(|_| bad());
    let version = number(version)?;
    let node = if node == "-" { None } else { Some(number(node)?) };
    let lens = [number(key_len)?, number(id_len)?, number(payload_len)?];
    let body = &message[newline + 1..];
    if lens.iter().map(|&l| l as u128).sum::<u128>() != body.len() as u128 {
        return Err(bad());
    }
    let (key, rest) = body.split_at(lens[0] as usize);
    let (id, payload) = rest.split_at(lens[1] as usize);
    let clue = match kind {
        "publish" => Some(crate::board::Clue { payload: payload.to_vec(), node }),
        "unpublish" if payload.is_empty() && node.is_none() => None,
        _ => return Err(bad()),
    };
    Ok(Message { key: key.to_vec(), change: Change { id: id.to_vec(), version, clue } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::Clue;

    #[test]
    fn the_documented_example_encodes_as_shown() {
        let change = Change {
            id: b"c1".to_vec(),
            version: 7,
            clue: Some(Clue { payload: b"Go north".to_vec(), node: Some(42) }),
        };
        assert_eq!(encode(b"game", &change), b"publish 7 42 4 2 8\ngamec1Go north");
    }

    #[test]
    fn any_bytes_round_trip() {
        let id = b"a\nb \x00".to_vec();
        for clue in [
            None,
            Some(Clue { payload: b"\n\n 5 5\n".to_vec(), node: None }),
            Some(Clue { payload: vec![], node: Some(u64::MAX >> 1) }),
        ] {
            let change = Change { id: id.clone(), version: 3, clue };
            let message = encode(b"k\ney", &change);
            assert_eq!(decode(&message), Ok(Message { key: b"k\ney".to_vec(), change }));
        }
        assert!(decode(b"publish 1 - 1 1 1\nab").is_err());
        assert!(decode(b"unpublish 1 - 0 0 1\nx").is_err());
        assert!(decode(b"publish 1 - 99999999999999999999 0 0\n").is_err());
    }
}
