//! The queries: paths, paths to clues, reach sets and cost matrices. Read-only, so they run
//! on replicas too. Each reply reports the map version it was computed on. The command reads
//! its keys and arguments on the main thread; the search itself goes through `offload::run`,
//! which answers inline or from a worker on a snapshot of the map.

use hunt_core::command::{self, Options};
use hunt_core::trees::{Lookup, TREE_NODES};
use hunt_core::{Board, Cost, Error, Map, Node, NodeId, Route};
use redis_module::{Context, RedisError, RedisResult, RedisString, RedisValue};

use crate::config;
use crate::guard::{reply_error, rest};
use crate::map_commands::existing_map;
use crate::offload;
use crate::reply::Fields;
use crate::stats;
use crate::types::{self, BOARD_TYPE};

fn node_of(map: &Map, id: NodeId) -> Result<Node, RedisError> {
    map.existing_node(id).map_err(reply_error)
}

fn route_fields(map: &Map, route: &Route) -> Fields {
    let path = route.path.iter().map(|&n| RedisValue::Integer(map.id(n) as i64)).collect();
    Fields::new()
        .int("cost", route.cost as i64)
        .field("path", RedisValue::Array(path))
        .int("version", map.version() as i64)
}

/// The clue a `HUNT.PATHTOCLUE` read, as plain data a worker can carry.
struct ClueRead {
    id: Vec<u8>,
    version: u64,
    payload: Vec<u8>,
    node: NodeId,
}

impl ClueRead {
    fn fields(&self) -> Fields {
        Fields::new()
            .field("id", RedisValue::StringBuffer(self.id.clone()))
            .int("version", self.version as i64)
            .field("payload", RedisValue::StringBuffer(self.payload.clone()))
            .int("node", self.node as i64)
    }
}

/// A path's reply: null when there is none; `HUNT.PATHTOCLUE` adds the clue it read.
fn path_reply(map: &Map, route: Option<Route>, clue: &Option<ClueRead>) -> RedisValue {
    route.map_or(RedisValue::Null, |route| {
        let fields = route_fields(map, &route);
        match clue {
            Some(clue) => fields.field("clue", clue.fields().into()).into(),
            None => fields.into(),
        }
    })
}

/// The path query shared by `HUNT.PATH` and `HUNT.PATHTOCLUE`: from the target's
/// shortest-path tree when it has one (walked right here: no search), else a search by
/// `offload::run`; a target asked for often gets a tree built on a worker meanwhile.
fn answer_path(
    ctx: &Context,
    map: &Map,
    from: Node,
    to: Node,
    options: Options,
    clue: Option<ClueRead>,
) -> RedisResult {
    let query = options.query(map);
    // Building a tree settles up to TREE_NODES nodes: not where one query may not.
    let limit = if map.node_count().min(TREE_NODES) <= config::max_settled() { config::path_trees() } else { 0 };
    match map.trees().lookup(map, to, &query, options.algo, limit) {
        Lookup::Tree(tree) => {
            // A source beyond the tree is searched for; so would be one whose tree does not fit
            // the map (it cannot happen: trees go with their version).
            if let Some(route) = tree.route(map, from, query.max_cost) {
                stats::add(&stats::TREE_ANSWERS, 1);
                return Ok(path_reply(map, route, &clue));
            }
        }
        Lookup::Build => offload::build_tree(map.clone(), to),
        Lookup::Search => {}
    }
    offload::run(ctx, map, move |map, search| {
        let route = search.path_with(map, from, to, &query, options.algo)?;
        Ok(path_reply(map, route, &clue))
    })
}

/// `HUNT.PATH map from to [MASK m] [AVOID count node ...] [MAXCOST c] [ALGO name]`
pub fn path(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let request = command::path(&rest(args, 1)?).map_err(reply_error)?;
    let key = ctx.open_key(&args[1]);
    let map = existing_map(&key)?;
    let (from, to) = (node_of(map, request.from)?, node_of(map, request.to)?);
    answer_path(ctx, map, from, to, request.options, None)
}

/// `HUNT.PATHTOCLUE map board from clue [options]`: the path to where the clue sits now,
/// read in the same command as the clue, plus the clue itself.
pub fn path_to_clue(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let raw = rest(args, 2)?;
    let request = command::path_to_clue(&raw).map_err(reply_error)?;
    let map_key = ctx.open_key(&args[1]);
    let board_key = ctx.open_key(&args[2]);
    let map = existing_map(&map_key)?;
    let board = types::read::<Board>(&board_key, &BOARD_TYPE)?;
    let missing = || reply_error(Error::NoSuchClue(request.clue.to_vec()));
    let (version, clue) = board.and_then(|b| b.clue(request.clue)).ok_or_else(missing)?;
    let target = clue.node.ok_or_else(|| reply_error(Error::ClueWithoutNode(request.clue.to_vec())))?;
    let (from, to) = (node_of(map, request.from)?, node_of(map, target)?);
    let clue = ClueRead { id: request.clue.to_vec(), version, payload: clue.payload.clone(), node: target };
    answer_path(ctx, map, from, to, request.options, Some(clue))
}

/// `HUNT.REACH map from maxcost [LIMIT n] [options]`: `nodes`, pairs of node id and cost,
/// nearest first.
pub fn reach(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let request = command::reach(&rest(args, 1)?).map_err(reply_error)?;
    let key = ctx.open_key(&args[1]);
    let map = existing_map(&key)?;
    let from = node_of(map, request.from)?;
    offload::run(ctx, map, move |map, search| {
        let mut reached = Vec::new();
        search.reach(map, from, request.limit, &request.options.query(map), &mut reached)?;
        let pair = |&(v, cost): &(Node, Cost)| {
            RedisValue::Array(vec![RedisValue::Integer(map.id(v) as i64), RedisValue::Integer(cost as i64)])
        };
        let nodes = reached.iter().map(pair).collect();
        Ok(Fields::new().field("nodes", RedisValue::Array(nodes)).int("version", map.version() as i64).into())
    })
}

/// `HUNT.MATRIX map FROM count node ... TO count node ... [options]`: `costs`, one row per
/// source, one entry per target, null where unreachable.
pub fn matrix(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let request = command::matrix(&rest(args, 1)?, config::max_batch(ctx)).map_err(reply_error)?;
    let key = ctx.open_key(&args[1]);
    let map = existing_map(&key)?;
    let sources = request.sources.iter().map(|&id| node_of(map, id)).collect::<Result<Vec<_>, _>>()?;
    let targets = request.targets.iter().map(|&id| node_of(map, id)).collect::<Result<Vec<_>, _>>()?;
    offload::run(ctx, map, move |map, search| {
        let query = request.options.query(map);
        let mut row = Vec::new();
        let mut rows = Vec::with_capacity(sources.len());
        for &from in &sources {
            search.costs(map, from, &targets, &query, &mut row)?;
            let cost = |c: &Option<Cost>| c.map_or(RedisValue::Null, |c| RedisValue::Integer(c as i64));
            rows.push(RedisValue::Array(row.iter().map(cost).collect()));
        }
        Ok(Fields::new().field("costs", RedisValue::Array(rows)).int("version", map.version() as i64).into())
    })
}
