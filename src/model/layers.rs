//! Building blocks shared by the encoder-decoder architectures: attention with caches, feed-forward
//! blocks, activations and sinusoidal positions.

use candle_core::{DType, Device, Tensor};
use rayon::prelude::*;
use std::sync::Arc;

use candle_nn::{Embedding, LayerNorm, Module, VarBuilder};

use super::packed_gemm::{Format, PackedWeight};
use super::{cpu_kernels, DecoderState};
use crate::error::Result;

/// The activations `transformers` names in `activation_function` (its `ACT2FN` table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activation {
    /// `gelu`: the exact (erf) form.
    Gelu,
    /// `gelu_new`, `gelu_fast`, `gelu_pytorch_tanh`: the tanh approximation.
    GeluTanh,
    Relu,
    /// `swish` / `silu`.
    Silu,
}

impl Activation {
    /// The activation of a `transformers` name, if it is one we implement.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "gelu" => Activation::Gelu,
            "gelu_new" | "gelu_fast" | "gelu_pytorch_tanh" => Activation::GeluTanh,
            "relu" => Activation::Relu,
            "swish" | "silu" => Activation::Silu,
            _ => return None,
        })
    }

    fn forward(self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Activation::Gelu => x.gelu_erf(),
            Activation::GeluTanh => x.gelu(),
            Activation::Relu => x.relu(),
            Activation::Silu => cpu_kernels::silu(x).unwrap_or_else(|| x.silu()),
        }
    }
}

/// A linear layer applied as one matrix product over all leading dimensions (`[.., in] -> [.., out]`).
///
/// On CPUs with AVX-512, f32 weights are packed once for our own kernel (`packed_gemm`): a decoding
/// step's few rows run 1.5-3x faster than through candle, which repacks the weight on every call.
/// Elsewhere the weight is kept transposed (`[in, out]`, contiguous) for candle: with few rows its CPU
/// matrix library runs 2-5x faster on that than on the checkpoint's `[out, in]` read through a
/// transposed view. Either way all leading dimensions are flattened into one product
/// (`candle_nn::Linear` would run one small product per batch row).
pub(crate) enum Linear {
    Packed { packed: PackedWeight, bias: Vec<f32> },
    Transposed { weight_t: Tensor, bias: Tensor },
}

impl Linear {
    /// `packing`: the format to pack the weight in for our CPU kernel, if any (see `loader::packing`).
    fn new(
        in_dim: usize,
        out_dim: usize,
        vb: VarBuilder,
        packing: Option<Format>,
    ) -> candle_core::Result<Self> {
        Self::from_weights(vb.get((out_dim, in_dim), "weight")?, vb.get(out_dim, "bias")?, packing)
    }

    /// A linear layer of `weight` (`[out, in]`) and `bias` (`[out]`).
    fn from_weights(weight: Tensor, bias: Tensor, packing: Option<Format>) -> candle_core::Result<Self> {
        let packed = packing
            .and_then(|format| cpu_kernels::pack_weight(&weight, format))
            .zip(cpu_kernels::f32_vec(&bias));
        Ok(match packed {
            Some((packed, bias)) => Linear::Packed { packed, bias },
            None => Linear::Transposed {
                weight_t: match cpu_kernels::transpose(&weight) {
                    Some(transposed) => transposed?,
                    None => weight.t()?.contiguous()?,
                },
                bias,
            },
        })
    }

    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let dims = x.dims();
        let (rows, in_dim) = (dims[..dims.len() - 1].iter().product::<usize>(), dims[dims.len() - 1]);
        let (flat, out_dim) = match self {
            Linear::Packed { packed, bias } => {
                match cpu_kernels::packed_matmul(&x.reshape((rows, in_dim))?, packed, bias) {
                    Some(product) => (product?, packed.out_dim()),
                    None => candle_core::bail!("packed linear layer got a non-f32 or non-CPU input"),
                }
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

/// Multi-head attention with query/key/value projections (`q_proj`, `k_proj`, `v_proj`, `out_proj`,
/// all with bias), as in BART-family models.
pub(crate) struct Attention {
    projections: Projections,
    out_proj: Linear,
    heads: usize,
    head_dim: usize,
    scaling: f64,
}

/// The query, key and value projections.
enum Projections {
    Separate {
        q_proj: Linear,
        k_proj: Linear,
        v_proj: Linear,
    },
    /// Self-attention with packed weights: the three weights side by side (`[.., 3 * d_model]` out),
    /// one product where there were three (one pass over the input, one hand-off to the threads, and a
    /// wider product that runs nearer the kernel's peak). Each output column is computed as in its
    /// own product, so the values are the same.
    Fused(Linear),
}

impl Attention {
    /// Attention whose keys and values come from elsewhere (cross-attention): separate projections.
    pub(crate) fn new(
        d_model: usize,
        heads: usize,
        vb: VarBuilder,
        packing: Option<Format>,
    ) -> candle_core::Result<Self> {
        let projections = Projections::Separate {
            q_proj: Linear::new(d_model, d_model, vb.pp("q_proj"), packing)?,
            k_proj: Linear::new(d_model, d_model, vb.pp("k_proj"), packing)?,
            v_proj: Linear::new(d_model, d_model, vb.pp("v_proj"), packing)?,
        };
        Self::with_projections(projections, d_model, heads, vb, packing)
    }

    /// Self-attention: queries, keys and values always of the same input, so with packed weights the
    /// three projections are one product.
    pub(crate) fn new_self(
        d_model: usize,
        heads: usize,
        vb: VarBuilder,
        packing: Option<Format>,
    ) -> candle_core::Result<Self> {
        // (Only for our kernel, where each column's sum is computed alike in any product; elsewhere
        // the matrix library might block a wider product differently.)
        if !packing.is_some_and(Format::supported) {
            return Self::new(d_model, heads, vb, packing);
        }
        let parts = ["q_proj", "k_proj", "v_proj"];
        let weights = parts
            .iter()
            .map(|part| vb.pp(part).get((d_model, d_model), "weight"))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let biases = parts
            .iter()
            .map(|part| vb.pp(part).get(d_model, "bias"))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let fused = Linear::from_weights(Tensor::cat(&weights, 0)?, Tensor::cat(&biases, 0)?, packing)?;
        Self::with_projections(Projections::Fused(fused), d_model, heads, vb, packing)
    }

    fn with_projections(
        projections: Projections,
        d_model: usize,
        heads: usize,
        vb: VarBuilder,
        packing: Option<Format>,
    ) -> candle_core::Result<Self> {
        let head_dim = d_model / heads;
        Ok(Attention {
            projections,
            out_proj: Linear::new(d_model, d_model, vb.pp("out_proj"), packing)?,
            heads,
            head_dim,
            scaling: (head_dim as f64).powf(-0.5),
        })
    }

    /// `[batch, len, d_model]` -> `[batch, heads, len, head_dim]`.
    fn split_heads(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, len, _) = x.dims3()?;
        x.reshape((batch, len, self.heads, self.head_dim))?.transpose(1, 2)?.contiguous()
    }

    /// Queries (unscaled), keys and values of `x` (`[.., d_model]`), not split into heads.
    fn project_rows(&self, x: &Tensor) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
        match &self.projections {
            Projections::Separate { q_proj, k_proj, v_proj } => {
                Ok((q_proj.forward(x)?, k_proj.forward(x)?, v_proj.forward(x)?))
            }
            Projections::Fused(qkv) => {
                let all = qkv.forward(x)?;
                let (last, d_model) = (all.rank() - 1, self.heads * self.head_dim);
                Ok((
                    all.narrow(last, 0, d_model)?,
                    all.narrow(last, d_model, d_model)?,
                    all.narrow(last, 2 * d_model, d_model)?,
                ))
            }
        }
    }

    /// Keys and values of `x` (`[.., d_model]`), not split into heads.
    fn key_value_rows(&self, x: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        match &self.projections {
            Projections::Separate { k_proj, v_proj, .. } => Ok((k_proj.forward(x)?, v_proj.forward(x)?)),
            Projections::Fused(_) => self.project_rows(x).map(|(_, keys, values)| (keys, values)),
        }
    }

    /// Queries (scaled), keys and values of `x` (`[batch, len, d_model]`), split into heads.
    fn project(&self, x: &Tensor) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
        let (q, k, v) = self.project_rows(x)?;
        Ok((self.split_heads(&(q * self.scaling)?)?, self.split_heads(&k)?, self.split_heads(&v)?))
    }

