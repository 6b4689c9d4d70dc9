//! Long searches run beside Redis, not inside its main loop.
//!
//! The rule: every query starts inline, on the main thread, allowed to settle at most
//! `hunt.inline-budget` nodes. Most player queries (a nearby clue) finish within it and are
//! answered at once, with no thread hop. A query that runs out of budget starts again on a
//! worker thread of a small pool (`hunt.workers`), on a snapshot of the map taken on the main
//! thread at the time of the command (a clone of its `Arc` arrays: O(1)), while its client is
//! blocked; the worker replies to the client itself. Workers never touch the keyspace nor take
//! Redis's lock; a map change never waits for a worker (it copies an array a snapshot still
//! shares), and a search never waits for a map change. Where a client may not block (MULTI,
//! Lua, functions) or `hunt.workers` is 0, the query runs inline within `hunt.max-settled`. A
//! client that disconnects (or is killed) while blocked cancels its search.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard};
use std::time::Instant;

use hunt_core::trees::{TREE_NODES, Tree};
use hunt_core::{Error, Map, Node, Search};
use redis_module::{Context, ContextFlags, RedisResult, RedisValue, raw};

use crate::config;
use crate::guard::reply_error;
use crate::stats;

type Task = Box<dyn FnOnce(&mut Search) + Send>;

struct Pool {
    queue: Mutex<Queue>,
    wake: Condvar,
    /// Worker threads alive.
    alive: AtomicUsize,
}

/// Searches a client waits for go first; background jobs (tree builds) take a worker only
/// when no search waits, and one at a time, so that a client never queues behind more than
/// one of them.
#[derive(Default)]
struct Queue {
    searches: VecDeque<Task>,
    background: VecDeque<Task>,
    background_running: bool,
}

impl Queue {
    fn is_empty(&self) -> bool {
        self.searches.is_empty() && self.background.is_empty()
    }

    /// The next task, and whether it is a background one.
    fn pop(&mut self) -> Option<(Task, bool)> {
        if let Some(task) = self.searches.pop_front() {
            return Some((task, false));
        }
        if self.background_running {
            return None;
        }
        let task = self.background.pop_front()?;
        self.background_running = true;
        Some((task, true))
    }
}

static POOL: LazyLock<Pool> =
    LazyLock::new(|| Pool { queue: Mutex::new(Queue::default()), wake: Condvar::new(), alive: AtomicUsize::new(0) });

/// Cancel flags of blocked clients, by the address of their `RedisModuleBlockedClient`.
static CANCELS: LazyLock<Mutex<HashMap<usize, Arc<AtomicBool>>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

thread_local! {
    /// This thread's search scratch (the main thread's, each worker's), reused by every query.
    static SEARCH: RefCell<Search> = RefCell::new(Search::new());
}

/// A poisoned lock only means a panic elsewhere; the data (a queue, a table) is still sound.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `query` on `map` by the rule above: replies now, or blocks the client and lets a
/// worker reply later.
pub fn run<Q>(ctx: &Context, map: &Map, query: Q) -> RedisResult
where
    Q: Fn(&Map, &mut Search) -> Result<RedisValue, Error> + Send + 'static,
{
    let max = config::max_settled();
    let may_block = config::workers() > 0
        && !ctx.get_flags().intersects(ContextFlags::MULTI | ContextFlags::LUA | ContextFlags::DENY_BLOCKING);
    let inline_limit = if may_block { config::inline_budget().min(max) } else { max };
    let started = Instant::now();
    let result = SEARCH.with_borrow_mut(|search| {
        search.limit(inline_limit, None);
        let result = query(map, search);
        stats::add(&stats::SETTLED, search.settled() as u64);
        search.limit(usize::MAX, None);
        result
    });
    match result {
        Err(Error::SearchBudget) if may_block && inline_limit < max => {
            stats::add(&stats::SEARCHES_OFFLOADED, 1);
            offload(ctx, map.clone(), max, started, move |map, search| query(map, search));
            Ok(RedisValue::NoReply)
        }
        other => {
            stats::add(&stats::SEARCHES_INLINE, 1);
            searched(started, &other);
            other.map_err(reply_error)
        }
    }
}

/// Builds the shortest-path tree towards `target` on a worker, from a snapshot of the map; it
/// joins the trees of the snapshot's version, which the map still holds unless it changed
/// meanwhile (see `hunt_core::trees`). No client waits for it.
pub fn build_tree(snapshot: Map, target: Node) {
    submit_background(Box::new(move |search: &mut Search| {
        search.limit(config::max_settled(), None);
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Tree::build(&snapshot, target, TREE_NODES, search)
        }));
        search.limit(usize::MAX, None);
        match built {
            Ok(Some(tree)) => {
                stats::add(&stats::TREES_BUILT, 1);
                snapshot.trees().insert(tree);
            }
            _ => snapshot.trees().abandon(target),
        }
    }));
}

/// Counts a finished search: its time from the command, and whether it had to stop.
fn searched(started: Instant, result: &Result<RedisValue, Error>) {
    stats::SEARCH_TIME.record(started.elapsed());
    if matches!(result, Err(Error::SearchBudget | Error::Cancelled)) {
        stats::add(&stats::SEARCHES_STOPPED, 1);
    }
}

/// A blocked client's handle, moved to the worker that will answer it.
struct Blocked(*mut raw::RedisModuleBlockedClient);

// SAFETY: Redis allows a blocked client to be replied to and unblocked from any thread.
unsafe impl Send for Blocked {}

