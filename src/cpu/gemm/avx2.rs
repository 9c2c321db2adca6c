//! The AVX2 register tiles of the packed product: 6 rows by half a panel (2 x 6 accumulators of 8
//! lanes, 2 weight registers and a broadcast, of the 16 registers), run once per half. f32 and bf16
//! with fused multiply-adds; int8 (7-bit weights, `Format::Int8Narrow`) with `vpmaddubsw` +
//! `vpmaddwd`, 4 rows: its step needs a register of ones and two for the products besides the
//! accumulators, and at 6 rows the compiler spilled accumulators to the stack (4 rows measured 1.4x
//! the 6-row tile's speed, 128 x 512 x 61127, one thread).

use std::arch::x86_64::*;

use super::panels::{dispatch_rows, InputLayout, Kernel, Tile};
use super::{Format, PANEL};

/// Rows per tile.
const ROWS: usize = 6;
/// Rows per int8 tile (see the module's note).
const INT8_ROWS: usize = 4;
/// Steps of the f32 and bf16 tiles per loop iteration: the loop's own instructions and the prefetch
/// check then come once per eight steps, and each step's weights and inputs are constant offsets from
/// pointers that move once per iteration. The integer instructions left in the loop compete with the
/// multiply-adds for their two ports: per-step address arithmetic (the weights at `k * PANEL`) held a
/// 6-row tile alone in L1 to 37.5 GMAC/s of the core's 47; moving pointers, 43.3 (bf16 34.5 -> 40).
const UNROLL: usize = 8;

/// The tile of `format`.
pub(super) fn kernel(format: Format) -> Option<Kernel> {
    let (rows, inputs, run): (_, _, unsafe fn(&Tile, usize)) = match format {
        Format::F32 => (ROWS, InputLayout::F32Rows, run_f32),
        Format::Bf16 => (ROWS, InputLayout::F32Rows, run_bf16),
        // `vpmaddubsw` would saturate on full int8 weights.
        Format::Int8Narrow => (INT8_ROWS, InputLayout::Int8 { offset: true }, run_int8),
        Format::Int8 | Format::AmxBf16 | Format::AmxInt8 => return None,
    };
    Some(Kernel { rows, inputs, run })
}

/// # Safety
/// AVX2 and FMA must be present and the tile valid (`Kernel::run`).
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
/// As `run_f32`.
unsafe fn run_int8(tile: &Tile, rows: usize) {
    // SAFETY: the caller's contract.
    unsafe { dispatch_rows!(int8_tile, tile, rows; 4, 3, 2) }
}

/// The first columns of a half panel's two registers. f32 and int8: the half's sixteen columns in
/// order; bf16: the half's eight lanes hold columns `8 h ..` (high halves) and `16 + 8 h ..` (low).
fn f32_columns(half: usize) -> [usize; 2] {
    [16 * half, 16 * half + 8]
}

fn bf16_columns(half: usize) -> [usize; 2] {
    [8 * half, 16 + 8 * half]
}

/// Where a half panel's weights start within a step's, in 32-bit words.
fn f32_half_offset(half: usize) -> usize {
    16 * half
}

fn bf16_half_offset(half: usize) -> usize {
    8 * half
}

/// One cache line into L2 (the next block's weights).
#[inline(always)]
fn prefetch_line(line: *const u8) {
    // SAFETY: a prefetch never faults, whatever the address.
    unsafe { _mm_prefetch::<_MM_HINT_T1>(line as *const i8) };
}

/// Eight values from `at`, of which the first `valid` exist (the rest read as zeros).
///
/// # Safety
/// AVX must be present and `at` valid for `valid.min(8)` reads.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn load_columns(at: *const f32, valid: usize) -> __m256 {
    // SAFETY: the caller's contract; the partial case copies only the `valid` values.
    unsafe {
        if valid >= 8 {
            return _mm256_loadu_ps(at);
        }
        let mut values = [0f32; 8];
        std::ptr::copy_nonoverlapping(at, values.as_mut_ptr(), valid);
        _mm256_loadu_ps(values.as_ptr())
    }
}

/// `values` to `at`, only the first `valid` of them.
///
/// # Safety
/// AVX must be present and `at` valid for `valid.min(8)` writes.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn store_columns(at: *mut f32, valid: usize, values: __m256) {
    // SAFETY: the caller's contract; the partial case copies only the `valid` values.
    unsafe {
        if valid >= 8 {
            return _mm256_storeu_ps(at, values);
        }
        let mut staged = [0f32; 8];
        _mm256_storeu_ps(staged.as_mut_ptr(), values);
        std::ptr::copy_nonoverlapping(staged.as_ptr(), at, valid);
    }
}

