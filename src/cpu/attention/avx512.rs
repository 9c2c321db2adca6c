//! Single-query attention in AVX-512 (sixteen lanes).

use std::arch::x86_64::*;

use super::super::math::softmax_in_place_with;
use super::{OneQuery, Positions};
use crate::cpu::Isa;

/// `one`'s attention into `out` when its head size is a multiple of 16 up to 128 (`false`, nothing
/// done, otherwise).
///
/// # Safety
/// AVX-512F must be present.
pub(super) unsafe fn attend_one<P: Positions>(
    one: &OneQuery<P>,
    weights: &mut [f32],
    out: &mut [f32],
) -> bool {
    // SAFETY: AVX-512F is present (the caller's contract) and the head size is 16 times the chunk
    // count chosen; `attend` checks the other lengths.
    unsafe { dispatch_head_size!(attend(one, weights, out), 16; 1, 2, 3, 4, 5, 6, 7, 8) }
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
#[target_feature(enable = "avx512f")]
unsafe fn attend<const C: usize, P: Positions>(one: &OneQuery<P>, weights: &mut [f32], out: &mut [f32]) {
    let OneQuery { query, keys, values, mask, next_keys } = *one;
    let dim = 16 * C;
    let positions = weights.len();
    assert!(one.fits(positions, dim) && out.len() == dim);
    let next_positions = next_keys.count(dim);
    // SAFETY: AVX-512F is present (the caller's contract); every pointer formed below is within
    // the data, as asserted above: `query` and `out` hold `dim` values, `keys` and `values` `positions`
    // positions, `mask` `positions` values, and `next_keys` is read only at the positions it has.
    unsafe {
        let mut q = [_mm512_setzero_ps(); C];
        for (chunk, q) in q.iter_mut().enumerate() {
            *q = _mm512_loadu_ps(query.as_ptr().add(chunk * 16));
        }
        let products = |position: usize| {
            let key = keys.at(position, dim);
            // The position's values, needed after the softmax, fetched meanwhile.
            let value = values.at(position, dim) as *const i8;
            for chunk in 0..C {
                _mm_prefetch::<_MM_HINT_T0>(value.add(chunk * 64));
            }
            if position < next_positions {
                let next = next_keys.at(position, dim) as *const i8;
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
        softmax_in_place_with(Isa::Avx512, weights);
        let mut context = [_mm512_setzero_ps(); C];
        for (position, &weight) in weights.iter().enumerate() {
            let weight = _mm512_set1_ps(weight);
            let value = values.at(position, dim);
            for (chunk, context) in context.iter_mut().enumerate() {
                *context = _mm512_fmadd_ps(weight, _mm512_loadu_ps(value.add(chunk * 16)), *context);
            }
        }
        for (chunk, &context) in context.iter().enumerate() {
            _mm512_storeu_ps(out.as_mut_ptr().add(chunk * 16), context);
        }
    }
}

/// The lane sums of sixteen vectors, as one vector (lane `i`: the sum of `sums[i]`), each added in
/// `_mm512_reduce_add_ps`'s order: the 256-bit halves, the 128-bit halves, then lanes `j` and `j + 2`,
/// then the two remaining.
#[target_feature(enable = "avx512f")]
fn sum_across_lanes_16(sums: &[__m512; 16]) -> __m512 {
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
