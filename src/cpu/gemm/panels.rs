//! The packed product on panels, the same blocking for every instruction set: the rows' inputs taken
//! as the kernel wants them (as they are, or regrouped and for int8 quantized, once), then each task
//! streams its panels block by block of inputs, every block of rows passing over a block of weights
//! while it is in L1, the next block prefetched meanwhile. The per-ISA files supply only the register
//! tile ([`Kernel`]).

use rayon::prelude::*;

use super::super::parallel::{filled_in_parallel, SharedOut};
use super::{quantize, Format, PackedWeight, DEPTH, L2_BYTES, PANEL};
use crate::cpu::Isa;

/// Calls `$kernel::<R>($tile)` with `R` = `$rows`, one of the listed row counts (a tile's sizes, largest
/// first), or 1: the tiles take their row count as a constant so that their accumulators stay in
/// registers.
macro_rules! dispatch_rows {
    ($kernel:ident, $tile:expr, $rows:expr; $($count:literal),+) => {
        match $rows {
            $($count => $kernel::<$count>($tile),)+
            _ => $kernel::<1>($tile),
        }
    };
}
pub(super) use dispatch_rows;

/// A register tile of one instruction set and format: how many rows it takes, how it wants its
/// inputs, and the function that runs it.
pub(super) struct Kernel {
    /// Rows per tile; the inputs are regrouped in blocks of this many rows (the last padded with
    /// zeros).
    pub(super) rows: usize,
    /// How the inputs are regrouped.
    pub(super) inputs: InputLayout,
    /// Runs `tile` for its first `rows` (1 to `Kernel::rows`) rows.
    ///
    /// # Safety
    /// The CPU must have the kernel's instructions and the tile's pointers must be valid for its sizes
    /// (as [`matmul`] forms them).
    pub(super) run: unsafe fn(tile: &Tile, rows: usize),
}

/// How a kernel takes its inputs: the rows as given, or every input step of a block of rows with the
/// rows side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InputLayout {
    /// f32, the caller's rows as they are (`[rows, in_dim]`, not copied). AVX2's tile broadcasts each
    /// row's value straight from memory: regrouping cost a pass over the inputs, 9% of a 128 x 512 x
    /// 512 product's time (two threads).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    F32Rows,
    /// f32, one per row and step, the block's rows side by side. AVX-512's tile, whose twelve rows
    /// read from twelve places left the compiler short of registers (its products ran at 60% of their
    /// speed), and NEON's, which multiplies by lane (a step's rows load as vectors).
    F32,
    /// int8, four bytes per row and step (`offset`: stored `q + 128`, for `u8 x s8` products).
    Int8 { offset: bool },
    /// int8, eight bytes per row and pair of steps (`smmla` takes rows in pairs, eight inputs each).
    #[cfg_attr(not(target_arch = "aarch64"), allow(dead_code))]
    Int8Pairs,
}

/// The kernel of `format` at `level`, if that level has one.
pub(super) fn kernel(format: Format, level: Isa) -> Option<Kernel> {
    match level {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => super::avx2::kernel(format),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 | Isa::Avx512Vnni | Isa::Amx => super::avx512::kernel(format, level.has_avx512_vnni()),
        #[cfg(target_arch = "aarch64")]
        Isa::Neon | Isa::NeonDotprod | Isa::NeonI8mm => super::neon::kernel(format, level),
        _ => {
            let _ = format;
            None
        }
    }
}

