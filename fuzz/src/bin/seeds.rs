//! Writes the seed corpora: real encodings for each target, so the fuzzer starts from values
//! the decoders accept and mutates inward. `seeds [corpus dir] [rome99.gr.gz]` writes
//! `<dir>/<target>/seed-*` (default `corpus` and `../data/rome99.gr.gz`, run from `fuzz/`).

use std::io::Read;
use std::path::{Path, PathBuf};

use hunt_core::board::Change;
use hunt_core::{Board, Clue, EdgeSpec, Map, codec, message};
use hunt_fuzz::session::{preset, script};

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "corpus".into()));
    let rome = PathBuf::from(args.next().unwrap_or_else(|| "../data/rome99.gr.gz".into()));
    let mut written = 0;
    let mut write = |target: &str, name: &str, bytes: &[u8]| -> Result<(), String> {
        let folder = dir.join(target);
        std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        let path = folder.join(format!("seed-{name}"));
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        written += 1;
        Ok(())
    };
    for (name, blob) in map_blobs(&rome)? {
        write("decode_map", &name, &blob)?;
    }
    for (name, board) in boards() {
        write("decode_board", &name, &codec::encode_board(&board))?;
        for (i, (id, entry)) in board.entries().enumerate() {
            let change = Change { id: id.to_vec(), version: entry.version, clue: entry.clue.clone() };
            write("message", &format!("{name}-{i}"), &message::encode(b"{hunt}:board", &change))?;
        }
    }
    write("message", "parts", b"\x03\x07\0\0\0\0\0\0\0\x2a\0\0\0\0\0\0\0\x02c1Go north")?;
    for (name, bytes) in scripts() {
        write("commands", name, &bytes)?;
    }
    println!("wrote {written} seeds under {}", dir.display());
    Ok(())
}

/// Rome (with and without landmarks), the grid presets, an empty map, a map whose landmarks
/// are stale and one with closed edges, and the Rome map in the older format 1.
fn map_blobs(rome: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let rome = rome_map(rome)?;
    let mut out = vec![
        ("rome".to_string(), codec::encode_map(&rome)),
        ("rome-v1".to_string(), format_1(&codec::encode_map(&rome))),
        ("empty".to_string(), codec::encode_map(&Map::new())),
    ];
    let mut rome_alt = rome;
    rome_alt.compute_landmarks(4);
    out.push(("rome-landmarks".into(), codec::encode_map(&rome_alt)));
    for which in 1..=3 {
        let map = preset(which).ok_or("the grid preset")?;
        out.push((format!("grid-{which}"), codec::encode_map(&map)));
    }
    let mut changed = preset(3).ok_or("the grid preset")?;
    changed.set_weights(&[EdgeSpec { from: 1, to: 2, weight: 0 }]).map_err(|e| e.to_string())?;
    changed.set_closed(&[(2, 3), (6, 7)], true).map_err(|e| e.to_string())?;
    out.push(("grid-stale-closed".into(), codec::encode_map(&changed)));
    Ok(out)
}

/// A current-format blob of a map without coordinates or landmarks, in format 1 (which ends
/// after the edge flags: no coordinate count, landmark count or landmark state).
fn format_1(blob: &[u8]) -> Vec<u8> {
    let mut old = blob[..blob.len() - 17].to_vec();
    old[8..12].copy_from_slice(&1u32.to_le_bytes());
    old
}

/// The Rome road map (DIMACS `a from to weight` lines).
fn rome_map(path: &Path) -> Result<Map, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut edges = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("a ")) {
        let numbers: Vec<u64> = line[2..].split_whitespace().filter_map(|w| w.parse().ok()).collect();
        if let [from, to, weight] = numbers[..] {
            edges.push(EdgeSpec { from, to, weight: weight as u32 });
        }
    }
    let mut map = Map::new();
    map.add_edges(&edges, 0, usize::MAX).map_err(|e| e.to_string())?;
    Ok(map)
}

