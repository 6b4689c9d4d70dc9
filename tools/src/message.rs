//! The hunt Pub/Sub message, read the way a client would (see `core/src/message.rs`):
//!
//! ```text
//! <kind> <version> <node> <key length> <id length> <payload length>\n<key><id><payload>
//! ```
//!
//! Written here on its own, from the documented format, so the load run checks the wire format
//! rather than reusing the server's code; a test compares it with the project's encoder.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Publish,
    Unpublish,
}

#[derive(Debug, PartialEq, Eq)]
pub struct HuntMessage<'a> {
    pub kind: Kind,
    pub version: u64,
    pub node: Option<u64>,
    pub key: &'a [u8],
    pub id: &'a [u8],
    pub payload: &'a [u8],
}

fn number(field: &[u8]) -> Result<u64, &'static str> {
    if field.is_empty() || field.len() > 20 || !field.iter().all(u8::is_ascii_digit) {
        return Err("a header number is not decimal");
    }
    let text = std::str::from_utf8(field).map_err(|_| "a header number is not decimal")?;
    text.parse().map_err(|_| "a header number is out of range")
}

pub fn parse(message: &[u8]) -> Result<HuntMessage<'_>, &'static str> {
    let newline = message.iter().position(|&b| b == b'\n').ok_or("no header line")?;
    let mut fields = message[..newline].split(|&b| b == b' ');
    let mut field = || fields.next().ok_or("too few header fields");
    let kind = match field()? {
        b"publish" => Kind::Publish,
        b"unpublish" => Kind::Unpublish,
        _ => return Err("unknown kind"),
    };
    let version = number(field()?)?;
    let node = match field()? {
        b"-" => None,
        n => Some(number(n)?),
    };
    let key_len = number(field()?)?;
    let id_len = number(field()?)?;
    let payload_len = number(field()?)?;
    if fields.next().is_some() {
        return Err("too many header fields");
    }
    let body = &message[newline + 1..];
    let total = key_len.checked_add(id_len).and_then(|n| n.checked_add(payload_len));
    if total != Some(body.len() as u64) {
        return Err("the lengths do not add up to the body");
    }
    let (key, rest) = body.split_at(key_len as usize);
    let (id, payload) = rest.split_at(id_len as usize);
    if kind == Kind::Unpublish && (!payload.is_empty() || node.is_some()) {
        return Err("an unpublish with a payload or a node");
    }
    Ok(HuntMessage { kind, version, node, key, id, payload })
}

/// The benchmark payload: `<sequence> <send time in ns> ` padded with `.` to `size` bytes.
pub fn bench_payload(seq: u64, sent_ns: u64, size: usize) -> Option<Vec<u8>> {
    let mut payload = format!("{seq} {sent_ns} ").into_bytes();
    if payload.len() > size {
        return None;
    }
    payload.resize(size, b'.');
    Some(payload)
}

/// The sequence number and send time from a benchmark payload.
pub fn read_bench_payload(payload: &[u8]) -> Option<(u64, u64)> {
    let mut parts = payload.splitn(3, |&b| b == b' ');
    let seq = number(parts.next()?).ok()?;
    let sent = number(parts.next()?).ok()?;
    Some((seq, sent))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hunt_core::board::{Change, Clue};
    use hunt_core::message::encode;

    #[test]
    fn the_documented_example() {
        let m = parse(b"publish 7 42 4 2 8\ngamec1Go north").unwrap();
        assert_eq!(
            m,
            HuntMessage {
                kind: Kind::Publish,
                version: 7,
                node: Some(42),
                key: b"game",
                id: b"c1",
                payload: b"Go north"
            }
        );
    }

    #[test]
    fn reads_what_the_project_encodes() {
        let cases = [
            (b"k\ney".to_vec(), b"a b\n".to_vec(), Some(Clue { payload: b"\n 1 2 3\n".to_vec(), node: None })),
            (b"game".to_vec(), b"c1".to_vec(), Some(Clue { payload: vec![], node: Some(u64::MAX >> 1) })),
            (b"game".to_vec(), b"c1".to_vec(), None),
        ];
        for (key, id, clue) in cases {
            let change = Change { id: id.clone(), version: 99, clue: clue.clone() };
            let wire = encode(&key, &change);
            let m = parse(&wire).unwrap();
            assert_eq!((m.key, m.id, m.version), (&key[..], &id[..], 99));
            match clue {
                Some(c) => assert_eq!((m.kind, m.payload, m.node), (Kind::Publish, &c.payload[..], c.node)),
                None => assert_eq!((m.kind, m.payload, m.node), (Kind::Unpublish, &b""[..], None)),
            }
        }
    }

    #[test]
    fn refuses_broken_messages() {
        for bad in [
            &b"publish 1 - 1 1 1\nab"[..],
            b"unpublish 1 - 0 0 1\nx",
            b"publish 1 - 99999999999999999999 0 0\n",
            b"publish 1 - 18446744073709551615 1 0\nab",
            b"publish x - 0 0 0\n",
            b"publish 1 - 0 0 0 0\n",
            b"publish 1 - 0 0\n",
            b"publish 1 - 0 0 0",
            b"shout 1 - 0 0 0\n",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn bench_payloads_round_trip_at_the_exact_size() {
        let p = bench_payload(1200, 61_234_567_890, 64).unwrap();
        assert_eq!(p.len(), 64);
        assert_eq!(read_bench_payload(&p), Some((1200, 61_234_567_890)));
        assert_eq!(bench_payload(1, 1, 3), None);
    }
}
