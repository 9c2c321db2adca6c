//! Linear layers, the vocabulary projection and token embeddings, with their weights packed once for
//! the CPU's packed-product kernels where the model runs on them.

use std::sync::Arc;

use candle_core::{DType, Module, Result, Tensor};
use candle_nn::Embedding;

use super::{f32_vec, with_f32_slice, PackedFormat};
use crate::cpu::dense;
use crate::cpu::gemm::PackedWeight;

/// A linear layer applied as one matrix product over all leading dimensions (`[.., in] -> [.., out]`).
///
/// With a packing format (f32 weights for our packed kernels, chosen by the loader from the CPU level
/// in use), the weight is packed once: a decoding step's few rows run 1.5-3x faster than through
/// candle, which repacks the weight on every call. Otherwise the weight is kept transposed (`[in,
/// out]`, contiguous) for candle: with few rows its CPU matrix library runs 2-5x faster on that than on
/// the checkpoint's `[out, in]` read through a transposed view. Either way all leading dimensions are
/// flattened into one product (`candle_nn::Linear` would run one small product per batch row).
pub(crate) enum Linear {
    Packed { packed: PackedWeight, bias: Vec<f32> },
    Transposed { weight_t: Tensor, bias: Tensor },
}

impl Linear {
    /// A linear layer of `weight` (`[out, in]`) and `bias` (`[out]`), packed in `packing` if given.
    pub(crate) fn new(weight: Tensor, bias: Tensor, packing: Option<PackedFormat>) -> Result<Self> {
        let packed = packing.and_then(|format| pack_weight(&weight, format)).zip(f32_vec(&bias));
        Ok(match packed {
            Some((packed, bias)) => Linear::Packed { packed, bias },
            None => Linear::Transposed { weight_t: transpose(&weight)?, bias },
        })
    }

    pub(crate) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dims = x.dims();
        let (rows, in_dim) = (dims[..dims.len() - 1].iter().product::<usize>(), dims[dims.len() - 1]);
        let (flat, out_dim) = match self {
            Linear::Packed { packed, bias } => {
                (packed_matmul(&x.reshape((rows, in_dim))?, packed, bias)?, packed.out_dim())
            }
            Linear::Transposed { weight_t, bias } => {
                (x.reshape((rows, in_dim))?.matmul(weight_t)?.broadcast_add(bias)?, weight_t.dim(1)?)
            }
        };
        let mut out_dims = dims.to_vec();
        *out_dims.last_mut().unwrap_or(&mut 0) = out_dim;
        flat.reshape(out_dims)
    }
}

/// `weight` (`[out, in]`, f32 on the CPU) packed in `format`, when this CPU runs that format's kernels.
fn pack_weight(weight: &Tensor, format: PackedFormat) -> Option<PackedWeight> {
    if !format.supported() {
        return None;
    }
    let (out_dim, in_dim) = weight.dims2().ok()?;
    with_f32_slice(weight, |data| PackedWeight::from_out_in(data, out_dim, in_dim, format))?
}

/// `x @ W + bias` for `x` `[rows, in]` with a packed `W`: `[rows, out]`.
fn packed_matmul(x: &Tensor, weight: &PackedWeight, bias: &[f32]) -> Result<Tensor> {
    let (rows, in_dim) = x.dims2()?;
    if in_dim != weight.in_dim() || x.dtype() != DType::F32 || !x.device().is_cpu() {
        candle_core::bail!(
            "a packed product of {} inputs got {:?} {:?} on {:?}",
            weight.in_dim(),
            x.dims(),
            x.dtype(),
            x.device()
        );
    }
    let x = x.contiguous()?;
    match with_f32_slice(&x, |x| weight.matmul(x, rows, Some(bias))) {
        Some(product) => Tensor::from_vec(product, (rows, weight.out_dim()), x.device()),
        None => candle_core::bail!("packed product input is not readable as f32"),
    }
}

/// The transpose of a 2-d tensor, contiguous: tile by tile for f32 CPU tensors (candle's strided copy
/// moves ~0.2 GB/s there, which made loading a 2.5 GB model take 10 s).
fn transpose(matrix: &Tensor) -> Result<Tensor> {
    let (rows, cols) = matrix.dims2()?;
    match with_f32_slice(matrix, |data| dense::transpose(data, rows, cols)).flatten() {
        Some(transposed) => Tensor::from_vec(transposed, (cols, rows), matrix.device()),
        None => matrix.t()?.contiguous(),
    }
}

/// The output projection `x @ weight^T + bias`: `[rows, d]` decoder states to `[rows, vocab]` f32
/// logits, for a `[vocab, d]` weight (often the tied embedding matrix).
pub(crate) enum VocabProjection {
    /// Packed for our CPU kernel, with the bias as f32.
    Packed { packed: Arc<PackedWeight>, bias: Vec<f32> },
    /// candle tensors.
    Tensor { weight: Tensor, bias: Tensor },
}

impl VocabProjection {
    pub(crate) fn new(weight: Tensor, bias: Tensor, packing: Option<PackedFormat>) -> Self {
        let packed = packing.and_then(|format| pack_weight(&weight, format)).zip(f32_vec(&bias));
        match packed {
            Some((packed, bias)) => VocabProjection::Packed { packed: Arc::new(packed), bias },
            None => VocabProjection::Tensor { weight, bias },
        }
    }