/// One call of a register tile: up to `Kernel::rows` rows by one panel, over `depth` input steps.
pub(super) struct Tile {
    /// The rows' inputs from the block's first step on, in the kernel's layout: step `k` of row `r` at
    /// 32-bit word `r * a_stride + k` (`F32Rows`), else `k * Kernel::rows + r` (int8 pairs: the eight
    /// bytes of steps `k, k + 1` of row `r` at word `k * Kernel::rows + 2 r`, `k` even).
    pub(super) a: *const u32,
    /// `F32Rows`: words from one row's inputs to the next's.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub(super) a_stride: usize,
    /// The panel's weights from the block's first step on, `lanes` 32-bit lanes per step.
    pub(super) weights: *const u32,
    pub(super) lanes: usize,
    pub(super) depth: usize,
    /// First output of the first row; rows `out_stride` apart; `columns` (<= `PANEL`) of them valid.
    pub(super) out: *mut f32,
    pub(super) out_stride: usize,
    pub(super) columns: usize,
    /// Add to the partial sums already in `out` (later blocks) instead of starting from zero. (int8
    /// keeps its partial sums there as `i32` bits.)
    pub(super) accumulate: bool,
    /// The last block: finish the outputs (int8: scale back; add the bias).
    pub(super) last: bool,
    /// Added to the finished outputs, the panel's first column on.
    pub(super) bias: Option<*const f32>,
    /// int8: the tile's rows' scales, the panel's columns' scales and offsets (`Int8 { offset: true }`
    /// kernels subtract them).
    pub(super) row_scales: *const f32,
    pub(super) column_scales: *const f32,
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // NEON's sdot multiplies signed bytes
    pub(super) column_offsets: *const i32,
    /// Weights to fetch into cache meanwhile (`lanes` per step), how many steps' worth, and how many
    /// of this tile's steps apart.
    pub(super) prefetch: Option<(*const u32, usize, usize)>,
}

impl Tile {
    /// `F32Rows`: where the first `R` rows' inputs start.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    #[inline(always)]
    pub(super) fn row_inputs<const R: usize>(&self) -> [*const f32; R] {
        std::array::from_fn(|r| self.a.wrapping_add(r * self.a_stride) as *const f32)
    }

    /// The prefetch plan as a closure over the tile's steps: `fetch(k)` before step `k` issues the
    /// prefetches due then (through `line`, the ISA's prefetch of one cache line), `finish()` the rest.
    #[inline(always)]
    pub(super) fn prefetcher(&self) -> Prefetcher {
        match self.prefetch {
            Some((next, count, spacing)) => Prefetcher {
                next: next as *const u8,
                bytes: self.lanes * 4,
                count,
                spacing,
                fetched: 0,
                due: 0,
            },
            None => Prefetcher { next: std::ptr::null(), bytes: 0, count: 0, spacing: 1, fetched: 0, due: 0 },
        }
    }
}

/// The weights a tile fetches into cache for the block that follows, spread over its steps.
pub(super) struct Prefetcher {
    next: *const u8,
    bytes: usize,
    count: usize,
    spacing: usize,
    fetched: usize,
    due: usize,
}

impl Prefetcher {
    /// At step `k`: the cache lines of the next step's weights due by now, through `line`.
    #[inline(always)]
    pub(super) fn at(&mut self, k: usize, line: impl Fn(*const u8)) {
        if k == self.due && self.fetched < self.count {
            let step = self.next.wrapping_add(self.fetched * self.bytes);
            for offset in (0..self.bytes).step_by(64) {
                line(step.wrapping_add(offset));
            }
            self.fetched += 1;
            self.due += self.spacing;
        }
    }

    /// Before step `end`: every fetch due at the steps before it, as `at` for each of them would.
    #[inline(always)]
    pub(super) fn before(&mut self, end: usize, line: impl Fn(*const u8)) {
        while self.due < end && self.fetched < self.count {
            let due = self.due;
            self.at(due, &line);
        }
    }

    /// Whatever was not fetched during the steps.
    #[inline(always)]
    pub(super) fn finish(&mut self, line: impl Fn(*const u8)) {
        self.before(usize::MAX, line);
    }
}

/// The inputs as a kernel takes them: 32-bit words (f32 kept as they are, not copied to their bits),
/// and for int8 each row's scale.
struct Inputs<'a> {
    words: Words<'a>,
    row_scales: Vec<f32>,
}

