//! The AVX-512 panel kernels of the packed product: `R` rows by one 32-column panel per call, the
//! partial sums in registers (2 x 12 accumulators), the next block of weights prefetched meanwhile.

use super::{Format, PackedWeight, SharedOut, DEPTH, L2_BYTES, PANEL, ROWS, ROW_GROUP};

/// Calls `tile.$kernel::<R>()` with `R` = `$rows` (1 to `ROWS`).
macro_rules! dispatch_rows {
    ($tile:expr, $kernel:ident, $rows:expr) => {
        match $rows {
            12 => $tile.$kernel::<12>(),
            11 => $tile.$kernel::<11>(),
            10 => $tile.$kernel::<10>(),
            9 => $tile.$kernel::<9>(),
            8 => $tile.$kernel::<8>(),
            7 => $tile.$kernel::<7>(),
            6 => $tile.$kernel::<6>(),
            5 => $tile.$kernel::<5>(),
            4 => $tile.$kernel::<4>(),
            3 => $tile.$kernel::<3>(),
            2 => $tile.$kernel::<2>(),
            _ => $tile.$kernel::<1>(),
        }
    };
}

/// Runs `panels` of `weight` (f32 or bf16 panels) over all `rows` of `a` (interleaved by
/// `interleave_rows`), writing those panels' columns of `out` (`[rows, out_dim]`) and adding `bias`.
///
/// # Safety
/// AVX-512F must be present; `a` must hold `rows * in_dim` values and `bias` (if any) `out_dim`;
/// `out` must have room for `rows * out_dim` values, of which this call writes only its panels'
/// columns (no other task may touch those).
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn run_panels(
    weight: &PackedWeight,
    a: &[f32],
    rows: usize,
    bias: Option<&[f32]>,
    out: SharedOut<f32>,
    panels: std::ops::Range<usize>,
) {
    // SAFETY: AVX-512F is present (the caller's contract); each tile's pointers stay within `a`,
    // the weight's panels, `bias` and this task's columns of `out`, by the sizes above.
    unsafe {
        let inputs = weight.in_dim;
        let lanes = weight.format.lanes_per_input();
        // Large products (the encoder's thousand rows) go a group of rows at a time, so the group's
        // inputs stay in L2 while the task's panels pass over them, when those panels fit in L2 too.
        // The vocabulary projection's panels do not: it streams them once, over all rows.
        let task_weight_bytes = panels.len() * inputs * lanes * 4;
        let group_rows = if task_weight_bytes <= L2_BYTES { ROW_GROUP } else { rows };
        for group_start in (0..rows).step_by(group_rows) {
            let group_end = (group_start + group_rows).min(rows);
            for panel in panels.clone() {
                let column = panel * PANEL;
                let columns = PANEL.min(weight.out_dim - column);
                // Block by block of inputs, the panel's outputs staying in cache between blocks.
                for depth_start in (0..inputs).step_by(DEPTH) {
                    let depth = DEPTH.min(inputs - depth_start);
                    let last = depth_start + depth == inputs;
                    // The row blocks also prefetch the weights of the block that follows (next inputs,
                    // or next panel), so they arrive from memory while this one computes.
                    let next_weights = if !last {
                        Some((panel * inputs + depth_start + depth, DEPTH.min(inputs - depth_start - depth)))
                    } else if panel + 1 < panels.end {
                        Some(((panel + 1) * inputs, DEPTH.min(inputs)))
                    } else {
                        None
                    };
                    // Each row block fetches its share of them, spread over its inputs: all of them
                    // in the first row block overran the memory system's queue and stalled it.
                    let row_blocks = (group_end - group_start).div_ceil(ROWS);
                    let mut row = group_start;
                    while row < group_end {
                        let block = ROWS.min(rows - row);
                        let block_index = (row - group_start) / ROWS;
                        let tile = Tile {
                            a: a.as_ptr().add(row * inputs + depth_start * block),
                            weights: weight.panels.as_ptr().add((panel * inputs + depth_start) * lanes),
                            lanes,
                            depth,
                            out: out.ptr().add(row * weight.out_dim + column),
                            out_stride: weight.out_dim,
                            columns,
                            accumulate: depth_start > 0,
                            bias: if last { bias.map(|bias| bias.as_ptr().add(column)) } else { None },
                            prefetch: next_weights.and_then(|(step, next_depth)| {
                                let share = next_depth.div_ceil(row_blocks);
                                let first = (block_index * share).min(next_depth);
                                let count = share.min(next_depth - first);
                                (count > 0).then(|| {
                                    (
                                        weight.panels.as_ptr().add((step + first) * lanes),
                                        count,
                                        (depth / count).max(1),
                                    )
                                })
                            }),
                        };
                        match weight.format {
                            Format::F32 => dispatch_rows!(tile, run_f32, block),
                            // (AMX products never get here: `matmul` hands them to `amx`.)
                            Format::Bf16 | Format::AmxBf16 | Format::AmxInt8 => {
                                dispatch_rows!(tile, run_bf16, block)
                            }
                        }
                        row += block;
                    }
                }
            }
        }
    }
}

