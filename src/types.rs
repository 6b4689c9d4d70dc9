//! hunt's two Redis data types, the map and the board, with their callbacks: RDB, AOF
//! rewrite, free, copy, memory usage and digest.
//!
//! The value behind a key is a `Box<T>`. Both types persist as the core's self-checking blob,
//! so one generic set of callbacks serves both. Every callback is `extern "C"` and catches
//! panics itself, because no unwinding may leave it; a payload that fails the core's checks
//! is logged with its key and refused (Redis then stops loading that file) instead of
//! crashing.

use std::ffi::{c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::AtomicI64;

use hunt_core::{Board, Error, Map, codec};
use redis_module::key::{RedisKey, RedisKeyWritable};
use redis_module::native_types::RedisType;
use redis_module::{Context, NotifyEvent, RedisError, RedisResult, RedisString, RedisValue, logging, raw};

use crate::guard::reply_error;
use crate::stats;

/// What a type needs to be stored in Redis.
pub trait Stored: Clone + Sized {
    /// For log lines: "map" or "board".
    const KIND: &'static str;
    /// How many values of the type are alive (`INFO hunt`).
    fn live() -> &'static AtomicI64;
    fn encode(&self) -> Vec<u8>;
    fn decode(blob: &[u8]) -> Result<Self, Error>;
    fn memory(&self) -> usize;
}

impl Stored for Map {
    const KIND: &'static str = "map";
    fn live() -> &'static AtomicI64 {
        &stats::MAPS
    }
    fn encode(&self) -> Vec<u8> {
        codec::encode_map(self)
    }
    fn decode(blob: &[u8]) -> Result<Map, Error> {
        codec::decode_map(blob)
    }
    fn memory(&self) -> usize {
        // Every block comes from Redis's allocator (RedisAlloc), which knows its real size.
        match unsafe { raw::RedisModule_MallocSize } {
            Some(size) => self.memory_by(&|ptr, _| unsafe { size(ptr.cast_mut().cast()) }),
            None => Map::memory(self),
        }
    }
}

impl Stored for Board {
    const KIND: &'static str = "board";
    fn live() -> &'static AtomicI64 {
        &stats::BOARDS
    }
    fn encode(&self) -> Vec<u8> {
        codec::encode_board(self)
    }
    fn decode(blob: &[u8]) -> Result<Board, Error> {
        codec::decode_board(blob)
    }
    fn memory(&self) -> usize {
        Board::memory(self)
    }
}

/// The encoding version of the RDB payload (`encver`); the blob inside carries its own format
/// number as well.
const ENCODING_VERSION: i32 = 1;

pub static MAP_TYPE: RedisType = RedisType::new("hunt-map1", ENCODING_VERSION, methods::<Map>());
pub static BOARD_TYPE: RedisType = RedisType::new("hunt-brd1", ENCODING_VERSION, methods::<Board>());

const fn methods<T: Stored>() -> raw::RedisModuleTypeMethods {
    raw::RedisModuleTypeMethods {
        version: raw::REDISMODULE_TYPE_METHOD_VERSION as u64,
        rdb_load: Some(rdb_load::<T>),
        rdb_save: Some(rdb_save::<T>),
        aof_rewrite: Some(aof_rewrite::<T>),
        free: Some(free::<T>),
        mem_usage: Some(mem_usage::<T>),
        digest: Some(digest::<T>),
        aux_load: None,
        aux_save: None,
        aux_save2: None,
        aux_save_triggers: 0,
        free_effort: None,
        unlink: None,
        copy: Some(copy::<T>),
        defrag: None,
        mem_usage2: None,
        free_effort2: None,
        unlink2: None,
        copy2: None,
    }
}

/// Runs a callback body, turning a panic into `fallback` and a log line.
fn shielded<T>(what: &str, fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        logging::log_warning(format!("hunt: {what} failed"));
        fallback
    })
}

/// The key being loaded, for log lines, where the server can tell it.
unsafe fn key_name(io: *mut raw::RedisModuleIO) -> String {
    let Some(get_name) = (unsafe { raw::RedisModule_GetKeyNameFromIO }) else {
        return "(unknown key)".into();
    };
    let key = unsafe { get_name(io) };
    if key.is_null() {
        return "(unknown key)".into();
    }
    String::from_utf8_lossy(RedisString::string_as_slice(key.cast_mut())).into_owned()
}

unsafe extern "C" fn rdb_load<T: Stored>(rdb: *mut raw::RedisModuleIO, encver: c_int) -> *mut c_void {
    shielded("loading a value", std::ptr::null_mut(), || {
        let key = unsafe { key_name(rdb) };
        if encver != ENCODING_VERSION {
            logging::log_warning(format!(
                "hunt: cannot load {} '{key}': its encoding version {encver} is not one this hunt reads ({ENCODING_VERSION}); upgrade hunt",
                T::KIND
            ));
            return std::ptr::null_mut();
        }
        let Ok(blob) = raw::load_string_buffer(rdb) else {
            logging::log_warning(format!("hunt: cannot load {} '{key}': the payload is truncated", T::KIND));
            return std::ptr::null_mut();
        };
        match T::decode(blob.as_ref()) {
            Ok(value) => {
                stats::live(T::live(), 1);
                Box::into_raw(Box::new(value)).cast()
            }
            Err(why) => {
                logging::log_warning(format!(
                    "hunt: cannot load {} '{key}': {}",
                    T::KIND,
                    why.to_string().trim_start_matches("ERR ")
                ));
                std::ptr::null_mut()
            }
        }
    })
}

