//! Matrix products on Intel AMX tiles, for the bf16 and int8 number formats on CPUs that have them
//! (Sapphire Rapids and later Xeons).
//!
//! - bf16 (`tdpbf16ps`): one instruction multiplies a 16 x 32 bf16 tile of inputs by a 32 x 16 bf16
//!   tile of weights into a 16 x 16 f32 tile: sixteen times the arithmetic of an AVX-512 fused
//!   multiply-add. Inputs are rounded to bf16 (the AVX-512 bf16 kernel keeps them f32), sums stay
//!   f32. Measured here (2 cores, against `packed_gemm`'s f32 kernel): 32 x 512 x 61127 (a step's
//!   vocabulary projection) 5 ms against 13-15 ms; 448 x 512 x 2048 (an encoder layer's
//!   feed-forward) 1.4 ms against 4-5 ms.
//! - int8 (`tdpbssd`): 16 x 64 signed bytes by 64 x 16 into 16 x 16 exact 32-bit integer sums; twice
//!   the arithmetic of bf16 per instruction and half the weight bytes to stream. Weights are quantized
//!   once per output column (`w ~ scale_c * q`, `q` in -127..=127), inputs per row at every product
//!   (`x ~ scale_r * q`, from the row's largest magnitude), the scheme CTranslate2's int8 uses; the
//!   output is `sum * scale_r * scale_c + bias`.
//!
//! Rust has no stable AMX intrinsics, so the tile instructions are inline assembly. Linux hands out
//! the tile registers only on request (`arch_prctl(ARCH_REQ_XCOMP_PERM)`), made once per process.
// Packing is portable (the loader's code is the same everywhere); the tiles run on x86-64 only.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

use rayon::prelude::*;

use super::quantize::quantize_row;
use crate::cpu::isa;
#[cfg(target_arch = "x86_64")]
use crate::cpu::parallel::SharedOut;

/// Output columns per weight tile: a 32-bit lane (2 bf16 or 4 int8 inputs) for each of 16 columns.
const TILE_COLUMNS: usize = 16;
/// Bytes per tile row (every tile here has 64-byte rows).
const ROW_BYTES: usize = 64;
/// Output columns and rows per block: 2 x 2 tiles of 16 x 16.
const BLOCK: usize = 32;
/// 32-bit lanes per weight tile (16 rows of 16).
const TILE_LANES: usize = 16 * TILE_COLUMNS;

/// What the tiles hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TileFormat {
    Bf16,
    Int8,
}

impl TileFormat {
    /// Inputs per 32-bit lane.
    fn inputs_per_lane(self) -> usize {
        match self {
            TileFormat::Bf16 => 2,
            TileFormat::Int8 => 4,
        }
    }

    /// Inputs per tile row: the depth one tile instruction covers.
    fn tile_depth(self) -> usize {
        16 * self.inputs_per_lane()
    }
}

/// `value` rounded to the nearest bfloat16 (ties to even).
fn bf16(value: f32) -> u16 {
    super::bf16_bits(value) as u16
}

