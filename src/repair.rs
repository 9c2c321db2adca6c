//! Repairing flagged translations: a sentence whose translation fails the checks is decoded again with
//! other settings, and the best candidate that passes replaces it. Nothing is guessed: a mangled
//! verbatim span is put back without the model only where exactly one place of the translation is that
//! span with spaces or letter case changed ([`crate::checks::restore_verbatim`]).

use crate::checks::{check, restore_verbatim, Finding, FindingKind};
use crate::document::{AlignedSentence, Document};
use crate::error::{Error, Result};
use crate::generate::GenerationOptions;

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
                return Err(Error::InvalidInput(format!(
                    "the repetition penalty must be positive, not {penalty}"
                )));
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

/// The repair attempts, in order, for a translator decoding with `base`: first against repetition at
/// the same beam (no repeated trigram and a repetition penalty of 1.2, or stricter than the model's own
/// where it has such rules), then a wider beam (twice as wide, at least 8), then both. Each looks at
/// every finished hypothesis of its beam.
pub(crate) fn attempts(base: &GenerationOptions) -> Vec<Redecode> {
    let wide = base.num_beams.saturating_mul(2).max(8);
    let ngram = match base.no_repeat_ngram_size {
        0 => 3,
        size => size.saturating_sub(1).clamp(2, 3),
    };
    let penalty = if base.repetition_penalty > 1.0 {
        // One decimal, so that records say "1.5", not "1.5000001".
        ((f64::from(base.repetition_penalty) + 0.3) * 10.0).round() as f32 / 10.0
    } else {
        1.2
    };
    let against_repetition =
        Redecode::new().no_repeat_ngram_size(ngram).repetition_penalty(penalty).alternatives(true);
    vec![
        against_repetition.clone(),
        Redecode::new().beam_size(wide).alternatives(true),
        against_repetition.beam_size(wide),
    ]
}

/// A translation from a second decoding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    pub text: String,
    pub score: f32,
    pub split: bool,
}

/// Decodes sentences again with other settings: each sentence's candidates, best first
/// (`Translator::retranslate`, passed in so that this module does not depend on the translator).
pub(crate) type Redecoder<'a> = &'a mut dyn FnMut(&[&str], &Redecode) -> Result<Vec<Vec<Candidate>>>;

/// Repairs every flagged sentence of `documents` it can, trying [`attempts`] for a translator
/// decoding with `base`; those it cannot keep their translation and flags.
pub(crate) fn repair_documents(
    documents: &mut [Document],
    base: &GenerationOptions,
    redecode: Redecoder,
) -> Result<()> {
    repair_with(documents, base, redecode, &check)
}

