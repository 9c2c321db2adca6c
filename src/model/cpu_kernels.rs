//! Hand-written CPU kernels where candle's general operations cost more than the arithmetic: the
//! packed-weight matrix products (`packed_gemm`) behind tensors, attention (one tiny matrix product per
//! head and row otherwise), SiLU, and, on CPUs without AVX-512, the vocabulary projection and its
//! transpose. All run on f32 tensors in CPU memory and return `None` for anything else; callers then
//! fall back to candle's operations.

use candle_core::{DType, Storage, Tensor};
use rayon::prelude::*;

use super::fast_math;
use super::packed_gemm::{Format, PackedWeight, SharedOut};

/// Runs `f` on the f32 data of a contiguous CPU tensor, without copying it. `None` when the tensor is
/// elsewhere, of another type, or not contiguous.
pub(crate) fn with_f32_slice<R>(tensor: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Option<R> {
    if tensor.dtype() != DType::F32 {
        return None;
    }
    let (storage, layout) = tensor.storage_and_layout();
    let (start, end) = layout.contiguous_offsets()?;
    match &*storage {
        Storage::Cpu(cpu) => cpu.as_slice::<f32>().ok().map(|data| f(&data[start..end])),
        _ => None,
    }
}

/// The data of a contiguous f32 CPU tensor, copied out.
pub(crate) fn f32_vec(tensor: &Tensor) -> Option<Vec<f32>> {
    with_f32_slice(tensor, <[f32]>::to_vec)
}

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
        .with_min_len(min_chunks)
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

/// `a + b` for f32 CPU tensors of the same shape (the residual connections), on rayon's pool: candle's
/// elementwise operations of 64k elements and more run on a pool of its own, whose thread then spins
/// beside ours (4-5% of a beam search's CPU time on two cores). `None` for other tensors.
pub(crate) fn add(a: &Tensor, b: &Tensor) -> Option<candle_core::Result<Tensor>> {
    if a.dims() != b.dims() {
        return None;
    }
    let sum = with_f32_slice(a, |a| {
        with_f32_slice(b, |b| {
            elementwise_in_parallel(a.len(), |first, out| {
                let (a, b) = (&a[first..][..out.len()], &b[first..][..out.len()]);
                for ((out, &a), &b) in out.iter_mut().zip(a).zip(b) {
                    *out = a + b;
                }
            })
        })
    })??;
    Some(Tensor::from_vec(sum, a.dims(), a.device()))
}

/// `weight` (`[out, in]`, f32 on the CPU) packed in `format` for `packed_matmul`, when this CPU runs
/// the packed kernels of that format.
pub(crate) fn pack_weight(weight: &Tensor, format: Format) -> Option<PackedWeight> {
    if !format.supported() {
        return None;
    }
    let (out_dim, in_dim) = weight.dims2().ok()?;
    with_f32_slice(weight, |data| PackedWeight::from_out_in(data, out_dim, in_dim, format))?
}

/// `x @ W + bias` for `x` `[rows, in]` with a packed `W`: `[rows, out]`. `None` when `x` is not f32 on
/// the CPU or has the wrong width.
pub(crate) fn packed_matmul(
    x: &Tensor,
    weight: &PackedWeight,
    bias: &[f32],
) -> Option<candle_core::Result<Tensor>> {
    let (rows, in_dim) = x.dims2().ok()?;
    if in_dim != weight.in_dim() || x.dtype() != DType::F32 || !x.device().is_cpu() {
        return None;
    }
    let x = match x.contiguous() {
        Ok(x) => x,
        Err(error) => return Some(Err(error)),
    };
    let product = with_f32_slice(&x, |x| weight.matmul(x, rows, Some(bias)))?;
    Some(Tensor::from_vec(product, (rows, weight.out_dim()), x.device()))
}

/// SiLU of an f32 CPU tensor (vectorized `exp`; candle's goes element by element through libm).
/// `None` for other tensors.
pub(crate) fn silu(x: &Tensor) -> Option<candle_core::Result<Tensor>> {
    let x = x.contiguous().ok()?;
    let values = with_f32_slice(&x, |x| {
        elementwise_in_parallel(x.len(), |first, out| {
            out.copy_from_slice(&x[first..][..out.len()]);
            fast_math::silu_in_place(out);
        })
    })?;
    Some(Tensor::from_vec(values, x.dims(), x.device()))
}

/// Softmax attention for `queries` `[batch, heads, len, dim]` (already scaled) over `keys`/`values`
/// `[kv_batch, heads, kv_len, dim]`, with an optional additive `mask` `[kv_batch, 1, 1, kv_len]`;
/// returns the context `[batch, heads, len, dim]`. `kv_batch` divides `batch`: query rows
/// `i * batch / kv_batch ..` share keys/values `i` (beams of one input: stored once, read from cache
/// by all of them). `None` when the inputs do not fit this kernel.
///
/// One task per (batch row, head): scores, softmax and the weighted sum of values stay in cache, where
/// candle would run two small matrix products per head, each with its own thread hand-off.
pub(crate) fn attention(
    queries: &Tensor,
    keys: &Tensor,
    values: &Tensor,
    mask: Option<&Tensor>,
) -> Option<candle_core::Result<Tensor>> {
    let (batch, heads, len, dim) = queries.dims4().ok()?;
    let (kv_batch, kv_len) = (keys.dim(0).ok()?, keys.dim(2).ok()?);
    if kv_batch == 0 || batch % kv_batch != 0 {
        return None;
    }
    if keys.dims() != [kv_batch, heads, kv_len, dim] || values.dims() != keys.dims() {
        return None;
    }
    if mask.is_some_and(|mask| mask.dims() != [kv_batch, 1, 1, kv_len]) {
        return None;
    }
    let mask = match mask {
        Some(mask) => Some(with_f32_slice(mask, <[f32]>::to_vec)?),
        None => None,
    };
    let context = with_f32_slice(queries, |queries| {
        with_f32_slice(keys, |keys| {
            with_f32_slice(values, |values| {
                let kv = KeysValuesView { keys, values, batch: kv_batch, len: kv_len, stride: kv_len * dim };
                attention_over(queries, kv, mask.as_deref(), heads, len, dim)
            })
        })
    })???;
    Some(Tensor::from_vec(context, (batch, heads, len, dim), queries.device()))
}

/// Keys and values `[batch, heads, len, dim]` in memory where each (row, head) starts `stride`
/// elements after the previous one (`stride >= len * dim`: caches with room to grow in place).
#[derive(Clone, Copy)]
pub(crate) struct KeysValuesView<'a> {
    pub(crate) keys: &'a [f32],
    pub(crate) values: &'a [f32],
    pub(crate) batch: usize,
    pub(crate) len: usize,
    pub(crate) stride: usize,
}

