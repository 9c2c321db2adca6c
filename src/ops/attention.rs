//! Softmax attention on tensors.

use candle_core::{Result, Tensor};

use super::{with_f32_rows, with_f32_slice};
use crate::cpu::attention::{self as kernel, KeysValues};
use crate::cpu::parallel::filled_in_parallel;

/// `softmax(queries @ keys^T + mask) @ values` for `queries` `[batch, heads, len, dim]` (already
/// scaled) over `keys`/`values` `[kv_batch, heads, kv_len, dim]`, with an optional additive `mask`
/// `[kv_batch, 1, 1, kv_len]`: the context `[batch, heads, len, dim]`. `kv_batch` divides `batch`:
/// query rows `i * batch / kv_batch ..` share keys/values `i` (the beams of one input, stored once).
pub(crate) fn attention(
    queries: &Tensor,
    keys: &Tensor,
    values: &Tensor,
    mask: Option<&Tensor>,
) -> Result<Tensor> {
    if let Some(context) = attention_kernel(queries, keys, values, mask) {
        return context;
    }
    let batch = queries.dim(0)?;
    let (keys, values, mask) = expand_to_rows(keys, values, mask, batch)?;
    let mut scores = queries.matmul(&keys.t()?)?;
    if let Some(mask) = mask {
        scores = scores.broadcast_add(&mask)?;
    }
    candle_nn::ops::softmax_last_dim(&scores)?.matmul(&values)
}

/// [`attention`] in our kernel, for f32 CPU tensors of shapes it takes; `None` otherwise.
fn attention_kernel(
    queries: &Tensor,
    keys: &Tensor,
    values: &Tensor,
    mask: Option<&Tensor>,
) -> Option<Result<Tensor>> {
    let (batch, heads, len, dim) = queries.dims4().ok()?;
    let (kv_batch, kv_len) = (keys.dim(0).ok()?, keys.dim(2).ok()?);
    if keys.dims() != [kv_batch, heads, kv_len, dim] || values.dims() != keys.dims() {
        return None;
    }
    if mask.is_some_and(|mask| mask.dims() != [kv_batch, 1, 1, kv_len]) {
        return None;
    }
    let mask = match mask {
        Some(mask) => Some(with_f32_slice(mask, <[f32]>::to_vec)?),
        None => None,
    };
    let context = with_f32_slice(queries, |queries| {
        with_f32_slice(keys, |keys| {
            with_f32_slice(values, |values| {
                let kv = KeysValues { keys, values, batch: kv_batch, len: kv_len };
                kernel::attention(queries, kv, mask.as_deref(), heads, len, dim)
            })
        })
    })????;
    Some(Tensor::from_vec(context, (batch, heads, len, dim), queries.device()))
}

/// `rows` (`[tokens, heads * dim]`, one per token) split into heads and placed at their positions:
/// `[batch, heads, len, dim]`, row `i` at flat position `positions[i]` (of `batch * len`, increasing),
/// zeros at the positions no row has (padding). On f32 CPU tensors one parallel pass, each task
/// writing whole `[len, dim]` blocks; candle's zeros, scatter and transposing copy ran on one thread
/// and took 40% of the cross-attention keys' and values' time.
pub(crate) fn split_heads_at(
    rows: &Tensor,
    positions: &[u32],
    batch: usize,
    len: usize,
    heads: usize,
) -> Result<Tensor> {
    let (tokens, width) = rows.dims2()?;
    let increasing = positions.windows(2).all(|pair| pair[0] < pair[1]);
    let in_range = positions.last().is_none_or(|&last| (last as usize) < batch * len);
    if tokens != positions.len() || heads == 0 || width % heads != 0 || !increasing || !in_range {
        candle_core::bail!(
            "split_heads_at: {tokens} rows of {width} for {} increasing positions of {batch} x {len}, {heads} heads",
            positions.len()
        );
    }
    let dim = width / heads;
    let placed = with_f32_rows(rows, |data, row_stride| {
        // Which row each position holds (`u32::MAX`: none).
        let mut row_at = vec![u32::MAX; batch * len];
        for (row, &position) in positions.iter().enumerate() {
            row_at[position as usize] = row as u32;
        }
        filled_in_parallel(
            batch * heads * len * dim,
            len * dim,
            1,
            || (),
            |_, block, out| {
                let (input, head) = (block / heads, block % heads);
                for (position, out) in out.chunks_exact_mut(dim).enumerate() {
                    let row = row_at[input * len + position];
                    if row != u32::MAX {
                        out.copy_from_slice(&data[row as usize * row_stride + head * dim..][..dim]);
                    }
                }
            },
        )
    });
    match placed {
        Some(values) => Tensor::from_vec(values, (batch, heads, len, dim), rows.device()),
        None => Tensor::zeros((batch * len, width), rows.dtype(), rows.device())?
            .index_add(&Tensor::new(positions, rows.device())?, &rows.contiguous()?, 0)?
            .reshape((batch, len, heads, dim))?
            .transpose(1, 2)?
            .contiguous(),
    }
}

