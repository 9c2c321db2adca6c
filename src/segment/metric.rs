//! Evaluation helpers: the span invariant as a check, and scoring [`segment`](super::segment) against gold
//! sentence splits, with the metric of
//! `tests/data/segmentation/README.md`: sentence boundaries as character offsets after whitespace
//! normalisation (here: the number of non-whitespace characters before the boundary; the end of the text
//! is not a boundary), then precision, recall, F1 and the share of records split exactly right.
//!
//! Not part of the stable API: shared by `examples/eval_segment.rs`, the integration and property tests and
//! the fuzz target.

use std::path::Path;

use serde::Deserialize;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
use unicode_segmentation::UnicodeSegmentation;

/// One gold record of a `*.jsonl` file.
#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    /// Record id.
    pub id: String,
    /// The paragraph (or article) text.
    pub text: String,
    /// The gold sentences, in order, each a substring of `text`.
    pub sentences: Vec<String>,
    /// FLORES only: indices of sentences that may hold two sentences (empty on the "clean subset").
    #[serde(default)]
    pub multi_sentence_candidates: Vec<usize>,
    /// Hard cases only: the phenomenon the record tests.
    #[serde(default)]
    pub phenomenon: Option<String>,
}

/// Reads a JSON-lines gold file (blank lines skipped).
pub fn load(path: impl AsRef<Path>) -> std::io::Result<Vec<Record>> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|e| {
                let message = format!("{}:{}: {e}", path.display(), n + 1);
                std::io::Error::new(std::io::ErrorKind::InvalidData, message)
            })
        })
        .collect()
}

/// `record` as Hindi is often typed on the web: every danda `।` replaced by a full stop `.`, in the text and
/// in the gold sentences (the boundaries stay where they were).
pub fn web_style(record: &Record) -> Record {
    let mut record = record.clone();
    record.text = record.text.replace('।', ".");
    for sentence in &mut record.sentences {
        *sentence = sentence.replace('।', ".");
    }
    record
}

/// The boundaries between consecutive `sentences`: after each sentence but the last, the number of
/// non-whitespace characters up to its end.
pub fn boundaries<'a>(sentences: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
    let mut offset = 0;
    let mut out: Vec<usize> = sentences
        .into_iter()
        .map(|s| {
            offset += s.chars().filter(|c| !c.is_whitespace()).count();
            offset
        })
        .collect();
    out.pop();
    out
}

/// The sentences [`segment`](super::segment) finds in `text`, across paragraphs, in order.
pub fn predicted_sentences(text: &str) -> Vec<&str> {
    super::segment(text).iter().flat_map(|p| &p.sentences).map(|s| s.text(text)).collect()
}

