//! What Redis knows about each command beyond its handler: the text `COMMAND DOCS` shows
//! (summary, complexity, arguments), exact key specs (read-only keys say so, for cluster
//! clients and `COMMAND GETKEYSANDFLAGS`), and ACL categories.
//!
//! Each part uses the API the running server has, and is skipped where it is missing, so the
//! module loads everywhere: docs and key specs need `RedisModule_SetCommandInfo` (Redis 7.0),
//! ACL categories `RedisModule_SetCommandACLCategories` (7.2), and the module's own `@hunt`
//! category `RedisModule_AddACLCategory` (7.4). On 7.0, operators grant commands one by one
//! (README, "Who may do what").

use std::ffi::{CString, c_char, c_int};
use std::ptr;

use redis_module::{Context, raw};

const SINCE: &str = env!("CARGO_PKG_VERSION");

/// How a command uses its key (the key-spec flags Redis documents).
#[derive(Clone, Copy)]
enum Access {
    /// Reads the value.
    Read,
    /// Adds to the value, creating the key if missing.
    Insert,
    /// Changes the value in place.
    Update,
    /// Replaces the value whole.
    Overwrite,
}

impl Access {
    fn flags(self) -> u64 {
        (match self {
            Access::Read => raw::REDISMODULE_CMD_KEY_RO | raw::REDISMODULE_CMD_KEY_ACCESS,
            Access::Insert => raw::REDISMODULE_CMD_KEY_RW | raw::REDISMODULE_CMD_KEY_INSERT,
            Access::Update => raw::REDISMODULE_CMD_KEY_RW | raw::REDISMODULE_CMD_KEY_UPDATE,
            Access::Overwrite => raw::REDISMODULE_CMD_KEY_OW | raw::REDISMODULE_CMD_KEY_UPDATE,
        }) as u64
    }
}

