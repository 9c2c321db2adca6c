//! Loading an IndicTrans2 model: `config.json`, the weights, `model.SRC`, `model.TGT`, `dict.SRC.json`
//! and `dict.TGT.json`, and the language pair of its IndicProcessor steps.

use super::{FamilyParts, LoadRequest};
use crate::config::{read_json, GenerationFile, IndicTransConfig};
use crate::error::{Error, Result};
use crate::indic_processor::{IndicProcessor, ENGLISH};
use crate::model;
use crate::tokenizer::{IndicTransTokenizer, Tokenizer};

/// The source language when none is given.
const DEFAULT_SOURCE: &str = "hin_Deva";

/// Beams when `generation_config.json` names none (the hub's name none): AI4Bharat's examples and
/// model cards decode with 5, and `models/catalog.toml` recommends the same (a test checks).
pub(crate) const RECOMMENDED_BEAMS: usize = 5;

pub(super) fn load(request: &LoadRequest) -> Result<FamilyParts> {
    let config: IndicTransConfig = read_json(request.config_path)?;
    config.validate(request.config_path)?;
    let vb = request.weights.open(request.dtype, request.device)?;
    let model = model::indictrans::load(&config, vb, request.weights.path(), request.packing)?;
    let files = request.files;
    let (source_spm, target_spm) = (files.require("model.SRC")?, files.require("model.TGT")?);
    let (source_dict, target_dict) = (files.require("dict.SRC.json")?, files.require("dict.TGT.json")?);
    let tokenizer = IndicTransTokenizer::load(&source_spm, &target_spm, &source_dict, &target_dict)?;
    let languages = request.languages;
    let processor = IndicProcessor::new(
        languages.source.as_deref().unwrap_or(DEFAULT_SOURCE),
        languages.target.as_deref().unwrap_or(ENGLISH),
    )?;
    let tag_id = |tag: &str| {
        tokenizer.tag_id(tag).ok_or_else(|| {
            Error::InvalidInput(format!(
                "language `{tag}` is not in {} (codes look like hin_Deva, eng_Latn)",
                source_dict.display()
            ))
        })
    };
    let tags = [tag_id(processor.source_tag())?, tag_id(processor.target_tag())?];
    let tokenizer = Tokenizer::IndicTrans { tokenizer: Box::new(tokenizer), processor, tags };
    super::ids_fit(&tokenizer, config.encoder_vocab_size, &source_dict)?;
    Ok(FamilyParts {
        model: Box::new(model),
        tokenizer,
        pad: config.pad_token_id,
        output_vocab: config.decoder_vocab_size,
        forced_bos: None,
        tokenizer_files: vec![source_spm, target_spm, source_dict, target_dict],
        // The hub's generation_config.json has neither: without these, decoding would stop at 20
        // tokens (`transformers`' default) and be greedy.
        generation_defaults: GenerationFile {
            max_length: Some(config.max_target_positions),
            num_beams: Some(RECOMMENDED_BEAMS),
            ..GenerationFile::default()
        },
    })
}
