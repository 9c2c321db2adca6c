//! MarianMT (`model_type: marian`): post-norm encoder-decoder with sinusoidal positions, as
//! `transformers`' `MarianMTModel`.
//!
//! Unlike candle-transformers' Marian, the encoder masks padding (batches of different lengths give the
//! same result as one sentence alone), the decoder masks padding in cross-attention, the cross-attention
//! keys/values are computed once per input, and no cache outlives one call to the generation loop.

use std::path::Path;

use candle_core::{Device, Tensor};
use candle_nn::{Embedding, VarBuilder};

use super::layers::{
    self, Activation, Attention, DecoderLayer, EncoderLayer, NormPlacement, TokenEmbedding, VocabProjection,
};
use super::packed_gemm::Format;
use super::{DecoderState, Seq2SeqModel};
use crate::config::MarianConfig;
use crate::error::{Error, Result};

/// A loaded Marian model.
pub(crate) struct Marian {
    encoder_embed: TokenEmbedding,
    decoder_embed: TokenEmbedding,
    embed_scale: f64,
    positions: Tensor,
    encoder_layers: Vec<EncoderLayer>,
    decoder_layers: Vec<DecoderLayer>,
    lm_head: VocabProjection,
    max_positions: usize,
    device: Device,
}

impl Marian {
    /// Builds the model from `config.json` (already parsed) and a weights file.
    pub(crate) fn load(
        cfg: &MarianConfig,
        vb: VarBuilder,
        weights_path: &Path,
        packing: Option<Format>,
    ) -> Result<Self> {
        let bad = |e: candle_core::Error| Error::bad_file(weights_path, e);
        let activation = Activation::from_name(&cfg.activation_function).ok_or_else(|| {
            Error::InvalidInput(format!("unsupported activation_function `{}`", cfg.activation_function))
        })?;
        // MarianMTModel checkpoints name everything under `model.`; a bare MarianModel does not.
        let vb = if vb.contains_tensor("model.encoder.layers.0.fc1.weight") { vb.pp("model") } else { vb };
        let d = cfg.d_model;
        let decoder_vocab = cfg.decoder_vocab_size();
        let get_first = |names: &[&str], rows: usize| -> Result<Tensor> {
            for name in names {
                if vb.contains_tensor(name) {
                    return vb.get((rows, d), name).map_err(bad);
                }
            }
            Err(Error::bad_file(weights_path, format!("no tensor named {}", names.join(" or "))))
        };
        // The embeddings and the output projection first, and their tensors dropped before the
        // layers load: with a packed, tied projection the embedding matrix is stored once, and the
        // load's peak memory holds at most two copies of it, not two on top of the whole model.
        let (encoder_embed, decoder_embed, lm_head) = {
            let (encoder_weight, decoder_weight) = if cfg.share_encoder_decoder_embeddings {
                let shared = get_first(
                    &["shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"],
                    cfg.vocab_size,
                )?;
                (shared.clone(), shared)
            } else {
                (
                    get_first(&["encoder.embed_tokens.weight"], cfg.vocab_size)?,
                    get_first(&["decoder.embed_tokens.weight"], decoder_vocab)?,
                )
            };
            let output_vocab =
                if cfg.share_encoder_decoder_embeddings { cfg.vocab_size } else { decoder_vocab };
            let lm_head = if cfg.tie_word_embeddings {
                decoder_weight.clone()
            } else {
                vb.root().get((output_vocab, d), "lm_head.weight").map_err(bad)?
            };
            let final_logits_bias = if vb.root().contains_tensor("final_logits_bias") {
                vb.root().get((1, output_vocab), "final_logits_bias").map_err(bad)?.reshape(output_vocab)?
            } else {
                Tensor::zeros(output_vocab, vb.dtype(), vb.device())?
            };
            let lm_head = VocabProjection::new(lm_head, final_logits_bias, packing);
            let decoder_embed = lm_head.input_embedding(cfg.tie_word_embeddings, decoder_weight)?;
            let encoder_embed = if cfg.share_encoder_decoder_embeddings {
                decoder_embed.clone()
            } else {
                TokenEmbedding::Table(Embedding::new(encoder_weight, d))
            };
            (encoder_embed, decoder_embed, lm_head)
        };
        let encoder_layers = (0..cfg.encoder_layers)
            .map(|i| {
                EncoderLayer::new(
                    d,
                    cfg.encoder_attention_heads,
                    cfg.encoder_ffn_dim,
                    activation,
                    vb.pp("encoder.layers").pp(i),
                    packing,
                )
            })
            .collect::<candle_core::Result<Vec<_>>>()
            .map_err(bad)?;
        let decoder_layers = (0..cfg.decoder_layers)
            .map(|i| {
                DecoderLayer::new(
                    d,
                    cfg.decoder_attention_heads,
                    cfg.decoder_ffn_dim,
                    activation,
                    vb.pp("decoder.layers").pp(i),
                    packing,
                )
            })
            .collect::<candle_core::Result<Vec<_>>>()
            .map_err(bad)?;
        let positions = layers::sinusoidal_positions(cfg.max_position_embeddings, d, vb.device())?
            .to_dtype(vb.dtype())?;
        Ok(Marian {
            encoder_embed,
            decoder_embed,
            embed_scale: if cfg.scale_embedding { (d as f64).sqrt() } else { 1.0 },
            positions,
            encoder_layers,
            decoder_layers,
            lm_head,
            max_positions: cfg.max_position_embeddings,
            device: vb.device().clone(),
        })
    }
}

impl Seq2SeqModel for Marian {
    fn encode(&self, input_ids: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        let (_, len) = input_ids.dims2()?;
        let embedded = (self.encoder_embed.forward(input_ids)? * self.embed_scale)?;
        let mut x = embedded.broadcast_add(&self.positions.narrow(0, 0, len)?)?;
        let mask = layers::additive_mask(attention_mask)?.to_dtype(x.dtype())?;
        for layer in &self.encoder_layers {
            x = layer.forward(&x, &mask, NormPlacement::Post)?;
        }
        Ok(x)
    }

    fn start_decoding(
        &self,
        encoder_output: &Tensor,
        attention_mask: &Tensor,
        copies: usize,
    ) -> Result<DecoderState> {
        let cross: Vec<&Attention> = self.decoder_layers.iter().map(|layer| &layer.encoder_attn).collect();
        layers::start_decoding(&cross, encoder_output, attention_mask, copies)
    }

    fn decode_step(&self, state: &mut DecoderState, tokens: &Tensor) -> Result<Tensor> {
        if state.step >= self.max_positions {
            return Err(Error::InvalidInput(format!(
                "the decoder cannot go past {} positions",
                self.max_positions
            )));
        }
        let rows = tokens.dim(0)?;
        let embedded = (self.decoder_embed.forward(tokens)? * self.embed_scale)?;
        let position = self.positions.narrow(0, state.step, 1)?;
        let mut x = embedded.broadcast_add(&position)?.reshape((rows, 1, ()))?;
        for (layer, cache) in self.decoder_layers.iter().zip(state.layers.iter_mut()) {
            x = layer.step(&x, cache, &state.cross_mask, NormPlacement::Post)?;
        }
        state.step += 1;
        let hidden = x.squeeze(1)?;
        Ok(self.lm_head.forward(&hidden)?)
    }

    fn max_positions(&self) -> usize {
        self.max_positions
    }

    fn device(&self) -> &Device {
        &self.device
    }
}
