//! Shared code of hunt's fuzz targets: the allocation cap, the byte format of command
//! scripts, the command dispatch (as the module's `src/*_commands.rs` drive the core) with
//! its invariant checks, and an independent search oracle.
//!
//! The `expect`s, `panic!`s and `unreachable!`s in this crate are its assertions: a broken
//! invariant must crash, so that libFuzzer keeps the input. The crate is linked only by the
//! fuzz targets and by `core/tests/fuzz_regressions.rs`, never by the module.

pub mod alloc;
pub mod checks;
pub mod oracle;
pub mod script;
pub mod session;
