//! Single-query attention in AVX2 (eight lanes): the AVX-512 kernel's plan with half the width.

use std::arch::x86_64::*;

use super::super::math::softmax_in_place_with;
use super::{OneQuery, Positions};
use crate::cpu::Isa;

/// `one`'s attention into `out` when its head size is a multiple of 8 up to 128 (`false`, nothing
/// done, otherwise).
///
/// # Safety
/// AVX2 and FMA must be present.
pub(super) unsafe fn attend_one<P: Positions>(
    one: &OneQuery<P>,
    weights: &mut [f32],
    out: &mut [f32],
) -> bool {
    // SAFETY: AVX2 and FMA are present (the caller's contract) and the head size is 8 times the
    // chunk count chosen; `attend` checks the other lengths.
    unsafe { dispatch_head_size!(attend(one, weights, out), 8; 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16) }
}

/// Scores eight positions at a time, each one vector of products summed with fused multiply-adds,
/// then the eight summed across their lanes in one tree of horizontal additions (in the order
/// [`sum_lanes`] adds one vector, which the positions left over use); softmax; the context's pieces
/// accumulated side by side, position by position, each position's values fetched while its score is
/// computed and the next pair's keys while this one's are read.
///
/// # Safety
/// AVX2 and FMA must be present and `query.len()` be `8 * C`.
#[target_feature(enable = "avx2,fma")]
unsafe fn attend<const C: usize, P: Positions>(one: &OneQuery<P>, weights: &mut [f32], out: &mut [f32]) {
    let OneQuery { query, keys, values, mask, next_keys } = *one;
    let dim = 8 * C;
    let positions = weights.len();
    assert!(one.fits(positions, dim) && out.len() == dim);
    let next_positions = next_keys.count(dim);
    // SAFETY: AVX2 and FMA are present (the caller's contract); every pointer formed below is within
    // the data, as asserted above: `query` and `out` hold `dim` values, `keys` and `values` `positions`
    // positions, `mask` `positions` values, and `next_keys` is read only at the positions it has.
    unsafe {
        let mut q = [_mm256_setzero_ps(); C];
        for (chunk, q) in q.iter_mut().enumerate() {
            *q = _mm256_loadu_ps(query.as_ptr().add(chunk * 8));
        }
        let products = |position: usize| {
            let key = keys.at(position, dim);
            let value = values.at(position, dim) as *const i8;
            for line in (0..dim * 4).step_by(64) {
                _mm_prefetch::<_MM_HINT_T0>(value.add(line));
            }
            if position < next_positions {
                let next = next_keys.at(position, dim) as *const i8;
                for line in (0..dim * 4).step_by(64) {
                    _mm_prefetch::<_MM_HINT_T1>(next.add(line));
                }
            }
            let mut sum = _mm256_setzero_ps();
            for (chunk, &q) in q.iter().enumerate() {
                sum = _mm256_fmadd_ps(q, _mm256_loadu_ps(key.add(chunk * 8)), sum);
            }
            sum
        };
        let mut position = 0;
        while position + 8 <= positions {
            let pair = |i: usize| _mm256_hadd_ps(products(position + i), products(position + i + 1));
            let (p01, p23) = (pair(0), pair(2));
            let low = _mm256_hadd_ps(p01, p23);
            let (p45, p67) = (pair(4), pair(6));
            let high = _mm256_hadd_ps(p45, p67);
            // `low` holds positions 0-3 as [first halves' sums | second halves' sums], `high` 4-7.
            let mut scores = _mm256_add_ps(
                _mm256_permute2f128_ps::<0x20>(low, high),
                _mm256_permute2f128_ps::<0x31>(low, high),
            );
            if let Some(mask) = mask {
                scores = _mm256_add_ps(scores, _mm256_loadu_ps(mask.as_ptr().add(position)));
            }
            _mm256_storeu_ps(weights.as_mut_ptr().add(position), scores);
            position += 8;
        }
        for position in position..positions {
            weights[position] = sum_lanes(products(position)) + mask.map_or(0.0, |mask| mask[position]);
        }
        softmax_in_place_with(Isa::Avx2, weights);
        let mut context = [_mm256_setzero_ps(); C];
        for (position, &weight) in weights.iter().enumerate() {
            let weight = _mm256_set1_ps(weight);
            let value = values.at(position, dim);
            for (chunk, context) in context.iter_mut().enumerate() {
                *context = _mm256_fmadd_ps(weight, _mm256_loadu_ps(value.add(chunk * 8)), *context);
            }
        }
        for (chunk, &context) in context.iter().enumerate() {
            _mm256_storeu_ps(out.as_mut_ptr().add(chunk * 8), context);
        }
    }
}

/// The sum of a vector's lanes in the tree's order: adjacent pairs, then pairs of pairs within each
/// half, then the halves.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn sum_lanes(v: __m256) -> f32 {
    let pairs = _mm256_hadd_ps(v, v);
    let quads = _mm256_hadd_ps(pairs, pairs);
    _mm_cvtss_f32(_mm_add_ss(_mm256_castps256_ps128(quads), _mm256_extractf128_ps::<1>(quads)))
}