/// The body of the f32 and bf16 tiles, the same but for the per-step multiply-add `$step`, the
/// columns `$columns(half)` of its two registers, where a half's weights start in a step's
/// (`$half_offset(half)`) and the 32-bit words of weights per step `$lanes`.
macro_rules! float_tile {
    ($name:ident, $step:ident, $columns:ident, $half_offset:ident, $lanes:expr) => {
        /// # Safety
        /// AVX2 and FMA must be present and the tile valid (`Kernel::run`), with at most `ROWS` rows.
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $name<const R: usize>(t: &Tile) {
            // SAFETY: the tile's pointers were formed by `panels::run_panels` within its buffers: `R`
            // rows of `columns` outputs `out_stride` apart (only the valid ones are read or written),
            // `R` rows of `depth` inputs `a_stride` apart, `lanes` weights per step, and the
            // prefetched block.
            unsafe {
                let mut prefetch = t.prefetcher();
                let rows = t.row_inputs::<R>();
                for half in 0..2 {
                    let columns = $columns(half);
                    let valid = columns.map(|first| t.columns.saturating_sub(first));
                    if valid == [0, 0] {
                        continue;
                    }
                    let mut acc = [[_mm256_setzero_ps(); 2]; R];
                    if t.accumulate {
                        for (r, acc) in acc.iter_mut().enumerate() {
                            let out = t.out.add(r * t.out_stride);
                            for j in 0..2 {
                                acc[j] = load_columns(out.wrapping_add(columns[j]), valid[j]);
                            }
                        }
                    }
                    // `UNROLL` steps at a time (see there), the prefetches due in them issued first.
                    let mut weights = t.weights.add($half_offset(half)) as *const u32;
                    let mut k = 0;
                    while k + UNROLL <= t.depth {
                        if half == 0 {
                            prefetch.before(k + UNROLL, prefetch_line);
                        }
                        for step in 0..UNROLL {
                            $step::<R>(weights.add(step * $lanes), &rows, k + step, &mut acc);
                        }
                        weights = weights.add(UNROLL * $lanes);
                        k += UNROLL;
                    }
                    for k in k..t.depth {
                        if half == 0 {
                            prefetch.before(k + 1, prefetch_line);
                        }
                        $step::<R>(weights, &rows, k, &mut acc);
                        weights = weights.add($lanes);
                    }
                    if let (true, Some(bias)) = (t.last, t.bias) {
                        let bias = columns.map(|first| {
                            load_columns(bias.wrapping_add(first), t.columns.saturating_sub(first))
                        });
                        for acc in acc.iter_mut() {
                            for j in 0..2 {
                                acc[j] = _mm256_add_ps(acc[j], bias[j]);
                            }
                        }
                    }
                    for (r, acc) in acc.iter().enumerate() {
                        let out = t.out.add(r * t.out_stride);
                        for j in 0..2 {
                            store_columns(out.wrapping_add(columns[j]), valid[j], acc[j]);
                        }
                    }
                }
                prefetch.finish(prefetch_line);
            }
        }
    };
}

float_tile!(f32_tile, step_f32, f32_columns, f32_half_offset, PANEL);
float_tile!(bf16_tile, step_bf16, bf16_columns, bf16_half_offset, PANEL / 2);

/// One input: every row's value times the half panel's weights, added to the row's accumulators.
///
/// # Safety
/// AVX2 and FMA must be present and `k` below the tile's depth.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn step_f32<const R: usize>(
    weights: *const u32,
    rows: &[*const f32; R],
    k: usize,
    acc: &mut [[__m256; 2]; R],
) {
    // SAFETY: the caller's contract: the step's sixteen weights from `weights`, and step `k` of the
    // tile's `depth` within each of its rows' inputs.
    unsafe {
        let weights = weights as *const f32;
        let w = [_mm256_loadu_ps(weights), _mm256_loadu_ps(weights.add(8))];
        for (acc, row) in acc.iter_mut().zip(rows) {
            let x = _mm256_broadcast_ss(&*row.add(k));
            acc[0] = _mm256_fmadd_ps(x, w[0], acc[0]);
            acc[1] = _mm256_fmadd_ps(x, w[1], acc[1]);
        }
    }
}

