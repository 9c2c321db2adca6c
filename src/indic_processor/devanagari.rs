//! indic_nlp_library's `DevanagariNormalizer` (with the IndicProcessor's defaults: no nukta removal,
//! nasals, chandras or vowel endings touched) and `trivial_tokenize`, as the original library
//! (anoopkunchukuttan/indic_nlp_library, what IndicTrans2 was trained with) defines them. The fork the
//! IndicTransToolkit pulls in (`indic-nlp-library-itt` 0.1.1) differs in three places, and anuvad
//! follows the original in each (see the README's IndicTrans2 section):
//!
//! - the visarga rule: a colon after a Devanagari letter becomes a visarga (`अत:` → `अतः`); the fork's
//!   doubled backslashes make it fire after ASCII digits and capitals instead and write a literal `\1`;
//! - the nukta letters (`ड़` U+095C, ...) become the letter and U+093C; the fork writes the six
//!   characters `\u093C` instead of the nukta;
//! - number sequences (`12 , 000`) are joined up by the tokenizer except at the very start of the text.

use std::sync::LazyLock;

use regex::Regex;

/// The nukta sign.
const NUKTA: char = '\u{093c}';

/// The letters with a nukta that Unicode also encodes precomposed, and their base letters.
const NUKTA_LETTERS: [(char, char); 11] = [
    ('\u{0929}', '\u{0928}'),
    ('\u{0931}', '\u{0930}'),
    ('\u{0934}', '\u{0933}'),
    ('\u{0958}', '\u{0915}'),
    ('\u{0959}', '\u{0916}'),
    ('\u{095a}', '\u{0917}'),
    ('\u{095b}', '\u{091c}'),
    ('\u{095c}', '\u{0921}'),
    ('\u{095d}', '\u{0922}'),
    ('\u{095e}', '\u{092b}'),
    ('\u{095f}', '\u{092f}'),
];

/// `DevanagariNormalizer(lang).normalize(text)` of the original library, defaults as the IndicProcessor
/// creates it.
pub(super) fn normalize(text: &str) -> String {
    // BaseNormalizer: invisible characters out, zero-width and no-break spaces to spaces.
    let mut text = text
        .replace(['\u{feff}', '\u{fffe}', '\u{2060}', '\u{ad}'], "")
        .replace(['\u{200b}', '\u{a0}'], " ")
        .replace(['\u{200c}', '\u{200d}'], "");
    // NormalizerI._normalize_punctuations, in its order.
    for (from, to) in [
        ("„", "\""),
        ("“", "\""),
        ("”", "\""),
        ("–", "-"),
        ("—", " - "),
        ("´", "'"),
        ("‘", "'"),
        ("‚", "'"),
        ("’", "'"),
        ("''", "\""),
        ("…", "..."),
    ] {
        text = text.replace(from, to);
    }
    // Marathi chandra a, precomposed nukta letters decomposed, `|` as a danda.
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match (c, NUKTA_LETTERS.iter().find(|(letter, _)| *letter == c)) {
            (_, Some(&(_, base))) => {
                out.push(base);
                out.push(NUKTA);
            }
            ('\u{0972}', None) => out.push('\u{090f}'),
            ('|', None) => out.push('\u{0964}'),
            (other, None) => out.push(other),
        }
    }
    static VISARGA: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new("([\u{0900}-\u{097f}]):").unwrap_or_else(|e| unreachable!("constant pattern: {e}"))
    });
    VISARGA.replace_all(&out, "${1}\u{0903}").into_owned()
}

/// `string.punctuation` and the Indic punctuation `trivial_tokenize_indic` splits off.
fn is_split_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            c,
            '\u{0964}'
                | '\u{0965}'
                | '\u{aaf1}'
                | '\u{aaf0}'
                | '\u{abeb}'
                | '\u{abec}'
                | '\u{abed}'
                | '\u{abee}'
                | '\u{abef}'
                | '\u{1c7e}'
                | '\u{1c7f}'
        )
}

/// `trivial_tokenize_indic(text)` joined with spaces: punctuation set apart by spaces, runs of spaces
/// collapsed, and number sequences such as `12 , 000` or `3 / 4` joined up again, except one at the
/// very start of the text (the original library's loop skips it).
pub(super) fn trivial_tokenize(text: &str) -> String {
    let mut spaced = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        match c {
            '\t' => spaced.push(' '),
            c if is_split_punctuation(c) => {
                spaced.push(' ');
                spaced.push(c);
                spaced.push(' ');
            }
            c => spaced.push(c),
        }
    }
    let mut collapsed = String::with_capacity(spaced.len());
    for c in spaced.chars() {
        if !(c == ' ' && collapsed.ends_with(' ')) {
            collapsed.push(c);
        }
    }
    let s = collapsed.trim_matches(' ');
    static NUMBER_SEQUENCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"([0-9]+ [,.:/] )+[0-9]+").unwrap_or_else(|e| unreachable!("constant pattern: {e}"))
    });
    let mut out = String::with_capacity(s.len());
    let mut previous = 0;
    for found in NUMBER_SEQUENCE.find_iter(s) {
        if found.start() > previous {
            out.push_str(&s[previous..found.start()]);
            out.push_str(&found.as_str().replace(' ', ""));
            previous = found.end();
        }
    }
    out.push_str(&s[previous..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visarga_only_after_devanagari() {
        assert_eq!(normalize("अत: यह"), "अतः यह");
        assert_eq!(normalize("सुबह 9:30 बजे"), "सुबह 9:30 बजे");
        assert_eq!(normalize("UTC: ठीक 3:2"), "UTC: ठीक 3:2");
    }

    #[test]
    fn nukta_letters_are_decomposed() {
        assert_eq!(normalize("\u{095c}"), "\u{0921}\u{093c}");
        assert_eq!(normalize("a|b"), "a\u{0964}b");
    }

    #[test]
    fn tokenizer_splits_punctuation_and_joins_numbers() {
        assert_eq!(trivial_tokenize("कल, 12,000 रु."), "कल , 12,000 रु .");
        // At the very start the original keeps the sequence apart.
        assert_eq!(trivial_tokenize("12,000 रु"), "12 , 000 रु");
        assert_eq!(trivial_tokenize("<ID1> a\tb"), "< ID1 > a b");
    }
}
