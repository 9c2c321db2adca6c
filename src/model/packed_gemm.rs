//! Matrix products against weights packed once, at load time, for x86-64 CPUs with AVX-512.
//!
//! A decoding step multiplies a few rows (one per sentence or beam) by every weight matrix of the model.
//! General matrix libraries (candle's `gemm`) repack the weight on every call, and that repacking costs
//! as much as the arithmetic at 32 rows. Here each weight is stored once in the layout the inner loop
//! reads (panels of [`PANEL`] output columns, input dimension outermost), so a product is one pass over
//! the packed weight with the rows' inputs broadcast from cache, and the next block of weights is
//! prefetched while the current one computes.
//!
//! Two formats:
//! - [`Format::F32`]: every output is `sum_k a[k] * w[k]` accumulated in input order with fused
//!   multiply-adds, then `+ bias` — the same kind of rounding as the matrix libraries `transformers`
//!   uses, which the parity tests hold to.
//! - [`Format::Bf16`]: weights rounded to bfloat16 (half the memory and memory traffic), widened to f32
//!   in registers; inputs, products and sums stay f32. Outputs differ from f32 by the weights' rounding.
//!   (AVX512-BF16's `vdpbf16ps` would also round the inputs, and on the CPUs we measured it issues at a
//!   quarter of the rate of f32 fused multiply-adds: no faster than f32 arithmetic.)

use rayon::prelude::*;

/// Output columns per panel: two AVX-512 registers of f32.
const PANEL: usize = 32;
/// Rows per inner-kernel call: 2 x 12 accumulators + 2 weight registers + 1 broadcast fit the 32
/// vector registers.
const ROWS: usize = 12;
/// Inputs per block: a panel's block (`DEPTH x PANEL` weights, 32 KiB in f32) stays in L1 while every
/// row block runs over it.
const DEPTH: usize = 256;
/// Rows per group in large products: a multiple of `ROWS`, so groups start on row blocks.
const ROW_GROUP: usize = 8 * ROWS;
/// Weight a task may cycle through per row group and still find in L2 (a conservative share of the
/// 1-2 MiB of current x86 cores).
const L2_BYTES: usize = 768 * 1024;

/// How a packed weight stores its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    F32,
    /// bfloat16, two columns' weights (`c` and `c + 16` of a panel) per 32-bit lane.
    Bf16,
    /// bfloat16 in AMX weight tiles (`super::amx`): inputs rounded to bf16 too.
    AmxBf16,
    /// int8 in AMX weight tiles, a scale per output column; inputs quantized per row at every product.
    AmxInt8,
}

