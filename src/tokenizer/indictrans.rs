//! The IndicTrans2 tokenizer, as AI4Bharat's `IndicTransTokenizer` (`tokenization_indictrans.py` in the
//! hub repos) encodes and decodes with `transformers`.
//!
//! Files: `model.SRC` and `model.TGT` (SentencePiece) and `dict.SRC.json` / `dict.TGT.json` (fairseq's
//! dictionaries as token -> id maps). The model's input is the preprocessed text `src_tag tgt_tag
//! sentence` (see [`crate::indic_processor`]): the two language tags are tokens of their own, the rest
//! goes through `model.SRC` (our SentencePiece normalizer and segmentation, as for every family), every
//! piece is looked up in `dict.SRC.json` (`<unk>` when missing), and `</s>` ends it. As in every family,
//! text is only ever pieces: a `</s>`, `<unk>`, `<pad>`, `<s>` or language tag that the user typed is
//! encoded as the characters it is made of (the reference tokenizer splits the first four out of the
//! text as control tokens, so that a typed `</s>` ends the sentence early). The reference pads a batch on the left; anuvad pads on the right, which gives the
//! same results because the model counts positions over the non-padding tokens only and masks the
//! padding.
//!
//! Decoding (`batch_decode(..., skip_special_tokens=True, clean_up_tokenization_spaces=True)`, as
//! AI4Bharat's examples call it): ids are looked up in `dict.TGT.json` (`<unk>` when missing), the
//! special tokens dropped, the pieces joined, `▁` turned into spaces, the result trimmed, and
//! `transformers`' `clean_up_tokenization` applied.

use std::collections::HashMap;
use std::path::Path;

use super::sentencepiece::{SentencePieceModel, SPACE_SYMBOL};
use super::PieceVocab;
use crate::error::{Error, Result};

/// The special tokens of both dictionaries (fairseq's first four entries).
const SPECIAL_TOKENS: [&str; 4] = ["<s>", "<pad>", "</s>", "<unk>"];

/// Tokenizer of an IndicTrans2 model.
pub(crate) struct IndicTransTokenizer {
    source: SentencePieceModel,
    /// `dict.SRC.json` without its control tokens, for the pieces of the text.
    source_vocab: PieceVocab,
    /// The largest id `dict.SRC.json` names (every id `encode` can give is at most this).
    largest_source_id: u32,
    /// The ids of the language tags (`hin_Deva`, ...) in `dict.SRC.json`.
    tags: HashMap<String, u32>,
    /// Target piece of each id, `None` where `dict.TGT.json` names none.
    target_pieces: Vec<Option<String>>,
    /// Ids of the special tokens (skipped when decoding).
    special_ids: Vec<u32>,
    eos: u32,
}

