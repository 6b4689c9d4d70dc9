//! The persisted form of a map: one self-describing blob, used by RDB, AOF rewrite and
//! `DEBUG DIGEST`. Arrays are stored whole, little-endian, so saving and loading NY is a few
//! copies of memory rather than a million calls. Decoding checks every length against the
//! blob before allocating, so a forged count cannot make it allocate without bound.

use crate::board::{Board, Clue, Entry};
use crate::error::Error;
use crate::map::{Map, Parts};

const MAGIC: &[u8; 8] = b"HUNTMAP\0";
/// Bump when the layout changes; decoding keeps accepting every older format it knows.
/// 1: nodes and edges. 2: also coordinates, landmark nodes and whether they are stale.
pub const MAP_FORMAT: u32 = 2;
const HEADER: usize = 8 + 4 + 8 + 8 + 8;

pub fn encode_map(map: &Map) -> Vec<u8> {
    let (ids, first, head, weight, flags, points, landmarks, version) = map.parts_ref();
    let (n, m) = (ids.len(), head.len());
    let mut out = Vec::with_capacity(HEADER + n * 12 + 4 + m * 9);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&MAP_FORMAT.to_le_bytes());
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(n as u64).to_le_bytes());
    out.extend_from_slice(&(m as u64).to_le_bytes());
    ids.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    if n > 0 {
        first.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    }
    head.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    weight.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    out.extend_from_slice(flags);
    out.extend_from_slice(&(points.len() as u64).to_le_bytes());
    points.iter().flatten().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    let (landmarks, stale) = landmarks;
    out.extend_from_slice(&(landmarks.len() as u64).to_le_bytes());
    landmarks.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    out.push(u8::from(stale));
    out
}

pub fn decode_map(blob: &[u8]) -> Result<Map, Error> {
    let mut r = Reader { blob, pos: 0 };
    if r.take(8)? != MAGIC {
        return Err(corrupt("not a hunt map"));
    }
    let format = u32::from_le_bytes(r.array()?);
    if format == 0 || format > MAP_FORMAT {
        return Err(corrupt(&format!("unknown map format {format} (this hunt reads 1 to {MAP_FORMAT})")));
    }
    let version = u64::from_le_bytes(r.array()?);
    let n = u64::from_le_bytes(r.array()?);
    let m = u64::from_le_bytes(r.array()?);
    // In u128: a forged count near u64::MAX must not overflow (found by the decode_map fuzzer).
    let offsets = if n > 0 { n as u128 + 1 } else { 0 };
    let expected = (n as u128) * 8 + offsets * 4 + (m as u128) * 9;
    let available = (blob.len() - HEADER) as u128;
    if (format == 1 && expected != available) || expected > available {
        return Err(corrupt("array lengths do not match the payload size"));
    }
    let (n, m, offsets) = (n as usize, m as usize, offsets as usize);
    let ids = r.take(n * 8)?.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
    let first = r.u32s(offsets)?;
    let head = r.u32s(m)?;
    let weight = r.u32s(m)?;
    let flags = r.take(m)?.to_vec();
    let (mut points, mut landmarks, mut landmarks_stale) = (Vec::new(), Vec::new(), false);
    if format >= 2 {
        let count = u64::from_le_bytes(r.array()?);
        if count != 0 && count != n as u64 {
            return Err(corrupt("coordinates do not match the nodes"));
        }
        let floats = r.u32s(count as usize * 3)?;
        points = floats
            .chunks_exact(3)
            .map(|c| [f32::from_bits(c[0]), f32::from_bits(c[1]), f32::from_bits(c[2])])
            .collect();
        let count = u64::from_le_bytes(r.array()?);
        if count > n as u64 {
            return Err(corrupt("more landmarks than nodes"));
        }
        landmarks = r.u32s(count as usize)?;
        landmarks_stale = match r.array()? {
            [0] => false,
            [1] => true,
            _ => return Err(corrupt("bad landmark state")),
        };
    }
    if r.pos != blob.len() {
        return Err(corrupt("trailing bytes after the map"));
    }
    Map::from_parts(Parts { ids, first, head, weight, flags, points, landmarks, landmarks_stale, version })
}

