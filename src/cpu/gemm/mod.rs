//! Matrix products against weights packed once, at load time, for x86-64 CPUs with AVX-512 (the
//! panel kernels of [`avx512`]) or AMX (the tile kernels of [`amx`]).
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

mod amx;
#[cfg(target_arch = "x86_64")]
mod avx512;

use rayon::prelude::*;

use super::parallel::{filled_in_parallel, SharedOut};
use super::Isa;

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
    /// bfloat16 in AMX weight tiles (`amx`): inputs rounded to bf16 too.
    AmxBf16,
    /// int8 in AMX weight tiles, a scale per output column; inputs quantized per row at every product.
    AmxInt8,
}

impl Format {
    /// The instruction-set level whose kernels run this format.
    pub(crate) fn isa(self) -> Isa {
        match self {
            Format::F32 | Format::Bf16 => Isa::Avx512,
            Format::AmxBf16 | Format::AmxInt8 => Isa::Amx,
        }
    }

    /// Whether this CPU runs the packed kernels of this format (whatever level is in use: the caller
    /// chose the format).
    pub(crate) fn supported(self) -> bool {
        self.isa().available()
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
    fn tiles(self) -> Option<amx::TileFormat> {
        match self {
            Format::AmxBf16 => Some(amx::TileFormat::Bf16),
            Format::AmxInt8 => Some(amx::TileFormat::Int8),
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
            let (panels, column_scales) = amx::pack(weight, out_dim, in_dim, tiles);
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
    /// see `Format::supported`; a weight is packed only in a format the CPU runs).
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
                amx::matmul(
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
        let a_packed = filled_in_parallel(
            a.len(),
            ROWS * self.in_dim,
            (1usize << 15).div_ceil(ROWS * self.in_dim),
            || (),
            |_, block, packed| {
                let rows = &a[block * ROWS * self.in_dim..][..packed.len()];
                interleave_rows(Isa::Avx512, rows, self.in_dim, packed);
            },
        );
        let panel_count = self.out_dim.div_ceil(PANEL);
        // Enough tasks for the pool to balance, few enough that each streams a good stretch of weight.
        let tasks = (rayon::current_num_threads() * 4).min(panel_count);
        let panels_per_task = panel_count.div_ceil(tasks);
        let out_ptr = SharedOut::uninitialized(&mut out);
        (0..panel_count.div_ceil(panels_per_task)).into_par_iter().for_each(|task| {
            let panels = task * panels_per_task..((task + 1) * panels_per_task).min(panel_count);
            // SAFETY: AVX-512F is checked above (`supported`); the task writes only the columns of
            // its own panels, and every pointer the kernel forms stays inside `a_packed`,
            // `self.panels`, `bias` and `out`.
            #[cfg(target_arch = "x86_64")]
            unsafe {
                avx512::run_panels(self, &a_packed, rows, bias, out_ptr, panels)
            }
            #[cfg(not(target_arch = "x86_64"))]
            let _ = (panels, out_ptr, &a_packed);
        });
        // SAFETY: every one of the `rows * out_dim` elements was written above (each task covers its
        // panels' columns of every row; the tasks cover all panels).
        unsafe { out.set_len(rows * self.out_dim) };
        out
    }
}

/// `rows` (a few rows of `in_dim` inputs, row-major) interleaved into `packed`, input by input:
/// `packed[k * count + r] = rows[r * in_dim + k]`.
fn interleave_rows(isa: Isa, rows: &[f32], in_dim: usize, packed: &mut [f32]) {
    let count = rows.len() / in_dim;
    assert!(count <= 16 && rows.len() == count * in_dim && packed.len() == rows.len());
    #[cfg(target_arch = "x86_64")]
    if isa.has_avx512() && isa.available() {
        // SAFETY: AVX-512F is present; the sizes are checked above.
        return unsafe { avx512::interleave_rows(rows, in_dim, count, packed) };
    }
    for (r, row) in rows.chunks(in_dim).enumerate() {
        for (k, &value) in row.iter().enumerate() {
            packed[k * count + r] = value;
        }
    }
}

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
        use super::amx::{quantize, quantizing_factor};
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
    #[cfg_attr(not(anuvad_host_avx512), ignore = "this CPU has no AVX-512")]
    fn f32_panels_match_reference() {
        matches_reference_on_ragged_sizes(Format::F32);
    }

    #[test]
    #[cfg_attr(not(anuvad_host_avx512), ignore = "this CPU has no AVX-512")]
    fn bf16_panels_match_reference() {
        matches_reference_on_ragged_sizes(Format::Bf16);
    }

    #[test]
    #[cfg_attr(not(anuvad_host_amx), ignore = "this CPU has no AMX")]
    fn amx_bf16_tiles_match_reference() {
        matches_reference_on_ragged_sizes(Format::AmxBf16);
    }

    #[test]
    #[cfg_attr(not(anuvad_host_amx), ignore = "this CPU has no AMX")]
    fn amx_int8_tiles_match_reference() {
        matches_reference_on_ragged_sizes(Format::AmxInt8);
    }

    fn matches_reference_on_ragged_sizes(format: Format) {
        assert!(format.supported(), "this CPU does not run {format:?}");
        {
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

    crate::cpu::isa_tests! {
        fn interleaving_rows_matches_element_by_element(isa) {
            for count in [1, 3, 12, 16] {
                for in_dim in [1, 15, 16, 17, 40] {
                    let rows = values(count * in_dim, (count * 100 + in_dim) as u32);
                    let mut packed = vec![f32::NAN; rows.len()];
                    interleave_rows(isa, &rows, in_dim, &mut packed);
                    for r in 0..count {
                        for k in 0..in_dim {
                            assert_eq!(packed[k * count + r], rows[r * in_dim + k], "count {count} in {in_dim}");
                        }
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
