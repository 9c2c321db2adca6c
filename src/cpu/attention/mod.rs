//! Softmax attention over keys and values in memory: one task per (row, head), scores, softmax and
//! the weighted sum of values kept in cache, where candle would run two small matrix products per head,
//! each with its own thread hand-off.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;

use super::dense::matmul_in_thread;
use super::math::softmax_in_place_with;
use super::parallel::filled_in_parallel;
use super::{isa, Isa};

/// Keys and values `[batch, heads, len, dim]` in memory where each (row, head) starts `stride`
/// elements after the previous one (`stride >= len * dim`: caches with room to grow in place).
#[derive(Clone, Copy)]
pub(crate) struct KeysValues<'a> {
    pub(crate) keys: &'a [f32],
    pub(crate) values: &'a [f32],
    pub(crate) batch: usize,
    pub(crate) len: usize,
    pub(crate) stride: usize,
}

/// Softmax attention for `queries` `[batch, heads, len, dim]` (already scaled) over `kv` (`kv.batch`
/// rows), with an optional additive `mask` `[kv.batch, kv.len]`: the context `[batch, heads, len,
/// dim]`. `kv.batch` divides `batch`: query rows `i * batch / kv.batch ..` share keys/values `i` (the
/// beams of one input: stored once, read from cache by all of them). `None` when the sizes do not fit
/// together.
pub(crate) fn attention(
    queries: &[f32],
    kv: KeysValues,
    mask: Option<&[f32]>,
    heads: usize,
    len: usize,
    dim: usize,
) -> Option<Vec<f32>> {
    attention_with(isa(), queries, kv, mask, heads, len, dim)
}

fn attention_with(
    isa: Isa,
    queries: &[f32],
    kv: KeysValues,
    mask: Option<&[f32]>,
    heads: usize,
    len: usize,
    dim: usize,
) -> Option<Vec<f32>> {
    let per_row = heads.checked_mul(len)?.checked_mul(dim)?;
    if per_row == 0 || kv.batch == 0 || !queries.len().is_multiple_of(per_row) {
        return None;
    }
    let batch = queries.len() / per_row;
    let pairs = kv.batch.checked_mul(heads)?;
    let filled = kv.len.checked_mul(dim)?;
    let fits = |data: &[f32]| {
        (pairs - 1).checked_mul(kv.stride).and_then(|n| n.checked_add(filled)) <= Some(data.len())
    };
    if !batch.is_multiple_of(kv.batch) || kv.stride < filled || !fits(kv.keys) || !fits(kv.values) {
        return None;
    }
    if mask.is_some_and(|mask| Some(mask.len()) != kv.batch.checked_mul(kv.len)) {
        return None;
    }
    Some(attention_over(isa, queries, kv, mask, heads, len, dim))
}

/// The attention context `[batch, heads, len, dim]` of `queries` over `kv` (sizes checked by the
/// caller), `batch` a multiple of `kv.batch`.
#[allow(clippy::too_many_arguments)]
fn attention_over(
    isa: Isa,
    queries: &[f32],
    kv: KeysValues,
    mask: Option<&[f32]>,
    heads: usize,
    len: usize,
    dim: usize,
) -> Vec<f32> {
    let batch = queries.len() / (heads * len * dim).max(1);
    let copies = batch / kv.batch;
    let kv_len = kv.len;
    if len >= MANY_QUERIES && copies == 1 && kv.stride == kv_len * dim {
        return attention_by_products(isa, queries, kv.keys, kv.values, mask, heads, len, kv_len, dim);
    }
    // Positions after the last one the mask lets through (an input's padding) are left out: they would
    // get a weight of exactly 0, adding nothing to the softmax's sum or the context, so the results
    // are the same. A row with no position let through keeps them all (as without the cut).
    let attended: Vec<usize> = match mask {
        Some(mask) => mask
            .chunks(kv_len.max(1))
            .map(|row| row.iter().rposition(|&m| m != f32::NEG_INFINITY).map_or(kv_len, |last| last + 1))
            .collect(),
        None => vec![kv_len; kv.batch],
    };
    // A decoding step's (row, head) pairs are tiny (one query): several per job, so the thread
    // hand-offs do not outweigh them.
    let pairs_per_job = (ATTENTION_JOB_WORK / (len * kv_len * dim).max(1)).max(1);
    filled_in_parallel(
        batch * heads * len * dim,
        len * dim,
        pairs_per_job,
        || vec![0f32; kv_len],
        |weights, task, out| {
            let (row, head) = (task / heads, task % heads);
            let kv_row = row / copies;
            let positions = attended[kv_row];
            let mask = mask.map(|mask| &mask[kv_row * kv_len..][..positions]);
            let kv_task = kv_row * heads + head;
            let keys = &kv.keys[kv_task * kv.stride..][..positions * dim];
            let values = &kv.values[kv_task * kv.stride..][..positions * dim];
            let weights = &mut weights[..positions];
            // The keys the next pair reads (when they are not these), to fetch meanwhile.
            let next_task = ((task + 1) / heads / copies) * heads + (task + 1) % heads;
            let next_keys = if next_task != kv_task && next_task < kv.batch * heads {
                &kv.keys[next_task * kv.stride..][..attended[next_task / heads] * dim]
            } else {
                &[]
            };
            for (query, out) in queries[task * len * dim..][..len * dim].chunks(dim).zip(out.chunks_mut(dim))
            {
                attend_one_dispatch(isa, query, keys, values, mask, next_keys, weights, out);
            }
        },
    )
}

