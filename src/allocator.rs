//! The `anuvad` program's allocator (feature `mimalloc`, on with `cli`): mimalloc, set up for
//! decoding. Library users choose their own; the timing example uses this one so that it times what
//! the program runs.

pub use mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_t` (mimalloc.h; the same index in its v2 and v3,
/// which `libmimalloc-sys` does not name).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc to keep the memory it freed instead of giving it back to the system (purging) 10 ms
/// later. A decoding step frees megabytes of buffers and asks for them again the next step, 50-100 ms
/// on: given back, every page faulted again (opus-mt shape, beam 4, batch 32, AVX2, 2 threads: 1.8
/// thousand faults a step, 4% of the time; peak memory is the same). Call it first in `main`.
pub fn keep_freed_memory() {
    // SAFETY: setting an option is allowed at any time; -1 is the documented "never purge".
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
}