/// [`attention`] for a decoding step's `queries` `[rows, heads, 1, dim]` over `kv` (`rows` rows:
/// self-attention, one row of keys/values per query row). `None` when the sizes do not fit.
pub(crate) fn attention_in_place(
    queries: &Tensor,
    kv: KeysValuesView,
) -> Option<candle_core::Result<Tensor>> {
    let (batch, heads, len, dim) = queries.dims4().ok()?;
    let fits = |data: &[f32]| {
        kv.batch * heads > 0 && data.len() >= ((kv.batch * heads - 1) * kv.stride + kv.len * dim)
    };
    if len != 1 || kv.batch != batch || kv.stride < kv.len * dim || !fits(kv.keys) || !fits(kv.values) {
        return None;
    }
    let context = with_f32_slice(queries, |queries| attention_over(queries, kv, None, heads, len, dim))?;
    Some(Tensor::from_vec(context, (batch, heads, len, dim), queries.device()))
}

/// The attention context `[batch, heads, len, dim]` of `queries` over `kv` (sizes checked by the
/// callers), `batch` a multiple of `kv.batch`.
fn attention_over(
    queries: &[f32],
    kv: KeysValuesView,
    mask: Option<&[f32]>,
    heads: usize,
    len: usize,
    dim: usize,
) -> Vec<f32> {
    let batch = queries.len() / (heads * len * dim).max(1);
    let copies = batch / kv.batch;
    let kv_len = kv.len;
    if len >= MANY_QUERIES && copies == 1 && kv.stride == kv_len * dim {
        return attention_by_products(queries, kv.keys, kv.values, mask, heads, len, kv_len, dim);
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
                attend_one_dispatch(query, keys, values, mask, next_keys, weights, out);
            }
        },
    )
}