/// A weight `[out_dim, in_dim]` (f32) packed as AMX weight tiles of `format`, and for int8 each
/// output column's scale (`w ~ scale * q`; empty for bf16). For each 16 output columns (padded to a
/// multiple of 32), for each tile depth of inputs (padded with zeros): 16 rows of 16 lanes, lane `j`
/// of row `i` holding column `j`'s weights for the lane's inputs (`n` per lane: inputs `i * n` to
/// `i * n + n - 1`, the first in the low bits).
pub(crate) fn pack(
    weight: &[f32],
    out_dim: usize,
    in_dim: usize,
    format: TileFormat,
) -> (super::AlignedWords, Vec<f32>) {
    let (per_lane, tile_depth) = (format.inputs_per_lane(), format.tile_depth());
    let bits = 32 / per_lane;
    let (columns, depth) = (out_dim.next_multiple_of(BLOCK), in_dim.next_multiple_of(tile_depth));
    let chunks = depth / tile_depth;
    let mut tiles = super::AlignedWords::zeroed(columns * depth / per_lane);
    let group_scales: Vec<Vec<f32>> = tiles
        .par_chunks_mut(chunks * TILE_LANES)
        .enumerate()
        .map(|(group, tiles)| {
            let mut scales = Vec::new();
            let mut codes = vec![0u8; in_dim];
            for column in 0..TILE_COLUMNS {
                let out = group * TILE_COLUMNS + column;
                if out >= out_dim {
                    break;
                }
                let source = &weight[out * in_dim..][..in_dim];
                if format == TileFormat::Int8 {
                    scales.push(quantize_row(isa(), source, &mut codes, false));
                }
                // Lane `l` of the column holds inputs `l * n ..`: row `l % 16` of the tile for chunk
                // `l / 16`, which is 32-bit word `l * 16 + column` of the group.
                for (lane, start) in (0..in_dim).step_by(per_lane).enumerate() {
                    let mut word = 0u32;
                    for (slot, input) in (start..in_dim.min(start + per_lane)).enumerate() {
                        let code = match format {
                            TileFormat::Bf16 => u32::from(bf16(source[input])),
                            TileFormat::Int8 => u32::from(codes[input]),
                        };
                        word |= code << (bits * slot);
                    }
                    tiles[lane * TILE_COLUMNS + column] = word;
                }
            }
            scales
        })
        .collect();
    (tiles, group_scales.concat())
}

/// The tile configuration: tiles 0-3 the sums of a 32 x 32 block (rows 0-15 and 16-31 by columns
/// 0-15 and 16-31), 4-5 the inputs of rows 0-15 and 16-31, 6-7 the weights of columns 0-15 and
/// 16-31; every row 64 bytes.
#[repr(C, align(64))]
struct TileConfig {
    palette: u8,
    start_row: u8,
    reserved: [u8; 14],
    bytes_per_row: [u16; 16],
    rows: [u8; 16],
}

impl TileConfig {
    /// For a block of `rows` (1 to 32) rows: the tiles of rows 16-31 configured only when there are
    /// such rows, and every tile holding only the rows there are (a tile operation costs by the row:
    /// a decoding step of one sentence would otherwise compute 32 rows).
    fn for_rows(rows: usize) -> TileConfig {
        let (first, second) = (rows.min(16) as u8, rows.saturating_sub(16) as u8);
        let mut config =
            TileConfig { palette: 1, start_row: 0, reserved: [0; 14], bytes_per_row: [0; 16], rows: [0; 16] };
        let tiles =
            [(0, first), (1, first), (2, second), (3, second), (4, first), (5, second), (6, 16), (7, 16)];
        for (tile, rows) in tiles {
            if rows > 0 {
                config.rows[tile] = rows;
                config.bytes_per_row[tile] = ROW_BYTES as u16;
            }
        }
        config
    }
}

/// The rows of `a` (`in_dim` wide) in the tiles' input format, each padded with zeros to
/// `row_bytes`; for int8 also each row's scale (`x ~ scale * q`).
fn tile_inputs(a: &[f32], in_dim: usize, row_bytes: usize, format: TileFormat) -> (Vec<u8>, Vec<f32>) {
    let rows = a.len() / in_dim;
    let mut inputs = vec![0u8; rows * row_bytes];
    let rows_in = inputs.par_chunks_mut(row_bytes).zip(a.par_chunks(in_dim)).with_min_len(16);
    match format {
        TileFormat::Bf16 => {
            rows_in.for_each(|(out, row)| {
                for (out, &value) in out.chunks_exact_mut(2).zip(row) {
                    out.copy_from_slice(&bf16(value).to_le_bytes());
                }
            });
            (inputs, Vec::new())
        }
        TileFormat::Int8 => {
            let scales = rows_in.map(|(out, row)| quantize_row(isa(), row, out, false)).collect();
            (inputs, scales)
        }
    }
}

