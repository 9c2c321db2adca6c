//! The text processing IndicTrans2 models expect around them, as `IndicProcessor` of AI4Bharat's
//! IndicTransToolkit applies it (`preprocess_batch` before the tokenizer, `postprocess_batch` after
//! decoding), for Devanagari sources translated into English:
//!
//! 1. punctuation normalized (quotes, dashes, spaces around brackets and punctuation), Indic digits
//!    made ASCII ([`text`]);
//! 2. e-mails, URLs, long numbers and handles replaced by `<ID1>` ... ([`placeholders`]);
//! 3. indic_nlp_library's Devanagari normalizer and its punctuation tokenizer ([`devanagari`]);
//! 4. the model's output: the placeholders put back, then Moses' English detokenizer ([`moses`]).
//!
//! Where the reference pipeline is itself wrong anuvad departs from it on purpose (the README's
//! IndicTrans2 section lists each place and why): the visarga rule, the nukta letters and number
//! sequences as the original indic_nlp_library has them, and placeholders numbered in order of
//! occurrence.

mod devanagari;
mod moses;
mod moses_tables;
mod placeholders;
mod text;

pub(crate) use placeholders::Placeholders;

use crate::error::{Error, Result};

/// The target language the processing supports: IndicTrans2's Indic→English models translate into it.
pub(crate) const ENGLISH: &str = "eng_Latn";

/// Pre- and postprocessing for one language pair of an IndicTrans2 model.
#[derive(Debug, Clone)]
pub(crate) struct IndicProcessor {
    source: String,
    target: String,
}

impl IndicProcessor {
    /// Processing from `source` (a FLORES-200 code in Devanagari script, such as `hin_Deva`) into
    /// `target` (`eng_Latn`).
    pub(crate) fn new(source: &str, target: &str) -> Result<Self> {
        if !source.ends_with("_Deva") || source.len() != "hin_Deva".len() {
            return Err(Error::InvalidInput(format!(
                "IndicTrans2 source language `{source}`: anuvad prepares Devanagari-script sources \
                 (codes such as hin_Deva, mar_Deva, npi_Deva)"
            )));
        }
        if target != ENGLISH {
            return Err(Error::InvalidInput(format!(
                "IndicTrans2 target language `{target}`: anuvad runs the Indic-to-English models, target {ENGLISH}"
            )));
        }
        Ok(IndicProcessor { source: source.to_string(), target: target.to_string() })
    }

    /// The source language tag (`hin_Deva`).
    pub(crate) fn source_tag(&self) -> &str {
        &self.source
    }

    /// The target language tag (`eng_Latn`).
    pub(crate) fn target_tag(&self) -> &str {
        &self.target
    }

    /// `preprocess_batch([sentence], src_lang, tgt_lang)` without the two language tags it puts in
    /// front: the text the tokenizer's SentencePiece model gets, and its placeholders.
    pub(crate) fn preprocess(&self, sentence: &str) -> (String, Placeholders) {
        let sentence = text::normalize_punctuation(sentence);
        let sentence = text::ascii_digits(&sentence);
        let (sentence, placeholders) = placeholders::wrap(&sentence);
        let normalized = devanagari::normalize(text::py_strip(&sentence));
        // Transliterating Devanagari into Devanagari changes nothing; the reference then rejoins
        // a virama its tokenizer set apart.
        let tokenized = devanagari::trivial_tokenize(&normalized).replace(" \u{094d} ", "\u{094d}");
        (text::py_strip(&tokenized).to_string(), placeholders)
    }

    /// `postprocess_batch([translation], lang=tgt_lang)` for the sentence `placeholders` came from:
    /// the placeholders restored, the English detokenized.
    pub(crate) fn postprocess(&self, translation: &str, placeholders: &Placeholders) -> String {
        moses::detokenize_english(&placeholders.restore(translation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_devanagari_sources_and_english_targets() {
        assert!(IndicProcessor::new("hin_Deva", "eng_Latn").is_ok());
        assert!(IndicProcessor::new("mar_Deva", "eng_Latn").is_ok());
        assert!(IndicProcessor::new("ben_Beng", "eng_Latn").is_err());
        assert!(IndicProcessor::new("hin_Deva", "hin_Deva").is_err());
    }

    #[test]
    fn a_sentence_round_trip() {
        let processor = IndicProcessor::new("hin_Deva", "eng_Latn").unwrap();
        let (text, placeholders) = processor.preprocess("  मैंने www.example.com पर २५,००० रुपये देखे ।");
        assert_eq!(text, "मैंने < ID1 > पर 25,000 रुपये देखे ।");
        assert_eq!(
            processor.postprocess("I saw 25,000 rupees on < ID1 > .", &placeholders),
            "I saw 25,000 rupees on www.example.com."
        );
    }
}
