//! No panic may cross into Redis: a panic unwinding out of a command handler aborts the whole
//! server. Every handler runs inside `run`, which turns a panic into an error reply.

use std::panic::{AssertUnwindSafe, catch_unwind};

use hunt_core::Error;
use redis_module::{Context, RedisError, RedisResult, RedisString};

/// Wraps a handler `fn(&Context, &[RedisString]) -> RedisResult` for the command table.
#[macro_export]
macro_rules! guarded {
    ($handler:path) => {
        |ctx: &redis_module::Context, args: Vec<redis_module::RedisString>| $crate::guard::run(ctx, &args, $handler)
    };
}

pub fn run(ctx: &Context, args: &[RedisString], handler: fn(&Context, &[RedisString]) -> RedisResult) -> RedisResult {
    crate::stats::add(&crate::stats::COMMANDS, 1);
    catch_unwind(AssertUnwindSafe(|| handler(ctx, args)))
        .unwrap_or_else(|_| Err(RedisError::Str("ERR internal error in hunt (logged); nothing was changed")))
}

/// Logs panics to the Redis log instead of stderr, where operators look.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        redis_module::logging::log_warning(format!("hunt: {info}"));
    }));
}

/// The error reply for a core error.
pub fn reply_error(error: Error) -> RedisError {
    match error {
        Error::WrongArity => RedisError::WrongArity,
        other => RedisError::String(other.to_string()),
    }
}

/// The arguments after the command name and `keys` keys, as bytes for the core's parser.
pub fn rest(args: &[RedisString], keys: usize) -> Result<Vec<&[u8]>, RedisError> {
    if args.len() <= keys {
        return Err(RedisError::WrongArity);
    }
    Ok(args[1 + keys..].iter().map(RedisString::as_slice).collect())
}