    /// The embedding table for `weight`, the decoder's input embedding: when the model ties it to this
    /// projection (`tied`) and the projection is packed in f32, rows read back out of the packed matrix,
    /// so the large matrix is stored once; otherwise `weight` itself.
    pub(crate) fn input_embedding(&self, tied: bool, weight: Tensor) -> Result<TokenEmbedding> {
        if let (true, VocabProjection::Packed { packed, .. }) = (tied, self) {
            if packed.format() == PackedFormat::F32 {
                return Ok(TokenEmbedding::Packed(packed.clone()));
            }
        }
        let d = weight.dim(1)?;
        Ok(TokenEmbedding::Table(Embedding::new(weight, d)))
    }

    /// Elsewhere than the packed kernel the product is computed as `(weight @ x^T)^T`: with the
    /// vocabulary as the long side the matrix library streams the large weight once and splits it
    /// between threads, 2x faster at 32 rows than `x @ weight^T` for the 61k-word Marian vocabulary; on
    /// the CPU in f32 a kernel does that slice by slice of the vocabulary (`dense::project_to_vocab`).
    pub(crate) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (weight, bias) = match self {
            VocabProjection::Packed { packed, bias } => return packed_matmul(x, packed, bias),
            VocabProjection::Tensor { weight, bias } => (weight, bias),
        };
        let (rows, dim) = x.dims2()?;
        let projected = with_f32_slice(x, |x| {
            with_f32_slice(weight, |weight| {
                with_f32_slice(bias, |bias| dense::project_to_vocab(x, weight, bias, dim))
            })
        });
        if let Some(logits) = projected.flatten().flatten().flatten() {
            return Tensor::from_vec(logits, (rows, weight.dim(0)?), weight.device());
        }
        let by_vocab = weight.matmul(&x.t()?)?.to_dtype(DType::F32)?;
        let bias = bias.to_dtype(DType::F32)?;
        let transposed = with_f32_slice(&by_vocab, |by_vocab| {
            with_f32_slice(&bias, |bias| dense::transpose_add_bias(by_vocab, bias))
        });
        match transposed.flatten().flatten() {
            Some(logits) => Tensor::from_vec(logits, (rows, weight.dim(0)?), by_vocab.device()),
            None => by_vocab.t()?.broadcast_add(&bias),
        }
    }
}

/// A token embedding table: candle's, or rows read out of the packed output projection it is tied to.
#[derive(Clone)]
pub(crate) enum TokenEmbedding {
    Table(Embedding),
    Packed(Arc<PackedWeight>),
}

impl TokenEmbedding {
    /// The embeddings of `ids` (`u32`, any shape): that shape plus `[d]`.
    pub(crate) fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        let packed = match self {
            TokenEmbedding::Table(table) => return table.forward(ids),
            TokenEmbedding::Packed(packed) => packed,
        };
        let d = packed.in_dim();
        let flat = ids.flatten_all()?.to_vec1::<u32>()?;
        let mut rows = vec![0f32; flat.len() * d];
        for (&id, row) in flat.iter().zip(rows.chunks_mut(d)) {
            if !packed.out_row(id as usize, row) {
                candle_core::bail!("token id {id} outside the embedding table ({} rows)", packed.out_dim());
            }
        }
        let mut dims = ids.dims().to_vec();
        dims.push(d);
        Tensor::from_vec(rows, dims, ids.device())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn max_difference(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

    /// Every way a linear layer and the vocabulary projection can run gives `x @ W^T + b`.
    #[test]
    fn linear_and_projection_match_candle_in_every_form() {
        let device = Device::Cpu;
        let (rows, in_dim, out_dim) = (5, 24, 70);
        let x = Tensor::randn(0f32, 1.0, (rows, in_dim), &device).unwrap();
        let weight = Tensor::randn(0f32, 1.0, (out_dim, in_dim), &device).unwrap();
        let bias = Tensor::randn(0f32, 1.0, out_dim, &device).unwrap();
        let want = x.matmul(&weight.t().unwrap()).unwrap().broadcast_add(&bias).unwrap();
        let packings = [None, Some(PackedFormat::F32)];
        for packing in packings.into_iter().filter(|p| p.is_none_or(PackedFormat::supported)) {
            let linear = Linear::new(weight.clone(), bias.clone(), packing).unwrap();
            assert!(max_difference(&linear.forward(&x).unwrap(), &want) < 1e-4, "{packing:?}");
            let projection = VocabProjection::new(weight.clone(), bias.clone(), packing);
            assert!(max_difference(&projection.forward(&x).unwrap(), &want) < 1e-4, "{packing:?}");
        }
        // bf16 tensors: candle's products.
        let half = |t: &Tensor| t.to_dtype(DType::BF16).unwrap();
        let projection = VocabProjection::new(half(&weight), half(&bias), None);
        let logits = projection.forward(&half(&x)).unwrap();
        assert_eq!(logits.dtype(), DType::F32);
        assert!(max_difference(&logits, &want) < 0.5);
    }
}
