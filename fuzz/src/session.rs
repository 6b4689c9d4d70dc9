//! One map key and one board key, driven through the core exactly as the module's handlers
//! drive it (`src/map_commands.rs`, `query_commands.rs`, `board_commands.rs`, `types.rs`,
//! `offload.rs`), with every answer and every state change checked:
//!
//! - a refused command changes nothing (the persisted form is byte-identical);
//! - a change takes exactly the next version; board versions fit the `i64` replies;
//! - the configured limits hold (batch sizes, nodes per map, clue id and payload sizes);
//! - a search respects its settle budget, a budget stop is an error and never a wrong answer,
//!   and every path, reach set and matrix cell matches an independent Dijkstra, for every
//!   method the map allows;
//! - every value survives a save and load unchanged, and every board change's Pub/Sub
//!   message decodes to that change.

use hunt_core::command::{self, ClueLimits};
use hunt_core::{Algo, Board, Change, Clue, Cost, EdgeSpec, Error, Map, Node, Query, Search, codec, message};

use crate::oracle;
use crate::script::{self, Arg, COMMANDS, Reader, TOKENS};

const BOARD_KEY: &[u8] = b"{fuzz}:board";
/// Commands per input at most, so one input stays fast.
const MAX_COMMANDS: usize = 200;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_batch: usize,
    pub max_nodes: usize,
    pub clue: ClueLimits,
    pub inline_budget: usize,
    pub max_settled: usize,
}

pub struct Session {
    pub map: Option<Map>,
    pub board: Option<Board>,
    pub limits: Limits,
    search: Search,
}

/// Runs a whole `commands` input.
pub fn run(data: &[u8]) {
    let mut reader = Reader::new(data);
    let (Some(a), Some(b)) = (reader.byte(), reader.byte()) else { return };
    let mut session = Session::new([a, b]);
    for _ in 0..MAX_COMMANDS {
        let (Some(c), Some(argc)) = (reader.byte(), reader.byte()) else { return };
        let name = COMMANDS[c as usize % COMMANDS.len()];
        let mut args: Vec<Vec<u8>> = Vec::new();
        for _ in 0..argc {
            let Some(arg) = reader.arg() else { break };
            args.push(session.materialize(&arg));
        }
        let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let result = session.execute(name, &args);
        if tracing() {
            let words: Vec<String> = args.iter().map(|a| format!("{:?}", String::from_utf8_lossy(a))).collect();
            eprintln!("{name} {} -> {result:?}", words.join(" "));
        }
        if let Err(error) = result {
            let _ = error.to_string(); // every error has its reply text
        }
    }
}

/// `HUNT_FUZZ_TRACE=1` prints each command of a script and its outcome (to read a crash).
fn tracing() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("HUNT_FUZZ_TRACE").is_some())
}

impl Session {
    pub fn new(config: [u8; 2]) -> Session {
        let [a, b] = config.map(usize::from);
        let limits = Limits {
            max_batch: script::MAX_BATCH[a & 7],
            max_nodes: script::MAX_NODES[(a >> 3) & 7],
            clue: ClueLimits { max_id: script::MAX_CLUE_ID[b & 3], max_payload: script::MAX_PAYLOAD[(b >> 2) & 3] },
            inline_budget: script::INLINE_BUDGET[(b >> 4) & 7],
            max_settled: script::MAX_SETTLED[b >> 7],
        };
        Session { map: preset(a >> 6), board: None, limits, search: Search::new() }
    }

    /// A session over given values, with the module's default limits.
    pub fn with_state(map: Option<Map>, board: Option<Board>) -> Session {
        let limits = Limits {
            max_batch: 1000,
            max_nodes: 100_000_000,
            clue: ClueLimits { max_id: 512, max_payload: 65536 },
            inline_budget: 500,
            max_settled: 100_000_000,
        };
        Session { map, board, limits, search: Search::new() }
    }

