//! `exp` over whole slices, a vector at a time (16 lanes with AVX-512, 8 with AVX2, 4 with NEON), for
//! the three places that take an exponential of every element: the log-sum-exp over the vocabulary
//! at each decoding step, attention's softmax, and the SiLU activation. libm's `expf` one element at a
//! time was 6% of a decoding run.
//!
//! The vector `exp` is Cephes' `expf` (range reduction by `ln 2`, degree-6 polynomial), within 2 ulp of
//! the exact value, as PyTorch's vectorized `exp` (SLEEF, 1 ulp) is; the same fused operations on every
//! instruction set, so the same value on each. The generic version is libm's.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;

use super::{isa, Isa};

/// Cephes' `expf` constants: the degree-6 polynomial's coefficients (highest first), `ln 2` in two
/// parts (the first exact in few bits, so `n * LN2_HIGH` is exact), and the input range kept
/// (inputs below `EXP_FLOOR` give exactly 0, as their exact value rounds to in f32; above
/// `EXP_CEILING`, +inf).
const EXP_POLYNOMIAL: [f32; 6] =
    [1.987_569_1e-4, 1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5];
const LN2_HIGH: f32 = 0.693_359_4;
const LN2_LOW: f32 = -2.121_944_4e-4;
const EXP_FLOOR: f32 = -103.9;
const EXP_CEILING: f32 = 88.73;

/// `sum(exp(values - max))`, with -inf entries contributing nothing.
pub(crate) fn sum_exp_shifted(values: &[f32], max: f32) -> f32 {
    sum_exp_shifted_with(isa(), values, max)
}

fn sum_exp_shifted_with(isa: Isa, values: &[f32], max: f32) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if isa.has_avx512() && isa.available() {
            // SAFETY: this CPU has AVX-512F (checked just above).
            return unsafe { avx512::sum_exp_shifted(values, max) };
        }
        if isa.has_avx2() && isa.available() {
            // SAFETY: this CPU has AVX2 and FMA (checked just above).
            return unsafe { avx2::sum_exp_shifted(values, max) };
        }
    }
    #[cfg(target_arch = "aarch64")]
    if isa.has_neon() && isa.available() {
        // SAFETY: this CPU has NEON (checked just above).
        return unsafe { neon::sum_exp_shifted(values, max) };
    }
    let _ = isa;
    values.iter().map(|&value| (value - max).exp()).sum()
}

/// The largest of `values` (-inf when empty; NaNs ignored), in sixteen lanes: `fold(f32::max)` goes one
/// element at a time, each waiting for the last (a step's 61k-word rows, hundreds of times). Portable
/// code on every level: the compiler vectorizes it well.
pub(crate) fn max(values: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 16];
    let chunks = values.chunks_exact(16);
    let tail = chunks.remainder().iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for chunk in chunks {
        for (lane, &value) in lanes.iter_mut().zip(chunk) {
            *lane = if value > *lane { value } else { *lane };
        }
    }
    lanes.iter().copied().fold(tail, f32::max)
}

/// The largest value of each `stretch`-long piece of `values` (the last one possibly shorter) into
/// `maxima` (cleared first), NaNs ignored, -inf for a piece with no other value; returns the largest
/// of all, as [`max`] does. One pass where `max` per piece paid a call and a reduction each time.
pub(crate) fn stretch_maxima(values: &[f32], stretch: usize, maxima: &mut Vec<f32>) -> f32 {
    stretch_maxima_with(isa(), values, stretch, maxima)
}

fn stretch_maxima_with(isa: Isa, values: &[f32], stretch: usize, maxima: &mut Vec<f32>) -> f32 {
    maxima.clear();
    if stretch.is_multiple_of(16) && stretch > 0 {
        #[cfg(target_arch = "x86_64")]
        {
            if isa.has_avx512() && isa.available() {
                // SAFETY: this CPU has AVX-512F; `stretch` is a positive multiple of 16 (both checked
                // above).
                unsafe { avx512::stretch_maxima(values, stretch, maxima) };
                return maxima.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            }
            if isa.has_avx2() && isa.available() {
                // SAFETY: this CPU has AVX2; `stretch` is a positive multiple of 16 (both checked
                // above).
                unsafe { avx2::stretch_maxima(values, stretch, maxima) };
                return maxima.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            }
        }
        #[cfg(target_arch = "aarch64")]
        if isa.has_neon() && isa.available() {
            // SAFETY: this CPU has NEON; `stretch` is a positive multiple of 16 (both checked above).
            unsafe { neon::stretch_maxima(values, stretch, maxima) };
            return maxima.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        }
    }
    let _ = isa;
    maxima.extend(values.chunks(stretch.max(1)).map(max));
    maxima.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

/// `values[i] = exp(values[i] - max)`, returning their sum.
fn exp_shifted_in_place_with(isa: Isa, values: &mut [f32], max: f32) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if isa.has_avx512() && isa.available() {
            // SAFETY: this CPU has AVX-512F (checked just above).
            return unsafe { avx512::exp_shifted_in_place(values, max) };
        }
        if isa.has_avx2() && isa.available() {
            // SAFETY: this CPU has AVX2 and FMA (checked just above).
            return unsafe { avx2::exp_shifted_in_place(values, max) };
        }
    }
    #[cfg(target_arch = "aarch64")]
    if isa.has_neon() && isa.available() {
        // SAFETY: this CPU has NEON (checked just above).
        return unsafe { neon::exp_shifted_in_place(values, max) };
    }
    let _ = isa;
    let mut sum = 0.0;
    for value in values.iter_mut() {
        *value = (*value - max).exp();
        sum += *value;
    }
    sum
}