/// An empty board, and one with clues on nodes, clues without, a tombstone, a binary id and a
/// larger payload.
fn boards() -> Vec<(String, Board)> {
    let mut board = Board::new();
    let clue = |payload: &[u8], node: Option<u64>| Clue { payload: payload.to_vec(), node };
    let steps: [(&[u8], Option<Clue>); 6] = [
        (b"c1", Some(clue(b"Go north", Some(42)))),
        (b"c2", Some(clue(b"", None))),
        (b"c\n\0 3", Some(clue(b"line\nbreak", Some(7)))),
        (b"c1", None),
        (b"big", Some(clue(&[b'x'; 300], Some(1)))),
        (b"c2", Some(clue(b"again", Some(16)))),
    ];
    for (id, step) in steps {
        let _ = match step {
            Some(clue) => board.publish(id, clue, None).map(Some),
            None => board.unpublish(id, None),
        };
    }
    vec![("empty".into(), Board::new()), ("clues".into(), board)]
}

/// Scripts that reach every command with valid arguments on the grid preset (ids 1..=16).
fn scripts() -> Vec<(&'static str, Vec<u8>)> {
    // Byte 0: max-batch 1000, max-nodes 100000, the grid with coordinates and landmarks.
    // Byte 1: clue id 512, payload 65536, inline budget 2 (so searches go to the "worker").
    let grid = [6 | (6 << 3) | (3 << 6), 3 | (3 << 2) | (2 << 4)];
    let empty = [6 | (6 << 3), 3 | (3 << 2) | (6 << 4)];
    vec![
        (
            "queries",
            script(
                grid,
                &[
                    ("PATH", "1 16"),
                    ("PATH", "16 1 ALGO ALT"),
                    ("PATH", "1 16 ALGO ASTAR AVOID 2 6 2"),
                    ("PATH", "4 13 MASK 1 MAXCOST 30 ALGO BIDIR"),
                    ("REACH", "6 20 LIMIT 5 MASK 1"),
                    ("REACH", "1 1000 AVOID 1 5"),
                    ("MATRIX", "FROM 2 1 2 TO 3 16 15 4"),
                    ("MAPINFO", ""),
                ],
            ),
        ),
        (
            "changes",
            script(
                grid,
                &[
                    ("SETWEIGHTS", "1 2 0 2 3 9"),
                    ("SCAN", "0 COUNT 5"),
                    ("SCAN", "15"),
                    ("CLOSE", "6 7 7 6"),
                    ("PATH", "1 16 ALGO ALT"),
                    ("LANDMARKS", "3"),
                    ("OPEN", "6 7"),
                    ("ADDEDGES", "CLASS 3 16 17 5 17 1 5"),
                    ("NODES", "17 12.4964 41.9028"),
                    ("PATH", "17 16 ALGO ASTAR"),
                    ("RELOAD", ""),
                    ("MAPINFO", ""),
                ],
            ),
        ),
        (
            "board",
            script(
                grid,
                &[
                    ("PUBLISH", "c1 hello AT 16"),
                    ("PUBLISH", "c2 world IFVERSION 0"),
                    ("PATHTOCLUE", "1 c1 ALGO ALT"),
                    ("UNPUBLISH", "c2 IFVERSION 2"),
                    ("REPLAY", "PUBLISH c3 4 5 x"),
                    ("REPLAY", "UNPUBLISH c3 5"),
                    ("CLUE", "c1"),
                    ("CLUES", "SINCE 1"),
                    ("BOARDINFO", ""),
                    ("RELOAD", ""),
                ],
            ),
        ),
        (
            "new-map",
            script(
                empty,
                &[
                    ("ADDEDGES", "1 2 3 2 3 4 3 1 5"),
                    ("NODES", "1 12.4 41.9 2 12.5 41.9 3 12.5 42"),
                    ("LANDMARKS", "2"),
                    ("PATH", "1 3"),
                    ("DEL", "m"),
                    ("MAPINFO", ""),
                ],
            ),
        ),
    ]
}
