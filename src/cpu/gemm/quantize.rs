//! Symmetric int8 quantization, the scheme CTranslate2's int8 uses: a vector (a weight's output
//! column, or a product's input row) is stored as `scale * q` with `q` in -127..=127 and `scale` its
//! largest magnitude / 127. Shared by the AMX tiles and the packed int8 panels, with one vector
//! version per instruction set, all giving the same bytes as the scalar one.

use crate::cpu::Isa;

/// The largest quantized magnitude: symmetric, so -128 is never used.
pub(crate) const INT8_MAX: f32 = 127.0;

/// The largest magnitude in `values` (0 for none).
pub(crate) fn max_magnitude(values: &[f32]) -> f32 {
    values.iter().fold(0f32, |max, value| max.max(value.abs()))
}

/// The factor that maps magnitudes up to `max` onto -127..=127 (0 when `max` is 0: all zeros).
pub(crate) fn quantizing_factor(max: f32) -> f32 {
    if max > 0.0 {
        INT8_MAX / max
    } else {
        0.0
    }
}

/// `value * factor` rounded to the nearest integer (ties to even, as the vector conversions round)
/// and kept within -127..=127.
pub(crate) fn quantize(value: f32, factor: f32) -> i8 {
    (value * factor).round_ties_even().clamp(-INT8_MAX, INT8_MAX) as i8
}

/// `row` quantized into `out` (as `i8` bytes, or with `offset` as `u8` bytes `q + 128`, what the
/// x86 `u8 x s8` products take) by its largest magnitude, with the kernels of `isa`; returns the
/// row's scale. `out` must be at least as long as `row`; bytes past it are left alone.
pub(crate) fn quantize_row(isa: Isa, row: &[f32], out: &mut [u8], offset: bool) -> f32 {
    assert!(out.len() >= row.len(), "quantized row shorter than its input");
    #[cfg(target_arch = "x86_64")]
    {
        if isa.has_avx512() && isa.available() {
            // SAFETY: AVX-512F is present; `out` is at least as long as `row` (both checked above).
            return unsafe { x86::quantize_row_avx512(row, out, offset) };
        }
        if isa.has_avx2() && isa.available() {
            // SAFETY: AVX2 is present; `out` is at least as long as `row` (both checked above).
            return unsafe { x86::quantize_row_avx2(row, out, offset) };
        }
    }
    #[cfg(target_arch = "aarch64")]
    if isa.has_neon() && isa.available() {
        // SAFETY: NEON is present; `out` is at least as long as `row` (both checked above).
        return unsafe { neon::quantize_row(row, out, offset) };
    }
    let _ = isa;
    let max = max_magnitude(row);
    let factor = quantizing_factor(max);
    let flip = if offset { 0x80 } else { 0 };
    for (out, &value) in out.iter_mut().zip(row) {
        *out = quantize(value, factor) as u8 ^ flip;
    }
    max / INT8_MAX
}

/// `row` quantized into `out` as [`quantize_row`] does (signed bytes), but onto -63..=63 (7 bits:
/// the weights of `Format::Int8Narrow`); returns the row's scale. Scalar: weights are quantized once,
/// at load time.
pub(crate) fn quantize_row_narrow(row: &[f32], out: &mut [u8]) -> f32 {
    const NARROW_MAX: f32 = 63.0;
    let max = max_magnitude(row);
    let factor = if max > 0.0 { NARROW_MAX / max } else { 0.0 };
    for (out, &value) in out.iter_mut().zip(row) {
        *out = (value * factor).round_ties_even().clamp(-NARROW_MAX, NARROW_MAX) as i8 as u8;
    }
    max / NARROW_MAX
}

