//! The hub's `config.json` and `generation_config.json`, field for field.
//!
//! Field names are those of the JSON files; defaults are those of `transformers` (`MarianConfig`,
//! `GenerationConfig`) so a file that leaves a field out behaves as it does there.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// Reads and parses a JSON file, naming the file in any error.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::bad_file(path, format!("invalid JSON: {e}")))
}

/// A token id or a list of them (`eos_token_id` may be either).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(u32),
    Many(Vec<u32>),
}

impl OneOrMany {
    pub(crate) fn to_vec(&self) -> Vec<u32> {
        match self {
            OneOrMany::One(id) => vec![*id],
            OneOrMany::Many(ids) => ids.clone(),
        }
    }
}

/// `early_stopping`: `true`, `false` or `"never"`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(untagged)]
pub(crate) enum EarlyStoppingValue {
    Flag(bool),
    #[serde(with = "never")]
    Never,
    #[default]
    #[serde(skip)]
    Unset,
}

mod never {
    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
        let text = String::deserialize(d)?;
        if text == "never" {
            Ok(())
        } else {
            Err(serde::de::Error::custom(format!(
                "early_stopping must be true, false or \"never\", not {text:?}"
            )))
        }
    }
}

/// The fields of `config.json` that any architecture has: which one it is, and generation settings that
/// 2020-era files keep here instead of in `generation_config.json`.
#[derive(Debug, Clone, Deserialize, Default)]
pub(crate) struct CommonConfig {
    pub model_type: Option<String>,
    #[serde(flatten)]
    pub generation: GenerationFile,
}

/// `generation_config.json` (or the generation fields of an old `config.json`). Every field optional: what
/// is absent falls back to `config.json`, then to the `transformers` default.
#[derive(Debug, Clone, Deserialize, Default)]
pub(crate) struct GenerationFile {
    pub bad_words_ids: Option<Vec<Vec<u32>>>,
    pub bos_token_id: Option<u32>,
    pub decoder_start_token_id: Option<u32>,
    pub eos_token_id: Option<OneOrMany>,
    pub pad_token_id: Option<u32>,
    pub forced_bos_token_id: Option<u32>,
    pub forced_eos_token_id: Option<OneOrMany>,
    pub max_length: Option<usize>,
    pub max_new_tokens: Option<usize>,
    pub min_length: Option<usize>,
    pub min_new_tokens: Option<usize>,
    pub num_beams: Option<usize>,
    pub length_penalty: Option<f64>,
    #[serde(default)]
    pub early_stopping: EarlyStoppingValue,
    pub no_repeat_ngram_size: Option<usize>,
    pub repetition_penalty: Option<f32>,
    pub renormalize_logits: Option<bool>,
    /// Fields that change `transformers`' output and that anuvad does not implement.
    #[serde(flatten)]
    pub unsupported: UnsupportedGeneration,
}

/// The fields of `generation_config.json` that change what `transformers` 5 generates for an
/// encoder-decoder model and that anuvad does not implement. Their neutral values (absent, `null`,
/// `false`, `1`, `0`, empty) are accepted; any other is refused rather than silently ignored. (Sampling
/// settings such as `temperature` or `top_k` act only with `do_sample`, so they need no check.)
#[derive(Debug, Clone, Deserialize, Default)]
pub(crate) struct UnsupportedGeneration {
    do_sample: Option<bool>,
    num_beam_groups: Option<usize>,
    penalty_alpha: Option<f64>,
    guidance_scale: Option<f64>,
    encoder_repetition_penalty: Option<f64>,
    encoder_no_repeat_ngram_size: Option<usize>,
    remove_invalid_values: Option<bool>,
    token_healing: Option<bool>,
    max_time: Option<f64>,
    constraints: Option<serde_json::Value>,
    force_words_ids: Option<serde_json::Value>,
    sequence_bias: Option<serde_json::Value>,
    exponential_decay_length_penalty: Option<serde_json::Value>,
    suppress_tokens: Option<serde_json::Value>,
    begin_suppress_tokens: Option<serde_json::Value>,
    watermarking_config: Option<serde_json::Value>,
    stop_strings: Option<serde_json::Value>,
    dola_layers: Option<serde_json::Value>,
}

