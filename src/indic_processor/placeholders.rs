//! The IndicProcessor's placeholders: e-mail addresses, URLs, numbers such as `12,000` or `45.5%`, and
//! `@`/`#` handles are replaced by `<ID1>`, `<ID2>`, ... before translation, so that the model copies a
//! short tag instead of translating them, and put back into the translation afterwards, also where the
//! model wrote the tag differently (`< ID1 >`, `[ID1]`, `<id1>`, or Hindi spellings of "ID").
//!
//! One difference from the reference (`IndicProcessor._wrap_with_placeholders`), on purpose: it numbers
//! the matches of one pattern in the iteration order of a Python `set`, which changes with
//! `PYTHONHASHSEED` from run to run; anuvad numbers them in order of first occurrence.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

/// The placeholders of one sentence: every spelling of every tag, with the text it stands for, in
/// the order the reference restores them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placeholders {
    entries: Vec<(String, String)>,
    index: HashMap<String, usize>,
}

impl Placeholders {
    /// Adds `spelling` -> `text`; a spelling seen before keeps its place and takes the new text (as a
    /// Python `dict` does).
    fn insert(&mut self, spelling: String, text: &str) {
        match self.index.get(&spelling) {
            Some(&at) => self.entries[at].1 = text.to_string(),
            None => {
                self.index.insert(spelling.clone(), self.entries.len());
                self.entries.push((spelling, text.to_string()));
            }
        }
    }

    /// True when the sentence had nothing to protect.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `translation` with every spelling of every tag replaced by its text, in order.
    pub(super) fn restore(&self, translation: &str) -> String {
        let mut text = translation.to_string();
        for (spelling, original) in &self.entries {
            if text.contains(spelling.as_str()) {
                text = text.replace(spelling.as_str(), original);
            }
        }
        text
    }
}

/// Ways the model has been seen to write "ID" in the scripts of IndicTrans2's languages; the
/// reference's list as it is (two of its entries run together for want of a comma).
const ID_SPELLINGS: [&str; 21] = [
    "آی ڈی ",
    "ꯑꯥꯏꯗꯤ",
    "आईडी",
    "आई . डी . ",
    "आई . डी .",
    "आई. डी. ",
    "आई. डी.",
    "आय. डी. ",
    "आय. डी.",
    "आय . डी . ",
    "आय . डी .आइ . डी . ",
    "आइ . डी .",
    "आइ. डी. ",
    "आइ. डी.",
    "ऐटि",
    "آئی ڈی ",
    "ᱟᱭᱰᱤ ᱾",
    "आयडी",
    "ऐडि",
    "आइडि",
    "ᱟᱭᱰᱤ",
];

/// Every spelling of tag `n` the reference restores, in its order.
fn spellings(n: usize) -> Vec<String> {
    let mut all = Vec::with_capacity(16 + 11 * ID_SPELLINGS.len());
    for id in ["ID", "id"] {
        all.extend([
            format!("<{id}{n}>"),
            format!("< {id}{n} >"),
            format!("[{id}{n}]"),
            format!("[ {id}{n} ]"),
            format!("[{id} {n}]"),
            format!("<{id}{n}]"),
            format!("< {id}{n}]"),
            format!("<{id}{n} ]"),
        ]);
    }
    for c in ID_SPELLINGS {
        all.extend([
            format!("<{c}{n}>"),
            format!("< {c}{n} >"),
            format!("< {c} {n} >"),
            format!("<{c} {n}]"),
            format!("< {c} {n} ]"),
            format!("[{c}{n}]"),
            format!("[{c} {n}]"),
            format!("[ {c}{n} ]"),
            format!("[ {c} {n} ]"),
            format!("{c} {n}"),
            format!("{c}{n}"),
        ]);
    }
    all
}