/// The vector versions: the same numbers as the scalar one (the conversions round to nearest even, as
/// [`quantize`] does; `|x * factor| <= 127` up to rounding, so the saturating narrowing never reaches
/// -128).
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{quantizing_factor, INT8_MAX};

    /// # Safety
    /// AVX-512F must be present and `out.len() >= row.len()`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn quantize_row_avx512(row: &[f32], out: &mut [u8], offset: bool) -> f32 {
        let mask =
            |start: usize| -> __mmask16 { (((1u32 << (row.len() - start).min(16)) - 1) & 0xffff) as u16 };
        let mut max = _mm512_setzero_ps();
        for start in (0..row.len()).step_by(16) {
            // SAFETY: the load is masked to the elements of `row` from `start` on.
            let values = unsafe { _mm512_maskz_loadu_ps(mask(start), row.as_ptr().add(start)) };
            max = _mm512_max_ps(max, _mm512_abs_ps(values));
        }
        let max = _mm512_reduce_max_ps(max);
        let factor = _mm512_set1_ps(quantizing_factor(max));
        for start in (0..row.len()).step_by(16) {
            // SAFETY: the load is masked to the elements of `row` from `start` on, the store to as many
            // bytes of `out`, which is at least as long as `row` (the caller's contract).
            unsafe {
                let values = _mm512_maskz_loadu_ps(mask(start), row.as_ptr().add(start));
                let integers = _mm512_cvtps_epi32(_mm512_mul_ps(values, factor));
                let out = out.as_mut_ptr().add(start) as *mut i8;
                if offset {
                    // `q + 128` is within 1..=255: the unsigned narrowing keeps it.
                    let shifted = _mm512_add_epi32(integers, _mm512_set1_epi32(128));
                    _mm512_mask_cvtusepi32_storeu_epi8(out, mask(start), shifted);
                } else {
                    _mm512_mask_cvtsepi32_storeu_epi8(out, mask(start), integers);
                }
            }
        }
        max / INT8_MAX
    }

    /// # Safety
    /// AVX2 must be present and `out.len() >= row.len()`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn quantize_row_avx2(row: &[f32], out: &mut [u8], offset: bool) -> f32 {
        let chunks = row.chunks_exact(8);
        let tail = chunks.remainder();
        let sign = _mm256_set1_ps(-0.0);
        let mut max = _mm256_setzero_ps();
        for chunk in chunks.clone() {
            // SAFETY: `chunk` has 8 elements.
            let values = unsafe { _mm256_loadu_ps(chunk.as_ptr()) };
            max = _mm256_max_ps(max, _mm256_andnot_ps(sign, values));
        }
        let mut lanes = [0f32; 8];
        // SAFETY: `lanes` has 8 elements.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), max) };
        let max = tail.iter().chain(&lanes).fold(0f32, |max, value| max.max(value.abs()));
        let factor = quantizing_factor(max);
        let flip = if offset { 0x80 } else { 0 };
        let factors = _mm256_set1_ps(factor);
        // Narrowing 8 integers to 8 bytes: two saturating packs (32 -> 16 -> 8 bits) work within
        // 128-bit halves, so the halves are packed apart and joined.
        for (index, chunk) in chunks.enumerate() {
            // SAFETY: `chunk` has 8 elements, and `out` has 8 bytes from `index * 8` on (it is at least
            // as long as `row`).
            unsafe {
                let integers = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(chunk.as_ptr()), factors));
                let words = _mm_packs_epi32(
                    _mm256_castsi256_si128(integers),
                    _mm256_extracti128_si256::<1>(integers),
                );
                let bytes = _mm_xor_si128(_mm_packs_epi16(words, words), _mm_set1_epi8(flip as i8));
                _mm_storel_epi64(out.as_mut_ptr().add(index * 8) as *mut __m128i, bytes);
            }
        }
        let done = row.len() - tail.len();
        for (out, &value) in out[done..].iter_mut().zip(tail) {
            *out = super::quantize(value, factor) as u8 ^ flip;
        }
        max / INT8_MAX
    }
}

