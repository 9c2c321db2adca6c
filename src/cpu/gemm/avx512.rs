//! The AVX-512 register tiles of the packed product: 12 rows by a whole 32-column panel (2 x 12
//! accumulators of 16 lanes, 2 weight registers and a broadcast, of the 32 registers). f32 and bf16
//! with fused multiply-adds; int8 with `vpdpbusd` (VNNI) or, 7-bit weights only, `vpmaddubsw` +
//! `vpmaddwd` (BW).

use std::arch::x86_64::*;

use super::panels::{dispatch_rows, InputLayout, Kernel, Tile};
use super::{Format, PANEL};

/// Rows per tile.
const ROWS: usize = 12;
/// Steps of the f32 tile per loop iteration (see AVX2's `F32_UNROLL`; here a beam search ran 3% faster
/// with four than step by step).
const F32_UNROLL: usize = 4;

/// The tile of `format`, with VNNI's int8 product when `vnni`.
pub(super) fn kernel(format: Format, vnni: bool) -> Option<Kernel> {
    let (inputs, run): (_, unsafe fn(&Tile, usize)) = match format {
        Format::F32 => (InputLayout::F32, run_f32),
        Format::Bf16 => (InputLayout::F32, run_bf16),
        Format::Int8 | Format::Int8Narrow if vnni => (InputLayout::Int8 { offset: true }, run_int8_vnni),
        // `vpmaddubsw` would saturate on full int8 weights.
        Format::Int8Narrow => (InputLayout::Int8 { offset: true }, run_int8_bw),
        Format::Int8 | Format::AmxBf16 | Format::AmxInt8 => return None,
    };
    Some(Kernel { rows: ROWS, inputs, run })
}

/// # Safety
/// AVX-512F must be present and the tile valid (`Kernel::run`).
unsafe fn run_f32(tile: &Tile, rows: usize) {
    // SAFETY: the caller's contract.
    unsafe { dispatch_rows!(f32_tile, tile, rows; 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2) }
}

/// # Safety
/// As `run_f32`.
unsafe fn run_bf16(tile: &Tile, rows: usize) {
    // SAFETY: the caller's contract.
    unsafe { dispatch_rows!(bf16_tile, tile, rows; 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2) }
}

/// # Safety
/// AVX-512F and VNNI must be present and the tile valid (`Kernel::run`).
unsafe fn run_int8_vnni(tile: &Tile, rows: usize) {
    // SAFETY: the caller's contract.
    unsafe { dispatch_rows!(int8_vnni_tile, tile, rows; 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2) }
}

/// # Safety
/// AVX-512F and BW must be present and the tile valid (`Kernel::run`).
unsafe fn run_int8_bw(tile: &Tile, rows: usize) {
    // SAFETY: the caller's contract.
    unsafe { dispatch_rows!(int8_bw_tile, tile, rows; 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2) }
}

/// The masks of a panel's valid columns: its first 16 and its second 16.
#[inline(always)]
fn column_masks(columns: usize) -> (__mmask16, __mmask16) {
    let low: __mmask16 = if columns >= 16 { 0xffff } else { (1u16 << columns) - 1 };
    let high: __mmask16 =
        if columns >= PANEL { 0xffff } else { ((1u32 << columns.saturating_sub(16)) - 1) as u16 };
    (low, high)
}

/// One cache line into L2 (the next block's weights).
#[inline(always)]
fn prefetch_line(line: *const u8) {
    // SAFETY: a prefetch never faults, whatever the address.
    unsafe { _mm_prefetch::<_MM_HINT_T1>(line as *const i8) };
}