/// One row of a block's sums into `out` (its first `out.len()` columns, at most 32): as they are
/// (bf16 sums are f32) or scaled back (int8: `sum * (row_scale * column_scale)`), plus `bias`.
///
/// # Safety
/// AVX-512F must be present; `column_scales` (int8) and `bias` must have at least `out.len()` elements.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn write_sums(
    sums: &[u32],
    format: TileFormat,
    row_scale: f32,
    column_scales: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    use std::arch::x86_64::*;
    // SAFETY: AVX-512F is present (the caller's contract); loads and stores are masked to `out.len()`
    // columns, which `sums`, `column_scales` (int8) and `bias` all have.
    unsafe {
        for half in 0..2 {
            let start = half * 16;
            if start >= out.len() {
                break;
            }
            let mask = (((1u32 << (out.len() - start).min(16)) - 1) & 0xffff) as __mmask16;
            let sums = _mm512_loadu_si512(sums.as_ptr().add(start) as *const __m512i);
            let mut values = match format {
                TileFormat::Bf16 => _mm512_castsi512_ps(sums),
                TileFormat::Int8 => {
                    let scales = _mm512_maskz_loadu_ps(mask, column_scales.as_ptr().add(start));
                    _mm512_mul_ps(_mm512_cvtepi32_ps(sums), _mm512_mul_ps(_mm512_set1_ps(row_scale), scales))
                }
            };
            if let Some(bias) = bias {
                values = _mm512_add_ps(values, _mm512_maskz_loadu_ps(mask, bias.as_ptr().add(start)));
            }
            _mm512_mask_storeu_ps(out.as_mut_ptr().add(start), mask, values);
        }
    }
}

