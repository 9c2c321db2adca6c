//! The AVX2 versions. Each `unsafe fn` needs AVX2 and FMA, which its caller checks; the loads and
//! stores stay inside the slices they are given (whole 8-lane chunks; a tail goes through an 8-lane
//! copy, padded with -inf where an exponential must add nothing).

use std::arch::x86_64::*;

use super::{EXP_CEILING, EXP_FLOOR, EXP_POLYNOMIAL, LN2_HIGH, LN2_LOW};

/// Cephes `expf`, the same operations as the AVX-512 version; `2^n` is applied as two exact powers of
/// two (`2^(n >> 1)`, then `2^(n - (n >> 1))`), so a result below the normal range is rounded once,
/// as `vscalefps` rounds it.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn exp(x: __m256) -> __m256 {
    let floor = _mm256_set1_ps(EXP_FLOOR);
    let in_range = _mm256_cmp_ps::<_CMP_GE_OQ>(x, floor);
    let x = _mm256_min_ps(_mm256_max_ps(x, floor), _mm256_set1_ps(EXP_CEILING));
    let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(
        x,
        _mm256_set1_ps(std::f32::consts::LOG2_E),
    ));
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HIGH), x);
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LOW), r);
    let mut p = _mm256_set1_ps(EXP_POLYNOMIAL[0]);
    for &coefficient in &EXP_POLYNOMIAL[1..] {
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(coefficient));
    }
    let r2 = _mm256_mul_ps(r, r);
    let y = _mm256_add_ps(_mm256_fmadd_ps(p, r2, r), _mm256_set1_ps(1.0));
    let n = _mm256_cvtps_epi32(n);
    let half = _mm256_srai_epi32::<1>(n);
    let power = |e: __m256i| {
        _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(e, _mm256_set1_epi32(127))))
    };
    let scaled = _mm256_mul_ps(_mm256_mul_ps(y, power(half)), power(_mm256_sub_epi32(n, half)));
    _mm256_and_ps(scaled, in_range)
}

/// The sum of the eight lanes.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn sum_lanes(v: __m256) -> f32 {
    let quarter = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let half = _mm_add_ps(quarter, _mm_movehl_ps(quarter, quarter));
    _mm_cvtss_f32(_mm_add_ss(half, _mm_shuffle_ps::<1>(half, half)))
}

/// Up to 8 values into a full register, the rest `fill`.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn load_tail(tail: &[f32], fill: f32) -> __m256 {
    let mut padded = [fill; 8];
    padded[..tail.len()].copy_from_slice(tail);
    // SAFETY: `padded` has 8 elements.
    unsafe { _mm256_loadu_ps(padded.as_ptr()) }
}

/// A register's first `tail.len()` (< 8) lanes into `tail`.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn store_tail(tail: &mut [f32], values: __m256) {
    let mut staged = [0f32; 8];
    // SAFETY: `staged` has 8 elements.
    unsafe { _mm256_storeu_ps(staged.as_mut_ptr(), values) };
    tail.copy_from_slice(&staged[..tail.len()]);
}

#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn sum_exp_shifted(values: &[f32], max: f32) -> f32 {
    let shift = _mm256_set1_ps(max);
    let mut sum = _mm256_setzero_ps();
    let chunks = values.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        // SAFETY: `chunk` has 8 elements.
        let x = _mm256_sub_ps(unsafe { _mm256_loadu_ps(chunk.as_ptr()) }, shift);
        sum = _mm256_add_ps(sum, exp(x));
    }
    if !tail.is_empty() {
        // The padding's -inf gives exp = 0.
        sum = _mm256_add_ps(sum, exp(_mm256_sub_ps(load_tail(tail, f32::NEG_INFINITY), shift)));
    }
    sum_lanes(sum)
}

/// See `super::stretch_maxima`; `stretch` is a positive multiple of 16. Two chains of maxima per
/// piece (their order does not matter: maxima are exact), and the lanes reduced by shuffles: one chain
/// and a scalar reduction through memory left the pass waiting on `max_ps`'s latency.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn stretch_maxima(values: &[f32], stretch: usize, maxima: &mut Vec<f32>) {
    // NaN-free lanes (see below), so the order of these maxima is free too.
    let max_lanes = |lanes: __m256| {
        let half = _mm_max_ps(_mm256_castps256_ps128(lanes), _mm256_extractf128_ps::<1>(lanes));
        let quarter = _mm_max_ps(half, _mm_movehl_ps(half, half));
        _mm_cvtss_f32(_mm_max_ss(quarter, _mm_shuffle_ps::<1>(quarter, quarter)))
    };
    let mut pieces = values.chunks_exact(stretch);
    for piece in &mut pieces {
        let (mut even, mut odd) = (_mm256_set1_ps(f32::NEG_INFINITY), _mm256_set1_ps(f32::NEG_INFINITY));
        for pair in piece.chunks_exact(16) {
            // (`max_ps` returns its second operand when either is NaN: NaNs in `values` are passed
            // over, and the chains never hold one.)
            // SAFETY: `pair` has 16 elements.
            unsafe {
                even = _mm256_max_ps(_mm256_loadu_ps(pair.as_ptr()), even);
                odd = _mm256_max_ps(_mm256_loadu_ps(pair.as_ptr().add(8)), odd);
            }
        }
        maxima.push(max_lanes(_mm256_max_ps(even, odd)));
    }
    let rest = pieces.remainder();
    if !rest.is_empty() {
        let mut lanes = _mm256_set1_ps(f32::NEG_INFINITY);
        for chunk in rest.chunks(8) {
            lanes = _mm256_max_ps(load_tail(chunk, f32::NEG_INFINITY), lanes);
        }
        maxima.push(max_lanes(lanes));
    }
}

#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn exp_shifted_in_place(values: &mut [f32], max: f32) -> f32 {
    let shift = _mm256_set1_ps(max);
    let mut sum = _mm256_setzero_ps();
    let mut chunks = values.chunks_exact_mut(8);
    for chunk in &mut chunks {
        // SAFETY: `chunk` has 8 elements.
        let e = exp(_mm256_sub_ps(unsafe { _mm256_loadu_ps(chunk.as_ptr()) }, shift));
        // SAFETY: as above.
        unsafe { _mm256_storeu_ps(chunk.as_mut_ptr(), e) };
        sum = _mm256_add_ps(sum, e);
    }
    let tail = chunks.into_remainder();
    if !tail.is_empty() {
        let e = exp(_mm256_sub_ps(load_tail(tail, f32::NEG_INFINITY), shift));
        store_tail(tail, e);
        sum = _mm256_add_ps(sum, e);
    }
    sum_lanes(sum)
}

#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn silu_in_place(values: &mut [f32]) {
    let one = _mm256_set1_ps(1.0);
    let silu = |x: __m256| _mm256_div_ps(x, _mm256_add_ps(one, exp(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    let mut chunks = values.chunks_exact_mut(8);
    for chunk in &mut chunks {
        // SAFETY: `chunk` has 8 elements.
        unsafe { _mm256_storeu_ps(chunk.as_mut_ptr(), silu(_mm256_loadu_ps(chunk.as_ptr()))) };
    }
    let tail = chunks.into_remainder();
    if !tail.is_empty() {
        store_tail(tail, silu(load_tail(tail, 0.0)));
    }
}
