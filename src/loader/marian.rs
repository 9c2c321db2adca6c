//! Loading a Marian model: `config.json`, the weights, `source.spm`, `target.spm` and `vocab.json`.

use super::{FamilyParts, LoadRequest};
use crate::config::{read_json, GenerationFile, MarianConfig};
use crate::error::Result;
use crate::model;
use crate::tokenizer::{MarianTokenizer, Tokenizer};

pub(super) fn load(request: &LoadRequest) -> Result<FamilyParts> {
    let config: MarianConfig = read_json(request.config_path)?;
    config.validate(request.config_path)?;
    let vb = request.weights.open(request.dtype, request.device)?;
    let model = model::marian::load(&config, vb, request.weights.path(), request.packing)?;
    let files = request.files;
    let (source_spm, target_spm, vocab) =
        (files.require("source.spm")?, files.require("target.spm")?, files.require("vocab.json")?);
    let tokenizer = Tokenizer::Marian(MarianTokenizer::load(&source_spm, &target_spm, &vocab)?);
    super::ids_fit(&tokenizer, config.vocab_size, &vocab)?;
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