    /// Keys and values of `x` (`[batch, len, d_model]`), split into heads.
    pub(crate) fn keys_values(&self, x: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let (keys, values) = self.key_value_rows(x)?;
        Ok((self.split_heads(&keys)?, self.split_heads(&values)?))
    }

    /// The scaled queries of `x`, split into heads.
    fn queries(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match &self.projections {
            Projections::Separate { q_proj, .. } => self.split_heads(&(q_proj.forward(x)? * self.scaling)?),
            Projections::Fused(_) => self.project(x).map(|(queries, _, _)| queries),
        }
    }

    /// [`Attention::keys_values`] computed only where `attention_mask` (`[batch, len]`, 1 for tokens)
    /// has tokens, zeros at the padding: padded positions are never attended to (their weight is
    /// exactly 0), and a batch padded to its longest input spent up to half of these products there.
    /// Each row is projected on its own, so the tokens' keys and values are the same either way.
    fn keys_values_of_tokens(
        &self,
        x: &Tensor,
        attention_mask: &Tensor,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let (batch, len, d_model) = x.dims3()?;
        let tokens: Vec<u32> = attention_mask
            .flatten_all()?
            .to_vec1::<u32>()?
            .iter()
            .enumerate()
            .filter(|&(_, &is_token)| is_token != 0)
            .map(|(position, _)| position as u32)
            .collect();
        if tokens.len() == batch * len || tokens.is_empty() {
            return self.keys_values(x);
        }
        let tokens = Tensor::new(tokens.as_slice(), x.device())?;
        let rows = x.reshape((batch * len, d_model))?.index_select(&tokens, 0)?;
        let (keys, values) = self.key_value_rows(&rows)?;
        let padded = |projected: Tensor| -> candle_core::Result<Tensor> {
            let zeros = Tensor::zeros((batch * len, d_model), projected.dtype(), x.device())?;
            self.split_heads(
                &zeros.index_add(&tokens, &projected.contiguous()?, 0)?.reshape((batch, len, d_model))?,
            )
        };
        Ok((padded(keys)?, padded(values)?))
    }

    /// Attends from `x` (`[batch, len, d_model]`) to `keys`/`values` (`[kv_batch, heads, kv_len,
    /// head_dim]`), with an optional additive mask `[kv_batch, 1, 1, kv_len]`. `kv_batch` divides
    /// `batch`: rows `i * batch / kv_batch ..` share keys/values `i` (the beams of one input).
    pub(crate) fn attend(
        &self,
        x: &Tensor,
        keys: &Tensor,
        values: &Tensor,
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        self.attend_with(&self.queries(x)?, CachedKeysValues::Tensors(keys, values), mask)
    }

