//! Loading a model: reading `config.json`, choosing the family from its `model_type`, opening the
//! weights, and building the model, the tokenizer and the generation settings.

mod generation;
mod indictrans;
mod legacy_pth;
mod m2m100;
mod marian;
mod weights;

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};

use crate::config::{read_json, CommonConfig, GenerationFile};
use crate::cpu::Isa;
use crate::device::Precision;
use crate::error::{Error, Result};
use crate::generate::GenerationOptions;
use crate::hub::ModelFiles;
use crate::model::{Architecture, Seq2SeqModel};
use crate::ops::PackedFormat;
use crate::tokenizer::Tokenizer;
use weights::WeightsFile;

#[cfg(test)]
pub(crate) use indictrans::RECOMMENDED_BEAMS as INDICTRANS_BEAMS;

/// Source and target languages; `None` = the family's default (Hindi to English). M2M100 and NLLB take
/// both; multi-target Marian models take the target (their `>>xxx<<` token, `eng` by default); a
/// language a Marian model takes no setting for is checked against its files (see `marian.rs`).
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
    /// Words of the output vocabulary (the width of the logits).
    pub output_vocab: usize,
    /// The files the model was loaded from.
    pub files: Vec<PathBuf>,
}

/// What a family's loader gets: the model's files and how to build it.
struct LoadRequest<'a> {
    files: &'a ModelFiles,
    config_path: &'a Path,
    weights: &'a WeightsFile,
    dtype: DType,
    device: &'a Device,
    packing: Option<PackedFormat>,
    languages: &'a Languages,
}

/// What a family's loader returns.
struct FamilyParts {
    model: Box<dyn Seq2SeqModel>,
    tokenizer: Tokenizer,
    /// `pad_token_id` of `config.json`.
    pad: u32,
    /// Words of the output vocabulary (the width of the logits).
    output_vocab: usize,
    /// The token that must start every output (the target language of multilingual models).
    forced_bos: Option<u32>,
    /// The tokenizer's files, for the list of files loaded.
    tokenizer_files: Vec<PathBuf>,
    /// The family's generation settings where the model's files leave them unset (before
    /// `transformers`' defaults).
    generation_defaults: GenerationFile,
}

/// How to run the matrix products in `precision` on `device`: in our packed CPU kernels (in which
/// format) or in candle's, and the dtype to load the model in. Decided by the CPU level in use
/// (`cpu::isa`, which `ANUVAD_CPU_ISA` can lower).
///
/// On CPUs with packed kernels (every level above `generic`: AVX2, AVX-512, NEON) f32 weights are
/// packed for them. bf16 there keeps the model in f32 (layer norms, softmax, residual sums, sums of
/// the products) and packs only the weights of the matrix products as bf16: for AMX tiles where the
/// CPU has them (inputs rounded to bf16 too), else widened to f32 in registers. Either way half the
/// weight memory traffic, where candle's CPU bf16 products are several times slower than f32. int8
/// likewise keeps the model in f32 and packs the products' weights as int8: AMX tiles on AMX, panels
/// for the integer dot products of the other levels (7-bit weights on x86 without VNNI); `generic`
/// has no int8 kernel.
pub(crate) fn packing(device: &Device, precision: Precision) -> Result<(Option<PackedFormat>, DType)> {
    let isa = crate::cpu::isa();
    let panels = |format: PackedFormat| format.runs_at(isa).then_some((Some(format), DType::F32));
    if precision == Precision::Int8 {
        let packed = if !device.is_cpu() {
            None
        } else if isa == Isa::Amx {
            Some((Some(PackedFormat::AmxInt8), DType::F32))
        } else {
            // Full int8 weights where the level's product takes them (VNNI, NEON), else 7-bit ones
            // (AVX2 and AVX-512 without VNNI; see `PackedFormat::Int8Narrow`).
            panels(PackedFormat::Int8).or_else(|| panels(PackedFormat::Int8Narrow))
        };
        return packed.ok_or_else(|| {
            Error::DeviceUnavailable(if device.is_cpu() {
                format!(
                    "int8 needs the AVX2 (x86-64) or NEON (aarch64) CPU kernels, and the level in use is \
                     {isa}; use f32 or bf16 here"
                )
            } else {
                "int8 runs only on the CPU; use bf16 or f16 on a GPU".into()
            })
        });
    }
    let dtype = precision.dtype();
    if !device.is_cpu() {
        return Ok((None, dtype));
    }
    Ok(match dtype {
        DType::F32 => panels(PackedFormat::F32).unwrap_or((None, dtype)),
        DType::BF16 if isa == Isa::Amx => (Some(PackedFormat::AmxBf16), DType::F32),
        DType::BF16 => panels(PackedFormat::Bf16).unwrap_or((None, dtype)),
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
    let architecture =
        Architecture::from_model_type(&model_type).ok_or_else(|| Error::UnsupportedArchitecture {
            path: config_path.clone(),
            model_type: if model_type.is_empty() { "(none)".into() } else { model_type },
            supported: Architecture::supported_list(),
        })?;
    let generation_path = files.get("generation_config.json")?;
    let generation_file = match &generation_path {
        Some(path) => {
            let file = read_json::<GenerationFile>(path)?;
            file.check_supported(path)?;
            file.over_model_config(common.generation.clone())
        }
        None => {
            common.generation.check_supported(&config_path)?;
            common.generation.clone()
        }
    };
    let weights = find_weights(files)?;
    let (packing, dtype) = packing(device, precision)?;
    let request = LoadRequest {
        files,
        config_path: &config_path,
        weights: &weights,
        dtype,
        device,
        packing,
        languages,
    };
    let parts = match architecture {
        Architecture::Marian => marian::load(&request)?,
        Architecture::M2M100 => m2m100::load(&request)?,
        Architecture::IndicTrans => indictrans::load(&request)?,
    };
    let mut generation_file = generation_file.or(parts.generation_defaults);
    if parts.forced_bos.is_some() {
        generation_file.forced_bos_token_id = parts.forced_bos;
    }
    let settings_path = generation_path.as_deref().unwrap_or(&config_path);
    let generation = generation::resolve(&generation_file, parts.pad, parts.output_vocab, settings_path)?;
    let mut loaded_files = vec![config_path, weights.path().to_path_buf()];
    loaded_files.extend(generation_path);
    loaded_files.extend(parts.tokenizer_files);
    Ok(LoadedModel {
        model: parts.model,
        tokenizer: parts.tokenizer,
        generation,
        output_vocab: parts.output_vocab,
        files: loaded_files,
    })
}

/// Checks that every id `tokenizer` can give has a row in the model's input embedding (`rows` words):
/// an id beyond it would fail only when a sentence happens to contain it, mid-translation.
fn ids_fit(tokenizer: &Tokenizer, rows: usize, file: &Path) -> Result<()> {
    let largest = tokenizer.largest_id();
    if largest as usize >= rows {
        return Err(Error::bad_file(
            file,
            format!(
                "names token id {largest}, but the model's embedding table has {rows} rows (config.json)"
            ),
        ));
    }
    Ok(())
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
        Err(error @ (Error::ModelNotCached { .. } | Error::HubUnreachable { .. })) => error,
        _ => Error::bad_file(place, "has neither model.safetensors nor pytorch_model.bin"),
    })
}
