//! MarianMT (`model_type: marian`) as a configuration of the shared encoder-decoder: post-norm layers,
//! Marian's sinusoidal positions, shared or separate embeddings, an output projection tied to the
//! decoder's embedding or not, and `final_logits_bias`, as `transformers`' `MarianMTModel`.

use std::path::Path;

use candle_core::Tensor;
use candle_nn::{Embedding, VarBuilder};

use super::layers::{LayerConfig, NormPlacement};
use super::positions::PositionKind;
use super::transformer::{Embeddings, EncoderDecoder, TransformerConfig};
use super::{activation, bad_weights, first_present};
use crate::config::MarianConfig;
use crate::error::Result;
use crate::ops::linear::{TokenEmbedding, VocabProjection};
use crate::ops::PackedFormat;

/// The shared layers' configuration of a Marian `config.json`.
fn transformer_config(cfg: &MarianConfig, packing: Option<PackedFormat>) -> Result<TransformerConfig> {
    let activation = activation(&cfg.activation_function)?;
    let layer = |heads, ffn_dim| LayerConfig {
        d_model: cfg.d_model,
        heads,
        ffn_dim,
        activation,
        norm: NormPlacement::Post,
        packing,
    };
    Ok(TransformerConfig {
        encoder: layer(cfg.encoder_attention_heads, cfg.encoder_ffn_dim),
        encoder_layers: cfg.encoder_layers,
        decoder: layer(cfg.decoder_attention_heads, cfg.decoder_ffn_dim),
        decoder_layers: cfg.decoder_layers,
        positions: PositionKind::Marian,
        max_source_positions: cfg.max_position_embeddings,
        max_target_positions: cfg.max_position_embeddings,
        embed_scale: if cfg.scale_embedding { (cfg.d_model as f64).sqrt() } else { 1.0 },
        layernorm_embedding: false,
        encoder_final_norm: false,
        decoder_final_norm: false,
    })
}

/// Builds a Marian model from its parsed `config.json` and weights.
pub(crate) fn load(
    cfg: &MarianConfig,
    vb: VarBuilder,
    weights_path: &Path,
    packing: Option<PackedFormat>,
) -> Result<EncoderDecoder> {
    let bad = bad_weights(weights_path);
    let transformer = transformer_config(cfg, packing)?;
    // MarianMTModel checkpoints name everything under `model.`; a bare MarianModel does not.
    let vb = if vb.contains_tensor("model.encoder.layers.0.fc1.weight") { vb.pp("model") } else { vb };
    let d = cfg.d_model;
    let decoder_vocab = cfg.decoder_vocab_size();
    // The embeddings and the output projection first, and their tensors dropped before the layers
    // load: with a packed, tied projection the embedding matrix is stored once, and the load's peak
    // memory holds at most two copies of it, not two on top of the whole model.
    let get = |names: &[&str], rows: usize| -> Result<Tensor> {
        vb.get((rows, d), first_present(&vb, names, weights_path)?).map_err(&bad)
    };
    let embeddings = {
        let (encoder_weight, decoder_weight) = if cfg.share_encoder_decoder_embeddings {
            let shared = get(
                &["shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"],
                cfg.vocab_size,
            )?;
            (shared.clone(), shared)
        } else {
            (
                get(&["encoder.embed_tokens.weight"], cfg.vocab_size)?,
                get(&["decoder.embed_tokens.weight"], decoder_vocab)?,
            )
        };
        let output_vocab = if cfg.share_encoder_decoder_embeddings { cfg.vocab_size } else { decoder_vocab };
        let lm_head = if cfg.tie_word_embeddings {
            decoder_weight.clone()
        } else {
            vb.root().get((output_vocab, d), "lm_head.weight").map_err(&bad)?
        };
        let final_logits_bias = if vb.root().contains_tensor("final_logits_bias") {
            vb.root().get((1, output_vocab), "final_logits_bias").map_err(&bad)?.reshape(output_vocab)?
        } else {
            Tensor::zeros(output_vocab, vb.dtype(), vb.device())?
        };
        let lm_head = VocabProjection::new(lm_head, final_logits_bias, packing);
        let decoder = lm_head.input_embedding(cfg.tie_word_embeddings, decoder_weight)?;
        let encoder = if cfg.share_encoder_decoder_embeddings {
            decoder.clone()
        } else {
            TokenEmbedding::Table(Embedding::new(encoder_weight, d))
        };
        Embeddings { encoder, decoder, lm_head }
    };
    EncoderDecoder::new(&transformer, vb, embeddings).map_err(bad)
}