    /// Self-attention of `x` (`[batch, len, d_model]`) with an optional additive mask `[batch, 1, 1,
    /// len]`.
    pub(crate) fn attend_to_self(&self, x: &Tensor, mask: Option<&Tensor>) -> candle_core::Result<Tensor> {
        let (queries, keys, values) = self.project(x)?;
        self.attend_with(&queries, CachedKeysValues::Tensors(&keys, &values), mask)
    }

    /// Self-attention of a decoding step's `x` (`[rows, 1, d_model]`): its keys and values appended to
    /// `cache`, then attended to with the ones before.
    fn attend_to_self_cached(&self, x: &Tensor, cache: &mut LayerCache) -> candle_core::Result<Tensor> {
        let (queries, keys, values) = self.project(x)?;
        let cached = cache.append(keys, values)?;
        self.attend_with(&queries, cached, None)
    }

    /// [`Attention::attend`] with `queries` (`[batch, heads, len, head_dim]`, scaled) to keys and values
    /// wherever they are kept.
    fn attend_with(
        &self,
        queries: &Tensor,
        cached: CachedKeysValues,
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let (batch, _, len, _) = queries.dims4()?;
        let d_model = self.heads * self.head_dim;
        let (keys, values) = match cached {
            CachedKeysValues::Tensors(keys, values) => (keys, values),
            CachedKeysValues::InPlace(kv) => match cpu_kernels::attention_in_place(queries, kv) {
                Some(context) => {
                    let context = context?.transpose(1, 2)?.reshape((batch, len, d_model))?;
                    return self.out_proj.forward(&context);
                }
                None => candle_core::bail!("self-attention cache does not fit the queries"),
            },
        };
        let context = match cpu_kernels::attention(queries, keys, values, mask) {
            Some(context) => context?,
            None => {
                let (keys, values, mask) = expand_to_rows(keys, values, mask, batch)?;
                let mut scores = queries.matmul(&keys.t()?)?;
                if let Some(mask) = mask {
                    scores = scores.broadcast_add(&mask)?;
                }
                candle_nn::ops::softmax_last_dim(&scores)?.matmul(&values)?
            }
        };
        let context = context.transpose(1, 2)?.reshape((batch, len, d_model))?;
        self.out_proj.forward(&context)
    }
}

/// Keys, values and mask shared by groups of rows (`[kv_batch, ..]`) repeated for each of `rows`.
fn expand_to_rows(
    keys: &Tensor,
    values: &Tensor,
    mask: Option<&Tensor>,
    rows: usize,
) -> candle_core::Result<(Tensor, Tensor, Option<Tensor>)> {
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

/// The position-wise feed-forward block `fc2(act(fc1(x)))`.
pub(crate) struct FeedForward {
    fc1: Linear,
    fc2: Linear,
    activation: Activation,
}

impl FeedForward {
    pub(crate) fn new(
        d_model: usize,
        ffn_dim: usize,
        activation: Activation,
        vb: &VarBuilder,
        packing: Option<Format>,
    ) -> candle_core::Result<Self> {
        Ok(FeedForward {
            fc1: Linear::new(d_model, ffn_dim, vb.pp("fc1"), packing)?,
            fc2: Linear::new(ffn_dim, d_model, vb.pp("fc2"), packing)?,
            activation,
        })
    }

    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.fc2.forward(&self.activation.forward(&self.fc1.forward(x)?)?)
    }
}

/// Where a layer normalizes around each residual block: after the sum (Marian, BART: post-norm) or on
/// the block's input (M2M100, NLLB: pre-norm).
#[derive(Debug, Clone, Copy)]
pub(crate) enum NormPlacement {
    Post,
    Pre,
}

impl NormPlacement {
    /// `norm(x + block(x))` or `x + block(norm(x))`.
    fn residual(
        self,
        norm: &LayerNorm,
        x: &Tensor,
        block: impl FnOnce(&Tensor) -> candle_core::Result<Tensor>,
    ) -> candle_core::Result<Tensor> {
        match self {
            NormPlacement::Post => norm.forward(&residual_add(x, &block(x)?)?),
            NormPlacement::Pre => residual_add(x, &block(&norm.forward(x)?)?),
        }
    }
}

/// `x + h`: on the CPU in f32 with `cpu_kernels::add`, elsewhere candle's addition.
fn residual_add(x: &Tensor, h: &Tensor) -> candle_core::Result<Tensor> {
    match cpu_kernels::add(x, h) {
        Some(sum) => sum,
        None => x + h,
    }
}

/// An encoder layer of the BART family: self-attention and feed-forward, each with a layer norm.
pub(crate) struct EncoderLayer {
    self_attn: Attention,
    self_attn_layer_norm: LayerNorm,
    ffn: FeedForward,
    final_layer_norm: LayerNorm,
}

impl EncoderLayer {
    pub(crate) fn new(
        d_model: usize,
        heads: usize,
        ffn_dim: usize,
        activation: Activation,
        vb: VarBuilder,
        packing: Option<Format>,
    ) -> candle_core::Result<Self> {
        Ok(EncoderLayer {
            self_attn: Attention::new_self(d_model, heads, vb.pp("self_attn"), packing)?,
            self_attn_layer_norm: layer_norm(d_model, vb.pp("self_attn_layer_norm"))?,
            ffn: FeedForward::new(d_model, ffn_dim, activation, &vb, packing)?,
            final_layer_norm: layer_norm(d_model, vb.pp("final_layer_norm"))?,
        })
    }

    pub(crate) fn forward(
        &self,
        x: &Tensor,
        mask: &Tensor,
        placement: NormPlacement,
    ) -> candle_core::Result<Tensor> {
        let x = placement
            .residual(&self.self_attn_layer_norm, x, |h| self.self_attn.attend_to_self(h, Some(mask)))?;
        placement.residual(&self.final_layer_norm, &x, |h| self.ffn.forward(h))
    }
}