    /// The bytes of one argument, against the current state.
    pub fn materialize(&self, arg: &Arg) -> Vec<u8> {
        match arg {
            Arg::Small(n) => n.to_string().into_bytes(),
            Arg::Token(i) => TOKENS[*i as usize % TOKENS.len()].to_vec(),
            Arg::Node(i) => match &self.map {
                Some(map) if map.node_count() > 0 => {
                    map.id((*i as usize % map.node_count()) as Node).to_string().into_bytes()
                }
                _ => b"0".to_vec(),
            },
            Arg::Clue(i) => {
                let ids: Vec<&[u8]> = self.board.iter().flat_map(|b| b.entries().map(|(id, _)| id)).collect();
                if ids.is_empty() { b"c".to_vec() } else { ids[*i as usize % ids.len()].to_vec() }
            }
            Arg::Raw(bytes) => bytes.clone(),
            Arg::Big(n) => n.to_string().into_bytes(),
            Arg::Degrees(d) => ((*d as f64 - 128.0) * 1.5).to_string().into_bytes(),
            Arg::MapBlob => codec::encode_map(self.map.as_ref().unwrap_or(&Map::new())),
            Arg::BoardBlob => codec::encode_board(self.board.as_ref().unwrap_or(&Board::new())),
        }
    }

