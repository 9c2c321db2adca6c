//! Length: a translation much shorter than human translations of such a source ever are has lost
//! something; one much longer has gained something.
//!
//! The measure is the number of non-space characters of the translation over that of the source (Hindi
//! counted in Unicode characters, vowel signs included), each plus [`SMOOTHING`] so that a short
//! headline's ratio does not swing with one word. The range comes from the FLORES-200 dev pairs
//! (`cargo run --release --example eval_checks` prints their distribution): see [`MIN_RATIO`].

use super::text::is_devanagari_letter;
use super::{Finding, FindingKind};

/// Characters added to both lengths before dividing.
pub(super) const SMOOTHING: f64 = 10.0;

/// The shortest ratio accepted: the mean log-ratio of the FLORES dev pairs' even lines less five
/// standard deviations (0.563), rounded down. Their ratios range from 0.67 to 1.61 (median 1.03,
/// log-ratio standard deviation 0.12-0.13 in either half).
pub(super) const MIN_RATIO: f64 = 0.55;

/// The longest ratio accepted: the mean plus five standard deviations (1.891), rounded up.
pub(super) const MAX_RATIO: f64 = 1.9;

/// The length ratio of `translation` to `source`, when the source is Hindi (has a Devanagari letter):
/// the fitted range says nothing about other sources.
pub(super) fn ratio(source: &str, translation: &str) -> Option<f64> {
    if !source.chars().any(is_devanagari_letter) {
        return None;
    }
    let count = |text: &str| text.chars().filter(|c| !c.is_whitespace()).count() as f64;
    Some((count(translation) + SMOOTHING) / (count(source) + SMOOTHING))
}

/// A finding when the ratio is outside [`MIN_RATIO`]..=[`MAX_RATIO`].
pub(super) fn check(source: &str, translation: &str) -> Option<Finding> {
    let ratio = ratio(source, translation)?;
    let message = if ratio < MIN_RATIO {
        format!("translation is {ratio:.2} times the length of its source: shorter than human translations ever are ({MIN_RATIO} or more); something may be missing")
    } else if ratio > MAX_RATIO {
        format!("translation is {ratio:.2} times the length of its source: longer than human translations ever are ({MAX_RATIO} or less)")
    } else {
        return None;
    };
    Some(Finding::new(FindingKind::Length, 0..source.len(), message))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str =
        "प्रदर्शनकारियों को आशा है कि वो नवंबर में राष्ट्रीय कांग्रेस के सामने प्रस्तुत करने के लिए हस्ताक्षर एकत्र करेंगे।";

    #[test]
    fn a_usual_translation_passes() {
        assert_eq!(
            check(
                SOURCE,
                "Protesters hope to collect signatures to present to the National Congress in November."
            ),
            None
        );
    }

    #[test]
    fn a_truncated_translation_is_too_short() {
        let finding = check(SOURCE, "Protesters hope.").expect("too short");
        assert_eq!(finding.kind, FindingKind::Length);
        assert_eq!(finding.span, 0..SOURCE.len());
    }

    #[test]
    fn a_padded_translation_is_too_long() {
        let padded =
            "Protesters hope to collect signatures to present to the National Congress in November. "
                .repeat(3);
        assert!(check(SOURCE, &padded).is_some());
    }

    #[test]
    fn sources_without_devanagari_are_not_measured() {
        assert_eq!(ratio("With inputs from IANS", "x"), None);
        assert_eq!(check("2024", "The year 2024 was a long one indeed, said everyone."), None);
    }
}
