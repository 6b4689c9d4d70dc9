//! The map as a Redis data type: RDB, AOF rewrite, free, copy, memory usage and digest.
//!
//! The value behind a key is a `Box<Map>`. Every callback is `extern "C"` and catches panics
//! itself, because no unwinding may leave it; a payload that fails the core's checks is
//! logged and refused (Redis then stops loading that file) instead of crashing.

use std::ffi::{c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use hunt_core::Map;
use hunt_core::codec::{decode_map, encode_map};
use redis_module::native_types::RedisType;
use redis_module::{logging, raw};

/// The encoding version of the RDB payload (`encver`); the blob inside carries its own format
/// number as well.
const ENCODING_VERSION: i32 = 1;

pub static MAP_TYPE: RedisType = RedisType::new(
    "hunt-map1", // exactly nine characters, as Redis requires
    ENCODING_VERSION,
    raw::RedisModuleTypeMethods {
        version: raw::REDISMODULE_TYPE_METHOD_VERSION as u64,
        rdb_load: Some(rdb_load),
        rdb_save: Some(rdb_save),
        aof_rewrite: Some(aof_rewrite),
        free: Some(free),
        mem_usage: Some(mem_usage),
        digest: Some(digest),
        aux_load: None,
        aux_save: None,
        aux_save2: None,
        aux_save_triggers: 0,
        free_effort: None,
        unlink: None,
        copy: Some(copy),
        defrag: None,
        mem_usage2: None,
        free_effort2: None,
        unlink2: None,
        copy2: None,
    },
);

/// Runs a callback body, turning a panic into `fallback` and a log line.
pub fn shielded<T>(what: &str, fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        logging::log_warning(format!("hunt: {what} failed"));
        fallback
    })
}

/// The key being loaded, for log lines, where the server can tell it.
pub unsafe fn key_name(io: *mut raw::RedisModuleIO) -> String {
    let Some(get_name) = (unsafe { raw::RedisModule_GetKeyNameFromIO }) else {
        return "(unknown key)".into();
    };
    let key = unsafe { get_name(io) };
    if key.is_null() {
        return "(unknown key)".into();
    }
    String::from_utf8_lossy(redis_module::RedisString::string_as_slice(key as *mut _)).into_owned()
}

unsafe extern "C" fn rdb_load(rdb: *mut raw::RedisModuleIO, encver: c_int) -> *mut c_void {
    shielded("loading a map", std::ptr::null_mut(), || {
        let key = unsafe { key_name(rdb) };
        if encver != ENCODING_VERSION {
            logging::log_warning(format!(
                "hunt: cannot load map {key}: encoding version {encver} is newer than this hunt reads ({ENCODING_VERSION})"
            ));
            return std::ptr::null_mut();
        }
        let blob = match raw::load_string_buffer(rdb) {
            Ok(blob) => blob,
            Err(_) => return std::ptr::null_mut(),
        };
        match decode_map(blob.as_ref()) {
            Ok(map) => Box::into_raw(Box::new(map)).cast(),
            Err(why) => {
                logging::log_warning(format!("hunt: cannot load map {key}: {why}"));
                std::ptr::null_mut()
            }
        }
    })
}

unsafe extern "C" fn rdb_save(rdb: *mut raw::RedisModuleIO, value: *mut c_void) {
    shielded("saving a map", (), || {
        let map = unsafe { &*value.cast::<Map>() };
        raw::save_slice(rdb, &encode_map(map));
    })
}

/// Without an RDB preamble the AOF is rebuilt from commands: one `HUNT.RESTORE key blob`.
unsafe extern "C" fn aof_rewrite(
    aof: *mut raw::RedisModuleIO,
    key: *mut raw::RedisModuleString,
    value: *mut c_void,
) {
    shielded("rewriting a map into the AOF", (), || {
        let map = unsafe { &*value.cast::<Map>() };
        let blob = encode_map(map);
        unsafe { emit_restore(aof, key, &blob) };
    })
}

pub unsafe fn emit_restore(
    aof: *mut raw::RedisModuleIO,
    key: *mut raw::RedisModuleString,
    blob: &[u8],
) {
    if let Some(emit) = unsafe { raw::RedisModule_EmitAOF } {
        unsafe {
            emit(
                aof,
                c"HUNT.RESTORE".as_ptr(),
                c"sb".as_ptr(),
                key,
                blob.as_ptr(),
                blob.len(),
            )
        };
    }
}

unsafe extern "C" fn free(value: *mut c_void) {
    shielded("freeing a map", (), || {
        drop(unsafe { Box::from_raw(value.cast::<Map>()) })
    })
}

unsafe extern "C" fn copy(
    _from: *mut raw::RedisModuleString,
    _to: *mut raw::RedisModuleString,
    value: *const c_void,
) -> *mut c_void {
    shielded("copying a map", std::ptr::null_mut(), || {
        let map = unsafe { &*value.cast::<Map>() };
        Box::into_raw(Box::new(map.clone())).cast()
    })
}

unsafe extern "C" fn mem_usage(value: *const c_void) -> usize {
    shielded("measuring a map", 0, || {
        unsafe { &*value.cast::<Map>() }.memory()
    })
}

unsafe extern "C" fn digest(md: *mut raw::RedisModuleDigest, value: *mut c_void) {
    shielded("digesting a map", (), || {
        let map = unsafe { &*value.cast::<Map>() };
        unsafe { digest_blob(md, &encode_map(map)) };
    })
}

pub unsafe fn digest_blob(md: *mut raw::RedisModuleDigest, blob: &[u8]) {
    if let (Some(add), Some(end)) = (unsafe { raw::RedisModule_DigestAddStringBuffer }, unsafe {
        raw::RedisModule_DigestEndSequence
    }) {
        unsafe {
            add(md, blob.as_ptr().cast_mut().cast(), blob.len());
            end(md);
        }
    }
}
