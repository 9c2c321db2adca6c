//! The NEON register tiles of the packed product: 6 rows by half a panel (6 x 4 accumulators of 4
//! lanes, 4 weight registers and the rows' inputs, of the 32 registers), run once per half: the AVX2
//! tile's shape with 128-bit registers. f32 and bf16 with fused multiply-adds by lane; int8 with
//! `sdot` (dotprod), `smmla` (i8mm: rows and columns in pairs, eight inputs deep) or widening
//! multiplies (`smull` + `sadalp`, every aarch64 CPU). Signed by signed bytes: exact sums, no offset.
//!
//! Rust has no stable intrinsics for `sdot` and `smmla` yet, so those two are inline assembly.

use std::arch::aarch64::*;
use std::arch::asm;

use super::panels::{dispatch_rows, InputLayout, Kernel, Tile};
use super::{Format, PANEL};
use crate::cpu::Isa;

/// Rows per tile.
const ROWS: usize = 6;

/// The tile of `format` at `level` (a NEON level).
pub(super) fn kernel(format: Format, level: Isa) -> Option<Kernel> {
    let (inputs, run): (_, unsafe fn(&Tile, usize)) = match format {
        Format::F32 => (InputLayout::F32, run_f32),
        Format::Bf16 => (InputLayout::F32, run_bf16),
        Format::Int8 | Format::Int8Narrow if level == Isa::NeonI8mm => {
            (InputLayout::Int8Pairs, run_int8_i8mm)
        }
        Format::Int8 | Format::Int8Narrow if level.has_neon_dotprod() => {
            (InputLayout::Int8 { offset: false }, run_int8_dot)
        }
        Format::Int8 | Format::Int8Narrow => (InputLayout::Int8 { offset: false }, run_int8_widening),
        Format::AmxBf16 | Format::AmxInt8 => return None,
    };
    Some(Kernel { rows: ROWS, inputs, run })
}

/// # Safety
/// NEON must be present and the tile valid (`Kernel::run`).
unsafe fn run_f32(tile: &Tile, rows: usize) {
    // SAFETY: the caller's contract.
    unsafe { dispatch_rows!(f32_tile, tile, rows; 6, 5, 4, 3, 2) }
}

/// # Safety
/// As `run_f32`.
unsafe fn run_bf16(tile: &Tile, rows: usize) {
    // SAFETY: the caller's contract.
    unsafe { dispatch_rows!(bf16_tile, tile, rows; 6, 5, 4, 3, 2) }
}

/// # Safety
/// As `run_f32`, and the CPU must have the dot products.
unsafe fn run_int8_dot(tile: &Tile, rows: usize) {
    // SAFETY: the caller's contract.
    unsafe { dispatch_rows!(int8_dot_tile, tile, rows; 6, 5, 4, 3, 2) }
}

/// # Safety
/// As `run_f32`.
unsafe fn run_int8_widening(tile: &Tile, rows: usize) {
    // SAFETY: the caller's contract.
    unsafe { dispatch_rows!(int8_widening_tile, tile, rows; 6, 5, 4, 3, 2) }
}

/// # Safety
/// As `run_f32`, and the CPU must have i8mm.
unsafe fn run_int8_i8mm(tile: &Tile, rows: usize) {
    // SAFETY: the caller's contract.
    unsafe { dispatch_rows!(int8_i8mm_tile, tile, rows; 6, 5, 4, 3, 2) }
}

/// The first columns of a half panel's four registers. f32 and int8: the half's sixteen columns in
/// order; bf16: its eight lanes, four at a time, hold columns `8 h + 4 i ..` (high halves) and
/// `16 + 8 h + 4 i ..` (low).
fn f32_columns(half: usize) -> [usize; 4] {
    [16 * half, 16 * half + 4, 16 * half + 8, 16 * half + 12]
}

fn bf16_columns(half: usize) -> [usize; 4] {
    [8 * half, 16 + 8 * half, 8 * half + 4, 16 + 8 * half + 4]
}

/// One cache line into L2 (the next block's weights).
#[inline(always)]
fn prefetch_line(line: *const u8) {
    // SAFETY: a prefetch never faults, whatever the address; `prfm` has no other effect.
    unsafe { asm!("prfm pldl2keep, [{}]", in(reg) line, options(nostack, readonly, preserves_flags)) };
}

