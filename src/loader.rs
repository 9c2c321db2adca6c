//! Loading a model: reading `config.json`, choosing the architecture from its `model_type`, opening the
//! weights and building the tokenizer and the generation settings.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};

use crate::config::{read_json, CommonConfig, EarlyStoppingValue, GenerationFile, MarianConfig};
use crate::error::{Error, Result};
use crate::generate::{EarlyStopping, GenerationOptions};
use crate::hub::ModelFiles;
use crate::model::marian::Marian;
use crate::model::weights::WeightsFile;
use crate::model::Seq2SeqModel;
use crate::tokenizer::MarianTokenizer;

/// The architectures anuvad runs, by `config.json`'s `model_type`.
pub(crate) const SUPPORTED_MODEL_TYPES: &[&str] = &["marian"];

/// A model with everything needed to translate.
pub(crate) struct LoadedModel {
    pub model: Box<dyn Seq2SeqModel>,
    pub tokenizer: MarianTokenizer,
    /// Settings from the model's files (before the caller's overrides).
    pub generation: GenerationOptions,
    /// The files the model was loaded from.
    pub files: Vec<PathBuf>,
}

/// Loads the model behind `files` onto `device`.
pub(crate) fn load(files: &ModelFiles, device: &Device) -> Result<LoadedModel> {
    let config_path = files.require("config.json")?;
    let common: CommonConfig = read_json(&config_path)?;
    let model_type = common.model_type.clone().unwrap_or_default();
    if !SUPPORTED_MODEL_TYPES.contains(&model_type.as_str()) {
        return Err(Error::UnsupportedArchitecture {
            path: config_path,
            model_type: if model_type.is_empty() { "(none)".into() } else { model_type },
            supported: SUPPORTED_MODEL_TYPES.join(", "),
        });
    }
    let generation_path = files.get("generation_config.json")?;
    let generation_file = match &generation_path {
        Some(path) => read_json::<GenerationFile>(path)?.or(common.generation.clone()),
        None => common.generation.clone(),
    };
    let weights = find_weights(files)?;

    let config: MarianConfig = read_json(&config_path)?;
    config.validate(&config_path)?;
    let vb = weights.open(DType::F32, device)?;
    let model = Marian::load(&config, vb, weights.path())?;
    let source_spm = files.require("source.spm")?;
    let target_spm = files.require("target.spm")?;
    let vocab = files.require("vocab.json")?;
    let tokenizer = MarianTokenizer::load(&source_spm, &target_spm, &vocab)?;
    let generation = resolve_generation(&generation_file, config.pad_token_id, &config_path)?;

    let mut loaded_files = vec![config_path, weights.path().to_path_buf(), source_spm, target_spm, vocab];
    loaded_files.extend(generation_path);
    Ok(LoadedModel { model: Box::new(model), tokenizer, generation, files: loaded_files })
}

/// `model.safetensors` when the model has it, else `pytorch_model.bin`.
fn find_weights(files: &ModelFiles) -> Result<WeightsFile> {
    if let Some(path) = files.get("model.safetensors")? {
        return Ok(WeightsFile::Safetensors(path));
    }
    if let Some(path) = files.get("pytorch_model.bin")? {
        return Ok(WeightsFile::PyTorch(path));
    }
    let place = files.local_dir().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(files.name()));
    Err(match files.require("model.safetensors") {
        Err(error @ Error::ModelNotCached { .. }) => error,
        _ => Error::bad_file(place, "has neither model.safetensors nor pytorch_model.bin"),
    })
}

/// Turns the files' generation settings into concrete options (`transformers` defaults for the rest).
fn resolve_generation(
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
