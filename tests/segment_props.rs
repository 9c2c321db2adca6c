//! Property tests of the sentence segmenter: on any input it never panics and keeps the span invariant
//! (spans in order, non-overlapping, on char boundaries, trimmed, non-empty; only whitespace outside them).
//!
//! The case counts are modest so that the suite runs in seconds in a debug build; raise them with
//! `PROPTEST_CASES=10000 cargo test --test segment_props`.

use anuvad::segment;
use anuvad::segment::metric::invariant_violation;
use proptest::prelude::*;

/// `PROPTEST_CASES` if set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let paragraphs = segment(text);
    match invariant_violation(text, &paragraphs) {
        None => Ok(()),
        Some(violation) => Err(TestCaseError::fail(violation)),
    }
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
    "\u{85}",
    "\u{0B}",
    "\u{A0}",
    "\u{3000}",
    // Joiners, combining marks, controls, odd code points.
    "\u{200D}",
    "\u{200C}",
    "\u{200B}",
    "\u{FEFF}",
    "\u{0301}",
    "\u{0951}",
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
        // Two texts separated by a blank line: the sentences of each, shifted, and nothing else.
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
