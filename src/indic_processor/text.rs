//! The IndicProcessor's first steps on any source text: punctuation normalization (`_punc_norm`) and
//! Indic digits to ASCII (`_normalize`'s translation table); and Python's notion of whitespace, which
//! the reference's `str.strip()` and `str.split()` use.

use std::sync::LazyLock;

use regex::Regex;

/// Python's `str.isspace()`: Unicode White_Space plus the information separators U+001C..U+001F.
pub(super) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
pub(super) fn py_strip(text: &str) -> &str {
    text.trim_matches(is_py_space)
}

/// Python's `str.split()` (no argument): runs of whitespace separate, no empty pieces.
pub(super) fn py_split_whitespace(text: &str) -> Vec<&str> {
    text.split(is_py_space).filter(|piece| !piece.is_empty()).collect()
}

/// A compiled pattern of this module (the patterns are constants, checked by the tests).
fn pattern(source: &str) -> Regex {
    Regex::new(source).unwrap_or_else(|e| unreachable!("constant pattern {source}: {e}"))
}

/// `_punc_norm`'s substitutions, in its order; each `(pattern, replacement)` with `$1` for a group.
/// (The reference's no-op rules, such as `...` -> `...`, are left out.)
static PUNCTUATION_RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"\r", ""),
        (r"\(\s*", "("),
        (r"\s*\)", ")"),
        (r"\s:\s?", ":"),
        (r"\s;\s?", ";"),
        ("[`´‘‚’]", "'"),
        ("[„“”«»]", "\""),
        ("[–—]", "-"),
        (" %", "%"),
        // ` [?!;]` replaced by the match stripped: the space goes.
        (" ([?!;])", "$1"),
        ("[ ]{2,}", " "),
        (r"\) ([.!:?;,])", ")$1"),
        (r"(\d) %", "${1}%"),
        (r#""([,.]+)"#, "$1\""),
        (r"(\d) (\d)", "$1.$2"),
    ]
    .into_iter()
    .map(|(source, replacement)| (pattern(source), replacement))
    .collect()
});

/// `IndicProcessor._punc_norm`: quotes, dashes and spacing around punctuation, then stripped.
pub(super) fn normalize_punctuation(text: &str) -> String {
    let mut text = text.to_string();
    for (rule, replacement) in PUNCTUATION_RULES.iter() {
        text = rule.replace_all(&text, *replacement).into_owned();
    }
    py_strip(&text).to_string()
}

/// The Indic digits the reference turns into ASCII (its table, as it is: it has no Telugu zero).
const INDIC_DIGITS: [&str; 10] = [
    "\u{09e6}\u{0ae6}\u{0ce6}\u{0966}\u{0660}\u{abf0}\u{0b66}\u{0a66}\u{1c50}\u{06f0}",
    "\u{09e7}\u{0ae7}\u{0967}\u{0ce7}\u{06f1}\u{abf1}\u{0b67}\u{0a67}\u{1c51}\u{0c67}",
    "\u{09e8}\u{0ae8}\u{0968}\u{0ce8}\u{06f2}\u{abf2}\u{0b68}\u{0a68}\u{1c52}\u{0c68}",
    "\u{09e9}\u{0ae9}\u{0969}\u{0ce9}\u{06f3}\u{abf3}\u{0b69}\u{0a69}\u{1c53}\u{0c69}",
    "\u{09ea}\u{0aea}\u{096a}\u{0cea}\u{06f4}\u{abf4}\u{0b6a}\u{0a6a}\u{1c54}\u{0c6a}",
    "\u{09eb}\u{0aeb}\u{096b}\u{0ceb}\u{06f5}\u{abf5}\u{0b6b}\u{0a6b}\u{1c55}\u{0c6b}",
    "\u{09ec}\u{0aec}\u{096c}\u{0cec}\u{06f6}\u{abf6}\u{0b6c}\u{0a6c}\u{1c56}\u{0c6c}",
    "\u{09ed}\u{0aed}\u{096d}\u{0ced}\u{06f7}\u{abf7}\u{0b6d}\u{0a6d}\u{1c57}\u{0c6d}",
    "\u{09ee}\u{0aee}\u{096e}\u{0cee}\u{06f8}\u{abf8}\u{0b6e}\u{0a6e}\u{1c58}\u{0c6e}",
    "\u{09ef}\u{0aef}\u{096f}\u{0cef}\u{06f9}\u{abf9}\u{0b6f}\u{0a6f}\u{1c59}\u{0c6f}",
];

/// Indic digits (Devanagari, Bengali, Gujarati, ... as the reference lists them) to ASCII.
pub(super) fn ascii_digits(text: &str) -> String {
    text.chars()
        .map(|c| match INDIC_DIGITS.iter().position(|digits| digits.contains(c)) {
            Some(value) => char::from(b'0' + value as u8),
            None => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_whitespace_includes_information_separators() {
        assert_eq!(py_strip("\u{1c} a \u{a0}"), "a");
        assert_eq!(py_split_whitespace(" a\u{1f}b  c "), vec!["a", "b", "c"]);
    }

    #[test]
    fn punctuation_rules() {
        assert_eq!(normalize_punctuation("( a ) , “b” – c ?"), "(a), \"b\" - c?");
        assert_eq!(normalize_punctuation("1 2 3 %"), "1.2 3%");
        assert_eq!(normalize_punctuation("x : y ; z"), "x:y;z");
    }

    #[test]
    fn indic_digits_become_ascii() {
        assert_eq!(ascii_digits("२०२४ ৩ ౦"), "2024 3 ౦");
    }
}