impl IndicTransTokenizer {
    /// Loads `model.SRC` and the two dictionaries. `model.TGT` is only checked for existence: decoding
    /// needs no SentencePiece model.
    pub(crate) fn load(
        source_spm: &Path,
        target_spm: &Path,
        source_dict: &Path,
        target_dict: &Path,
    ) -> Result<Self> {
        let source = SentencePieceModel::from_file(source_spm)?;
        if !target_spm.is_file() {
            return Err(Error::bad_file(target_spm, "missing"));
        }
        let read_dict = |path: &Path| -> Result<HashMap<String, u32>> {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            serde_json::from_str(&text)
                .map_err(|e| Error::bad_file(path, format!("not a token -> id JSON object: {e}")))
        };
        let source_vocab = read_dict(source_dict)?;
        let target_vocab = read_dict(target_dict)?;
        let id_of = |token: &str| {
            source_vocab
                .get(token)
                .copied()
                .ok_or_else(|| Error::bad_file(source_dict, format!("has no `{token}` token")))
        };
        let special_ids = SPECIAL_TOKENS.iter().map(|token| id_of(token)).collect::<Result<Vec<_>>>()?;
        let (unk, eos) = (id_of("<unk>")?, id_of("</s>")?);
        let tags: HashMap<String, u32> = source_vocab
            .iter()
            .filter(|(token, _)| is_language_tag(token))
            .map(|(token, &id)| (token.clone(), id))
            .collect();
        let largest_source_id = source_vocab.values().copied().max().unwrap_or(0);
        let is_control = |piece: &str| SPECIAL_TOKENS.contains(&piece) || tags.contains_key(piece);
        let source_vocab = PieceVocab::new(source_vocab, is_control, unk);
        // The target ids index a table: refuse absurd ids before allocating it.
        let size = target_vocab.values().max().map_or(0, |&max| max as usize + 1);
        if size > target_vocab.len().saturating_mul(2).max(1 << 16) {
            return Err(Error::bad_file(
                target_dict,
                format!("ids up to {size} for {} tokens", target_vocab.len()),
            ));
        }
        let mut target_pieces = vec![None; size];
        for (piece, &id) in &target_vocab {
            target_pieces[id as usize] = Some(piece.clone());
        }
        Ok(IndicTransTokenizer {
            source,
            source_vocab,
            largest_source_id,
            tags,
            target_pieces,
            special_ids,
            eos,
        })
    }

    /// The largest id of the source dictionary: every id `encode` can give is at most this.
    pub(crate) fn largest_id(&self) -> u32 {
        self.largest_source_id
    }

    /// The id of a language tag such as `hin_Deva`, if the source dictionary has it.
    pub(crate) fn tag_id(&self, tag: &str) -> Option<u32> {
        self.tags.get(tag).copied()
    }

    /// The ids of a preprocessed input `src_tag tgt_tag text` (both tags checked against the dictionary
    /// by the caller, see [`IndicTransTokenizer::tag_id`]), ending with `</s>`.
    pub(crate) fn encode(&self, source_tag: u32, target_tag: u32, text: &str) -> Vec<u32> {
        let pieces = self.source.encode(text);
        let mut ids = Vec::with_capacity(pieces.len() + 3);
        ids.extend([source_tag, target_tag]);
        ids.extend(self.source_vocab.ids(&pieces));
        ids.push(self.eos);
        ids
    }

    /// The text of generated ids (before the IndicProcessor's postprocessing).
    pub(crate) fn decode(&self, ids: &[u32]) -> String {
        let text: String = ids
            .iter()
            .filter(|id| !self.special_ids.contains(id))
            // An id outside `dict.TGT.json` is `<unk>`, which is special and skipped too.
            .filter_map(|&id| self.target_pieces.get(id as usize).and_then(Option::as_deref))
            .filter(|piece| !SPECIAL_TOKENS.contains(piece))
            .collect();
        clean_up_tokenization(text.replace(SPACE_SYMBOL, " ").trim())
    }
}

/// A language tag as IndicTrans2's dictionaries spell them: `hin_Deva`, `eng_Latn` (an ISO 639-3 code and
/// an ISO 15924 script).
pub(crate) fn is_language_tag(token: &str) -> bool {
    let bytes = token.as_bytes();
    bytes.len() == 8
        && bytes[..3].iter().all(u8::is_ascii_lowercase)
        && bytes[3] == b'_'
        && bytes[4].is_ascii_uppercase()
        && bytes[5..].iter().all(u8::is_ascii_lowercase)
}

/// `transformers`' `clean_up_tokenization`: no space before `.`, `?`, `!`, `,` and English clitics.
fn clean_up_tokenization(text: &str) -> String {
    text.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re")
}

#[cfg(test)]
mod tests {
    use super::clean_up_tokenization;

    #[test]
    fn clean_up_removes_spaces_before_punctuation_and_clitics() {
        assert_eq!(clean_up_tokenization("It 's done , is n't it ?"), "It's done, isn't it?");
        assert_eq!(clean_up_tokenization("a ' b"), "a'b");
    }
}