enum Words<'a> {
    /// The caller's rows (`F32Rows`).
    Rows(&'a [f32]),
    F32(Vec<f32>),
    Bits(Vec<u32>),
}

impl Words<'_> {
    fn as_ptr(&self) -> *const u32 {
        match self {
            Words::Rows(values) => values.as_ptr() as *const u32,
            Words::F32(values) => values.as_ptr() as *const u32,
            Words::Bits(words) => words.as_ptr(),
        }
    }
}

/// `weight.matmul` on panels with `kernel` (of `level`).
pub(super) fn matmul(
    weight: &PackedWeight,
    kernel: &Kernel,
    level: Isa,
    a: &[f32],
    rows: usize,
    bias: Option<&[f32]>,
) -> Vec<f32> {
    let steps = weight.format.steps(weight.in_dim);
    let inputs = regroup(level, kernel, a, rows, weight.in_dim, steps);
    // Not zeroed first: the kernel writes every element (the first block of inputs of each tile
    // stores without reading), and zeroing a step's 8-31 MB of logits cost a pass over memory.
    let mut out: Vec<f32> = Vec::with_capacity(rows * weight.out_dim);
    let panel_count = weight.out_dim.div_ceil(PANEL);
    // Enough tasks for the pool to balance, few enough that each streams a good stretch of weight.
    let tasks = (rayon::current_num_threads() * 4).min(panel_count);
    let panels_per_task = panel_count.div_ceil(tasks);
    let out_ptr = SharedOut::uninitialized(&mut out);
    let tiles = row_tiles(rows, kernel.rows, kernel.inputs);
    (0..panel_count.div_ceil(panels_per_task)).into_par_iter().for_each(|task| {
        let panels = task * panels_per_task..((task + 1) * panels_per_task).min(panel_count);
        // SAFETY: `kernel` is `level`'s and the caller checked the CPU has it; the task writes only the
        // columns of its own panels, and every pointer the tiles get stays inside `inputs`, the
        // weight's panels, scales and offsets, `bias` and `out`.
        unsafe { run_panels(weight, kernel, &inputs, steps, &tiles, bias, out_ptr, panels) }
    });
    // SAFETY: every one of the `rows * out_dim` elements was written above (each task covers its
    // panels' columns of every row; the tasks cover all panels).
    unsafe { out.set_len(rows * weight.out_dim) };
    out
}