/// `dst = lhs @ rhs` with the `gemm` crate, in the calling thread (the callers run one per rayon task):
/// `dst` `[m, n]` and `lhs` `[m, k]` row-major, `rhs` `[k, n]` with element `(i, j)` at
/// `i * rhs_row_stride + j * rhs_column_stride`.
///
/// # Safety
/// The pointers must be valid for those extents, and `dst` not overlap the others.
#[allow(clippy::too_many_arguments)]
unsafe fn matmul_in_thread(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    lhs: *const f32,
    rhs: *const f32,
    rhs_row_stride: isize,
    rhs_column_stride: isize,
) {
    gemm::gemm(
        m,
        n,
        k,
        dst,
        1,
        n as isize,
        false,
        lhs,
        1,
        k as isize,
        rhs,
        rhs_column_stride,
        rhs_row_stride,
        0.0,
        1.0,
        false,
        false,
        false,
        gemm::Parallelism::None,
    );
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
                softmax_in_place(row);
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

/// `attend_one` in explicit AVX-512 where the CPU has it and the head size is a multiple of 16 up to
/// 128 (the compiler turned the portable version's sixteen-lane sums into four-lane pieces and
/// shuffles: 10% of a beam search run).
fn attend_one_dispatch(
    query: &[f32],
    keys: &[f32],
    values: &[f32],
    mask: Option<&[f32]>,
    next_keys: &[f32],
    weights: &mut [f32],
    out: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if query.len().is_multiple_of(16) && std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F is present and the head size is 16 times the chunk count chosen;
        // `attend_one_avx512` checks the other lengths.
        unsafe {
            match query.len() / 16 {
                1 => return attend_one_avx512::<1>(query, keys, values, mask, next_keys, weights, out),
                2 => return attend_one_avx512::<2>(query, keys, values, mask, next_keys, weights, out),
                3 => return attend_one_avx512::<3>(query, keys, values, mask, next_keys, weights, out),
                4 => return attend_one_avx512::<4>(query, keys, values, mask, next_keys, weights, out),
                5 => return attend_one_avx512::<5>(query, keys, values, mask, next_keys, weights, out),
                6 => return attend_one_avx512::<6>(query, keys, values, mask, next_keys, weights, out),
                7 => return attend_one_avx512::<7>(query, keys, values, mask, next_keys, weights, out),
                8 => return attend_one_avx512::<8>(query, keys, values, mask, next_keys, weights, out),
                _ => {}
            }
        }
    }
    attend_one(query, keys, values, mask, weights, out)
}

