//! Softmax attention on tensors.

use candle_core::{Result, Tensor};

use super::with_f32_slice;
use crate::cpu::attention::{self as kernel, KeysValues};

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
