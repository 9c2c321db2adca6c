//! Character classes and word scanning shared by the checks.

use std::ops::Range;

/// In the Devanagari block, not a digit or punctuation (danda, abbreviation sign): letters, vowel
/// signs, virama, nukta, accents.
fn in_devanagari_letters(c: char) -> bool {
    ('\u{0900}'..='\u{0963}').contains(&c) || ('\u{0971}'..='\u{097F}').contains(&c)
}

/// A letter or a combining mark of a word (Devanagari vowel signs, virama, nukta; zero-width joiners).
/// Devanagari and ASCII are decided first: `char::is_alphabetic` is slow outside ASCII.
pub(super) fn is_word_char(c: char) -> bool {
    c.is_ascii_alphabetic()
        || in_devanagari_letters(c)
        || c == '\u{200C}'
        || c == '\u{200D}'
        || (!c.is_ascii() && c.is_alphabetic())
}

/// A Devanagari letter or vowel sign (not a digit, the danda, the virama, the nukta or an accent):
/// what `char::is_alphabetic` says of the block, without its slow lookup.
pub(super) fn is_devanagari_letter(c: char) -> bool {
    in_devanagari_letters(c) && !matches!(c, '\u{093C}' | '\u{094D}' | '\u{0951}'..='\u{0954}')
}

/// A Latin-script letter: ASCII, or Latin-1 / Latin Extended (é, ü, ł ...).
pub(super) fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (('\u{00C0}'..='\u{024F}').contains(&c) && c != '×' && c != '÷')
}

/// A letter (`char::is_alphabetic`, with ASCII and Devanagari decided without its slow lookup).
pub(super) fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || is_devanagari_letter(c)
        || (!c.is_ascii() && !in_devanagari_letters(c) && c.is_alphabetic())
}

/// The value of an ASCII or Devanagari digit.
pub(super) fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '\u{0966}'..='\u{096F}' => Some(c as u32 - 0x0966),
        _ => None,
    }
}

/// Letters, digits or marks: what a word boundary separates.
pub(super) fn is_alphanumeric(c: char) -> bool {
    is_word_char(c) || c.is_numeric()
}

/// A Devanagari word spelled one way: nukta dropped (ज़ = ज), chandrabindu as anusvara (पाँच = पांच),
/// zero-width joiners dropped. Hindi spells the same word both ways.
pub(super) fn normalize_devanagari(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        match c {
            '\u{093C}' | '\u{200C}' | '\u{200D}' => {}
            '\u{0901}' => out.push('\u{0902}'),
            // Precomposed nukta letters: क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़.
            '\u{0958}' => out.push('क'),
            '\u{0959}' => out.push('ख'),
            '\u{095A}' => out.push('ग'),
            '\u{095B}' => out.push('ज'),
            '\u{095C}' => out.push('ड'),
            '\u{095D}' => out.push('ढ'),
            '\u{095E}' => out.push('फ'),
            '\u{095F}' => out.push('य'),
            c => out.push(c),
        }
    }
    out
}

/// The words of `text` (maximal runs of [`is_word_char`]) with their byte ranges.
pub(super) fn words(text: &str) -> impl Iterator<Item = (Range<usize>, &str)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = chars.by_ref().find(|&(_, c)| is_word_char(c))?;
        let mut end = text.len();
        while let Some(&(i, c)) = chars.peek() {
            if !is_word_char(c) {
                end = i;
                break;
            }
            chars.next();
        }
        Some((start..end, &text[start..end]))
    })
}

/// The character before byte `at` (which must be a char boundary).
pub(super) fn char_before(text: &str, at: usize) -> Option<char> {
    text.get(..at).and_then(|head| head.chars().next_back())
}

/// The character at byte `at` (which must be a char boundary).
pub(super) fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|tail| tail.chars().next())
}

/// Shortens `text` for a message: at most `max` characters, with an ellipsis when cut.
pub(super) fn excerpt(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_cover_devanagari_with_its_marks() {
        let found: Vec<&str> = words("हिंदी-शब्द, x1 y").map(|(_, w)| w).collect();
        assert_eq!(found, ["हिंदी", "शब्द", "x", "y"]);
    }

    #[test]
    fn nukta_and_chandrabindu_spellings_meet() {
        assert_eq!(normalize_devanagari("पाँच"), normalize_devanagari("पांच"));
        assert_eq!(normalize_devanagari("हज़ार"), normalize_devanagari("हजार"));
        assert_eq!(normalize_devanagari("करोड़"), "करोड");
        assert_eq!(normalize_devanagari("\u{095B}"), "ज");
    }

    #[test]
    fn devanagari_letters_are_the_alphabetic_characters_of_the_block() {
        for c in '\u{0900}'..='\u{097F}' {
            let expected = in_devanagari_letters(c) && c.is_alphabetic();
            assert_eq!(is_devanagari_letter(c), expected, "U+{:04X}", c as u32);
        }
        for c in ['a', 'Z', 'é', 'क', 'ा', '्', '़', '५', '।', '1', ' ', 'Ω', '😀'] {
            assert_eq!(is_letter(c), c.is_alphabetic(), "{c}");
        }
    }

    #[test]
    fn digits_of_both_scripts_have_values() {
        assert_eq!(digit_value('७'), Some(7));
        assert_eq!(digit_value('7'), Some(7));
        assert_eq!(digit_value('x'), None);
    }

    #[test]
    fn excerpts_cut_on_characters() {
        assert_eq!(excerpt("नमस्ते", 2), "नम…");
        assert_eq!(excerpt("ab", 2), "ab");
    }
}
