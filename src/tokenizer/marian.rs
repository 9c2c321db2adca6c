//! The Marian tokenizer: `source.spm` + `target.spm` + `vocab.json`, as `transformers`' `MarianTokenizer`.
//!
//! Encoding: a leading `>>lang<<` code is split off and looked up as one token; the literal special tokens
//! (`</s>`, `<unk>`, `<pad>`) are split out of the text as `transformers` does for added tokens; every other
//! stretch of text goes through the source SentencePiece model, and its pieces are looked up in `vocab.json`
//! (a piece missing from it is `<unk>`: the Marian vocabulary is not aligned with SentencePiece ids). `</s>`
//! ends every input.
//!
//! Decoding: special tokens are skipped, the pieces concatenated, `▁` turned into spaces and the result
//! trimmed. Like `transformers` 5 (which decodes a joint vocabulary with the source model), this is the
//! same for every piece that SentencePiece's `decode_pieces` passes through unchanged.

use std::collections::HashMap;
use std::path::Path;

use super::sentencepiece::{SentencePieceModel, SPACE_SYMBOL};
use crate::error::{Error, Result};

/// Tokenizer of a Marian (opus-mt) model.
pub(crate) struct MarianTokenizer {
    source: SentencePieceModel,
    vocab: HashMap<String, u32>,
    /// Piece of each id, `None` for ids that `vocab.json` does not name.
    pieces: Vec<Option<String>>,
    /// Literal special tokens split out of the input.
    special_tokens: Vec<(String, u32)>,
    unk_id: u32,
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
        let mut special_tokens = vec![("</s>".to_string(), eos_id), ("<unk>".to_string(), unk_id)];
        if let Ok(pad_id) = id_of("<pad>") {
            special_tokens.push(("<pad>".to_string(), pad_id));
        }

        let size = vocab.values().max().map_or(0, |&max| max as usize + 1);
        let mut pieces = vec![None; size];
        for (piece, &id) in &vocab {
            pieces[id as usize] = Some(piece.clone());
        }
        Ok(MarianTokenizer { source, vocab, pieces, special_tokens, unk_id, eos_id })
    }

    /// The ids of `text`, ending with `</s>`.
    pub(crate) fn encode(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        let mut rest = text;
        // `MarianTokenizer.remove_language_code`: a leading `>>xx<<` is one token.
        if rest.starts_with(">>") {
            if let Some(end) = rest.find("<<") {
                ids.push(self.lookup(&rest[..end + 2]));
                rest = &rest[end + 2..];
            }
        }
        for piece in super::split_special(rest, &self.special_tokens) {
            match piece {
                super::Piece::Special(id) => ids.push(id),
                super::Piece::Text(plain) => {
                    ids.extend(self.source.encode(plain).iter().map(|piece| self.lookup(piece)))
                }
            }
        }
        ids.push(self.eos_id);
        ids
    }

    fn lookup(&self, piece: &str) -> u32 {
        self.vocab.get(piece).copied().unwrap_or(self.unk_id)
    }

    /// The text of `ids`, special tokens skipped.
    pub(crate) fn decode(&self, ids: &[u32]) -> String {
        let mut text = String::new();
        for &id in ids {
            if self.special_tokens.iter().any(|&(_, special)| special == id) {
                continue;
            }
            match self.pieces.get(id as usize).and_then(Option::as_deref) {
                Some(piece) => text.push_str(piece),
                None => continue,
            }
        }
        text.replace(SPACE_SYMBOL, " ").trim().to_string()
    }
}