impl UnsupportedGeneration {
    /// The first field set to a value that changes the output, and what it does in `transformers`.
    fn first_set(&self) -> Option<(&'static str, &'static str)> {
        let set = |value: &Option<serde_json::Value>| match value {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::Array(items)) => !items.is_empty(),
            Some(serde_json::Value::Object(fields)) => !fields.is_empty(),
            Some(_) => true,
        };
        let checks = [
            (
                self.do_sample == Some(true),
                "do_sample",
                "sampling (anuvad decodes greedily or with beam search)",
            ),
            (self.num_beam_groups.is_some_and(|n| n > 1), "num_beam_groups", "diverse (group) beam search"),
            (self.penalty_alpha.is_some_and(|a| a > 0.0), "penalty_alpha", "contrastive search"),
            (self.guidance_scale.is_some_and(|g| g != 1.0), "guidance_scale", "classifier-free guidance"),
            (
                self.encoder_repetition_penalty.is_some_and(|p| p != 1.0),
                "encoder_repetition_penalty",
                "a penalty on tokens of the input",
            ),
            (
                self.encoder_no_repeat_ngram_size.is_some_and(|n| n > 0),
                "encoder_no_repeat_ngram_size",
                "a ban on n-grams of the input",
            ),
            (
                self.remove_invalid_values == Some(true),
                "remove_invalid_values",
                "replacing inf and NaN scores",
            ),
            (self.token_healing == Some(true), "token_healing", "token healing"),
            (self.max_time.is_some(), "max_time", "a time limit on generation"),
            (set(&self.constraints), "constraints", "constrained beam search"),
            (set(&self.force_words_ids), "force_words_ids", "constrained beam search"),
            (set(&self.sequence_bias), "sequence_bias", "biases on token sequences"),
            (
                set(&self.exponential_decay_length_penalty),
                "exponential_decay_length_penalty",
                "a length penalty that grows",
            ),
            (set(&self.suppress_tokens), "suppress_tokens", "banned tokens"),
            (set(&self.begin_suppress_tokens), "begin_suppress_tokens", "tokens banned at the start"),
            (set(&self.watermarking_config), "watermarking_config", "watermarking"),
            (set(&self.stop_strings), "stop_strings", "stopping at strings"),
            (set(&self.dola_layers), "dola_layers", "DoLa decoding"),
        ];
        checks.into_iter().find(|(is_set, _, _)| *is_set).map(|(_, field, what)| (field, what))
    }
}

impl GenerationFile {
    /// `self` with every unset field taken from `fallback`.
    pub(crate) fn or(self, fallback: GenerationFile) -> GenerationFile {
        GenerationFile {
            bad_words_ids: self.bad_words_ids.or(fallback.bad_words_ids),
            bos_token_id: self.bos_token_id.or(fallback.bos_token_id),
            decoder_start_token_id: self.decoder_start_token_id.or(fallback.decoder_start_token_id),
            eos_token_id: self.eos_token_id.or(fallback.eos_token_id),
            pad_token_id: self.pad_token_id.or(fallback.pad_token_id),
            forced_bos_token_id: self.forced_bos_token_id.or(fallback.forced_bos_token_id),
            forced_eos_token_id: self.forced_eos_token_id.or(fallback.forced_eos_token_id),
            max_length: self.max_length.or(fallback.max_length),
            max_new_tokens: self.max_new_tokens.or(fallback.max_new_tokens),
            min_length: self.min_length.or(fallback.min_length),
            min_new_tokens: self.min_new_tokens.or(fallback.min_new_tokens),
            num_beams: self.num_beams.or(fallback.num_beams),
            length_penalty: self.length_penalty.or(fallback.length_penalty),
            early_stopping: match self.early_stopping {
                EarlyStoppingValue::Unset => fallback.early_stopping,
                set => set,
            },
            no_repeat_ngram_size: self.no_repeat_ngram_size.or(fallback.no_repeat_ngram_size),
            repetition_penalty: self.repetition_penalty.or(fallback.repetition_penalty),
            renormalize_logits: self.renormalize_logits.or(fallback.renormalize_logits),
            // Checked in each file on its own (`check_supported`).
            unsupported: self.unsupported,
        }
    }