fn offload(
    ctx: &Context,
    snapshot: Map,
    max: usize,
    started: Instant,
    query: impl FnOnce(&Map, &mut Search) -> Result<RedisValue, Error> + Send + 'static,
) {
    let (Some(block), Some(on_disconnect)) =
        (unsafe { raw::RedisModule_BlockClient }, unsafe { raw::RedisModule_SetDisconnectCallback })
    else {
        return;
    };
    let bc = unsafe { block(ctx.get_raw(), None, None, Some(unblocked), 0) };
    let cancel = Arc::new(AtomicBool::new(false));
    lock(&CANCELS).insert(bc as usize, Arc::clone(&cancel));
    unsafe { on_disconnect(bc, Some(disconnected)) };
    let blocked = Blocked(bc);
    submit(Box::new(move |search: &mut Search| {
        let blocked = blocked;
        // The worker's time counts as the command's, so a slow search shows in SLOWLOG,
        // LATENCY and INFO commandstats like any slow command.
        measure(&blocked, true);
        search.limit(max, Some(cancel));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| query(&snapshot, search)))
            .unwrap_or_else(|_| Err(Error::Internal));
        stats::add(&stats::SETTLED, search.settled() as u64);
        searched(started, &result);
        let result = result.map_err(reply_error);
        search.limit(usize::MAX, None);
        measure(&blocked, false);
        drop(snapshot);
        lock(&CANCELS).remove(&(blocked.0 as usize));
        answer(blocked, result, started.elapsed().as_millis() as usize);
    }));
}

/// Starts or ends the measured time of a blocked client (Redis 6.2 and newer; a no-op
/// where the server lacks the API).
fn measure(blocked: &Blocked, start: bool) {
    let api = unsafe {
        if start {
            raw::RedisModule_BlockedClientMeasureTimeStart
        } else {
            raw::RedisModule_BlockedClientMeasureTimeEnd
        }
    };
    if let Some(mark) = api {
        unsafe { mark(blocked.0) };
    }
}

/// Replies to a blocked client from a worker, then unblocks it, handing the search's whole
/// time in milliseconds to [`unblocked`] as the private data (a number in a pointer: nothing
/// to allocate or free; 0 passes a null pointer, and Redis then skips the callback).
fn answer(blocked: Blocked, result: RedisResult, elapsed_ms: usize) {
    unsafe {
        if let (Some(get), Some(free), Some(unblock)) = (
            raw::RedisModule_GetThreadSafeContext,
            raw::RedisModule_FreeThreadSafeContext,
            raw::RedisModule_UnblockClient,
        ) {
            let tctx = get(blocked.0);
            Context::new(tctx).reply(result);
            free(tctx);
            unblock(blocked.0, ptr::without_provenance_mut(elapsed_ms));
        }
    }
}

/// Redis calls this on the main thread once a blocked client is answered: the search's time
/// goes to the latency monitor's `command` event, where an inline command's time goes
/// (Redis itself only samples the unblocking, not the worker's time).
unsafe extern "C" fn unblocked(_ctx: *mut raw::RedisModuleCtx, elapsed_ms: *mut c_void) {
    let _ = std::panic::catch_unwind(|| {
        if let Some(sample) = unsafe { raw::RedisModule_LatencyAddSample } {
            unsafe { sample(c"command".as_ptr(), elapsed_ms as usize as raw::mstime_t) };
        }
    });
}

/// Redis calls this on the main thread when a blocked client disconnects or is killed.
unsafe extern "C" fn disconnected(_ctx: *mut raw::RedisModuleCtx, bc: *mut raw::RedisModuleBlockedClient) {
    let _ = std::panic::catch_unwind(|| {
        if let Some(flag) = lock(&CANCELS).get(&(bc as usize)) {
            flag.store(true, Ordering::Relaxed);
        }
    });
}

fn submit(task: Task) {
    ensure_workers();
    lock(&POOL.queue).searches.push_back(task);
    POOL.wake.notify_one();
}

fn submit_background(task: Task) {
    ensure_workers();
    lock(&POOL.queue).background.push_back(task);
    POOL.wake.notify_one();
}

/// Starts workers until `hunt.workers` are alive; surplus workers leave when idle.
pub fn ensure_workers() {
    let wanted = config::workers();
    while POOL.alive.load(Ordering::SeqCst) < wanted {
        POOL.alive.fetch_add(1, Ordering::SeqCst);
        let spawned = std::thread::Builder::new().name("hunt-worker".into()).spawn(worker);
        if spawned.is_err() {
            POOL.alive.fetch_sub(1, Ordering::SeqCst);
            break;
        }
    }
    POOL.wake.notify_all();
}

fn worker() {
    // Workers give way to Redis's main thread: with as many workers as cores, an equal priority
    // made PING wait for a core (p99 4 ms in `hunt-bench stall`); at nice 19 it stays under 1 ms.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 19);
    }
    loop {
        let (task, background) = {
            let mut queue = lock(&POOL.queue);
            loop {
                if let Some(next) = queue.pop() {
                    break next;
                }
                let alive = POOL.alive.load(Ordering::SeqCst);
                if alive > config::workers().max(usize::from(!queue.is_empty())) {
                    POOL.alive.fetch_sub(1, Ordering::SeqCst);
                    return;
                }
                queue = POOL.wake.wait(queue).unwrap_or_else(|e| e.into_inner());
            }
        };
        // A panic in a search must not kill the worker (or the server): the task's own guard
        // has already turned it into a reply where possible.
        let _ =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| SEARCH.with_borrow_mut(|search| task(search))));
        if background {
            lock(&POOL.queue).background_running = false;
            // Another worker may be waiting for this one's turn to end.
            POOL.wake.notify_one();
        }
    }
}