unsafe extern "C" fn rdb_save<T: Stored>(rdb: *mut raw::RedisModuleIO, value: *mut c_void) {
    shielded("saving a value", (), || {
        let value = unsafe { &*value.cast::<T>() };
        raw::save_slice(rdb, &value.encode());
    })
}

/// Without an RDB preamble the AOF is rebuilt from commands: one `HUNT.RESTORE key blob`.
unsafe extern "C" fn aof_rewrite<T: Stored>(
    aof: *mut raw::RedisModuleIO,
    key: *mut raw::RedisModuleString,
    value: *mut c_void,
) {
    shielded("rewriting a value into the AOF", (), || {
        let blob = unsafe { &*value.cast::<T>() }.encode();
        if let Some(emit) = unsafe { raw::RedisModule_EmitAOF } {
            unsafe { emit(aof, c"HUNT.RESTORE".as_ptr(), c"sb".as_ptr(), key, blob.as_ptr(), blob.len()) };
        }
    })
}

unsafe extern "C" fn free<T: Stored>(value: *mut c_void) {
    shielded("freeing a value", (), || {
        drop(unsafe { Box::from_raw(value.cast::<T>()) });
        stats::live(T::live(), -1);
    })
}

unsafe extern "C" fn copy<T: Stored>(
    _from: *mut raw::RedisModuleString,
    _to: *mut raw::RedisModuleString,
    value: *const c_void,
) -> *mut c_void {
    shielded("copying a value", std::ptr::null_mut(), || {
        let value = unsafe { &*value.cast::<T>() };
        stats::live(T::live(), 1);
        Box::into_raw(Box::new(value.clone())).cast()
    })
}

unsafe extern "C" fn mem_usage<T: Stored>(value: *const c_void) -> usize {
    shielded("measuring a value", 0, || unsafe { &*value.cast::<T>() }.memory())
}

/// The digest covers the whole persisted form, so equal digests mean equal values.
unsafe extern "C" fn digest<T: Stored>(md: *mut raw::RedisModuleDigest, value: *mut c_void) {
    shielded("digesting a value", (), || {
        let blob = unsafe { &*value.cast::<T>() }.encode();
        if let (Some(add), Some(end)) =
            (unsafe { raw::RedisModule_DigestAddStringBuffer }, unsafe { raw::RedisModule_DigestEndSequence })
        {
            unsafe {
                add(md, blob.as_ptr().cast_mut().cast(), blob.len());
                end(md);
            }
        }
    })
}

/// The value of type `T` at a key opened for reading: `None` when the key is empty,
/// `WRONGTYPE` (the standard error, not the crate's own text) for any other type.
pub fn read<'a, T>(key: &'a RedisKey, ty: &RedisType) -> Result<Option<&'a T>, RedisError> {
    key.get_value::<T>(ty).map_err(|_| RedisError::WrongType)
}

/// Like [`read`], for a key opened for writing.
pub fn write<'a, T>(key: &'a RedisKeyWritable, ty: &RedisType) -> Result<Option<&'a mut T>, RedisError> {
    key.get_value::<T>(ty).map_err(|_| RedisError::WrongType)
}

/// `HUNT.RESTORE key blob`: sets the key to a map or board in hunt's persisted form (the
/// blob says which), replacing a value of the same type. The AOF rewrite writes it; users
/// may call it like `RESTORE`.
pub fn restore(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if args.len() != 3 {
        return Err(RedisError::WrongArity);
    }
    let blob = args[2].as_slice();
    let key = ctx.open_key_writable(&args[1]);
    if blob.starts_with(b"HUNTBRD") {
        let board = Board::decode(blob).map_err(reply_error)?;
        replace(&key, &BOARD_TYPE, board)?;
    } else {
        let map = Map::decode(blob).map_err(reply_error)?;
        replace(&key, &MAP_TYPE, map)?;
    }
    ctx.replicate_verbatim();
    ctx.notify_keyspace_event(NotifyEvent::MODULE, "hunt.restore", &args[1]);
    Ok(RedisValue::SimpleStringStatic("OK"))
}

fn replace<T: Stored>(key: &RedisKeyWritable, ty: &RedisType, value: T) -> Result<(), RedisError> {
    if !key.is_empty() && write::<T>(key, ty)?.is_none() {
        return Err(RedisError::WrongType);
    }
    store(key, ty, value)
}

/// Sets a key to a new value of ours (a value it held before is freed through `free`).
pub fn store<T: Stored>(key: &RedisKeyWritable, ty: &RedisType, value: T) -> Result<(), RedisError> {
    key.set_value(ty, value)?;
    stats::live(T::live(), 1);
    Ok(())
}