/// Four values from `at`, of which the first `valid` exist (the rest read as zeros).
///
/// # Safety
/// `at` must be valid for `valid.min(4)` reads.
#[inline(always)]
unsafe fn load_columns(at: *const f32, valid: usize) -> float32x4_t {
    // SAFETY: the caller's contract; the partial case copies only the `valid` values.
    unsafe {
        if valid >= 4 {
            return vld1q_f32(at);
        }
        let mut values = [0f32; 4];
        std::ptr::copy_nonoverlapping(at, values.as_mut_ptr(), valid);
        vld1q_f32(values.as_ptr())
    }
}

/// `values` to `at`, only the first `valid` of them.
///
/// # Safety
/// `at` must be valid for `valid.min(4)` writes.
#[inline(always)]
unsafe fn store_columns(at: *mut f32, valid: usize, values: float32x4_t) {
    // SAFETY: the caller's contract; the partial case copies only the `valid` values.
    unsafe {
        if valid >= 4 {
            return vst1q_f32(at, values);
        }
        let mut staged = [0f32; 4];
        vst1q_f32(staged.as_mut_ptr(), values);
        std::ptr::copy_nonoverlapping(staged.as_ptr(), at, valid);
    }
}

/// `acc + w * a[r]`, `a` the rows' inputs of one step (rows 0-3 in `a03`, 4-5 in `a45`), as a fused
/// multiply-add by lane (no broadcast register).
#[inline(always)]
fn fma_row(acc: float32x4_t, w: float32x4_t, a03: float32x4_t, a45: float32x2_t, r: usize) -> float32x4_t {
    // SAFETY: NEON is part of every aarch64 target.
    unsafe {
        match r {
            0 => vfmaq_laneq_f32::<0>(acc, w, a03),
            1 => vfmaq_laneq_f32::<1>(acc, w, a03),
            2 => vfmaq_laneq_f32::<2>(acc, w, a03),
            3 => vfmaq_laneq_f32::<3>(acc, w, a03),
            4 => vfmaq_lane_f32::<0>(acc, w, a45),
            _ => vfmaq_lane_f32::<1>(acc, w, a45),
        }
    }
}

/// The body of the f32 and bf16 tiles, the same but for the weights of a step, `$weights(t, k,
/// half)`, and the columns `$columns(half)` of the four registers they fill.
macro_rules! float_tile {
    ($name:ident, $weights:ident, $columns:ident) => {
        /// # Safety
        /// NEON must be present and the tile valid (`Kernel::run`), with at most `ROWS` rows.
        #[target_feature(enable = "neon")]
        unsafe fn $name<const R: usize>(t: &Tile) {
            // SAFETY: the tile's pointers were formed by `panels::run_panels` within its buffers: `R`
            // rows of `columns` outputs `out_stride` apart (only the valid ones are read or written),
            // `ROWS` inputs per step, `lanes` weights per step, and the prefetched block.
            unsafe {
                let mut prefetch = t.prefetcher();
                for half in 0..2 {
                    let columns = $columns(half);
                    let valid = columns.map(|first| t.columns.saturating_sub(first));
                    if valid == [0; 4] {
                        continue;
                    }
                    let mut acc = [[vdupq_n_f32(0.0); 4]; R];
                    if t.accumulate {
                        for (r, acc) in acc.iter_mut().enumerate() {
                            let out = t.out.add(r * t.out_stride);
                            for j in 0..4 {
                                acc[j] = load_columns(out.wrapping_add(columns[j]), valid[j]);
                            }
                        }
                    }
                    for k in 0..t.depth {
                        if half == 0 {
                            prefetch.at(k, prefetch_line);
                        }
                        let w = $weights(t, k, half);
                        let a = t.a.add(k * ROWS) as *const f32;
                        let (a03, a45) = (vld1q_f32(a), vld1_f32(a.add(4)));
                        for (r, acc) in acc.iter_mut().enumerate() {
                            for j in 0..4 {
                                acc[j] = fma_row(acc[j], w[j], a03, a45, r);
                            }
                        }
                    }
                    if let (true, Some(bias)) = (t.last, t.bias) {
                        let bias = columns.map(|first| {
                            load_columns(bias.wrapping_add(first), t.columns.saturating_sub(first))
                        });
                        for acc in acc.iter_mut() {
                            for j in 0..4 {
                                acc[j] = vaddq_f32(acc[j], bias[j]);
                            }
                        }
                    }
                    for (r, acc) in acc.iter().enumerate() {
                        let out = t.out.add(r * t.out_stride);
                        for j in 0..4 {
                            store_columns(out.wrapping_add(columns[j]), valid[j], acc[j]);
                        }
                    }
                }
                prefetch.finish(prefetch_line);
            }
        }
    };
}

