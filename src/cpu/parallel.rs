//! Filling buffers on rayon's pool: the helpers every parallel kernel shares, and the elementwise
//! operations built on them.

use rayon::prelude::*;

use super::math;

/// `len` f32s made in parallel, chunk by chunk (`chunk` long, the last one shorter), by
/// `fill(state, chunk_index, chunk)`, each rayon task with its own `init()` state and at least
/// `min_chunks` chunks. Each chunk is zeroed by the task that fills it: `vec![0.0; len]` zeroed
/// (and page-faulted) the whole buffer on the calling thread while the others waited.
pub(crate) fn filled_in_parallel<T>(
    len: usize,
    chunk: usize,
    min_chunks: usize,
    init: impl Fn() -> T + Sync + Send,
    fill: impl Fn(&mut T, usize, &mut [f32]) + Sync + Send,
) -> Vec<f32> {
    let mut values: Vec<f32> = Vec::with_capacity(len);
    values.spare_capacity_mut()[..len]
        .par_chunks_mut(chunk.max(1))
        .enumerate()
        .with_min_len(min_chunks.max(1))
        .for_each_init(init, |state, (index, part)| {
            part.iter_mut().for_each(|value| {
                value.write(0.0);
            });
            // SAFETY: every element of `part` was initialized just above; `MaybeUninit<f32>` and
            // `f32` have the same layout.
            let part = unsafe { &mut *(part as *mut [std::mem::MaybeUninit<f32>] as *mut [f32]) };
            fill(state, index, part);
        });
    // SAFETY: the chunks cover all `len` elements, and each was initialized above.
    unsafe { values.set_len(len) };
    values
}

/// `len` f32s made by `fill(first, out)` for stretches `out` of 16k elements starting at element
/// `first`, in parallel: elementwise operations.
fn elementwise_in_parallel(len: usize, fill: impl Fn(usize, &mut [f32]) + Sync + Send) -> Vec<f32> {
    const CHUNK: usize = 1 << 14;
    filled_in_parallel(len, CHUNK, 1, || (), |_, index, out| fill(index * CHUNK, out))
}

/// `a + b` elementwise (the residual connections), on rayon's pool: candle's elementwise operations of
/// 64k elements and more run on a pool of their own, whose thread then spins beside ours (4-5% of a
/// beam search's CPU time on two cores). `None` when the lengths differ.
pub(crate) fn add(a: &[f32], b: &[f32]) -> Option<Vec<f32>> {
    (a.len() == b.len()).then(|| {
        elementwise_in_parallel(a.len(), |first, out| {
            let (a, b) = (&a[first..][..out.len()], &b[first..][..out.len()]);
            for ((out, &a), &b) in out.iter_mut().zip(a).zip(b) {
                *out = a + b;
            }
        })
    })
}

/// SiLU of every element (the vectorized `exp`; candle's goes element by element through libm).
pub(crate) fn silu(x: &[f32]) -> Vec<f32> {
    elementwise_in_parallel(x.len(), |first, out| {
        out.copy_from_slice(&x[first..][..out.len()]);
        math::silu_in_place(out);
    })
}

/// A buffer that several tasks write at disjoint elements (rows, columns or blocks of an output);
/// `Send`/`Sync` so the tasks can share it. Every user guarantees that no two tasks write the same
/// element, that nothing reads an element while another task writes it, and that the buffer outlives
/// the tasks.
#[derive(Clone, Copy)]
pub(crate) struct SharedOut<T>(*mut T);

impl<T> SharedOut<T> {
    pub(crate) fn new(buffer: &mut [T]) -> Self {
        SharedOut(buffer.as_mut_ptr())
    }

    /// The start of a buffer whose elements are not initialized yet (the `Vec`'s spare capacity).
    pub(crate) fn uninitialized(buffer: &mut Vec<T>) -> Self {
        SharedOut(buffer.as_mut_ptr())
    }

    /// (A method, so closures capture the `Sync` wrapper rather than the bare pointer.)
    pub(crate) fn ptr(self) -> *mut T {
        self.0
    }
}

// SAFETY: see the type's documentation: the pointer is only written through at elements no other task
// touches.
unsafe impl<T: Send> Send for SharedOut<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for SharedOut<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_matches_scalar_addition_and_declines_other_lengths() {
        // More than one parallel chunk, the last one partial.
        let a: Vec<f32> = (0..21000).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..21000).map(|i| 1.0 - i as f32).collect();
        let sum = add(&a, &b).unwrap();
        assert!(sum.iter().zip(a.iter().zip(&b)).all(|(s, (a, b))| *s == a + b));
        assert!(add(&a, &b[..10]).is_none());
    }

    #[test]
    fn filled_in_parallel_covers_every_chunk_once() {
        let values = filled_in_parallel(1000, 64, 2, || (), |_, index, out| out.fill(index as f32));
        assert_eq!(values.len(), 1000);
        assert!(values.iter().enumerate().all(|(i, &v)| v == (i / 64) as f32));
        assert!(filled_in_parallel(0, 8, 1, || (), |_, _, _| unreachable!()).is_empty());
    }
}