/// A decoder layer of the BART family: cached self-attention, cross-attention to the encoder output and
/// feed-forward, each with a layer norm.
pub(crate) struct DecoderLayer {
    self_attn: Attention,
    self_attn_layer_norm: LayerNorm,
    pub(crate) encoder_attn: Attention,
    encoder_attn_layer_norm: LayerNorm,
    ffn: FeedForward,
    final_layer_norm: LayerNorm,
}

impl DecoderLayer {
    pub(crate) fn new(
        d_model: usize,
        heads: usize,
        ffn_dim: usize,
        activation: Activation,
        vb: VarBuilder,
        packing: Option<Format>,
    ) -> candle_core::Result<Self> {
        Ok(DecoderLayer {
            self_attn: Attention::new_self(d_model, heads, vb.pp("self_attn"), packing)?,
            self_attn_layer_norm: layer_norm(d_model, vb.pp("self_attn_layer_norm"))?,
            encoder_attn: Attention::new(d_model, heads, vb.pp("encoder_attn"), packing)?,
            encoder_attn_layer_norm: layer_norm(d_model, vb.pp("encoder_attn_layer_norm"))?,
            ffn: FeedForward::new(d_model, ffn_dim, activation, &vb, packing)?,
            final_layer_norm: layer_norm(d_model, vb.pp("final_layer_norm"))?,
        })
    }

    /// One decoding step for `x` (`[rows, 1, d_model]`).
    pub(crate) fn step(
        &self,
        x: &Tensor,
        cache: &mut LayerCache,
        cross_mask: &Tensor,
        placement: NormPlacement,
    ) -> candle_core::Result<Tensor> {
        let x = placement
            .residual(&self.self_attn_layer_norm, x, |h| self.self_attn.attend_to_self_cached(h, cache))?;
        let x = placement.residual(&self.encoder_attn_layer_norm, &x, |h| {
            self.encoder_attn.attend(h, &cache.cross_keys, &cache.cross_values, Some(cross_mask))
        })?;
        placement.residual(&self.final_layer_norm, &x, |h| self.ffn.forward(h))
    }
}

/// Keys and values to attend to: tensors, or a self-attention cache kept in place.
enum CachedKeysValues<'a> {
    Tensors(&'a Tensor, &'a Tensor),
    InPlace(cpu_kernels::KeysValuesView<'a>),
}

/// The caches of one decoder layer: self-attention keys/values of the tokens fed so far, and the
/// cross-attention keys/values of the encoder output (computed once).
pub(crate) struct LayerCache {
    self_attention: SelfAttentionCache,
    /// Rows of the self-attention caches to keep, in order (`u32`), applied at the next `append`
    /// together with the new keys/values: one copy of the caches per step instead of two.
    pending_rows: Option<Tensor>,
    pub(crate) cross_keys: Tensor,
    pub(crate) cross_values: Tensor,
}

/// The self-attention keys and values `[rows, heads, len, head_dim]` of the tokens fed so far.
enum SelfAttentionCache {
    Empty,
    /// f32 on the CPU: buffers each step writes into.
    InPlace(KeyValueBuffers),
    /// Elsewhere: tensors, concatenated each step.
    Tensors {
        keys: Tensor,
        values: Tensor,
    },
}

impl LayerCache {
    /// Keeps the decoder rows `rows` and the inputs `inputs` (those rows' inputs, in order).
    pub(crate) fn select(&mut self, rows: &Tensor, inputs: &Tensor) -> Result<()> {
        self.reorder_self_attention(rows)?;
        self.cross_keys = self.cross_keys.index_select(inputs, 0)?;
        self.cross_values = self.cross_values.index_select(inputs, 0)?;
        Ok(())
    }

    /// Keeps the self-attention rows `rows` (`u32`, indices into the current rows), in that order; the
    /// copy happens at the next `append`.
    pub(crate) fn reorder_self_attention(&mut self, rows: &Tensor) -> Result<()> {
        self.pending_rows = Some(match &self.pending_rows {
            // A second reorder before the next step: rows of the first selection.
            Some(pending) => pending.index_select(rows, 0)?,
            None => rows.clone(),
        });
        Ok(())
    }

    /// Appends this step's keys/values `[rows, heads, 1, head_dim]` (after any pending reorder) and
    /// returns the whole cache.
    fn append(&mut self, keys: Tensor, values: Tensor) -> candle_core::Result<CachedKeysValues<'_>> {
        let rows = self.pending_rows.take();
        let cache = std::mem::replace(&mut self.self_attention, SelfAttentionCache::Empty);
        self.self_attention = match cache {
            SelfAttentionCache::Empty => match KeyValueBuffers::start(&keys, &values) {
                Some(buffers) => SelfAttentionCache::InPlace(buffers),
                None => SelfAttentionCache::Tensors { keys, values },
            },
            SelfAttentionCache::InPlace(mut buffers) => {
                let rows = rows.map(|rows| rows.to_vec1::<u32>()).transpose()?;
                buffers.append(rows.as_deref(), &keys, &values)?;
                SelfAttentionCache::InPlace(buffers)
            }
            SelfAttentionCache::Tensors { keys: cached_keys, values: cached_values } => {
                SelfAttentionCache::Tensors {
                    keys: reorder_and_append(&cached_keys, rows.as_ref(), keys)?,
                    values: reorder_and_append(&cached_values, rows.as_ref(), values)?,
                }
            }
        };
        Ok(match &self.self_attention {
            SelfAttentionCache::Empty => unreachable!("set just above"),
            SelfAttentionCache::InPlace(buffers) => CachedKeysValues::InPlace(buffers.view()),
            SelfAttentionCache::Tensors { keys, values } => CachedKeysValues::Tensors(keys, values),
        })
    }
}

