//! The board RDB decoder on random and mutated blobs (see `checks::decode_board`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: hunt_fuzz::alloc::Capped = hunt_fuzz::alloc::Capped;

fuzz_target!(|data: &[u8]| hunt_fuzz::checks::decode_board(data));
