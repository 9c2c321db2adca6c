//! M2M100 and NLLB-200 (`model_type: m2m_100`): pre-norm encoder-decoder with final layer norms,
//! scaled embeddings, and sinusoidal positions counted from `pad_token_id + 1` (padding gets the zero
//! row), as `transformers`' `M2M100ForConditionalGeneration`.

use std::path::Path;

use candle_core::{Device, Module, Tensor};
use candle_nn::{LayerNorm, VarBuilder};

use super::layers::{
    self, Activation, Attention, DecoderLayer, EncoderLayer, NormPlacement, TokenEmbedding, VocabProjection,
};
use super::packed_gemm::Format;
use super::{DecoderState, Seq2SeqModel};
use crate::config::M2M100Config;
use crate::error::{Error, Result};

/// A loaded M2M100-family model.
pub(crate) struct M2M100 {
    embed: TokenEmbedding,
    embed_scale: f64,
    positions: Tensor,
    pad: u32,
    encoder_layers: Vec<EncoderLayer>,
    encoder_layer_norm: LayerNorm,
    decoder_layers: Vec<DecoderLayer>,
    decoder_layer_norm: LayerNorm,
    lm_head: VocabProjection,
    max_positions: usize,
    device: Device,
}

impl M2M100 {
    pub(crate) fn load(
        cfg: &M2M100Config,
        vb: VarBuilder,
        weights_path: &Path,
        packing: Option<Format>,
    ) -> Result<Self> {
        let bad = |e: candle_core::Error| Error::bad_file(weights_path, e);
        let activation = Activation::from_name(&cfg.activation_function).ok_or_else(|| {
            Error::InvalidInput(format!("unsupported activation_function `{}`", cfg.activation_function))
        })?;
        let vb = if vb.contains_tensor("model.encoder.layers.0.fc1.weight") { vb.pp("model") } else { vb };
        let d = cfg.d_model;
        let names = ["shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"];
        let name = names.iter().find(|name| vb.contains_tensor(name)).ok_or_else(|| {
            Error::bad_file(weights_path, format!("no tensor named {}", names.join(" or ")))
        })?;
        // The embedding and the output projection first, and their tensors dropped before the layers
        // load (see `Marian::load`).
        let (embed, lm_head) = {
            let shared = vb.get((cfg.vocab_size, d), name).map_err(bad)?;
            let lm_head = if cfg.tie_word_embeddings {
                shared.clone()
            } else {
                vb.root().get((cfg.vocab_size, d), "lm_head.weight").map_err(bad)?
            };
            let no_bias = Tensor::zeros(cfg.vocab_size, vb.dtype(), vb.device())?;
            let lm_head = VocabProjection::new(lm_head, no_bias, packing);
            let embed = lm_head.input_embedding(cfg.tie_word_embeddings, shared)?;
            (embed, lm_head)
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
        let rows = cfg.max_position_embeddings + cfg.pad_token_id as usize + 2;
        let positions =
            sinusoidal_positions(rows, d, cfg.pad_token_id as usize, vb.device())?.to_dtype(vb.dtype())?;
        Ok(M2M100 {
            embed,
            embed_scale: if cfg.scale_embedding { (d as f64).sqrt() } else { 1.0 },
            positions,
            pad: cfg.pad_token_id,
            encoder_layers,
            encoder_layer_norm: layers::layer_norm(d, vb.pp("encoder.layer_norm")).map_err(bad)?,
            decoder_layers,
            decoder_layer_norm: layers::layer_norm(d, vb.pp("decoder.layer_norm")).map_err(bad)?,
            lm_head,
            max_positions: cfg.max_position_embeddings,
            device: vb.device().clone(),
        })
    }

    /// Position rows for `ids` (one sequence): padding gets `pad`, the others `pad + 1 + count of
    /// non-padding tokens before them + offset` (fairseq's `make_positions`).
    fn position_ids(&self, ids: &[u32], offset: usize) -> Vec<u32> {
        let mut count = offset as u32;
        ids.iter()
            .map(|&id| {
                if id == self.pad {
                    self.pad
                } else {
                    count += 1;
                    self.pad + count
                }
            })
            .collect()
    }
}

/// fairseq's sinusoidal table (sin half, cos half), rounded as `transformers` computes it in f32:
/// frequencies `exp(k * -ln(10000) / (half - 1))`, angles `position * frequency`, both rounded to f32
/// before the sine and cosine; the padding row is zero.
fn sinusoidal_positions(
    rows: usize,
    dim: usize,
    padding: usize,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let half = dim / 2;
    let step = -((10000f64).ln() / (half as f64 - 1.0)) as f32;
    let frequencies: Vec<f32> = (0..half).map(|k| ((k as f32 * step) as f64).exp() as f32).collect();
    let mut table = vec![0f32; rows * dim];
    for position in 0..rows {
        if position == padding {
            continue;
        }
        let row = &mut table[position * dim..(position + 1) * dim];
        for (k, &frequency) in frequencies.iter().enumerate() {
            let angle = f64::from(position as f32 * frequency);
            row[k] = angle.sin() as f32;
            row[half + k] = angle.cos() as f32;
        }
    }
    Tensor::from_vec(table, (rows, dim), device)
}

impl Seq2SeqModel for M2M100 {
    fn encode(&self, input_ids: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        let (batch, len) = input_ids.dims2()?;
        let rows: Vec<u32> =
            input_ids.to_vec2::<u32>()?.iter().flat_map(|ids| self.position_ids(ids, 0)).collect();
        let position_ids = Tensor::from_vec(rows, batch * len, &self.device)?;
        let positions = self.positions.index_select(&position_ids, 0)?.reshape((batch, len, ()))?;
        let mut x = ((self.embed.forward(input_ids)? * self.embed_scale)? + positions)?;
        let mask = layers::additive_mask(attention_mask)?.to_dtype(x.dtype())?;
        for layer in &self.encoder_layers {
            x = layer.forward(&x, &mask, NormPlacement::Pre)?;
        }
        Ok(self.encoder_layer_norm.forward(&x)?)
    }