#[derive(Clone, Copy)]
enum Kind {
    /// A key name, described by the command's key spec of this index.
    Key(i32),
    Integer,
    Double,
    String,
    /// Only its token.
    Token,
    OneOf(&'static [Arg]),
    Block(&'static [Arg]),
}

#[derive(Clone, Copy)]
struct Arg {
    name: &'static str,
    kind: Kind,
    token: Option<&'static str>,
    optional: bool,
    multiple: bool,
}

const fn arg(name: &'static str, kind: Kind) -> Arg {
    Arg { name, kind, token: None, optional: false, multiple: false }
}

impl Arg {
    const fn token(self, token: &'static str) -> Arg {
        Arg { token: Some(token), ..self }
    }
    const fn optional(self) -> Arg {
        Arg { optional: true, ..self }
    }
    const fn multiple(self) -> Arg {
        Arg { multiple: true, ..self }
    }
}

struct Command {
    name: &'static str,
    summary: &'static str,
    complexity: &'static str,
    /// As Redis counts it: the name included; negative means "at least".
    arity: i32,
    /// One key spec per key, by its argument position.
    keys: &'static [(i32, Access)],
    args: &'static [Arg],
    /// Standard categories; `hunt` is added where the server can (see the module docs).
    acl: &'static str,
}

const MAP: Arg = arg("map", Kind::Key(0));
const BOARD: Arg = arg("board", Kind::Key(0));
const FROM: Arg = arg("from", Kind::Integer);
const TO: Arg = arg("to", Kind::Integer);
const CLUE: Arg = arg("clue", Kind::String);

const ALGOS: [Arg; 5] = [
    arg("auto", Kind::Token).token("AUTO"),
    arg("dijkstra", Kind::Token).token("DIJKSTRA"),
    arg("bidir", Kind::Token).token("BIDIR"),
    arg("astar", Kind::Token).token("ASTAR"),
    arg("alt", Kind::Token).token("ALT"),
];
const AVOID: [Arg; 2] = [arg("count", Kind::Integer), arg("node", Kind::Integer).multiple()];
const MASK: Arg = arg("mask", Kind::Integer).token("MASK").optional();
const AVOIDS: Arg = arg("avoid", Kind::Block(&AVOID)).token("AVOID").optional();
const MAXCOST: Arg = arg("maxcost", Kind::Integer).token("MAXCOST").optional();

const EDGE: [Arg; 3] = [FROM, TO, arg("weight", Kind::Integer)];
const PAIR: [Arg; 2] = [FROM, TO];
const NODE: [Arg; 3] = [arg("id", Kind::Integer), arg("lon", Kind::Double), arg("lat", Kind::Double)];
const NODES: [Arg; 2] = [arg("count", Kind::Integer), arg("node", Kind::Integer).multiple()];

const MAP_KEY: &[(i32, Access)] = &[(1, Access::Read)];

const COMMANDS: &[Command] = &[
    Command {
        name: "hunt.addedges",
        summary: "Adds directed edges to a map (creating it), or sets the weight and class of existing ones",
        complexity: "O(k log k) for k edges; O(nodes + edges) once per call when edges are new",
        arity: -5,
        keys: &[(1, Access::Insert)],
        args: &[MAP, arg("class", Kind::Integer).token("CLASS").optional(), arg("edge", Kind::Block(&EDGE)).multiple()],
        acl: "write slow",
    },
    Command {
        name: "hunt.setweights",
        summary: "Changes the weights of existing edges in place, all or nothing",
        complexity: "O(k log d) for k edges of out-degree d",
        arity: -5,
        keys: &[(1, Access::Update)],
        args: &[MAP, arg("edge", Kind::Block(&EDGE)).multiple()],
        acl: "write slow",
    },
    Command {
        name: "hunt.close",
        summary: "Closes edges: no search uses them until they are opened",
        complexity: "O(k log d) for k edges of out-degree d",
        arity: -4,
        keys: &[(1, Access::Update)],
        args: &[MAP, arg("edge", Kind::Block(&PAIR)).multiple()],
        acl: "write slow",
    },
    Command {
        name: "hunt.open",
        summary: "Opens closed edges again",
        complexity: "O(k log d) for k edges of out-degree d",
        arity: -4,
        keys: &[(1, Access::Update)],
        args: &[MAP, arg("edge", Kind::Block(&PAIR)).multiple()],
        acl: "write slow",
    },
    Command {
        name: "hunt.nodes",
        summary: "Stores the coordinates (degrees) of existing nodes, for A*",
        complexity: "O(k) for k nodes",
        arity: -5,
        keys: &[(1, Access::Update)],
        args: &[MAP, arg("node", Kind::Block(&NODE)).multiple()],
        acl: "write slow",
    },
    Command {
        name: "hunt.landmarks",
        summary: "Picks and precomputes ALT landmarks",
        complexity: "O(count * (edges + nodes log nodes))",
        arity: 3,
        keys: &[(1, Access::Update)],
        args: &[MAP, arg("count", Kind::Integer)],
        acl: "write slow",
    },
    Command {
        name: "hunt.path",
        summary: "The least-cost path between two nodes, with the map version it was computed on",
        complexity: "O(edges + nodes log nodes) at worst; ALT and A* settle far fewer nodes",
        arity: -4,
        keys: MAP_KEY,
        args: &[MAP, FROM, TO, MASK, AVOIDS, MAXCOST, arg("algo", Kind::OneOf(&ALGOS)).token("ALGO").optional()],
        acl: "read slow",
    },
    Command {
        name: "hunt.pathtoclue",
        summary: "The least-cost path from a node to a clue's node, with both versions",
        complexity: "As HUNT.PATH",
        arity: -5,
        keys: &[(1, Access::Read), (2, Access::Read)],
        args: &[MAP, arg("board", Kind::Key(1)), FROM, CLUE, MASK, AVOIDS, MAXCOST],
        acl: "read slow",
    },
    Command {
        name: "hunt.reach",
        summary: "Every node reachable within a cost, nearest first",
        complexity: "O(r log r) for r nodes reached (and their edges)",
        arity: -4,
        keys: MAP_KEY,
        args: &[
            MAP,
            FROM,
            arg("maxcost", Kind::Integer),
            arg("limit", Kind::Integer).token("LIMIT").optional(),
            MASK,
            AVOIDS,
        ],
        acl: "read slow",
    },
    Command {
        name: "hunt.matrix",
        summary: "The cost from each source to each target",
        complexity: "One search per source, each stopping once all targets are settled",
        arity: -7,
        keys: MAP_KEY,
        args: &[
            MAP,
            arg("sources", Kind::Block(&NODES)).token("FROM"),
            arg("targets", Kind::Block(&NODES)).token("TO"),
            MASK,
            AVOIDS,
            MAXCOST,
        ],
        acl: "read slow",
    },
    Command {
        name: "hunt.mapinfo",
        summary: "Nodes, edges, closures, version, memory, coordinates, landmarks and method of a map",
        complexity: "O(1)",
        arity: 2,
        keys: MAP_KEY,
        args: &[MAP],
        acl: "read fast",
    },
    Command {
        name: "hunt.scan",
        summary: "A page of a map's nodes with their coordinates and out-edges",
        complexity: "O(count + their edges)",
        arity: -3,
        keys: MAP_KEY,
        args: &[MAP, arg("cursor", Kind::Integer), arg("count", Kind::Integer).token("COUNT").optional()],
        acl: "read slow",
    },
    Command {
        name: "hunt.publish",
        summary: "Sets a clue under the next board version and pushes it to subscribers, atomically",
        complexity: "O(log clues + payload)",
        arity: -4,
        keys: &[(1, Access::Insert)],
        args: &[
            BOARD,
            CLUE,
            arg("payload", Kind::String),
            arg("node", Kind::Integer).token("AT").optional(),
            arg("version", Kind::Integer).token("IFVERSION").optional(),
        ],
        acl: "write fast pubsub",
    },
    Command {
        name: "hunt.unpublish",
        summary: "Removes a clue under the next board version and tells subscribers",
        complexity: "O(log clues)",
        arity: -3,
        keys: &[(1, Access::Update)],
        args: &[BOARD, CLUE, arg("version", Kind::Integer).token("IFVERSION").optional()],
        acl: "write fast pubsub",
    },
    Command {
        name: "hunt.clue",
        summary: "One clue with its version and the board's",
        complexity: "O(log clues)",
        arity: 3,
        keys: &[(1, Access::Read)],
        args: &[BOARD, CLUE],
        acl: "read fast",
    },
    Command {
        name: "hunt.clues",
        summary: "Every clue of a board, or only the changes since a version",
        complexity: "O(clues), or O(changes since the version)",
        arity: -2,
        keys: &[(1, Access::Read)],
        args: &[BOARD, arg("version", Kind::Integer).token("SINCE").optional()],
        acl: "read slow",
    },
    Command {
        name: "hunt.boardinfo",
        summary: "Clues, version and memory of a board",
        complexity: "O(1)",
        arity: 2,
        keys: &[(1, Access::Read)],
        args: &[BOARD],
        acl: "read fast",
    },
    Command {
        name: "hunt.replay",
        summary: "Internal: a board change as it reaches replicas and the AOF, with its version",
        complexity: "O(log clues + payload)",
        arity: -5,
        keys: &[(1, Access::Update)],
        args: &[BOARD, arg("change", Kind::String).multiple()],
        acl: "write slow dangerous",
    },
    Command {
        name: "hunt.restore",
        summary: "Internal: sets a key to a map or board in hunt's persisted form (AOF rewrite)",
        complexity: "O(size of the blob)",
        arity: 3,
        keys: &[(1, Access::Overwrite)],
        args: &[arg("key", Kind::Key(0)), arg("blob", Kind::String)],
        acl: "write slow dangerous",
    },
];

/// The module's own ACL category: `+@hunt` grants every HUNT command.
const CATEGORY: &str = "hunt";

/// Tells Redis about every command, as far as the server allows. Runs in `OnLoad`, after the
/// commands exist. Returns the parts that were applied, for the log.
pub fn apply(ctx: &Context) -> Vec<&'static str> {
    let mut applied = Vec::new();
    // SAFETY: the API table is filled in once, before OnLoad runs; this reads it.
    let (add_category, get_command, set_info, set_acl) = unsafe {
        (
            raw::RedisModule_AddACLCategory,
            raw::RedisModule_GetCommand,
            raw::RedisModule_SetCommandInfo,
            raw::RedisModule_SetCommandACLCategories,
        )
    };
    // SAFETY (all calls below): the function pointers come from the server that loaded us
    // (checked for presence), `ctx` is the OnLoad context, and every pointer we pass points to
    // NUL-terminated strings and zero-terminated arrays that are leaked, so they outlive any
    // use Redis may make of them (a few KB, once per load).
    let category = match add_category {
        Some(add) => {
            let name = leak_str(CATEGORY);
            unsafe { add(ctx.ctx, name) == raw::REDISMODULE_OK as c_int }
        }
        None => false,
    };
    let (mut docs, mut acl) = (true, true);
    for command in COMMANDS {
        let name = leak_str(command.name);
        let handle = match get_command {
            Some(get) => unsafe { get(ctx.ctx, name) },
            None => ptr::null_mut(),
        };
        if handle.is_null() {
            ctx.log_warning(&format!("hunt: command {} not found to describe", command.name));
            return applied;
        }
        match set_info {
            Some(set) => {
                let info = leak(command_info(command));
                docs &= unsafe { set(handle, info) } == raw::REDISMODULE_OK as c_int;
            }
            None => docs = false,
        }
        match set_acl {
            Some(set) => {
                let categories = if category { format!("{} {CATEGORY}", command.acl) } else { command.acl.to_string() };
                acl &= unsafe { set(handle, leak_str(&categories)) } == raw::REDISMODULE_OK as c_int;
            }
            None => acl = false,
        }
    }
    if docs {
        applied.push("command docs and key specs");
    }
    if acl {
        applied.push("ACL categories");
    }
    if category {
        applied.push("the @hunt ACL category");
    }
    applied
}

fn command_info(command: &Command) -> raw::RedisModuleCommandInfo {
    let version = leak(raw::RedisModuleCommandInfoVersion {
        version: 1,
        sizeof_historyentry: size_of::<raw::RedisModuleCommandHistoryEntry>(),
        sizeof_keyspec: size_of::<raw::RedisModuleCommandKeySpec>(),
        sizeof_arg: size_of::<raw::RedisModuleCommandArg>(),
    });
    let mut specs: Vec<raw::RedisModuleCommandKeySpec> =
        command.keys.iter().map(|&(pos, access)| key_spec(pos, access)).collect();
    // SAFETY: the all-zero key spec is the terminator Redis expects (plain data, no references).
    specs.push(unsafe { std::mem::zeroed() });
    raw::RedisModuleCommandInfo {
        version,
        summary: leak_str(command.summary),
        complexity: leak_str(command.complexity),
        since: leak_str(SINCE),
        history: ptr::null_mut(),
        tips: ptr::null(),
        arity: command.arity,
        key_specs: leak_slice(specs),
        args: args(command.args),
    }
}

fn key_spec(pos: i32, access: Access) -> raw::RedisModuleCommandKeySpec {
    raw::RedisModuleCommandKeySpec {
        notes: ptr::null(),
        flags: access.flags(),
        begin_search_type: raw::RedisModuleKeySpecBeginSearchType_REDISMODULE_KSPEC_BS_INDEX,
        bs: raw::RedisModuleCommandKeySpec__bindgen_ty_1 {
            index: raw::RedisModuleCommandKeySpec__bindgen_ty_1__bindgen_ty_1 { pos },
        },
        find_keys_type: raw::RedisModuleKeySpecFindKeysType_REDISMODULE_KSPEC_FK_RANGE,
        fk: raw::RedisModuleCommandKeySpec__bindgen_ty_2 {
            range: raw::RedisModuleCommandKeySpec__bindgen_ty_2__bindgen_ty_1 { lastkey: 0, keystep: 1, limit: 0 },
        },
    }
}

/// A zero-terminated argument array (null when there are none).
fn args(list: &[Arg]) -> *mut raw::RedisModuleCommandArg {
    if list.is_empty() {
        return ptr::null_mut();
    }
    let mut out: Vec<raw::RedisModuleCommandArg> = list.iter().map(command_arg).collect();
    // SAFETY: the all-zero argument (null name) is the terminator Redis expects.
    out.push(unsafe { std::mem::zeroed() });
    leak_slice(out)
}

fn command_arg(a: &Arg) -> raw::RedisModuleCommandArg {
    let (type_, key_spec_index, subargs) = match a.kind {
        Kind::Key(index) => (raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_KEY, index, ptr::null_mut()),
        Kind::Integer => (raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_INTEGER, -1, ptr::null_mut()),
        Kind::Double => (raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_DOUBLE, -1, ptr::null_mut()),
        Kind::String => (raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_STRING, -1, ptr::null_mut()),
        Kind::Token => (raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_PURE_TOKEN, -1, ptr::null_mut()),
        Kind::OneOf(list) => (raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_ONEOF, -1, args(list)),
        Kind::Block(list) => (raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_BLOCK, -1, args(list)),
    };
    let mut flags = 0;
    if a.optional {
        flags |= raw::REDISMODULE_CMD_ARG_OPTIONAL;
    }
    if a.multiple {
        flags |= raw::REDISMODULE_CMD_ARG_MULTIPLE;
    }
    raw::RedisModuleCommandArg {
        name: leak_str(a.name),
        type_,
        key_spec_index,
        token: a.token.map_or(ptr::null(), leak_str),
        summary: ptr::null(),
        since: ptr::null(),
        flags: flags as c_int,
        deprecated_since: ptr::null(),
        subargs,
        display_text: ptr::null(),
    }
}

fn leak<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

fn leak_slice<T>(values: Vec<T>) -> *mut T {
    Box::leak(values.into_boxed_slice()).as_mut_ptr()
}

/// The texts above are constants without NUL bytes; a NUL would only shorten the text.
fn leak_str(text: &str) -> *const c_char {
    let text: Vec<u8> = text.bytes().take_while(|&b| b != 0).collect();
    CString::new(text).map_or(ptr::null(), |c| c.into_raw() as *const c_char)
}
