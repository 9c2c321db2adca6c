//! Building blocks shared by the encoder-decoder architectures: attention with caches, feed-forward
//! blocks, activations and sinusoidal positions.

use candle_core::{DType, Device, Tensor};
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
        let weight = vb.get((out_dim, in_dim), "weight")?;
        let bias = vb.get(out_dim, "bias")?;
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

/// Multi-head attention with separate query/key/value projections (`q_proj`, `k_proj`, `v_proj`,
/// `out_proj`, all with bias), as in BART-family models.
pub(crate) struct Attention {
    q_proj: Linear,
    k_proj: Linear,
    v_proj: Linear,
    out_proj: Linear,
    heads: usize,
    head_dim: usize,
    scaling: f64,
}

impl Attention {
    pub(crate) fn new(
        d_model: usize,
        heads: usize,
        vb: VarBuilder,
        packing: Option<Format>,
    ) -> candle_core::Result<Self> {
        let head_dim = d_model / heads;
        Ok(Attention {
            q_proj: Linear::new(d_model, d_model, vb.pp("q_proj"), packing)?,
            k_proj: Linear::new(d_model, d_model, vb.pp("k_proj"), packing)?,
            v_proj: Linear::new(d_model, d_model, vb.pp("v_proj"), packing)?,
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

    /// Keys and values of `x` (`[batch, len, d_model]`), split into heads.
    pub(crate) fn keys_values(&self, x: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        Ok((self.split_heads(&self.k_proj.forward(x)?)?, self.split_heads(&self.v_proj.forward(x)?)?))
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
        let (batch, len, d_model) = x.dims3()?;
        let queries = self.split_heads(&(self.q_proj.forward(x)? * self.scaling)?)?;
        let context = match cpu_kernels::attention(&queries, keys, values, mask) {
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
            self_attn: Attention::new(d_model, heads, vb.pp("self_attn"), packing)?,
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
        let x = placement.residual(&self.self_attn_layer_norm, x, |h| {
            let (keys, values) = self.self_attn.keys_values(h)?;
            self.self_attn.attend(h, &keys, &values, Some(mask))
        })?;
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
            self_attn: Attention::new(d_model, heads, vb.pp("self_attn"), packing)?,
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
        let x = placement.residual(&self.self_attn_layer_norm, x, |h| {
            let (keys, values) = self.self_attn.keys_values(h)?;
            let (keys, values) = cache.append(keys, values)?;
            self.self_attn.attend(h, &keys, &values, None)
        })?;
        let x = placement.residual(&self.encoder_attn_layer_norm, &x, |h| {
            self.encoder_attn.attend(h, &cache.cross_keys, &cache.cross_values, Some(cross_mask))
        })?;
        placement.residual(&self.final_layer_norm, &x, |h| self.ffn.forward(h))
    }
}

/// The caches of one decoder layer: self-attention keys/values of the tokens fed so far, and the
/// cross-attention keys/values of the encoder output (computed once).
pub(crate) struct LayerCache {
    pub(crate) self_keys: Option<Tensor>,
    pub(crate) self_values: Option<Tensor>,
    /// Rows of the self-attention caches to keep, in order (`u32`), applied at the next `append`
    /// together with the new keys/values: one copy of the caches per step instead of two.
    pub(crate) pending_rows: Option<Tensor>,
    pub(crate) cross_keys: Tensor,
    pub(crate) cross_values: Tensor,
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

    /// Appends this step's keys/values (after any pending reorder) and returns the whole cache.
    pub(crate) fn append(&mut self, keys: Tensor, values: Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let rows = self.pending_rows.take();
        let keys = reorder_and_append(self.self_keys.as_ref(), rows.as_ref(), keys)?;
        let values = reorder_and_append(self.self_values.as_ref(), rows.as_ref(), values)?;
        self.self_keys = Some(keys.clone());
        self.self_values = Some(values.clone());
        Ok((keys, values))
    }
}

/// `cat([cached.index_select(rows, 0), new], 2)`, or `new` when nothing is cached yet: in one pass on
/// the CPU (`cpu_kernels::gather_append`), with candle's operations elsewhere.
fn reorder_and_append(
    cached: Option<&Tensor>,
    rows: Option<&Tensor>,
    new: Tensor,
) -> candle_core::Result<Tensor> {
    let Some(cached) = cached else { return Ok(new) };
    if let Some(appended) = cpu_kernels::gather_append(cached, rows, &new) {
        return appended;
    }
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
            let (cross_keys, cross_values) = attention.keys_values(encoder_output)?;
            Ok(LayerCache {
                self_keys: None,
                self_values: None,
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