/// `a @ W + bias` for `a` `[rows, in_dim]` f32 and `tiles`, `column_scales` from [`pack`] with this
/// `format`: `[rows, out_dim]`.
///
/// # Safety
/// This CPU must run AMX (`Isa::Amx.available()`), `tiles` and `column_scales` must come from
/// `pack` with these sizes and format, and `a` and `bias` must have `rows * in_dim` and `out_dim`
/// elements.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn matmul(
    tiles: &[u32],
    column_scales: &[f32],
    format: TileFormat,
    in_dim: usize,
    out_dim: usize,
    a: &[f32],
    rows: usize,
    bias: Option<&[f32]>,
) -> Vec<f32> {
    use std::arch::asm;
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: the caller's contract: AMX is granted and the sizes match; each task writes only its
    // block's columns of `out`; every tile load and store stays within `inputs`, `tiles` and `sums`
    // (the second row tile's address is only formed, with `wrapping_add`, when a block has at most 16
    // rows, and then never loaded).
    unsafe {
        let chunks = in_dim.div_ceil(format.tile_depth());
        let row_bytes = chunks * ROW_BYTES;
        let (inputs, row_scales) = tile_inputs(&a[..rows * in_dim], in_dim, row_bytes, format);
        let mut out: Vec<f32> = Vec::with_capacity(rows * out_dim);
        let out_ptr = SharedOut::uninitialized(&mut out);
        let blocks = out_dim.div_ceil(BLOCK);
        (0..blocks).into_par_iter().with_min_len(4).for_each_init(
            || vec![0u32; BLOCK * BLOCK],
            |sums, block| {
                // Weight tiles of this block's two 16-column groups, and of the next block (prefetched
                // while the first row block computes).
                let weights = |group: usize| tiles.as_ptr().add(group * chunks * TILE_LANES) as *const u8;
                let (w0, w1) = (weights(2 * block), weights(2 * block + 1));
                let next = (block + 1 < blocks).then(|| weights(2 * block + 2) as *const i8);
                let mut configured_rows = 0;
                for row_block in 0..rows.div_ceil(BLOCK) {
                    let block_rows = BLOCK.min(rows - row_block * BLOCK);
                    if block_rows != configured_rows {
                        let config = TileConfig::for_rows(block_rows);
                        asm!("ldtilecfg [{}]", in(reg) &config, options(nostack, readonly));
                        configured_rows = block_rows;
                    }
                    let two_row_tiles = block_rows > 16;
                    let a0 = inputs.as_ptr().add(row_block * BLOCK * row_bytes);
                    let a1 = a0.wrapping_add(16 * row_bytes);
                    asm!("tilezero tmm0", "tilezero tmm1", options(nostack, nomem));
                    if two_row_tiles {
                        asm!("tilezero tmm2", "tilezero tmm3", options(nostack, nomem));
                    }
                    for chunk in 0..chunks {
                        if let (0, Some(next)) = (row_block, next) {
                            for line in 0..16 {
                                _mm_prefetch::<_MM_HINT_T0>(next.add(chunk * 1024 + line * 64));
                                _mm_prefetch::<_MM_HINT_T0>(next.add((chunks + chunk) * 1024 + line * 64));
                            }
                        }
                        let (a0, w0, w1) =
                            (a0.add(chunk * ROW_BYTES), w0.add(chunk * 1024), w1.add(chunk * 1024));
                        asm!(
                            "tileloadd tmm4, [{a0} + {input_stride}*1]",
                            "tileloadd tmm6, [{w0} + {weight_stride}*1]",
                            "tileloadd tmm7, [{w1} + {weight_stride}*1]",
                            a0 = in(reg) a0,
                            input_stride = in(reg) row_bytes,
                            w0 = in(reg) w0,
                            w1 = in(reg) w1,
                            weight_stride = in(reg) ROW_BYTES,
                            options(nostack, readonly),
                        );
                        match format {
                            TileFormat::Bf16 => asm!(
                                "tdpbf16ps tmm0, tmm4, tmm6",
                                "tdpbf16ps tmm1, tmm4, tmm7",
                                options(nostack, nomem)
                            ),
                            TileFormat::Int8 => asm!(
                                "tdpbssd tmm0, tmm4, tmm6",
                                "tdpbssd tmm1, tmm4, tmm7",
                                options(nostack, nomem)
                            ),
                        }
                        if two_row_tiles {
                            // Rows 16-31 against the weight tiles still loaded.
                            asm!(
                                "tileloadd tmm5, [{a1} + {input_stride}*1]",
                                a1 = in(reg) a1.add(chunk * ROW_BYTES),
                                input_stride = in(reg) row_bytes,
                                options(nostack, readonly),
                            );
                            match format {
                                TileFormat::Bf16 => asm!(
                                    "tdpbf16ps tmm2, tmm5, tmm6",
                                    "tdpbf16ps tmm3, tmm5, tmm7",
                                    options(nostack, nomem)
                                ),
                                TileFormat::Int8 => asm!(
                                    "tdpbssd tmm2, tmm5, tmm6",
                                    "tdpbssd tmm3, tmm5, tmm7",
                                    options(nostack, nomem)
                                ),
                            }
                        }
                    }
                    let sums_ptr = sums.as_mut_ptr() as *mut u8;
                    asm!(
                        "tilestored [{s00} + {stride}*1], tmm0",
                        "tilestored [{s01} + {stride}*1], tmm1",
                        s00 = in(reg) sums_ptr,
                        s01 = in(reg) sums_ptr.add(64),
                        stride = in(reg) BLOCK * 4,
                        options(nostack),
                    );
                    if two_row_tiles {
                        asm!(
                            "tilestored [{s10} + {stride}*1], tmm2",
                            "tilestored [{s11} + {stride}*1], tmm3",
                            s10 = in(reg) sums_ptr.add(16 * BLOCK * 4),
                            s11 = in(reg) sums_ptr.add(16 * BLOCK * 4 + 64),
                            stride = in(reg) BLOCK * 4,
                            options(nostack),
                        );
                    }
                    // The block's valid rows and columns, scaled back (int8) and with the bias, into the
                    // output.
                    let first_column = block * BLOCK;
                    let columns = BLOCK.min(out_dim - first_column);
                    for row in 0..block_rows {
                        let out_row = row_block * BLOCK + row;
                        write_sums(
                            &sums[row * BLOCK..][..BLOCK],
                            format,
                            row_scales.get(out_row).copied().unwrap_or(1.0),
                            &column_scales[first_column.min(column_scales.len())..],
                            bias.map(|bias| &bias[first_column..]),
                            std::slice::from_raw_parts_mut(
                                out_ptr.ptr().add(out_row * out_dim + first_column),
                                columns,
                            ),
                        );
                    }
                }
                asm!("tilerelease", options(nostack, nomem));
            },
        );
        // Every task wrote its block's columns of every row; the blocks cover all columns.
        out.set_len(rows * out_dim);
        out
    }
}
