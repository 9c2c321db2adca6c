//! The Marian tokenizer: `source.spm` + `target.spm` + `vocab.json`, as `transformers`' `MarianTokenizer`.
//!
//! Encoding: the whole text goes through the source SentencePiece model and its pieces are looked up in
//! `vocab.json` (a piece missing from it is `<unk>`: the Marian vocabulary is not aligned with
//! SentencePiece ids); `</s>` ends every input. Text is never a control token: a `</s>`, `<unk>`, `<pad>`
//! or `>>lang<<` that the user typed is encoded as the characters it is made of, as sentencepiece and
//! Marian (the toolkit opus-mt was trained with) read it. `transformers` instead splits such tokens out
//! of the text (and a leading `>>lang<<` off it), so that a typed `</s>` ends the sentence early.
//!
//! Decoding: special tokens are skipped, the pieces concatenated, `▁` turned into spaces and the result
//! trimmed. Like `transformers` 5 (which decodes a joint vocabulary with the source model), this is the
//! same for every piece that SentencePiece's `decode_pieces` passes through unchanged.

use std::collections::HashMap;
use std::path::Path;

use super::sentencepiece::{SentencePieceModel, SPACE_SYMBOL};
use super::PieceVocab;
use crate::error::{Error, Result};

/// Tokenizer of a Marian (opus-mt) model.
pub(crate) struct MarianTokenizer {
    source: SentencePieceModel,
    vocab: PieceVocab,
    /// The piece of each id `vocab.json` names.
    pieces: HashMap<u32, String>,
    /// Ids of the special tokens (`</s>`, `<unk>`, `<pad>`), which decoding skips.
    special_ids: Vec<u32>,
    eos_id: u32,
}

impl MarianTokenizer {
    /// Loads the tokenizer files of a model directory. `target.spm` is only checked for existence: decoding
    /// needs no SentencePiece model (see the module documentation).
    pub(crate) fn load(source_spm: &Path, target_spm: &Path, vocab_json: &Path) -> Result<Self> {
        let source = SentencePieceModel::from_file(source_spm)?;
        if !target_spm.is_file() {
            return Err(Error::bad_file(target_spm, "missing"));
        }
        let text = std::fs::read_to_string(vocab_json).map_err(|e| Error::io(vocab_json, e))?;
        let vocab: HashMap<String, u32> = serde_json::from_str(&text)
            .map_err(|e| Error::bad_file(vocab_json, format!("not a token -> id JSON object: {e}")))?;
        let id_of = |token: &str| {
            vocab
                .get(token)
                .copied()
                .ok_or_else(|| Error::bad_file(vocab_json, format!("has no `{token}` token")))
        };
        let unk_id = id_of("<unk>")?;
        let eos_id = id_of("</s>")?;
        let mut special_ids = vec![eos_id, unk_id];
        special_ids.extend(vocab.get("<pad>"));

        let pieces = vocab.iter().map(|(piece, &id)| (id, piece.clone())).collect();
        // Language codes (`>>hin<<`) are control tokens too.
        let is_control = |piece: &str| {
            matches!(piece, "</s>" | "<unk>" | "<pad>") || (piece.starts_with(">>") && piece.ends_with("<<"))
        };
        let vocab = PieceVocab::new(vocab, is_control, unk_id);
        Ok(MarianTokenizer { source, vocab, pieces, special_ids, eos_id })
    }

    /// The largest id `vocab.json` names.
    pub(crate) fn largest_id(&self) -> u32 {
        self.pieces.keys().copied().max().unwrap_or(0)
    }

    /// The ids of `text` (all of it text), ending with `</s>`.
    pub(crate) fn encode(&self, text: &str) -> Vec<u32> {
        let pieces = self.source.encode(text);
        let mut ids: Vec<u32> = self.vocab.ids(&pieces).collect();
        ids.push(self.eos_id);
        ids
    }

    /// The text of `ids`, special tokens skipped.
    pub(crate) fn decode(&self, ids: &[u32]) -> String {
        let mut text = String::new();
        for &id in ids {
            if self.special_ids.contains(&id) {
                continue;
            }
            if let Some(piece) = self.pieces.get(&id) {
                text.push_str(piece);
            }
        }
        text.replace(SPACE_SYMBOL, " ").trim().to_string()
    }
}
