//! Property tests of the sentence segmenter: on any input it never panics and keeps the span invariant
//! (spans in order, non-overlapping, on extended grapheme cluster boundaries, trimmed, non-empty; only
//! whitespace outside them; no sentence but the text's first begins with a combining mark or vowel sign),
//! and no sentence but the text's first begins with a postposition or enclitic.
//!
//! The case counts are modest so that the suite runs in seconds in a debug build; raise them with
//! `PROPTEST_CASES=10000 cargo test --test segment_props`.

use anuvad::segment;
use anuvad::segment::metric::invariant_violation;
use proptest::prelude::*;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
use unicode_segmentation::UnicodeSegmentation;

/// `PROPTEST_CASES` if set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Postpositions and enclitics: no sentence begins with one (the segmenter's contract, restated here).
const POSTPOSITIONS: &[&str] = &["का", "की", "के", "को", "ने", "से", "में", "मे", "तक", "द्वारा", "ही", "भी"];

/// The first word of `text` (to the first whitespace, terminal, closer or clause punctuation) and
/// whether a period follows it (`के.` is an initial, not the postposition).
fn first_word(text: &str) -> (&str, bool) {
    let end =
        text.find(|c: char| c.is_whitespace() || "।॥?!.…|”’\"')]},;:".contains(c)).unwrap_or(text.len());
    (&text[..end], text[end..].starts_with('.'))
}

/// May a sentence start at the beginning of `text` (after its whitespace) when a blank line comes before:
/// on a grapheme cluster boundary, and not with a combining mark or a postposition?
fn may_start_a_sentence(text: &str) -> bool {
    let content = text.trim_start();
    let (word, initial) = first_word(content);
    let mark =
        content.chars().next().is_some_and(|c| c.general_category_group() == GeneralCategoryGroup::Mark);
    let preceded = format!("\n\n{text}");
    let start = preceded.len() - content.len();
    let boundary = preceded.grapheme_indices(true).any(|(i, _)| i == start);
    boundary && !mark && (initial || !POSTPOSITIONS.contains(&word))
}

/// May a sentence end at the end of `text` (before its whitespace): is that a grapheme cluster boundary
/// when whitespace follows?
fn may_end_a_sentence(text: &str) -> bool {
    let content = text.trim_end();
    let followed = format!("{content} ");
    followed.grapheme_indices(true).any(|(i, _)| i == content.len())
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let paragraphs = segment(text);
    if let Some(violation) = invariant_violation(text, &paragraphs) {
        return Err(TestCaseError::fail(violation));
    }
    let first_start = text.len() - text.trim_start().len();
    for sentence in paragraphs.iter().flat_map(|p| &p.sentences) {
        let (word, initial) = first_word(sentence.text(text));
        if sentence.span.start != first_start && !initial && POSTPOSITIONS.contains(&word) {
            return Err(TestCaseError::fail(format!(
                "sentence {:?} begins with a postposition",
                sentence.span
            )));
        }
    }
    Ok(())
}

/// Pieces of Hindi news text and of everything that can go wrong in it.
const PIECES: &[&str] = &[
    // Devanagari letters, vowel signs, virama, nasal signs, nukta, digits, abbreviation sign.
    "क",
    "ख",
    "ग",
    "र",
    "स",
    "ह",
    "अ",
    "आ",
    "ए",
    "ी",
    "ि",
    "ा",
    "े",
    "ै",
    "ो",
    "्",
    "ं",
    "ँ",
    "़",
    "०",
    "१",
    "९",
    "॰",
    // Words the rules look at.
    "है",
    "हैं",
    "गया",
    "कहा",
    "पूछा",
    "उसने",
    "डॉ",
    "रु",
    "कि.मी",
    "ए",
    "के",
    "आई",
    "पी",
    "जी",
    "मंत्री",
    "की",
    "भी",
    "में",
    "किमी",
    "ली",
    "खं",
    "हालांकि,",
    "तभी",
    "से,",
    "और",
    "U.S",
    "a.m",
    "Dr",
    "etc",
    "The",
    "he",
    "said",
    "www.x.in",
    "a@b.in",
    "https://x.in/?q=1",
    "1",
    "12",
    "iv",
    // Terminals, quotes, brackets, separators.
    "।",
    "॥",
    "?",
    "!",
    ".",
    "...",
    "…",
    "|",
    "||",
    "“",
    "”",
    "‘",
    "’",
    "\"",
    "'",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    ";",
    "-",
    "—",
    "?!",
    "।”",
    ".”",
    "?”",
    ")।",
    // Whitespace and line breaks.
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\u{2028}",
    "\u{2029}",
    "\u{85}",
    "\u{0B}",
    "\u{0C}",
    "\u{A0}",
    "\u{3000}",
    // Joiners, combining marks, controls, odd code points.
    "\u{200D}",
    "\u{200C}",
    "\u{200B}",
    "\u{FEFF}",
    "\u{0301}",
    "\u{0951}",
    "\u{20DD}",
    "\u{0600}",
    "\u{0E33}",
    "\u{1F3FB}",
    "🇮",
    "🇳",
    "\0",
    "\u{7}",
    "\u{1B}",
    "\u{7F}",
    "\u{FFFD}",
    "\u{10FFFF}",
    "😀",
    "👩‍👩‍👧",
];