/// Positions a self-attention cache grows by when full: small steps keep the unused room (memory)
/// low; each growth copies the cache once.
const CACHE_GROWTH: usize = 16;

/// Elements from one (row, head) of a cache to the next: room for `capacity` positions and one
/// cache line more, so that the (row, head) blocks do not all start at multiples of 4 KiB, which
/// share cache sets (a precaution: no difference was measurable on the benchmark).
fn stride_for(capacity: usize, head_dim: usize) -> usize {
    capacity * head_dim + 16
}

/// A self-attention cache in f32 CPU buffers `[rows, heads, capacity, head_dim]`, of which the first
/// `len` positions are filled: a step writes its keys and values in place, with no copy of what is
/// cached. Reordering rows (beams, finished inputs) copies only the rows that change, in place; only
/// growing (every [`CACHE_GROWTH`] positions) allocates and copies everything.
pub(crate) struct KeyValueBuffers {
    keys: Vec<f32>,
    values: Vec<f32>,
    spare_keys: Vec<f32>,
    spare_values: Vec<f32>,
    rows: usize,
    heads: usize,
    head_dim: usize,
    len: usize,
    capacity: usize,
}

impl KeyValueBuffers {
    /// Buffers holding the first step's `keys`/`values` (`[rows, heads, 1, head_dim]`), when they are
    /// f32 CPU tensors.
    fn start(keys: &Tensor, values: &Tensor) -> Option<Self> {
        let (rows, heads, one, head_dim) = keys.dims4().ok()?;
        if one != 1 || values.dims() != keys.dims() || !keys.device().is_cpu() {
            return None;
        }
        let mut buffers = KeyValueBuffers {
            keys: Vec::new(),
            values: Vec::new(),
            spare_keys: Vec::new(),
            spare_values: Vec::new(),
            rows,
            heads,
            head_dim,
            len: 0,
            capacity: 0,
        };
        buffers.append(None, keys, values).ok()?;
        Some(buffers)
    }

    /// Elements from one (row, head) to the next.
    fn stride(&self) -> usize {
        stride_for(self.capacity, self.head_dim)
    }

    /// The filled part, for attention.
    fn view(&self) -> cpu_kernels::KeysValuesView<'_> {
        cpu_kernels::KeysValuesView {
            keys: &self.keys,
            values: &self.values,
            batch: self.rows,
            len: self.len,
            stride: self.stride(),
        }
    }

    /// Keeps rows `rows` (all, in order, when `None`) and appends one position: `keys`/`values`
    /// `[rows, heads, 1, head_dim]`, f32 on the CPU.
    fn append(&mut self, rows: Option<&[u32]>, keys: &Tensor, values: &Tensor) -> candle_core::Result<()> {
        let new_rows = keys.dim(0)?;
        let expected = [new_rows, self.heads, 1, self.head_dim];
        if keys.dims() != expected || values.dims() != expected {
            candle_core::bail!(
                "self-attention cache: step keys {:?}, cache rows of {:?}",
                keys.dims(),
                expected
            );
        }
        match rows {
            Some(rows) if rows.len() != new_rows || rows.iter().any(|&row| row as usize >= self.rows) => {
                candle_core::bail!("self-attention cache: rows {rows:?} of {} for {new_rows} rows", self.rows)
            }
            None if new_rows != self.rows => {
                candle_core::bail!("self-attention cache: {new_rows} rows for a cache of {}", self.rows)
            }
            _ => {}
        }
        if self.len == self.capacity {
            self.regather(rows, new_rows, self.capacity + CACHE_GROWTH);
        } else if new_rows > self.rows {
            // More rows than the buffers hold (rows repeated): no room to reorder in place.
            self.regather(rows, new_rows, self.capacity);
        } else if let Some(rows) = rows {
            self.reorder_in_place(rows);
        }
        let (stride, position) = (self.stride(), self.len * self.head_dim);
        let write = |cache: &mut [f32], new: &[f32]| {
            for (pair, new) in new.chunks_exact(self.head_dim).enumerate() {
                cache[pair * stride + position..][..self.head_dim].copy_from_slice(new);
            }
        };
        let (Some(()), Some(())) = (
            cpu_kernels::with_f32_slice(keys, |new| write(&mut self.keys, new)),
            cpu_kernels::with_f32_slice(values, |new| write(&mut self.values, new)),
        ) else {
            candle_core::bail!("self-attention cache: keys/values are not contiguous f32 CPU tensors")
        };
        self.len += 1;
        Ok(())
    }

    /// Copies rows `sources` (all, in order, when `None`) into new buffers of `capacity` positions
    /// per (row, head), which replace the current ones.
    fn regather(&mut self, sources: Option<&[u32]>, rows: usize, capacity: usize) {
        let (heads, dim, len) = (self.heads, self.head_dim, self.len);
        let (old_stride, stride) = (self.stride(), stride_for(capacity, dim));
        let block = heads * stride;
        // Room beyond the filled positions is never read before it is written: zeros are only
        // the cheapest initialisation.
        let (mut keys, mut values) = (vec![0f32; rows * block], vec![0f32; rows * block]);
        if len > 0 {
            let (old_keys, old_values) = (&self.keys, &self.values);
            keys.par_chunks_mut(block)
                .zip(values.par_chunks_mut(block))
                .enumerate()
                .with_min_len(4)
                .for_each(|(row, (out_keys, out_values))| {
                    let source = sources.map_or(row, |sources| sources[row] as usize);
                    for head in 0..heads {
                        let from = (source * heads + head) * old_stride;
                        out_keys[head * stride..][..len * dim]
                            .copy_from_slice(&old_keys[from..][..len * dim]);
                        out_values[head * stride..][..len * dim]
                            .copy_from_slice(&old_values[from..][..len * dim]);
                    }
                });
        }
        (self.keys, self.values) = (keys, values);
        (self.spare_keys, self.spare_values) = (Vec::new(), Vec::new());
        (self.rows, self.capacity) = (rows, capacity);
    }

    /// Keeps rows `sources` (indices of current rows, in order; at most as many as the rows) by
    /// copying only the rows that change: beams mostly continue their own row. Rows that are read
    /// by another row and overwritten themselves are first set aside in the spare buffers.
    fn reorder_in_place(&mut self, sources: &[u32]) {
        let (heads, dim, len) = (self.heads, self.head_dim, self.len);
        let block = heads * self.stride();
        let new_rows = sources.len();
        let moves = |row: usize| sources[row] as usize != row;
        // Where each set-aside row went in the spare buffers.
        let mut set_aside = vec![usize::MAX; self.rows];
        let mut aside = Vec::new();
        for (row, &source) in sources.iter().enumerate() {
            let source = source as usize;
            if source != row && source < new_rows && moves(source) && set_aside[source] == usize::MAX {
                set_aside[source] = aside.len();
                aside.push(source);
            }
        }
        let (stride, count) = (self.stride(), len * dim);
        for (spare, cache) in [(&mut self.spare_keys, &self.keys), (&mut self.spare_values, &self.values)] {
            spare.resize(aside.len() * block, 0.0);
            spare.par_chunks_mut(block.max(1)).zip(&aside).for_each(|(out, &row)| {
                for head in 0..heads {
                    out[head * stride..][..count]
                        .copy_from_slice(&cache[row * block + head * stride..][..count]);
                }
            });
        }
        let moved: Vec<usize> = (0..new_rows).filter(|&row| moves(row)).collect();
        for (cache, spare) in [(&mut self.keys, &self.spare_keys), (&mut self.values, &self.spare_values)] {
            let base = SharedRows(cache.as_mut_ptr());
            moved.par_iter().with_min_len(4).for_each(|&row| {
                let source = sources[row] as usize;
                for head in 0..heads {
                    // SAFETY: each moved row is written by one task only; a source is either set
                    // aside (read from the spare buffers) or a row that no task writes (it does not
                    // move, or it is beyond the rows kept), so no read overlaps a write; all ranges
                    // lie within the cache (rows < self.rows) or the spare buffers.
                    unsafe {
                        let from = match set_aside[source] {
                            usize::MAX => base.ptr().add(source * block + head * stride) as *const f32,
                            slot => spare[slot * block + head * stride..][..count].as_ptr(),
                        };
                        std::ptr::copy_nonoverlapping(
                            from,
                            base.ptr().add(row * block + head * stride),
                            count,
                        );
                    }
                }
            });
        }
        self.keys.truncate(new_rows * block);
        self.values.truncate(new_rows * block);
        self.rows = new_rows;
    }
}

