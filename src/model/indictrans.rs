//! IndicTrans2 (`model_type: "IndicTrans"`, AI4Bharat's `IndicTransForConditionalGeneration`) as a
//! configuration of the shared encoder-decoder: separate source and target vocabularies and
//! embeddings, pre- or post-norm per stack (`encoder_normalize_before`, `decoder_normalize_before`,
//! each with its stack's final layer norm), an optional `layernorm_embedding`, scaled embeddings,
//! fairseq's sinusoidal positions counted from `pad_token_id + 1`, and an output projection of its own
//! unless `share_decoder_input_output_embed` ties it to the decoder's embedding.

use std::path::Path;

use candle_core::Tensor;
use candle_nn::{Embedding, VarBuilder};

use super::layers::{LayerConfig, NormPlacement};
use super::positions::PositionKind;
use super::transformer::{Embeddings, EncoderDecoder, TransformerConfig};
use super::{activation, bad_weights, first_present};
use crate::config::IndicTransConfig;
use crate::error::Result;
use crate::ops::linear::{TokenEmbedding, VocabProjection};
use crate::ops::PackedFormat;

/// The output projection's weight (no bias).
const LM_HEAD: &str = "lm_head.weight";

/// The shared layers' configuration of an IndicTrans2 `config.json`.
fn transformer_config(cfg: &IndicTransConfig, packing: Option<PackedFormat>) -> Result<TransformerConfig> {
    let activation = activation(&cfg.activation_function)?;
    let placement = |before| if before { NormPlacement::Pre } else { NormPlacement::Post };
    let layer = |heads, ffn_dim, before| LayerConfig {
        d_model: cfg.encoder_embed_dim,
        heads,
        ffn_dim,
        activation,
        norm: placement(before),
        packing,
    };
    Ok(TransformerConfig {
        encoder: layer(cfg.encoder_attention_heads, cfg.encoder_ffn_dim, cfg.encoder_normalize_before),
        encoder_layers: cfg.encoder_layers,
        decoder: layer(cfg.decoder_attention_heads, cfg.decoder_ffn_dim, cfg.decoder_normalize_before),
        decoder_layers: cfg.decoder_layers,
        positions: PositionKind::Fairseq { padding: cfg.pad_token_id },
        max_source_positions: cfg.max_source_positions,
        max_target_positions: cfg.max_target_positions,
        embed_scale: if cfg.scale_embedding { (cfg.encoder_embed_dim as f64).sqrt() } else { 1.0 },
        layernorm_embedding: cfg.layernorm_embedding,
        // The reference creates `layer_norm` at the end of a stack exactly when it is pre-norm.
        encoder_final_norm: cfg.encoder_normalize_before,
        decoder_final_norm: cfg.decoder_normalize_before,
    })
}

/// Builds an IndicTrans2 model from its parsed `config.json` and weights.
pub(crate) fn load(
    cfg: &IndicTransConfig,
    vb: VarBuilder,
    weights_path: &Path,
    packing: Option<PackedFormat>,
) -> Result<EncoderDecoder> {
    let bad = bad_weights(weights_path);
    let transformer = transformer_config(cfg, packing)?;
    let root = vb.clone();
    // `IndicTransForConditionalGeneration` names the layers under `model.`, a bare `IndicTransModel`
    // does not; `lm_head` is at the top either way.
    let (vb, prefix) = if vb.contains_tensor("model.encoder.embed_tokens.weight") {
        (vb.pp("model"), "model.")
    } else {
        (vb, "")
    };
    let d = cfg.encoder_embed_dim;
    let (source_vocab, target_vocab) = (cfg.encoder_vocab_size, cfg.decoder_vocab_size);
    // The embeddings and the output projection first, their tensors dropped before the layers load
    // (see `marian::load`).
    let embeddings = {
        let encoder_name = format!("{prefix}encoder.embed_tokens.weight");
        let encoder_weight = root.get((source_vocab, d), &encoder_name).map_err(&bad)?;
        let decoder_name = format!("{prefix}decoder.embed_tokens.weight");
        let tied = cfg.share_decoder_input_output_embed;
        // Tied: one matrix, which a checkpoint may hold under either name or both
        // (`pytorch_model.bin` keeps both, a converted `model.safetensors` one of them, which one
        // depending on the converter).
        let (decoder_weight, lm_head) = if tied {
            let names = [decoder_name.as_str(), LM_HEAD];
            let shared =
                root.get((target_vocab, d), first_present(&root, &names, weights_path)?).map_err(&bad)?;
            (shared.clone(), shared)
        } else {
            (
                root.get((target_vocab, d), &decoder_name).map_err(&bad)?,
                root.get((target_vocab, d), LM_HEAD).map_err(&bad)?,
            )
        };
        let no_bias = Tensor::zeros(target_vocab, root.dtype(), root.device())?;
        let lm_head = VocabProjection::new(lm_head, no_bias, packing);
        let decoder = lm_head.input_embedding(tied, decoder_weight)?;
        let encoder = TokenEmbedding::Table(Embedding::new(encoder_weight, d));
        Embeddings { encoder, decoder, lm_head }
    };
    EncoderDecoder::new(&transformer, vb, embeddings).map_err(bad)
}