    /// Refuses a setting that changes `transformers`' output and that anuvad does not implement.
    pub(crate) fn check_supported(&self, path: &Path) -> Result<()> {
        match self.unsupported.first_set() {
            Some((field, what)) => Err(Error::bad_file(
                path,
                format!(
                    "sets `{field}`, which makes transformers generate differently ({what}); anuvad does not \
                     implement it and will not ignore it silently: remove the field or set it to its default"
                ),
            )),
            None => Ok(()),
        }
    }
}

/// `config.json` of a Marian model (`MarianConfig` in `transformers`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct MarianConfig {
    #[serde(default = "defaults::marian_vocab_size")]
    pub vocab_size: usize,
    /// Defaults to `vocab_size`.
    pub decoder_vocab_size: Option<usize>,
    #[serde(default = "defaults::marian_d_model")]
    pub d_model: usize,
    #[serde(default = "defaults::marian_layers")]
    pub encoder_layers: usize,
    #[serde(default = "defaults::marian_layers")]
    pub decoder_layers: usize,
    #[serde(default = "defaults::marian_heads")]
    pub encoder_attention_heads: usize,
    #[serde(default = "defaults::marian_heads")]
    pub decoder_attention_heads: usize,
    #[serde(default = "defaults::marian_ffn")]
    pub encoder_ffn_dim: usize,
    #[serde(default = "defaults::marian_ffn")]
    pub decoder_ffn_dim: usize,
    #[serde(default = "defaults::gelu")]
    pub activation_function: String,
    #[serde(default = "defaults::marian_max_positions")]
    pub max_position_embeddings: usize,
    #[serde(default)]
    pub scale_embedding: bool,
    #[serde(default = "defaults::yes")]
    pub share_encoder_decoder_embeddings: bool,
    #[serde(default = "defaults::yes")]
    pub tie_word_embeddings: bool,
    #[serde(default = "defaults::marian_pad")]
    pub pad_token_id: u32,
    /// Old configs may carry these; `transformers` ignores `normalize_before` etc. for Marian, but a
    /// pre-norm or learned-position Marian checkpoint would be run wrongly, so we refuse those.
    #[serde(default)]
    pub normalize_before: bool,
    #[serde(default)]
    pub normalize_embedding: bool,
    pub static_position_embeddings: Option<bool>,
    #[serde(default)]
    pub add_final_layer_norm: bool,
}

impl MarianConfig {
    pub(crate) fn decoder_vocab_size(&self) -> usize {
        self.decoder_vocab_size.unwrap_or(self.vocab_size)
    }

    /// Rejects settings the Marian implementation would silently get wrong, and sizes no real model
    /// has (see [`Shape::check`]), before anything is allocated from them.
    pub(crate) fn validate(&self, path: &Path) -> Result<()> {
        let problem = if self.normalize_before || self.add_final_layer_norm {
            Some("pre-norm Marian layers (normalize_before / add_final_layer_norm) are not supported")
        } else if self.normalize_embedding {
            Some("normalize_embedding = true is not supported")
        } else if self.static_position_embeddings == Some(false) {
            Some("learned position embeddings (static_position_embeddings = false) are not supported")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::bad_file(path, problem));
        }
        Shape {
            d_model: ("d_model", self.d_model),
            encoder_layers: self.encoder_layers,
            decoder_layers: self.decoder_layers,
            encoder_attention_heads: self.encoder_attention_heads,
            decoder_attention_heads: self.decoder_attention_heads,
            encoder_ffn_dim: self.encoder_ffn_dim,
            decoder_ffn_dim: self.decoder_ffn_dim,
            positions: &[("max_position_embeddings", self.max_position_embeddings)],
            vocabularies: &[
                ("vocab_size", self.vocab_size),
                ("decoder_vocab_size", self.decoder_vocab_size()),
            ],
            pad_token_id: self.pad_token_id,
            pad_extends_positions: false,
        }
        .check(path)
    }
}