/// One input, bf16 weights: the half's eight lanes widened to f32 (one mask and one shift), then as
/// `step_f32`.
///
/// # Safety
/// As `step_f32`.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn step_bf16<const R: usize>(
    weights: *const u32,
    rows: &[*const f32; R],
    k: usize,
    acc: &mut [[__m256; 2]; R],
) {
    // SAFETY: the caller's contract: the step's eight pairs of weights from `weights`, and step `k`
    // of the tile's `depth` within each of its rows' inputs.
    unsafe {
        let pairs = _mm256_loadu_si256(weights as *const __m256i);
        let w = [
            _mm256_castsi256_ps(_mm256_and_si256(pairs, _mm256_set1_epi32(0xffff0000u32 as i32))),
            _mm256_castsi256_ps(_mm256_slli_epi32::<16>(pairs)),
        ];
        for (acc, row) in acc.iter_mut().zip(rows) {
            let x = _mm256_broadcast_ss(&*row.add(k));
            acc[0] = _mm256_fmadd_ps(x, w[0], acc[0]);
            acc[1] = _mm256_fmadd_ps(x, w[1], acc[1]);
        }
    }
}

/// The int8 tile: integer sums (partial sums kept in `out` as `i32` bits between blocks), then at the
/// last block `(sum - column offset) * row scale * column scale + bias`.
///
/// # Safety
/// AVX2 and FMA must be present and the tile valid (`Kernel::run`), with at most `INT8_ROWS` rows.
#[target_feature(enable = "avx2,fma")]
unsafe fn int8_tile<const R: usize>(t: &Tile) {
    // SAFETY: as in `float_tile!`; the row scales hold the tile's `R` rows, the column scales and
    // offsets whole panels.
    unsafe {
        let mut prefetch = t.prefetcher();
        for half in 0..2 {
            let columns = f32_columns(half);
            let valid = columns.map(|first| t.columns.saturating_sub(first));
            if valid == [0, 0] {
                continue;
            }
            let mut acc = [[_mm256_setzero_si256(); 2]; R];
            if t.accumulate {
                for (r, acc) in acc.iter_mut().enumerate() {
                    let out = t.out.add(r * t.out_stride);
                    for j in 0..2 {
                        acc[j] = _mm256_castps_si256(load_columns(out.wrapping_add(columns[j]), valid[j]));
                    }
                }
            }
            for k in 0..t.depth {
                if half == 0 {
                    prefetch.at(k, prefetch_line);
                }
                step_int8::<R>(t, k, half, &mut acc);
            }
            if !t.last {
                for (r, acc) in acc.iter().enumerate() {
                    let out = t.out.add(r * t.out_stride);
                    for j in 0..2 {
                        store_columns(out.wrapping_add(columns[j]), valid[j], _mm256_castsi256_ps(acc[j]));
                    }
                }
                continue;
            }
            let offsets =
                columns.map(|first| _mm256_loadu_si256(t.column_offsets.add(first) as *const __m256i));
            let scales = columns.map(|first| _mm256_loadu_ps(t.column_scales.add(first)));
            let bias = columns.map(|first| match t.bias {
                Some(bias) => load_columns(bias.wrapping_add(first), t.columns.saturating_sub(first)),
                None => _mm256_setzero_ps(),
            });
            for (r, acc) in acc.iter().enumerate() {
                let row_scale = _mm256_set1_ps(*t.row_scales.add(r));
                let out = t.out.add(r * t.out_stride);
                for j in 0..2 {
                    let sums = _mm256_cvtepi32_ps(_mm256_sub_epi32(acc[j], offsets[j]));
                    let values =
                        _mm256_add_ps(_mm256_mul_ps(sums, _mm256_mul_ps(row_scale, scales[j])), bias[j]);
                    store_columns(out.wrapping_add(columns[j]), valid[j], values);
                }
            }
        }
        prefetch.finish(prefetch_line);
    }
}

/// One step of four inputs: each row's four `u8` broadcast, `vpmaddubsw` (pairs of `u8 x s8` products
/// summed with signed saturation to 16 bits, never reached with 7-bit weights), `vpmaddwd` by ones
/// (the two pairs of each lane to 32 bits), added.
///
/// # Safety
/// AVX2 must be present and `k` below the tile's depth.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn step_int8<const R: usize>(t: &Tile, k: usize, half: usize, acc: &mut [[__m256i; 2]; R]) {
    // SAFETY: the caller's contract: step `k` is within the tile's weights (`PANEL` lanes per step)
    // and inputs (`INT8_ROWS` words per step).
    unsafe {
        let weights = t.weights.add(k * PANEL + 16 * half) as *const __m256i;
        let w = [_mm256_loadu_si256(weights), _mm256_loadu_si256(weights.add(1))];
        let a = t.a.add(k * INT8_ROWS) as *const i32;
        let ones = _mm256_set1_epi16(1);
        for (r, acc) in acc.iter_mut().enumerate() {
            let x = _mm256_set1_epi32(*a.add(r));
            for j in 0..2 {
                let pairs = _mm256_madd_epi16(_mm256_maddubs_epi16(x, w[j]), ones);
                acc[j] = _mm256_add_epi32(acc[j], pairs);
            }
        }
    }
}
