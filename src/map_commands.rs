//! The map commands: open the key, let the core parse and work, reply, replicate, notify.

use std::cell::RefCell;

use hunt_core::{Error, Map, Route, Search, command};
use redis_module::key::RedisKey;
use redis_module::{Context, NotifyEvent, RedisError, RedisResult, RedisString, RedisValue};

use crate::config;
use crate::guard::{reply_error, rest};
use crate::reply::Fields;
use crate::types::{self, MAP_TYPE};

thread_local! {
    /// The main thread's search scratch, reused by every query on every map.
    static SEARCH: RefCell<Search> = RefCell::new(Search::new());
}

pub fn existing_map(key: &RedisKey) -> Result<&Map, RedisError> {
    types::read::<Map>(key, &MAP_TYPE)?.ok_or_else(|| reply_error(Error::NoSuchMap))
}

/// `HUNT.ADDEDGES map [CLASS c] from to weight [from to weight ...]`
pub fn add_edges(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let request = command::add_edges(&rest(args, 1)?, config::max_batch(ctx)).map_err(reply_error)?;
    let key = ctx.open_key_writable(&args[1]);
    let added = match types::write::<Map>(&key, &MAP_TYPE)? {
        Some(map) => map.add_edges(&request.edges, request.class, config::max_nodes(ctx)),
        None => {
            let mut map = Map::new();
            let added = map.add_edges(&request.edges, request.class, config::max_nodes(ctx));
            if added.is_ok() {
                key.set_value(&MAP_TYPE, map)?;
            }
            added
        }
    }
    .map_err(reply_error)?;
    ctx.replicate_verbatim();
    ctx.notify_keyspace_event(NotifyEvent::MODULE, "hunt.addedges", &args[1]);
    Ok(RedisValue::Integer(added as i64))
}

/// `HUNT.PATH map from to [MASK m] [AVOID count node ...] [MAXCOST c]`
pub fn path(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let request = command::path(&rest(args, 1)?).map_err(reply_error)?;
    let key = ctx.open_key(&args[1]);
    let map = existing_map(&key)?;
    let from = map.existing_node(request.from).map_err(reply_error)?;
    let to = map.existing_node(request.to).map_err(reply_error)?;
    let query = request.options.query(map);
    let route = SEARCH.with_borrow_mut(|search| search.path(map, from, to, &query));
    Ok(route.map_or(RedisValue::Null, |route| route_reply(map, &route)))
}

pub fn route_reply(map: &Map, route: &Route) -> RedisValue {
    let path = route.path.iter().map(|&n| RedisValue::Integer(map.id(n) as i64)).collect();
    Fields::new()
        .int("cost", route.cost as i64)
        .field("path", RedisValue::Array(path))
        .int("version", map.version() as i64)
        .into()
}

/// `HUNT.MAPINFO map`
pub fn map_info(ctx: &Context, args: &[RedisString]) -> RedisResult {
    command::no_arguments(&rest(args, 1)?[..]).map_err(reply_error)?;
    let key = ctx.open_key(&args[1]);
    let map = existing_map(&key)?;
    let closed = (0..map.edge_count()).filter(|&e| map.is_closed(e)).count();
    Ok(Fields::new()
        .int("nodes", map.node_count() as i64)
        .int("edges", map.edge_count() as i64)
        .int("closed", closed as i64)
        .int("version", map.version() as i64)
        .int("memory", map.memory() as i64)
        .into())
}
