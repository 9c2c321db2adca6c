//! M2M100 and NLLB-200 (`model_type: m2m_100`) as a configuration of the shared encoder-decoder:
//! pre-norm layers with final layer norms, scaled embeddings shared by encoder, decoder and output
//! projection, and fairseq's sinusoidal positions counted from `pad_token_id + 1`, as `transformers`'
//! `M2M100ForConditionalGeneration`.

use std::path::Path;

use candle_core::Tensor;
use candle_nn::VarBuilder;

use super::layers::{LayerConfig, NormPlacement};
use super::positions::PositionKind;
use super::transformer::{Embeddings, EncoderDecoder, TransformerConfig};
use super::{activation, bad_weights, first_present};
use crate::config::M2M100Config;
use crate::error::Result;
use crate::ops::linear::VocabProjection;
use crate::ops::PackedFormat;

/// The shared layers' configuration of an M2M100 `config.json`.
fn transformer_config(cfg: &M2M100Config, packing: Option<PackedFormat>) -> Result<TransformerConfig> {
    let activation = activation(&cfg.activation_function)?;
    let layer = |heads, ffn_dim| LayerConfig {
        d_model: cfg.d_model,
        heads,
        ffn_dim,
        activation,
        norm: NormPlacement::Pre,
        packing,
    };
    Ok(TransformerConfig {
        encoder: layer(cfg.encoder_attention_heads, cfg.encoder_ffn_dim),
        encoder_layers: cfg.encoder_layers,
        decoder: layer(cfg.decoder_attention_heads, cfg.decoder_ffn_dim),
        decoder_layers: cfg.decoder_layers,
        positions: PositionKind::Fairseq { padding: cfg.pad_token_id },
        max_source_positions: cfg.max_position_embeddings,
        max_target_positions: cfg.max_position_embeddings,
        embed_scale: if cfg.scale_embedding { (cfg.d_model as f64).sqrt() } else { 1.0 },
        layernorm_embedding: false,
        encoder_final_norm: true,
        decoder_final_norm: true,
    })
}

/// Builds an M2M100-family model from its parsed `config.json` and weights.
pub(crate) fn load(
    cfg: &M2M100Config,
    vb: VarBuilder,
    weights_path: &Path,
    packing: Option<PackedFormat>,
) -> Result<EncoderDecoder> {
    let bad = bad_weights(weights_path);
    let transformer = transformer_config(cfg, packing)?;
    let vb = if vb.contains_tensor("model.encoder.layers.0.fc1.weight") { vb.pp("model") } else { vb };
    let names = ["shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"];
    let name = first_present(&vb, &names, weights_path)?;
    // The embedding and the output projection first, and their tensors dropped before the layers
    // load (see `marian::load`).
    let embeddings = {
        let shared = vb.get((cfg.vocab_size, cfg.d_model), name).map_err(&bad)?;
        let lm_head = if cfg.tie_word_embeddings {
            shared.clone()
        } else {
            vb.root().get((cfg.vocab_size, cfg.d_model), "lm_head.weight").map_err(&bad)?
        };
        let no_bias = Tensor::zeros(cfg.vocab_size, vb.dtype(), vb.device())?;
        let lm_head = VocabProjection::new(lm_head, no_bias, packing);
        let embed = lm_head.input_embedding(cfg.tie_word_embeddings, shared)?;
        Embeddings { encoder: embed.clone(), decoder: embed, lm_head }
    };
    EncoderDecoder::new(&transformer, vb, embeddings).map_err(bad)
}
