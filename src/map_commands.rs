//! The map commands: open the key, let the core parse and work, reply, replicate, notify.

use hunt_core::{Error, Map, Search, command};
use redis_module::key::RedisKey;
use redis_module::{Context, NotifyEvent, RedisError, RedisResult, RedisString, RedisValue};

use crate::config;
use crate::guard::{reply_error, rest};
use crate::reply::Fields;
use crate::types::{self, MAP_TYPE, Stored};

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
                types::store(&key, &MAP_TYPE, map)?;
            }
            added
        }
    }
    .map_err(reply_error)?;
    ctx.replicate_verbatim();
    ctx.notify_keyspace_event(NotifyEvent::MODULE, "hunt.addedges", &args[1]);
    Ok(RedisValue::Integer(added as i64))
}

/// Applies a change to an existing map, then replicates it (the command is deterministic
/// given the map, which replicas hold identically) and fires `event`.
fn change_map(
    ctx: &Context,
    args: &[RedisString],
    event: &str,
    change: impl FnOnce(&mut Map) -> Result<usize, Error>,
) -> RedisResult {
    let key = ctx.open_key_writable(&args[1]);
    let map = types::write::<Map>(&key, &MAP_TYPE)?.ok_or_else(|| reply_error(Error::NoSuchMap))?;
    let changed = change(map).map_err(reply_error)?;
    ctx.replicate_verbatim();
    ctx.notify_keyspace_event(NotifyEvent::MODULE, event, &args[1]);
    Ok(RedisValue::Integer(changed as i64))
}

/// `HUNT.SETWEIGHTS map from to weight [from to weight ...]`: how many weights changed.
pub fn set_weights(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let edges = command::set_weights(&rest(args, 1)?, config::max_batch(ctx)).map_err(reply_error)?;
    change_map(ctx, args, "hunt.setweights", |map| map.set_weights(&edges))
}

/// `HUNT.CLOSE map from to [from to ...]`: how many edges were open and are now closed.
pub fn close(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let pairs = command::edge_pairs(&rest(args, 1)?, config::max_batch(ctx)).map_err(reply_error)?;
    change_map(ctx, args, "hunt.close", |map| map.set_closed(&pairs, true))
}

/// `HUNT.OPEN map from to [from to ...]`: how many edges were closed and are now open.
pub fn open(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let pairs = command::edge_pairs(&rest(args, 1)?, config::max_batch(ctx)).map_err(reply_error)?;
    change_map(ctx, args, "hunt.open", |map| map.set_closed(&pairs, false))
}

/// `HUNT.NODES map id lon lat [id lon lat ...]`: how many nodes got their first coordinates.
pub fn nodes(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let nodes = command::nodes(&rest(args, 1)?, config::max_batch(ctx)).map_err(reply_error)?;
    change_map(ctx, args, "hunt.nodes", |map| map.set_coordinates(&nodes))
}

/// `HUNT.LANDMARKS map count`: picks `count` landmarks and computes their cost tables (0
/// removes them). Replies the number of landmarks.
pub fn landmarks(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let count = command::landmarks(&rest(args, 1)?).map_err(reply_error)?;
    change_map(ctx, args, "hunt.landmarks", |map| {
        map.compute_landmarks(count);
        Ok(map.landmark_info().0)
    })
}

/// `HUNT.SCAN map cursor [COUNT count]`: `[next cursor, [[id, lon, lat, [[to, weight, class,
/// closed], ...]], ...]]`, a page of nodes in index order with their out-edges. A missing map
/// is an empty scan.
pub fn scan(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let request = command::scan(&rest(args, 1)?, config::max_batch(ctx)).map_err(reply_error)?;
    let key = ctx.open_key(&args[1]);
    let Some(map) = types::read::<Map>(&key, &MAP_TYPE)? else {
        return Ok(RedisValue::Array(vec![RedisValue::BulkString("0".into()), RedisValue::Array(Vec::new())]));
    };
    let (page, next) = map.scan(request.cursor, request.count);
    let degrees = |d: Option<f64>| d.map_or(RedisValue::Null, |d| RedisValue::BulkString(format_degrees(d)));
    let nodes = page
        .map(|u| {
            let edges = map
                .out_edges(u)
                .map(|e| {
                    RedisValue::Array(vec![
                        RedisValue::Integer(e.to as i64),
                        RedisValue::Integer(e.weight.into()),
                        RedisValue::Integer(e.class.into()),
                        RedisValue::Integer(e.closed.into()),
                    ])
                })
                .collect();
            let at = map.coordinates(u);
            RedisValue::Array(vec![
                RedisValue::Integer(map.id(u) as i64),
                degrees(at.map(|(lon, _)| lon)),
                degrees(at.map(|(_, lat)| lat)),
                RedisValue::Array(edges),
            ])
        })
        .collect();
    Ok(RedisValue::Array(vec![RedisValue::BulkString(next.to_string()), RedisValue::Array(nodes)]))
}

/// Degrees with six decimals (a millionth of a degree, the DIMACS unit, about 0.1 m), no `-0`.
fn format_degrees(d: f64) -> String {
    let text = format!("{d:.6}");
    if text == "-0.000000" { "0.000000".to_string() } else { text }
}

/// `HUNT.MAPINFO map`
pub fn map_info(ctx: &Context, args: &[RedisString]) -> RedisResult {
    command::no_arguments(&rest(args, 1)?[..]).map_err(reply_error)?;
    let key = ctx.open_key(&args[1]);
    let map = existing_map(&key)?;
    let closed = (0..map.edge_count()).filter(|&e| map.is_closed(e)).count();
    let (landmarks, valid) = map.landmark_info();
    Ok(Fields::new()
        .int("nodes", map.node_count() as i64)
        .int("edges", map.edge_count() as i64)
        .int("closed", closed as i64)
        .int("version", map.version() as i64)
        .int("memory", Stored::memory(map) as i64)
        .int("located", map.located() as i64)
        .int("landmarks", landmarks as i64)
        .int("landmarks_valid", i64::from(valid))
        .field("algo", RedisValue::SimpleStringStatic(Search::choose(map).name()))
        .int("trees", map.trees().len() as i64)
        .into())
}
