//! The clue board commands. A change is stored, published on `hunt:<board key>`, notified,
//! and replicated as its effect (`HUNT.REPLAY` with the version the primary assigned), all
//! inside one command, so all of it happens or none of it.

use hunt_core::board::Entry;
use hunt_core::{Board, Change, Clue, Error, command, message};
use redis_module::key::RedisKeyWritable;
use redis_module::{Context, NotifyEvent, RedisError, RedisResult, RedisString, RedisValue, raw};

use crate::config;
use crate::guard::{reply_error, rest};
use crate::reply::Fields;
use crate::stats;
use crate::types::{self, BOARD_TYPE};

/// Runs `change` on the board at `key`, creating the board only if the change succeeds (a
/// refused change never leaves an empty key behind).
fn change_board<T>(
    key: &RedisKeyWritable,
    change: impl FnOnce(&mut Board) -> Result<T, Error>,
) -> Result<T, RedisError> {
    match types::write::<Board>(key, &BOARD_TYPE)? {
        Some(board) => change(board).map_err(reply_error),
        None => {
            let mut board = Board::new();
            let done = change(&mut board).map_err(reply_error)?;
            types::store(key, &BOARD_TYPE, board)?;
            Ok(done)
        }
    }
}

/// Everything that follows a change: the message, the notification and the replication of the
/// effect.
fn announce(ctx: &Context, key: &RedisString, change: &Change) {
    // Binary-safe strings: keys, ids and payloads may hold NUL bytes.
    let channel = RedisString::create_from_slice(ctx.get_raw(), &message::channel(key.as_slice()));
    let text = RedisString::create_from_slice(ctx.get_raw(), &message::encode(key.as_slice(), change));
    if let Some(publish) = unsafe { raw::RedisModule_PublishMessage } {
        let receivers = unsafe { publish(ctx.get_raw(), channel.inner, text.inner) };
        stats::add(&stats::PUBLISHES, 1);
        stats::add(&stats::MESSAGES, receivers.max(0) as u64);
    }
    let event = if change.clue.is_some() { "hunt.publish" } else { "hunt.unpublish" };
    ctx.notify_keyspace_event(NotifyEvent::MODULE, event, key);
}

fn replicate(ctx: &Context, key: &RedisString, change: &Change) {
    let version = change.version.to_string();
    match &change.clue {
        Some(clue) => {
            let node = clue.node.map_or("-".to_string(), |n| n.to_string());
            let args: [&[u8]; 6] =
                [key.as_slice(), b"PUBLISH", &change.id, version.as_bytes(), node.as_bytes(), &clue.payload];
            ctx.replicate("HUNT.REPLAY", &args[..]);
        }
        None => {
            let args: [&[u8]; 4] = [key.as_slice(), b"UNPUBLISH", &change.id, version.as_bytes()];
            ctx.replicate("HUNT.REPLAY", &args[..]);
        }
    }
}

/// `HUNT.PUBLISH board clue payload [AT node] [IFVERSION v]`
pub fn publish(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let raw = rest(args, 1)?;
    let request = command::publish(&raw, config::clue_limits(ctx)).map_err(reply_error)?;
    let key = ctx.open_key_writable(&args[1]);
    let clue = Clue { payload: request.payload.to_vec(), node: request.node };
    let change = change_board(&key, |board| board.publish(request.id, clue, request.expected))?;
    announce(ctx, &args[1], &change);
    replicate(ctx, &args[1], &change);
    Ok(RedisValue::Integer(change.version as i64))
}

