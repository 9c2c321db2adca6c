//! Untranslated and empty: Devanagari left in the English (up to the whole source copied unchanged),
//! or no translation at all for a source that has words.

use super::text::{char_before, excerpt, is_devanagari_letter, is_letter, words};
use super::{Finding, FindingKind};

/// A finding when the source has letters or digits and the translation has none.
pub(super) fn empty(source: &str, translation: &str) -> Option<Finding> {
    let has_words = |text: &str| text.chars().any(char::is_alphanumeric);
    if !has_words(source) || has_words(translation) {
        return None;
    }
    let message = if translation.trim().is_empty() {
        "translation is empty".to_string()
    } else {
        format!("translation “{}” has no words", excerpt(translation.trim(), 20))
    };
    Some(Finding::new(FindingKind::Empty, 0..source.len(), message))
}

/// A finding when Devanagari words are left in the translation, and whether it is the source copied
/// unchanged (then the other checks have nothing to add).
pub(super) fn check(source: &str, translation: &str) -> Option<(Finding, bool)> {
    let whole = 0..source.len();
    let has_devanagari = |text: &str| text.chars().any(is_devanagari_letter);
    if translation.trim() == source.trim() && has_devanagari(source) {
        let finding =
            Finding::new(FindingKind::Untranslated, whole, "translation is the source, unchanged".into());
        return Some((finding.in_translation(0..translation.len()), true));
    }
    // Devanagari words, except hashtags (#भारत), which may stay as they are.
    let left: Vec<_> = words(translation)
        .filter(|(span, word)| has_devanagari(word) && char_before(translation, span.start) != Some('#'))
        .collect();
    let (first_span, first_word) = left.first().cloned()?;
    let letters = translation.chars().filter(|&c| is_letter(c)).count();
    let devanagari = translation.chars().filter(|&c| is_devanagari_letter(c)).count();
    let message = if devanagari * 2 >= letters {
        format!("translation is mostly Devanagari ({devanagari} of {letters} letters): not translated")
    } else {
        let shown: Vec<String> = left.iter().take(3).map(|(_, w)| format!("“{w}”")).collect();
        let more = if left.len() > 3 { format!(" and {} more", left.len() - 3) } else { String::new() };
        let count = left.len();
        let noun = if count == 1 { "word" } else { "words" };
        format!("{count} {noun} left in Devanagari: {}{more}", shown.join(", "))
    };
    // Point at the word in the source when it is there.
    let span = source.find(first_word).map_or(whole, |at| at..at + first_word.len());
    Some((Finding::new(FindingKind::Untranslated, span, message).in_translation(first_span), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_translations_of_real_sources() {
        assert!(empty("नमस्ते।", "").is_some());
        assert!(empty("नमस्ते।", " . ").unwrap().message.contains("no words"));
        assert!(empty("।", "").is_none());
        assert!(empty("नमस्ते।", "Hello.").is_none());
    }

    #[test]
    fn a_copied_source_is_wholly_untranslated() {
        let (finding, wholly) = check("नमस्ते दुनिया।", "नमस्ते दुनिया।").unwrap();
        assert!(wholly);
        assert_eq!(finding.message, "translation is the source, unchanged");
        // A Latin source may be its own translation.
        assert!(check("With inputs from IANS", "With inputs from IANS").is_none());
    }

    #[test]
    fn devanagari_words_left_in_the_english() {
        let source = "किम ने केसीएनए को बताया।";
        let (finding, wholly) = check(source, "Kim told केसीएनए about it.").unwrap();
        assert!(!wholly);
        assert_eq!(&source[finding.span.clone()], "केसीएनए");
        assert_eq!(finding.message, "1 word left in Devanagari: “केसीएनए”");
        let (finding, wholly) = check(source, "किम ने केसीएनए को told").unwrap();
        assert!(!wholly);
        assert!(finding.message.starts_with("translation is mostly Devanagari"), "{}", finding.message);
    }

    #[test]
    fn hashtags_and_dandas_are_not_untranslated_words() {
        assert!(check("#भारत जीता।", "#भारत won.").is_none());
        assert!(check("भारत जीता।", "India won।").is_none());
    }
}