/// `scores` replaced by their softmax (the vectorized `exp`, then one division each), with the
/// kernels of `isa`.
pub(super) fn softmax_in_place_with(isa: Isa, scores: &mut [f32]) {
    let max = max(scores);
    let sum = exp_shifted_in_place_with(isa, scores, max);
    scores.iter_mut().for_each(|score| *score /= sum);
}

/// `x * sigmoid(x)` (SiLU, also called swish) of every element, in place.
pub(crate) fn silu_in_place(values: &mut [f32]) {
    silu_in_place_with(isa(), values)
}

fn silu_in_place_with(isa: Isa, values: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if isa.has_avx512() && isa.available() {
            // SAFETY: this CPU has AVX-512F (checked just above).
            return unsafe { avx512::silu_in_place(values) };
        }
        if isa.has_avx2() && isa.available() {
            // SAFETY: this CPU has AVX2 and FMA (checked just above).
            return unsafe { avx2::silu_in_place(values) };
        }
    }
    #[cfg(target_arch = "aarch64")]
    if isa.has_neon() && isa.available() {
        // SAFETY: this CPU has NEON (checked just above).
        return unsafe { neon::silu_in_place(values) };
    }
    let _ = isa;
    for value in values.iter_mut() {
        *value /= 1.0 + (-*value).exp();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_matches_a_fold_and_ignores_nan() {
        for len in [0, 1, 15, 16, 17, 40, 1000] {
            let values: Vec<f32> = (0..len).map(|i| ((i * 7919) % 1013) as f32 - 500.0).collect();
            assert_eq!(max(&values), values.iter().copied().fold(f32::NEG_INFINITY, f32::max), "{len}");
        }
        assert_eq!(max(&[f32::NAN, 1.0, f32::NAN, -3.0]), 1.0);
        assert_eq!(max(&[f32::NEG_INFINITY; 20]), f32::NEG_INFINITY);
    }

    /// Distance in units in the last place between two finite f32 of the same sign (or zero).
    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    crate::cpu::isa_tests! {
        fn stretch_maxima_match_max_of_each_piece(isa) {
            for len in [0, 1, 15, 16, 63, 64, 65, 130, 1000] {
                let mut values: Vec<f32> = (0..len).map(|i| ((i * 7919) % 1013) as f32 - 500.0).collect();
                if len > 70 {
                    values[3] = f32::NAN;
                    values[64..70].fill(f32::NEG_INFINITY);
                }
                for stretch in [16, 64, 7] {
                    let mut maxima = vec![1.0; 3];
                    let overall = stretch_maxima_with(isa, &values, stretch, &mut maxima);
                    let want: Vec<f32> = values.chunks(stretch).map(max).collect();
                    assert_eq!(maxima, want, "len {len} stretch {stretch}");
                    assert_eq!(overall, max(&values), "len {len} stretch {stretch}");
                }
            }
        }

        fn exp_is_within_two_ulp_of_f64(isa) {
            let inputs: Vec<f32> = (-8700..=8800).map(|i| i as f32 * 0.01 + 0.003).collect();
            let mut got = inputs.clone();
            exp_shifted_in_place_with(isa, &mut got, 0.0);
            for (&x, &y) in inputs.iter().zip(&got) {
                let exact = (x as f64).exp() as f32;
                if exact.is_normal() {
                    assert!(ulps(y, exact) <= 2, "exp({x}) = {y}, exact {exact}");
                }
            }
        }

        fn limits_and_lengths(isa) {
            // Every tail length, -inf (masked attention scores) giving exactly 0, large inputs +inf.
            for len in 0..40 {
                let mut values: Vec<f32> = (0..len).map(|i| i as f32 * 0.5 - 3.0).collect();
                if len > 2 {
                    values[1] = f32::NEG_INFINITY;
                }
                let sum = sum_exp_shifted_with(isa, &values, 1.0);
                let total = exp_shifted_in_place_with(isa, &mut values, 1.0);
                assert!((sum - total).abs() <= 1e-6 * total.max(1.0), "{sum} vs {total}");
                let expected: f64 =
                    (0..len).filter(|&i| !(len > 2 && i == 1)).map(|i| (i as f64 * 0.5 - 4.0).exp()).sum();
                assert!((total as f64 - expected).abs() <= 1e-5 * expected.max(1.0), "len {len}");
                if len > 2 {
                    assert_eq!(values[1], 0.0);
                }
            }
            let mut big = [100.0f32, -200.0];
            exp_shifted_in_place_with(isa, &mut big, 0.0);
            assert_eq!(big, [f32::INFINITY, 0.0]);
        }

        fn softmax_sums_to_one(isa) {
            let mut scores = vec![1.0f32, 2.0, f32::NEG_INFINITY, 0.5, 3.0];
            softmax_in_place_with(isa, &mut scores);
            assert_eq!(scores[2], 0.0);
            assert!((scores.iter().sum::<f32>() - 1.0).abs() < 1e-6);
            assert!(scores[4] > scores[1] && scores[1] > scores[0] && scores[0] > scores[3]);
        }

        fn silu_matches_definition(isa) {
            let mut values: Vec<f32> = (-400..400).map(|i| i as f32 * 0.05).collect();
            let expected: Vec<f64> = values.iter().map(|&x| x as f64 / (1.0 + (-(x as f64)).exp())).collect();
            silu_in_place_with(isa, &mut values);
            for (&got, &want) in values.iter().zip(&expected) {
                assert!((got as f64 - want).abs() <= 1e-6 * want.abs().max(1e-3), "{got} vs {want}");
            }
        }
    }
}