/// Multiply-adds worth one rayon job in `attention` (about 20 µs).
const ATTENTION_JOB_WORK: usize = 1 << 16;

/// From this many queries per head on (the encoder), `attention` runs two matrix products per head.
const MANY_QUERIES: usize = 8;

/// `attention` for many queries per (batch row, head): scores `Q K^T` and context `P V` as matrix
/// products (the `gemm` crate, in the task's thread), the softmax in between. Query by query, each
/// score was a dot product ending in a horizontal sum; the encoder spent 12% of its time there.
#[allow(clippy::too_many_arguments)]
fn attention_by_products(
    isa: Isa,
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    mask: Option<&[f32]>,
    heads: usize,
    len: usize,
    kv_len: usize,
    dim: usize,
) -> Vec<f32> {
    filled_in_parallel(
        queries.len(),
        len * dim,
        1,
        || vec![0f32; len * kv_len],
        |scores, task, out| {
            let queries = &queries[task * len * dim..][..len * dim];
            let keys = &keys[task * kv_len * dim..][..kv_len * dim];
            let values = &values[task * kv_len * dim..][..kv_len * dim];
            // SAFETY: the pointers and strides describe `scores` ([len, kv_len], row-major),
            // `queries` ([len, dim]) and `keys` read as `keys^T` ([dim, kv_len]), all in bounds.
            unsafe {
                matmul_in_thread(
                    len,
                    kv_len,
                    dim,
                    scores.as_mut_ptr(),
                    queries.as_ptr(),
                    keys.as_ptr(),
                    1,
                    dim as isize,
                );
            }
            let mask = mask.map(|mask| &mask[(task / heads) * kv_len..][..kv_len]);
            for row in scores.chunks_mut(kv_len) {
                if let Some(mask) = mask {
                    row.iter_mut().zip(mask).for_each(|(score, mask)| *score += mask);
                }
                softmax_in_place_with(isa, row);
            }
            // SAFETY: `out` ([len, dim]), `scores` ([len, kv_len]) and `values` ([kv_len, dim]), all
            // row-major and in bounds.
            unsafe {
                matmul_in_thread(
                    len,
                    dim,
                    kv_len,
                    out.as_mut_ptr(),
                    scores.as_ptr(),
                    values.as_ptr(),
                    dim as isize,
                    1,
                );
            }
        },
    )
}

/// `attend_one` in explicit SIMD where the level has it and the head size fits the kernel (a multiple
/// of the vector width, up to 128: the query and the context held in registers); portable otherwise
/// (the compiler turned the portable version's sixteen-lane sums into four-lane pieces and shuffles:
/// 10% of a beam search run).
#[allow(clippy::too_many_arguments)]
fn attend_one_dispatch(
    isa: Isa,
    query: &[f32],
    keys: &[f32],
    values: &[f32],
    mask: Option<&[f32]>,
    next_keys: &[f32],
    weights: &mut [f32],
    out: &mut [f32],
) {
    let one = OneQuery { query, keys, values, mask, next_keys };
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY (both): the level is available (checked), and each kernel checks the lengths itself.
        if isa.has_avx512() && isa.available() && unsafe { avx512::attend_one(&one, weights, out) } {
            return;
        }
        if isa.has_avx2() && isa.available() && unsafe { avx2::attend_one(&one, weights, out) } {
            return;
        }
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: the level is available (checked), and the kernel checks the lengths itself.
    if isa.has_neon() && isa.available() && unsafe { neon::attend_one(&one, weights, out) } {
        return;
    }
    attend_one(isa, query, keys, values, mask, weights, out)
}