const BOARD_MAGIC: &[u8; 8] = b"HUNTBRD\0";
pub const BOARD_FORMAT: u32 = 1;

/// A board: header, then each entry (tombstones too) in version order:
/// `id length u32, id, version u64, state u8 (0 removed, 1 clue, 2 clue with node),
/// [node u64], [payload length u32, payload]`.
pub fn encode_board(board: &Board) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(BOARD_MAGIC);
    out.extend_from_slice(&BOARD_FORMAT.to_le_bytes());
    out.extend_from_slice(&board.version().to_le_bytes());
    out.extend_from_slice(&((board.len() + board.removed()) as u64).to_le_bytes());
    for (id, entry) in board.entries() {
        out.extend_from_slice(&(id.len() as u32).to_le_bytes());
        out.extend_from_slice(id);
        out.extend_from_slice(&entry.version.to_le_bytes());
        match &entry.clue {
            None => out.push(0),
            Some(clue) => {
                match clue.node {
                    None => out.push(1),
                    Some(node) => {
                        out.push(2);
                        out.extend_from_slice(&node.to_le_bytes());
                    }
                }
                out.extend_from_slice(&(clue.payload.len() as u32).to_le_bytes());
                out.extend_from_slice(&clue.payload);
            }
        }
    }
    out
}

pub fn decode_board(blob: &[u8]) -> Result<Board, Error> {
    let mut r = Reader { blob, pos: 0 };
    if r.take(8)? != BOARD_MAGIC {
        return Err(corrupt("not a hunt board"));
    }
    let format = u32::from_le_bytes(r.array()?);
    if format != BOARD_FORMAT {
        return Err(corrupt(&format!("unknown board format {format} (this hunt reads {BOARD_FORMAT})")));
    }
    let version = u64::from_le_bytes(r.array()?);
    let count = u64::from_le_bytes(r.array()?);
    let mut entries = Vec::new();
    for _ in 0..count {
        // Each entry takes at least 13 bytes, so a forged count runs out of blob quickly.
        let id_len = u32::from_le_bytes(r.array()?) as usize;
        let id = r.take(id_len)?.to_vec();
        let entry_version = u64::from_le_bytes(r.array()?);
        let [state] = r.array()?;
        let clue = match state {
            0 => None,
            1 | 2 => {
                let node = if state == 2 { Some(u64::from_le_bytes(r.array()?)) } else { None };
                if node.is_some_and(|n| n > crate::map::MAX_NODE_ID) {
                    return Err(corrupt("clue node out of range"));
                }
                let len = u32::from_le_bytes(r.array()?) as usize;
                Some(Clue { payload: r.take(len)?.to_vec(), node })
            }
            _ => return Err(corrupt("unknown clue state")),
        };
        entries.push((id, Entry { version: entry_version, clue }));
    }
    if r.pos != blob.len() {
        return Err(corrupt("trailing bytes after the last clue"));
    }
    Board::from_entries(version, entries)
}

fn corrupt(why: &str) -> Error {
    Error::Corrupt(why.to_string())
}

