//! Single-query attention in NEON (four lanes): the AVX-512 kernel's plan with a quarter of the width.

use std::arch::aarch64::*;

use super::super::math::softmax_in_place_with;
use super::{OneQuery, Positions};
use crate::cpu::Isa;

/// `one`'s attention into `out` when its head size is a multiple of 4 up to 128 (`false`, nothing
/// done, otherwise).
///
/// # Safety
/// NEON must be present.
pub(super) unsafe fn attend_one<P: Positions>(
    one: &OneQuery<P>,
    weights: &mut [f32],
    out: &mut [f32],
) -> bool {
    // SAFETY: NEON is present (the caller's contract) and the head size is 4 times the chunk count
    // chosen; `attend` checks the other lengths.
    unsafe { dispatch_head_size!(attend(one, weights, out), 4; 1, 2, 4, 6, 8, 12, 16, 20, 24, 32) }
}

/// Scores four positions at a time, each one vector of products summed with fused multiply-adds,
/// then the four summed across their lanes in two pairwise additions (the order `vaddvq_f32` adds
/// one vector in, which the positions left over use); softmax; the context's pieces accumulated side
/// by side, position by position, each position's values fetched while its score is computed.
///
/// # Safety
/// NEON must be present and `query.len()` be `4 * C`.
#[target_feature(enable = "neon")]
unsafe fn attend<const C: usize, P: Positions>(one: &OneQuery<P>, weights: &mut [f32], out: &mut [f32]) {
    let OneQuery { query, keys, values, mask, next_keys } = *one;
    let dim = 4 * C;
    let positions = weights.len();
    assert!(one.fits(positions, dim) && out.len() == dim);
    let next_positions = next_keys.count(dim);
    let prefetch = |line: *const f32| {
        // SAFETY: a prefetch never faults, whatever the address; `prfm` has no other effect.
        unsafe {
            std::arch::asm!("prfm pldl1keep, [{}]", in(reg) line, options(nostack, readonly, preserves_flags))
        };
    };
    // SAFETY: NEON is present (the caller's contract); every pointer formed below is within
    // the data, as asserted above: `query` and `out` hold `dim` values, `keys` and `values` `positions`
    // positions, `mask` `positions` values, and `next_keys` is read only at the positions it has.
    unsafe {
        let products = |position: usize| {
            let key = keys.at(position, dim);
            let value = values.at(position, dim);
            for line in (0..dim).step_by(16) {
                prefetch(value.add(line));
            }
            if position < next_positions {
                let next = next_keys.at(position, dim);
                for line in (0..dim).step_by(16) {
                    prefetch(next.add(line));
                }
            }
            let mut sum = vdupq_n_f32(0.0);
            for chunk in 0..C {
                sum = vfmaq_f32(sum, vld1q_f32(query.as_ptr().add(chunk * 4)), vld1q_f32(key.add(chunk * 4)));
            }
            sum
        };
        let mut position = 0;
        while position + 4 <= positions {
            let low = vpaddq_f32(products(position), products(position + 1));
            let high = vpaddq_f32(products(position + 2), products(position + 3));
            let mut scores = vpaddq_f32(low, high);
            if let Some(mask) = mask {
                scores = vaddq_f32(scores, vld1q_f32(mask.as_ptr().add(position)));
            }
            vst1q_f32(weights.as_mut_ptr().add(position), scores);
            position += 4;
        }
        for position in position..positions {
            weights[position] = vaddvq_f32(products(position)) + mask.map_or(0.0, |mask| mask[position]);
        }
        softmax_in_place_with(Isa::Neon, weights);
        let mut context = [vdupq_n_f32(0.0); C];
        for (position, &weight) in weights.iter().enumerate() {
            let value = values.at(position, dim);
            for (chunk, context) in context.iter_mut().enumerate() {
                *context = vfmaq_n_f32(*context, vld1q_f32(value.add(chunk * 4)), weight);
            }
        }
        for (chunk, &context) in context.iter().enumerate() {
            vst1q_f32(out.as_mut_ptr().add(chunk * 4), context);
        }
    }
}
