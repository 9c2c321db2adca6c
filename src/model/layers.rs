//! The encoder and decoder layers of the BART family, configured by [`LayerConfig`]: self-attention,
//! cross-attention (decoder) and a feed-forward block, each in a residual connection with a layer norm.

use candle_core::{DType, Result, Tensor};
use candle_nn::{LayerNorm, Module, VarBuilder};

use super::attention::Attention;
use super::cache::LayerCache;
use crate::ops::elementwise::{add, Activation};
use crate::ops::linear::Linear;
use crate::ops::PackedFormat;

/// Where a layer normalizes around each residual block: after the sum (Marian, BART: post-norm) or on
/// the block's input (M2M100, NLLB, IndicTrans2: pre-norm).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NormPlacement {
    Post,
    Pre,
}

/// What every layer of one stack (the encoder's or the decoder's) is made of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerConfig {
    pub d_model: usize,
    pub heads: usize,
    pub ffn_dim: usize,
    pub activation: Activation,
    pub norm: NormPlacement,
    /// How the products' weights are packed for the CPU kernels (`None`: candle's products).
    pub packing: Option<PackedFormat>,
}

/// A layer norm with a norm placement: `norm(x + block(x))` or `x + block(norm(x))`.
struct Residual {
    norm: LayerNorm,
    placement: NormPlacement,
}

impl Residual {
    fn new(cfg: &LayerConfig, vb: VarBuilder) -> Result<Self> {
        Ok(Residual { norm: layer_norm(cfg.d_model, vb)?, placement: cfg.norm })
    }

    fn forward(&self, x: &Tensor, block: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
        match self.placement {
            NormPlacement::Post => self.norm.forward(&add(x, &block(x)?)?),
            NormPlacement::Pre => add(x, &block(&self.norm.forward(x)?)?),
        }
    }
}

/// The position-wise feed-forward block `fc2(act(fc1(x)))`.
struct FeedForward {
    fc1: Linear,
    fc2: Linear,
    activation: Activation,
}

impl FeedForward {
    fn new(cfg: &LayerConfig, vb: &VarBuilder) -> Result<Self> {
        let linear = |name: &str, out_dim: usize, in_dim: usize| {
            let vb = vb.pp(name);
            Linear::new(vb.get((out_dim, in_dim), "weight")?, vb.get(out_dim, "bias")?, cfg.packing)
        };
        Ok(FeedForward {
            fc1: linear("fc1", cfg.ffn_dim, cfg.d_model)?,
            fc2: linear("fc2", cfg.d_model, cfg.ffn_dim)?,
            activation: cfg.activation,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.fc2.forward(&self.activation.forward(&self.fc1.forward(x)?)?)
    }
}

/// An encoder layer: self-attention and feed-forward (`self_attn`, `self_attn_layer_norm`, `fc1`, `fc2`,
/// `final_layer_norm`).
pub(crate) struct EncoderLayer {
    self_attn: Attention,
    self_attn_residual: Residual,
    ffn: FeedForward,
    ffn_residual: Residual,
}

impl EncoderLayer {
    pub(crate) fn new(cfg: &LayerConfig, vb: VarBuilder) -> Result<Self> {
        Ok(EncoderLayer {
            self_attn: Attention::new_self(cfg.d_model, cfg.heads, vb.pp("self_attn"), cfg.packing)?,
            self_attn_residual: Residual::new(cfg, vb.pp("self_attn_layer_norm"))?,
            ffn: FeedForward::new(cfg, &vb)?,
            ffn_residual: Residual::new(cfg, vb.pp("final_layer_norm"))?,
        })
    }

    /// `x` (`[batch, len, d_model]`) with an additive padding mask `[batch, 1, 1, len]`.
    pub(crate) fn forward(&self, x: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let x = self.self_attn_residual.forward(x, |h| self.self_attn.forward(h, Some(mask)))?;
        self.ffn_residual.forward(&x, |h| self.ffn.forward(h))
    }
}

/// A decoder layer: cached self-attention, cross-attention to the encoder output and feed-forward
/// (the encoder layer's weights plus `encoder_attn` and `encoder_attn_layer_norm`).
pub(crate) struct DecoderLayer {
    self_attn: Attention,
    self_attn_residual: Residual,
    pub(crate) encoder_attn: Attention,
    encoder_attn_residual: Residual,
    ffn: FeedForward,
    ffn_residual: Residual,
}

impl DecoderLayer {
    pub(crate) fn new(cfg: &LayerConfig, vb: VarBuilder) -> Result<Self> {
        Ok(DecoderLayer {
            self_attn: Attention::new_self(cfg.d_model, cfg.heads, vb.pp("self_attn"), cfg.packing)?,
            self_attn_residual: Residual::new(cfg, vb.pp("self_attn_layer_norm"))?,
            encoder_attn: Attention::new_cross(cfg.d_model, cfg.heads, vb.pp("encoder_attn"), cfg.packing)?,
            encoder_attn_residual: Residual::new(cfg, vb.pp("encoder_attn_layer_norm"))?,
            ffn: FeedForward::new(cfg, &vb)?,
            ffn_residual: Residual::new(cfg, vb.pp("final_layer_norm"))?,
        })
    }

    /// One decoding step for `x` (`[rows, 1, d_model]`).
    pub(crate) fn step(&self, x: &Tensor, cache: &mut LayerCache, cross_mask: &Tensor) -> Result<Tensor> {
        let x = self.self_attn_residual.forward(x, |h| self.self_attn.step(h, &mut cache.self_attention))?;
        let x = self.encoder_attn_residual.forward(&x, |h| {
            self.encoder_attn.cross(h, &cache.cross_keys, &cache.cross_values, cross_mask)
        })?;
        self.ffn_residual.forward(&x, |h| self.ffn.forward(h))
    }
}

/// Additive attention mask `[batch, 1, 1, len]` from a `[batch, len]` 0/1 mask: 0 where 1, -inf where 0.
pub(crate) fn additive_mask(attention_mask: &Tensor) -> Result<Tensor> {
    let (batch, len) = attention_mask.dims2()?;
    let zeros = Tensor::zeros((batch, len), DType::F32, attention_mask.device())?;
    let blocked = Tensor::full(f32::NEG_INFINITY, (batch, len), attention_mask.device())?;
    attention_mask.ne(0u32)?.where_cond(&zeros, &blocked)?.reshape((batch, 1, 1, len))
}

/// Layer norm over the last dimension with `transformers`' default epsilon.
pub(crate) fn layer_norm(size: usize, vb: VarBuilder) -> Result<LayerNorm> {
    candle_nn::layer_norm(size, 1e-5, vb)
}