/// One query's attention, for the SIMD kernels: `weights` (as many as the positions attended) and
/// `out` (the head size) are the caller's buffers. `next_keys`: the keys the next task reads, to fetch
/// into cache meanwhile (empty when they are these).
pub(super) struct OneQuery<'a> {
    pub(super) query: &'a [f32],
    pub(super) keys: &'a [f32],
    pub(super) values: &'a [f32],
    pub(super) mask: Option<&'a [f32]>,
    pub(super) next_keys: &'a [f32],
}

/// One query row: `out = softmax(keys . query + mask) @ values`.
#[inline(always)]
fn attend_one(
    isa: Isa,
    query: &[f32],
    keys: &[f32],
    values: &[f32],
    mask: Option<&[f32]>,
    weights: &mut [f32],
    out: &mut [f32],
) {
    let dim = query.len();
    for (position, weight) in weights.iter_mut().enumerate() {
        *weight = dot(query, &keys[position * dim..][..dim]) + mask.map_or(0.0, |mask| mask[position]);
    }
    softmax_in_place_with(isa, weights);
    out.fill(0.0);
    for (position, &weight) in weights.iter().enumerate() {
        for (out, &value) in out.iter_mut().zip(&values[position * dim..][..dim]) {
            *out += weight * value;
        }
    }
}