fn hindi_news_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..120).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_unicode_keeps_the_invariant(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn hindi_news_alphabet_keeps_the_invariant(text in hindi_news_text()) {
        check(&text)?;
    }

    #[test]
    fn segmenting_is_deterministic_and_local_to_paragraphs(a in hindi_news_text(), b in hindi_news_text()) {
        // Two texts separated by a blank line: the sentences of each, shifted, and nothing else (unless
        // the second begins with a mark or postposition, or the first ends with a prepended concatenation
        // mark such as U+0600, which join the two).
        // A letter first, so that the case is rarely rejected.
        let b = format!("ख{b}");
        prop_assume!(may_start_a_sentence(&b) && may_end_a_sentence(&a));
        let joined = format!("{a}\n\n{b}");
        check(&joined)?;
        let sentences = |text: &str| -> Vec<String> {
            segment(text).iter().flat_map(|p| &p.sentences).map(|s| s.text(text).to_string()).collect()
        };
        let mut expected = sentences(&a);
        expected.extend(sentences(&b));
        prop_assert_eq!(sentences(&joined), expected);
    }
}

/// Words broken by a line break of any kind, followed by a vowel sign, mark or letter (issue #29).
fn words_broken_by_line_breaks() -> impl Strategy<Value = String> {
    const BREAKS: &[&str] =
        &["\n", "\r\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}", "\n\n", " \u{2028} "];
    const AFTER: &[&str] = &["ी", "ि", "ं", "ँ", "्", "़", "\u{0301}", "ई", "र", "।", "।\u{901}", "की", "भी "];
    const WORDS: &[&str] = &["राज्य", "सरकार", "ने", "न", "है।", "हुई।", "नीति", "बनाई", "क्", " ", ". "];
    let piece = (prop::sample::select(WORDS), prop::sample::select(BREAKS), prop::sample::select(AFTER));
    prop::collection::vec(piece, 1..30)
        .prop_map(|pieces| pieces.into_iter().map(|(w, b, a)| format!("{w}{b}{a}")).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    #[test]
    fn line_breaks_inside_words_keep_the_invariant(text in words_broken_by_line_breaks()) {
        check(&text)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(8), ..ProptestConfig::default() })]

    #[test]
    fn very_long_lines_keep_the_invariant(piece in hindi_news_text(), repeat in 500usize..2_000) {
        let line = piece.replace(['\n', '\r', '\u{2028}', '\u{85}', '\u{0B}'], " ").repeat(repeat);
        check(&line)?;
    }
}

#[test]
fn one_megabyte_inputs_keep_the_invariant() {
    let article =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/models/samples/article-hi.txt"))
            .expect("sample article");
    let one_line = article.replace('\n', " ");
    let megabyte = 1 << 20;
    let inputs = [
        // Real text, many paragraphs; and the same as one 1 MB line.
        article.repeat(megabyte / article.len() + 1),
        one_line.repeat(megabyte / one_line.len() + 1),
        // Degenerate lines: no whitespace at all; only terminals; only quotes; only whitespace.
        "क".repeat(megabyte / 3),
        ".".repeat(megabyte),
        "।”".repeat(megabyte / 6),
        "“ ".repeat(megabyte / 4),
        " \n".repeat(megabyte / 2),
        "a. ".repeat(megabyte / 3),
        "है हालांकि, ".repeat(megabyte / 30),
    ];
    for text in &inputs {
        let paragraphs = segment(text);
        if let Some(violation) = invariant_violation(text, &paragraphs) {
            panic!("{violation} (input of {} bytes starting {:?})", text.len(), &text[..text.len().min(60)]);
        }
    }
}