/// `interleave_rows` sixteen inputs at a time: the rows' sixteen values each, one register per row
/// (unused rows zero), transposed in registers, each input's `count` values stored at once. Element
/// by element it was 4% of a beam search run.
///
/// # Safety
/// AVX-512F must be present, `count <= 16`, and `rows` and `packed` both `count * in_dim` long.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn interleave_rows(rows: &[f32], in_dim: usize, count: usize, packed: &mut [f32]) {
    // SAFETY: AVX-512F is present; loads and stores are masked to the `count` rows and the inputs
    // left, within `rows` and `packed` (the caller's contract).
    unsafe {
        use std::arch::x86_64::*;
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
                _mm512_mask_storeu_ps(packed.as_mut_ptr().add((k + input) * count), lanes, values);
            }
        }
    }
}

/// One call of the inner kernel: `R` rows by one panel, over `depth` inputs.
struct Tile {
    /// The `R` rows' inputs from the first one on, interleaved (`a[k * R + r]`).
    a: *const f32,
    /// The panel's weights from the first input on, `lanes` 32-bit lanes per input.
    weights: *const u32,
    lanes: usize,
    depth: usize,
    /// First output of the first row; rows `out_stride` apart; `columns` (<= `PANEL`) of them valid.
    out: *mut f32,
    out_stride: usize,
    columns: usize,
    /// Add to the partial sums already in `out` (later blocks) instead of starting from zero.
    accumulate: bool,
    /// Added after the last block.
    bias: Option<*const f32>,
    /// Weights to fetch into cache meanwhile (`lanes` per input), how many inputs' worth, and how many
    /// of this tile's inputs apart.
    prefetch: Option<(*const u32, usize, usize)>,
}

