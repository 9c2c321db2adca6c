//! Softmax attention over keys and values in memory: one task per (row, head), scores, softmax and
//! the weighted sum of values kept in cache, where candle would run two small matrix products per head,
//! each with its own thread hand-off.

/// `$attend::<C, _>($one, $weights, $out)` for a query of `C` vectors of `$lanes` lanes, `C` one of the
/// listed counts: `true` if it ran, `false` (nothing done) for other head sizes. The kernels take `C`
/// as a constant so that the query and the context stay in registers.
macro_rules! dispatch_head_size {
    ($attend:ident($one:expr, $weights:expr, $out:expr), $lanes:literal; $($chunks:literal),+) => {{
        let dim = $one.query.len();
        match (dim % $lanes, dim / $lanes) {
            $((0, $chunks) => {
                $attend::<$chunks, _>($one, $weights, $out);
                true
            })+
            _ => false,
        }
    }};
}

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

/// Keys and values `[batch, heads, len, dim]`, contiguous.
#[derive(Clone, Copy)]
pub(crate) struct KeysValues<'a> {
    pub(crate) keys: &'a [f32],
    pub(crate) values: &'a [f32],
    pub(crate) batch: usize,
    pub(crate) len: usize,
}

/// A decoder's self-attention keys and values stored step by step (`cpu::kv_cache`): step `p`'s buffer
/// holds `[rows then, heads, dim]`, and position `p` of row `r` is row `origins[r * len + p]` of it.
/// Reordering beams then reorders `origins` and copies no keys or values.
#[derive(Clone, Copy)]
pub(crate) struct StepKeysValues<'a> {
    pub(crate) keys: &'a [Vec<f32>],
    pub(crate) values: &'a [Vec<f32>],
    pub(crate) origins: &'a [u32],
    pub(crate) rows: usize,
    pub(crate) len: usize,
}

/// Where a (row, head)'s keys or values lie, position by position, for the kernels (generic over it,
/// so that each layout's address arithmetic is inlined into the kernel's loops).
pub(super) trait Positions: Copy {
    /// How many positions of `dim` values there are.
    fn count(&self, dim: usize) -> usize;

    /// The first of position `position`'s `dim` values.
    ///
    /// # Safety
    /// `position` must be below `self.count(dim)`.
    unsafe fn at(&self, position: usize, dim: usize) -> *const f32;

    /// Position `position`'s values (`position` below `self.count(dim)`).
    fn slice(&self, position: usize, dim: usize) -> &[f32];
}

/// Position `p` at `p * dim`.
#[derive(Clone, Copy)]
pub(super) struct Contiguous<'a>(&'a [f32]);

impl Positions for Contiguous<'_> {
    fn count(&self, dim: usize) -> usize {
        self.0.len() / dim.max(1)
    }

    #[inline(always)]
    unsafe fn at(&self, position: usize, dim: usize) -> *const f32 {
        // SAFETY: the caller's contract.
        unsafe { self.0.as_ptr().add(position * dim) }
    }

    fn slice(&self, position: usize, dim: usize) -> &[f32] {
        &self.0[position * dim..][..dim]
    }
}

/// Position `p` in step buffer `p`, at `origins[p] * row_len + offset` ([`StepKeysValues`]; made only
/// in `attention_over_steps`, after every position was checked to lie within its buffer).
#[derive(Clone, Copy)]
pub(super) struct StepRows<'a> {
    steps: &'a [Vec<f32>],
    origins: &'a [u32],
    row_len: usize,
    offset: usize,
}

impl Positions for StepRows<'_> {
    fn count(&self, _dim: usize) -> usize {
        self.steps.len().min(self.origins.len())
    }

    #[inline(always)]
    unsafe fn at(&self, position: usize, _dim: usize) -> *const f32 {
        // SAFETY: the caller's contract, and the check of every position where this was made.
        unsafe {
            self.steps
                .get_unchecked(position)
                .as_ptr()
                .add(*self.origins.get_unchecked(position) as usize * self.row_len + self.offset)
        }
    }

    fn slice(&self, position: usize, dim: usize) -> &[f32] {
        &self.steps[position][self.origins[position] as usize * self.row_len + self.offset..][..dim]
    }
}

