//! The arguments of each HUNT command, parsed into typed requests. Arguments start after the
//! key (or keys); the Redis layer strips the command name and keys.

use crate::args::Args;
use crate::error::Error;
use crate::map::{ALL_CLASSES, Cost, EdgeSpec, MAX_CLASS, MAX_LANDMARKS, Map, NodeId};
use crate::search::{Algo, Query};

/// `HUNT.ADDEDGES map [CLASS c] from to weight [from to weight ...]`
#[derive(Debug, PartialEq)]
pub struct AddEdges {
    pub class: u8,
    pub edges: Vec<EdgeSpec>,
}

pub fn add_edges(raw: &[&[u8]], max_batch: usize) -> Result<AddEdges, Error> {
    let mut args = Args::new(raw);
    let class = if args.keyword("CLASS") { args.int("class", 0, MAX_CLASS as u64)? as u8 } else { 0 };
    Ok(AddEdges { class, edges: edge_list(&mut args, max_batch)? })
}

/// `from to weight` triples up to the end of the arguments.
pub fn edge_list(args: &mut Args, max_batch: usize) -> Result<Vec<EdgeSpec>, Error> {
    let mut edges = Vec::with_capacity(args.batch(3, max_batch)?);
    while !args.is_empty() {
        edges.push(EdgeSpec { from: args.node_id()?, to: args.node_id()?, weight: args.weight()? });
    }
    Ok(edges)
}

/// The options every query takes: `MASK m`, `AVOID count node ...`, `MAXCOST c`.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub mask: u16,
    pub avoid: Vec<NodeId>,
    pub max_cost: Cost,
    /// `ALGO name`: the path method (paths only; other queries ignore it).
    pub algo: Algo,
}

impl Default for Options {
    fn default() -> Options {
        Options { mask: ALL_CLASSES, avoid: Vec::new(), max_cost: Cost::MAX, algo: Algo::Auto }
    }
}

impl Options {
    /// Reads options until the arguments end. Each may be given once.
    pub fn parse(args: &mut Args) -> Result<Options, Error> {
        let mut options = Options::default();
        let mut seen = [false; 4];
        while !args.is_empty() {
            let which = if args.keyword("MASK") {
                options.mask = args.int("mask", 0, u16::MAX as u64)? as u16;
                0
            } else if args.keyword("AVOID") {
                let count = args.count("avoid count", 1)?;
                options.avoid = (0..count).map(|_| args.node_id()).collect::<Result<_, _>>()?;
                1
            } else if args.keyword("MAXCOST") {
                options.max_cost = args.cost("maxcost")?;
                2
            } else if args.keyword("ALGO") {
                options.algo = Algo::parse(args.next()?).ok_or(Error::UnknownAlgo)?;
                3
            } else {
                return Err(Error::Syntax);
            };
            if std::mem::replace(&mut seen[which], true) {
                return Err(Error::Syntax);
            }
        }
        Ok(options)
    }

    /// The search query for a map: avoided ids that are not in the map cannot be entered
    /// anyway and are dropped.
    pub fn query(&self, map: &Map) -> Query {
        Query {
            mask: self.mask,
            avoid: self.avoid.iter().filter_map(|&id| map.node(id)).collect(),
            max_cost: self.max_cost,
        }
    }
}

/// `HUNT.PATH map from to [options]`
#[derive(Debug, PartialEq)]
pub struct Path {
    pub from: NodeId,
    pub to: NodeId,
    pub options: Options,
}

pub fn path(raw: &[&[u8]]) -> Result<Path, Error> {
    let mut args = Args::new(raw);
    let from = args.node_id()?;
    let to = args.node_id()?;
    Ok(Path { from, to, options: Options::parse(&mut args)? })
}

/// Size limits for clues, from the module configuration.
#[derive(Clone, Copy, Debug)]
pub struct ClueLimits {
    pub max_id: usize,
    pub max_payload: usize,
}

impl ClueLimits {
    pub const NONE: ClueLimits = ClueLimits { max_id: usize::MAX, max_payload: usize::MAX };

