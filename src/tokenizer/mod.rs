//! Tokenizers: text to model ids and back, as the hub's tokenizer files define them.

mod bpe;
#[cfg(test)]
mod fixture_tests;
mod indictrans;
mod m2m100;
mod marian;
mod normalizer;
mod sentencepiece;
mod unigram;

pub(crate) use indictrans::IndicTransTokenizer;
pub(crate) use m2m100::{M2M100Tokenizer, NllbTokenizer};
pub(crate) use marian::MarianTokenizer;

use std::collections::HashMap;

use crate::indic_processor::{IndicProcessor, Placeholders};

/// One source text as the model takes it: its ids, and what turning the model's output back into
/// text needs of the source (IndicTrans2's placeholders; empty for the other families).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Encoding {
    pub ids: Vec<u32>,
    pub placeholders: Placeholders,
}

/// A vocabulary of SentencePiece pieces, as a model's `vocab.json` or `tokenizer.json` gives it.
///
/// Text is only ever pieces: a literal `</s>`, `<unk>`, `<pad>` or language code in the input is
/// encoded as the characters it is made of, as sentencepiece (which the models were trained with)
/// encodes it, never as the control token (`transformers` splits such tokens out of the text by
/// default, so that the sentence ends where a user typed `</s>`). Control tokens are placed by the
/// tokenizer itself, by id.
pub(crate) struct PieceVocab {
    ids: HashMap<String, u32>,
    unk: u32,
}

impl PieceVocab {
    /// `ids` maps pieces to ids; the control tokens among them are dropped (a piece can spell one only
    /// when it is a run of characters the SentencePiece model does not know: it stays unknown).
    pub(crate) fn new(
        mut ids: HashMap<String, u32>,
        is_control: impl Fn(&str) -> bool,
        unk: u32,
    ) -> PieceVocab {
        ids.retain(|piece, _| !is_control(piece));
        PieceVocab { ids, unk }
    }

    /// The id of each piece, `unk` for those the vocabulary does not have.
    pub(crate) fn ids<'a>(&'a self, pieces: &'a [String]) -> impl Iterator<Item = u32> + 'a {
        pieces.iter().map(|piece| self.ids.get(piece).copied().unwrap_or(self.unk))
    }
}

/// The tokenizer of a loaded model, with the source language fixed where the model needs one.
pub(crate) enum Tokenizer {
    /// opus-mt: `source.spm`, `target.spm`, `vocab.json`.
    Marian(MarianTokenizer),
    /// NLLB-200: `sentencepiece.bpe.model` + `tokenizer.json`; `source` is the id of the source language
    /// code.
    Nllb { tokenizer: Box<NllbTokenizer>, source: u32 },
    /// M2M100: `sentencepiece.bpe.model` + `vocab.json`; `source` as for NLLB.
    M2M100 { tokenizer: M2M100Tokenizer, source: u32 },
    /// IndicTrans2: `model.SRC`/`model.TGT` + `dict.SRC.json`/`dict.TGT.json`, with the
    /// IndicProcessor's text processing before and after (the language pair is the processor's);
    /// `tags` are the ids of its source and target language tags.
    IndicTrans { tokenizer: Box<IndicTransTokenizer>, processor: IndicProcessor, tags: [u32; 2] },
}

impl Tokenizer {
    /// Model input for `text` (language codes and end-of-sentence tokens included).
    pub(crate) fn encode(&self, text: &str) -> Encoding {
        let ids = match self {
            Tokenizer::Marian(tokenizer) => tokenizer.encode(text),
            Tokenizer::Nllb { tokenizer, source } => tokenizer.encode(text, *source),
            Tokenizer::M2M100 { tokenizer, source } => tokenizer.encode(text, *source),
            Tokenizer::IndicTrans { tokenizer, processor, tags: [source, target] } => {
                let (prepared, placeholders) = processor.preprocess(text);
                let ids = tokenizer.encode(*source, *target, &prepared);
                return Encoding { ids, placeholders };
            }
        };
        Encoding { ids, placeholders: Placeholders::default() }
    }

    /// The largest id the tokenizer's files name: every id `encode` can give is at most this.
    pub(crate) fn largest_id(&self) -> u32 {
        match self {
            Tokenizer::Marian(tokenizer) => tokenizer.largest_id(),
            Tokenizer::Nllb { tokenizer, .. } => tokenizer.largest_id(),
            Tokenizer::M2M100 { tokenizer, .. } => tokenizer.largest_id(),
            Tokenizer::IndicTrans { tokenizer, .. } => tokenizer.largest_id(),
        }
    }

    /// The text of generated ids, special tokens (language codes included) skipped, for the source
    /// that `placeholders` came with.
    pub(crate) fn decode(&self, ids: &[u32], placeholders: &Placeholders) -> String {
        match self {
            Tokenizer::Marian(tokenizer) => tokenizer.decode(ids),
            Tokenizer::Nllb { tokenizer, .. } => tokenizer.decode(ids),
            Tokenizer::M2M100 { tokenizer, .. } => tokenizer.decode(ids),
            Tokenizer::IndicTrans { tokenizer, processor, .. } => {
                processor.postprocess(&tokenizer.decode(ids), placeholders)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_spelling_special_tokens_are_unknown() {
        let ids: HashMap<String, u32> =
            [("</s>", 0), ("<unk>", 1), ("\u{2581}a", 5)].iter().map(|(p, i)| (p.to_string(), *i)).collect();
        let vocab = PieceVocab::new(ids, |p| p.starts_with('<'), 1);
        let pieces = vec!["\u{2581}a".to_string(), "</s>".to_string(), "b".to_string()];
        assert_eq!(vocab.ids(&pieces).collect::<Vec<_>>(), vec![5, 1, 1]);
    }
}
