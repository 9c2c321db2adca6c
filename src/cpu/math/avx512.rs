//! The AVX-512 versions. Each `unsafe fn` needs AVX-512F, which its caller checks; the loads and stores
//! stay inside the slices they are given (whole 16-lane chunks, or masked to the tail's length).

use std::arch::x86_64::*;

use super::{EXP_CEILING, EXP_FLOOR, EXP_POLYNOMIAL, LN2_HIGH, LN2_LOW};

/// Cephes `expf`: `x = n ln2 + r`, `exp(x) = 2^n * (1 + r + r^2 p(r))`. Inputs below -103.9 give
/// exactly 0 (as their exact value rounds to in f32; -inf from masked attention scores included),
/// NaN too; above 88.7, +inf.
#[inline]
#[target_feature(enable = "avx512f")]
fn exp(x: __m512) -> __m512 {
    let floor = _mm512_set1_ps(EXP_FLOOR);
    let in_range = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(x, floor);
    let x = _mm512_min_ps(_mm512_max_ps(x, floor), _mm512_set1_ps(EXP_CEILING));
    let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm512_mul_ps(
        x,
        _mm512_set1_ps(std::f32::consts::LOG2_E),
    ));
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HIGH), x);
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LOW), r);
    let mut p = _mm512_set1_ps(EXP_POLYNOMIAL[0]);
    for &coefficient in &EXP_POLYNOMIAL[1..] {
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(coefficient));
    }
    let r2 = _mm512_mul_ps(r, r);
    let y = _mm512_add_ps(_mm512_fmadd_ps(p, r2, r), _mm512_set1_ps(1.0));
    _mm512_maskz_mov_ps(in_range, _mm512_scalef_ps(y, n))
}

/// The mask of the first `len` (< 16) lanes.
#[inline]
fn tail_mask(len: usize) -> __mmask16 {
    ((1u32 << len) - 1) as __mmask16
}

#[target_feature(enable = "avx512f")]
pub(super) unsafe fn sum_exp_shifted(values: &[f32], max: f32) -> f32 {
    let shift = _mm512_set1_ps(max);
    let mut sum = _mm512_setzero_ps();
    let chunks = values.chunks_exact(16);
    let tail = chunks.remainder();
    for chunk in chunks {
        // SAFETY: `chunk` has 16 elements.
        let x = _mm512_sub_ps(unsafe { _mm512_loadu_ps(chunk.as_ptr()) }, shift);
        sum = _mm512_add_ps(sum, exp(x));
    }
    if !tail.is_empty() {
        let mask = tail_mask(tail.len());
        // SAFETY: the mask covers the `tail.len()` elements of `tail` only.
        let x = _mm512_sub_ps(unsafe { _mm512_maskz_loadu_ps(mask, tail.as_ptr()) }, shift);
        sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(mask, exp(x)));
    }
    _mm512_reduce_add_ps(sum)
}

/// See `super::stretch_maxima`; `stretch` is a positive multiple of 16.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn stretch_maxima(values: &[f32], stretch: usize, maxima: &mut Vec<f32>) {
    let mut pieces = values.chunks_exact(stretch);
    for piece in &mut pieces {
        let mut lanes = _mm512_set1_ps(f32::NEG_INFINITY);
        for chunk in piece.chunks_exact(16) {
            // (`max_ps` returns its second operand when either is NaN: NaNs in `values` are passed over.)
            // SAFETY: `chunk` has 16 elements.
            lanes = _mm512_max_ps(unsafe { _mm512_loadu_ps(chunk.as_ptr()) }, lanes);
        }
        maxima.push(_mm512_reduce_max_ps(lanes));
    }
    let rest = pieces.remainder();
    if !rest.is_empty() {
        let mut lanes = _mm512_set1_ps(f32::NEG_INFINITY);
        for chunk in rest.chunks(16) {
            let mask = if chunk.len() == 16 { 0xffff } else { tail_mask(chunk.len()) };
            // Lanes past the end read as -inf.
            // SAFETY: the mask covers the `chunk.len()` elements of `chunk` only.
            let values =
                unsafe { _mm512_mask_loadu_ps(_mm512_set1_ps(f32::NEG_INFINITY), mask, chunk.as_ptr()) };
            lanes = _mm512_max_ps(values, lanes);
        }
        maxima.push(_mm512_reduce_max_ps(lanes));
    }
}

#[target_feature(enable = "avx512f")]
pub(super) unsafe fn exp_shifted_in_place(values: &mut [f32], max: f32) -> f32 {
    let shift = _mm512_set1_ps(max);
    let mut sum = _mm512_setzero_ps();
    let mut chunks = values.chunks_exact_mut(16);
    for chunk in &mut chunks {
        // SAFETY: `chunk` has 16 elements.
        let e = exp(_mm512_sub_ps(unsafe { _mm512_loadu_ps(chunk.as_ptr()) }, shift));
        // SAFETY: as above.
        unsafe { _mm512_storeu_ps(chunk.as_mut_ptr(), e) };
        sum = _mm512_add_ps(sum, e);
    }
    let tail = chunks.into_remainder();
    if !tail.is_empty() {
        let mask = tail_mask(tail.len());
        // SAFETY: the mask covers the `tail.len()` elements of `tail` only.
        let e = exp(_mm512_sub_ps(unsafe { _mm512_maskz_loadu_ps(mask, tail.as_ptr()) }, shift));
        // SAFETY: as above.
        unsafe { _mm512_mask_storeu_ps(tail.as_mut_ptr(), mask, e) };
        sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(mask, e));
    }
    _mm512_reduce_add_ps(sum)
}

#[target_feature(enable = "avx512f")]
pub(super) unsafe fn silu_in_place(values: &mut [f32]) {
    let one = _mm512_set1_ps(1.0);
    let silu = |x: __m512| _mm512_div_ps(x, _mm512_add_ps(one, exp(_mm512_sub_ps(_mm512_setzero_ps(), x))));
    let mut chunks = values.chunks_exact_mut(16);
    for chunk in &mut chunks {
        // SAFETY: `chunk` has 16 elements.
        unsafe { _mm512_storeu_ps(chunk.as_mut_ptr(), silu(_mm512_loadu_ps(chunk.as_ptr()))) };
    }
    let tail = chunks.into_remainder();
    if !tail.is_empty() {
        let mask = tail_mask(tail.len());
        // SAFETY: the mask covers the `tail.len()` elements of `tail` only.
        unsafe {
            _mm512_mask_storeu_ps(tail.as_mut_ptr(), mask, silu(_mm512_maskz_loadu_ps(mask, tail.as_ptr())))
        };
    }
}