/// The start of a cache whose rows tasks write in parallel, each a different row (`Send`/`Sync` so
/// the tasks can share it).
#[derive(Clone, Copy)]
struct SharedRows(*mut f32);

impl SharedRows {
    /// (A method, so closures capture the `Sync` wrapper rather than the bare pointer.)
    fn ptr(self) -> *mut f32 {
        self.0
    }
}
// SAFETY: see `reorder_in_place`: tasks write disjoint rows and read only rows nobody writes.
unsafe impl Send for SharedRows {}
unsafe impl Sync for SharedRows {}

/// `cat([cached.index_select(rows, 0), new], 2)` (caches off the CPU or not in f32).
fn reorder_and_append(cached: &Tensor, rows: Option<&Tensor>, new: Tensor) -> candle_core::Result<Tensor> {
    let cached = match rows {
        Some(rows) => cached.index_select(rows, 0)?,
        None => cached.clone(),
    };
    Tensor::cat(&[&cached, &new], 2)
}

/// Sets up decoding for `encoder_output` rows, each decoded as `copies` rows (beams): the
/// cross-attention keys and values of every decoder layer (`cross`, in layer order) computed once and
/// stored once per input, empty self-attention caches.
pub(crate) fn start_decoding(
    cross: &[&Attention],
    encoder_output: &Tensor,
    attention_mask: &Tensor,
    copies: usize,
) -> Result<DecoderState> {
    let cross_mask = additive_mask(attention_mask)?.to_dtype(encoder_output.dtype())?;
    let layers = cross
        .iter()
        .map(|attention| {
            let (cross_keys, cross_values) =
                attention.keys_values_of_tokens(encoder_output, attention_mask)?;
            Ok(LayerCache {
                self_attention: SelfAttentionCache::Empty,
                pending_rows: None,
                cross_keys,
                cross_values,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DecoderState { layers, cross_mask, copies: copies.max(1), step: 0 })
}

/// Sinusoidal position table `[positions, dim]`, sin features in the first half and cos in the second
/// (Marian's layout). Computed in f64 like `transformers` (numpy) and rounded to f32 once.
pub(crate) fn sinusoidal_positions(
    positions: usize,
    dim: usize,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let half = dim.div_ceil(2);
    let mut table = vec![0f32; positions * dim];
    for pos in 0..positions {
        let row = &mut table[pos * dim..(pos + 1) * dim];
        for j in 0..dim {
            let angle = pos as f64 / 10000f64.powf(2.0 * (j / 2) as f64 / dim as f64);
            // Even j feed the sin half, odd j the cos half (numpy's [0::2] and [1::2]).
            if j % 2 == 0 {
                row[j / 2] = angle.sin() as f32;
            } else {
                row[half + j / 2] = angle.cos() as f32;
            }
        }
    }
    Tensor::from_vec(table, (positions, dim), device)
}

/// Additive attention mask `[batch, 1, 1, len]` from a `[batch, len]` 0/1 mask: 0 where 1, -inf where 0.
pub(crate) fn additive_mask(attention_mask: &Tensor) -> candle_core::Result<Tensor> {
    let (batch, len) = attention_mask.dims2()?;
    let zeros = Tensor::zeros((batch, len), DType::F32, attention_mask.device())?;
    let blocked = Tensor::full(f32::NEG_INFINITY, (batch, len), attention_mask.device())?;
    attention_mask.ne(0u32)?.where_cond(&zeros, &blocked)?.reshape((batch, 1, 1, len))
}

/// Layer norm over the last dimension with `transformers`' default epsilon.
pub(crate) fn layer_norm(size: usize, vb: VarBuilder) -> candle_core::Result<candle_nn::LayerNorm> {
    candle_nn::layer_norm(size, 1e-5, vb)
}

/// The output projection `x @ weight^T + bias`: `[rows, d]` decoder states to `[rows, vocab]` f32
/// logits, for a `[vocab, d]` weight (usually the tied embedding matrix).
pub(crate) enum VocabProjection {
    /// Packed for our CPU kernel (f32 CPU weights on AVX-512 CPUs), with the bias as f32.
    Packed { packed: Arc<PackedWeight>, bias: Vec<f32> },
    /// candle tensors.
    Tensor { weight: Tensor, bias: Tensor },
}

impl VocabProjection {
    pub(crate) fn new(weight: Tensor, bias: Tensor, packing: Option<Format>) -> Self {
        let packed = packing
            .and_then(|format| cpu_kernels::pack_weight(&weight, format))
            .zip(cpu_kernels::f32_vec(&bias));
        match packed {
            Some((packed, bias)) => VocabProjection::Packed { packed: Arc::new(packed), bias },
            None => VocabProjection::Tensor { weight, bias },
        }
    }

    /// The embedding table for `weight`, the decoder's input embedding: when the model ties it to this
    /// projection (`tied`) and the projection is packed in f32, rows read back out of the packed matrix,
    /// so the large matrix is stored once; otherwise `weight` itself.
    pub(crate) fn input_embedding(&self, tied: bool, weight: Tensor) -> candle_core::Result<TokenEmbedding> {
        if let (true, VocabProjection::Packed { packed, .. }) = (tied, self) {
            if packed.format() == Format::F32 {
                return Ok(TokenEmbedding::Packed(packed.clone()));
            }
        }
        let d = weight.dim(1)?;
        Ok(TokenEmbedding::Table(Embedding::new(weight, d)))
    }

    /// Elsewhere than the packed kernel the product is computed as `(weight @ x^T)^T`: with the
    /// vocabulary as the long side the matrix library streams the large weight once and splits it
    /// between threads, 2x faster at 32 rows than `x @ weight^T` for the 61k-word Marian vocabulary; on
    /// the CPU in f32 without AVX-512 a kernel does that slice by slice of the vocabulary (see
    /// `cpu_kernels::project_to_vocab`).
    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (weight, bias) = match self {
            VocabProjection::Packed { packed, bias } => {
                return match cpu_kernels::packed_matmul(x, packed, bias) {
                    Some(logits) => logits,
                    None => candle_core::bail!("packed vocabulary projection got a non-f32 or non-CPU input"),
                };
            }
            VocabProjection::Tensor { weight, bias } => (weight, bias),
        };
        if let Some(logits) = cpu_kernels::project_to_vocab(x, weight, bias) {
            return logits;
        }
        let by_vocab = weight.matmul(&x.t()?)?.to_dtype(DType::F32)?;
        let bias = bias.to_dtype(DType::F32)?;
        match cpu_kernels::transpose_add_bias(&by_vocab, &bias) {
            Some(logits) => logits,
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
    pub(crate) fn forward(&self, ids: &Tensor) -> candle_core::Result<Tensor> {
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

    /// Self-attention with the three projections fused into one product gives exactly what separate
    /// projections give, in both the encoder's form (a mask, many positions) and a decoding step's.
    #[test]
    fn fused_projections_match_separate_ones() {
        let (d_model, heads) = (64, 4);
        if !Format::F32.supported() {
            eprintln!("skipped: this CPU lacks AVX-512 (no fused projections there)");
            return;
        }
        let device = Device::Cpu;
        let mut weights = std::collections::HashMap::new();
        for (index, part) in ["q_proj", "k_proj", "v_proj", "out_proj"].iter().enumerate() {
            let weight = Tensor::randn(0f32, 0.2, (d_model, d_model), &device).unwrap();
            let bias = (Tensor::randn(0f32, 0.2, d_model, &device).unwrap() + index as f64).unwrap();
            weights.insert(format!("{part}.weight"), weight);
            weights.insert(format!("{part}.bias"), bias);
        }
        let vb = VarBuilder::from_tensors(weights, DType::F32, &device);
        let separate = Attention::new(d_model, heads, vb.clone(), Some(Format::F32)).unwrap();
        let fused = Attention::new_self(d_model, heads, vb, Some(Format::F32)).unwrap();
        assert!(matches!(fused.projections, Projections::Fused(_)));
        assert!(matches!(separate.projections, Projections::Separate { .. }));

        let x = Tensor::randn(0f32, 1.0, (3, 7, d_model), &device).unwrap();
        let mask = additive_mask(
            &Tensor::from_vec((0..21u32).map(|i| (i % 7 < 5 + i / 7) as u32).collect(), (3, 7), &device)
                .unwrap(),
        )
        .unwrap();
        let exact = |a: &Tensor, b: &Tensor| {
            a.flatten_all().unwrap().to_vec1::<f32>().unwrap()
                == b.flatten_all().unwrap().to_vec1::<f32>().unwrap()
        };
        let (q1, k1, v1) = separate.project(&x).unwrap();
        let (q2, k2, v2) = fused.project(&x).unwrap();
        assert!(exact(&q1, &q2) && exact(&k1, &k2) && exact(&v1, &v2));
        assert!(exact(
            &separate.attend(&x, &k1, &v1, Some(&mask)).unwrap(),
            &fused.attend_to_self(&x, Some(&mask)).unwrap()
        ));
        // Decoding steps through the in-place cache.
        let (mut cache_a, mut cache_b) = (empty_cache(&device), empty_cache(&device));
        for step in 0..3 {
            let h = Tensor::randn(0f32, 1.0, (2, 1, d_model), &device).unwrap();
            let a = separate.attend_to_self_cached(&h, &mut cache_a).unwrap();
            let b = fused.attend_to_self_cached(&h, &mut cache_b).unwrap();
            assert!(exact(&a, &b), "step {step}");
        }
    }

    fn empty_cache(device: &Device) -> LayerCache {
        let none = Tensor::zeros(1, DType::F32, device).unwrap();
        LayerCache {
            self_attention: SelfAttentionCache::Empty,
            pending_rows: None,
            cross_keys: none.clone(),
            cross_values: none,
        }
    }

    /// A step's keys or values `[rows, heads, 1, dim]` with values unique to (step, row, element).
    fn step_values(step: usize, rows: usize, heads: usize, dim: usize) -> Tensor {
        let data: Vec<f32> = (0..rows * heads * dim)
            .map(|i| (step * 100_000 + i) as f32 + if step.is_multiple_of(2) { 0.5 } else { 0.0 })
            .collect();
        Tensor::from_vec(data, (rows, heads, 1, dim), &Device::Cpu).unwrap()
    }

    /// The cache's filled part as `[rows, heads, len, dim]` values.
    fn contents(buffers: &KeyValueBuffers, keys: bool) -> Vec<f32> {
        let view = buffers.view();
        let data = if keys { view.keys } else { view.values };
        let mut out = Vec::new();
        for pair in 0..buffers.rows * buffers.heads {
            out.extend_from_slice(&data[pair * view.stride..][..view.len * buffers.head_dim]);
        }
        out
    }

    #[test]
    fn in_place_cache_matches_select_and_concatenate() {
        let (heads, dim) = (3, 16);
        // Reorders with cycles, swaps, duplicates, rows dropped (finished inputs) and none; enough
        // steps to grow past the first capacity twice.
        let reorders: Vec<Option<Vec<u32>>> = vec![
            None,
            Some(vec![1, 0, 3, 2, 4, 5]),
            Some(vec![0, 0, 1, 1, 5, 4]),
            Some(vec![2, 3, 4, 5, 0, 1]),
            None,
            Some(vec![5, 4, 3, 2, 1, 0]),
            Some(vec![0, 1, 2, 3, 4, 5]),
            Some(vec![4, 4, 4, 1, 0, 2]),
            Some(vec![1, 2, 3, 5]),
            Some(vec![3, 2, 1, 0]),
            Some(vec![0, 3]),
            // More rows than before (a row repeated): not in place.
            Some(vec![1, 1, 0, 0, 1]),
        ];
        let mut rows = 6;
        let (first_keys, first_values) =
            (step_values(0, rows, heads, dim), step_values(0, rows, heads, dim).affine(-1.0, 0.0).unwrap());
        let mut buffers = KeyValueBuffers::start(&first_keys, &first_values).unwrap();
        let (mut want_keys, mut want_values) = (first_keys, first_values);
        let mut rows_grew = false;
        for step in 1..40 {
            let reorder = reorders[step % reorders.len()]
                .clone()
                .filter(|order| order.iter().all(|&r| (r as usize) < rows));
            let new_rows = reorder.as_ref().map_or(rows, Vec::len);
            rows_grew |= new_rows > rows;
            let keys = step_values(step, new_rows, heads, dim);
            let values = keys.affine(-1.0, 0.0).unwrap();
            buffers.append(reorder.as_deref(), &keys, &values).unwrap();
            let index = reorder.as_ref().map(|order| Tensor::new(order.as_slice(), &Device::Cpu).unwrap());
            let select = |cached: &Tensor| match &index {
                Some(index) => cached.index_select(index, 0).unwrap(),
                None => cached.clone(),
            };
            want_keys = Tensor::cat(&[&select(&want_keys), &keys], 2).unwrap();
            want_values = Tensor::cat(&[&select(&want_values), &values], 2).unwrap();
            rows = new_rows;
            assert_eq!(
                contents(&buffers, true),
                want_keys.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                "keys, step {step}"
            );
            assert_eq!(
                contents(&buffers, false),
                want_values.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                "values, step {step}"
            );
        }
        assert!(buffers.capacity >= 40 && buffers.capacity < 40 + CACHE_GROWTH);
        assert!(rows_grew, "the reorders include one to more rows");
    }

    #[test]
    fn in_place_cache_rejects_rows_out_of_range() {
        let keys = step_values(0, 2, 1, 16);
        let mut buffers = KeyValueBuffers::start(&keys, &keys).unwrap();
        assert!(buffers.append(Some(&[0, 2]), &keys, &keys).is_err());
        assert!(buffers.append(None, &step_values(1, 3, 1, 16), &step_values(1, 3, 1, 16)).is_err());
    }
}