float_tile!(f32_tile, f32_weights, f32_columns);
float_tile!(bf16_tile, bf16_weights, bf16_columns);

/// The half panel's sixteen f32 weights of step `k`.
///
/// # Safety
/// `k` must be below the tile's depth.
#[inline(always)]
unsafe fn f32_weights(t: &Tile, k: usize, half: usize) -> [float32x4_t; 4] {
    // SAFETY: the caller's contract: step `k` is within the tile's weights (`PANEL` per step).
    unsafe {
        let w = t.weights.add(k * PANEL + 16 * half) as *const f32;
        [vld1q_f32(w), vld1q_f32(w.add(4)), vld1q_f32(w.add(8)), vld1q_f32(w.add(12))]
    }
}

/// The half panel's eight bf16 pairs of step `k`, widened to f32 (a mask and a shift per four).
///
/// # Safety
/// `k` must be below the tile's depth.
#[inline(always)]
unsafe fn bf16_weights(t: &Tile, k: usize, half: usize) -> [float32x4_t; 4] {
    // SAFETY: the caller's contract: step `k` is within the tile's weights (`PANEL / 2` per step).
    unsafe {
        let pairs = t.weights.add(k * (PANEL / 2) + 8 * half);
        let (first, second) = (vld1q_u32(pairs), vld1q_u32(pairs.add(4)));
        let high = vdupq_n_u32(0xffff0000);
        [
            vreinterpretq_f32_u32(vandq_u32(first, high)),
            vreinterpretq_f32_u32(vshlq_n_u32::<16>(first)),
            vreinterpretq_f32_u32(vandq_u32(second, high)),
            vreinterpretq_f32_u32(vshlq_n_u32::<16>(second)),
        ]
    }
}

/// The end of an int8 tile, its sums as `[row][register]` (each register four columns, in the order
/// of `f32_columns(half)`): kept in `out` as `i32` bits before the last block, else `sum * row scale
/// * column scale + bias`.
///
/// # Safety
/// The tile must be valid, with at least `R` rows.
#[inline(always)]
unsafe fn finish_int8<const R: usize>(t: &Tile, half: usize, sums: &[[int32x4_t; 4]; R]) {
    // SAFETY: the caller's contract; the row scales hold the tile's `R` rows, the column scales whole
    // panels, and only the valid columns of `out` and `bias` are read or written.
    unsafe {
        let columns = f32_columns(half);
        let valid = columns.map(|first| t.columns.saturating_sub(first));
        if !t.last {
            for (r, sums) in sums.iter().enumerate() {
                let out = t.out.add(r * t.out_stride);
                for j in 0..4 {
                    store_columns(out.wrapping_add(columns[j]), valid[j], vreinterpretq_f32_s32(sums[j]));
                }
            }
            return;
        }
        let scales = columns.map(|first| vld1q_f32(t.column_scales.add(first)));
        let bias = columns.map(|first| match t.bias {
            Some(bias) => load_columns(bias.wrapping_add(first), t.columns.saturating_sub(first)),
            None => vdupq_n_f32(0.0),
        });
        for (r, sums) in sums.iter().enumerate() {
            let row_scale = *t.row_scales.add(r);
            let out = t.out.add(r * t.out_stride);
            for j in 0..4 {
                let values = vmulq_f32(vcvtq_f32_s32(sums[j]), vmulq_n_f32(scales[j], row_scale));
                store_columns(out.wrapping_add(columns[j]), valid[j], vaddq_f32(values, bias[j]));
            }
        }
    }
}