/// `attend_one` for head sizes that are multiples of 16, up to 128 (the query and the context held in
/// registers).
///
/// Scores: each one vector of products summed with fused multiply-adds, then across its lanes —
/// sixteen positions at a time in one shuffle tree (a horizontal sum per score was 8 instructions
/// where the tree takes 3), adding in the same order as `_mm512_reduce_add_ps`, which the positions
/// left over use. Context: every sixteen-lane piece of it accumulated side by side, position by
/// position (piece by piece, each was one chain of dependent multiply-adds: 40% of the time here).
///
/// # Safety
/// AVX-512F must be present and `query.len()` be `16 * C`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn attend_one_avx512<const C: usize>(
    query: &[f32],
    keys: &[f32],
    values: &[f32],
    mask: Option<&[f32]>,
    next_keys: &[f32],
    weights: &mut [f32],
    out: &mut [f32],
) {
    use std::arch::x86_64::*;
    let dim = 16 * C;
    let positions = weights.len();
    assert!(
        query.len() == dim
            && keys.len() >= positions * dim
            && values.len() >= positions * dim
            && out.len() == dim
            && mask.is_none_or(|mask| mask.len() >= positions)
    );
    let mut q = [_mm512_setzero_ps(); C];
    for (chunk, q) in q.iter_mut().enumerate() {
        *q = _mm512_loadu_ps(query.as_ptr().add(chunk * 16));
    }
    let products = |position: usize| {
        let key = keys.as_ptr().add(position * dim);
        // The position's values, needed after the softmax, fetched meanwhile.
        let value = values.as_ptr().add(position * dim) as *const i8;
        for chunk in 0..C {
            _mm_prefetch::<_MM_HINT_T0>(value.add(chunk * 64));
        }
        if (position + 1) * dim <= next_keys.len() {
            let next = next_keys.as_ptr().add(position * dim) as *const i8;
            for chunk in 0..C {
                _mm_prefetch::<_MM_HINT_T1>(next.add(chunk * 64));
            }
        }
        let mut sum = _mm512_setzero_ps();
        for (chunk, &q) in q.iter().enumerate() {
            sum = _mm512_fmadd_ps(q, _mm512_loadu_ps(key.add(chunk * 16)), sum);
        }
        sum
    };
    let mut position = 0;
    while position + 16 <= positions {
        let mut sums = [_mm512_setzero_ps(); 16];
        for (i, sum) in sums.iter_mut().enumerate() {
            *sum = products(position + i);
        }
        let mut scores = sum_across_lanes_16(&sums);
        if let Some(mask) = mask {
            scores = _mm512_add_ps(scores, _mm512_loadu_ps(mask.as_ptr().add(position)));
        }
        _mm512_storeu_ps(weights.as_mut_ptr().add(position), scores);
        position += 16;
    }
    for position in position..positions {
        weights[position] =
            _mm512_reduce_add_ps(products(position)) + mask.map_or(0.0, |mask| mask[position]);
    }
    softmax_in_place(weights);
    let mut context = [_mm512_setzero_ps(); C];
    for (position, &weight) in weights.iter().enumerate() {
        let weight = _mm512_set1_ps(weight);
        let value = values.as_ptr().add(position * dim);
        for (chunk, context) in context.iter_mut().enumerate() {
            *context = _mm512_fmadd_ps(weight, _mm512_loadu_ps(value.add(chunk * 16)), *context);
        }
    }
    for (chunk, &context) in context.iter().enumerate() {
        _mm512_storeu_ps(out.as_mut_ptr().add(chunk * 16), context);
    }
}

/// The lane sums of sixteen vectors, as one vector (lane `i`: the sum of `sums[i]`), each added in
/// `_mm512_reduce_add_ps`'s order: the 256-bit halves, the 128-bit halves, then lanes `j` and `j + 2`,
/// then the two remaining.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn sum_across_lanes_16(sums: &[std::arch::x86_64::__m512; 16]) -> std::arch::x86_64::__m512 {
    use std::arch::x86_64::*;
    // Blocks (128 bits) 0 and 2 of `a` plus 1 and 3, likewise of `b`: [a0+a2, a1+a3, b0+b2, b1+b3].
    let halves = |a: __m512, b: __m512| {
        _mm512_add_ps(
            _mm512_shuffle_f32x4::<0b01_00_01_00>(a, b),
            _mm512_shuffle_f32x4::<0b11_10_11_10>(a, b),
        )
    };
    // Of two such vectors: [a, b, c, d], each block one vector's 128-bit sum.
    let quarters = |ab: __m512, cd: __m512| {
        _mm512_add_ps(
            _mm512_shuffle_f32x4::<0b10_00_10_00>(ab, cd),
            _mm512_shuffle_f32x4::<0b11_01_11_01>(ab, cd),
        )
    };
    // Vector j holds, in block k, the 128-bit sum of `sums[4k + j]`.
    let blocks: [__m512; 4] =
        std::array::from_fn(|j| quarters(halves(sums[j], sums[j + 4]), halves(sums[j + 8], sums[j + 12])));
    // Within blocks, lanes 0+2 and 1+3 of two vectors: [p0+p2, p1+p3, q0+q2, q1+q3].
    let pairs = |p: __m512, q: __m512| {
        _mm512_add_ps(_mm512_shuffle_ps::<0b01_00_01_00>(p, q), _mm512_shuffle_ps::<0b11_10_11_10>(p, q))
    };
    let (s, t) = (pairs(blocks[0], blocks[1]), pairs(blocks[2], blocks[3]));
    // Then the two left in each: block k = [sums[4k], sums[4k+1], sums[4k+2], sums[4k+3]].
    _mm512_add_ps(_mm512_shuffle_ps::<0b10_00_10_00>(s, t), _mm512_shuffle_ps::<0b11_01_11_01>(s, t))
}

