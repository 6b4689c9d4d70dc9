//! The Pub/Sub message encoder and decoder round trip (see `checks::message`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: hunt_fuzz::alloc::Capped = hunt_fuzz::alloc::Capped;

fuzz_target!(|data: &[u8]| hunt_fuzz::checks::message(data));
