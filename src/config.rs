//! Module configuration (`CONFIG SET hunt.<name>`, or `loadmodule hunt.so <name> <value>`).

use std::sync::atomic::{AtomicI64, Ordering};

use hunt_core::command::ClueLimits;
use redis_module::{Context, ContextFlags};

pub const DEFAULT_MAX_NODES: i64 = 100_000_000;
pub const DEFAULT_MAX_BATCH: i64 = 1_000_000;
pub const DEFAULT_INLINE_BUDGET: i64 = 500;
pub const DEFAULT_PATH_TREES: i64 = 16;
pub const DEFAULT_MAX_SETTLED: i64 = 100_000_000;
pub const DEFAULT_MAX_PAYLOAD: i64 = 64 * 1024;
pub const DEFAULT_MAX_CLUE_ID: i64 = 512;

/// The most nodes one map may hold.
pub static MAX_NODES: AtomicI64 = AtomicI64::new(DEFAULT_MAX_NODES);
/// The most items (edges, pairs) one call may carry.
pub static MAX_BATCH: AtomicI64 = AtomicI64::new(DEFAULT_MAX_BATCH);

/// Worker threads for long searches; 0 runs every search inline.
pub static WORKERS: AtomicI64 = AtomicI64::new(0);
/// Nodes a search may settle inline before it moves to a worker.
pub static INLINE_BUDGET: AtomicI64 = AtomicI64::new(DEFAULT_INLINE_BUDGET);
/// Shortest-path trees a map may hold, for its most asked-for targets (see `hunt_core::trees`).
pub static PATH_TREES: AtomicI64 = AtomicI64::new(DEFAULT_PATH_TREES);
/// Nodes one query may settle at most, anywhere; beyond, `ERR search budget exceeded`.
pub static MAX_SETTLED: AtomicI64 = AtomicI64::new(DEFAULT_MAX_SETTLED);

/// The default pool size: one worker per core.
pub fn default_workers() -> i64 {
    std::thread::available_parallelism().map_or(2, |n| n.get() as i64)
}

pub fn workers() -> usize {
    WORKERS.load(Ordering::Relaxed).max(0) as usize
}

pub fn inline_budget() -> usize {
    INLINE_BUDGET.load(Ordering::Relaxed).max(0) as usize
}

/// Trees are built on workers: without workers, none.
pub fn path_trees() -> usize {
    if workers() == 0 { 0 } else { PATH_TREES.load(Ordering::Relaxed).max(0) as usize }
}

pub fn max_settled() -> usize {
    MAX_SETTLED.load(Ordering::Relaxed).max(1) as usize
}

/// The largest clue payload, in bytes.
pub static MAX_PAYLOAD: AtomicI64 = AtomicI64::new(DEFAULT_MAX_PAYLOAD);
/// The longest clue id, in bytes.
pub static MAX_CLUE_ID: AtomicI64 = AtomicI64::new(DEFAULT_MAX_CLUE_ID);

/// Limits guard what clients send. A command replayed from the primary or the AOF was
/// accepted once already and must apply the same way whatever this server's limits are, or
/// the replica would diverge.
fn limits_apply(ctx: &Context) -> bool {
    !ctx.get_flags().intersects(ContextFlags::REPLICATED | ContextFlags::LOADING)
}

pub fn max_nodes(ctx: &Context) -> usize {
    if limits_apply(ctx) { MAX_NODES.load(Ordering::Relaxed) as usize } else { usize::MAX }
}

pub fn max_batch(ctx: &Context) -> usize {
    if limits_apply(ctx) { MAX_BATCH.load(Ordering::Relaxed) as usize } else { usize::MAX }
}

pub fn clue_limits(ctx: &Context) -> ClueLimits {
    if limits_apply(ctx) {
        ClueLimits {
            max_id: MAX_CLUE_ID.load(Ordering::Relaxed) as usize,
            max_payload: MAX_PAYLOAD.load(Ordering::Relaxed) as usize,
        }
    } else {
        ClueLimits::NONE
    }
}