struct Reader<'a> {
    blob: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], Error> {
        let end =
            self.pos.checked_add(len).filter(|&end| end <= self.blob.len()).ok_or_else(|| corrupt("truncated"))?;
        let bytes = &self.blob[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u32s(&mut self, count: usize) -> Result<Vec<u32>, Error> {
        let bytes = self.take(count * 4)?;
        Ok(bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::EdgeSpec;

    fn sample() -> Map {
        let mut map = Map::new();
        let edges = [(1, 2, 3), (2, 3, 4), (3, 1, 0), (1 << 62, 1, 9)];
        let edges: Vec<EdgeSpec> = edges.iter().map(|&(from, to, weight)| EdgeSpec { from, to, weight }).collect();
        map.add_edges(&edges, 3, usize::MAX).unwrap();
        map.set_closed(&[(2, 3)], true).unwrap();
        map
    }

    #[test]
    fn encode_then_decode_gives_the_same_blob() {
        let blob = encode_map(&sample());
        let back = decode_map(&blob).unwrap();
        assert_eq!(encode_map(&back), blob);
        assert_eq!(back.version(), 2);
        assert_eq!(encode_map(&decode_map(&encode_map(&Map::new())).unwrap()), encode_map(&Map::new()));
    }

    #[test]
    fn every_truncation_and_byte_flip_is_an_error_or_a_valid_map() {
        let blob = encode_map(&sample());
        for len in 0..blob.len() {
            assert!(decode_map(&blob[..len]).is_err());
        }
        for pos in 0..blob.len() {
            for bit in 0..8 {
                let mut bad = blob.clone();
                bad[pos] ^= 1 << bit;
                if let Ok(map) = decode_map(&bad) {
                    // Whatever decoded must be searchable without a panic.
                    let mut search = crate::search::Search::new();
                    for s in 0..map.node_count() as u32 {
                        search.path(&map, s, 0, &Default::default());
                    }
                }
            }
        }
    }

    #[test]
    fn boards_round_trip_and_reject_every_truncation() {
        let mut board = Board::new();
        board.publish(b"a\n", Clue { payload: b"x".to_vec(), node: Some(3) }, None).unwrap();
        board.publish(b"b", Clue { payload: vec![], node: None }, None).unwrap();
        board.unpublish(b"a\n", None).unwrap();
        board.publish(b"c", Clue { payload: vec![0; 300], node: None }, None).unwrap();
        let blob = encode_board(&board);
        assert_eq!(decode_board(&blob).unwrap(), board);
        for len in 0..blob.len() {
            assert!(decode_board(&blob[..len]).is_err());
        }
        for pos in 0..blob.len() {
            let mut bad = blob.clone();
            bad[pos] ^= 0x41;
            let _ = decode_board(&bad);
        }
    }

    #[test]
    fn landmarks_keep_their_state_through_the_codec() {
        let mut map = sample();
        map.compute_landmarks(2);
        assert_eq!(decode_map(&encode_map(&map)).unwrap().landmark_info(), (2, true));
        map.set_weights(&[EdgeSpec { from: 1, to: 2, weight: 0 }]).unwrap(); // a decrease
        let back = decode_map(&encode_map(&map)).unwrap();
        assert_eq!(back.landmark_info(), (2, false));
        assert_eq!(encode_map(&back), encode_map(&map));
    }

    #[test]
    fn forged_landmark_counts_and_versions_are_rejected() {
        // Found by the decode_map fuzzer: every node a landmark made loading quadratic.
        let mut map = Map::new();
        let chain: Vec<EdgeSpec> = (0..100).map(|k| EdgeSpec { from: k, to: k + 1, weight: 1 }).collect();
        map.add_edges(&chain, 0, usize::MAX).unwrap();
        let blob = encode_map(&map);
        let mut forged = blob[..blob.len() - 9].to_vec();
        forged.extend_from_slice(&101u64.to_le_bytes());
        (0..101u32).for_each(|l| forged.extend_from_slice(&l.to_le_bytes()));
        forged.push(0);
        assert!(matches!(decode_map(&forged), Err(Error::Corrupt(why)) if why.contains("landmarks")));
        let mut old = blob.clone();
        old[12..20].copy_from_slice(&(1u64 << 63).to_le_bytes());
        assert!(decode_map(&old).is_err(), "a version past i64::MAX");
    }

    #[test]
    fn a_forged_count_is_rejected_without_allocating() {
        let mut blob = encode_map(&sample());
        blob[20..28].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
        assert!(decode_map(&blob).is_err());
    }
}