/// Checks the invariant that [`segment`](super::segment) promises for `paragraphs` found in `text`:
/// paragraphs non-empty and spanning their sentences; sentence spans non-empty, in order, not overlapping,
/// cut on extended grapheme cluster boundaries (UAX #29), without leading or trailing whitespace; only
/// whitespace outside them; and no sentence but the text's first begins with a combining mark or vowel
/// sign (General_Category Mn, Mc, Me). Returns the first violation found.
pub fn invariant_violation(text: &str, paragraphs: &[super::Paragraph]) -> Option<String> {
    // Computed apart from the segmenter's own checks: every cluster boundary, in order.
    let boundaries: Vec<usize> =
        text.grapheme_indices(true).map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
    let on_boundary = |at: usize| boundaries.binary_search(&at).is_ok();
    let mut covered = 0;
    for (p, paragraph) in paragraphs.iter().enumerate() {
        let (Some(first), Some(last)) = (paragraph.sentences.first(), paragraph.sentences.last()) else {
            return Some(format!("paragraph {p} is empty"));
        };
        if paragraph.span != (first.span.start..last.span.end) {
            return Some(format!("paragraph {p} spans {:?}, its sentences {:?}", paragraph.span, first.span));
        }
        for sentence in &paragraph.sentences {
            let span = sentence.span.clone();
            if span.start >= span.end {
                return Some(format!("empty sentence {span:?}"));
            }
            if span.start < covered {
                return Some(format!("sentence {span:?} overlaps the previous one (ending at {covered})"));
            }
            let (Some(gap), Some(inner)) = (text.get(covered..span.start), text.get(span.clone())) else {
                return Some(format!(
                    "sentence {span:?} is not on char boundaries of a {}-byte text",
                    text.len()
                ));
            };
            if !gap.chars().all(char::is_whitespace) {
                return Some(format!("text lost before sentence {span:?}: {gap:?}"));
            }
            if inner.trim() != inner {
                return Some(format!("sentence {span:?} has surrounding whitespace: {inner:?}"));
            }
            // Cuts between sentences fall on cluster boundaries; the text's leading and trailing whitespace
            // is left out whatever it is joined to (`" \u{940}"` is one cluster).
            let first_of_text = text.get(..span.start).is_some_and(|before| before.trim().is_empty());
            let last_of_text = text.get(span.end..).is_some_and(|after| after.trim().is_empty());
            if (!first_of_text && !on_boundary(span.start)) || (!last_of_text && !on_boundary(span.end)) {
                return Some(format!("sentence {span:?} cuts a grapheme cluster: {inner:?}"));
            }
            let mark = |c: char| c.general_category_group() == GeneralCategoryGroup::Mark;
            if inner.chars().next().is_some_and(mark) && !first_of_text {
                return Some(format!("sentence {span:?} begins with a combining mark: {inner:?}"));
            }
            covered = span.end;
        }
    }
    match text.get(covered..) {
        Some(rest) if rest.chars().all(char::is_whitespace) => None,
        _ => Some(format!("text lost after byte {covered}")),
    }
}

/// Boundary counts over a set of records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    /// Predicted boundaries that are gold boundaries.
    pub true_positives: usize,
    /// Predicted boundaries that are not.
    pub false_positives: usize,
    /// Gold boundaries not predicted.
    pub false_negatives: usize,
    /// Records scored.
    pub records: usize,
    /// Records whose predicted boundaries equal the gold ones.
    pub exact: usize,
}

impl Score {
    /// Adds one record's gold and predicted boundaries (each sorted, no duplicates).
    pub fn add(&mut self, gold: &[usize], predicted: &[usize]) {
        let hits = predicted.iter().filter(|b| gold.binary_search(b).is_ok()).count();
        self.true_positives += hits;
        self.false_positives += predicted.len() - hits;
        self.false_negatives += gold.len() - hits;
        self.records += 1;
        self.exact += usize::from(gold == predicted);
    }

    /// Scores [`segment`](super::segment) on `records`.
    pub fn of<'a>(records: impl IntoIterator<Item = &'a Record>) -> Score {
        let mut score = Score::default();
        for record in records {
            let gold = boundaries(record.sentences.iter().map(String::as_str));
            let predicted = boundaries(predicted_sentences(&record.text));
            score.add(&gold, &predicted);
        }
        score
    }

    /// Precision (1 when nothing was predicted).
    pub fn precision(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_positives)
    }

    /// Recall (1 when there was nothing to find).
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_negatives)
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Share of records split exactly right (0 to 1).
    pub fn exact_share(&self) -> f64 {
        ratio(self.exact, self.records)
    }
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        1.0
    } else {
        numerator as f64 / denominator as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_ignore_whitespace_and_the_end() {
        assert_eq!(boundaries(["क ख।", "ग घ।", "ङ"]), [3, 6]);
        assert!(boundaries(["one"]).is_empty());
    }

    #[test]
    fn counts() {
        let mut score = Score::default();
        score.add(&[3, 6], &[3, 7]);
        assert_eq!(
            (score.true_positives, score.false_positives, score.false_negatives, score.exact),
            (1, 1, 1, 0)
        );
        assert!((score.f1() - 0.5).abs() < 1e-9);
    }
}