/// [`repair_documents`] with `check` deciding what passes (tests narrow it to one kind).
fn repair_with(
    documents: &mut [Document],
    base: &GenerationOptions,
    redecode: Redecoder,
    check: &dyn Fn(&str, &str) -> Vec<Finding>,
) -> Result<()> {
    let mut todo: Vec<&mut AlignedSentence> = documents
        .iter_mut()
        .flat_map(|d| d.paragraphs.iter_mut())
        .flat_map(|p| p.sentences.iter_mut())
        .filter(|s| !s.flags.is_empty())
        .collect();
    for sentence in todo.iter_mut() {
        restore(sentence, check);
    }
    todo.retain(|s| !s.flags.is_empty());
    for attempt in attempts(base) {
        if todo.is_empty() {
            break;
        }
        let sources: Vec<String> = todo.iter().map(|s| s.source.clone()).collect();
        let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
        let candidates = redecode(&sources, &attempt)?;
        for (sentence, candidates) in todo.iter_mut().zip(candidates) {
            // Best first: the first that passes is the best that passes.
            let passing =
                candidates.into_iter().enumerate().find(|(_, c)| check(&sentence.source, &c.text).is_empty());
            if let Some((rank, candidate)) = passing {
                let which =
                    if rank == 0 { String::new() } else { format!(" (hypothesis {} of the beam)", rank + 1) };
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
fn restore(sentence: &mut AlignedSentence, check: &dyn Fn(&str, &str) -> Vec<Finding>) {
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
        let base = GenerationOptions { num_beams: 4, ..GenerationOptions::default() };
        let attempts = attempts(&base);
        assert_eq!(attempts.len(), 3);
        assert_eq!(attempts[0].describe(), "no_repeat_ngram_size 3, repetition_penalty 1.2");
        assert_eq!(attempts[1].describe(), "beam 8");
        assert_eq!(attempts[2].describe(), "beam 8, no_repeat_ngram_size 3, repetition_penalty 1.2");
        assert!(attempts.iter().all(|a| a.alternatives));
        let strict =
            GenerationOptions { num_beams: 6, no_repeat_ngram_size: 3, repetition_penalty: 1.2, ..base };
        let attempts = super::attempts(&strict);
        assert_eq!(attempts[0].describe(), "no_repeat_ngram_size 2, repetition_penalty 1.5");
        assert_eq!(attempts[1].beam_size, Some(12));
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

    /// The tiny variant model (random weights, beam 3, its own n-gram and repetition rules) loops on
    /// most sentences of the sample article: decoding again against repetition, or with a wider beam,
    /// gives translations without the loops, and exactly those sentences say so.
    #[test]
    fn loops_of_the_tiny_model_are_repaired_by_decoding_again() {
        let root = env!("CARGO_MANIFEST_DIR");
        let translator =
            crate::Translator::builder().model(format!("{root}/models/tiny-marian-variant")).build().unwrap();
        let article = std::fs::read_to_string(format!("{root}/models/samples/article-hi.txt")).unwrap();
        let loops_only = |source: &str, translation: &str| -> Vec<Finding> {
            check(source, translation).into_iter().filter(|f| f.kind == FindingKind::Loop).collect()
        };
        let mut documents = vec![translator.translate_document(&article).unwrap()];
        let sentences = |documents: &[Document]| -> Vec<AlignedSentence> {
            documents.iter().flat_map(|d| d.sentences().map(|(_, _, s)| s.clone())).collect()
        };
        for paragraph in &mut documents[0].paragraphs {
            for sentence in &mut paragraph.sentences {
                sentence.flags = loops_only(&sentence.source, &sentence.translation);
            }
        }
        let before = sentences(&documents);
        let looping = before.iter().filter(|s| !s.flags.is_empty()).count();
        assert!(looping >= 5, "the fixture should loop on most sentences, looped on {looping}");

        let mut redecode = |sentences: &[&str], settings: &Redecode| {
            let candidates = translator.retranslate(sentences, settings)?;
            Ok(candidates
                .into_iter()
                .map(|list| {
                    list.into_iter()
                        .map(|t| Candidate { text: t.text, score: t.score, split: t.split })
                        .collect()
                })
                .collect())
        };
        repair_with(&mut documents, translator.generation_options(), &mut redecode, &loops_only).unwrap();
        let after = sentences(&documents);
        let mut repaired = 0;
        for (old, new) in before.iter().zip(&after) {
            match &new.repaired {
                Some(how) => {
                    repaired += 1;
                    assert!(!old.flags.is_empty(), "only flagged sentences are repaired");
                    assert!(how.starts_with("loop: decoded again with "), "{how}");
                    assert!(new.flags.is_empty() && loops_only(&new.source, &new.translation).is_empty());
                    assert_ne!(new.translation, old.translation);
                }
                // Unrepaired sentences keep their translation and their flags.
                None => assert_eq!((&new.translation, &new.flags), (&old.translation, &old.flags)),
            }
        }
        assert!(repaired * 2 >= looping, "{repaired} of {looping} looping sentences repaired");
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
        restore(&mut sentence, &check);
        assert_eq!(sentence.translation, "See https://example.org/news.");
        assert!(sentence.flags.is_empty());
        assert_eq!(
            sentence.repaired.as_deref(),
            Some("verbatim: restored “https://example.org/news” as in the source")
        );
    }
}
