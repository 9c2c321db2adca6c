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

    /// Rejects settings the Marian implementation would silently get wrong.
    pub(crate) fn validate(&self, path: &Path) -> Result<()> {
        let problem = if self.normalize_before || self.add_final_layer_norm {
            Some("pre-norm Marian layers (normalize_before / add_final_layer_norm) are not supported")
        } else if self.normalize_embedding {
            Some("normalize_embedding = true is not supported")
        } else if self.static_position_embeddings == Some(false) {
            Some("learned position embeddings (static_position_embeddings = false) are not supported")
        } else if !self.d_model.is_multiple_of(self.encoder_attention_heads)
            || !self.d_model.is_multiple_of(self.decoder_attention_heads)
        {
            Some("d_model is not divisible by the number of attention heads")
        } else if self.d_model == 0 || self.vocab_size == 0 || self.max_position_embeddings == 0 {
            Some("d_model, vocab_size and max_position_embeddings must be positive")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(Error::bad_file(path, problem)),
            None => Ok(()),
        }
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
    /// Rejects settings the implementation would get wrong.
    pub(crate) fn validate(&self, path: &Path) -> Result<()> {
        if self.d_model == 0 || !self.d_model.is_multiple_of(2) {
            return Err(Error::bad_file(path, "d_model must be positive and even"));
        }
        if !self.d_model.is_multiple_of(self.encoder_attention_heads)
            || !self.d_model.is_multiple_of(self.decoder_attention_heads)
        {
            return Err(Error::bad_file(path, "d_model is not divisible by the number of attention heads"));
        }
        if self.vocab_size == 0 || self.max_position_embeddings == 0 {
            return Err(Error::bad_file(path, "vocab_size and max_position_embeddings must be positive"));
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
    /// The longest source or target sequence anuvad feeds the model: the smaller of
    /// `max_source_positions` and `max_target_positions` (256 both in the hub's files; the reference
    /// code would stretch its position table past them, for sequences the models were not trained on).
    pub(crate) fn max_positions(&self) -> usize {
        self.max_source_positions.min(self.max_target_positions)
    }

    /// Rejects settings the implementation would get wrong.
    pub(crate) fn validate(&self, path: &Path) -> Result<()> {
        let d = self.encoder_embed_dim;
        let problem = if d != self.decoder_embed_dim {
            Some("encoder_embed_dim and decoder_embed_dim differ (the reference code cannot run that either)")
        } else if d == 0 || !d.is_multiple_of(2) {
            Some("the embedding dimension must be positive and even")
        } else if self.encoder_attention_heads == 0
            || self.decoder_attention_heads == 0
            || !d.is_multiple_of(self.encoder_attention_heads)
            || !d.is_multiple_of(self.decoder_attention_heads)
        {
            Some("the embedding dimension is not divisible by the number of attention heads")
        } else if self.encoder_vocab_size == 0 || self.decoder_vocab_size == 0 || self.max_positions() == 0 {
            Some("the vocabulary sizes and max_source/target_positions must be positive")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(Error::bad_file(path, problem)),
            None => Ok(()),
        }
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
    fn eos_may_be_a_list() {
        let file: GenerationFile = serde_json::from_str(r#"{"eos_token_id": [0, 2]}"#).unwrap();
        assert_eq!(file.eos_token_id.unwrap().to_vec(), vec![0, 2]);
    }
}