impl Format {
    /// Whether this CPU runs the packed kernels of this format (both need AVX-512F); the callers keep
    /// candle's path otherwise.
    pub(crate) fn supported(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        match self {
            Format::F32 | Format::Bf16 => std::arch::is_x86_feature_detected!("avx512f"),
            Format::AmxBf16 => super::amx::available(super::amx::TileFormat::Bf16),
            Format::AmxInt8 => super::amx::available(super::amx::TileFormat::Int8),
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// 32-bit lanes per input in a panel.
    fn lanes_per_input(self) -> usize {
        match self {
            Format::F32 => PANEL,
            Format::Bf16 => PANEL / 2,
            Format::AmxBf16 | Format::AmxInt8 => unreachable!("AMX formats are packed by `amx::pack`"),
        }
    }

    /// The AMX tile format, for the AMX formats.
    fn tiles(self) -> Option<super::amx::TileFormat> {
        match self {
            Format::AmxBf16 => Some(super::amx::TileFormat::Bf16),
            Format::AmxInt8 => Some(super::amx::TileFormat::Int8),
            Format::F32 | Format::Bf16 => None,
        }
    }
}

/// `value` rounded to the nearest bfloat16 (ties to even), as the low 16 bits.
pub(crate) fn bf16_bits(value: f32) -> u32 {
    let bits = value.to_bits();
    if value.is_nan() {
        return (bits >> 16) | 0x40;
    }
    (bits + 0x7fff + ((bits >> 16) & 1)) >> 16
}

/// Calls `tile.$kernel::<R>()` with `R` = `$rows` (1 to `ROWS`).
#[cfg(target_arch = "x86_64")]
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

/// A weight matrix `[in_dim, out_dim]`, packed for [`PackedWeight::matmul`].
pub(crate) struct PackedWeight {
    format: Format,
    in_dim: usize,
    out_dim: usize,
    /// `out_dim.div_ceil(PANEL)` panels of `in_dim x format.lanes_per_input()` 32-bit lanes, input by
    /// input; the last panel zero-padded. (AMX formats: the tiles of `amx::pack`.)
    panels: Vec<u32>,
    /// int8: each output column's scale; empty otherwise.
    column_scales: Vec<f32>,
}

impl PackedWeight {
    /// Packs a weight stored `[out_dim, in_dim]` (the checkpoint layout of `nn.Linear` and of
    /// embedding matrices used as output projections). `None` when the sizes do not match.
    pub(crate) fn from_out_in(weight: &[f32], out_dim: usize, in_dim: usize, format: Format) -> Option<Self> {
        if weight.len() != out_dim.checked_mul(in_dim)? || in_dim == 0 || out_dim == 0 {
            return None;
        }
        if let Some(tiles) = format.tiles() {
            let (panels, column_scales) = super::amx::pack(weight, out_dim, in_dim, tiles);
            return Some(PackedWeight { format, in_dim, out_dim, panels, column_scales });
        }
        let lanes = format.lanes_per_input();
        let mut panels = vec![0u32; out_dim.div_ceil(PANEL) * in_dim * lanes];
        panels.par_chunks_mut(in_dim * lanes).enumerate().for_each(|(panel, packed)| {
            let first = panel * PANEL;
            for column in 0..PANEL.min(out_dim - first) {
                let source = &weight[(first + column) * in_dim..][..in_dim];
                for (k, &value) in source.iter().enumerate() {
                    match format {
                        Format::F32 => packed[k * PANEL + column] = value.to_bits(),
                        // Columns 0-15 in the high halves (an f32 once the low half is masked off),
                        // 16-31 in the low halves (an f32 once shifted up).
                        Format::Bf16 if column < 16 => packed[k * lanes + column] |= bf16_bits(value) << 16,
                        Format::Bf16 => packed[k * lanes + column - 16] |= bf16_bits(value),
                        Format::AmxBf16 | Format::AmxInt8 => unreachable!("packed above"),
                    }
                }
            }
        });
        Some(PackedWeight { format, in_dim, out_dim, panels, column_scales: Vec::new() })
    }

    pub(crate) fn in_dim(&self) -> usize {
        self.in_dim
    }

    pub(crate) fn out_dim(&self) -> usize {
        self.out_dim
    }

    pub(crate) fn format(&self) -> Format {
        self.format
    }

    /// Row `column` of the original `[out_dim, in_dim]` f32 matrix, read back out of the panels into
    /// `into` (`in_dim` long): embedding lookups in a matrix that is also the output projection, so it
    /// is stored once. `false` (and `into` untouched) when `column` is out of range or the format is
    /// not f32.
    pub(crate) fn out_row(&self, column: usize, into: &mut [f32]) -> bool {
        if column >= self.out_dim || self.format != Format::F32 || into.len() != self.in_dim {
            return false;
        }
        let panel = &self.panels[(column / PANEL) * self.in_dim * PANEL..][..self.in_dim * PANEL];
        for (k, value) in into.iter_mut().enumerate() {
            *value = f32::from_bits(panel[k * PANEL + column % PANEL]);
        }
        true
    }

    /// `a @ W (+ bias)` for `a` `[rows, in_dim]` row-major: the `[rows, out_dim]` result. Panics if the
    /// slices do not have those sizes or the CPU lacks the format's instructions (callers check both:
    /// see `Format::supported`).
    pub(crate) fn matmul(&self, a: &[f32], rows: usize, bias: Option<&[f32]>) -> Vec<f32> {
        assert_eq!(a.len(), rows * self.in_dim, "input size");
        if let Some(bias) = bias {
            assert_eq!(bias.len(), self.out_dim, "bias size");
        }
        assert!(self.format.supported(), "packed matmul needs AVX-512 ({:?})", self.format);
        if rows == 0 {
            return Vec::new();
        }
        #[cfg(target_arch = "x86_64")]
        if let Some(tiles) = self.format.tiles() {
            // SAFETY: `supported` (asserted above) means AMX is available; the panels and scales come
            // from `amx::pack` with these sizes and format, and the sizes of `a` and `bias` are
            // asserted above.
            return unsafe {
                super::amx::matmul(
                    &self.panels,
                    &self.column_scales,
                    tiles,
                    self.in_dim,
                    self.out_dim,
                    a,
                    rows,
                    bias,
                )
            };
        }
        // Not zeroed first: the kernel writes every element (the first block of inputs of each tile
        // stores without reading), and zeroing a step's 8-31 MB of logits cost a pass over memory.
        let mut out: Vec<f32> = Vec::with_capacity(rows * self.out_dim);
        // The rows' inputs, regrouped so the kernel reads them sequentially: row block by row block,
        // input by input, the block's rows side by side.
        // In parallel, in tasks of at least 32k inputs: at 128 rows (beams) a serial pass held up the
        // other threads for a tenth of the product's time.
        let a_packed = super::cpu_kernels::filled_in_parallel(
            a.len(),
            ROWS * self.in_dim,
            (1usize << 15).div_ceil(ROWS * self.in_dim),
            || (),
            |_, block, packed| {
                let rows = &a[block * ROWS * self.in_dim..][..packed.len()];
                interleave_rows(rows, self.in_dim, packed);
            },
        );
        let panel_count = self.out_dim.div_ceil(PANEL);
        // Enough tasks for the pool to balance, few enough that each streams a good stretch of weight.
        let tasks = (rayon::current_num_threads() * 4).min(panel_count);
        let panels_per_task = panel_count.div_ceil(tasks);
        let out_ptr = SharedOut(out.as_mut_ptr());
        (0..panel_count.div_ceil(panels_per_task)).into_par_iter().for_each(|task| {
            let panels = task * panels_per_task..((task + 1) * panels_per_task).min(panel_count);
            // SAFETY: AVX-512F is checked above; the task writes only the columns
            // of its own panels, and every pointer the kernel forms stays inside `a_packed`,
            // `self.panels`, `bias` and `out`.
            #[cfg(target_arch = "x86_64")]
            unsafe {
                self.run_panels(&a_packed, rows, bias, out_ptr, panels)
            }
            #[cfg(not(target_arch = "x86_64"))]
            let _ = (panels, out_ptr, &a_packed);
        });
        // SAFETY: every one of the `rows * out_dim` elements was written above (each task covers its
        // panels' columns of every row; the tasks cover all panels).
        unsafe { out.set_len(rows * self.out_dim) };
        out
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn run_panels(
        &self,
        a: &[f32],
        rows: usize,
        bias: Option<&[f32]>,
        out: SharedOut,
        panels: std::ops::Range<usize>,
    ) {
        let inputs = self.in_dim;
        let lanes = self.format.lanes_per_input();
        // Large products (the encoder's thousand rows) go a group of rows at a time, so the group's
        // inputs stay in L2 while the task's panels pass over them, when those panels fit in L2 too.
        // The vocabulary projection's panels do not: it streams them once, over all rows.
        let task_weight_bytes = panels.len() * inputs * lanes * 4;
        let group_rows = if task_weight_bytes <= L2_BYTES { ROW_GROUP } else { rows };
        for group_start in (0..rows).step_by(group_rows) {
            let group_end = (group_start + group_rows).min(rows);
            for panel in panels.clone() {
                let column = panel * PANEL;
                let columns = PANEL.min(self.out_dim - column);
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
                            weights: self.panels.as_ptr().add((panel * inputs + depth_start) * lanes),
                            lanes,
                            depth,
                            out: out.0.add(row * self.out_dim + column),
                            out_stride: self.out_dim,
                            columns,
                            accumulate: depth_start > 0,
                            bias: if last { bias.map(|bias| bias.as_ptr().add(column)) } else { None },
                            prefetch: next_weights.and_then(|(step, next_depth)| {
                                let share = next_depth.div_ceil(row_blocks);
                                let first = (block_index * share).min(next_depth);
                                let count = share.min(next_depth - first);
                                (count > 0).then(|| {
                                    (
                                        self.panels.as_ptr().add((step + first) * lanes),
                                        count,
                                        (depth / count).max(1),
                                    )
                                })
                            }),
                        };
                        match self.format {
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

/// `rows` (a few rows of `in_dim` inputs, row-major) interleaved into `packed`, input by input:
/// `packed[k * count + r] = rows[r * in_dim + k]`.
fn interleave_rows(rows: &[f32], in_dim: usize, packed: &mut [f32]) {
    let count = rows.len() / in_dim;
    assert!(count <= 16 && rows.len() == count * in_dim && packed.len() == rows.len());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F is present; the sizes are checked above.
        return unsafe { interleave_rows_avx512(rows, in_dim, count, packed) };
    }
    for (r, row) in rows.chunks(in_dim).enumerate() {
        for (k, &value) in row.iter().enumerate() {
            packed[k * count + r] = value;
        }
    }
}

/// `interleave_rows` sixteen inputs at a time: the rows' sixteen values each, one register per row
/// (unused rows zero), transposed in registers, each input's `count` values stored at once. Element
/// by element it was 4% of a beam search run.
///
/// # Safety
/// AVX-512F must be present, `count <= 16`, and `rows` and `packed` both `count * in_dim` long.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn interleave_rows_avx512(rows: &[f32], in_dim: usize, count: usize, packed: &mut [f32]) {
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

/// One call of the inner kernel: `R` rows by one panel, over `depth` inputs.
#[cfg(target_arch = "x86_64")]
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
#[cfg(target_arch = "x86_64")]
macro_rules! tile_kernel {
    ($name:ident, $features:literal, $step:ident) => {
        #[target_feature(enable = $features)]
        unsafe fn $name<const R: usize>(&self) {
            use std::arch::x86_64::*;
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
                    high[r] = _mm512_maskz_loadu_ps(high_mask, out.add(16));
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
                let b_high = _mm512_maskz_loadu_ps(high_mask, bias.add(16));
                for r in 0..R {
                    low[r] = _mm512_add_ps(low[r], b_low);
                    high[r] = _mm512_add_ps(high[r], b_high);
                }
            }
            for r in 0..R {
                let out = self.out.add(r * self.out_stride);
                _mm512_mask_storeu_ps(out, low_mask, low[r]);
                _mm512_mask_storeu_ps(out.add(16), high_mask, high[r]);
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
impl Tile {
    tile_kernel!(run_f32, "avx512f", step_f32);
    tile_kernel!(run_bf16, "avx512f", step_bf16);

    /// One input: every row's value times the panel's weights, added to the row's accumulators.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn step_f32<const R: usize>(
        &self,
        k: usize,
        low: &mut [std::arch::x86_64::__m512; R],
        high: &mut [std::arch::x86_64::__m512; R],
    ) {
        use std::arch::x86_64::*;
        let weights = self.weights.add(k * PANEL) as *const f32;
        let (w_low, w_high) = (_mm512_loadu_ps(weights), _mm512_loadu_ps(weights.add(16)));
        let a = self.a.add(k * R);
        for r in 0..R {
            let x = _mm512_set1_ps(*a.add(r));
            low[r] = _mm512_fmadd_ps(x, w_low, low[r]);
            high[r] = _mm512_fmadd_ps(x, w_high, high[r]);
        }
    }

    /// One input, bf16 weights: widened to f32 (one mask and one shift), then as `step_f32`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn step_bf16<const R: usize>(
        &self,
        k: usize,
        low: &mut [std::arch::x86_64::__m512; R],
        high: &mut [std::arch::x86_64::__m512; R],
    ) {
        use std::arch::x86_64::*;
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

/// An output buffer written by several tasks at disjoint elements (here, `amx::matmul` and
/// `cpu_kernels::project_to_vocab`): each user guarantees the disjointness and that the buffer outlives
/// the tasks.
#[derive(Clone, Copy)]
pub(crate) struct SharedOut(pub(crate) *mut f32);

impl SharedOut {
    /// (A method, so closures capture the `Sync` wrapper rather than the bare pointer.)
    pub(crate) fn ptr(self) -> *mut f32 {
        self.0
    }
}
// SAFETY: see above; the pointer is only written through at indices no other task writes.
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

#[cfg(test)]
mod tests {
    use super::*;

    /// `a @ weight^T + bias` in f64 on the weights as the format stores them: the reference.
    fn reference(
        a: &[f32],
        rows: usize,
        weight: &[f32],
        out_dim: usize,
        bias: Option<&[f32]>,
        format: Format,
    ) -> Vec<f64> {
        if format == Format::AmxInt8 {
            return int8_reference(a, rows, weight, out_dim, bias);
        }
        let stored = |value: f32| match format {
            Format::F32 => value as f64,
            Format::Bf16 | Format::AmxBf16 => f32::from_bits(bf16_bits(value) << 16) as f64,
            Format::AmxInt8 => unreachable!(),
        };
        // AMX rounds the inputs to bf16 as well.
        let input = |value: f32| match format {
            Format::AmxBf16 => f32::from_bits(bf16_bits(value) << 16) as f64,
            _ => value as f64,
        };
        let in_dim = a.len() / rows.max(1);
        let mut out = vec![0f64; rows * out_dim];
        for r in 0..rows {
            for c in 0..out_dim {
                let dot: f64 =
                    (0..in_dim).map(|k| input(a[r * in_dim + k]) * stored(weight[c * in_dim + k])).sum();
                out[r * out_dim + c] = dot + bias.map_or(0.0, |b| b[c] as f64);
            }
        }
        out
    }

    /// The int8 scheme spelled out: weights quantized per output column and inputs per row by their
    /// largest magnitude, exact integer sums, scaled back.
    fn int8_reference(
        a: &[f32],
        rows: usize,
        weight: &[f32],
        out_dim: usize,
        bias: Option<&[f32]>,
    ) -> Vec<f64> {
        use super::super::amx::{quantize, quantizing_factor};
        let in_dim = a.len() / rows.max(1);
        let quantized = |values: &[f32]| {
            let max = values.iter().fold(0f32, |max, v| max.max(v.abs()));
            let codes: Vec<i64> =
                values.iter().map(|&v| quantize(v, quantizing_factor(max)) as i64).collect();
            (codes, max as f64 / 127.0)
        };
        let columns: Vec<_> = (0..out_dim).map(|c| quantized(&weight[c * in_dim..][..in_dim])).collect();
        let mut out = vec![0f64; rows * out_dim];
        for r in 0..rows {
            let (inputs, row_scale) = quantized(&a[r * in_dim..][..in_dim]);
            for (c, (weights, column_scale)) in columns.iter().enumerate() {
                let dot: i64 = inputs.iter().zip(weights).map(|(x, w)| x * w).sum();
                out[r * out_dim + c] =
                    dot as f64 * row_scale * column_scale + bias.map_or(0.0, |b| b[c] as f64);
            }
        }
        out
    }

    fn values(count: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2654435761).max(1);
        (0..count)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn matches_reference_on_ragged_sizes() {
        for format in [Format::F32, Format::Bf16, Format::AmxBf16, Format::AmxInt8] {
            if !format.supported() {
                eprintln!("skipped {format:?}: this CPU lacks its AVX-512 instructions");
                continue;
            }
            // Row counts around the kernel's row block, columns around the panel width and its halves,
            // depths around the input block (partial sums carried between blocks), and more rows than
            // a row group.
            for &(rows, in_dim, out_dim) in &[
                (1, 3, 1),
                (5, 17, 33),
                (12, 256, 32),
                (13, 257, 70),
                (32, 512, 100),
                (40, 600, 31),
                (100, 513, 40),
                // AMX blocks of 32 rows: remainders of at most 16 and of more; depths around the
                // int8 tile's 64 inputs.
                (20, 64, 50),
                (50, 96, 70),
                (17, 65, 33),
                (33, 127, 64),
                (0, 8, 8),
            ] {
                let a = values(rows * in_dim, 1 + rows as u32);
                let weight = values(out_dim * in_dim, 7 + in_dim as u32);
                let bias = values(out_dim, 3);
                let packed = PackedWeight::from_out_in(&weight, out_dim, in_dim, format).unwrap();
                for bias in [None, Some(&bias[..])] {
                    let got = packed.matmul(&a, rows, bias);
                    let want = reference(&a, rows, &weight, out_dim, bias, format);
                    for (index, (&got, &want)) in got.iter().zip(&want).enumerate() {
                        // f32 accumulation of up to 600 products of magnitude <= 1.
                        let tolerance = 1e-5 * (in_dim as f64).sqrt() * 4.0;
                        assert!(
                            (got as f64 - want).abs() <= tolerance,
                            "{format:?} rows {rows} in {in_dim} out {out_dim} element {index}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn interleaving_rows_matches_element_by_element() {
        for count in [1, 3, 12, 16] {
            for in_dim in [1, 15, 16, 17, 40] {
                let rows = values(count * in_dim, (count * 100 + in_dim) as u32);
                let mut packed = vec![f32::NAN; rows.len()];
                interleave_rows(&rows, in_dim, &mut packed);
                for r in 0..count {
                    for k in 0..in_dim {
                        assert_eq!(packed[k * count + r], rows[r * in_dim + k], "count {count} in {in_dim}");
                    }
                }
            }
        }
    }

    #[test]
    fn bf16_rounding_is_to_nearest_even() {
        assert_eq!(bf16_bits(1.0), 0x3f80);
        // 1 + 2^-8 lies halfway between 1 and the next bf16 (1 + 2^-7): ties go to the even 1.
        assert_eq!(bf16_bits(1.0 + 1.0 / 256.0), 0x3f80);
        assert_eq!(bf16_bits(1.0 + 3.0 / 256.0), 0x3f82);
        assert_eq!(bf16_bits(-2.5), 0xc020);
        assert_eq!(bf16_bits(f32::INFINITY), 0x7f80);
        assert!(f32::from_bits(bf16_bits(f32::NAN) << 16).is_nan());
    }

    #[test]
    fn out_row_reads_back_the_f32_matrix() {
        let (out_dim, in_dim) = (45, 19);
        let weight = values(out_dim * in_dim, 11);
        let packed = PackedWeight::from_out_in(&weight, out_dim, in_dim, Format::F32).unwrap();
        let mut row = vec![0f32; in_dim];
        for column in 0..out_dim {
            assert!(packed.out_row(column, &mut row));
            assert_eq!(row, weight[column * in_dim..][..in_dim]);
        }
        assert!(!packed.out_row(out_dim, &mut row));
        let bf16 = PackedWeight::from_out_in(&weight, out_dim, in_dim, Format::Bf16).unwrap();
        assert!(!bf16.out_row(0, &mut row));
    }

    #[test]
    fn rejects_mismatched_sizes() {
        let weight = values(6, 1);
        assert!(PackedWeight::from_out_in(&weight, 2, 4, Format::F32).is_none());
        assert!(PackedWeight::from_out_in(&weight, 0, 0, Format::F32).is_none());
        assert!(PackedWeight::from_out_in(&weight, 3, 2, Format::Bf16).is_some());
    }
}
