//! Module configuration (`CONFIG SET hunt.<name>`, or `loadmodule hunt.so <name> <value>`).

use std::sync::atomic::{AtomicI64, Ordering};

use redis_module::{Context, ContextFlags};

pub const DEFAULT_MAX_NODES: i64 = 100_000_000;
pub const DEFAULT_MAX_BATCH: i64 = 1_000_000;

/// The most nodes one map may hold.
pub static MAX_NODES: AtomicI64 = AtomicI64::new(DEFAULT_MAX_NODES);
/// The most items (edges, pairs) one call may carry.
pub static MAX_BATCH: AtomicI64 = AtomicI64::new(DEFAULT_MAX_BATCH);

/// Limits guard what clients send. A command replayed from the primary or the AOF was
/// accepted once already and must apply the same way whatever this server's limits are, or
/// the replica would diverge.
fn limits_apply(ctx: &Context) -> bool {
    !ctx.get_flags()
        .intersects(ContextFlags::REPLICATED | ContextFlags::LOADING)
}

pub fn max_nodes(ctx: &Context) -> usize {
    if limits_apply(ctx) {
        MAX_NODES.load(Ordering::Relaxed) as usize
    } else {
        usize::MAX
    }
}

pub fn max_batch(ctx: &Context) -> usize {
    if limits_apply(ctx) {
        MAX_BATCH.load(Ordering::Relaxed) as usize
    } else {
        usize::MAX
    }
}