/// Keys, values and mask shared by groups of rows (`[kv_batch, ..]`) repeated for each of `rows`.
fn expand_to_rows(
    keys: &Tensor,
    values: &Tensor,
    mask: Option<&Tensor>,
    rows: usize,
) -> Result<(Tensor, Tensor, Option<Tensor>)> {
    let kv_batch = keys.dim(0)?;
    if kv_batch == rows {
        return Ok((keys.clone(), values.clone(), mask.cloned()));
    }
    let copies = rows / kv_batch.max(1);
    let index: Vec<u32> = (0..rows as u32).map(|row| row / copies as u32).collect();
    let index = Tensor::new(index.as_slice(), keys.device())?;
    Ok((
        keys.index_select(&index, 0)?,
        values.index_select(&index, 0)?,
        mask.map(|mask| mask.index_select(&index, 0)).transpose()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    fn max_difference(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

    /// Rows placed at their positions by heads: the parallel pass on f32 rows (whole or a column range
    /// of a wider tensor) gives exactly what candle's scatter and transposing copy give (on f64).
    #[test]
    fn split_heads_at_matches_candle_and_checks_its_positions() {
        let device = Device::Cpu;
        let (batch, len, heads, dim) = (3, 5, 2, 4);
        let positions: Vec<u32> = vec![0, 1, 2, 5, 6, 10, 11, 12, 13, 14];
        let wide = Tensor::randn(0f32, 1.0, (positions.len(), 3 * heads * dim), &device).unwrap();
        for rows in [
            wide.narrow(1, heads * dim, heads * dim).unwrap(),
            wide.narrow(1, 0, heads * dim).unwrap().contiguous().unwrap(),
        ] {
            let ours = split_heads_at(&rows, &positions, batch, len, heads).unwrap();
            let theirs =
                split_heads_at(&rows.to_dtype(DType::F64).unwrap(), &positions, batch, len, heads).unwrap();
            assert_eq!(ours.dims(), [batch, heads, len, dim]);
            let flat =
                |t: &Tensor| t.to_dtype(DType::F64).unwrap().flatten_all().unwrap().to_vec1::<f64>().unwrap();
            assert_eq!(flat(&ours), flat(&theirs));
            // Row 3 (position 5: input 1, position 0), head 1.
            let placed = ours.get(1).unwrap().get(1).unwrap().get(0).unwrap();
            let row = rows.get(3).unwrap().narrow(0, dim, dim).unwrap();
            assert_eq!(flat(&placed), flat(&row));
            assert!(flat(&ours.get(0).unwrap().get(0).unwrap().get(3).unwrap()).iter().all(|&v| v == 0.0));
        }
        let rows = wide.narrow(1, 0, heads * dim).unwrap();
        let mut repeated = positions.clone();
        repeated[3] = 2;
        assert!(split_heads_at(&rows, &repeated, batch, len, heads).is_err());
        let mut beyond = positions.clone();
        beyond[9] = 15;
        assert!(split_heads_at(&rows, &beyond, batch, len, heads).is_err());
        assert!(split_heads_at(&rows, &positions[1..], batch, len, heads).is_err());
    }

    /// The kernel (f32 on the CPU) and candle's operations (bf16, widened back) agree, with groups of
    /// rows sharing keys and a mask.
    #[test]
    fn kernel_and_candle_paths_agree() {
        let device = Device::Cpu;
        let (inputs, copies, heads, kv_len, dim) = (3, 4, 2, 9, 16);
        let queries = Tensor::randn(0f32, 1.0, (inputs * copies, heads, 1, dim), &device).unwrap();
        let keys = Tensor::randn(0f32, 1.0, (inputs, heads, kv_len, dim), &device).unwrap();
        let values = Tensor::randn(0f32, 1.0, (inputs, heads, kv_len, dim), &device).unwrap();
        let open: Vec<f32> = (0..inputs * kv_len)
            .map(|i| if i % kv_len < 2 + i / kv_len { 0.0 } else { f32::NEG_INFINITY })
            .collect();
        let mask = Tensor::from_vec(open, (inputs, 1, 1, kv_len), &device).unwrap();
        let ours = attention(&queries, &keys, &values, Some(&mask)).unwrap();
        let f64s = |t: &Tensor| t.to_dtype(DType::F64).unwrap();
        let theirs = attention(&f64s(&queries), &f64s(&keys), &f64s(&values), Some(&f64s(&mask))).unwrap();
        assert!(max_difference(&ours, &theirs.to_dtype(DType::F32).unwrap()) < 1e-5);
    }
}