/// The body of a tile kernel, the same for every format but for the per-step multiply-add `$step`
/// (a macro so that each format's kernel is compiled with its own target features and the step
/// inlined into it).
macro_rules! tile_kernel {
    ($name:ident, $features:literal, $step:ident) => {
        /// # Safety
        /// The CPU must have the kernel's features, and the tile's pointers must be valid for its
        /// sizes (as `run_panels` makes them).
        #[target_feature(enable = $features)]
        unsafe fn $name<const R: usize>(&self) {
            use std::arch::x86_64::*;
            // SAFETY: AVX-512F is present (the caller's contract); the tile's pointers were formed by
            // `run_panels` within its buffers: `R` rows of `columns` outputs `out_stride` apart, `R`
            // interleaved inputs per input step, `lanes` weights per input step, and the prefetched
            // block; the upper half of a panel narrower than 16 columns is masked off entirely (its
            // address is only formed, with `wrapping_add`, never read or written).
            unsafe {
                let columns = self.columns;
                let low_mask: __mmask16 = if columns >= 16 { 0xffff } else { (1u16 << columns) - 1 };
                let high_mask: __mmask16 =
                    if columns >= PANEL { 0xffff } else { ((1u32 << columns.saturating_sub(16)) - 1) as u16 };
                let mut low = [_mm512_setzero_ps(); R];
                let mut high = [_mm512_setzero_ps(); R];
                if self.accumulate {
                    for r in 0..R {
                        let out = self.out.add(r * self.out_stride);
                        low[r] = _mm512_maskz_loadu_ps(low_mask, out);
                        high[r] = _mm512_maskz_loadu_ps(high_mask, out.wrapping_add(16));
                    }
                }
                if let Some((next, count, spacing)) = self.prefetch {
                    // One input's weights of the next block (one or two cache lines) every `spacing`
                    // inputs of this one; any left over after the loop.
                    let fetch = |k: usize| {
                        let line = next.add(k * self.lanes) as *const i8;
                        _mm_prefetch::<_MM_HINT_T1>(line);
                        if self.lanes * 4 > 64 {
                            _mm_prefetch::<_MM_HINT_T1>(line.add(64));
                        }
                    };
                    let (mut fetched, mut next_fetch) = (0, 0);
                    for k in 0..self.depth {
                        if k == next_fetch && fetched < count {
                            fetch(fetched);
                            fetched += 1;
                            next_fetch += spacing;
                        }
                        self.$step::<R>(k, &mut low, &mut high);
                    }
                    for k in fetched..count {
                        fetch(k);
                    }
                } else {
                    for k in 0..self.depth {
                        self.$step::<R>(k, &mut low, &mut high);
                    }
                }
                if let Some(bias) = self.bias {
                    let b_low = _mm512_maskz_loadu_ps(low_mask, bias);
                    let b_high = _mm512_maskz_loadu_ps(high_mask, bias.wrapping_add(16));
                    for r in 0..R {
                        low[r] = _mm512_add_ps(low[r], b_low);
                        high[r] = _mm512_add_ps(high[r], b_high);
                    }
                }
                for r in 0..R {
                    let out = self.out.add(r * self.out_stride);
                    _mm512_mask_storeu_ps(out, low_mask, low[r]);
                    _mm512_mask_storeu_ps(out.wrapping_add(16), high_mask, high[r]);
                }
            }
        }
    };
}

impl Tile {
    tile_kernel!(run_f32, "avx512f", step_f32);
    tile_kernel!(run_bf16, "avx512f", step_bf16);

    /// One input: every row's value times the panel's weights, added to the row's accumulators.
    ///
    /// # Safety
    /// AVX-512F must be present and `k` below the tile's depth.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn step_f32<const R: usize>(
        &self,
        k: usize,
        low: &mut [std::arch::x86_64::__m512; R],
        high: &mut [std::arch::x86_64::__m512; R],
    ) {
        use std::arch::x86_64::*;
        // SAFETY: the caller's contract: input `k` of the tile's `depth` is within its weights
        // (`lanes` per input) and its interleaved inputs (`R` per input).
        unsafe {
            let weights = self.weights.add(k * PANEL) as *const f32;
            let (w_low, w_high) = (_mm512_loadu_ps(weights), _mm512_loadu_ps(weights.add(16)));
            let a = self.a.add(k * R);
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
    unsafe fn step_bf16<const R: usize>(
        &self,
        k: usize,
        low: &mut [std::arch::x86_64::__m512; R],
        high: &mut [std::arch::x86_64::__m512; R],
    ) {
        use std::arch::x86_64::*;
        // SAFETY: the caller's contract: input `k` of the tile's `depth` is within its weights
        // (`lanes` per input) and its interleaved inputs (`R` per input).
        unsafe {
            let pairs = _mm512_loadu_si512(self.weights.add(k * (PANEL / 2)) as *const __m512i);
            let w_low = _mm512_castsi512_ps(_mm512_and_si512(pairs, _mm512_set1_epi32(0xffff0000u32 as i32)));
            let w_high = _mm512_castsi512_ps(_mm512_slli_epi32::<16>(pairs));
            let a = self.a.add(k * R);
            for r in 0..R {
                let x = _mm512_set1_ps(*a.add(r));
                low[r] = _mm512_fmadd_ps(x, w_low, low[r]);
                high[r] = _mm512_fmadd_ps(x, w_high, high[r]);
            }
        }
    }
}
