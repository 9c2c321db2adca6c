//! Repairing flagged translations: a sentence whose translation fails the checks is decoded again with
//! other settings, and the best candidate that passes replaces it. Nothing is guessed: a mangled
//! verbatim span is put back without the model only where exactly one place of the translation is that
//! span with spaces or letter case changed ([`crate::checks::restore_verbatim`]).

use crate::checks::{check, restore_verbatim, FindingKind};
use crate::document::{AlignedSentence, Document};
use crate::error::{Error, Result};
use crate::generate::GenerationOptions;
use crate::translator::Translator;

/// Decoding settings that override the model's for a second try at a sentence; `None` keeps the
/// translator's setting.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Redecode {
    /// Beams for beam search.
    pub beam_size: Option<usize>,
    /// Forbid repeating any n-gram of this size (`transformers`' `no_repeat_ngram_size`; 0 = off).
    pub no_repeat_ngram_size: Option<usize>,
    /// Penalty on tokens already generated (`transformers`' `repetition_penalty`; 1.0 = off).
    pub repetition_penalty: Option<f32>,
    /// Return every finished hypothesis of the beam, best first, not only the best.
    pub alternatives: bool,
}

impl Redecode {
    /// Settings that change nothing.
    pub fn new() -> Self {
        Redecode::default()
    }

    /// With `beams` beams.
    pub fn beam_size(mut self, beams: usize) -> Self {
        self.beam_size = Some(beams);
        self
    }

    /// Forbidding repeated n-grams of `size` tokens.
    pub fn no_repeat_ngram_size(mut self, size: usize) -> Self {
        self.no_repeat_ngram_size = Some(size);
        self
    }

    /// With a repetition penalty of `penalty`.
    pub fn repetition_penalty(mut self, penalty: f32) -> Self {
        self.repetition_penalty = Some(penalty);
        self
    }

    /// Returning every finished hypothesis of the beam.
    pub fn alternatives(mut self, alternatives: bool) -> Self {
        self.alternatives = alternatives;
        self
    }

    /// `base` with these overrides, checked.
    pub(crate) fn apply(&self, base: &GenerationOptions) -> Result<GenerationOptions> {
        let mut options = base.clone();
        if let Some(beams) = self.beam_size {
            if beams == 0 {
                return Err(Error::InvalidInput("the beam size must be at least 1".into()));
            }
            options.num_beams = beams;
        }
        if let Some(size) = self.no_repeat_ngram_size {
            options.no_repeat_ngram_size = size;
        }
        if let Some(penalty) = self.repetition_penalty {
            if !(penalty.is_finite() && penalty > 0.0) {
                return Err(Error::InvalidInput(format!("the repetition penalty must be positive, not {penalty}")));
            }
            options.repetition_penalty = penalty;
        }
        Ok(options)
    }

    /// What the settings change, for the record: "beam 8, no_repeat_ngram_size 3, repetition_penalty 1.2".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(beams) = self.beam_size {
            parts.push(format!("beam {beams}"));
        }
        if let Some(size) = self.no_repeat_ngram_size {
            parts.push(format!("no_repeat_ngram_size {size}"));
        }
        if let Some(penalty) = self.repetition_penalty {
            parts.push(format!("repetition_penalty {penalty}"));
        }
        if parts.is_empty() {
            parts.push("the same settings".into());
        }
        parts.join(", ")
    }
}

/// The repair attempts, in order, for a translator decoding with `beams` beams: first against
/// repetition (no repeated trigram, repetition penalty 1.2) at the same beam, then a wider beam (twice
/// as wide, at least 8), then both. Each considers every finished hypothesis of its beam.
pub fn attempts(beams: usize) -> Vec<Redecode> {
    let wide = beams.saturating_mul(2).max(8);
    let against_repetition = Redecode::new().no_repeat_ngram_size(3).repetition_penalty(1.2).alternatives(true);
    vec![
        against_repetition.clone(),
        Redecode::new().beam_size(wide).alternatives(true),
        against_repetition.beam_size(wide),
    ]
}

