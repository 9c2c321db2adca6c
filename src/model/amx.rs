//! Matrix products on Intel AMX tiles (`tdpbf16ps`), for the bf16 number format on CPUs that have
//! them (Sapphire Rapids and later Xeons).
//!
//! One instruction multiplies a 16 x 32 bf16 tile of inputs by a 32 x 16 bf16 tile of weights into a
//! 16 x 16 f32 tile: sixteen times the arithmetic of an AVX-512 fused multiply-add. Inputs are rounded
//! to bf16 (the AVX-512 bf16 kernel keeps them f32), sums stay f32. Measured here (2 cores, this
//! module against `packed_gemm`'s f32 kernel): 32 x 512 x 61127 (a step's vocabulary projection) 5 ms
//! against 13-15 ms; 448 x 512 x 2048 (an encoder layer's feed-forward) 1.4 ms against 4-5 ms.
//!
//! Rust has no stable AMX intrinsics, so the tile instructions are inline assembly. Linux hands out
//! the tile registers only on request (`arch_prctl(ARCH_REQ_XCOMP_PERM)`), made once per process.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::packed_gemm::SharedOut;

/// Weights per tile row: a pair of inputs for each of 16 output columns.
const TILE_COLUMNS: usize = 16;
/// Inputs per tile (16 rows of input pairs).
const TILE_DEPTH: usize = 32;
/// Output columns and rows per block: 2 x 2 tiles of 16 x 16.
const BLOCK: usize = 32;
/// 32-bit lanes (input pairs) per weight tile.
const TILE_LANES: usize = TILE_DEPTH / 2 * TILE_COLUMNS;

/// Whether this CPU and OS run the AMX bf16 kernel (checked, and the tiles requested, once).
pub(crate) fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(detect)
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[allow(unused_unsafe)] // `__cpuid` is safe to call from Rust 1.90 on, unsafe before.
fn detect() -> bool {
    // CPUID leaf 7: EDX bit 22 AMX-BF16, bit 24 AMX-TILE.
    // SAFETY: CPUID leaf 0 exists on every x86-64 CPU, leaf 7 on those reporting it as available.
    let max_leaf = unsafe { std::arch::x86_64::__cpuid(0) }.eax;
    if max_leaf < 7 {
        return false;
    }
    let edx = unsafe { std::arch::x86_64::__cpuid_count(7, 0) }.edx;
    if edx & (1 << 22) == 0 || edx & (1 << 24) == 0 || !std::arch::is_x86_feature_detected!("avx512f") {
        return false;
    }
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: a plain system call with integer arguments; it fails cleanly on kernels without AMX
    // support.
    unsafe { libc::syscall(libc::SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0 }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn detect() -> bool {
    false
}

/// `value` rounded to the nearest bfloat16 (ties to even).
fn bf16(value: f32) -> u16 {
    super::packed_gemm::bf16_bits(value) as u16
}

/// A weight `[out_dim, in_dim]` (f32) packed as AMX weight tiles: for each 16 output columns (padded to
/// a multiple of 32), for each 32 inputs (padded with zeros), 16 rows of 16 lanes, lane `j` of row `i`
/// holding columns `j`'s weights for inputs `2i` (low half) and `2i + 1` (high half).
pub(crate) fn pack(weight: &[f32], out_dim: usize, in_dim: usize) -> Vec<u32> {
    let (columns, depth) = (out_dim.next_multiple_of(BLOCK), in_dim.next_multiple_of(TILE_DEPTH));
    let chunks = depth / TILE_DEPTH;
    let mut tiles = vec![0u32; columns * depth / 2];
    tiles.par_chunks_mut(chunks * TILE_LANES).enumerate().for_each(|(group, tiles)| {
        for column in 0..TILE_COLUMNS {
            let out = group * TILE_COLUMNS + column;
            if out >= out_dim {
                break;
            }
            let source = &weight[out * in_dim..][..in_dim];
            for (input, &value) in source.iter().enumerate() {
                let (chunk, pair, high) = (input / TILE_DEPTH, input % TILE_DEPTH / 2, input % 2);
                tiles[chunk * TILE_LANES + pair * TILE_COLUMNS + column] |=
                    u32::from(bf16(value)) << (16 * high);
            }
        }
    });
    tiles
}

/// The tile configuration: tiles 0-3 the f32 sums of a 32 x 32 block (rows 0-15 and 16-31 by
/// columns 0-15 and 16-31), 4-5 the inputs of rows 0-15 and 16-31, 6-7 the weights of columns 0-15
/// and 16-31; every row 64 bytes.
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
                config.bytes_per_row[tile] = 64;
            }
        }
        config
    }
}

