//! hunt as a Redis module: the thin layer between Redis and the pure core in `hunt-core`.
//! It parses nothing itself (the core does), opens keys, calls the core, replies, replicates
//! and notifies. All unsafe code of the project lives in this crate.

use redis_module::alloc::RedisAlloc;
use redis_module::{Context, InfoContext, RedisResult, RedisString, Status, redis_module};

mod board_commands;
mod command_info;
mod config;
mod guard;
mod map_commands;
mod offload;
mod query_commands;
mod reply;
mod stats;
mod types;

use types::{BOARD_TYPE, MAP_TYPE};

/// The module's version as `MODULE LIST` shows it: major * 10000 + minor * 100 + patch.
const MODULE_VERSION: i32 = 1_00;

fn init(ctx: &Context, _args: &[RedisString]) -> Status {
    guard::install_panic_hook();
    let described = command_info::apply(ctx);
    ctx.log_notice(&format!(
        "hunt {} loaded; this server takes {}",
        env!("CARGO_PKG_VERSION"),
        if described.is_empty() {
            "no command metadata (ACL: grant commands one by one)".to_string()
        } else {
            described.join(", ")
        }
    ));
    Status::Ok
}

/// `INFO hunt` (and `INFO modules`, `INFO everything`).
fn info(ctx: &InfoContext, _for_crash_report: bool) {
    if let Err(e) = stats::info(ctx) {
        redis_module::logging::log_warning(format!("hunt: INFO section failed: {e}"));
    }
}

redis_module! {
    name: "hunt",
    version: MODULE_VERSION,
    allocator: (RedisAlloc, RedisAlloc),
    data_types: [MAP_TYPE, BOARD_TYPE],
    init: init,
    info: info,
    commands: [
        ["hunt.addedges", guarded!(map_commands::add_edges), "write deny-oom", 1, 1, 1, ""],
        ["hunt.setweights", guarded!(map_commands::set_weights), "write deny-oom", 1, 1, 1, ""],
        ["hunt.close", guarded!(map_commands::close), "write deny-oom", 1, 1, 1, ""],
        ["hunt.open", guarded!(map_commands::open), "write deny-oom", 1, 1, 1, ""],
        ["hunt.nodes", guarded!(map_commands::nodes), "write deny-oom", 1, 1, 1, ""],
        ["hunt.landmarks", guarded!(map_commands::landmarks), "write deny-oom", 1, 1, 1, ""],
        ["hunt.path", guarded!(query_commands::path), "readonly", 1, 1, 1, ""],
        ["hunt.pathtoclue", guarded!(query_commands::path_to_clue), "readonly", 1, 2, 1, ""],
        ["hunt.reach", guarded!(query_commands::reach), "readonly", 1, 1, 1, ""],
        ["hunt.matrix", guarded!(query_commands::matrix), "readonly", 1, 1, 1, ""],
        ["hunt.mapinfo", guarded!(map_commands::map_info), "readonly fast", 1, 1, 1, ""],
        ["hunt.scan", guarded!(map_commands::scan), "readonly", 1, 1, 1, ""],
        ["hunt.publish", guarded!(board_commands::publish), "write deny-oom fast", 1, 1, 1, ""],
        ["hunt.unpublish", guarded!(board_commands::unpublish), "write fast", 1, 1, 1, ""],
        ["hunt.clue", guarded!(board_commands::clue), "readonly fast", 1, 1, 1, ""],
        ["hunt.clues", guarded!(board_commands::clues), "readonly", 1, 1, 1, ""],
        ["hunt.boardinfo", guarded!(board_commands::board_info), "readonly fast", 1, 1, 1, ""],
        ["hunt.replay", guarded!(board_commands::replay), "write deny-oom", 1, 1, 1, ""],
        ["hunt.restore", guarded!(types::restore), "write deny-oom", 1, 1, 1, ""],
    ],
    configurations: [
        i64: [
            ["max-nodes", &config::MAX_NODES, config::DEFAULT_MAX_NODES, 1, u32::MAX as i64, redis_module::configuration::ConfigurationFlags::DEFAULT, None],
            ["max-batch", &config::MAX_BATCH, config::DEFAULT_MAX_BATCH, 1, 100_000_000, redis_module::configuration::ConfigurationFlags::DEFAULT, None],
            ["workers", &config::WORKERS, config::default_workers(), 0, 64, redis_module::configuration::ConfigurationFlags::DEFAULT, Some(Box::new(|_, _, _| offload::ensure_workers()))],
            ["inline-budget", &config::INLINE_BUDGET, config::DEFAULT_INLINE_BUDGET, 0, i64::MAX, redis_module::configuration::ConfigurationFlags::DEFAULT, None],
            ["path-trees", &config::PATH_TREES, config::DEFAULT_PATH_TREES, 0, 1024, redis_module::configuration::ConfigurationFlags::DEFAULT, None],
            ["max-settled", &config::MAX_SETTLED, config::DEFAULT_MAX_SETTLED, 1, i64::MAX, redis_module::configuration::ConfigurationFlags::DEFAULT, None],
            ["max-payload", &config::MAX_PAYLOAD, config::DEFAULT_MAX_PAYLOAD, 0, 512 * 1024 * 1024, redis_module::configuration::ConfigurationFlags::DEFAULT, None],
            ["max-clue-id", &config::MAX_CLUE_ID, config::DEFAULT_MAX_CLUE_ID, 1, 1024 * 1024, redis_module::configuration::ConfigurationFlags::DEFAULT, None],
        ],
        string: [],
        bool: [],
        enum: [],
        module_args_as_configuration: true,
    ]
}