    /// One command: `args` are the arguments after the key(s).
    pub fn execute(&mut self, name: &str, args: &[&[u8]]) -> Result<(), Error> {
        let limits = self.limits;
        match name {
            "ADDEDGES" => {
                let request = command::add_edges(args, limits.max_batch)?;
                assert!(request.edges.len() <= limits.max_batch, "ADDEDGES over max-batch");
                let edges = request.edges.clone();
                let added = match &self.map {
                    Some(_) => self.change_map(|map| map.add_edges(&request.edges, request.class, limits.max_nodes))?,
                    None => {
                        let mut map = Map::new();
                        let added = map.add_edges(&request.edges, request.class, limits.max_nodes)?;
                        self.map = Some(map);
                        check_map(self.map.as_ref().unwrap_or(&Map::new()));
                        added
                    }
                };
                let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
                assert!(added <= edges.len());
                for e in last_mentions(&edges) {
                    let (u, v) = (map.node(e.from).expect("added node"), map.node(e.to).expect("added node"));
                    let edge = map.edge(u, v).expect("added edge");
                    assert_eq!((map.weight(edge), map.class(edge)), (e.weight, request.class), "ADDEDGES result");
                }
                Ok(())
            }
            "SETWEIGHTS" => {
                let edges = command::set_weights(args, limits.max_batch)?;
                assert!(edges.len() <= limits.max_batch, "SETWEIGHTS over max-batch");
                self.change_map(|map| map.set_weights(&edges))?;
                let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
                for e in last_mentions(&edges) {
                    let edge = map.edge(map.existing_node(e.from)?, map.existing_node(e.to)?).expect("edge");
                    assert_eq!(map.weight(edge), e.weight, "SETWEIGHTS did not set the last weight given");
                }
                Ok(())
            }
            "CLOSE" | "OPEN" => {
                let closed = name == "CLOSE";
                let pairs = command::edge_pairs(args, limits.max_batch)?;
                assert!(pairs.len() <= limits.max_batch, "CLOSE/OPEN over max-batch");
                self.change_map(|map| map.set_closed(&pairs, closed))?;
                let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
                for &(from, to) in &pairs {
                    let edge = map.edge(map.existing_node(from)?, map.existing_node(to)?).expect("edge");
                    assert_eq!(map.is_closed(edge), closed, "CLOSE/OPEN did not take");
                }
                Ok(())
            }
            "NODES" => {
                let nodes = command::nodes(args, limits.max_batch)?;
                assert!(nodes.len() <= limits.max_batch, "NODES over max-batch");
                self.change_map(|map| map.set_coordinates(&nodes))?;
                let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
                for (i, &(id, lon, lat)) in nodes.iter().enumerate() {
                    if nodes[i + 1..].iter().any(|n| n.0 == id) {
                        continue; // a later mention wins
                    }
                    let (glon, glat) = map.coordinates(map.existing_node(id)?).expect("coordinates were set");
                    assert!((glat - lat).abs() < 1e-3, "NODES latitude {lat} came back as {glat}");
                    if lat.abs() < 80.0 && lon.abs() < 179.9 {
                        assert!((glon - lon).abs() < 1e-3, "NODES longitude {lon} came back as {glon}");
                    }
                }
                Ok(())
            }
            "LANDMARKS" => {
                let count = command::landmarks(args)?;
                assert!(count <= 64);
                self.change_map(|map| {
                    map.compute_landmarks(count);
                    Ok(map.landmark_info().0)
                })?;
                let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
                let expected = if map.node_count() == 0 { 0 } else { count.min(map.node_count()) };
                assert_eq!(map.landmark_info(), (expected, expected > 0), "LANDMARKS count");
                Ok(())
            }
            "MAPINFO" => {
                command::no_arguments(args)?;
                let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
                let closed = (0..map.edge_count()).filter(|&e| map.is_closed(e)).count();
                assert!(closed <= map.edge_count() && map.located() <= map.node_count());
                assert!(map.memory() >= std::mem::size_of::<Map>());
                let algo = Search::choose(map);
                assert_eq!(algo == Algo::Alt, alt_valid(map));
                Ok(())
            }
            "PATH" => {
                let request = command::path(args)?;
                let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
                let (from, to) = (map.existing_node(request.from)?, map.existing_node(request.to)?);
                self.path(from, to, &request.options)
            }
            "PATHTOCLUE" => {
                let request = command::path_to_clue(args)?;
                let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
                let missing = || Error::NoSuchClue(request.clue.to_vec());
                let (_, clue) = self.board.as_ref().and_then(|b| b.clue(request.clue)).ok_or_else(missing)?;
                let target = clue.node.ok_or_else(|| Error::ClueWithoutNode(request.clue.to_vec()))?;
                let (from, to) = (map.existing_node(request.from)?, map.existing_node(target)?);
                self.path(from, to, &request.options)
            }
            "REACH" => self.reach(args),
            "MATRIX" => self.matrix(args),
            "PUBLISH" => {
                let request = command::publish(args, limits.clue)?;
                assert!(request.id.len() <= limits.clue.max_id, "a clue id over max-clue-id");
                assert!(request.payload.len() <= limits.clue.max_payload, "a payload over max-payload");
                let clue = Clue { payload: request.payload.to_vec(), node: request.node };
                let stored = clue.clone();
                let change = self.change_board(|board| board.publish(request.id, clue, request.expected))?;
                let board = self.board.as_ref().ok_or(Error::NoSuchBoard)?;
                assert_eq!(board.clue(request.id), Some((change.version, &stored)), "PUBLISH result");
                Ok(())
            }
            "UNPUBLISH" => {
                let (id, expected) = command::unpublish(args, limits.clue)?;
                assert!(id.len() <= limits.clue.max_id, "a clue id over max-clue-id");
                if self.board.is_none() {
                    return command::check_absent(expected, id);
                }
                self.change_board(|board| board.unpublish(id, expected))?;
                let board = self.board.as_ref().ok_or(Error::NoSuchBoard)?;
                assert!(board.clue(id).is_none(), "UNPUBLISH left the clue");
                Ok(())
            }
            "REPLAY" => {
                let change = command::replay(args)?;
                let version = change.version;
                let applied = self.change_board(|board| board.replay(change))?;
                assert_eq!(applied.version, version);
                Ok(())
            }
            "CLUE" => {
                let id = command::clue(args)?;
                if let Some((version, _)) = self.board.as_ref().and_then(|b| b.clue(id)) {
                    assert!(version <= self.board.as_ref().map_or(0, Board::version));
                }
                Ok(())
            }
            "CLUES" => {
                let since = command::clues(args)?;
                if let Some(board) = &self.board {
                    let mut last = since.unwrap_or(0);
                    for (_, entry) in board.since(since.unwrap_or(0)) {
                        assert!(entry.version > last && entry.version <= board.version(), "CLUES out of order");
                        last = entry.version;
                    }
                }
                Ok(())
            }
            "BOARDINFO" => {
                command::no_arguments(args)?;
                let board = self.board.as_ref().ok_or(Error::NoSuchBoard)?;
                assert_eq!(board.entries().count(), board.len() + board.removed());
                assert!(board.memory() >= std::mem::size_of::<Board>());
                Ok(())
            }
            "RESTORE" => {
                let [blob] = args else { return Err(Error::WrongArity) };
                if blob.starts_with(b"HUNTBRD") {
                    let board = codec::decode_board(blob)?;
                    check_board(&board);
                    self.board = Some(board);
                } else {
                    let map = codec::decode_map(blob)?;
                    check_map(&map);
                    self.map = Some(map);
                }
                Ok(())
            }
            "SCAN" => {
                let request = command::scan(args, limits.max_batch)?;
                assert!(request.count >= 1 && request.count <= limits.max_batch.max(1), "SCAN COUNT over max-batch");
                let Some(map) = &self.map else { return Ok(()) };
                let (page, next) = map.scan(request.cursor, request.count);
                assert!(page.len() <= request.count, "a SCAN page over its COUNT");
                assert!(next == 0 || next == page.end as u64, "a SCAN cursor that skips or repeats nodes");
                for u in page {
                    assert_eq!(map.out_edges(u).count(), map.edges(u).len(), "SCAN lists other edges");
                }
                Ok(())
            }
            "DEL" => {
                match args.first().map(|a| a.len() % 3) {
                    Some(0) => self.map = None,
                    Some(1) => self.board = None,
                    _ => (self.map, self.board) = (None, None),
                }
                Ok(())
            }
            "RELOAD" => {
                if let Some(map) = &self.map {
                    let blob = codec::encode_map(map);
                    let back = codec::decode_map(&blob).expect("a saved map loads");
                    assert_eq!(codec::encode_map(&back), blob, "a map changed through save and load");
                    assert_eq!(Search::choose(&back), Search::choose(map), "a reload changed the path method");
                    self.map = Some(back);
                }
                if let Some(board) = &self.board {
                    let back = codec::decode_board(&codec::encode_board(board)).expect("a saved board loads");
                    assert_eq!(&back, board, "a board changed through save and load");
                    self.board = Some(back);
                }
                Ok(())
            }
            other => unreachable!("unknown command {other}"),
        }
    }

