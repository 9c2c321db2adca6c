//! Tokenizers: text to model ids and back, as the hub's tokenizer files define them.

mod indictrans;
mod m2m100;
mod marian;
mod sentencepiece;

pub(crate) use indictrans::IndicTransTokenizer;
pub(crate) use m2m100::{M2M100Tokenizer, NllbTokenizer};
pub(crate) use marian::MarianTokenizer;

use crate::indic_processor::{IndicProcessor, Placeholders};

/// One source text as the model takes it: its ids, and what turning the model's output back into
/// text needs of the source (IndicTrans2's placeholders; empty for the other families).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Encoding {
    pub ids: Vec<u32>,
    pub placeholders: Placeholders,
}

/// A stretch of input text, or a special token found literally in it.
pub(crate) enum Piece<'a> {
    Text(&'a str),
    Special(u32),
}

/// Splits `text` around literal special tokens (the longest one at the leftmost position), as
/// `transformers` splits added tokens out of the input before the model's own tokenization.
pub(crate) fn split_special<'a>(text: &'a str, specials: &[(String, u32)]) -> Vec<Piece<'a>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < text.len() {
        let found = specials
            .iter()
            .filter(|(token, _)| !token.is_empty() && text[at..].starts_with(token.as_str()))
            .max_by_key(|(token, _)| token.len());
        match found {
            Some((token, id)) => {
                if start < at {
                    pieces.push(Piece::Text(&text[start..at]));
                }
                pieces.push(Piece::Special(*id));
                at += token.len();
                start = at;
            }
            None => at += text[at..].chars().next().map_or(1, char::len_utf8),
        }
    }
    if start < text.len() {
        pieces.push(Piece::Text(&text[start..]));
    }
    pieces
}

/// The tokenizer of a loaded model, with the source language fixed where the model needs one.
pub(crate) enum Tokenizer {
    /// opus-mt: `source.spm`, `target.spm`, `vocab.json`.
    Marian(MarianTokenizer),
    /// NLLB-200: `tokenizer.json`; `source` is the id of the source language code.
    Nllb { tokenizer: Box<NllbTokenizer>, source: u32 },
    /// M2M100: `sentencepiece.bpe.model` + `vocab.json`; `source` as for NLLB.
    M2M100 { tokenizer: M2M100Tokenizer, source: u32 },
    /// IndicTrans2: `model.SRC`/`model.TGT` + `dict.SRC.json`/`dict.TGT.json`, with the
    /// IndicProcessor's text processing before and after (the language pair is the processor's).
    IndicTrans { tokenizer: Box<IndicTransTokenizer>, processor: IndicProcessor },
}

impl Tokenizer {
    /// Model input for `text` (language codes and end-of-sentence tokens included).
    pub(crate) fn encode(&self, text: &str) -> Encoding {
        let ids = match self {
            Tokenizer::Marian(tokenizer) => tokenizer.encode(text),
            Tokenizer::Nllb { tokenizer, source } => tokenizer.encode(text, *source),
            Tokenizer::M2M100 { tokenizer, source } => tokenizer.encode(text, *source),
            Tokenizer::IndicTrans { tokenizer, processor } => {
                let (prepared, placeholders) = processor.preprocess(text);
                let ids = tokenizer.encode(processor.source_tag(), processor.target_tag(), &prepared);
                return Encoding { ids, placeholders };
            }
        };
        Encoding { ids, placeholders: Placeholders::default() }
    }

    /// The text of generated ids, special tokens (language codes included) skipped, for the source
    /// that `placeholders` came with.
    pub(crate) fn decode(&self, ids: &[u32], placeholders: &Placeholders) -> String {
        match self {
            Tokenizer::Marian(tokenizer) => tokenizer.decode(ids),
            Tokenizer::Nllb { tokenizer, .. } => tokenizer.decode(ids),
            Tokenizer::M2M100 { tokenizer, .. } => tokenizer.decode(ids),
            Tokenizer::IndicTrans { tokenizer, processor } => {
                processor.postprocess(&tokenizer.decode(ids), placeholders)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_tokens_are_split_out_longest_first() {
        let specials = vec![("<s>".to_string(), 0), ("</s>".to_string(), 2), ("<s>x".to_string(), 9)];
        let pieces = split_special("a<s>b</s><s>x", &specials);
        let shown: Vec<String> = pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.to_string(),
                Piece::Special(id) => format!("#{id}"),
            })
            .collect();
        assert_eq!(shown, vec!["a", "#0", "b", "#2", "#9"]);
    }
}