/// Dot product in sixteen lanes, so the compiler vectorizes it.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 16];
    let (a_chunks, b_chunks) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(x, y)| x * y).sum();
    for (a, b) in a_chunks.zip(b_chunks) {
        for lane in 0..16 {
            lanes[lane] += a[lane] * b[lane];
        }
    }
    // Halving, not left to right: a chain of fifteen dependent additions per score cost more than
    // the multiplications.
    for width in [8, 4, 2, 1] {
        for lane in 0..width {
            lanes[lane] += lanes[lane + width];
        }
    }
    lanes[0] + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(count: usize, seed: usize) -> Vec<f32> {
        (0..count).map(|i| ((i * 7919 + seed * 104729) % 2003) as f32 / 1000.0 - 1.0).collect()
    }

    /// The definition, in f64: `softmax(q . k + mask) @ v` per (row, head, query), query rows
    /// `copies` to a row of keys and values.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        queries: &[f32],
        keys: &[f32],
        values: &[f32],
        mask: Option<&[f32]>,
        kv_batch: usize,
        heads: usize,
        len: usize,
        kv_len: usize,
        dim: usize,
    ) -> Vec<f64> {
        let batch = queries.len() / (heads * len * dim);
        let copies = batch / kv_batch;
        let mut out = vec![0f64; queries.len()];
        for row in 0..batch {
            let kv_row = row / copies;
            for head in 0..heads {
                let kv = (kv_row * heads + head) * kv_len * dim;
                for query in 0..len {
                    let q = &queries[((row * heads + head) * len + query) * dim..][..dim];
                    let scores: Vec<f64> = (0..kv_len)
                        .map(|p| {
                            let dot: f64 =
                                (0..dim).map(|d| q[d] as f64 * keys[kv + p * dim + d] as f64).sum();
                            dot + mask.map_or(0.0, |mask| mask[kv_row * kv_len + p] as f64)
                        })
                        .collect();
                    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let weights: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                    let sum: f64 = weights.iter().sum();
                    let out = &mut out[((row * heads + head) * len + query) * dim..][..dim];
                    for (p, weight) in weights.iter().enumerate() {
                        for d in 0..dim {
                            out[d] += weight / sum * values[kv + p * dim + d] as f64;
                        }
                    }
                }
            }
        }
        out
    }

    crate::cpu::isa_tests! {
        fn attention_matches_the_definition(isa) {
            // Below and above MANY_QUERIES (two code paths); head sizes for the portable and the
            // AVX-512 kernel, the latter with positions in and past blocks of sixteen; beams sharing
            // their input's keys (copies > 1).
            for (copies, len, kv_len, dim) in [
                (1, 5, 7, 12), (1, 1, 7, 12), (1, 9, 9, 12), (1, 20, 7, 12), (1, 40, 130, 12),
                (1, 1, 40, 64), (1, 3, 16, 32), (4, 1, 9, 16), (3, 1, 33, 128),
            ] {
                let (kv_batch, heads) = (3, 2);
                let batch = kv_batch * copies;
                let queries = values(batch * heads * len * dim, 1);
                let keys = values(kv_batch * heads * kv_len * dim, 2);
                let kv_values = values(kv_batch * heads * kv_len * dim, 3);
                // Row 0 attends everywhere, row 1 to its first 3 positions, row 2 to all but the last.
                let mask: Vec<f32> = (0..kv_batch * kv_len)
                    .map(|i| {
                        let (row, position) = (i / kv_len, i % kv_len);
                        let open = match row { 0 => true, 1 => position < 3, _ => position + 1 < kv_len };
                        if open { 0.0 } else { f32::NEG_INFINITY }
                    })
                    .collect();
                for mask in [None, Some(&mask[..])] {
                    let kv = KeysValues {
                        keys: &keys, values: &kv_values, batch: kv_batch, len: kv_len, stride: kv_len * dim,
                    };
                    let got = attention_with(isa, &queries, kv, mask, heads, len, dim).unwrap();
                    let want = reference(&queries, &keys, &kv_values, mask, kv_batch, heads, len, kv_len, dim);
                    for (index, (&got, &want)) in got.iter().zip(&want).enumerate() {
                        assert!((got as f64 - want).abs() < 1e-5, "{copies} {len} {kv_len} {dim} [{index}]: {got} vs {want}");
                    }
                }
            }
        }

        fn attention_reads_caches_with_room_to_grow(isa) {
            // A decoding step over a cache whose (row, head) blocks are `stride` apart.
            let (rows, heads, kv_len, dim, stride) = (2, 3, 5, 32, 9 * 32 + 16);
            let queries = values(rows * heads * dim, 4);
            let mut keys = vec![f32::NAN; rows * heads * stride];
            let mut kv_values = vec![f32::NAN; rows * heads * stride];
            let (dense_keys, dense_values) = (values(rows * heads * kv_len * dim, 5), values(rows * heads * kv_len * dim, 6));
            for pair in 0..rows * heads {
                keys[pair * stride..][..kv_len * dim].copy_from_slice(&dense_keys[pair * kv_len * dim..][..kv_len * dim]);
                kv_values[pair * stride..][..kv_len * dim].copy_from_slice(&dense_values[pair * kv_len * dim..][..kv_len * dim]);
            }
            let kv = KeysValues { keys: &keys, values: &kv_values, batch: rows, len: kv_len, stride };
            let got = attention_with(isa, &queries, kv, None, heads, 1, dim).unwrap();
            let want = reference(&queries, &dense_keys, &dense_values, None, rows, heads, 1, kv_len, dim);
            assert!(got.iter().zip(&want).all(|(&got, &want)| (got as f64 - want).abs() < 1e-5));
        }
    }

    #[test]
    fn attention_declines_sizes_that_do_not_fit() {
        let keys = values(2 * 3 * 4, 1);
        let kv = |batch, len, stride| KeysValues { keys: &keys, values: &keys, batch, len, stride };
        let queries = values(2 * 2 * 4, 2);
        assert!(attention(&queries, kv(2, 3, 12), None, 1, 2, 4).is_some());
        // A mask of the wrong length, keys too short for the stride, rows not a multiple.
        assert!(attention(&queries, kv(2, 3, 12), Some(&[0.0; 5]), 1, 2, 4).is_none());
        assert!(attention(&queries, kv(2, 3, 13), None, 1, 2, 4).is_none());
        assert!(attention(&queries[..12], kv(2, 3, 12), None, 1, 1, 4).is_none());
        assert!(attention(&queries, kv(0, 3, 12), None, 1, 2, 4).is_none());
    }
}