    /// A change to the existing map: all or nothing, and exactly one version step.
    fn change_map(&mut self, change: impl FnOnce(&mut Map) -> Result<usize, Error>) -> Result<usize, Error> {
        let max_nodes = self.limits.max_nodes;
        let map = self.map.as_mut().ok_or(Error::NoSuchMap)?;
        let before = codec::encode_map(map);
        let (version, nodes) = (map.version(), map.node_count());
        match change(map) {
            Ok(count) => {
                assert_eq!(map.version(), version + 1, "a map change did not take exactly the next version");
                assert!(map.node_count() == nodes || map.node_count() <= max_nodes, "a map grew over max-nodes");
                check_map(map);
                Ok(count)
            }
            Err(error) => {
                assert_eq!(codec::encode_map(map), before, "a refused map change changed the map: {error}");
                Err(error)
            }
        }
    }

    /// A change to the board, creating it only when the change succeeds (as the module does);
    /// checks the version step and the Pub/Sub message of the change.
    fn change_board<T: Announced>(&mut self, change: impl FnOnce(&mut Board) -> Result<T, Error>) -> Result<T, Error> {
        let created = self.board.is_none();
        let board = self.board.get_or_insert_with(Board::new);
        let before = board.clone();
        match change(board) {
            Ok(done) => {
                match done.change() {
                    Some(change) => {
                        assert!(change.version > before.version(), "a board change went backwards");
                        assert_eq!(board.version(), change.version, "the board is not at its last change");
                        assert!(board.version() <= i64::MAX as u64, "a board version does not fit the reply");
                        let text = message::encode(BOARD_KEY, change);
                        let back = message::decode(&text).expect("a published message decodes");
                        assert_eq!((back.key.as_slice(), &back.change), (BOARD_KEY, change), "message round trip");
                    }
                    None => assert_eq!(*board, before, "a change that did nothing changed the board"),
                }
                check_board(board);
                Ok(done)
            }
            Err(error) => {
                assert_eq!(*board, before, "a refused board change changed the board: {error}");
                if created {
                    self.board = None;
                }
                Err(error)
            }
        }
    }

    /// Runs a query the way `offload::run` does: inline within the inline budget, then again
    /// on a snapshot within `max-settled` if that was not enough.
    fn budgeted<R>(&mut self, run: impl Fn(&Map, &mut Search) -> Result<R, Error>) -> Result<R, Error> {
        let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
        let (inline, max) = (self.limits.inline_budget.min(self.limits.max_settled), self.limits.max_settled);
        let search = &mut self.search;
        search.limit(inline, None);
        let first = run(map, search);
        assert!(search.settled() <= inline, "a search settled {} nodes, over its budget {inline}", search.settled());
        search.limit(usize::MAX, None);
        match first {
            Err(Error::SearchBudget) if inline < max => {
                let snapshot = map.clone();
                search.limit(max, None);
                let second = run(&snapshot, search);
                assert!(search.settled() <= max, "a search settled more than max-settled");
                search.limit(usize::MAX, None);
                second
            }
            other => other,
        }
    }

