//! The queries: paths, paths to clues, reach sets and cost matrices. Read-only, so they run
//! on replicas too. Each reply reports the map version it was computed on.

use std::cell::RefCell;

use hunt_core::{Board, Error, Map, Route, Search, command};
use redis_module::{Context, RedisError, RedisResult, RedisString, RedisValue};

use crate::config;
use crate::guard::{reply_error, rest};
use crate::map_commands::existing_map;
use crate::reply::Fields;
use crate::types::{self, BOARD_TYPE};

thread_local! {
    /// The main thread's search scratch, reused by every query on every map.
    static SEARCH: RefCell<Search> = RefCell::new(Search::new());
}

fn node_of(map: &Map, id: u64) -> Result<u32, RedisError> {
    map.existing_node(id).map_err(reply_error)
}

/// `HUNT.PATH map from to [MASK m] [AVOID count node ...] [MAXCOST c]`
pub fn path(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let request = command::path(&rest(args, 1)?).map_err(reply_error)?;
    let key = ctx.open_key(&args[1]);
    let map = existing_map(&key)?;
    let from = node_of(map, request.from)?;
    let to = node_of(map, request.to)?;
    let query = request.options.query(map);
    let route = SEARCH
        .with_borrow_mut(|search| search.path_with(map, from, to, &query, request.options.algo))
        .map_err(reply_error)?;
    Ok(route.map_or(RedisValue::Null, |route| route_fields(map, &route).into()))
}

fn route_fields(map: &Map, route: &Route) -> Fields {
    let path = route.path.iter().map(|&n| RedisValue::Integer(map.id(n) as i64)).collect();
    Fields::new()
        .int("cost", route.cost as i64)
        .field("path", RedisValue::Array(path))
        .int("version", map.version() as i64)
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
    let (version, clue) = board
        .and_then(|b| b.clue(request.clue))
        .ok_or_else(|| reply_error(Error::NoSuchClue(request.clue.to_vec())))?;
    let target = clue.node.ok_or_else(|| reply_error(Error::ClueWithoutNode(request.clue.to_vec())))?;
    let from = node_of(map, request.from)?;
    let to = node_of(map, target)?;
    let query = request.options.query(map);
    let route = SEARCH.with_borrow_mut(|search| search.path_with(map, from, to, &query, request.options.algo));
    let Some(route) = route.map_err(reply_error)? else {
        return Ok(RedisValue::Null);
    };
    let clue_fields = Fields::new()
        .field("id", RedisValue::StringBuffer(request.clue.to_vec()))
        .int("version", version as i64)
        .field("payload", RedisValue::StringBuffer(clue.payload.clone()))
        .int("node", target as i64);
    Ok(route_fields(map, &route).field("clue", clue_fields.into()).into())
}

/// `HUNT.REACH map from maxcost [LIMIT n] [options]`: `nodes`, pairs of node id and cost,
/// nearest first.
pub fn reach(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let request = command::reach(&rest(args, 1)?).map_err(reply_error)?;
    let key = ctx.open_key(&args[1]);
    let map = existing_map(&key)?;
    let from = node_of(map, request.from)?;
    let query = request.options.query(map);
    let mut reached = Vec::new();
    SEARCH.with_borrow_mut(|search| search.reach(map, from, request.limit, &query, &mut reached));
    let nodes = reached
        .iter()
        .map(|&(v, cost)| {
            RedisValue::Array(vec![RedisValue::Integer(map.id(v) as i64), RedisValue::Integer(cost as i64)])
        })
        .collect();
    Ok(Fields::new().field("nodes", RedisValue::Array(nodes)).int("version", map.version() as i64).into())
}

/// `HUNT.MATRIX map FROM count node ... TO count node ... [options]`: `costs`, one row per
/// source, one entry per target, null where unreachable.
pub fn matrix(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let request = command::matrix(&rest(args, 1)?, config::max_batch(ctx)).map_err(reply_error)?;
    let key = ctx.open_key(&args[1]);
    let map = existing_map(&key)?;
    let sources = request.sources.iter().map(|&id| node_of(map, id)).collect::<Result<Vec<_>, _>>()?;
    let targets = request.targets.iter().map(|&id| node_of(map, id)).collect::<Result<Vec<_>, _>>()?;
    let query = request.options.query(map);
    let mut row = Vec::new();
    let rows = SEARCH.with_borrow_mut(|search| {
        sources
            .iter()
            .map(|&from| {
                search.costs(map, from, &targets, &query, &mut row);
                RedisValue::Array(
                    row.iter().map(|c| c.map_or(RedisValue::Null, |c| RedisValue::Integer(c as i64))).collect(),
                )
            })
            .collect()
    });
    Ok(Fields::new().field("costs", RedisValue::Array(rows)).int("version", map.version() as i64).into())
}
