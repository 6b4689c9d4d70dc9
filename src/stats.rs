//! The counters behind `INFO hunt`. Commands, searches (on the main thread and on workers),
//! publishes and type callbacks update them with relaxed atomics: one uncontended add each,
//! nothing allocated, nothing locked.

use hunt_core::Histogram;
use redis_module::{InfoContext, RedisResult};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Live values of each type (created, loaded or copied, minus freed).
pub static MAPS: AtomicI64 = AtomicI64::new(0);
pub static BOARDS: AtomicI64 = AtomicI64::new(0);

/// HUNT commands called, errors included.
pub static COMMANDS: AtomicU64 = AtomicU64::new(0);
/// Searches answered on the main thread, and those moved to a worker.
pub static SEARCHES_INLINE: AtomicU64 = AtomicU64::new(0);
pub static SEARCHES_OFFLOADED: AtomicU64 = AtomicU64::new(0);
/// Paths answered by walking a shortest-path tree (no search), and trees built.
pub static TREE_ANSWERS: AtomicU64 = AtomicU64::new(0);
pub static TREES_BUILT: AtomicU64 = AtomicU64::new(0);
/// Nodes settled by all searches, inline attempts of offloaded ones included.
pub static SETTLED: AtomicU64 = AtomicU64::new(0);
/// Searches stopped by `hunt.max-settled` or by a disconnect.
pub static SEARCHES_STOPPED: AtomicU64 = AtomicU64::new(0);
/// Board changes published, and the Pub/Sub messages Redis delivered for them (receivers).
pub static PUBLISHES: AtomicU64 = AtomicU64::new(0);
pub static MESSAGES: AtomicU64 = AtomicU64::new(0);

/// The time of each whole search, from the command to its answer (inline or offloaded).
pub static SEARCH_TIME: Histogram = Histogram::new();

pub fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

pub fn live(counter: &AtomicI64, delta: i64) {
    counter.fetch_add(delta, Ordering::Relaxed);
}

/// `INFO hunt`.
pub fn info(ctx: &InfoContext) -> RedisResult<()> {
    let get = |c: &AtomicU64| c.load(Ordering::Relaxed) as i64;
    let searches = get(&SEARCHES_INLINE) + get(&SEARCHES_OFFLOADED);
    let settled = get(&SETTLED);
    let [p50, p99, p999] = SEARCH_TIME.quantiles([0.5, 0.99, 0.999]).unwrap_or([0; 3]);
    ctx.builder()
        .add_section("stats")
        .field("maps", MAPS.load(Ordering::Relaxed).max(0))?
        .field("boards", BOARDS.load(Ordering::Relaxed).max(0))?
        .field("commands", get(&COMMANDS))?
        .field("searches", searches)?
        .field("searches_inline", get(&SEARCHES_INLINE))?
        .field("searches_offloaded", get(&SEARCHES_OFFLOADED))?
        .field("searches_stopped", get(&SEARCHES_STOPPED))?
        .field("settled_nodes", settled)?
        .field("settled_per_search", if searches > 0 { settled / searches } else { 0 })?
        .field("search_usec_p50", p50 as i64)?
        .field("search_usec_p99", p99 as i64)?
        .field("search_usec_p999", p999 as i64)?
        .field("path_tree_answers", get(&TREE_ANSWERS))?
        .field("path_trees_built", get(&TREES_BUILT))?
        .field("publishes", get(&PUBLISHES))?
        .field("messages_sent", get(&MESSAGES))?
        .field("workers", crate::config::workers() as i64)?
        .build_section()?
        .build_info()?;
    Ok(())
}