    fn path(&mut self, from: Node, to: Node, options: &command::Options) -> Result<(), Error> {
        let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
        let query = options.query(map);
        let algo = options.algo;
        let result = self.budgeted(|map, search| search.path_with(map, from, to, &query, algo));
        let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
        let expected = oracle::distances(map, from, &query)[to as usize];
        check_path(map, from, to, &query, algo, &result, expected);
        // Every other method must agree too, unlimited.
        for other in [Algo::Auto, Algo::Dijkstra, Algo::Bidir, Algo::Astar, Algo::Alt] {
            let got = self.search.path_with(map, from, to, &query, other);
            check_path(map, from, to, &query, other, &got, expected);
        }
        result.map(|_| ())
    }

    fn reach(&mut self, args: &[&[u8]]) -> Result<(), Error> {
        let request = command::reach(args)?;
        let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
        let from = map.existing_node(request.from)?;
        let query = request.options.query(map);
        let limit = request.limit;
        let reached = self.budgeted(|map, search| {
            let mut out = Vec::new();
            search.reach(map, from, limit, &query, &mut out)?;
            Ok(out)
        });
        let reached = match reached {
            Err(Error::SearchBudget) => return Err(Error::SearchBudget),
            other => other.expect("REACH fails only on its budget"),
        };
        let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
        let dist = oracle::distances(map, from, &query);
        assert!(reached.len() <= limit, "REACH over its LIMIT");
        if limit > 0 {
            assert_eq!(reached.first(), Some(&(from, 0)), "REACH does not start at its source");
        }
        let mut seen = vec![false; map.node_count()];
        for (i, &(v, cost)) in reached.iter().enumerate() {
            assert!(!std::mem::replace(&mut seen[v as usize], true), "REACH lists a node twice");
            assert_eq!(Some(cost), dist[v as usize], "REACH cost differs from Dijkstra");
            assert!(i == 0 || reached[i - 1].1 <= cost, "REACH is not nearest first");
        }
        if reached.len() < limit {
            let all = dist.iter().filter(|d| d.is_some()).count();
            assert_eq!(reached.len(), all, "REACH missed reachable nodes");
        }
        Ok(())
    }

    fn matrix(&mut self, args: &[&[u8]]) -> Result<(), Error> {
        let max_batch = self.limits.max_batch;
        let request = command::matrix(args, max_batch)?;
        assert!(request.sources.len() <= max_batch && request.targets.len() <= max_batch, "MATRIX over max-batch");
        assert!(request.sources.len() * request.targets.len() <= max_batch.saturating_mul(100), "MATRIX cells");
        let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
        let sources = request.sources.iter().map(|&id| map.existing_node(id)).collect::<Result<Vec<_>, _>>()?;
        let targets = request.targets.iter().map(|&id| map.existing_node(id)).collect::<Result<Vec<_>, _>>()?;
        let query = request.options.query(map);
        let rows = self.budgeted(|map, search| {
            let mut rows = Vec::with_capacity(sources.len());
            for &from in &sources {
                let mut row = Vec::new();
                search.costs(map, from, &targets, &query, &mut row)?;
                rows.push(row);
            }
            Ok(rows)
        });
        let rows = match rows {
            Err(Error::SearchBudget) => return Err(Error::SearchBudget),
            other => other.expect("MATRIX fails only on its budget"),
        };
        let map = self.map.as_ref().ok_or(Error::NoSuchMap)?;
        assert_eq!(rows.len(), sources.len());
        for (row, &from) in rows.iter().zip(&sources) {
            let dist = oracle::distances(map, from, &query);
            let expected: Vec<Option<Cost>> = targets.iter().map(|&t| dist[t as usize]).collect();
            assert_eq!(*row, expected, "a MATRIX row differs from Dijkstra");
        }
        Ok(())
    }
}