/// Softmax attention of one query per row and head, `queries` `[rows, heads, 1, dim]` (already
/// scaled), over a decoder's step-by-step cache `kv`: the context `[rows, heads, 1, dim]`. `None` when
/// the sizes do not fit together (every position of every row is checked to lie in its step's buffer).
pub(crate) fn attention_over_steps(
    queries: &[f32],
    kv: StepKeysValues,
    heads: usize,
    dim: usize,
) -> Option<Vec<f32>> {
    attention_over_steps_with(isa(), queries, kv, heads, dim)
}

fn attention_over_steps_with(
    isa: Isa,
    queries: &[f32],
    kv: StepKeysValues,
    heads: usize,
    dim: usize,
) -> Option<Vec<f32>> {
    let row_len = heads.checked_mul(dim)?;
    let (rows, len) = (kv.rows, kv.len);
    if row_len == 0
        || len == 0
        || Some(queries.len()) != rows.checked_mul(row_len)
        || Some(kv.origins.len()) != rows.checked_mul(len)
        || kv.keys.len() != len
        || kv.values.len() != len
    {
        return None;
    }
    // Every position of every row within its step's keys and values.
    let mut step_rows = vec![0usize; len];
    for origins in kv.origins.chunks(len) {
        for (most, &origin) in step_rows.iter_mut().zip(origins) {
            *most = (*most).max(origin as usize + 1);
        }
    }
    let fits = |(step, &most): (usize, &usize)| {
        most.checked_mul(row_len)
            .is_some_and(|needed| needed <= kv.keys[step].len() && needed <= kv.values[step].len())
    };
    if !step_rows.iter().enumerate().all(fits) {
        return None;
    }
    let row_positions = |row: usize, head: usize, keys: bool| {
        let steps = if keys { kv.keys } else { kv.values };
        let origins = &kv.origins[row * len..][..len];
        StepRows { steps, origins, row_len, offset: head * dim }
    };
    let pairs_per_job = (ATTENTION_JOB_WORK / (len * dim)).max(1);
    Some(filled_in_parallel(
        rows * row_len,
        dim,
        pairs_per_job,
        || vec![0f32; len],
        |weights, task, out| {
            let (row, head) = (task / heads, task % heads);
            let next = task + 1;
            let next_keys = if next < rows * heads {
                row_positions(next / heads, next % heads, true)
            } else {
                StepRows { steps: &[], origins: &[], row_len, offset: 0 }
            };
            let query = &queries[task * dim..][..dim];
            let one = OneQuery {
                query,
                keys: row_positions(row, head, true),
                values: row_positions(row, head, false),
                mask: None,
                next_keys,
            };
            attend_one_dispatch(isa, &one, weights, out);
        },
    ))
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
    let needed = kv.batch.checked_mul(heads)?.checked_mul(kv.len)?.checked_mul(dim)?;
    if !batch.is_multiple_of(kv.batch) || kv.keys.len() < needed || kv.values.len() < needed {
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
    if len >= MANY_QUERIES && copies == 1 {
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
    // A chunk is one key/value row's query rows (the beams of one input), all heads; its pairs go
    // head by head, so the beams sharing a head's keys and values read them one after another, from
    // L1. A decoding step's pairs are tiny (one query): several chunks per job if need be, so the
    // thread hand-offs do not outweigh them.
    let pair_size = len * dim;
    let chunk_work = copies * heads * len * kv_len * dim;
    filled_in_parallel(
        batch * heads * pair_size,
        copies * heads * pair_size,
        (ATTENTION_JOB_WORK / chunk_work.max(1)).max(1),
        || vec![0f32; kv_len],
        |weights, kv_row, chunk| {
            let positions = attended[kv_row];
            let mask = mask.map(|mask| &mask[kv_row * kv_len..][..positions]);
            let weights = &mut weights[..positions];
            for head in 0..heads {
                let kv_task = kv_row * heads + head;
                let keys = &kv.keys[kv_task * kv_len * dim..][..positions * dim];
                let values = &kv.values[kv_task * kv_len * dim..][..positions * dim];
                // The keys the pairs after this head's read, to fetch meanwhile.
                let next_task = kv_task + 1;
                let next_keys = if next_task < kv.batch * heads {
                    &kv.keys[next_task * kv_len * dim..][..attended[next_task / heads] * dim]
                } else {
                    &[]
                };
                for copy in 0..copies {
                    let task = (kv_row * copies + copy) * heads + head;
                    let out = &mut chunk[(copy * heads + head) * pair_size..][..pair_size];
                    // Only the last beam fetches the next keys: the others' next pair reads these.
                    let next_keys = if copy + 1 == copies { next_keys } else { &[] };
                    for (query, out) in
                        queries[task * pair_size..][..pair_size].chunks(dim).zip(out.chunks_mut(dim))
                    {
                        let one = OneQuery {
                            query,
                            keys: Contiguous(keys),
                            values: Contiguous(values),
                            mask,
                            next_keys: Contiguous(next_keys),
                        };
                        attend_one_dispatch(isa, &one, weights, out);
                    }
                }
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
fn attend_one_dispatch<P: Positions>(isa: Isa, one: &OneQuery<P>, weights: &mut [f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY (both): the level is available (checked), and each kernel checks the lengths itself.
        if isa.has_avx512() && isa.available() && unsafe { avx512::attend_one(one, weights, out) } {
            return;
        }
        if isa.has_avx2() && isa.available() && unsafe { avx2::attend_one(one, weights, out) } {
            return;
        }
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: the level is available (checked), and the kernel checks the lengths itself.
    if isa.has_neon() && isa.available() && unsafe { neon::attend_one(one, weights, out) } {
        return;
    }
    attend_one(isa, one, weights, out)
}

/// One query's attention, for the kernels: `weights` (as many as the positions attended) and `out`
/// (the head size) are the caller's buffers. `next_keys`: the keys the next task reads, to fetch into
/// cache meanwhile (none when they are these).
pub(super) struct OneQuery<'a, P> {
    pub(super) query: &'a [f32],
    pub(super) keys: P,
    pub(super) values: P,
    pub(super) mask: Option<&'a [f32]>,
    pub(super) next_keys: P,
}

impl<P: Positions> OneQuery<'_, P> {
    /// Whether the slices hold what a kernel reads for `positions` positions: `dim` values of the
    /// query, the keys and values, a mask value per position.
    pub(super) fn fits(&self, positions: usize, dim: usize) -> bool {
        self.query.len() == dim
            && self.keys.count(dim) >= positions
            && self.values.count(dim) >= positions
            && self.mask.is_none_or(|mask| mask.len() >= positions)
    }
}

/// One query row: `out = softmax(keys . query + mask) @ values`.
#[inline(always)]
fn attend_one<P: Positions>(isa: Isa, one: &OneQuery<P>, weights: &mut [f32], out: &mut [f32]) {
    let dim = one.query.len();
    for (position, weight) in weights.iter_mut().enumerate() {
        *weight = dot(one.query, one.keys.slice(position, dim)) + one.mask.map_or(0.0, |mask| mask[position]);
    }
    softmax_in_place_with(isa, weights);
    out.fill(0.0);
    for (position, &weight) in weights.iter().enumerate() {
        for (out, &value) in out.iter_mut().zip(one.values.slice(position, dim)) {
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
                        keys: &keys, values: &kv_values, batch: kv_batch, len: kv_len,
                    };
                    let got = attention_with(isa, &queries, kv, mask, heads, len, dim).unwrap();
                    let want = reference(&queries, &keys, &kv_values, mask, kv_batch, heads, len, kv_len, dim);
                    for (index, (&got, &want)) in got.iter().zip(&want).enumerate() {
                        assert!((got as f64 - want).abs() < 1e-5, "{copies} {len} {kv_len} {dim} [{index}]: {got} vs {want}");
                    }
                }
            }
        }

        fn attention_over_steps_matches_the_definition(isa) {
            // A decoding step over a cache stored step by step, each row's positions in rows of
            // the steps' buffers that differ from position to position (beams reordered); head sizes
            // for the portable kernel and the SIMD ones, positions in and past blocks of sixteen.
            for (len, dim) in [(5, 12), (5, 16), (19, 64), (33, 32)] {
                let (rows, heads, step_rows) = (3, 2, 4);
                let queries = values(rows * heads * dim, 7);
                let steps: Vec<Vec<f32>> = (0..len).map(|p| values(step_rows * heads * dim, 10 + p)).collect();
                let step_values: Vec<Vec<f32>> = (0..len).map(|p| values(step_rows * heads * dim, 100 + p)).collect();
                let origins: Vec<u32> = (0..rows * len).map(|i| ((i * 7 + i / len) % step_rows) as u32).collect();
                // The same keys and values laid out `[rows, heads, len, dim]`.
                let dense = |buffers: &[Vec<f32>]| -> Vec<f32> {
                    let mut out = Vec::new();
                    for row in 0..rows {
                        for head in 0..heads {
                            for (p, step) in buffers.iter().enumerate() {
                                let origin = origins[row * len + p] as usize;
                                out.extend_from_slice(&step[(origin * heads + head) * dim..][..dim]);
                            }
                        }
                    }
                    out
                };
                let kv = StepKeysValues { keys: &steps, values: &step_values, origins: &origins, rows, len };
                let got = attention_over_steps_with(isa, &queries, kv, heads, dim).unwrap();
                let want = reference(&queries, &dense(&steps), &dense(&step_values), None, rows, heads, 1, len, dim);
                for (index, (&got, &want)) in got.iter().zip(&want).enumerate() {
                    assert!((got as f64 - want).abs() < 1e-5, "{len} {dim} [{index}]: {got} vs {want}");
                }
            }
        }
    }

    #[test]
    fn attention_over_steps_declines_positions_outside_their_step() {
        let (heads, dim) = (2, 4);
        let steps = vec![values(2 * heads * dim, 1), values(3 * heads * dim, 2)];
        let queries = values(2 * heads * dim, 3);
        let kv = |origins: &'static [u32]| StepKeysValues {
            keys: &steps,
            values: &steps,
            origins,
            rows: 2,
            len: 2,
        };
        assert!(attention_over_steps(&queries, kv(&[0, 2, 1, 1]), heads, dim).is_some());
        // Row 0's first position in row 2 of a step that has 2 rows; origins of the wrong length.
        assert!(attention_over_steps(&queries, kv(&[2, 2, 1, 1]), heads, dim).is_none());
        assert!(attention_over_steps(&queries, kv(&[0, 2, 1]), heads, dim).is_none());
        assert!(attention_over_steps(&queries[..heads * dim], kv(&[0, 2, 1, 1]), heads, dim).is_none());
    }

    #[test]
    fn attention_declines_sizes_that_do_not_fit() {
        let keys = values(2 * 3 * 4, 1);
        let kv = |batch, len| KeysValues { keys: &keys, values: &keys, batch, len };
        let queries = values(2 * 2 * 4, 2);
        assert!(attention(&queries, kv(2, 3), None, 1, 2, 4).is_some());
        // A mask of the wrong length, keys too short for their length, rows not a multiple, no rows.
        assert!(attention(&queries, kv(2, 3), Some(&[0.0; 5]), 1, 2, 4).is_none());
        assert!(attention(&queries, kv(2, 4), None, 1, 2, 4).is_none());
        assert!(attention(&queries[..12], kv(2, 3), None, 1, 1, 4).is_none());
        assert!(attention(&queries, kv(0, 3), None, 1, 2, 4).is_none());
    }
}
