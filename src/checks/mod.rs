//! Checks on a (source, translation) pair for what must not change: numbers, verbatim spans (links,
//! e-mail addresses, handles, hashtags, Latin-script names and codes), repetition loops, the length of
//! the translation, and sentences left untranslated or empty.
//!
//! Every check is a pure function of the two strings: no model, no state, no panics on any input.
//! [`check`] runs them all and returns [`Finding`]s, each with a [`FindingKind`], a byte span of the
//! source sentence and a short message for people.
//!
//! ```
//! use anuvad::checks::{check, FindingKind};
//!
//! let findings = check("कीमत 1,50,000 रुपये है।", "The price is Rs 15,000.");
//! assert_eq!(findings.len(), 1);
//! assert_eq!(findings[0].kind, FindingKind::Number);
//! assert_eq!(&"कीमत 1,50,000 रुपये है।"[findings[0].span.clone()], "1,50,000");
//!
//! assert!(check("कीमत 1.5 लाख रुपये है।", "The price is Rs 150,000.").is_empty());
//! ```

mod length;
mod loops;
mod numbers;
mod numerals;
mod quantities;
mod summary;
mod text;
mod untranslated;
mod verbatim;

use std::ops::Range;

use serde::{Serialize, Serializer};

pub use summary::FlagSummary;
pub use verbatim::restore_verbatim;

/// What a [`Finding`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FindingKind {
    /// A number of the source is missing from the translation (or has another value there), or the
    /// translation has a number the source does not.
    Number,
    /// A URL, e-mail address, @handle, #hashtag or Latin-script token of the source is missing from the
    /// translation.
    Verbatim,
    /// The translation repeats itself (an n-gram back to back), or is far longer than the source warrants.
    Loop,
    /// The translation is shorter or longer than human translations of a source this long ever are.
    Length,
    /// Devanagari left in the translation (up to the whole source copied unchanged).
    Untranslated,
    /// The translation is empty (or has no words) while the source has some.
    Empty,
}

impl FindingKind {
    /// Every kind, in the order summaries list them.
    pub const ALL: [FindingKind; 6] = [
        FindingKind::Number,
        FindingKind::Verbatim,
        FindingKind::Loop,
        FindingKind::Length,
        FindingKind::Untranslated,
        FindingKind::Empty,
    ];

    /// The kind's name in JSON records and summaries: `number`, `verbatim`, `loop`, `length`,
    /// `untranslated`, `empty`.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Number => "number",
            FindingKind::Verbatim => "verbatim",
            FindingKind::Loop => "loop",
            FindingKind::Length => "length",
            FindingKind::Untranslated => "untranslated",
            FindingKind::Empty => "empty",
        }
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for FindingKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// One problem found in a translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What kind of problem.
    pub kind: FindingKind,
    /// UTF-8 byte range of the source sentence concerned (the whole sentence when the problem is not
    /// about one part of it, e.g. a loop). Always a valid span of the source: in bounds, on character
    /// boundaries.
    pub span: Range<usize>,
    /// UTF-8 byte range of the translation concerned, where there is one (the repeated text of a loop,
    /// a number the source does not have).
    pub translation_span: Option<Range<usize>>,
    /// A short message for people, e.g. "1,50,000 (150000) is not in the translation".
    pub message: String,
}

/// A finding in JSON: `{"kind","start","end","message"}` (source byte offsets), plus
/// `"translation_start"`/`"translation_end"` when it points into the translation.
impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            kind: FindingKind,
            start: usize,
            end: usize,
            #[serde(skip_serializing_if = "Option::is_none")]
            translation_start: Option<usize>,
            #[serde(skip_serializing_if = "Option::is_none")]
            translation_end: Option<usize>,
            message: &'a str,
        }
        Json {
            kind: self.kind,
            start: self.span.start,
            end: self.span.end,
            translation_start: self.translation_span.as_ref().map(|s| s.start),
            translation_end: self.translation_span.as_ref().map(|s| s.end),
            message: &self.message,
        }
        .serialize(serializer)
    }
}

impl Finding {
    fn new(kind: FindingKind, span: Range<usize>, message: String) -> Self {
        Finding { kind, span, translation_span: None, message }
    }

    fn in_translation(mut self, span: Range<usize>) -> Self {
        self.translation_span = Some(span);
        self
    }
}

/// Runs every check on a source sentence and its translation; an empty list means nothing was found.
///
/// Findings come in the order of the checks (empty or untranslated first, then numbers, verbatim
/// spans, loops and length). A translation that is empty, or the source copied unchanged, gets only
/// that finding: the other checks would only repeat it.
pub fn check(source: &str, translation: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(empty) = untranslated::empty(source, translation) {
        return vec![empty];
    }
    let untranslated = untranslated::check(source, translation);
    let wholly = untranslated.as_ref().is_some_and(|(_, wholly)| *wholly);
    if let Some((finding, _)) = untranslated {
        findings.push(finding);
    }
    if wholly {
        return findings;
    }
    findings.extend(numbers::check(source, translation));
    findings.extend(verbatim::check(source, translation));
    let loop_found = match loops::check(source, translation) {
        Some(finding) => {
            findings.push(finding);
            true
        }
        None => false,
    };
    if !loop_found {
        findings.extend(length::check(source, translation));
    }
    findings
}

/// Whether a translation passes every check (same as `check(..).is_empty()`).
pub fn passes(source: &str, translation: &str) -> bool {
    check(source, translation).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_correct_translation_has_no_findings() {
        let source = "स्थानीय समय (0230 UTC) के मुताबिक करीब 9:30 बजे JAS 39C Gripen रनवे पर धमाके के साथ \
                      दुर्घटनाग्रस्त हो गया।";
        let translation = "The JAS 39C Gripen crashed onto a runway at around 9:30 am local time (0230 UTC) \
                           and exploded.";
        assert_eq!(check(source, translation), vec![]);
    }

    #[test]
    fn an_empty_translation_gets_only_the_empty_finding() {
        let findings = check("उन्होंने 2 गोल किए।", "  ");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind, FindingKind::Empty);
    }

    #[test]
    fn the_source_copied_unchanged_is_untranslated_and_nothing_else() {
        let source = "उन्होंने 2 गोल और दो असिस्ट किए।";
        let findings = check(source, source);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].kind, FindingKind::Untranslated);
    }

    #[test]
    fn findings_serialize_with_kind_and_offsets() {
        let finding = Finding::new(FindingKind::Loop, 0..3, "repeats".into()).in_translation(4..9);
        assert_eq!(
            serde_json::to_string(&finding).unwrap(),
            r#"{"kind":"loop","start":0,"end":3,"translation_start":4,"translation_end":9,"message":"repeats"}"#
        );
        let finding = Finding::new(FindingKind::Number, 1..2, "m".into());
        assert_eq!(
            serde_json::to_string(&finding).unwrap(),
            r#"{"kind":"number","start":1,"end":2,"message":"m"}"#
        );
    }

    #[test]
    fn kind_names_are_distinct() {
        let names: std::collections::BTreeSet<_> = FindingKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), FindingKind::ALL.len());
    }
}