/// `HUNT.UNPUBLISH board clue [IFVERSION v]`: the new version, or 0 when there was no clue.
pub fn unpublish(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let raw = rest(args, 1)?;
    let (id, expected) = command::unpublish(&raw, config::clue_limits(ctx)).map_err(reply_error)?;
    let key = ctx.open_key_writable(&args[1]);
    if key.is_empty() {
        // Nothing to remove, and the condition is checked against version 0.
        command::check_absent(expected, id).map_err(reply_error)?;
        return Ok(RedisValue::Integer(0));
    }
    match change_board(&key, |board| board.unpublish(id, expected))? {
        Some(change) => {
            announce(ctx, &args[1], &change);
            replicate(ctx, &args[1], &change);
            Ok(RedisValue::Integer(change.version as i64))
        }
        None => Ok(RedisValue::Integer(0)),
    }
}

/// `HUNT.REPLAY board PUBLISH|UNPUBLISH ...`: a change as the primary decided it, from the
/// replication stream or the AOF. Subscribers here get the same message as on the primary.
pub fn replay(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let change = command::replay(&rest(args, 1)?).map_err(reply_error)?;
    let key = ctx.open_key_writable(&args[1]);
    let change = change_board(&key, |board| board.replay(change))?;
    announce(ctx, &args[1], &change);
    ctx.replicate_verbatim();
    Ok(RedisValue::Integer(change.version as i64))
}

fn read_board<R>(ctx: &Context, key: &RedisString, with: impl FnOnce(Option<&Board>) -> R) -> Result<R, RedisError> {
    let key = ctx.open_key(key);
    Ok(with(types::read::<Board>(&key, &BOARD_TYPE)?))
}

fn bytes(b: &[u8]) -> RedisValue {
    RedisValue::StringBuffer(b.to_vec())
}

fn node_value(node: Option<u64>) -> RedisValue {
    node.map_or(RedisValue::Null, |n| RedisValue::Integer(n as i64))
}

/// `HUNT.CLUE board clue`: `version`, `payload`, `node`; null when there is no such clue.
pub fn clue(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let raw = rest(args, 1)?;
    let id = command::clue(&raw).map_err(reply_error)?;
    read_board(ctx, &args[1], |board| match board.and_then(|b| b.clue(id)) {
        None => RedisValue::Null,
        Some((version, clue)) => Fields::new()
            .int("version", version as i64)
            .field("payload", bytes(&clue.payload))
            .field("node", node_value(clue.node))
            .into(),
    })
}

fn entry_value(id: &[u8], entry: &Entry) -> RedisValue {
    let (payload, node) = match &entry.clue {
        Some(clue) => (bytes(&clue.payload), node_value(clue.node)),
        None => (RedisValue::Null, RedisValue::Null),
    };
    Fields::new()
        .field("id", bytes(id))
        .int("version", entry.version as i64)
        .field("payload", payload)
        .field("node", node)
        .int("removed", i64::from(entry.clue.is_none()))
        .into()
}

/// `HUNT.CLUES board [SINCE v]`: the board version and, in version order, every clue (without
/// SINCE) or every change after `v`, removals included (with SINCE).
pub fn clues(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let since = command::clues(&rest(args, 1)?).map_err(reply_error)?;
    read_board(ctx, &args[1], |board| {
        let (version, list) = match board {
            None => (0, Vec::new()),
            Some(board) => {
                let list = board
                    .since(since.unwrap_or(0))
                    .filter(|(_, entry)| since.is_some() || entry.clue.is_some())
                    .map(|(id, entry)| entry_value(id, entry))
                    .collect();
                (board.version(), list)
            }
        };
        Fields::new().int("version", version as i64).field("clues", RedisValue::Array(list)).into()
    })
}

/// `HUNT.BOARDINFO board`
pub fn board_info(ctx: &Context, args: &[RedisString]) -> RedisResult {
    command::no_arguments(&rest(args, 1)?).map_err(reply_error)?;
    read_board(ctx, &args[1], |board| {
        let board = board.ok_or_else(|| reply_error(Error::NoSuchBoard))?;
        Ok(Fields::new()
            .int("clues", board.len() as i64)
            .int("removed", board.removed() as i64)
            .int("version", board.version() as i64)
            .int("memory", board.memory() as i64)
            .into())
    })?
}