/// `config.json` of an M2M100-family model (`M2M100Config`: M2M100, NLLB-200).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct M2M100Config {
    #[serde(default = "defaults::m2m_vocab_size")]
    pub vocab_size: usize,
    #[serde(default = "defaults::m2m_d_model")]
    pub d_model: usize,
    #[serde(default = "defaults::marian_layers")]
    pub encoder_layers: usize,
    #[serde(default = "defaults::marian_layers")]
    pub decoder_layers: usize,
    #[serde(default = "defaults::marian_heads")]
    pub encoder_attention_heads: usize,
    #[serde(default = "defaults::marian_heads")]
    pub decoder_attention_heads: usize,
    #[serde(default = "defaults::marian_ffn")]
    pub encoder_ffn_dim: usize,
    #[serde(default = "defaults::marian_ffn")]
    pub decoder_ffn_dim: usize,
    #[serde(default = "defaults::relu")]
    pub activation_function: String,
    #[serde(default = "defaults::m2m_max_positions")]
    pub max_position_embeddings: usize,
    #[serde(default = "defaults::yes")]
    pub scale_embedding: bool,
    #[serde(default = "defaults::yes")]
    pub tie_word_embeddings: bool,
    #[serde(default = "defaults::m2m_pad")]
    pub pad_token_id: u32,
}

impl M2M100Config {
    /// Rejects settings the implementation would get wrong, and sizes no real model has (see
    /// [`Shape::check`]), before anything is allocated from them.
    pub(crate) fn validate(&self, path: &Path) -> Result<()> {
        Shape {
            d_model: ("d_model", self.d_model),
            encoder_layers: self.encoder_layers,
            decoder_layers: self.decoder_layers,
            encoder_attention_heads: self.encoder_attention_heads,
            decoder_attention_heads: self.decoder_attention_heads,
            encoder_ffn_dim: self.encoder_ffn_dim,
            decoder_ffn_dim: self.decoder_ffn_dim,
            positions: &[("max_position_embeddings", self.max_position_embeddings)],
            vocabularies: &[("vocab_size", self.vocab_size)],
            pad_token_id: self.pad_token_id,
            pad_extends_positions: true,
        }
        .check(path)?;
        if !self.d_model.is_multiple_of(2) {
            return Err(Error::bad_file(path, "d_model must be even (sinusoidal positions)"));
        }
        Ok(())
    }
}

/// Bounds on a model's sizes, checked before anything is allocated from them. Real translation models
/// stay far inside (opus-mt: d_model 512, 6 layers, 512 positions; NLLB-3.3B: d_model 2048, 24 layers,
/// 1024 positions, 256k vocabulary); a number beyond them comes from a broken or hostile file and would
/// otherwise abort the process on an allocation of terabytes.
pub(crate) mod limits {
    /// Width of the hidden states.
    pub(crate) const D_MODEL: usize = 1 << 16;
    /// Layers of one stack.
    pub(crate) const LAYERS: usize = 1024;
    /// Attention heads of one layer.
    pub(crate) const HEADS: usize = 1024;
    /// Width of a feed-forward block.
    pub(crate) const FFN_DIM: usize = 1 << 20;
    /// Words of a vocabulary.
    pub(crate) const VOCABULARY: usize = 1 << 24;
    /// Positions of the position table (the longest sentence a model takes, in tokens).
    pub(crate) const POSITIONS: usize = 1 << 16;
    /// Fewest positions a model must have to translate a sentence at all: a shorter table leaves room
    /// for a couple of tokens, which silently gives empty or cut translations.
    pub(crate) const MIN_POSITIONS: usize = 8;
    /// Beams of a beam search.
    pub(crate) const BEAMS: usize = 256;
    /// Bytes of logits one decoding step may hold (sentences x beams x vocabulary x 4).
    pub(crate) const STEP_LOGITS_BYTES: usize = 8 << 30;
}

