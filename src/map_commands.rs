//! The map commands: open the key, let the core parse and work, reply, replicate, notify.

use std::cell::RefCell;

use hunt_core::codec::decode_map;
use hunt_core::{Error, Map, Route, Search, command};
use redis_module::key::{RedisKey, RedisKeyWritable};
use redis_module::{Context, NotifyEvent, RedisError, RedisResult, RedisString, RedisValue};

use crate::config;
use crate::guard::{reply_error, rest};
use crate::map_type::MAP_TYPE;
use crate::reply::Fields;

thread_local! {
    /// The main thread's search scratch, reused by every query on every map.
    static SEARCH: RefCell<Search> = RefCell::new(Search::new());
}

/// The map at a read-only key: `None` when the key is empty, `WRONGTYPE` for another type.
pub fn read_map(key: &RedisKey) -> Result<Option<&Map>, RedisError> {
    key.get_value::<Map>(&MAP_TYPE)
        .map_err(|_| RedisError::WrongType)
}

fn existing_map(key: &RedisKey) -> Result<&Map, RedisError> {
    read_map(key)?.ok_or_else(|| reply_error(Error::NoSuchMap))
}

fn write_map<'a>(key: &'a RedisKeyWritable) -> Result<Option<&'a mut Map>, RedisError> {
    key.get_value::<Map>(&MAP_TYPE)
        .map_err(|_| RedisError::WrongType)
}

/// `HUNT.ADDEDGES map [CLASS c] from to weight [from to weight ...]`
pub fn add_edges(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let request =
        command::add_edges(&rest(args, 1)?, config::max_batch(ctx)).map_err(reply_error)?;
    let key = ctx.open_key_writable(&args[1]);
    let added = match write_map(&key)? {
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
    let path = route
        .path
        .iter()
        .map(|&n| RedisValue::Integer(map.id(n) as i64))
        .collect();
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

/// `HUNT.RESTORE key blob`: replaces the key with a value in hunt's persisted form. The AOF
/// rewrite writes it; users may call it like `RESTORE`.
pub fn restore(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if args.len() != 3 {
        return Err(RedisError::WrongArity);
    }
    let map = decode_map(args[2].as_slice()).map_err(reply_error)?;
    let key = ctx.open_key_writable(&args[1]);
    if !key.is_empty() && write_map(&key)?.is_none() {
        return Err(RedisError::WrongType);
    }
    key.set_value(&MAP_TYPE, map)?;
    ctx.replicate_verbatim();
    ctx.notify_keyspace_event(NotifyEvent::MODULE, "hunt.restore", &args[1]);
    Ok(RedisValue::SimpleStringStatic("OK"))
}
