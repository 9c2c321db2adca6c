//! The NEON versions. Each `unsafe fn` needs NEON, which its caller checks; the loads and stores stay
//! inside the slices they are given (whole 4-lane chunks; a tail goes through a 4-lane copy, padded
//! with -inf where an exponential must add nothing).

use std::arch::aarch64::*;

use super::{EXP_CEILING, EXP_FLOOR, EXP_POLYNOMIAL, LN2_HIGH, LN2_LOW};

/// Cephes `expf`, the same fused operations as the x86 versions (`vfmsq` is `fnmadd`, `vrndnq` rounds
/// to nearest even as `roundscale` does), `2^n` applied as two exact powers of two as in the AVX2
/// version.
#[inline]
#[target_feature(enable = "neon")]
fn exp(x: float32x4_t) -> float32x4_t {
    let floor = vdupq_n_f32(EXP_FLOOR);
    let in_range = vcgeq_f32(x, floor);
    let x = vminq_f32(vmaxq_f32(x, floor), vdupq_n_f32(EXP_CEILING));
    let n = vrndnq_f32(vmulq_n_f32(x, std::f32::consts::LOG2_E));
    let r = vfmsq_f32(x, n, vdupq_n_f32(LN2_HIGH));
    let r = vfmsq_f32(r, n, vdupq_n_f32(LN2_LOW));
    let mut p = vdupq_n_f32(EXP_POLYNOMIAL[0]);
    for &coefficient in &EXP_POLYNOMIAL[1..] {
        p = vfmaq_f32(vdupq_n_f32(coefficient), p, r);
    }
    let r2 = vmulq_f32(r, r);
    let y = vaddq_f32(vfmaq_f32(r, p, r2), vdupq_n_f32(1.0));
    let n = vcvtq_s32_f32(n);
    let half = vshrq_n_s32::<1>(n);
    let power = |e: int32x4_t| vreinterpretq_f32_s32(vshlq_n_s32::<23>(vaddq_s32(e, vdupq_n_s32(127))));
    let scaled = vmulq_f32(vmulq_f32(y, power(half)), power(vsubq_s32(n, half)));
    vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(scaled), in_range))
}

/// Up to 4 values into a full register, the rest `fill`.
#[inline]
#[target_feature(enable = "neon")]
fn load_tail(tail: &[f32], fill: f32) -> float32x4_t {
    let mut padded = [fill; 4];
    padded[..tail.len()].copy_from_slice(tail);
    // SAFETY: `padded` has 4 elements.
    unsafe { vld1q_f32(padded.as_ptr()) }
}

/// A register's first `tail.len()` (< 4) lanes into `tail`.
#[inline]
#[target_feature(enable = "neon")]
fn store_tail(tail: &mut [f32], values: float32x4_t) {
    let mut staged = [0f32; 4];
    // SAFETY: `staged` has 4 elements.
    unsafe { vst1q_f32(staged.as_mut_ptr(), values) };
    tail.copy_from_slice(&staged[..tail.len()]);
}

#[target_feature(enable = "neon")]
pub(super) unsafe fn sum_exp_shifted(values: &[f32], max: f32) -> f32 {
    let shift = vdupq_n_f32(max);
    let mut sum = vdupq_n_f32(0.0);
    let chunks = values.chunks_exact(4);
    let tail = chunks.remainder();
    for chunk in chunks {
        // SAFETY: `chunk` has 4 elements.
        let x = vsubq_f32(unsafe { vld1q_f32(chunk.as_ptr()) }, shift);
        sum = vaddq_f32(sum, exp(x));
    }
    if !tail.is_empty() {
        sum = vaddq_f32(sum, exp(vsubq_f32(load_tail(tail, f32::NEG_INFINITY), shift)));
    }
    vaddvq_f32(sum)
}

/// See `super::stretch_maxima`; `stretch` is a positive multiple of 4.
#[target_feature(enable = "neon")]
pub(super) unsafe fn stretch_maxima(values: &[f32], stretch: usize, maxima: &mut Vec<f32>) {
    let mut pieces = values.chunks_exact(stretch);
    for piece in &mut pieces {
        let mut lanes = vdupq_n_f32(f32::NEG_INFINITY);
        for chunk in piece.chunks_exact(4) {
            // (`vmaxnmq` returns the number when one operand is NaN: NaNs in `values` are passed over.)
            // SAFETY: `chunk` has 4 elements.
            lanes = vmaxnmq_f32(unsafe { vld1q_f32(chunk.as_ptr()) }, lanes);
        }
        maxima.push(vmaxnmvq_f32(lanes));
    }
    let rest = pieces.remainder();
    if !rest.is_empty() {
        let mut lanes = vdupq_n_f32(f32::NEG_INFINITY);
        for chunk in rest.chunks(4) {
            lanes = vmaxnmq_f32(load_tail(chunk, f32::NEG_INFINITY), lanes);
        }
        maxima.push(vmaxnmvq_f32(lanes));
    }
}

#[target_feature(enable = "neon")]
pub(super) unsafe fn exp_shifted_in_place(values: &mut [f32], max: f32) -> f32 {
    let shift = vdupq_n_f32(max);
    let mut sum = vdupq_n_f32(0.0);
    let mut chunks = values.chunks_exact_mut(4);
    for chunk in &mut chunks {
        // SAFETY: `chunk` has 4 elements.
        let e = exp(vsubq_f32(unsafe { vld1q_f32(chunk.as_ptr()) }, shift));
        // SAFETY: as above.
        unsafe { vst1q_f32(chunk.as_mut_ptr(), e) };
        sum = vaddq_f32(sum, e);
    }
    let tail = chunks.into_remainder();
    if !tail.is_empty() {
        let e = exp(vsubq_f32(load_tail(tail, f32::NEG_INFINITY), shift));
        store_tail(tail, e);
        sum = vaddq_f32(sum, e);
    }
    vaddvq_f32(sum)
}

#[target_feature(enable = "neon")]
pub(super) unsafe fn silu_in_place(values: &mut [f32]) {
    let one = vdupq_n_f32(1.0);
    let silu = |x: float32x4_t| vdivq_f32(x, vaddq_f32(one, exp(vnegq_f32(x))));
    let mut chunks = values.chunks_exact_mut(4);
    for chunk in &mut chunks {
        // SAFETY: `chunk` has 4 elements.
        unsafe { vst1q_f32(chunk.as_mut_ptr(), silu(vld1q_f32(chunk.as_ptr()))) };
    }
    let tail = chunks.into_remainder();
    if !tail.is_empty() {
        store_tail(tail, silu(load_tail(tail, 0.0)));
    }
}