/// `a`'s rows as `kernel` takes them: as they are (`F32Rows`), or regrouped in blocks of `kernel.rows`
/// rows (the last padded with zeros), step by step, the block's rows side by side; int8 quantized per
/// row on the way.
fn regroup<'a>(
    level: Isa,
    kernel: &Kernel,
    a: &'a [f32],
    rows: usize,
    in_dim: usize,
    steps: usize,
) -> Inputs<'a> {
    let block_words = kernel.rows * steps;
    let blocks = rows.div_ceil(kernel.rows);
    // In parallel, in tasks of at least 32k inputs: at 128 rows (beams) a serial pass held up the other
    // threads for a tenth of the product's time.
    let min_blocks = (1usize << 15).div_ceil(kernel.rows * in_dim);
    match kernel.inputs {
        InputLayout::F32Rows => Inputs { words: Words::Rows(a), row_scales: Vec::new() },
        InputLayout::F32 => {
            let words = filled_in_parallel(
                blocks * block_words,
                block_words,
                min_blocks,
                || (),
                |_, block, packed| {
                    let first = block * kernel.rows;
                    let rows = &a[first * in_dim..(first + kernel.rows).min(rows) * in_dim];
                    interleave_rows(level, rows, in_dim, kernel.rows, packed);
                },
            );
            Inputs { words: Words::F32(words), row_scales: Vec::new() }
        }
        InputLayout::Int8 { offset } => {
            let mut words = vec![0u32; blocks * block_words];
            let mut row_scales = vec![0f32; blocks * kernel.rows];
            words
                .par_chunks_mut(block_words)
                .zip(row_scales.par_chunks_mut(kernel.rows))
                .enumerate()
                .with_min_len(min_blocks)
                .for_each_init(
                    || vec![0u8; steps * 4],
                    |codes, (block, (packed, scales))| {
                        let first = block * kernel.rows;
                        for r in 0..kernel.rows.min(rows - first) {
                            let row = &a[(first + r) * in_dim..][..in_dim];
                            scales[r] = quantize::quantize_row(level, row, codes, offset);
                            for (step, quad) in codes.chunks_exact(4).enumerate() {
                                packed[step * kernel.rows + r] =
                                    u32::from_le_bytes([quad[0], quad[1], quad[2], quad[3]]);
                            }
                        }
                    },
                );
            Inputs { words: Words::Bits(words), row_scales }
        }
        InputLayout::Int8Pairs => {
            let mut words = vec![0u32; blocks * block_words];
            let mut row_scales = vec![0f32; blocks * kernel.rows];
            words
                .par_chunks_mut(block_words)
                .zip(row_scales.par_chunks_mut(kernel.rows))
                .enumerate()
                .with_min_len(min_blocks)
                .for_each_init(
                    || vec![0u8; steps * 4],
                    |codes, (block, (packed, scales))| {
                        let first = block * kernel.rows;
                        for r in 0..kernel.rows.min(rows - first) {
                            let row = &a[(first + r) * in_dim..][..in_dim];
                            scales[r] = quantize::quantize_row(level, row, codes, false);
                            for (pair, eight) in codes.chunks_exact(8).enumerate() {
                                let word = |i: usize| {
                                    u32::from_le_bytes([eight[i], eight[i + 1], eight[i + 2], eight[i + 3]])
                                };
                                let at = 2 * (pair * kernel.rows + r);
                                packed[at] = word(0);
                                packed[at + 1] = word(4);
                            }
                        }
                    },
                );
            Inputs { words: Words::Bits(words), row_scales }
        }
    }
}

/// `rows` (at most `stride` rows of `in_dim` inputs, row-major) interleaved into `packed` (`stride *
/// in_dim` long), input by input: `packed[k * stride + r] = rows[r * in_dim + k]`; the rest of
/// `packed` is left alone.
pub(super) fn interleave_rows(level: Isa, rows: &[f32], in_dim: usize, stride: usize, packed: &mut [f32]) {
    let count = rows.len() / in_dim;
    assert!(
        count <= stride && stride <= 16 && rows.len() == count * in_dim && packed.len() == stride * in_dim
    );
    #[cfg(target_arch = "x86_64")]
    if level.has_avx512() && level.available() {
        // SAFETY: AVX-512F is present; the sizes are checked above.
        return unsafe { super::avx512::interleave_rows(rows, in_dim, count, stride, packed) };
    }
    let _ = level;
    for (r, row) in rows.chunks(in_dim).enumerate() {
        for (k, &value) in row.iter().enumerate() {
            packed[k * stride + r] = value;
        }
    }
}

/// The row tiles of a product, `(first row, rows)`. Regrouped inputs come in blocks of `block_rows`
/// (the last one short); row-major ones can start anywhere, and their rows are spread evenly over as
/// many tiles: 128 rows at 6 per tile go as 18 tiles of 6 and 4 of 5, not 21 of 6 and one of 2, whose
/// few accumulators leave it waiting on their latency (4 fused multiply-adds per step in the time of 6
/// rows' 12).
pub(super) fn row_tiles(rows: usize, block_rows: usize, layout: InputLayout) -> Vec<(usize, usize)> {
    let count = rows.div_ceil(block_rows);
    if layout != InputLayout::F32Rows {
        return (0..count)
            .map(|tile| (tile * block_rows, block_rows.min(rows - tile * block_rows)))
            .collect();
    }
    let (base, longer) = (rows / count.max(1), rows % count.max(1));
    let mut first = 0;
    (0..count)
        .map(|tile| {
            let tile_rows = base + usize::from(tile < longer);
            first += tile_rows;
            (first - tile_rows, tile_rows)
        })
        .collect()
}