    fn id<'a>(&self, args: &mut Args<'a>) -> Result<&'a [u8], Error> {
        let id = args.next()?;
        if id.len() > self.max_id {
            return Err(Error::TooLong { what: "clue id", limit: self.max_id });
        }
        Ok(id)
    }
}

fn if_version(args: &mut Args) -> Result<Option<u64>, Error> {
    Ok(if args.keyword("IFVERSION") { Some(args.cost("version")?) } else { None })
}

/// `HUNT.PUBLISH board clue payload [AT node] [IFVERSION v]`
#[derive(Debug, PartialEq)]
pub struct Publish<'a> {
    pub id: &'a [u8],
    pub payload: &'a [u8],
    pub node: Option<NodeId>,
    pub expected: Option<u64>,
}

pub fn publish<'a>(raw: &'a [&'a [u8]], limits: ClueLimits) -> Result<Publish<'a>, Error> {
    let mut args = Args::new(raw);
    let id = limits.id(&mut args)?;
    let payload = args.next()?;
    if payload.len() > limits.max_payload {
        return Err(Error::TooLong { what: "payload", limit: limits.max_payload });
    }
    let (mut node, mut expected) = (None, None);
    while !args.is_empty() {
        if node.is_none() && args.keyword("AT") {
            node = Some(args.node_id()?);
        } else if expected.is_none() && args.keyword("IFVERSION") {
            expected = Some(args.cost("version")?);
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok(Publish { id, payload, node, expected })
}

/// `HUNT.UNPUBLISH board clue [IFVERSION v]`
pub fn unpublish<'a>(raw: &'a [&'a [u8]], limits: ClueLimits) -> Result<(&'a [u8], Option<u64>), Error> {
    let mut args = Args::new(raw);
    let id = limits.id(&mut args)?;
    let expected = if_version(&mut args)?;
    if !args.is_empty() {
        return Err(Error::Syntax);
    }
    Ok((id, expected))
}

/// The `IFVERSION` check for a clue on a board that does not exist (version 0).
pub fn check_absent(expected: Option<u64>, id: &[u8]) -> Result<(), Error> {
    match expected {
        Some(v) if v != 0 => Err(Error::Stale { id: id.to_vec(), version: 0 }),
        _ => Ok(()),
    }
}

/// `HUNT.CLUE board clue`
pub fn clue<'a>(raw: &'a [&'a [u8]]) -> Result<&'a [u8], Error> {
    match raw {
        [id] => Ok(id),
        _ => Err(Error::WrongArity),
    }
}

/// `HUNT.CLUES board [SINCE v]`: the version after which changes are wanted.
pub fn clues(raw: &[&[u8]]) -> Result<Option<u64>, Error> {
    let mut args = Args::new(raw);
    let since = if args.keyword("SINCE") { Some(args.cost("version")?) } else { None };
    if !args.is_empty() {
        return Err(Error::Syntax);
    }
    Ok(since)
}

/// `HUNT.REPLAY board PUBLISH clue version node|- payload` and
/// `HUNT.REPLAY board UNPUBLISH clue version`: a change as the primary decided it.
pub fn replay(raw: &[&[u8]]) -> Result<crate::board::Change, Error> {
    let mut args = Args::new(raw);
    let publish = if args.keyword("PUBLISH") {
        true
    } else if args.keyword("UNPUBLISH") {
        false
    } else {
        return Err(Error::Syntax);
    };
    let id = args.next()?.to_vec();
    let version = args.int("version", 1, i64::MAX as u64)?;
    let clue = if publish {
        let node = match args.next()? {
            b"-" => None,
            raw => Some(crate::args::parse_int(raw, "node id", 0, crate::map::MAX_NODE_ID)?),
        };
        Some(crate::board::Clue { payload: args.next()?.to_vec(), node })
    } else {
        None
    };
    if !args.is_empty() {
        return Err(Error::Syntax);
    }
    Ok(crate::board::Change { id, version, clue })
}

/// `HUNT.SETWEIGHTS map from to weight [from to weight ...]`
pub fn set_weights(raw: &[&[u8]], max_batch: usize) -> Result<Vec<EdgeSpec>, Error> {
    edge_list(&mut Args::new(raw), max_batch)
}

/// `HUNT.CLOSE map from to [from to ...]` and `HUNT.OPEN ...`
pub fn edge_pairs(raw: &[&[u8]], max_batch: usize) -> Result<Vec<(NodeId, NodeId)>, Error> {
    let mut args = Args::new(raw);
    let mut pairs = Vec::with_capacity(args.batch(2, max_batch)?);
    while !args.is_empty() {
        pairs.push((args.node_id()?, args.node_id()?));
    }
    Ok(pairs)
}

/// `HUNT.NODES map id lon lat [id lon lat ...]`: coordinates in degrees.
pub fn nodes(raw: &[&[u8]], max_batch: usize) -> Result<Vec<(NodeId, f64, f64)>, Error> {
    let mut args = Args::new(raw);
    let mut nodes = Vec::with_capacity(args.batch(3, max_batch)?);
    while !args.is_empty() {
        let id = args.node_id()?;
        let lon = args.degrees("longitude", 180.0)?;
        let lat = args.degrees("latitude", 90.0)?;
        nodes.push((id, lon, lat));
    }
    Ok(nodes)
}

/// `HUNT.LANDMARKS map count`
pub fn landmarks(raw: &[&[u8]]) -> Result<usize, Error> {
    let mut args = Args::new(raw);
    let count = args.int("count", 0, MAX_LANDMARKS as u64)? as usize;
    if !args.is_empty() {
        return Err(Error::WrongArity);
    }
    Ok(count)
}

/// `HUNT.PATHTOCLUE map board from clue [options]`
#[derive(Debug, PartialEq)]
pub struct PathToClue<'a> {
    pub from: NodeId,
    pub clue: &'a [u8],
    pub options: Options,
}

pub fn path_to_clue<'a>(raw: &'a [&'a [u8]]) -> Result<PathToClue<'a>, Error> {
    let mut args = Args::new(raw);
    let from = args.node_id()?;
    let clue = args.next()?;
    Ok(PathToClue { from, clue, options: Options::parse(&mut args)? })
}

/// `HUNT.REACH map from maxcost [LIMIT n] [options]`
#[derive(Debug, PartialEq)]
pub struct Reach {
    pub from: NodeId,
    pub limit: usize,
    pub options: Options,
}

pub fn reach(raw: &[&[u8]]) -> Result<Reach, Error> {
    let mut args = Args::new(raw);
    let from = args.node_id()?;
    let max_cost = args.cost("maxcost")?;
    let limit = if args.keyword("LIMIT") { args.int("limit", 0, u32::MAX as u64)? as usize } else { usize::MAX };
    let mut options = Options::parse(&mut args)?;
    options.max_cost = options.max_cost.min(max_cost);
    Ok(Reach { from, limit, options })
}

/// `HUNT.MATRIX map FROM count node ... TO count node ... [options]`
#[derive(Debug, PartialEq)]
pub struct Matrix {
    pub sources: Vec<NodeId>,
    pub targets: Vec<NodeId>,
    pub options: Options,
}

pub fn matrix(raw: &[&[u8]], max_batch: usize) -> Result<Matrix, Error> {
    let mut args = Args::new(raw);
    let list = |args: &mut Args, keyword: &str| -> Result<Vec<NodeId>, Error> {
        if !args.keyword(keyword) {
            return Err(Error::Syntax);
        }
        let count = args.count("count", 1)?;
        if count > max_batch {
            return Err(Error::TooManyItems { limit: max_batch });
        }
        (0..count).map(|_| args.node_id()).collect()
    };
    let sources = list(&mut args, "FROM")?;
    let targets = list(&mut args, "TO")?;
    if sources.len().saturating_mul(targets.len()) > max_batch.saturating_mul(100) {
        return Err(Error::TooManyItems { limit: max_batch.saturating_mul(100) });
    }
    Ok(Matrix { sources, targets, options: Options::parse(&mut args)? })
}

/// `HUNT.SCAN map cursor [COUNT count]`
#[derive(Debug, PartialEq)]
pub struct Scan {
    /// The index of the next node to return; 0 starts a scan.
    pub cursor: u64,
    /// Nodes per page: 100 by default (or `max_batch` if smaller), at most `max_batch`.
    pub count: usize,
}

pub const DEFAULT_SCAN_COUNT: usize = 100;

pub fn scan(raw: &[&[u8]], max_batch: usize) -> Result<Scan, Error> {
    let mut args = Args::new(raw);
    let cursor = args.int("cursor", 0, crate::map::Node::MAX as u64)?;
    let max = max_batch.clamp(1, u32::MAX as usize);
    let count =
        if args.keyword("COUNT") { args.int("count", 1, max as u64)? as usize } else { DEFAULT_SCAN_COUNT.min(max) };
    if !args.is_empty() {
        return Err(Error::Syntax);
    }
    Ok(Scan { cursor, count })
}

/// Commands whose only arguments are the key: checks that nothing else was given.
pub fn no_arguments(raw: &[&[u8]]) -> Result<(), Error> {
    if raw.is_empty() { Ok(()) } else { Err(Error::WrongArity) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<&[u8]> {
        s.split_whitespace().map(str::as_bytes).collect()
    }

    #[test]
    fn add_edges_reads_triples_and_class() {
        let parsed = add_edges(&argv("CLASS 3 1 2 10 2 1 11"), 100).unwrap();
        assert_eq!(parsed.class, 3);
        assert_eq!(
            parsed.edges,
            vec![EdgeSpec { from: 1, to: 2, weight: 10 }, EdgeSpec { from: 2, to: 1, weight: 11 }]
        );
        assert_eq!(add_edges(&argv("1 2"), 100), Err(Error::WrongArity));
        assert_eq!(add_edges(&argv(""), 100), Err(Error::WrongArity));
        assert_eq!(add_edges(&argv("CLASS 16 1 2 3"), 100), Err(Error::OutOfRange { what: "class", min: 0, max: 15 }));
        assert!(matches!(add_edges(&argv("1 2 4294967296"), 100), Err(Error::OutOfRange { what: "weight", .. })));
        assert!(matches!(add_edges(&argv("1 -2 4"), 100), Err(Error::OutOfRange { what: "node id", .. })));
        assert_eq!(add_edges(&argv("1 2 3 4 5 6"), 1), Err(Error::TooManyItems { limit: 1 }));
    }

    #[test]
    fn publish_reads_options_in_any_order_once() {
        let limits = ClueLimits { max_id: 3, max_payload: 4 };
        let raw = argv("c1 pay IFVERSION 0 AT 9");
        let parsed = publish(&raw, limits).unwrap();
        assert_eq!(parsed, Publish { id: b"c1", payload: b"pay", node: Some(9), expected: Some(0) });
        assert_eq!(publish(&argv("c1 pay AT 1 AT 2"), limits), Err(Error::Syntax));
        assert_eq!(publish(&argv("long pay"), limits), Err(Error::TooLong { what: "clue id", limit: 3 }));
        assert_eq!(publish(&argv("c1 payload"), limits), Err(Error::TooLong { what: "payload", limit: 4 }));
        assert_eq!(publish(&argv("c1"), limits), Err(Error::WrongArity));
        let raw = argv("c1 IFVERSION 3");
        assert_eq!(unpublish(&raw, limits), Ok((&b"c1"[..], Some(3))));
        assert_eq!(clues(&argv("SINCE 5")), Ok(Some(5)));
        assert_eq!(clues(&argv("SINCE -1")), Err(Error::OutOfRange { what: "version", min: 0, max: i64::MAX as u64 }));
    }

    #[test]
    fn replay_reads_both_kinds() {
        let change = replay(&argv("PUBLISH c1 4 - pay")).unwrap();
        assert_eq!((change.version, change.clue.unwrap().node), (4, None));
        assert_eq!(replay(&argv("UNPUBLISH c1 5")).unwrap().clue, None);
        assert!(replay(&argv("UNPUBLISH c1 0")).is_err());
    }

    #[test]
    fn reach_and_matrix_read_their_lists() {
        let parsed = reach(&argv("5 100 LIMIT 3 MAXCOST 50")).unwrap();
        assert_eq!((parsed.from, parsed.limit, parsed.options.max_cost), (5, 3, 50));
        let parsed = matrix(&argv("FROM 2 1 2 TO 1 3 MASK 1"), 10).unwrap();
        assert_eq!((parsed.sources, parsed.targets, parsed.options.mask), (vec![1, 2], vec![3], 1));
        assert_eq!(matrix(&argv("FROM 9 1 TO 1 3"), 10), Err(Error::Syntax));
        assert_eq!(matrix(&argv("TO 1 3"), 10), Err(Error::Syntax));
        assert_eq!(matrix(&argv("FROM 2 1 2 TO 1 3"), 1), Err(Error::TooManyItems { limit: 1 }));
        assert_eq!(edge_pairs(&argv("1 2 3"), 10), Err(Error::WrongArity));
    }

    #[test]
    fn scan_reads_a_cursor_and_a_bounded_count() {
        assert_eq!(scan(&argv("0"), 1000), Ok(Scan { cursor: 0, count: 100 }));
        assert_eq!(scan(&argv("0"), 10), Ok(Scan { cursor: 0, count: 10 }), "the default fits max-batch");
        assert_eq!(scan(&argv("250 count 1000"), 1000), Ok(Scan { cursor: 250, count: 1000 }));
        assert_eq!(scan(&argv("0 COUNT 0"), 1000), Err(Error::OutOfRange { what: "count", min: 1, max: 1000 }));
        assert_eq!(scan(&argv("0 COUNT 1001"), 1000), Err(Error::OutOfRange { what: "count", min: 1, max: 1000 }));
        assert_eq!(scan(&argv("x"), 1000), Err(Error::NotInteger { what: "cursor" }));
        assert_eq!(scan(&argv("-1"), 1000), Err(Error::OutOfRange { what: "cursor", min: 0, max: u32::MAX as u64 }));
        assert_eq!(
            scan(&argv("4294967296"), 1000),
            Err(Error::OutOfRange { what: "cursor", min: 0, max: u32::MAX as u64 })
        );
        assert_eq!(scan(&argv("0 COUNT"), 1000), Err(Error::WrongArity));
        assert_eq!(scan(&argv("0 COUNT 5 COUNT 5"), 1000), Err(Error::Syntax));
        assert_eq!(scan(&argv("0 MATCH x"), 1000), Err(Error::Syntax));
        assert_eq!(scan(&argv(""), 1000), Err(Error::WrongArity));
    }

    #[test]
    fn path_reads_options_once_each() {
        let parsed = path(&argv("1 2 mask 5 AVOID 2 7 8 MAXCOST 100")).unwrap();
        assert_eq!(parsed.options, Options { mask: 5, avoid: vec![7, 8], max_cost: 100, algo: Algo::Auto });
        assert_eq!(path(&argv("1 2 ALGO bidir")).unwrap().options.algo, Algo::Bidir);
        assert_eq!(path(&argv("1 2 ALGO fast")), Err(Error::UnknownAlgo));
        assert_eq!(nodes(&argv("1 12.5 41.9"), 10), Ok(vec![(1, 12.5, 41.9)]));
        assert!(matches!(nodes(&argv("1 181 41.9"), 10), Err(Error::DegreesOutOfRange { .. })));
        assert!(matches!(nodes(&argv("1 nan 41.9"), 10), Err(Error::NotNumber { .. })));
        assert_eq!(path(&argv("1 2 MASK 1 MASK 2")), Err(Error::Syntax));
        assert_eq!(path(&argv("1 2 AVOID 3 7")), Err(Error::Syntax));
        assert_eq!(path(&argv("1 2 FOO")), Err(Error::Syntax));
        assert_eq!(path(&argv("1")), Err(Error::WrongArity));
    }
}
