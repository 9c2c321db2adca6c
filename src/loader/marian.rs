//! Loading a Marian model: `config.json`, the weights, `source.spm`, `target.spm` and `vocab.json`.
//!
//! Languages: a Marian model translates from the language(s) it was trained on and takes no
//! source-language setting. A multi-target model (its `vocab.json` has `>>xxx<<` tokens, as
//! `opus-mt-tc-bible-big-inc-deu_eng_fra_por_spa` has `>>eng<<`) needs the target's token first in every
//! input: it comes from the requested target language, ISO 639-3 as the model spells it, `eng` by
//! default. A language asked of a model that takes none (any source; the target of a single-target
//! model) is checked against what its `tokenizer_config.json` says the model translates
//! (`source_lang`, `target_lang`) and refused when it differs or the files do not say.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{FamilyParts, LoadRequest};
use crate::config::{read_json, GenerationFile, MarianConfig};
use crate::error::{Error, Result};
use crate::hub::ModelFiles;
use crate::model;
use crate::tokenizer::{MarianTokenizer, Tokenizer};

/// The target language of multi-target models when none is asked for.
const DEFAULT_TARGET: &str = "eng";

pub(super) fn load(request: &LoadRequest) -> Result<FamilyParts> {
    let config: MarianConfig = read_json(request.config_path)?;
    config.validate(request.config_path)?;
    let files = request.files;
    let (source_spm, target_spm, vocab) =
        (files.require("source.spm")?, files.require("target.spm")?, files.require("vocab.json")?);
    let mut tokenizer = MarianTokenizer::load(&source_spm, &target_spm, &vocab)?;
    // Languages first: a wrong one fails before the weights are read.
    let languages = request.languages;
    if let Some(code) = &languages.source {
        check_declared(files, Side::Source, code)?;
    }
    if tokenizer.targets().is_empty() {
        if let Some(code) = &languages.target {
            check_declared(files, Side::Target, code)?;
        }
    } else {
        let id = target_token(tokenizer.targets(), languages.target.as_deref(), &vocab)?;
        tokenizer.set_target(id);
    }
    let tokenizer = Tokenizer::Marian(tokenizer);
    super::ids_fit(&tokenizer, config.vocab_size, &vocab)?;
    let vb = request.weights.open(request.dtype, request.device)?;
    let model = model::marian::load(&config, vb, request.weights.path(), request.packing)?;
    Ok(FamilyParts {
        model: Box::new(model),
        tokenizer,
        pad: config.pad_token_id,
        output_vocab: if config.share_encoder_decoder_embeddings {
            config.vocab_size
        } else {
            config.decoder_vocab_size()
        },
        forced_bos: None,
        tokenizer_files: vec![source_spm, target_spm, vocab],
        generation_defaults: GenerationFile::default(),
    })
}

/// The id of the target token for `asked` (`fra` or `>>fra<<`; `eng` when `None`), or an error that
/// lists the model's target languages.
fn target_token(targets: &BTreeMap<String, u32>, asked: Option<&str>, vocab: &Path) -> Result<u32> {
    let code = asked.unwrap_or(DEFAULT_TARGET);
    let bare = code.strip_prefix(">>").and_then(|code| code.strip_suffix("<<")).unwrap_or(code);
    if let Some(&id) = targets.get(bare) {
        return Ok(id);
    }
    // All of them: the tc-bible models carry a label for every language of their family (hundreds),
    // and a shortened list would hide the few the model was trained to write.
    let listed: Vec<&str> = targets.keys().map(String::as_str).collect();
    let default = if asked.is_none() { " (the default)" } else { "" };
    Err(Error::InvalidInput(format!(
        "target language `{bare}`{default} is not one of this model's target languages ({} `>>xxx<<` tokens in {}): {}",
        targets.len(),
        vocab.display(),
        listed.join(", "),
    )))
}

/// What `tokenizer_config.json` says a Marian model translates (as the converter writes it; many repos
/// leave these out or fill them loosely).
#[derive(Debug, Default, Deserialize)]
struct DeclaredLanguages {
    source_lang: Option<String>,
    target_lang: Option<String>,
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Source,
    Target,
}

/// Accepts `code` for a language the model takes no setting for only when `tokenizer_config.json`
/// names that language (letter case aside).
fn check_declared(files: &ModelFiles, side: Side, code: &str) -> Result<()> {
    let path = files.get("tokenizer_config.json")?;
    let declared: DeclaredLanguages = match &path {
        Some(path) => read_json(path)?,
        None => DeclaredLanguages::default(),
    };
    let (side_name, declared) = match side {
        Side::Source => ("source", declared.source_lang),
        Side::Target => ("target", declared.target_lang),
    };
    let why = match side {
        Side::Source => {
            "this Marian model takes no source-language setting (it translates what it was trained on)"
        }
        Side::Target => "this Marian model translates into one language only",
    };
    match (declared, path) {
        (Some(declared), _) if declared.trim().eq_ignore_ascii_case(code.trim()) => Ok(()),
        (Some(declared), Some(path)) => Err(Error::InvalidInput(format!(
            "{side_name} language `{code}`: {why}, and its {} gives it as `{declared}`",
            path.display()
        ))),
        _ => Err(Error::InvalidInput(format!(
            "{side_name} language `{code}` cannot be checked: {why}, and its files do not say which"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_tokens_are_found_with_or_without_brackets_and_listed_when_missing() {
        let targets: BTreeMap<String, u32> =
            [("deu", 0), ("eng", 1), ("fra", 2)].iter().map(|(c, i)| (c.to_string(), *i)).collect();
        let vocab = Path::new("m/vocab.json");
        assert_eq!(target_token(&targets, None, vocab).unwrap(), 1);
        assert_eq!(target_token(&targets, Some("fra"), vocab).unwrap(), 2);
        assert_eq!(target_token(&targets, Some(">>deu<<"), vocab).unwrap(), 0);
        let error = target_token(&targets, Some("xyz"), vocab).unwrap_err().to_string();
        assert!(error.contains("`xyz`") && error.contains("deu, eng, fra") && error.contains("m/vocab.json"));
        let only_french: BTreeMap<String, u32> = [("fra".to_string(), 7)].into();
        let error = target_token(&only_french, None, vocab).unwrap_err().to_string();
        assert!(error.contains("`eng` (the default)") && error.contains(": fra"), "{error}");
    }
}