/// Runs `panels` of `weight` over all rows of `inputs` (tile by tile of `tiles`, `row_tiles`' for
/// them), writing those panels' columns of `out` (`[rows, out_dim]`) and adding `bias`.
///
/// # Safety
/// The CPU must have `kernel`'s instructions; `inputs` must be `regroup`'s for this weight, kernel and
/// rows, `tiles` `row_tiles`' for them; `bias` (if any) must hold `out_dim` values; `out` must have
/// room for `rows * out_dim` values, of which this call writes only its panels' columns (no other task
/// may touch those).
#[allow(clippy::too_many_arguments)]
unsafe fn run_panels(
    weight: &PackedWeight,
    kernel: &Kernel,
    inputs: &Inputs,
    steps: usize,
    tiles: &[(usize, usize)],
    bias: Option<&[f32]>,
    out: SharedOut<f32>,
    panels: std::ops::Range<usize>,
) {
    let lanes = weight.format.lanes_per_step();
    let block_rows = kernel.rows;
    // Large products (the encoder's thousand rows) go a group of rows at a time, so the group's
    // inputs stay in L2 while the task's panels pass over them, when those panels fit in L2 too.
    // The vocabulary projection's panels do not: it streams them once, over all rows.
    let task_weight_bytes = panels.len() * steps * lanes * 4;
    let group_tiles = if task_weight_bytes <= L2_BYTES { 8 } else { tiles.len() };
    // Row-major inputs (`F32Rows`) start each row at `row * steps` too, their steps consecutive.
    let (step_words, a_stride) = match kernel.inputs {
        InputLayout::F32Rows => (1, steps),
        _ => (block_rows, 0),
    };
    // SAFETY: the caller's contract; every offset below stays within the buffers by their sizes:
    // `inputs` has `rows.div_ceil(block_rows) * block_rows * steps` words (`F32Rows`: `rows * steps`,
    // of which a tile reads only its own rows), each panel `steps * lanes`; the tiles cover the rows.
    unsafe {
        for group in tiles.chunks(group_tiles) {
            for panel in panels.clone() {
                let column = panel * PANEL;
                let columns = PANEL.min(weight.out_dim - column);
                // Block by block of inputs, the panel's outputs staying in cache between blocks.
                for depth_start in (0..steps).step_by(DEPTH) {
                    let depth = DEPTH.min(steps - depth_start);
                    let last = depth_start + depth == steps;
                    // The row blocks also prefetch the weights of the block that follows (next steps,
                    // or next panel), so they arrive from memory while this one computes.
                    let next_weights = if !last {
                        Some((panel * steps + depth_start + depth, DEPTH.min(steps - depth_start - depth)))
                    } else if panel + 1 < panels.end {
                        Some(((panel + 1) * steps, DEPTH.min(steps)))
                    } else {
                        None
                    };
                    // Each row block fetches its share of them, spread over its steps: all of them in
                    // the first row block overran the memory system's queue and stalled it.
                    let row_blocks = group.len();
                    for (block_index, &(row, tile_rows)) in group.iter().enumerate() {
                        let tile = Tile {
                            a: inputs.words.as_ptr().add(row * steps + depth_start * step_words),
                            a_stride,
                            weights: weight.panels.as_ptr().add((panel * steps + depth_start) * lanes),
                            lanes,
                            depth,
                            out: out.ptr().add(row * weight.out_dim + column),
                            out_stride: weight.out_dim,
                            columns,
                            accumulate: depth_start > 0,
                            last,
                            bias: bias.map(|bias| bias.as_ptr().add(column)),
                            row_scales: inputs.row_scales.as_ptr().wrapping_add(row),
                            column_scales: weight.column_scales.as_ptr().wrapping_add(column),
                            column_offsets: weight.column_offsets.as_ptr().wrapping_add(column),
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
                        (kernel.run)(&tile, tile_rows);
                    }
                }
            }
        }
    }
}