fn pattern(source: &str) -> Regex {
    Regex::new(source).unwrap_or_else(|e| unreachable!("constant pattern {source}: {e}"))
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| pattern(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,}"));

/// The reference's URL pattern. Its `(?:[...]+)+` is written `[...]+`: the same strings in the same
/// order of preference for a backtracking matcher, without the nested repetition's exponential
/// backtracking.
static URL: LazyLock<fancy_regex::Regex> = LazyLock::new(|| {
    let source = r"\b(?<![\w/.])(?:(?:https?|ftp)://)?(?:(?:[\w-]+\.)+(?!\.))[\w/\-?#&=%.]+(?!\.\w+)\b";
    fancy_regex::Regex::new(source).unwrap_or_else(|e| unreachable!("constant pattern: {e}"))
});

static NUMERAL: LazyLock<Regex> = LazyLock::new(|| {
    pattern(concat!(
        r"~?\d+\.?\d*\s?%?\s?-?\s?~?\d+\.?\d*\s?%|~?\d+%|",
        r"\d+[-/.,:']\d+[-/.,:'+]\d+(?:\.\d+)?|\d+[-/.:'+]\d+(?:\.\d+)?"
    ))
});

static HANDLE: LazyLock<Regex> = LazyLock::new(|| pattern(r"[A-Za-z0-9]*[#|@]\w+"));

static WHITESPACE_RUN: LazyLock<Regex> = LazyLock::new(|| pattern(r"\s+"));

/// The distinct matches of `find_all`'s results, in order of first occurrence.
fn distinct(matches: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = Vec::new();
    for found in matches {
        if !seen.contains(&found) {
            seen.push(found);
        }
    }
    seen
}

/// The length of `text` in code points, as Python's `len`.
fn py_len(text: &str) -> usize {
    text.chars().count()
}

/// `_wrap_with_placeholders`: `text` with e-mails, URLs, numbers and handles replaced by tags, and the
/// tags' spellings.
pub(super) fn wrap(text: &str) -> (String, Placeholders) {
    let mut text = text.to_string();
    let mut placeholders = Placeholders::default();
    let mut serial = 1;
    for kind in 0..4 {
        let matches = match kind {
            0 => distinct(EMAIL.find_iter(&text).map(|m| m.as_str().to_string())),
            // A pathological input can exhaust fancy-regex's backtracking limit; what matched until
            // then is kept.
            1 => distinct(URL.find_iter(&text).map_while(|m| m.ok()).map(|m| m.as_str().to_string())),
            2 => distinct(NUMERAL.find_iter(&text).map(|m| m.as_str().to_string())),
            _ => distinct(HANDLE.find_iter(&text).map(|m| m.as_str().to_string())),
        };
        for found in matches {
            let too_short = match kind {
                1 => py_len(&found.replace('.', "")) < 4,
                2 => py_len(&found.replace([' ', '.', ':'], "")) < 4,
                _ => false,
            };
            if too_short {
                continue;
            }
            for spelling in spellings(serial) {
                placeholders.insert(spelling, &found);
            }
            text = text.replace(found.as_str(), &format!("<ID{serial}>"));
            serial += 1;
        }
    }
    let text = WHITESPACE_RUN.replace_all(&text, " ").replace(">/", ">").replace("]/", "]");
    (text, placeholders)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_are_numbered_in_order_of_first_occurrence() {
        let (text, placeholders) = wrap("देखें https://a.example.com/x और 12,000,000 व 45.5% तथा b@c.org");
        assert_eq!(text, "देखें <ID2> और <ID3> व <ID4> तथा <ID1>");
        assert_eq!(
            placeholders.restore("< ID2 > [id3] <ID4] आईडी 1"),
            "https://a.example.com/x 12,000,000 45.5% b@c.org"
        );
        let (text, _) = wrap("1,000,000 और 2,000,000 और 1,000,000");
        assert_eq!(text, "<ID1> और <ID2> और <ID1>");
    }

    #[test]
    fn short_numbers_and_times_are_left_alone() {
        let (text, placeholders) = wrap("सुबह 9:30 बजे 45% पर");
        assert_eq!(text, "सुबह 9:30 बजे 45% पर");
        assert!(placeholders.is_empty());
    }
}