/// The body of the f32 and bf16 tiles, the same but for the per-step multiply-add `$step(k, weights,
/// low, high)` (a macro so that each format's kernel is compiled with its target features and the
/// step inlined into it).
macro_rules! float_tile {
    ($name:ident, $step:ident, $unroll:expr) => {
        /// # Safety
        /// AVX-512F must be present and the tile valid (`Kernel::run`), with at most `ROWS` rows.
        #[target_feature(enable = "avx512f")]
        unsafe fn $name<const R: usize>(t: &Tile) {
            // SAFETY: the tile's pointers were formed by `panels::run_panels` within its buffers: `R`
            // rows of `columns` outputs `out_stride` apart, `ROWS` inputs per step, `lanes` weights per
            // step, and the prefetched block; the upper half of a panel narrower than 16 columns is
            // masked off entirely (its address is only formed, with `wrapping_add`, never read or
            // written).
            unsafe {
                let (low_mask, high_mask) = column_masks(t.columns);
                let mut low = [_mm512_setzero_ps(); R];
                let mut high = [_mm512_setzero_ps(); R];
                if t.accumulate {
                    for r in 0..R {
                        let out = t.out.add(r * t.out_stride);
                        low[r] = _mm512_maskz_loadu_ps(low_mask, out);
                        high[r] = _mm512_maskz_loadu_ps(high_mask, out.wrapping_add(16));
                    }
                }
                let mut prefetch = t.prefetcher();
                // `$unroll` steps at a time, the prefetches due in them issued first.
                let mut k = 0;
                while k < t.depth {
                    let steps = $unroll.min(t.depth - k);
                    for k in k..k + steps {
                        prefetch.at(k, prefetch_line);
                    }
                    if steps == $unroll {
                        for k in k..k + $unroll {
                            $step::<R>(t, k, &mut low, &mut high);
                        }
                    } else {
                        for k in k..k + steps {
                            $step::<R>(t, k, &mut low, &mut high);
                        }
                    }
                    k += steps;
                }
                prefetch.finish(prefetch_line);
                if let (true, Some(bias)) = (t.last, t.bias) {
                    let b_low = _mm512_maskz_loadu_ps(low_mask, bias);
                    let b_high = _mm512_maskz_loadu_ps(high_mask, bias.wrapping_add(16));
                    for r in 0..R {
                        low[r] = _mm512_add_ps(low[r], b_low);
                        high[r] = _mm512_add_ps(high[r], b_high);
                    }
                }
                for r in 0..R {
                    let out = t.out.add(r * t.out_stride);
                    _mm512_mask_storeu_ps(out, low_mask, low[r]);
                    _mm512_mask_storeu_ps(out.wrapping_add(16), high_mask, high[r]);
                }
            }
        }
    };
}

float_tile!(f32_tile, step_f32, F32_UNROLL);
float_tile!(bf16_tile, step_bf16, 1);

/// One input: every row's value times the panel's weights, added to the row's accumulators.
///
/// # Safety
/// AVX-512F must be present and `k` below the tile's depth.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn step_f32<const R: usize>(t: &Tile, k: usize, low: &mut [__m512; R], high: &mut [__m512; R]) {
    // SAFETY: the caller's contract: step `k` of the tile's `depth` is within its weights (`PANEL`
    // per step) and its inputs (`ROWS` per step).
    unsafe {
        let weights = t.weights.add(k * PANEL) as *const f32;
        let (w_low, w_high) = (_mm512_loadu_ps(weights), _mm512_loadu_ps(weights.add(16)));
        let a = t.a.add(k * ROWS) as *const f32;
        for r in 0..R {
            let x = _mm512_set1_ps(*a.add(r));
            low[r] = _mm512_fmadd_ps(x, w_low, low[r]);
            high[r] = _mm512_fmadd_ps(x, w_high, high[r]);
        }
    }
}

/// One input, bf16 weights: widened to f32 (one mask and one shift), then as `step_f32`.
///
/// # Safety
/// As `step_f32`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn step_bf16<const R: usize>(t: &Tile, k: usize, low: &mut [__m512; R], high: &mut [__m512; R]) {
    // SAFETY: the caller's contract: step `k` of the tile's `depth` is within its weights (`PANEL /
    // 2` per step) and its inputs (`ROWS` per step).
    unsafe {
        let pairs = _mm512_loadu_si512(t.weights.add(k * (PANEL / 2)) as *const __m512i);
        let w_low = _mm512_castsi512_ps(_mm512_and_si512(pairs, _mm512_set1_epi32(0xffff0000u32 as i32)));
        let w_high = _mm512_castsi512_ps(_mm512_slli_epi32::<16>(pairs));
        let a = t.a.add(k * ROWS) as *const f32;
        for r in 0..R {
            let x = _mm512_set1_ps(*a.add(r));
            low[r] = _mm512_fmadd_ps(x, w_low, low[r]);
            high[r] = _mm512_fmadd_ps(x, w_high, high[r]);
        }
    }
}

