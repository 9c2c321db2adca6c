//! Matrix products against weights packed once, at load time: panel kernels for every SIMD level
//! (AVX2, AVX-512, NEON; [`panels`] drives them) and AMX tiles ([`amx`]).
//!
//! A decoding step multiplies a few rows (one per sentence or beam) by every weight matrix of the model.
//! General matrix libraries (candle's `gemm`) repack the weight on every call, and that repacking costs
//! as much as the arithmetic at 32 rows. Here each weight is stored once in the layout the inner loop
//! reads (panels of [`PANEL`] output columns, input dimension outermost), so a product is one pass over
//! the packed weight with the rows' inputs broadcast from cache, and the next block of weights is
//! prefetched while the current one computes.
//!
//! One layout for every instruction set, so a weight packed once runs on whichever level is in use and
//! the blocking carries over from the x86 kernels (measured here) to the NEON ones (whose speed we
//! cannot measure): panels of 32 columns, blocks of [`DEPTH`] input steps (32 KiB of f32 or int8
//! weights) kept in L1 while every block of rows passes over them. Only the register tile differs: an
//! AVX-512 tile is 12 rows by the whole panel (2 x 12 accumulators of 16 lanes), an AVX2 or NEON tile 6
//! rows by half a panel (12 or 24 accumulators; AVX2's int8 tile 4 rows), run once per half.
//!
//! Three formats for the panels:
//! - [`Format::F32`]: every output is `sum_k a[k] * w[k]` accumulated in input order with fused
//!   multiply-adds, then `+ bias` — the same kind of rounding as the matrix libraries `transformers`
//!   uses, which the parity tests hold to; the same bits on every level.
//! - [`Format::Bf16`]: weights rounded to bfloat16 (half the memory and memory traffic), widened to f32
//!   in registers; inputs, products and sums stay f32. Outputs differ from f32 by the weights' rounding.
//!   (AVX512-BF16's `vdpbf16ps` would also round the inputs, and on the CPUs we measured it issues at a
//!   quarter of the rate of f32 fused multiply-adds: no faster than f32 arithmetic.)
//! - [`Format::Int8`]: CTranslate2's int8 scheme ([`quantize`]): weights quantized once per output
//!   column, inputs per row at every product, exact integer sums, `sum * scale_row * scale_column +
//!   bias`. Four inputs of a column per 32-bit lane. x86 multiplies unsigned by signed bytes, so the
//!   inputs are stored `q + 128` and each column's `128 * sum(q_w)` is subtracted from its sums (the
//!   offset trick of CTranslate2 and oneDNN; AVX512-VNNI's `vpdpbusd`). NEON multiplies signed by
//!   signed bytes (`sdot`, `smmla`).
//! - [`Format::Int8Narrow`]: the same with 7-bit weights, for x86 without VNNI: AVX2's and
//!   AVX-512BW's `vpmaddubsw` add each pair of products with 16-bit saturation, which full int8
//!   weights overrun (`2 * 255 * 127`; on the random-weight fixture models, every other sentence
//!   changed). With weights within ±63 the sums stay exact; oneDNN does the same on those CPUs
//!   (Intel's MKL, CTranslate2's default there, saturates instead).

mod amx;
#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;
mod panels;
pub(crate) mod quantize;
#[cfg(test)]
mod tests;

use rayon::prelude::*;

use super::{isa, Isa};

/// Output columns per panel.
const PANEL: usize = 32;
/// Input steps per block: a panel's block (`DEPTH x PANEL` 32-bit lanes, 32 KiB) stays in L1 while
/// every row block runs over it. (A step is one input for f32 and bf16, four for int8.) Even, so that
/// int8 blocks hold whole pairs of steps (`smmla` takes eight inputs).
const DEPTH: usize = 256;
/// Weight a task may cycle through per row group and still find in L2 (a conservative share of the
/// 1-2 MiB of current x86 cores).
const L2_BYTES: usize = 768 * 1024;

/// How a packed weight stores its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    F32,
    /// bfloat16, two columns' weights (`c` and `c + 16` of a panel) per 32-bit lane.
    Bf16,
    /// int8, four inputs of a column per 32-bit lane, a scale per output column; inputs quantized per
    /// row at every product.
    Int8,
    /// [`Format::Int8`] with the weights within -63..=63 (7 bits), for `vpmaddubsw` (x86 without VNNI):
    /// a pair of its products then stays within 16 bits (`2 * 255 * 63`), where full int8 weights
    /// would saturate. oneDNN scales int8 weights the same way on those CPUs.
    Int8Narrow,
    /// bfloat16 in AMX weight tiles (`amx`): inputs rounded to bf16 too.
    AmxBf16,
    /// int8 in AMX weight tiles, a scale per output column; inputs quantized per row at every product.
    AmxInt8,
}

