//! Shared code of hunt's fuzz targets: the allocation cap, the byte format of command
//! scripts, the command dispatch (as the module's `src/*_commands.rs` drive the core) with
//! its invariant checks, and an independent search oracle.

pub mod alloc;
pub mod checks;
pub mod oracle;
pub mod script;
pub mod session;