/// One query row: `out = softmax(keys . query + mask) @ values`.
#[inline(always)]
fn attend_one(
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
    softmax_in_place(weights);
    out.fill(0.0);
    for (position, &weight) in weights.iter().enumerate() {
        for (out, &value) in out.iter_mut().zip(&values[position * dim..][..dim]) {
            *out += weight * value;
        }
    }
}

/// `scores` replaced by their softmax (the vectorized `exp`, then one division each).
fn softmax_in_place(scores: &mut [f32]) {
    let max = fast_math::max(scores);
    let sum = fast_math::exp_shifted_in_place(scores, max);
    scores.iter_mut().for_each(|score| *score /= sum);
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

/// `x @ weight^T + bias` for f32 CPU tensors `x` `[rows, dim]`, `weight` `[vocab, dim]`, `bias`
/// `[vocab]`: the `[rows, vocab]` logits. `None` for other tensors.
///
/// The vocabulary is cut into slices of `SLICE` words, one task each: the task multiplies its slice of
/// the weight by `x^T` (the matrix library's fast orientation: long side first) into a small buffer
/// that stays in cache, then writes it transposed, with the bias, into its columns of the logits. One
/// pass over the weight and none over a full-size intermediate.
pub(crate) fn project_to_vocab(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
) -> Option<candle_core::Result<Tensor>> {
    const SLICE: usize = 512;
    let (rows, dim) = x.dims2().ok()?;
    let (vocab, weight_dim) = weight.dims2().ok()?;
    if weight_dim != dim || bias.dims() != [vocab] {
        return None;
    }
    let bias = with_f32_slice(bias, <[f32]>::to_vec)?;
    let x = with_f32_slice(x, <[f32]>::to_vec)?;
    let logits = with_f32_slice(weight, |weight| {
        let mut logits = vec![0f32; rows * vocab];
        let out = SharedOut(logits.as_mut_ptr());
        (0..vocab.div_ceil(SLICE)).into_par_iter().for_each(|slice| {
            let first = slice * SLICE;
            let words = SLICE.min(vocab - first);
            let mut buffer = vec![0f32; words * rows];
            // SAFETY: the pointers and strides describe `weight[first..first + words]` ([words, dim],
            // row-major), `x` read as `x^T` ([dim, rows]) and `buffer` ([words, rows], row-major),
            // all in bounds; nothing else writes `buffer`.
            unsafe {
                matmul_in_thread(
                    words,
                    rows,
                    dim,
                    buffer.as_mut_ptr(),
                    weight[first * dim..].as_ptr(),
                    x.as_ptr(),
                    1,
                    dim as isize,
                );
            }
            for row in 0..rows {
                for word in 0..words {
                    // SAFETY: `row * vocab + first + word` < rows * vocab, and the columns
                    // `first..first + words` belong to this task alone.
                    unsafe {
                        *out.ptr().add(row * vocab + first + word) =
                            buffer[word * rows + row] + bias[first + word];
                    }
                }
            }
        });
        logits
    })?;
    Some(Tensor::from_vec(logits, (rows, vocab), weight.device()))
}

/// `by_vocab^T + bias` for f32 `[vocab, rows]` scores: the `[rows, vocab]` logits. `None` when the
/// input is not a contiguous f32 CPU tensor.
///
/// Goes tile by tile (a tile of the vocabulary stays in cache while each row copies its column out of
/// it), a group of rows per thread; candle's strided copy takes several times longer.
pub(crate) fn transpose_add_bias(by_vocab: &Tensor, bias: &Tensor) -> Option<candle_core::Result<Tensor>> {
    const TILE: usize = 256;
    let (vocab, rows) = by_vocab.dims2().ok()?;
    let bias = with_f32_slice(bias, <[f32]>::to_vec)?;
    if bias.len() != vocab {
        return None;
    }
    let logits = with_f32_slice(by_vocab, |by_vocab| {
        let mut logits = vec![0f32; rows * vocab];
        let rows_per_group = rows.div_ceil(rayon::current_num_threads()).max(1);
        logits.par_chunks_mut(rows_per_group * vocab).enumerate().for_each(|(group, out)| {
            for tile_start in (0..vocab).step_by(TILE) {
                let tile = tile_start..(tile_start + TILE).min(vocab);
                for (offset, out_row) in out.chunks_mut(vocab).enumerate() {
                    let row = group * rows_per_group + offset;
                    for word in tile.clone() {
                        out_row[word] = by_vocab[word * rows + row] + bias[word];
                    }
                }
            }
        });
        logits
    })?;
    Some(Tensor::from_vec(logits, (rows, vocab), by_vocab.device()))
}

/// The transpose of a 2-d f32 CPU tensor, contiguous. `None` for other tensors.
///
/// Used once per weight at load time: candle's strided copy moves ~0.2 GB/s here, which made loading
/// a 2.5 GB model take 10 s; tiles that fit in cache go at memory speed.
pub(crate) fn transpose(matrix: &Tensor) -> Option<candle_core::Result<Tensor>> {
    const TILE: usize = 64;
    let (rows, cols) = matrix.dims2().ok()?;
    let transposed = with_f32_slice(matrix, |data| {
        let mut out = vec![0f32; rows * cols];
        // Each task fills a band of TILE output rows (= input columns).
        out.par_chunks_mut(TILE * rows).enumerate().for_each(|(band, out)| {
            let first_col = band * TILE;
            let band_cols = out.len() / rows;
            for row_start in (0..rows).step_by(TILE) {
                for row in row_start..(row_start + TILE).min(rows) {
                    let input = &data[row * cols + first_col..][..band_cols];
                    for (col, &value) in input.iter().enumerate() {
                        out[col * rows + row] = value;
                    }
                }
            }
        });
        out
    })?;
    Some(Tensor::from_vec(transposed, (cols, rows), matrix.device()))
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};

    fn max_difference(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

    #[test]
    fn attention_matches_candle_operations_with_and_without_mask() {
        let device = Device::Cpu;
        // Below and above MANY_QUERIES (two code paths); head sizes for the portable and the AVX-512
        // kernel, the latter with positions in and past blocks of sixteen.
        for (len, kv_len, dim) in
            [(5, 7, 12), (1, 7, 12), (9, 9, 12), (20, 7, 12), (40, 130, 12), (1, 40, 64), (3, 16, 32)]
        {
            let (batch, heads) = (3, 2);
            let queries = Tensor::randn(0f32, 1.0, (batch, heads, len, dim), &device).unwrap();
            let keys = Tensor::randn(0f32, 1.0, (batch, heads, kv_len, dim), &device).unwrap();
            let values = Tensor::randn(0f32, 1.0, (batch, heads, kv_len, dim), &device).unwrap();
            // Row 0 attends everywhere, row 1 to its first 3 positions, row 2 to all but the last.
            let rows: Vec<u32> = (0..kv_len)
                .map(|_| 1)
                .chain((0..kv_len).map(|i| (i < 3) as u32))
                .chain((0..kv_len).map(|i| (i + 1 < kv_len) as u32))
                .collect();
            let attention_mask = Tensor::from_vec(rows, (3, kv_len), &device).unwrap();
            let mask = crate::model::layers::additive_mask(&attention_mask).unwrap();
            for mask in [None, Some(&mask)] {
                let ours = super::attention(&queries, &keys, &values, mask).unwrap().unwrap();
                let mut scores = queries.matmul(&keys.t().unwrap()).unwrap();
                if let Some(mask) = mask {
                    scores = scores.broadcast_add(mask).unwrap();
                }
                let theirs = candle_nn::ops::softmax_last_dim(&scores).unwrap().matmul(&values).unwrap();
                assert!(max_difference(&ours, &theirs) < 1e-5);
            }
        }
    }

    #[test]
    fn attention_shares_keys_among_groups_of_rows() {
        let device = Device::Cpu;
        let (inputs, copies, heads, kv_len, dim) = (3, 4, 2, 9, 16);
        let queries = Tensor::randn(0f32, 1.0, (inputs * copies, heads, 1, dim), &device).unwrap();
        let keys = Tensor::randn(0f32, 1.0, (inputs, heads, kv_len, dim), &device).unwrap();
        let values = Tensor::randn(0f32, 1.0, (inputs, heads, kv_len, dim), &device).unwrap();
        let rows: Vec<u32> = (0..inputs * kv_len).map(|i| (i % kv_len < 2 + i / kv_len) as u32).collect();
        let mask =
            crate::model::layers::additive_mask(&Tensor::from_vec(rows, (inputs, kv_len), &device).unwrap())
                .unwrap();
        let ours = super::attention(&queries, &keys, &values, Some(&mask)).unwrap().unwrap();
        // The same with every input's keys, values and mask repeated for each of its rows.
        let repeat: Vec<u32> = (0..(inputs * copies) as u32).map(|row| row / copies as u32).collect();
        let repeat = Tensor::new(repeat.as_slice(), &device).unwrap();
        let expanded = |t: &Tensor| t.index_select(&repeat, 0).unwrap();
        let scores =
            queries.matmul(&expanded(&keys).t().unwrap()).unwrap().broadcast_add(&expanded(&mask)).unwrap();
        let theirs = candle_nn::ops::softmax_last_dim(&scores).unwrap().matmul(&expanded(&values)).unwrap();
        assert!(max_difference(&ours, &theirs) < 1e-5);
    }

    #[test]
    fn attention_declines_what_it_does_not_handle() {
        let device = Device::Cpu;
        let q = Tensor::zeros((1, 1, 2, 4), candle_core::DType::F32, &device).unwrap();
        let k = Tensor::zeros((1, 1, 3, 4), candle_core::DType::F32, &device).unwrap();
        let odd_mask = Tensor::zeros((1, 1, 2, 3), candle_core::DType::F32, &device).unwrap();
        assert!(super::attention(&q, &k, &k, Some(&odd_mask)).is_none());
        let half = q.to_dtype(candle_core::DType::BF16).unwrap();
        assert!(super::attention(&half, &k, &k, None).is_none());
    }

    #[test]
    fn add_matches_candle_and_declines_other_shapes() {
        let device = Device::Cpu;
        // More than one parallel chunk, the last one partial.
        let a = Tensor::randn(0f32, 1.0, (3, 7000), &device).unwrap();
        let b = Tensor::randn(0f32, 1.0, (3, 7000), &device).unwrap();
        let ours = super::add(&a, &b).unwrap().unwrap();
        assert_eq!(ours.dims(), a.dims());
        assert_eq!(max_difference(&ours, &(&a + &b).unwrap()), 0.0);
        assert!(super::add(&a, &b.narrow(1, 0, 10).unwrap()).is_none());
    }

    #[test]
    fn vocabulary_projection_matches_candle() {
        let device = Device::Cpu;
        for (rows, dim, vocab) in [(1, 16, 7), (5, 24, 1300), (32, 8, 512)] {
            let x = Tensor::randn(0f32, 1.0, (rows, dim), &device).unwrap();
            let weight = Tensor::randn(0f32, 1.0, (vocab, dim), &device).unwrap();
            let bias = Tensor::randn(0f32, 1.0, vocab, &device).unwrap();
            let ours = super::project_to_vocab(&x, &weight, &bias).unwrap().unwrap();
            let theirs = x.matmul(&weight.t().unwrap()).unwrap().broadcast_add(&bias).unwrap();
            assert_eq!(ours.dims(), &[rows, vocab]);
            assert!(max_difference(&ours, &theirs) < 1e-4);
        }
    }

    #[test]
    fn transposes_match_candle() {
        let device = Device::Cpu;
        for (rows, cols) in [(1, 1), (3, 130), (129, 70), (64, 64)] {
            let matrix = Tensor::randn(0f32, 1.0, (rows, cols), &device).unwrap();
            let ours = super::transpose(&matrix).unwrap().unwrap();
            assert_eq!(ours.dims(), &[cols, rows]);
            assert_eq!(max_difference(&ours, &matrix.t().unwrap().contiguous().unwrap()), 0.0);
            let bias = Tensor::randn(0f32, 1.0, rows, &device).unwrap();
            let ours = super::transpose_add_bias(&matrix, &bias).unwrap().unwrap();
            let theirs = matrix.t().unwrap().broadcast_add(&bias).unwrap();
            assert_eq!(max_difference(&ours, &theirs), 0.0);
        }
    }
}
