//! The allocator of the `anuvad` binary and of the timing example (feature `mimalloc`, on by default;
//! see Cargo.toml). Library users choose their own.

/// glibc's malloc costs 15-20% of decoding time here (it returns a step's megabytes to the system and
/// takes them again at the next step).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`: its index in mimalloc 3's `mi_option_t` (the version the pinned
/// `libmimalloc-sys` builds), and its default there, in milliseconds.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const DEFAULT_PURGE_DELAY_MS: std::ffi::c_long = 1000;

/// Keeps freed memory mapped for 10 s instead of mimalloc's 1 s before giving it back to the system.
/// Decoding frees and takes again tens of megabytes at every step (the logits of every row) and when the
/// caches grow; given back after a second, they were faulted in and zeroed by the kernel again: 26k
/// page faults in a 64-sentence beam search, 4k with this (3-4% of its time was the kernel clearing
/// pages). Left alone when the option is not at its default: set otherwise by the user
/// (`MIMALLOC_PURGE_DELAY`), or another mimalloc whose index 15 is something else.
pub(crate) fn keep_freed_memory_longer() {
    // SAFETY: plain calls into mimalloc's option table, made at start-up before other threads run.
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY) == DEFAULT_PURGE_DELAY_MS {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, 10 * DEFAULT_PURGE_DELAY_MS);
        }
    }
}