/// What a board change reports, for [`Session::change_board`].
trait Announced {
    fn change(&self) -> Option<&Change>;
}

impl Announced for Change {
    fn change(&self) -> Option<&Change> {
        Some(self)
    }
}

impl Announced for Option<Change> {
    fn change(&self) -> Option<&Change> {
        self.as_ref()
    }
}

fn alt_valid(map: &Map) -> bool {
    let (count, valid) = map.landmark_info();
    count > 0 && valid
}

/// One path answer against Dijkstra's cost, or the error the method must give.
fn check_path(
    map: &Map,
    from: Node,
    to: Node,
    query: &Query,
    algo: Algo,
    got: &Result<Option<hunt_core::Route>, Error>,
    expected: Option<Cost>,
) {
    let unavailable = match algo {
        Algo::Astar if !map.has_coordinates() => Some(Error::NoCoordinates),
        Algo::Alt if !alt_valid(map) => Some(Error::NoLandmarks),
        _ => None,
    };
    match (got, unavailable) {
        (Err(Error::SearchBudget), _) => {}
        (Err(error), Some(wanted)) => assert_eq!(*error, wanted, "{algo:?}"),
        (got, Some(wanted)) => panic!("{algo:?} answered {got:?} where it should refuse with {wanted}"),
        (Ok(route), None) => match (route, expected) {
            (Some(route), Some(cost)) => oracle::check_route(map, route, from, to, query, cost),
            (None, None) => {}
            (got, expected) => panic!("{algo:?} answered {got:?}, Dijkstra {expected:?}"),
        },
        (Err(error), None) => panic!("{algo:?} failed: {error:?}"),
    }
}

/// The map must save and load to exactly itself.
pub fn check_map(map: &Map) {
    let blob = codec::encode_map(map);
    let back = codec::decode_map(&blob).expect("a map's own blob must load");
    assert_eq!(codec::encode_map(&back), blob, "a map changed through save and load");
}

/// The board must save and load to exactly itself, and its versions fit the replies.
pub fn check_board(board: &Board) {
    assert!(board.version() <= i64::MAX as u64, "a board version does not fit the reply");
    let back = codec::decode_board(&codec::encode_board(board)).expect("a board's own blob must load");
    assert_eq!(&back, board, "a board changed through save and load");
    assert_eq!(board.entries().count(), board.len() + board.removed());
}

/// The last mention of each pair, which is what a batch leaves.
fn last_mentions(edges: &[EdgeSpec]) -> Vec<EdgeSpec> {
    let mut out: Vec<EdgeSpec> = Vec::new();
    for e in edges.iter().rev() {
        if !out.iter().any(|o| (o.from, o.to) == (e.from, e.to)) {
            out.push(*e);
        }
    }
    out
}

/// The starting map: none, or a 4 x 4 grid (1..=16, both directions), with coordinates, and
/// with landmarks too.
pub fn preset(which: usize) -> Option<Map> {
    if which == 0 {
        return None;
    }
    let mut map = Map::new();
    let mut edges = Vec::new();
    for y in 0..4u64 {
        for x in 0..4u64 {
            let id = 1 + y * 4 + x;
            let weight = ((x * 7 + y * 3) % 10 + 1) as u32;
            if x < 3 {
                edges.push(EdgeSpec { from: id, to: id + 1, weight });
                edges.push(EdgeSpec { from: id + 1, to: id, weight: weight + 1 });
            }
            if y < 3 {
                edges.push(EdgeSpec { from: id, to: id + 4, weight: weight + 2 });
                edges.push(EdgeSpec { from: id + 4, to: id, weight });
            }
        }
    }
    map.add_edges(&edges, 0, usize::MAX).ok()?;
    if which >= 2 {
        let coords: Vec<(u64, f64, f64)> =
            (0..16u64).map(|k| (1 + k, 12.49 + (k % 4) as f64 * 0.001, 41.9 + (k / 4) as f64 * 0.001)).collect();
        map.set_coordinates(&coords).ok()?;
    }
    if which >= 3 {
        map.compute_landmarks(2);
    }
    Some(map)
}

/// A readable script for the seed corpus: `(config, [(command, words)])`.
pub fn script(config: [u8; 2], commands: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = script::Writer::new(config);
    for (name, words) in commands {
        writer.words(name, words);
    }
    writer.out
}