/// The partial sums of an int8 tile's half panel from `out` (later blocks) or zeros.
///
/// # Safety
/// The tile must be valid, with at least `R` rows.
#[inline(always)]
unsafe fn start_int8<const R: usize>(t: &Tile, half: usize) -> [[int32x4_t; 4]; R] {
    // SAFETY: register-only; NEON is part of every aarch64 target.
    let mut sums = [[unsafe { vdupq_n_s32(0) }; 4]; R];
    if t.accumulate {
        let columns = f32_columns(half);
        for (r, sums) in sums.iter_mut().enumerate() {
            // SAFETY: the caller's contract; only the valid columns are read.
            let out = unsafe { t.out.add(r * t.out_stride) };
            for j in 0..4 {
                let valid = t.columns.saturating_sub(columns[j]);
                // SAFETY: as above (the partial sums are stored as their bits).
                sums[j] = unsafe { vreinterpretq_s32_f32(load_columns(out.wrapping_add(columns[j]), valid)) };
            }
        }
    }
    sums
}

/// `acc += dot(w's four bytes per lane, row r's four bytes)`: `sdot` by element.
#[inline(always)]
fn sdot_row(acc: int32x4_t, w: int8x16_t, a03: int8x16_t, a45: int8x8_t, r: usize) -> int32x4_t {
    let mut acc = acc;
    macro_rules! sdot {
        ($a:expr, $lane:literal) => {
            // SAFETY: register-only arithmetic; the callers' target features include dotprod.
            unsafe {
                asm!(
                    concat!("sdot {acc:v}.4s, {w:v}.16b, {a:v}.4b[", $lane, "]"),
                    acc = inout(vreg) acc,
                    w = in(vreg) w,
                    a = in(vreg) $a,
                    options(pure, nomem, nostack, preserves_flags)
                )
            }
        };
    }
    match r {
        0 => sdot!(a03, 0),
        1 => sdot!(a03, 1),
        2 => sdot!(a03, 2),
        3 => sdot!(a03, 3),
        4 => sdot!(a45, 0),
        _ => sdot!(a45, 1),
    }
    acc
}

/// The int8 tile with `sdot`: each step four inputs of each row by the half panel's sixteen columns.
///
/// # Safety
/// NEON and the dot products must be present and the tile valid (`Kernel::run`), with at most `ROWS`
/// rows.
#[target_feature(enable = "neon,dotprod")]
unsafe fn int8_dot_tile<const R: usize>(t: &Tile) {
    // SAFETY: as in `float_tile!`: steps within the tile's weights (`PANEL` lanes each) and inputs
    // (`ROWS` words each).
    unsafe {
        let mut prefetch = t.prefetcher();
        for half in 0..2 {
            if t.columns <= 16 * half {
                continue;
            }
            let mut sums = start_int8::<R>(t, half);
            for k in 0..t.depth {
                if half == 0 {
                    prefetch.at(k, prefetch_line);
                }
                let w = t.weights.add(k * PANEL + 16 * half) as *const i8;
                let w = [vld1q_s8(w), vld1q_s8(w.add(16)), vld1q_s8(w.add(32)), vld1q_s8(w.add(48))];
                let a = t.a.add(k * ROWS) as *const i8;
                let (a03, a45) = (vld1q_s8(a), vld1_s8(a.add(16)));
                for (r, sums) in sums.iter_mut().enumerate() {
                    for j in 0..4 {
                        sums[j] = sdot_row(sums[j], w[j], a03, a45, r);
                    }
                }
            }
            finish_int8::<R>(t, half, &sums);
        }
        prefetch.finish(prefetch_line);
    }
}

/// The int8 tile without the dot products: per row and four columns, the row's four bytes repeated,
/// two widening multiplies (16-bit products), pairs added (at most 2 * 127 * 127: no overflow), and
/// added pairwise into the 32-bit sums.
///
/// # Safety
/// NEON must be present and the tile valid (`Kernel::run`), with at most `ROWS` rows.
#[target_feature(enable = "neon")]
unsafe fn int8_widening_tile<const R: usize>(t: &Tile) {
    // SAFETY: as `int8_dot_tile`.
    unsafe {
        let mut prefetch = t.prefetcher();
        for half in 0..2 {
            if t.columns <= 16 * half {
                continue;
            }
            let mut sums = start_int8::<R>(t, half);
            for k in 0..t.depth {
                if half == 0 {
                    prefetch.at(k, prefetch_line);
                }
                let w = t.weights.add(k * PANEL + 16 * half) as *const i8;
                let w = [vld1q_s8(w), vld1q_s8(w.add(16)), vld1q_s8(w.add(32)), vld1q_s8(w.add(48))];
                let a = t.a.add(k * ROWS) as *const i32;
                for (r, sums) in sums.iter_mut().enumerate() {
                    let x = vreinterpretq_s8_s32(vld1q_dup_s32(a.add(r)));
                    for j in 0..4 {
                        let low = vmull_s8(vget_low_s8(w[j]), vget_low_s8(x));
                        let high = vmull_high_s8(w[j], x);
                        sums[j] = vpadalq_s16(sums[j], vpaddq_s16(low, high));
                    }
                }
            }
            finish_int8::<R>(t, half, &sums);
        }
        prefetch.finish(prefetch_line);
    }
}

