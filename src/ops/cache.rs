//! The decoder's self-attention cache on tensors: our step-by-step CPU buffers (`cpu::kv_cache`) for
//! f32 on the CPU, tensors concatenated each step elsewhere.

use candle_core::{Result, Tensor};

use super::attention::attention;
use super::with_f32_slice;
use crate::cpu::attention as kernel;
use crate::cpu::kv_cache::KeyValueBuffers;

/// The self-attention keys and values `[rows, heads, len, head_dim]` of the tokens a decoder has fed
/// so far: in CPU buffers, one per step (f32 on the CPU), else tensors concatenated each step.
/// Reordering rows (beams, finished inputs) is applied at the next append (on the CPU it copies no
/// keys or values; tensors are selected and concatenated in one copy per step instead of two).
pub(crate) struct SelfAttentionCache {
    storage: Storage,
    /// Rows to keep, in order (`u32`), at the next `append`.
    pending_rows: Option<Tensor>,
}

enum Storage {
    Empty,
    Steps(KeyValueBuffers),
    Tensors { keys: Tensor, values: Tensor },
}

impl SelfAttentionCache {
    pub(crate) fn new() -> Self {
        SelfAttentionCache { storage: Storage::Empty, pending_rows: None }
    }

    /// Keeps the rows `rows` (`u32` indices into the current rows, in order); the copy happens at the
    /// next `append`.
    pub(crate) fn reorder(&mut self, rows: &Tensor) -> Result<()> {
        self.pending_rows = Some(match &self.pending_rows {
            // A second reorder before the next step: rows of the first selection.
            Some(pending) => pending.index_select(rows, 0)?,
            None => rows.clone(),
        });
        Ok(())
    }

    /// Appends a step's `keys`/`values` `[rows, heads, 1, head_dim]` (after any pending reorder).
    pub(crate) fn append(&mut self, keys: Tensor, values: Tensor) -> Result<()> {
        let rows = self.pending_rows.take();
        let rows = rows.as_ref();
        let storage = std::mem::replace(&mut self.storage, Storage::Empty);
        self.storage = match storage {
            Storage::Empty => match steps_start(&keys, &values) {
                Some(buffers) => Storage::Steps(buffers?),
                None => Storage::Tensors { keys, values },
            },
            Storage::Steps(mut buffers) => {
                let rows = rows.map(|rows| rows.to_vec1::<u32>()).transpose()?;
                let (keys, values) = (keys.contiguous()?, values.contiguous()?);
                let appended = with_f32_slice(&keys, |keys| {
                    with_f32_slice(&values, |values| buffers.append(rows.as_deref(), keys, values))
                });
                match appended.flatten() {
                    Some(result) => result.map_err(candle_core::Error::Msg)?,
                    None => candle_core::bail!("self-attention cache: keys/values are not f32 CPU tensors"),
                }
                Storage::Steps(buffers)
            }
            Storage::Tensors { keys: cached_keys, values: cached_values } => Storage::Tensors {
                keys: reorder_and_append(&cached_keys, rows, keys)?,
                values: reorder_and_append(&cached_values, rows, values)?,
            },
        };
        Ok(())
    }

    /// Attention of a step's `queries` `[rows, heads, 1, head_dim]` (scaled) over the cache (one row
    /// of keys and values per query row): the context, `[rows, heads, 1, head_dim]`.
    pub(crate) fn attend(&self, queries: &Tensor) -> Result<Tensor> {
        match &self.storage {
            Storage::Empty => candle_core::bail!("self-attention cache is empty"),
            Storage::Tensors { keys, values } => attention(queries, keys, values, None),
            Storage::Steps(buffers) => {
                let (rows, heads, len, dim) = queries.dims4()?;
                let queries = queries.contiguous()?;
                let context = with_f32_slice(&queries, |queries| {
                    let kv = buffers.view();
                    if len != 1 || kv.rows != rows {
                        return None;
                    }
                    kernel::attention_over_steps(queries, kv, heads, dim)
                });
                match context.flatten() {
                    Some(context) => Tensor::from_vec(context, (rows, heads, len, dim), queries.device()),
                    None => candle_core::bail!("self-attention cache does not fit the queries"),
                }
            }
        }
    }
}

/// Step buffers holding the first step's `keys`/`values` (`[rows, heads, 1, head_dim]`), when
/// they are f32 CPU tensors.
fn steps_start(keys: &Tensor, values: &Tensor) -> Option<Result<KeyValueBuffers>> {
    let (rows, heads, one, head_dim) = keys.dims4().ok()?;
    if one != 1
        || values.dims() != keys.dims()
        || !keys.device().is_cpu()
        || keys.dtype() != candle_core::DType::F32
    {
        return None;
    }
    let mut buffers = KeyValueBuffers::new(rows, heads, head_dim);
    let (keys, values) = match (keys.contiguous(), values.contiguous()) {
        (Ok(keys), Ok(values)) => (keys, values),
        (Err(error), _) | (_, Err(error)) => return Some(Err(error)),
    };
    let appended =
        with_f32_slice(&keys, |keys| with_f32_slice(&values, |values| buffers.append(None, keys, values)));
    match appended.flatten()? {
        Ok(()) => Some(Ok(buffers)),
        Err(problem) => Some(Err(candle_core::Error::Msg(problem))),
    }
}

/// `cat([cached.index_select(rows, 0), new], 2)` (caches off the CPU or not in f32).
fn reorder_and_append(cached: &Tensor, rows: Option<&Tensor>, new: Tensor) -> Result<Tensor> {
    let cached = match rows {
        Some(rows) => cached.index_select(rows, 0)?,
        None => cached.clone(),
    };
    Tensor::cat(&[&cached, &new], 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    fn max_difference(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

    /// The step-by-step cache and the concatenated tensors give the same attention, step after step, with
    /// rows reordered in between.
    #[test]
    fn step_and_tensor_caches_agree() {
        let device = Device::Cpu;
        let (rows, heads, dim) = (3, 2, 16);
        let (mut steps, mut tensors) = (SelfAttentionCache::new(), SelfAttentionCache::new());
        for step in 0..5 {
            let keys = Tensor::randn(0f32, 1.0, (rows, heads, 1, dim), &device).unwrap();
            let values = Tensor::randn(0f32, 1.0, (rows, heads, 1, dim), &device).unwrap();
            if step % 2 == 1 {
                // Two reorders before a step compose.
                for rows in [[2u32, 0, 0], [0, 2, 1]] {
                    let rows = Tensor::new(&rows, &device).unwrap();
                    steps.reorder(&rows).unwrap();
                    tensors.reorder(&rows).unwrap();
                }
            }
            steps.append(keys.clone(), values.clone()).unwrap();
            let f64s = |t: &Tensor| t.to_dtype(DType::F64).unwrap();
            tensors.append(f64s(&keys), f64s(&values)).unwrap();
            assert!(matches!(steps.storage, Storage::Steps(_)));
            assert!(matches!(tensors.storage, Storage::Tensors { .. }));
            let queries = Tensor::randn(0f32, 1.0, (rows, heads, 1, dim), &device).unwrap();
            let ours = steps.attend(&queries).unwrap();
            let theirs = tensors.attend(&f64s(&queries)).unwrap().to_dtype(DType::F32).unwrap();
            assert!(max_difference(&ours, &theirs) < 1e-5, "step {step}");
        }
    }
}
