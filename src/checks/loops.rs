//! Loops: a translation that repeats a word or phrase back to back ("the the the", "in the region, in
//! the region, in the region"), or that is far longer than its source warrants (a decoder that ran on).

use std::ops::Range;

use super::length;
use super::text::{excerpt, is_alphanumeric, is_letter};
use super::{Finding, FindingKind};

/// Longest repeated unit looked for, in tokens.
const MAX_UNIT: usize = 32;

/// A translation this many times longer than the length check's upper bound is a loop, whatever it
/// repeats.
const FAR_LONGER: f64 = 2.0;

/// A token of the translation: a word (letters and digits) or one punctuation character.
struct Token {
    span: Range<usize>,
    word: bool,
    /// Holds a letter.
    letter: bool,
}

/// The longest back-to-back repetition in `translation`, or a translation far longer than `source`.
pub(super) fn check(source: &str, translation: &str) -> Option<Finding> {
    let whole = 0..source.len();
    if let Some((span, unit, times)) = repetition(translation) {
        let message = format!("“{}” repeated {times} times back to back", excerpt(unit.trim(), 40));
        return Some(Finding::new(FindingKind::Loop, whole, message).in_translation(span));
    }
    if let Some(glued) = glued_repetition(translation) {
        let message =
            format!("“{}” repeats one piece over and over", excerpt(&translation[glued.clone()], 40));
        return Some(Finding::new(FindingKind::Loop, whole, message).in_translation(glued));
    }
    let ratio = length::ratio(source, translation)?;
    if ratio > FAR_LONGER * length::MAX_RATIO {
        let message =
            format!("translation is {ratio:.1} times the length of its source: far longer than it should be");
        return Some(Finding::new(FindingKind::Loop, whole, message).in_translation(0..translation.len()));
    }
    None
}

fn tokens(text: &str) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::new();
    for (at, c) in text.char_indices() {
        let end = at + c.len_utf8();
        if c.is_whitespace() {
            continue;
        }
        let word = is_alphanumeric(c);
        let letter = is_letter(c);
        match tokens.last_mut() {
            Some(last) if word && last.word && last.span.end == at => {
                last.span.end = end;
                last.letter |= letter;
            }
            _ => tokens.push(Token { span: at..end, word, letter }),
        }
    }
    tokens
}

/// The repetition covering the most tokens: its byte span, the repeated unit's text and how many
/// times it occurs (a last partial repeat counted). Counted as a loop: a unit of one or two tokens
/// three times or more; a unit of three tokens or more twice or more. A unit must hold a letter, or
/// digits with its repeats apart ("247 247 247"; not "..." or the ",000" of "1,000,000,000").
fn repetition(text: &str) -> Option<(Range<usize>, &str, usize)> {
    let tokens = tokens(text);
    let lower: Vec<String> = tokens.iter().map(|t| text[t.span.clone()].to_lowercase()).collect();
    // (covered tokens, start, unit)
    let mut best: Option<(usize, usize, usize)> = None;
    for unit in 1..=MAX_UNIT.min(tokens.len() / 2) {
        let mut run = 0;
        for j in 0..=tokens.len() {
            let same = j + unit < tokens.len() && lower[j] == lower[j + unit];
            if same {
                run += 1;
                continue;
            }
            if run >= unit {
                let start = j - run;
                let covered = run + unit;
                let needed = if unit <= 2 { 3 } else { 2 };
                let has_letter = tokens[start..start + unit].iter().any(|t| t.letter);
                let has_word = tokens[start..start + unit].iter().any(|t| t.word);
                let apart = text[tokens[start].span.start..tokens[start + covered - 1].span.end]
                    .contains(char::is_whitespace);
                let counts = has_letter || (has_word && apart);
                if covered / unit >= needed && counts && best.is_none_or(|(c, _, _)| covered > c) {
                    best = Some((covered, start, unit));
                }
            }
            run = 0;
        }
    }
    let (covered, start, unit) = best?;
    let span = tokens[start].span.start..tokens[start + covered - 1].span.end;
    let unit_text = &text[tokens[start].span.start..tokens[start + unit - 1].span.end];
    Some((span, unit_text, covered.div_ceil(unit)))
}

/// A long word that is one short piece repeated ("lalalalalala", "abcabcabcabc"); digits do not count
/// (1000000 is a number).
fn glued_repetition(text: &str) -> Option<Range<usize>> {
    for token in tokens(text).into_iter().filter(|t| t.word) {
        let chars: Vec<char> = text[token.span.clone()].chars().collect();
        if chars.len() < 12 || chars.iter().any(|c| c.is_numeric()) {
            continue;
        }
        for unit in 1..=4 {
            if chars.len() >= 4 * unit && (unit..chars.len()).all(|i| chars[i] == chars[i - unit]) {
                return Some(token.span);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(translation: &str) -> Option<String> {
        check("यह एक बहुत सामान्य वाक्य है जो कुछ कहता है।", translation).map(|f| {
            let span = f.translation_span.expect("a loop points into the translation");
            translation[span].to_string()
        })
    }

    #[test]
    fn repeated_words_and_phrases_are_loops() {
        assert_eq!(found("This is the the the the sentence.").as_deref(), Some("the the the the"));
        assert_eq!(
            found("He said in the region, in the region, in the region.").as_deref(),
            Some("in the region, in the region, in the region")
        );
        assert_eq!(
            found("The talks will continue the talks will continue").as_deref(),
            Some("The talks will continue the talks will continue")
        );
        assert!(found("lalalalalalalala is it").is_some());
    }

    #[test]
    fn ordinary_repetition_is_not_a_loop() {
        assert_eq!(found("It was very, very cold."), None);
        assert_eq!(found("What he had had was enough."), None);
        assert_eq!(found("New York, New York is a song."), None);
        assert_eq!(found("Wait... what?"), None);
        assert_eq!(found("1,000,000,000 dollars."), None);
        assert_eq!(found("Article 247 247 247 247 of it").as_deref(), Some("247 247 247 247"));
        assert_eq!(found("in 2007. 2007. 2007.").as_deref(), Some("2007. 2007. 2007."));
        assert_eq!(found("bye bye"), None);
    }

    #[test]
    fn a_translation_far_longer_than_its_source_is_a_loop() {
        let rambling: Vec<String> = (0..40).map(|i| format!("word{i}")).collect();
        let finding = check("छोटा।", &rambling.join(" ")).expect("far too long");
        assert!(finding.message.contains("far longer"), "{}", finding.message);
        assert!(check("छोटा वाक्य है।", "A short sentence.").is_none());
    }

    #[test]
    fn message_names_the_unit_and_count() {
        let finding = check("कुछ", "go go go go go").unwrap();
        assert_eq!(finding.message, "“go” repeated 5 times back to back");
        assert_eq!(finding.span, 0.."कुछ".len());
    }
}