/// `acc += a (2 rows x 8 bytes) times b (2 columns x 8 bytes) transposed`: `smmla`, the 2 x 2 sums as
/// `[r0 c0, r0 c1, r1 c0, r1 c1]`.
#[inline(always)]
fn smmla(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
    let mut acc = acc;
    // SAFETY: register-only arithmetic; the caller's target features include i8mm.
    unsafe {
        asm!(
            "smmla {acc:v}.4s, {a:v}.16b, {b:v}.16b",
            acc = inout(vreg) acc,
            a = in(vreg) a,
            b = in(vreg) b,
            options(pure, nomem, nostack, preserves_flags)
        )
    };
    acc
}

/// The int8 tile with `smmla`: rows in pairs (eight inputs each, `Int8Pairs`), columns in pairs made
/// from two steps of the panel (their 32-bit lanes zipped: a column's eight inputs side by side),
/// 3 x 8 accumulators of 2 x 2 sums, put back into rows at the end.
///
/// # Safety
/// NEON and i8mm must be present and the tile valid (`Kernel::run`, inputs `Int8Pairs`, an even
/// depth), with at most `ROWS` rows.
#[target_feature(enable = "neon,i8mm")]
unsafe fn int8_i8mm_tile<const R: usize>(t: &Tile) {
    // SAFETY: as `int8_dot_tile`; steps go in pairs (the depth is even), and the row pairs read all
    // `ROWS` rows of the inputs (padded with zeros past the tile's rows).
    unsafe {
        let mut prefetch = t.prefetcher();
        for half in 0..2 {
            if t.columns <= 16 * half {
                continue;
            }
            let mut pairs = [[vdupq_n_s32(0); 8]; 3];
            for k in (0..t.depth).step_by(2) {
                if half == 0 {
                    prefetch.at(k, prefetch_line);
                    prefetch.at(k + 1, prefetch_line);
                }
                let a = t.a.add(k * ROWS) as *const i8;
                let rows = [vld1q_s8(a), vld1q_s8(a.add(16)), vld1q_s8(a.add(32))];
                let first = t.weights.add(k * PANEL + 16 * half) as *const i32;
                let second = first.add(PANEL);
                for j in 0..4 {
                    let (x, y) = (vld1q_s32(first.add(4 * j)), vld1q_s32(second.add(4 * j)));
                    let columns =
                        [vreinterpretq_s8_s32(vzip1q_s32(x, y)), vreinterpretq_s8_s32(vzip2q_s32(x, y))];
                    for (p, row_pair) in rows.iter().enumerate().take(R.div_ceil(2)) {
                        pairs[p][2 * j] = smmla(pairs[p][2 * j], *row_pair, columns[0]);
                        pairs[p][2 * j + 1] = smmla(pairs[p][2 * j + 1], *row_pair, columns[1]);
                    }
                }
            }
            let mut sums = start_int8::<R>(t, half);
            for (r, sums) in sums.iter_mut().enumerate() {
                let p = &pairs[r / 2];
                for j in 0..4 {
                    let (x, y) = (vreinterpretq_s64_s32(p[2 * j]), vreinterpretq_s64_s32(p[2 * j + 1]));
                    let row = if r % 2 == 0 { vzip1q_s64(x, y) } else { vzip2q_s64(x, y) };
                    sums[j] = vaddq_s32(sums[j], vreinterpretq_s32_s64(row));
                }
            }
            finish_int8::<R>(t, half, &sums);
        }
        prefetch.finish(prefetch_line);
    }
}