/// The sizes of an encoder-decoder's `config.json`, for [`Shape::check`].
struct Shape<'a> {
    /// The width of the hidden states: its field name and size.
    d_model: (&'static str, usize),
    encoder_layers: usize,
    decoder_layers: usize,
    encoder_attention_heads: usize,
    decoder_attention_heads: usize,
    encoder_ffn_dim: usize,
    decoder_ffn_dim: usize,
    /// Each position table's field name and size.
    positions: &'a [(&'static str, usize)],
    /// Each vocabulary's field name and size.
    vocabularies: &'a [(&'static str, usize)],
    pad_token_id: u32,
    /// fairseq positions start after the padding id: the table has `pad + 2 + positions` rows.
    pad_extends_positions: bool,
}

impl Shape<'_> {
    /// Every size positive and within [`limits`], heads dividing `d_model`, the padding id inside the
    /// vocabulary; errors name `path`, the field, its value and the bound.
    fn check(&self, path: &Path) -> Result<()> {
        let within = |field: &str, value: usize, low: usize, high: usize| -> Result<()> {
            if (low..=high).contains(&value) {
                Ok(())
            } else {
                Err(Error::bad_file(path, format!("{field} is {value}; it must be between {low} and {high}")))
            }
        };
        let (d_model_field, d_model) = self.d_model;
        within(d_model_field, d_model, 1, limits::D_MODEL)?;
        within("encoder_layers", self.encoder_layers, 1, limits::LAYERS)?;
        within("decoder_layers", self.decoder_layers, 1, limits::LAYERS)?;
        within("encoder_attention_heads", self.encoder_attention_heads, 1, limits::HEADS)?;
        within("decoder_attention_heads", self.decoder_attention_heads, 1, limits::HEADS)?;
        within("encoder_ffn_dim", self.encoder_ffn_dim, 1, limits::FFN_DIM)?;
        within("decoder_ffn_dim", self.decoder_ffn_dim, 1, limits::FFN_DIM)?;
        for &(field, size) in self.positions {
            within(field, size, limits::MIN_POSITIONS, limits::POSITIONS)?;
        }
        for &(field, size) in self.vocabularies {
            within(field, size, 1, limits::VOCABULARY)?;
        }
        for (field, heads) in [
            ("encoder_attention_heads", self.encoder_attention_heads),
            ("decoder_attention_heads", self.decoder_attention_heads),
        ] {
            if !d_model.is_multiple_of(heads) {
                return Err(Error::bad_file(
                    path,
                    format!("{d_model_field} ({d_model}) is not divisible by {field} ({heads})"),
                ));
            }
        }
        let smallest_vocabulary = self.vocabularies.iter().map(|&(_, size)| size).min().unwrap_or(0);
        if self.pad_token_id as usize >= smallest_vocabulary {
            return Err(Error::bad_file(
                path,
                format!(
                    "pad_token_id {} is outside the vocabulary ({smallest_vocabulary} words)",
                    self.pad_token_id
                ),
            ));
        }
        // Each position table: `positions (+ pad + 2) x d_model` f32s.
        for &(_, positions) in self.positions {
            let rows =
                positions + if self.pad_extends_positions { self.pad_token_id as usize + 2 } else { 0 };
            let table_bytes = rows.checked_mul(d_model).and_then(|n| n.checked_mul(4));
            if table_bytes.is_none_or(|bytes| bytes > 1 << 30) {
                return Err(Error::bad_file(
                    path,
                    format!(
                        "a position table of {rows} positions x {d_model_field} {d_model} would take more than 1 GiB"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// `config.json` of an IndicTrans2 model (`IndicTransConfig` of AI4Bharat's remote code,
/// `model_type: "IndicTrans"`): separate source and target vocabularies and embeddings.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct IndicTransConfig {
    /// Required: the reference code has no default either.
    pub encoder_vocab_size: usize,
    /// Required; also the width of the output (the hub files have no `vocab_size`).
    pub decoder_vocab_size: usize,
    #[serde(default = "defaults::indictrans_embed_dim")]
    pub encoder_embed_dim: usize,
    #[serde(default = "defaults::indictrans_embed_dim")]
    pub decoder_embed_dim: usize,
    /// The longest source anuvad gives the encoder (longer sentences are split) and the longest
    /// output it generates (256 both in the hub's files; the reference code would stretch its position
    /// tables past them, to lengths the models were not trained on).
    #[serde(default = "defaults::indictrans_max_positions")]
    pub max_source_positions: usize,
    #[serde(default = "defaults::indictrans_max_positions")]
    pub max_target_positions: usize,
    #[serde(default = "defaults::indictrans_layers")]
    pub encoder_layers: usize,
    #[serde(default = "defaults::indictrans_layers")]
    pub decoder_layers: usize,
    #[serde(default = "defaults::indictrans_heads")]
    pub encoder_attention_heads: usize,
    #[serde(default = "defaults::indictrans_heads")]
    pub decoder_attention_heads: usize,
    #[serde(default = "defaults::indictrans_ffn")]
    pub encoder_ffn_dim: usize,
    #[serde(default = "defaults::indictrans_ffn")]
    pub decoder_ffn_dim: usize,
    #[serde(default = "defaults::relu")]
    pub activation_function: String,
    #[serde(default)]
    pub encoder_normalize_before: bool,
    #[serde(default)]
    pub decoder_normalize_before: bool,
    #[serde(default)]
    pub layernorm_embedding: bool,
    #[serde(default)]
    pub share_decoder_input_output_embed: bool,
    #[serde(default = "defaults::yes")]
    pub scale_embedding: bool,
    #[serde(default = "defaults::m2m_pad")]
    pub pad_token_id: u32,
}

impl IndicTransConfig {
    /// Rejects settings the implementation would get wrong, and sizes no real model has (see
    /// [`Shape::check`]), before anything is allocated from them.
    pub(crate) fn validate(&self, path: &Path) -> Result<()> {
        if self.encoder_embed_dim != self.decoder_embed_dim {
            // The reference builds the decoder's embeddings with `encoder_embed_dim` and its layers with
            // `decoder_embed_dim`: it cannot run such a model either.
            return Err(Error::bad_file(
                path,
                format!(
                    "encoder_embed_dim ({}) and decoder_embed_dim ({}) differ",
                    self.encoder_embed_dim, self.decoder_embed_dim
                ),
            ));
        }
        Shape {
            d_model: ("encoder_embed_dim", self.encoder_embed_dim),
            encoder_layers: self.encoder_layers,
            decoder_layers: self.decoder_layers,
            encoder_attention_heads: self.encoder_attention_heads,
            decoder_attention_heads: self.decoder_attention_heads,
            encoder_ffn_dim: self.encoder_ffn_dim,
            decoder_ffn_dim: self.decoder_ffn_dim,
            positions: &[
                ("max_source_positions", self.max_source_positions),
                ("max_target_positions", self.max_target_positions),
            ],
            vocabularies: &[
                ("encoder_vocab_size", self.encoder_vocab_size),
                ("decoder_vocab_size", self.decoder_vocab_size),
            ],
            pad_token_id: self.pad_token_id,
            pad_extends_positions: true,
        }
        .check(path)?;
        if !self.encoder_embed_dim.is_multiple_of(2) {
            return Err(Error::bad_file(path, "encoder_embed_dim must be even (sinusoidal positions)"));
        }
        Ok(())
    }
}

mod defaults {
    pub(super) fn m2m_vocab_size() -> usize {
        128112
    }
    pub(super) fn m2m_d_model() -> usize {
        1024
    }
    pub(super) fn m2m_max_positions() -> usize {
        1024
    }
    pub(super) fn m2m_pad() -> u32 {
        1
    }
    pub(super) fn relu() -> String {
        "relu".into()
    }
    pub(super) fn marian_vocab_size() -> usize {
        58101
    }
    pub(super) fn marian_d_model() -> usize {
        1024
    }
    pub(super) fn marian_layers() -> usize {
        12
    }
    pub(super) fn marian_heads() -> usize {
        16
    }
    pub(super) fn marian_ffn() -> usize {
        4096
    }
    pub(super) fn marian_max_positions() -> usize {
        1024
    }
    pub(super) fn marian_pad() -> u32 {
        58100
    }
    pub(super) fn indictrans_embed_dim() -> usize {
        512
    }
    pub(super) fn indictrans_max_positions() -> usize {
        210
    }
    pub(super) fn indictrans_layers() -> usize {
        6
    }
    pub(super) fn indictrans_heads() -> usize {
        8
    }
    pub(super) fn indictrans_ffn() -> usize {
        2048
    }
    pub(super) fn gelu() -> String {
        "gelu".into()
    }
    pub(super) fn yes() -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marian_defaults_are_transformers_defaults() {
        let config: MarianConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config.vocab_size, 58101);
        assert_eq!(config.decoder_vocab_size(), 58101);
        assert_eq!(config.d_model, 1024);
        assert_eq!((config.encoder_layers, config.decoder_layers), (12, 12));
        assert_eq!(config.activation_function, "gelu");
        assert_eq!(config.max_position_embeddings, 1024);
        assert!(!config.scale_embedding);
        assert!(config.share_encoder_decoder_embeddings && config.tie_word_embeddings);
        assert_eq!(config.pad_token_id, 58100);
    }

    #[test]
    fn indictrans_defaults_are_the_reference_defaults() {
        let config: IndicTransConfig =
            serde_json::from_str(r#"{"encoder_vocab_size": 10, "decoder_vocab_size": 7}"#).unwrap();
        assert_eq!((config.encoder_embed_dim, config.decoder_embed_dim), (512, 512));
        assert_eq!((config.max_source_positions, config.max_target_positions), (210, 210));
        assert_eq!((config.encoder_layers, config.decoder_layers), (6, 6));
        assert_eq!((config.encoder_attention_heads, config.decoder_attention_heads), (8, 8));
        assert_eq!((config.encoder_ffn_dim, config.decoder_ffn_dim), (2048, 2048));
        assert_eq!(config.activation_function, "relu");
        assert!(!config.encoder_normalize_before && !config.decoder_normalize_before);
        assert!(!config.layernorm_embedding && !config.share_decoder_input_output_embed);
        assert!(config.scale_embedding);
        assert_eq!(config.pad_token_id, 1);
        assert!(serde_json::from_str::<IndicTransConfig>("{}").is_err(), "vocabulary sizes are required");
    }

    #[test]
    fn early_stopping_accepts_its_three_values() {
        let parse = |json: &str| serde_json::from_str::<GenerationFile>(json).unwrap().early_stopping;
        assert_eq!(parse(r#"{"early_stopping": true}"#), EarlyStoppingValue::Flag(true));
        assert_eq!(parse(r#"{"early_stopping": "never"}"#), EarlyStoppingValue::Never);
        assert_eq!(parse("{}"), EarlyStoppingValue::Unset);
        assert!(serde_json::from_str::<GenerationFile>(r#"{"early_stopping": "soon"}"#).is_err());
    }

    #[test]
    fn output_changing_fields_are_refused_and_neutral_values_accepted() {
        let check = |json: &str| {
            serde_json::from_str::<GenerationFile>(json).unwrap().check_supported(Path::new("g.json"))
        };
        let neutral = r#"{"do_sample": false, "num_beam_groups": 1, "diversity_penalty": 0.0, "temperature": 0.7,
            "top_k": 50, "suppress_tokens": null, "begin_suppress_tokens": [], "remove_invalid_values": false,
            "encoder_repetition_penalty": 1.0, "guidance_scale": null, "renormalize_logits": true}"#;
        assert!(check(neutral).is_ok());
        for (json, field) in [
            (r#"{"do_sample": true}"#, "do_sample"),
            (r#"{"num_beam_groups": 2}"#, "num_beam_groups"),
            (r#"{"suppress_tokens": [5]}"#, "suppress_tokens"),
            (r#"{"sequence_bias": {"[1]": -1.0}}"#, "sequence_bias"),
            (r#"{"max_time": 3.0}"#, "max_time"),
        ] {
            let message = check(json).unwrap_err().to_string();
            assert!(message.contains(field) && message.contains("g.json"), "{message}");
        }
    }

    #[test]
    fn eos_may_be_a_list() {
        let file: GenerationFile = serde_json::from_str(r#"{"eos_token_id": [0, 2]}"#).unwrap();
        assert_eq!(file.eos_token_id.unwrap().to_vec(), vec![0, 2]);
    }
}