#[cfg(target_arch = "aarch64")]
mod neon {
    use std::arch::aarch64::*;

    use super::{quantizing_factor, INT8_MAX};

    /// # Safety
    /// NEON must be present and `out.len() >= row.len()`.
    #[target_feature(enable = "neon")]
    pub(super) unsafe fn quantize_row(row: &[f32], out: &mut [u8], offset: bool) -> f32 {
        let chunks = row.chunks_exact(8);
        let tail = chunks.remainder();
        let mut max = vdupq_n_f32(0.0);
        for chunk in chunks.clone() {
            // SAFETY: `chunk` has 8 elements.
            unsafe {
                max = vmaxq_f32(max, vabsq_f32(vld1q_f32(chunk.as_ptr())));
                max = vmaxq_f32(max, vabsq_f32(vld1q_f32(chunk.as_ptr().add(4))));
            }
        }
        let max = tail.iter().fold(vmaxvq_f32(max), |max, value| max.max(value.abs()));
        let factor = quantizing_factor(max);
        let flip = if offset { 0x80 } else { 0 };
        for (index, chunk) in chunks.enumerate() {
            // SAFETY: `chunk` has 8 elements, and `out` has 8 bytes from `index * 8` on (it is at least
            // as long as `row`).
            unsafe {
                // `vcvtnq` rounds to nearest, ties to even; the narrowings saturate.
                let low = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(chunk.as_ptr()), factor));
                let high = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(chunk.as_ptr().add(4)), factor));
                let bytes = vqmovn_s16(vcombine_s16(vqmovn_s32(low), vqmovn_s32(high)));
                let bytes = veor_u8(vreinterpret_u8_s8(bytes), vdup_n_u8(flip));
                vst1_u8(out.as_mut_ptr().add(index * 8), bytes);
            }
        }
        let done = row.len() - tail.len();
        for (out, &value) in out[done..].iter_mut().zip(tail) {
            *out = super::quantize(value, factor) as u8 ^ flip;
        }
        max / INT8_MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_rounds_to_nearest_even_within_127() {
        let factor = quantizing_factor(2.0); // 63.5 per unit
        assert_eq!(quantize(2.0, factor), 127);
        assert_eq!(quantize(-2.0, factor), -127);
        assert_eq!(quantize(1.0, factor), 64); // 63.5: the even neighbour
        assert_eq!(quantize(3.0 / 127.0, factor), 2); // 1.5 -> 2
        assert_eq!(quantize(5.0 / 127.0, factor), 2); // 2.5 -> 2
        assert_eq!(quantize(5.0, factor), 127); // beyond the maximum: clamped
        assert_eq!(quantizing_factor(0.0), 0.0);
        assert_eq!(quantize(1.0, quantizing_factor(0.0)), 0);
    }

    crate::cpu::isa_tests! {
        fn vector_quantization_matches_scalar(isa) {
            // Lengths around the 8- and 16-lane vectors; values with exact halves to exercise ties.
            for offset in [false, true] {
                for len in [0, 1, 7, 8, 9, 15, 16, 17, 64, 100] {
                    let row: Vec<f32> = (0..len)
                        .map(|i| (i as f32 - 40.0) * 0.25 + if i % 3 == 0 { 0.125 } else { 0.0 })
                        .collect();
                    let mut vector = vec![0u8; len + 3];
                    let scale = quantize_row(isa, &row, &mut vector, offset);
                    let max = max_magnitude(&row);
                    assert_eq!(scale, max / INT8_MAX);
                    let factor = quantizing_factor(max);
                    for (i, &value) in row.iter().enumerate() {
                        let want = quantize(value, factor) as u8 ^ if offset { 0x80 } else { 0 };
                        assert_eq!(vector[i], want, "len {len} index {i} offset {offset}");
                    }
                    assert_eq!(&vector[len..], &[0, 0, 0], "padding untouched");
                }
            }
        }
    }
}
