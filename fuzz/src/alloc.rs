//! A global allocator that refuses unbounded allocation: any single block over
//! [`MAX_BLOCK`] or a live total over [`MAX_LIVE`] aborts at once (libFuzzer reports the abort
//! as a crash and saves the input). Without a sanitizer libFuzzer cannot see `malloc`, so this
//! is how "a forged count allocates without bound" becomes a finding. It also measures the
//! peak of live bytes, so a target can bound what one call may allocate by its input's size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

/// No single block may exceed this (the largest legitimate one in a fuzz run is a few MiB).
pub const MAX_BLOCK: usize = 64 << 20;
/// Live heap, all blocks together.
pub const MAX_LIVE: usize = 1 << 30;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

pub struct Capped;

fn refuse(why: &'static str) -> ! {
    // No allocation here: stderr is unbuffered and the text is static.
    let _ = std::io::stderr().write_all(why.as_bytes());
    std::process::abort();
}

fn grew(size: usize) {
    if size > MAX_BLOCK {
        refuse("hunt-fuzz: a single allocation over 64 MiB (unbounded allocation)\n");
    }
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    if live > MAX_LIVE {
        refuse("hunt-fuzz: more than 1 GiB allocated at once (unbounded allocation)\n");
    }
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f` and returns its result with the most bytes it held live at once beyond what was
/// live when it started.
pub fn peak_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let start = LIVE.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    let result = f();
    (result, PEAK.load(Ordering::Relaxed).saturating_sub(start))
}
