//! Every command's argument parsing and execution on the core: scripts of commands against
//! one map and one board, with every answer and state change checked (see `session.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: hunt_fuzz::alloc::Capped = hunt_fuzz::alloc::Capped;

fuzz_target!(|data: &[u8]| hunt_fuzz::checks::commands(data));