/// `a @ W + bias` for `a` `[rows, in_dim]` f32 and `tiles` from [`pack`]: `[rows, out_dim]`.
///
/// # Safety
/// [`available`] must have returned `true`, `tiles` must come from `pack` with these sizes, and `a`
/// and `bias` must have `rows * in_dim` and `out_dim` elements.
#[cfg(target_arch = "x86_64")]
pub(crate) unsafe fn matmul(
    tiles: &[u32],
    in_dim: usize,
    out_dim: usize,
    a: &[f32],
    rows: usize,
    bias: Option<&[f32]>,
) -> Vec<f32> {
    use std::arch::asm;
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};

    let depth = in_dim.next_multiple_of(TILE_DEPTH);
    let chunks = depth / TILE_DEPTH;
    // The inputs in bf16, each row padded with zeros to a multiple of 32 inputs.
    let mut inputs = vec![0u16; rows * depth];
    inputs.par_chunks_mut(depth).take(rows).enumerate().with_min_len(16).for_each(|(row, out)| {
        for (out, &value) in out.iter_mut().zip(&a[row * in_dim..][..in_dim]) {
            *out = bf16(value);
        }
    });
    let mut out: Vec<f32> = Vec::with_capacity(rows * out_dim);
    let out_ptr = SharedOut(out.as_mut_ptr());
    let blocks = out_dim.div_ceil(BLOCK);
    let input_stride = depth * 2;
    (0..blocks).into_par_iter().with_min_len(4).for_each_init(
        || vec![0f32; BLOCK * BLOCK],
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
                let a0 = inputs.as_ptr().add(row_block * BLOCK * depth) as *const u8;
                let a1 = a0.add(16 * input_stride);
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
                    asm!(
                        "tileloadd tmm4, [{a0} + {input_stride}*1]",
                        "tileloadd tmm6, [{w0} + {weight_stride}*1]",
                        "tileloadd tmm7, [{w1} + {weight_stride}*1]",
                        "tdpbf16ps tmm0, tmm4, tmm6",
                        "tdpbf16ps tmm1, tmm4, tmm7",
                        a0 = in(reg) a0.add(chunk * 64),
                        input_stride = in(reg) input_stride,
                        w0 = in(reg) w0.add(chunk * 1024),
                        w1 = in(reg) w1.add(chunk * 1024),
                        weight_stride = in(reg) 64usize,
                        options(nostack, readonly),
                    );
                    if two_row_tiles {
                        // Rows 16-31 against the weight tiles still loaded.
                        asm!(
                            "tileloadd tmm5, [{a1} + {input_stride}*1]",
                            "tdpbf16ps tmm2, tmm5, tmm6",
                            "tdpbf16ps tmm3, tmm5, tmm7",
                            a1 = in(reg) a1.add(chunk * 64),
                            input_stride = in(reg) input_stride,
                            options(nostack, readonly),
                        );
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
                // The block's valid rows and columns, with the bias, into the output.
                let first_column = block * BLOCK;
                let columns = BLOCK.min(out_dim - first_column);
                for row in 0..block_rows {
                    let out = out_ptr.ptr().add((row_block * BLOCK + row) * out_dim + first_column);
                    let sums = &sums[row * BLOCK..][..columns];
                    match bias {
                        Some(bias) => {
                            for (column, (&sum, &bias)) in sums.iter().zip(&bias[first_column..]).enumerate()
                            {
                                *out.add(column) = sum + bias;
                            }
                        }
                        None => std::ptr::copy_nonoverlapping(sums.as_ptr(), out, columns),
                    }
                }
            }
            asm!("tilerelease", options(nostack, nomem));
        },
    );
    // SAFETY: every task wrote its block's columns of every row; the blocks cover all columns.
    out.set_len(rows * out_dim);
    out
}
