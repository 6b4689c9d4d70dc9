//! Reading road maps from files and streaming them into a hunt map. The binary `hunt-load`
//! is a command line over this; tests and benches use the same reader.
//!
//! Formats, chosen by file name (a trailing `.gz` means gzip):
//! - DIMACS `.gr`: `c` comments, one `p sp N M` line, then `a from to weight` arcs.
//! - CSV `.csv`: `from,to,weight` lines; a first line that is not numeric is a header.
//!
//! A pair given more than once keeps its smallest weight (the DIMACS files have such
//! parallel arcs; the cheapest is the one a shortest path would use).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use hunt_core::EdgeSpec;

pub use hunt_core::EdgeSpec as Edge;

fn open(path: &Path) -> io::Result<Box<dyn BufRead>> {
    let file = File::open(path)?;
    let raw: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    Ok(Box::new(BufReader::with_capacity(1 << 20, raw)))
}

fn invalid(path: &Path, line: usize, why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{}:{line}: {why}", path.display()))
}

fn is_csv(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    name.ends_with(".csv") || name.ends_with(".csv.gz")
}

/// Reads a map file (DIMACS or CSV, plain or gzip) into its edges, parallel arcs merged.
pub fn read_edges(path: &Path) -> io::Result<Vec<EdgeSpec>> {
    let csv = is_csv(path);
    let mut edges: Vec<EdgeSpec> = Vec::new();
    let mut index: HashMap<(u64, u64), usize> = HashMap::new();
    let mut line = String::new();
    let mut reader = open(path)?;
    let mut number = 0;
    while {
        line.clear();
        reader.read_line(&mut line)? > 0
    } {
        number += 1;
        let text = line.trim();
        let fields: Vec<&str> = if csv {
            text.split(',').map(str::trim).collect()
        } else {
            match text.split_whitespace().collect::<Vec<_>>() {
                f if f.first() == Some(&"a") => f[1..].to_vec(),
                f if f.is_empty() || matches!(f[0], "c" | "p") => continue,
                _ => return Err(invalid(path, number, "expected a `c`, `p` or `a` line")),
            }
        };
        if text.is_empty() {
            continue;
        }
        let parsed = match fields.as_slice() {
            [from, to, weight] => (from.parse::<u64>(), to.parse::<u64>(), weight.parse::<u32>()),
            _ => return Err(invalid(path, number, "expected three fields: from, to, weight")),
        };
        let edge = match parsed {
            (Ok(from), Ok(to), Ok(weight)) => EdgeSpec { from, to, weight },
            _ if csv && number == 1 => continue, // a header line
            _ => return Err(invalid(path, number, "from and to must be node ids, weight a 32-bit unsigned integer")),
        };
        match index.get(&(edge.from, edge.to)) {
            Some(&k) => edges[k] = EdgeSpec { weight: edges[k].weight.min(edge.weight), ..edge },
            None => {
                index.insert((edge.from, edge.to), edges.len());
                edges.push(edge);
            }
        }
    }
    Ok(edges)
}

/// Reads a DIMACS coordinate file (`.co`, plain or gzip): `v id x y` lines with longitude and
/// latitude in millionths of a degree. Returns (id, longitude, latitude) in degrees.
pub fn read_coordinates(path: &Path) -> io::Result<Vec<(u64, f64, f64)>> {
    let mut nodes = Vec::new();
    let mut reader = open(path)?;
    let mut line = String::new();
    let mut number = 0;
    while {
        line.clear();
        reader.read_line(&mut line)? > 0
    } {
        number += 1;
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [] | ["c", ..] | ["p", ..] => continue,
            ["v", id, x, y] => match (id.parse::<u64>(), x.parse::<i64>(), y.parse::<i64>()) {
                (Ok(id), Ok(x), Ok(y)) => nodes.push((id, x as f64 / 1e6, y as f64 / 1e6)),
                _ => return Err(invalid(path, number, "expected `v id x y` with integers")),
            },
            _ => return Err(invalid(path, number, "expected a `c`, `p` or `v` line")),
        }
    }
    Ok(nodes)
}

/// Sends coordinates as pipelined `HUNT.NODES` calls of `batch` nodes each.
pub fn send_coordinates(
    con: &mut redis::Connection,
    key: &str,
    nodes: &[(u64, f64, f64)],
    batch: usize,
) -> redis::RedisResult<()> {
    for window in nodes.chunks(batch.max(1) * 8) {
        let mut pipe = redis::pipe();
        for chunk in window.chunks(batch.max(1)) {
            let cmd = pipe.cmd("HUNT.NODES").arg(key);
            for &(id, lon, lat) in chunk {
                cmd.arg(id).arg(lon).arg(lat);
            }
        }
        let _: Vec<u64> = pipe.query(con)?;
    }
    Ok(())
}

/// Sends edges to `key` as `HUNT.ADDEDGES` calls of `batch` edges each, pipelined, and
/// returns how many edges were new. `progress` is told how many edges have been sent so far.
pub fn send(
    con: &mut redis::Connection,
    key: &str,
    edges: &[EdgeSpec],
    batch: usize,
    mut progress: impl FnMut(usize),
) -> redis::RedisResult<u64> {
    const WINDOW: usize = 8; // calls in flight at once
    let mut added = 0;
    let mut sent = 0;
    for window in edges.chunks(batch.max(1) * WINDOW) {
        let mut pipe = redis::pipe();
        for chunk in window.chunks(batch.max(1)) {
            let cmd = pipe.cmd("HUNT.ADDEDGES").arg(key);
            for e in chunk {
                cmd.arg(e.from).arg(e.to).arg(e.weight);
            }
        }
        let replies: Vec<u64> = pipe.query(con)?;
        added += replies.iter().sum::<u64>();
        sent += window.len();
        progress(sent);
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimacs_parallel_arcs_keep_the_smallest_weight() {
        let dir = std::env::temp_dir().join(format!("hunt-load-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let gr = dir.join("tiny.gr");
        std::fs::write(&gr, "c tiny\np sp 3 4\na 1 2 5\na 1 2 3\na 2 3 4\n\na 1 2 9\n").unwrap();
        let edges = read_edges(&gr).unwrap();
        assert_eq!(edges, vec![EdgeSpec { from: 1, to: 2, weight: 3 }, EdgeSpec { from: 2, to: 3, weight: 4 }]);
        let csv = dir.join("tiny.csv");
        std::fs::write(&csv, "from,to,weight\n7,8,1\n8,7,2\n").unwrap();
        assert_eq!(read_edges(&csv).unwrap().len(), 2);
        std::fs::write(&gr, "a 1 2 x\n").unwrap();
        assert!(read_edges(&gr).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_the_bundled_rome_map() {
        let rome = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/rome99.gr.gz");
        let edges = read_edges(&rome).unwrap();
        assert_eq!(edges.len(), 8870 - 11);
    }
}