    fn start_decoding(
        &self,
        encoder_output: &Tensor,
        attention_mask: &Tensor,
        copies: usize,
    ) -> Result<DecoderState> {
        let caches: Vec<&Attention> = self.decoder_layers.iter().map(|layer| &layer.encoder_attn).collect();
        layers::start_decoding(&caches, encoder_output, attention_mask, copies)
    }

    fn decode_step(&self, state: &mut DecoderState, tokens: &Tensor) -> Result<Tensor> {
        if state.step >= self.max_positions {
            return Err(Error::InvalidInput(format!(
                "the decoder cannot go past {} positions",
                self.max_positions
            )));
        }
        let rows = tokens.dim(0)?;
        let position_ids: Vec<u32> =
            tokens.to_vec1::<u32>()?.iter().map(|&t| self.position_ids(&[t], state.step)[0]).collect();
        let positions =
            self.positions.index_select(&Tensor::new(position_ids.as_slice(), &self.device)?, 0)?;
        let embedded = (self.embed.forward(tokens)? * self.embed_scale)?;
        let mut x = (embedded + positions)?.reshape((rows, 1, ()))?;
        for (layer, cache) in self.decoder_layers.iter().zip(state.layers.iter_mut()) {
            x = layer.step(&x, cache, &state.cross_mask, NormPlacement::Pre)?;
        }
        state.step += 1;
        let hidden = self.decoder_layer_norm.forward(&x)?.squeeze(1)?;
        Ok(self.lm_head.forward(&hidden)?)
    }

    fn max_positions(&self) -> usize {
        self.max_positions
    }

    fn device(&self) -> &Device {
        &self.device
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_row_is_zero_and_others_are_not() {
        let table = sinusoidal_positions(6, 4, 1, &Device::Cpu).unwrap().to_vec2::<f32>().unwrap();
        assert!(table[1].iter().all(|&v| v == 0.0));
        assert_eq!(table[0], vec![0.0, 0.0, 1.0, 1.0]);
        assert!(table[2].iter().any(|&v| v != 0.0));
    }
}
