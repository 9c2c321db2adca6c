//! Loading a model: reading `config.json`, choosing the architecture from its `model_type`, opening the
//! weights and building the tokenizer and the generation settings.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};

use crate::config::{
    read_json, CommonConfig, EarlyStoppingValue, GenerationFile, M2M100Config, MarianConfig,
};
use crate::error::{Error, Result};
use crate::generate::{EarlyStopping, GenerationOptions};
use crate::hub::ModelFiles;
use crate::model::m2m100::M2M100;
use crate::model::marian::Marian;
use crate::model::packed_gemm::Format;
use crate::model::weights::WeightsFile;
use crate::model::Seq2SeqModel;
use crate::tokenizer::{M2M100Tokenizer, MarianTokenizer, NllbTokenizer, Tokenizer};
use crate::translator::Precision;

/// The architectures anuvad runs, by `config.json`'s `model_type`.
pub(crate) const SUPPORTED_MODEL_TYPES: &[&str] = &["marian", "m2m_100"];

/// Source and target languages for multilingual models (M2M100, NLLB); `None` = the family's default
/// (Hindi to English). Marian models translate one pair and ignore them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Languages {
    pub source: Option<String>,
    pub target: Option<String>,
}

/// A model with everything needed to translate.
pub(crate) struct LoadedModel {
    pub model: Box<dyn Seq2SeqModel>,
    pub tokenizer: Tokenizer,
    /// Settings from the model's files (before the caller's overrides).
    pub generation: GenerationOptions,
    /// The files the model was loaded from.
    pub files: Vec<PathBuf>,
}

/// How to run the matrix products in `precision` on `device`: in our packed CPU kernels (in which
/// format) or in candle's, and the dtype to load the model in.
///
/// On CPUs with AVX-512 f32 weights are packed for our kernel. bf16 there keeps the model in f32
/// (layer norms, softmax, residual sums, sums of the products) and packs only the weights of the
/// matrix products as bf16: for AMX tiles where the CPU has them (inputs rounded to bf16 too; unless
/// `ANUVAD_NO_AMX` is set), else widened to f32 in registers. Either way half the weight memory
/// traffic, where candle's CPU bf16 products are several times slower than f32. int8 likewise keeps
/// the model in f32 and packs the products' weights as int8 AMX tiles; it needs a CPU with AMX-INT8.
pub(crate) fn packing(device: &Device, precision: Precision) -> Result<(Option<Format>, DType)> {
    let amx_allowed = std::env::var_os("ANUVAD_NO_AMX").is_none();
    if precision == Precision::Int8 {
        return if device.is_cpu() && Format::AmxInt8.supported() && amx_allowed {
            Ok((Some(Format::AmxInt8), DType::F32))
        } else {
            Err(Error::DeviceUnavailable(
                "int8 runs only on CPUs with Intel AMX-INT8 (Sapphire Rapids or later Xeons); \
                 use bf16 elsewhere"
                    .into(),
            ))
        };
    }
    let dtype = precision.dtype();
    if !device.is_cpu() {
        return Ok((None, dtype));
    }
    Ok(match dtype {
        DType::F32 if Format::F32.supported() => (Some(Format::F32), DType::F32),
        DType::BF16 if Format::AmxBf16.supported() && amx_allowed => (Some(Format::AmxBf16), DType::F32),
        DType::BF16 if Format::Bf16.supported() => (Some(Format::Bf16), DType::F32),
        _ => (None, dtype),
    })
}

/// Loads the model behind `files` onto `device`, computing in `precision`.
pub(crate) fn load(
    files: &ModelFiles,
    device: &Device,
    languages: &Languages,
    precision: Precision,
) -> Result<LoadedModel> {
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
        Some(path) => {
            let file = read_json::<GenerationFile>(path)?;
            file.check_supported(path)?;
            file.or(common.generation.clone())
        }
        None => {
            common.generation.check_supported(&config_path)?;
            common.generation.clone()
        }
    };
    let weights = find_weights(files)?;

    let (packing, dtype) = packing(device, precision)?;
    let vb = weights.open(dtype, device)?;
    let mut loaded_files = vec![config_path.clone(), weights.path().to_path_buf()];
    loaded_files.extend(generation_path);
    // Multilingual models also say which token starts the output: the target language.
    let (model, tokenizer, pad, target): (Box<dyn Seq2SeqModel>, Tokenizer, u32, Option<u32>) =
        match model_type.as_str() {
            "marian" => {
                let config: MarianConfig = read_json(&config_path)?;
                config.validate(&config_path)?;
                let model = Marian::load(&config, vb, weights.path(), packing)?;
                let source_spm = files.require("source.spm")?;
                let target_spm = files.require("target.spm")?;
                let vocab = files.require("vocab.json")?;
                let tokenizer = MarianTokenizer::load(&source_spm, &target_spm, &vocab)?;
                loaded_files.extend([source_spm, target_spm, vocab]);
                (Box::new(model), Tokenizer::Marian(tokenizer), config.pad_token_id, None)
            }
            _ => {
                let config: M2M100Config = read_json(&config_path)?;
                config.validate(&config_path)?;
                let model = M2M100::load(&config, vb, weights.path(), packing)?;
                let tokenizer_config = files.get("tokenizer_config.json")?;
                let (tokenizer, target) = match files.get("tokenizer.json")? {
                    Some(json) => {
                        // The SentencePiece model splits the text; tokenizer.json gives the ids.
                        let spm = files.require("sentencepiece.bpe.model")?;
                        let tokenizer = NllbTokenizer::load(&json, &spm, tokenizer_config.as_deref())?;
                        let source =
                            tokenizer.language_id(languages.source.as_deref().unwrap_or("hin_Deva"))?;
                        let target =
                            tokenizer.language_id(languages.target.as_deref().unwrap_or("eng_Latn"))?;
                        loaded_files.extend([json, spm]);
                        (Tokenizer::Nllb { tokenizer: Box::new(tokenizer), source }, target)
                    }
                    None => {
                        let spm = files.require("sentencepiece.bpe.model")?;
                        let vocab = files.require("vocab.json")?;
                        let tokenizer = M2M100Tokenizer::load(&spm, &vocab, tokenizer_config.as_deref())?;
                        let source = tokenizer.language_id(languages.source.as_deref().unwrap_or("hi"))?;
                        let target = tokenizer.language_id(languages.target.as_deref().unwrap_or("en"))?;
                        loaded_files.extend([spm, vocab]);
                        (Tokenizer::M2M100 { tokenizer, source }, target)
                    }
                };
                loaded_files.extend(tokenizer_config);
                (Box::new(model), tokenizer, config.pad_token_id, Some(target))
            }
        };
    let mut generation_file = generation_file;
    if target.is_some() {
        generation_file.forced_bos_token_id = target;
    }
    let generation = resolve_generation(&generation_file, pad, &config_path)?;
    Ok(LoadedModel { model, tokenizer, generation, files: loaded_files })
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
        renormalize_logits: file.renormalize_logits.unwrap_or(false),
        decoder_start_token_id,
        eos_token_ids,
        pad_token_id: pad,
    })
}