/// The body of the int8 tiles, the same but for the per-step product `$step`: integer sums in the
/// accumulators (partial sums kept in `out` as `i32` bits between blocks), then at the last block
/// `(sum - column offset) * row scale * column scale + bias`.
macro_rules! int8_tile {
    ($name:ident, $features:literal, $step:ident) => {
        /// # Safety
        /// The CPU must have the kernel's features and the tile be valid (`Kernel::run`), with at
        /// most `ROWS` rows.
        #[target_feature(enable = $features)]
        unsafe fn $name<const R: usize>(t: &Tile) {
            // SAFETY: as in `float_tile!`; the row scales hold the tile's `R` rows, the column scales
            // and offsets whole panels.
            unsafe {
                let (low_mask, high_mask) = column_masks(t.columns);
                let mut low = [_mm512_setzero_si512(); R];
                let mut high = [_mm512_setzero_si512(); R];
                if t.accumulate {
                    for r in 0..R {
                        let out = t.out.add(r * t.out_stride) as *const i32;
                        low[r] = _mm512_maskz_loadu_epi32(low_mask, out);
                        high[r] = _mm512_maskz_loadu_epi32(high_mask, out.wrapping_add(16));
                    }
                }
                let mut prefetch = t.prefetcher();
                for k in 0..t.depth {
                    prefetch.at(k, prefetch_line);
                    $step::<R>(t, k, &mut low, &mut high);
                }
                prefetch.finish(prefetch_line);
                if !t.last {
                    for r in 0..R {
                        let out = t.out.add(r * t.out_stride) as *mut i32;
                        _mm512_mask_storeu_epi32(out, low_mask, low[r]);
                        _mm512_mask_storeu_epi32(out.wrapping_add(16), high_mask, high[r]);
                    }
                    return;
                }
                let offsets = (
                    _mm512_loadu_si512(t.column_offsets as *const __m512i),
                    _mm512_loadu_si512(t.column_offsets.add(16) as *const __m512i),
                );
                let scales = (_mm512_loadu_ps(t.column_scales), _mm512_loadu_ps(t.column_scales.add(16)));
                let bias = match t.bias {
                    Some(bias) => (
                        _mm512_maskz_loadu_ps(low_mask, bias),
                        _mm512_maskz_loadu_ps(high_mask, bias.wrapping_add(16)),
                    ),
                    None => (_mm512_setzero_ps(), _mm512_setzero_ps()),
                };
                for r in 0..R {
                    let row_scale = _mm512_set1_ps(*t.row_scales.add(r));
                    let finish = |sums: __m512i, offsets: __m512i, scales: __m512, bias: __m512| {
                        let sums = _mm512_cvtepi32_ps(_mm512_sub_epi32(sums, offsets));
                        _mm512_add_ps(_mm512_mul_ps(sums, _mm512_mul_ps(row_scale, scales)), bias)
                    };
                    let out = t.out.add(r * t.out_stride);
                    _mm512_mask_storeu_ps(out, low_mask, finish(low[r], offsets.0, scales.0, bias.0));
                    _mm512_mask_storeu_ps(
                        out.wrapping_add(16),
                        high_mask,
                        finish(high[r], offsets.1, scales.1, bias.1),
                    );
                }
            }
        }
    };
}

int8_tile!(int8_vnni_tile, "avx512f,avx512bw,avx512vnni", step_int8_vnni);
int8_tile!(int8_bw_tile, "avx512f,avx512bw", step_int8_bw);

/// One step of four inputs, VNNI: each row's four `u8` broadcast, `vpdpbusd` against the panel's
/// four `s8` per column, exact 32-bit sums.
///
/// # Safety
/// AVX-512F and VNNI must be present and `k` below the tile's depth.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn step_int8_vnni<const R: usize>(
    t: &Tile,
    k: usize,
    low: &mut [__m512i; R],
    high: &mut [__m512i; R],
) {
    // SAFETY: the caller's contract: step `k` is within the tile's weights (`PANEL` lanes per step)
    // and inputs (`ROWS` words per step).
    unsafe {
        let weights = t.weights.add(k * PANEL) as *const __m512i;
        let (w_low, w_high) = (_mm512_loadu_si512(weights), _mm512_loadu_si512(weights.add(1)));
        let a = t.a.add(k * ROWS) as *const i32;
        for r in 0..R {
            let x = _mm512_set1_epi32(*a.add(r));
            low[r] = _mm512_dpbusd_epi32(low[r], x, w_low);
            high[r] = _mm512_dpbusd_epi32(high[r], x, w_high);
        }
    }
}

