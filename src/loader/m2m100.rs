//! Loading an M2M100-family model: `config.json`, the weights, and either NLLB's `tokenizer.json` or
//! M2M100's `sentencepiece.bpe.model` + `vocab.json` (with `tokenizer_config.json` where present).

use super::{FamilyParts, LoadRequest};
use crate::config::{read_json, GenerationFile, M2M100Config};
use crate::error::Result;
use crate::model;
use crate::tokenizer::{M2M100Tokenizer, NllbTokenizer, Tokenizer};

pub(super) fn load(request: &LoadRequest) -> Result<FamilyParts> {
    let config: M2M100Config = read_json(request.config_path)?;
    config.validate(request.config_path)?;
    let vb = request.weights.open(request.dtype, request.device)?;
    let model = model::m2m100::load(&config, vb, request.weights.path(), request.packing)?;
    let (files, languages) = (request.files, request.languages);
    let tokenizer_config = files.get("tokenizer_config.json")?;
    let mut tokenizer_files = Vec::new();
    // Multilingual models also say which token starts the output: the target language.
    let (tokenizer, target) = match files.get("tokenizer.json")? {
        Some(json) => {
            // The SentencePiece model splits the text; tokenizer.json gives the ids.
            let spm = files.require("sentencepiece.bpe.model")?;
            let tokenizer = NllbTokenizer::load(&json, &spm, tokenizer_config.as_deref())?;
            let source = tokenizer.language_id(languages.source.as_deref().unwrap_or("hin_Deva"))?;
            let target = tokenizer.language_id(languages.target.as_deref().unwrap_or("eng_Latn"))?;
            let tokenizer = Tokenizer::Nllb { tokenizer: Box::new(tokenizer), source };
            super::ids_fit(&tokenizer, config.vocab_size, &json)?;
            tokenizer_files.extend([json, spm]);
            (tokenizer, target)
        }
        None => {
            let spm = files.require("sentencepiece.bpe.model")?;
            let vocab = files.require("vocab.json")?;
            let tokenizer = M2M100Tokenizer::load(&spm, &vocab, tokenizer_config.as_deref())?;
            let source = tokenizer.language_id(languages.source.as_deref().unwrap_or("hi"))?;
            let target = tokenizer.language_id(languages.target.as_deref().unwrap_or("en"))?;
            let tokenizer = Tokenizer::M2M100 { tokenizer, source };
            super::ids_fit(&tokenizer, config.vocab_size, &vocab)?;
            tokenizer_files.extend([spm, vocab]);
            (tokenizer, target)
        }
    };
    tokenizer_files.extend(tokenizer_config);
    Ok(FamilyParts {
        model: Box::new(model),
        tokenizer,
        pad: config.pad_token_id,
        output_vocab: config.vocab_size,
        forced_bos: Some(target),
        tokenizer_files,
        generation_defaults: GenerationFile::default(),
    })
}
