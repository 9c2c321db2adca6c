//! The `anuvad` program's allocator (feature `mimalloc`, on with `cli`): mimalloc, set up for
//! decoding. Library users choose their own; the timing example uses this one so that it times what
//! the program runs.

pub use mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_t` (mimalloc.h; the same index in its v2 and v3,
/// which `libmimalloc-sys` does not name).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc to keep the memory it freed instead of giving it back to the system (purging) after
/// its purge delay (1 s in the mimalloc v3 that `libmimalloc-sys` builds). Decoding frees and asks
/// again for megabytes of buffers every step; purged, they were faulted in again: at opus-mt's shape,
/// beam 4, batch 32, AVX2, 2 threads, about a logits buffer's worth (31 MB) every second, 1.8 thousand
/// faults a step and 4% of the time. Peak memory is the same in f32, up to 8% more with int8 weights.
/// Call it first in `main`.
pub fn keep_freed_memory() {
    // SAFETY: setting an option is allowed at any time; -1 is the documented "never purge".
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
}

#[cfg(test)]
mod tests {
    /// The index names the purge delay: its default (1000 ms) is neither of its neighbours' (1, 0).
    #[test]
    fn purge_delay_is_the_option_at_its_index() {
        // SAFETY: reading an option is allowed at any time.
        let (before, at, after) = unsafe {
            (
                libmimalloc_sys::mi_option_get(super::PURGE_DELAY - 1),
                libmimalloc_sys::mi_option_get(super::PURGE_DELAY),
                libmimalloc_sys::mi_option_get(super::PURGE_DELAY + 1),
            )
        };
        // (Unless the environment sets them: MIMALLOC_PURGE_DELAY and its neighbours' variables.)
        assert_eq!((before, at, after), (1, 1000, 0));
    }
}