/// One step of four inputs without VNNI: `vpmaddubsw` (pairs of `u8 x s8` products summed with
/// signed saturation to 16 bits, never reached with 7-bit weights), `vpmaddwd` by ones (the two pairs
/// of each lane to 32 bits), added.
///
/// # Safety
/// AVX-512F and BW must be present and `k` below the tile's depth.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn step_int8_bw<const R: usize>(t: &Tile, k: usize, low: &mut [__m512i; R], high: &mut [__m512i; R]) {
    // SAFETY: as `step_int8_vnni`.
    unsafe {
        let weights = t.weights.add(k * PANEL) as *const __m512i;
        let (w_low, w_high) = (_mm512_loadu_si512(weights), _mm512_loadu_si512(weights.add(1)));
        let a = t.a.add(k * ROWS) as *const i32;
        let ones = _mm512_set1_epi16(1);
        for r in 0..R {
            let x = _mm512_set1_epi32(*a.add(r));
            let pairs_low = _mm512_madd_epi16(_mm512_maddubs_epi16(x, w_low), ones);
            let pairs_high = _mm512_madd_epi16(_mm512_maddubs_epi16(x, w_high), ones);
            low[r] = _mm512_add_epi32(low[r], pairs_low);
            high[r] = _mm512_add_epi32(high[r], pairs_high);
        }
    }
}

/// `panels::interleave_rows` sixteen inputs at a time: the rows' sixteen values each, one register
/// per row (unused rows zero), transposed in registers, each input's `count` values stored at once,
/// `stride` apart. Element by element it was 4% of a beam search run.
///
/// # Safety
/// AVX-512F must be present, `count <= stride <= 16`, `rows` `count * in_dim` long and `packed`
/// `stride * in_dim`.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn interleave_rows(
    rows: &[f32],
    in_dim: usize,
    count: usize,
    stride: usize,
    packed: &mut [f32],
) {
    // SAFETY: AVX-512F is present; loads and stores are masked to the `count` rows and the inputs
    // left, within `rows` and `packed` (the caller's contract).
    unsafe {
        let lanes: __mmask16 = ((1u32 << count) - 1) as __mmask16;
        for k in (0..in_dim).step_by(16) {
            let inputs = 16.min(in_dim - k);
            let input_lanes: __mmask16 = ((1u32 << inputs) - 1) as __mmask16;
            let mut r = [_mm512_setzero_ps(); 16];
            for (row, value) in r.iter_mut().enumerate().take(count) {
                *value = _mm512_maskz_loadu_ps(input_lanes, rows.as_ptr().add(row * in_dim + k));
            }
            // 32-bit, then 64-bit interleaving within 128-bit blocks: u[4g + m], block L, holds input
            // 4L + m of rows 4g .. 4g + 3.
            let mut t = [_mm512_setzero_ps(); 16];
            for i in 0..8 {
                t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
                t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
            }
            let mut u = [_mm512_setzero_ps(); 16];
            for g in 0..4 {
                let pd = |x: __m512| _mm512_castps_pd(x);
                let ps = |x: __m512d| _mm512_castpd_ps(x);
                u[4 * g] = ps(_mm512_unpacklo_pd(pd(t[4 * g]), pd(t[4 * g + 2])));
                u[4 * g + 1] = ps(_mm512_unpackhi_pd(pd(t[4 * g]), pd(t[4 * g + 2])));
                u[4 * g + 2] = ps(_mm512_unpacklo_pd(pd(t[4 * g + 1]), pd(t[4 * g + 3])));
                u[4 * g + 3] = ps(_mm512_unpackhi_pd(pd(t[4 * g + 1]), pd(t[4 * g + 3])));
            }
            // Then the 128-bit blocks: input 4L + m gathers block L of u[m], u[4 + m], u[8 + m], u[12 + m].
            let mut out = [_mm512_setzero_ps(); 16];
            for m in 0..4 {
                let v1 = _mm512_shuffle_f32x4::<0b10_00_10_00>(u[m], u[4 + m]);
                let v2 = _mm512_shuffle_f32x4::<0b11_01_11_01>(u[m], u[4 + m]);
                let v3 = _mm512_shuffle_f32x4::<0b10_00_10_00>(u[8 + m], u[12 + m]);
                let v4 = _mm512_shuffle_f32x4::<0b11_01_11_01>(u[8 + m], u[12 + m]);
                out[m] = _mm512_shuffle_f32x4::<0b10_00_10_00>(v1, v3);
                out[8 + m] = _mm512_shuffle_f32x4::<0b11_01_11_01>(v1, v3);
                out[4 + m] = _mm512_shuffle_f32x4::<0b10_00_10_00>(v2, v4);
                out[12 + m] = _mm512_shuffle_f32x4::<0b11_01_11_01>(v2, v4);
            }
            for (input, &values) in out.iter().enumerate().take(inputs) {
                _mm512_mask_storeu_ps(packed.as_mut_ptr().add((k + input) * stride), lanes, values);
            }
        }
    }
}
