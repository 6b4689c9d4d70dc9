//! No panic may cross into Redis: a panic unwinding out of a command handler aborts the whole
//! server. Every handler runs inside `run`, which turns a panic into an error reply.

use std::panic::{AssertUnwindSafe, catch_unwind};

use hunt_core::Error;
use redis_module::{Context, ContextFlags, RedisError, RedisResult, RedisString};

/// Wraps a handler `fn(&Context, &[RedisString]) -> RedisResult` for the command table.
#[macro_export]
macro_rules! guarded {
    ($handler:path) => {
        |ctx: &redis_module::Context, args: Vec<redis_module::RedisString>| $crate::guard::run(ctx, &args, $handler)
    };
}

pub fn run(ctx: &Context, args: &[RedisString], handler: fn(&Context, &[RedisString]) -> RedisResult) -> RedisResult {
    crate::stats::add(&crate::stats::COMMANDS, 1);
    let result = catch_unwind(AssertUnwindSafe(|| handler(ctx, args)))
        .unwrap_or_else(|_| Err(RedisError::Str("ERR internal error in hunt (logged); nothing was changed")));
    if let Err(error) = &result
        && ctx.get_flags().contains(ContextFlags::LOADING)
    {
        refuse_damaged_aof(args, error);
    }
    result
}

/// A hunt command replayed from the AOF failed. Only writes that succeeded reach the AOF, so
/// the file is damaged (a changed blob, an edited line). Redis would go on without the change
/// (it does not check replies while loading), serving a key that silently lost data; instead
/// hunt does what Redis does with an AOF it cannot parse: log why, naming the key, and exit.
fn refuse_damaged_aof(args: &[RedisString], error: &RedisError) -> ! {
    let word = |i: usize| args.get(i).map_or_else(String::new, |a| String::from_utf8_lossy(a.as_slice()).into_owned());
    redis_module::logging::log_warning(format!(
        "hunt: cannot load key '{}' from the AOF: {} failed: {error}. The AOF is damaged; refusing to start \
         without this change. Restore the file from a backup (or remove the command and those after it on \
         this key, accepting their loss), then start again.",
        word(1),
        word(0).to_uppercase(),
    ));
    std::process::exit(1)
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