impl Format {
    /// The lowest level whose kernels run this format, on this architecture (`None`: none does).
    fn lowest_level(self) -> Option<Isa> {
        match self {
            Format::F32 | Format::Bf16 | Format::Int8 | Format::Int8Narrow => {
                Isa::levels().iter().copied().find(|&isa| panels::kernel(self, isa).is_some())
            }
            Format::AmxBf16 | Format::AmxInt8 => Isa::levels().contains(&Isa::Amx).then_some(Isa::Amx),
        }
    }

    /// Whether this CPU runs the packed kernels of this format (whatever level is in use: the caller
    /// chose the format).
    pub(crate) fn supported(self) -> bool {
        self.lowest_level().is_some_and(Isa::available)
    }

    /// Whether the kernels of `isa` run this format.
    pub(crate) fn runs_at(self, isa: Isa) -> bool {
        match self {
            Format::AmxBf16 | Format::AmxInt8 => isa == Isa::Amx,
            _ => panels::kernel(self, isa).is_some(),
        }
    }

    /// Input steps of a panel for `in_dim` inputs (int8: four inputs a step, padded to whole pairs of
    /// steps).
    fn steps(self, in_dim: usize) -> usize {
        match self {
            Format::Int8 | Format::Int8Narrow => in_dim.div_ceil(8) * 2,
            _ => in_dim,
        }
    }

    /// 32-bit lanes per input step in a panel.
    fn lanes_per_step(self) -> usize {
        match self {
            Format::F32 | Format::Int8 | Format::Int8Narrow => PANEL,
            Format::Bf16 => PANEL / 2,
            Format::AmxBf16 | Format::AmxInt8 => unreachable!("AMX formats are packed by `amx::pack`"),
        }
    }

