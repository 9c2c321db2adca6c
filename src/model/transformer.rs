//! The encoder-decoder every family is a configuration of: token embeddings (scaled) plus sinusoidal
//! positions, an optional embedding layer norm, a stack of encoder layers and one of decoder layers
//! (post- or pre-norm, optional final layer norms), and the output projection.

use candle_core::{Device, Module, Tensor};
use candle_nn::{LayerNorm, VarBuilder};

use super::attention::Attention;
use super::cache::DecoderState;
use super::layers::{additive_mask, layer_norm, DecoderLayer, EncoderLayer, LayerConfig};
use super::positions::{PositionKind, Positions};
use super::Seq2SeqModel;
use crate::error::{Error, Result};
use crate::ops::linear::{TokenEmbedding, VocabProjection};

/// How a family's encoder-decoder is built, derived from its `config.json`.
#[derive(Debug, Clone)]
pub(crate) struct TransformerConfig {
    pub encoder: LayerConfig,
    pub encoder_layers: usize,
    pub decoder: LayerConfig,
    pub decoder_layers: usize,
    pub positions: PositionKind,
    /// The longest source sequence (encoder positions).
    pub max_source_positions: usize,
    /// The longest target sequence (decoder positions; the same as the source's in every family but
    /// IndicTrans2, whose config sets them apart).
    pub max_target_positions: usize,
    /// Token embeddings are multiplied by this (`sqrt(d_model)` with `scale_embedding`, else 1).
    pub embed_scale: f64,
    /// A layer norm on the embedded input of each stack (`layernorm_embedding`).
    pub layernorm_embedding: bool,
    /// A layer norm at the end of the encoder stack (`encoder.layer_norm`: pre-norm families).
    pub encoder_final_norm: bool,
    /// A layer norm at the end of the decoder stack (`decoder.layer_norm`).
    pub decoder_final_norm: bool,
}

/// The token embeddings and output projection, which each family names and ties in its own way.
pub(crate) struct Embeddings {
    pub encoder: TokenEmbedding,
    pub decoder: TokenEmbedding,
    pub lm_head: VocabProjection,
}

/// One stack's embedding and final layer norms (each optional).
struct StackNorms {
    embedding: Option<LayerNorm>,
    last: Option<LayerNorm>,
}

impl StackNorms {
    fn new(
        cfg: &TransformerConfig,
        final_norm: bool,
        d_model: usize,
        vb: &VarBuilder,
    ) -> candle_core::Result<Self> {
        Ok(StackNorms {
            embedding: cfg
                .layernorm_embedding
                .then(|| layer_norm(d_model, vb.pp("layernorm_embedding")))
                .transpose()?,
            last: final_norm.then(|| layer_norm(d_model, vb.pp("layer_norm"))).transpose()?,
        })
    }

    fn embedding(&self, x: Tensor) -> candle_core::Result<Tensor> {
        match &self.embedding {
            Some(norm) => norm.forward(&x),
            None => Ok(x),
        }
    }

    fn last(&self, x: Tensor) -> candle_core::Result<Tensor> {
        match &self.last {
            Some(norm) => norm.forward(&x),
            None => Ok(x),
        }
    }
}

/// A loaded encoder-decoder model.
pub(crate) struct EncoderDecoder {
    embeddings: Embeddings,
    embed_scale: f64,
    positions: Positions,
    encoder_layers: Vec<EncoderLayer>,
    encoder_norms: StackNorms,
    decoder_layers: Vec<DecoderLayer>,
    decoder_norms: StackNorms,
    max_source_positions: usize,
    max_target_positions: usize,
    device: Device,
}

impl EncoderDecoder {
    /// Builds the layers from `vb` (the prefix holding `encoder.` and `decoder.`), with the family's
    /// `embeddings`.
    pub(crate) fn new(
        cfg: &TransformerConfig,
        vb: VarBuilder,
        embeddings: Embeddings,
    ) -> candle_core::Result<Self> {
        let encoder_layers = (0..cfg.encoder_layers)
            .map(|i| EncoderLayer::new(&cfg.encoder, vb.pp("encoder.layers").pp(i)))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let decoder_layers = (0..cfg.decoder_layers)
            .map(|i| DecoderLayer::new(&cfg.decoder, vb.pp("decoder.layers").pp(i)))
            .collect::<candle_core::Result<Vec<_>>>()?;
        // One table for both stacks, as long as the longer of the two needs.
        let rows = cfg.max_source_positions.max(cfg.max_target_positions);
        let positions = Positions::new(cfg.positions, rows, cfg.encoder.d_model, vb.dtype(), vb.device())?;
        Ok(EncoderDecoder {
            embeddings,
            embed_scale: cfg.embed_scale,
            positions,
            encoder_layers,
            encoder_norms: StackNorms::new(
                cfg,
                cfg.encoder_final_norm,
                cfg.encoder.d_model,
                &vb.pp("encoder"),
            )?,
            decoder_layers,
            decoder_norms: StackNorms::new(
                cfg,
                cfg.decoder_final_norm,
                cfg.decoder.d_model,
                &vb.pp("decoder"),
            )?,
            max_source_positions: cfg.max_source_positions,
            max_target_positions: cfg.max_target_positions,
            device: vb.device().clone(),
        })
    }
}

impl Seq2SeqModel for EncoderDecoder {
    fn encode(&self, input_ids: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        let embedded = (self.embeddings.encoder.forward(input_ids)? * self.embed_scale)?;
        let x = embedded.broadcast_add(&self.positions.for_inputs(input_ids)?)?;
        let mut x = self.encoder_norms.embedding(x)?;
        let mask = additive_mask(attention_mask)?.to_dtype(x.dtype())?;
        for layer in &self.encoder_layers {
            x = layer.forward(&x, &mask)?;
        }
        Ok(self.encoder_norms.last(x)?)
    }

    fn start_decoding(
        &self,
        encoder_output: &Tensor,
        attention_mask: &Tensor,
        copies: usize,
    ) -> Result<DecoderState> {
        let cross: Vec<&Attention> = self.decoder_layers.iter().map(|layer| &layer.encoder_attn).collect();
        DecoderState::start(&cross, encoder_output, attention_mask, copies)
    }

    fn decode_step(&self, state: &mut DecoderState, tokens: &Tensor) -> Result<Tensor> {
        if state.step >= self.max_target_positions {
            return Err(Error::InvalidInput(format!(
                "the decoder cannot go past {} positions",
                self.max_target_positions
            )));
        }
        let rows = tokens.dim(0)?;
        let embedded = (self.embeddings.decoder.forward(tokens)? * self.embed_scale)?;
        let x =
            embedded.broadcast_add(&self.positions.for_step(tokens, state.step)?)?.reshape((rows, 1, ()))?;
        let mut x = self.decoder_norms.embedding(x)?;
        for (layer, cache) in self.decoder_layers.iter().zip(state.layers.iter_mut()) {
            x = layer.step(&x, cache, &state.cross_mask)?;
        }
        state.step += 1;
        let hidden = self.decoder_norms.last(x)?.squeeze(1)?;
        Ok(self.embeddings.lm_head.forward(&hidden)?)
    }

    fn max_source_positions(&self) -> usize {
        self.max_source_positions
    }

    fn max_target_positions(&self) -> usize {
        self.max_target_positions
    }

    fn device(&self) -> &Device {
        &self.device
    }
}
