//! The generation settings of a model's files (`generation_config.json`, or the generation fields of an
//! old `config.json`), resolved into concrete options with `transformers`' defaults for the rest.

use std::path::Path;

use crate::config::{limits, EarlyStoppingValue, GenerationFile};
use crate::error::{Error, Result};
use crate::generate::{EarlyStopping, GenerationOptions};

/// Turns the files' generation settings into concrete options (`transformers` defaults for the rest),
/// checked: every token id inside the output vocabulary (`output_vocab` words), sizes within bounds.
/// Errors name `path`, the file the settings come from.
pub(super) fn resolve(
    file: &GenerationFile,
    config_pad: u32,
    output_vocab: usize,
    path: &Path,
) -> Result<GenerationOptions> {
    let options = options(file, config_pad, path)?;
    check(&options, output_vocab, path)?;
    Ok(options)
}

fn options(file: &GenerationFile, config_pad: u32, config_path: &Path) -> Result<GenerationOptions> {
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
        Some(new_tokens) => new_tokens.saturating_add(1),
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
        renormalize_logits: file.renormalize_logits.unwrap_or(false),
        decoder_start_token_id,
        eos_token_ids,
        pad_token_id: pad,
    })
}

/// Rejects token ids outside the output vocabulary (a forced or banned id that does not exist would
/// silently give empty or unbounded output) and sizes beyond what decoding can hold.
fn check(options: &GenerationOptions, output_vocab: usize, path: &Path) -> Result<()> {
    let ids = options
        .eos_token_ids
        .iter()
        .map(|&id| ("eos_token_id", id))
        .chain([
            ("decoder_start_token_id", options.decoder_start_token_id),
            ("pad_token_id", options.pad_token_id),
        ])
        .chain(options.forced_bos_token_id.map(|id| ("forced_bos_token_id", id)))
        .chain(options.forced_eos_token_id.iter().flatten().map(|&id| ("forced_eos_token_id", id)))
        .chain(options.bad_words_ids.iter().flatten().map(|&id| ("bad_words_ids", id)));
    for (field, id) in ids {
        if id as usize >= output_vocab {
            return Err(Error::bad_file(
                path,
                format!("{field} {id} is outside the model's output vocabulary ({output_vocab} words)"),
            ));
        }
    }
    if options.num_beams == 0 || options.num_beams > limits::BEAMS {
        return Err(Error::bad_file(
            path,
            format!("num_beams is {}; it must be between 1 and {}", options.num_beams, limits::BEAMS),
        ));
    }
    if !(options.repetition_penalty > 0.0 && options.repetition_penalty.is_finite()) {
        return Err(Error::bad_file(
            path,
            format!("repetition_penalty is {}; it must be a positive number", options.repetition_penalty),
        ));
    }
    if !options.length_penalty.is_finite() {
        return Err(Error::bad_file(path, format!("length_penalty is {}", options.length_penalty)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(json: &str) -> Result<GenerationOptions> {
        let file: GenerationFile = serde_json::from_str(json).unwrap();
        resolve(&file, 1, 100, Path::new("generation_config.json"))
    }

    #[test]
    fn ids_outside_the_vocabulary_and_absurd_sizes_are_refused() {
        let base = r#""eos_token_id": 0, "decoder_start_token_id": 1"#;
        assert!(resolved(&format!("{{{base}}}")).is_ok());
        for (extra, field) in [
            (r#""forced_bos_token_id": 100"#, "forced_bos_token_id"),
            (r#""bad_words_ids": [[5, 4000000000]]"#, "bad_words_ids"),
            (r#""num_beams": 1000000"#, "num_beams"),
            (r#""num_beams": 0"#, "num_beams"),
            (r#""repetition_penalty": 0"#, "repetition_penalty"),
            (r#""pad_token_id": 100"#, "pad_token_id"),
        ] {
            let error = resolved(&format!("{{{base}, {extra}}}")).unwrap_err().to_string();
            assert!(error.contains("generation_config.json") && error.contains(field), "{error}");
        }
        let error = resolved(r#"{"eos_token_id": 100, "decoder_start_token_id": 1}"#).unwrap_err();
        assert!(error.to_string().contains("eos_token_id 100"));
        // A huge max_new_tokens saturates instead of wrapping.
        let options = resolved(&format!("{{{base}, \"max_new_tokens\": 18446744073709551615}}")).unwrap();
        assert_eq!(options.max_length, usize::MAX);
    }
}