    /// The AMX tile format, for the AMX formats.
    fn tiles(self) -> Option<amx::TileFormat> {
        match self {
            Format::AmxBf16 => Some(amx::TileFormat::Bf16),
            Format::AmxInt8 => Some(amx::TileFormat::Int8),
            Format::F32 | Format::Bf16 | Format::Int8 | Format::Int8Narrow => None,
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

/// One cache line of 32-bit words, the unit [`AlignedWords`] allocates in.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u32; 16]);

/// 32-bit words from the start of a cache line, so that a panel step's 32 weights are two whole cache
/// lines whatever the allocator: glibc's malloc gives a large `Vec` 16 bytes past a page boundary,
/// every AVX-512 weight load then straddled two lines, and the products ran 10% slower (128 x 512 x
/// 61127, one thread: 68 against 75 GMAC/s; mimalloc, the binary's allocator, happened to align them).
pub(crate) struct AlignedWords {
    lines: Vec<Line>,
    len: usize,
}

impl AlignedWords {
    /// `len` zeros.
    pub(crate) fn zeroed(len: usize) -> Self {
        AlignedWords { lines: vec![Line([0; 16]); len.div_ceil(16)], len }
    }
}

impl std::ops::Deref for AlignedWords {
    type Target = [u32];

    fn deref(&self) -> &[u32] {
        // SAFETY: `lines` holds `len.div_ceil(16) * 16 >= len` initialized `u32`s, contiguous
        // (`Line` is `repr(C)`, 64 bytes, no padding).
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr().cast::<u32>(), self.len) }
    }
}

impl std::ops::DerefMut for AlignedWords {
    fn deref_mut(&mut self) -> &mut [u32] {
        // SAFETY: as in `deref`, and `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<u32>(), self.len) }
    }
}

/// A weight matrix `[in_dim, out_dim]`, packed for [`PackedWeight::matmul`].
pub(crate) struct PackedWeight {
    format: Format,
    in_dim: usize,
    out_dim: usize,
    /// `out_dim.div_ceil(PANEL)` panels of `format.steps(in_dim) x format.lanes_per_step()` 32-bit
    /// lanes, step by step; the last panel zero-padded. (AMX formats: the tiles of `amx::pack`.)
    panels: AlignedWords,
    /// int8: each output column's scale (panels: padded to whole panels with zeros); empty otherwise.
    column_scales: Vec<f32>,
    /// int8 panels: each output column's `128 * sum(q)` (padded to whole panels with zeros), what the
    /// `u8 x s8` products' offset adds to its sums; empty otherwise.
    column_offsets: Vec<i32>,
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
            return Some(PackedWeight {
                format,
                in_dim,
                out_dim,
                panels,
                column_scales,
                column_offsets: vec![],
            });
        }
        let (steps, lanes) = (format.steps(in_dim), format.lanes_per_step());
        let panel_count = out_dim.div_ceil(PANEL);
        let mut panels = AlignedWords::zeroed(panel_count.checked_mul(steps)?.checked_mul(lanes)?);
        let quantizing = isa();
        let columns: Vec<(f32, i32)> = panels
            .par_chunks_mut(steps * lanes)
            .enumerate()
            .flat_map_iter(|(panel, packed)| {
                let first = panel * PANEL;
                let mut codes = vec![0u8; steps * 4];
                let mut columns = Vec::new();
                for column in 0..PANEL.min(out_dim - first) {
                    let source = &weight[(first + column) * in_dim..][..in_dim];
                    match format {
                        Format::F32 => {
                            for (k, &value) in source.iter().enumerate() {
                                packed[k * PANEL + column] = value.to_bits();
                            }
                        }
                        // Columns 0-15 in the high halves (an f32 once the low half is masked off),
                        // 16-31 in the low halves (an f32 once shifted up).
                        Format::Bf16 => {
                            let (lane, shift) = if column < 16 { (column, 16) } else { (column - 16, 0) };
                            for (k, &value) in source.iter().enumerate() {
                                packed[k * lanes + lane] |= bf16_bits(value) << shift;
                            }
                        }
                        Format::Int8 | Format::Int8Narrow => {
                            let scale = match format {
                                Format::Int8 => quantize::quantize_row(quantizing, source, &mut codes, false),
                                _ => quantize::quantize_row_narrow(source, &mut codes),
                            };
                            let sum: i32 = codes[..in_dim].iter().map(|&q| i32::from(q as i8)).sum();
                            for (step, quad) in codes.chunks_exact(4).enumerate() {
                                packed[step * PANEL + column] =
                                    u32::from_le_bytes([quad[0], quad[1], quad[2], quad[3]]);
                            }
                            columns.push((scale, 128 * sum));
                        }
                        Format::AmxBf16 | Format::AmxInt8 => unreachable!("packed above"),
                    }
                }
                columns
            })
            .collect();
        let (mut column_scales, mut column_offsets): (Vec<f32>, Vec<i32>) = columns.into_iter().unzip();
        if matches!(format, Format::Int8 | Format::Int8Narrow) {
            // Whole panels, so the kernels read them like the panels' weights.
            column_scales.resize(panel_count * PANEL, 0.0);
            column_offsets.resize(panel_count * PANEL, 0);
        }
        Some(PackedWeight { format, in_dim, out_dim, panels, column_scales, column_offsets })
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

    /// `a @ W (+ bias)` for `a` `[rows, in_dim]` row-major: the `[rows, out_dim]` result, with the
    /// kernels of the level in use ([`isa`]), or of the lowest level that runs the format if the one
    /// in use does not. Panics if the slices do not have those sizes or the CPU lacks the format's
    /// instructions (callers check both: see `Format::supported`; a weight is packed only in a format
    /// the CPU runs).
    pub(crate) fn matmul(&self, a: &[f32], rows: usize, bias: Option<&[f32]>) -> Vec<f32> {
        let level = match isa() {
            level if self.format.runs_at(level) => level,
            _ => self.format.lowest_level().unwrap_or(Isa::Generic),
        };
        self.matmul_with(level, a, rows, bias)
    }

    /// [`PackedWeight::matmul`] with the kernels of `level`.
    pub(crate) fn matmul_with(&self, level: Isa, a: &[f32], rows: usize, bias: Option<&[f32]>) -> Vec<f32> {
        assert_eq!(a.len(), rows * self.in_dim, "input size");
        if let Some(bias) = bias {
            assert_eq!(bias.len(), self.out_dim, "bias size");
        }
        assert!(
            level.available() && self.format.runs_at(level),
            "packed matmul: {:?} has no kernel at {level} on this CPU",
            self.format
        );
        if rows == 0 {
            return Vec::new();
        }
        #[cfg(target_arch = "x86_64")]
        if let Some(tiles) = self.format.tiles() {
            // SAFETY: AMX is available (asserted above); the panels and scales come from `amx::pack`
            // with these sizes and format, and the sizes of `a` and `bias` are asserted above.
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
        let kernel = panels::kernel(self.format, level).expect("a kernel (asserted above)");
        panels::matmul(self, &kernel, level, a, rows, bias)
    }
}
