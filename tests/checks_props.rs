//! Property tests of the translation checks: on any pair of strings they never panic, every finding's
//! span is a valid span of the source (in bounds, on character boundaries) and every translation span
//! one of the translation; a translation identical to a Latin-only source is never flagged as
//! untranslated; restoring verbatim spans never makes a translation fail more checks.
//!
//! Raise the case counts with `PROPTEST_CASES=10000 cargo test --test checks_props`.

use anuvad::checks::{check, restore_verbatim, FindingKind};
use proptest::prelude::*;

/// `PROPTEST_CASES` if set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Pieces of Hindi and English news text, and of what the checks read: numbers in both scripts and
/// both groupings, scale words, times, codes, links, repetitions, odd Unicode.
const PIECES: &[&str] = &[
    "क",
    "ा",
    "्",
    "ं",
    "ँ",
    "़",
    "०",
    "१",
    "५",
    "९",
    "।",
    "दो",
    "तीन",
    "सौ",
    "हज़ार",
    "लाख",
    "करोड़",
    "अरब",
    "साढ़े",
    "सवा",
    "डेढ़",
    "दोनों",
    "वां",
    "बजे",
    "एक",
    "0",
    "1",
    "9",
    "12",
    ",",
    ".",
    ":",
    "-",
    "–",
    "/",
    "%",
    "'",
    "’",
    " ",
    "  ",
    "\n",
    "\t",
    "two",
    "Three",
    "hundred",
    "million",
    "bn",
    "m",
    "a",
    "and",
    "the",
    "the the",
    "1,50,000",
    "150,000",
    "9:30",
    "1995-96",
    "'90s",
    "60th",
    "A1GP",
    "JAS 39C",
    "U.S.",
    "covid-19",
    "https://",
    "www.",
    "x.com/a",
    "@",
    "#",
    "_",
    "name@example.org",
    "é",
    "İ",
    "ß",
    "\u{200d}",
    "\u{feff}",
    "\u{0301}",
    "😀",
    "𝟙",
    "²",
    "Ⅻ",
    "٣",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(proptest::sample::select(PIECES), 0..40).prop_map(|p| p.concat()),
        any::<String>(),
        "\\PC{0,60}",
    ]
}

fn valid(text: &str, span: &std::ops::Range<usize>) -> bool {
    span.start <= span.end
        && span.end <= text.len()
        && text.is_char_boundary(span.start)
        && text.is_char_boundary(span.end)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(2000)))]

    #[test]
    fn findings_point_into_their_texts(source in text(), translation in text()) {
        for finding in check(&source, &translation) {
            prop_assert!(valid(&source, &finding.span), "{finding:?} in {source:?}");
            if let Some(span) = &finding.translation_span {
                prop_assert!(valid(&translation, span), "{finding:?} in {translation:?}");
            }
            prop_assert!(!finding.message.is_empty());
        }
    }

    #[test]
    fn a_source_is_never_flagged_against_itself_unless_it_is_hindi(source in text()) {
        let has_devanagari = source.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c) && c.is_alphabetic());
        for finding in check(&source, &source) {
            prop_assert!(
                has_devanagari || !matches!(finding.kind, FindingKind::Untranslated | FindingKind::Empty | FindingKind::Verbatim),
                "{finding:?} for {source:?}"
            );
        }
    }

    #[test]
    fn restoring_verbatim_spans_never_adds_findings(source in text(), translation in text()) {
        if let Some((restored, spans)) = restore_verbatim(&source, &translation) {
            prop_assert!(!spans.is_empty());
            let before = check(&source, &translation);
            let after = check(&source, &restored);
            let verbatim = |findings: &[anuvad::checks::Finding]| {
                findings.iter().filter(|f| f.kind == FindingKind::Verbatim).count()
            };
            prop_assert!(after.len() <= before.len(), "{translation:?} -> {restored:?}");
            prop_assert!(verbatim(&after) <= verbatim(&before), "{translation:?} -> {restored:?}");
        }
    }
}