/// Repairs every flagged sentence of `documents` it can; those it cannot keep their translation and
/// flags.
pub(crate) fn repair_documents(translator: &Translator, documents: &mut [Document]) -> Result<()> {
    let mut todo: Vec<&mut AlignedSentence> = documents
        .iter_mut()
        .flat_map(|d| d.paragraphs.iter_mut())
        .flat_map(|p| p.sentences.iter_mut())
        .filter(|s| !s.flags.is_empty())
        .collect();
    for sentence in todo.iter_mut() {
        restore(sentence);
    }
    todo.retain(|s| !s.flags.is_empty());
    for attempt in attempts(translator.beam_size()) {
        if todo.is_empty() {
            break;
        }
        let sources: Vec<String> = todo.iter().map(|s| s.source.clone()).collect();
        let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
        let candidates = translator.retranslate(&sources, &attempt)?;
        for (sentence, candidates) in todo.iter_mut().zip(candidates) {
            // Best first: the first that passes is the best that passes.
            let passing = candidates.into_iter().enumerate().find(|(_, c)| check(&sentence.source, &c.text).is_empty());
            if let Some((rank, candidate)) = passing {
                let which = if rank == 0 { String::new() } else { format!(" (hypothesis {} of the beam)", rank + 1) };
                let how = format!("decoded again with {}{which}", attempt.describe());
                sentence.repaired = Some(format!("{}: {how}", kinds(sentence)));
                sentence.translation = candidate.text;
                sentence.score = candidate.score;
                sentence.split = candidate.split;
                sentence.flags.clear();
            }
        }
        todo.retain(|s| !s.flags.is_empty());
    }
    Ok(())
}

/// Puts back mangled verbatim spans where that is unambiguous, when they are all that is wrong.
fn restore(sentence: &mut AlignedSentence) {
    if !sentence.flags.iter().all(|f| f.kind == FindingKind::Verbatim) {
        return;
    }
    let Some((restored, spans)) = restore_verbatim(&sentence.source, &sentence.translation) else { return };
    let flags = check(&sentence.source, &restored);
    if flags.is_empty() {
        let spans: Vec<String> = spans.iter().map(|s| format!("“{s}”")).collect();
        sentence.repaired = Some(format!("verbatim: restored {} as in the source", spans.join(", ")));
        sentence.translation = restored;
        sentence.flags = flags;
    }
}

/// "loop, length": the kinds of a sentence's findings.
fn kinds(sentence: &AlignedSentence) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for finding in &sentence.flags {
        if !kinds.contains(&finding.kind.name()) {
            kinds.push(finding.kind.name());
        }
    }
    kinds.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_widen_the_beam_and_fight_repetition() {
        let attempts = attempts(4);
        assert_eq!(attempts.len(), 3);
        assert_eq!(attempts[0].describe(), "no_repeat_ngram_size 3, repetition_penalty 1.2");
        assert_eq!(attempts[1].describe(), "beam 8");
        assert_eq!(attempts[2].describe(), "beam 8, no_repeat_ngram_size 3, repetition_penalty 1.2");
        assert!(attempts.iter().all(|a| a.alternatives));
        assert_eq!(super::attempts(6)[1].beam_size, Some(12));
    }

    #[test]
    fn overrides_apply_and_bad_ones_are_refused() {
        let base = GenerationOptions::default();
        let options = Redecode::new().beam_size(8).no_repeat_ngram_size(3).apply(&base).unwrap();
        assert_eq!((options.num_beams, options.no_repeat_ngram_size), (8, 3));
        assert_eq!(Redecode::new().apply(&base).unwrap(), base);
        assert!(Redecode::new().beam_size(0).apply(&base).is_err());
        assert!(Redecode::new().repetition_penalty(f32::NAN).apply(&base).is_err());
    }

    #[test]
    fn a_mangled_url_is_restored_only_when_that_is_all() {
        let source = "देखें https://example.org/news।".to_string();
        let mut sentence = AlignedSentence {
            source: source.clone(),
            translation: "See https: //example.org/news.".into(),
            span: 0..source.len(),
            score: 0.0,
            split: false,
            flags: Vec::new(),
            repaired: None,
        };
        sentence.flags = check(&sentence.source, &sentence.translation);
        restore(&mut sentence);
        assert_eq!(sentence.translation, "See https://example.org/news.");
        assert!(sentence.flags.is_empty());
        assert_eq!(sentence.repaired.as_deref(), Some("verbatim: restored “https://example.org/news” as in the source"));
    }
}
