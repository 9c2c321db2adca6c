//! Products and transposes of unpacked f32 matrices: the `gemm` crate (candle's CPU matrix library)
//! called from inside our own parallel tasks, and cache-friendly transposes. Used where weights are not
//! packed (levels without packed kernels) and by attention over many queries.

use rayon::prelude::*;

use super::parallel::SharedOut;

/// `dst = lhs @ rhs` with the `gemm` crate, in the calling thread (the callers run one per rayon task):
/// `dst` `[m, n]` and `lhs` `[m, k]` row-major, `rhs` `[k, n]` with element `(i, j)` at
/// `i * rhs_row_stride + j * rhs_column_stride`.
///
/// # Safety
/// The pointers must be valid for those extents, and `dst` not overlap the others.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn matmul_in_thread(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    lhs: *const f32,
    rhs: *const f32,
    rhs_row_stride: isize,
    rhs_column_stride: isize,
) {
    // SAFETY: the caller guarantees the extents; `gemm` reads and writes only within them.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            n as isize,
            false,
            lhs,
            1,
            k as isize,
            rhs,
            rhs_column_stride,
            rhs_row_stride,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// `x @ weight^T + bias` for `x` `[rows, dim]`, `weight` `[vocab, dim]` and `bias` `[vocab]` (all
/// row-major): the `[rows, vocab]` logits. `None` when the sizes do not fit together.
///
/// The vocabulary is cut into slices of `SLICE` words, one task each: the task multiplies its slice of
/// the weight by `x^T` (the matrix library's fast orientation: long side first) into a small buffer
/// that stays in cache, then writes it transposed, with the bias, into its columns of the logits. One
/// pass over the weight and none over a full-size intermediate.
pub(crate) fn project_to_vocab(x: &[f32], weight: &[f32], bias: &[f32], dim: usize) -> Option<Vec<f32>> {
    const SLICE: usize = 512;
    let vocab = bias.len();
    if dim == 0 || !x.len().is_multiple_of(dim) || weight.len() != vocab.checked_mul(dim)? {
        return None;
    }
    let rows = x.len() / dim;
    let mut logits = vec![0f32; rows * vocab];
    let out = SharedOut::new(&mut logits);
    (0..vocab.div_ceil(SLICE)).into_par_iter().for_each(|slice| {
        let first = slice * SLICE;
        let words = SLICE.min(vocab - first);
        let mut buffer = vec![0f32; words * rows];
        // SAFETY: the pointers and strides describe `weight[first..first + words]` ([words, dim],
        // row-major), `x` read as `x^T` ([dim, rows]) and `buffer` ([words, rows], row-major), all in
        // bounds (sizes checked above); nothing else writes `buffer`.
        unsafe {
            matmul_in_thread(
                words,
                rows,
                dim,
                buffer.as_mut_ptr(),
                weight[first * dim..].as_ptr(),
                x.as_ptr(),
                1,
                dim as isize,
            );
        }
        for row in 0..rows {
            for word in 0..words {
                // SAFETY: `row * vocab + first + word` < rows * vocab, and the columns
                // `first..first + words` belong to this task alone.
                unsafe {
                    *out.ptr().add(row * vocab + first + word) =
                        buffer[word * rows + row] + bias[first + word];
                }
            }
        }
    });
    Some(logits)
}

/// `by_vocab^T + bias` for `[vocab, rows]` scores and a `[vocab]` bias: the `[rows, vocab]` logits.
/// `None` when the sizes do not fit together.
///
/// Goes tile by tile (a tile of the vocabulary stays in cache while each row copies its column out of
/// it), a group of rows per thread; candle's strided copy takes several times longer.
pub(crate) fn transpose_add_bias(by_vocab: &[f32], bias: &[f32]) -> Option<Vec<f32>> {
    const TILE: usize = 256;
    let vocab = bias.len();
    if vocab == 0 || !by_vocab.len().is_multiple_of(vocab) {
        return None;
    }
    let rows = by_vocab.len() / vocab;
    let mut logits = vec![0f32; rows * vocab];
    let rows_per_group = rows.div_ceil(rayon::current_num_threads()).max(1);
    logits.par_chunks_mut(rows_per_group * vocab).enumerate().for_each(|(group, out)| {
        for tile_start in (0..vocab).step_by(TILE) {
            let tile = tile_start..(tile_start + TILE).min(vocab);
            for (offset, out_row) in out.chunks_mut(vocab).enumerate() {
                let row = group * rows_per_group + offset;
                for word in tile.clone() {
                    out_row[word] = by_vocab[word * rows + row] + bias[word];
                }
            }
        }
    });
    Some(logits)
}

/// The transpose of a `[rows, cols]` row-major matrix: `[cols, rows]`. `None` when the sizes do not
/// fit.
///
/// Used once per weight at load time: candle's strided copy moves ~0.2 GB/s here, which made loading
/// a 2.5 GB model take 10 s; tiles that fit in cache go at memory speed.
pub(crate) fn transpose(data: &[f32], rows: usize, cols: usize) -> Option<Vec<f32>> {
    const TILE: usize = 64;
    if data.len() != rows.checked_mul(cols)? {
        return None;
    }
    if data.is_empty() {
        return Some(Vec::new());
    }
    let mut out = vec![0f32; rows * cols];
    // Each task fills a band of TILE output rows (= input columns).
    out.par_chunks_mut(TILE * rows).enumerate().for_each(|(band, out)| {
        let first_col = band * TILE;
        let band_cols = out.len() / rows;
        for row_start in (0..rows).step_by(TILE) {
            for row in row_start..(row_start + TILE).min(rows) {
                let input = &data[row * cols + first_col..][..band_cols];
                for (col, &value) in input.iter().enumerate() {
                    out[col * rows + row] = value;
                }
            }
        }
    });
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(count: usize, seed: usize) -> Vec<f32> {
        (0..count).map(|i| ((i * 7919 + seed * 104729) % 2003) as f32 / 1000.0 - 1.0).collect()
    }

    #[test]
    fn vocabulary_projection_matches_the_definition() {
        for (rows, dim, vocab) in [(1, 16, 7), (5, 24, 1300), (32, 8, 512)] {
            let (x, weight, bias) = (values(rows * dim, 1), values(vocab * dim, 2), values(vocab, 3));
            let logits = project_to_vocab(&x, &weight, &bias, dim).unwrap();
            for row in 0..rows {
                for word in 0..vocab {
                    let want: f64 = (0..dim)
                        .map(|k| x[row * dim + k] as f64 * weight[word * dim + k] as f64)
                        .sum::<f64>()
                        + bias[word] as f64;
                    assert!((logits[row * vocab + word] as f64 - want).abs() < 1e-4);
                }
            }
        }
        assert!(project_to_vocab(&[1.0; 3], &[1.0; 4], &[0.0; 2], 2).is_none());
    }

    #[test]
    fn transposes_move_every_element() {
        for (rows, cols) in [(1, 1), (3, 130), (129, 70), (64, 64)] {
            let matrix = values(rows * cols, rows);
            let transposed = transpose(&matrix, rows, cols).unwrap();
            let bias = values(rows, 5);
            let with_bias = transpose_add_bias(&matrix, &bias).unwrap();
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(transposed[c * rows + r], matrix[r * cols + c]);
                    assert_eq!(with_bias[c * rows + r], matrix[r * cols + c] + bias[r]);
                }
            }
        }
        assert!(transpose(&[1.0; 5], 2, 3).is_none());
    }
}
