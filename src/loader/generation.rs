//! The generation settings of a model's files (`generation_config.json`, or the generation fields of an
//! old `config.json`), resolved into concrete options with `transformers`' defaults for the rest.

use std::path::Path;

use crate::config::{EarlyStoppingValue, GenerationFile};
use crate::error::{Error, Result};
use crate::generate::{EarlyStopping, GenerationOptions};

/// Turns the files' generation settings into concrete options (`transformers` defaults for the rest).
pub(super) fn resolve(
    file: &GenerationFile,
    config_pad: u32,
    config_path: &Path,
) -> Result<GenerationOptions> {
    let defaults = GenerationOptions::default();
    let pad = file.pad_token_id.unwrap_or(config_pad);
    let eos_token_ids = file.eos_token_id.as_ref().map(|e| e.to_vec()).unwrap_or_default();
    if eos_token_ids.is_empty() {
        return Err(Error::bad_file(config_path, "no eos_token_id in config.json or generation_config.json"));
    }
    let decoder_start_token_id = file
        .decoder_start_token_id
        .or(file.bos_token_id)
        .ok_or_else(|| Error::bad_file(config_path, "no decoder_start_token_id"))?;
    // `NoBadWordsLogitsProcessor` drops bad words that are exactly an EOS token.
    let bad_words_ids = file
        .bad_words_ids
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|words| match words.as_slice() {
            [] => false,
            [only] => !eos_token_ids.contains(only),
            _ => true,
        })
        .collect();
    let max_length = match file.max_new_tokens {
        Some(new_tokens) => new_tokens + 1,
        None => file.max_length.unwrap_or(defaults.max_length),
    };
    Ok(GenerationOptions {
        num_beams: file.num_beams.unwrap_or(defaults.num_beams),
        max_length,
        min_length: file.min_length.unwrap_or(0),
        min_new_tokens: file.min_new_tokens.unwrap_or(0),
        length_penalty: file.length_penalty.unwrap_or(1.0),
        early_stopping: match file.early_stopping {
            EarlyStoppingValue::Flag(true) => EarlyStopping::Yes,
            EarlyStoppingValue::Never => EarlyStopping::Never,
            EarlyStoppingValue::Flag(false) | EarlyStoppingValue::Unset => EarlyStopping::Heuristic,
        },
        no_repeat_ngram_size: file.no_repeat_ngram_size.unwrap_or(0),
        repetition_penalty: file.repetition_penalty.unwrap_or(1.0),
        bad_words_ids,
        forced_bos_token_id: file.forced_bos_token_id,
        forced_eos_token_id: file.forced_eos_token_id.as_ref().map(|e| e.to_vec()),
        decoder_start_token_id,
        eos_token_ids,
        pad_token_id: pad,
    })
}
