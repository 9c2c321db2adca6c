//! Where a text may be cut. A sentence or line boundary falls on an extended grapheme cluster boundary
//! (Unicode UAX #29), and the text after it does not begin with a combining mark or dependent vowel sign
//! (General_Category Mn, Mc, Me: ि ी ं ँ ् ़ ...), which belongs to the letter before it. Without this, a
//! stray line separator or form feed inside a word (`न\u{2028}ी`) or a candrabindu typed after a danda
//! (`हुई।\u{901}`) would start a sentence with a vowel sign or mark.

use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
use unicode_segmentation::GraphemeCursor;

/// Is `c` a combining mark: nonspacing (ं ँ ् ़), spacing (the vowel signs ा ि ी ...) or enclosing?
pub(super) fn is_mark(c: char) -> bool {
    match c {
        // No marks before the combining diacritics (U+0300).
        '\0'..='\u{2FF}' => false,
        // Devanagari, the text's own script, without the table (every token's last letters are tested):
        // the block's Mn and Mc code points, checked against the table by a test.
        '\u{900}'..='\u{97F}' => matches!(
            c,
            '\u{900}'..='\u{903}' | '\u{93A}'..='\u{93C}' | '\u{93E}'..='\u{94F}' | '\u{951}'..='\u{957}' | '\u{962}'..='\u{963}'
        ),
        _ => c.general_category_group() == GeneralCategoryGroup::Mark,
    }
}

/// Is byte offset `at` an extended grapheme cluster boundary of `text`? (The start and end of the text
/// are; an offset that is not a char boundary is not.)
pub(super) fn is_cluster_boundary(text: &str, at: usize) -> bool {
    if !text.is_char_boundary(at) {
        return false;
    }
    // The whole text is the chunk, so the cursor never asks for more context.
    GraphemeCursor::new(at, text.len(), true).is_boundary(text, 0).unwrap_or(false)
}

/// The first extended grapheme cluster boundary of `text` at or after byte `at`.
pub(super) fn cluster_end(text: &str, at: usize) -> usize {
    if is_cluster_boundary(text, at) {
        return at;
    }
    let mut cursor = GraphemeCursor::new(at.min(text.len()), text.len(), true);
    match cursor.next_boundary(text, 0) {
        Ok(Some(end)) => end,
        _ => text.len(),
    }
}

/// May `text` be cut between a piece that ends at byte `end` and the next that starts at byte `start`
/// (`end <= start`, only whitespace between)? Both must be cluster boundaries, and the next piece must not
/// begin with a mark. Where nothing comes before (`end == 0`) or after (`start` at the end), there is
/// nothing to keep together.
pub(super) fn may_cut(text: &str, end: usize, start: usize) -> bool {
    let Some(first) = text.get(start..).and_then(|rest| rest.chars().next()) else {
        return true;
    };
    end == 0 || (!is_mark(first) && is_cluster_boundary(text, start) && is_cluster_boundary(text, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_general_category_m() {
        for c in
            ['\u{093F}', '\u{0940}', '\u{0902}', '\u{0901}', '\u{094D}', '\u{093C}', '\u{0301}', '\u{20DD}']
        {
            assert!(is_mark(c), "{c:?}");
        }
        for c in ['क', 'अ', '।', ' ', 'a', '\u{200D}', '\u{2028}'] {
            assert!(!is_mark(c), "{c:?}");
        }
    }

    #[test]
    fn the_fast_paths_agree_with_the_table() {
        for c in ('\0'..='\u{97F}').chain('\u{A8E0}'..='\u{A8FF}') {
            assert_eq!(is_mark(c), c.general_category_group() == GeneralCategoryGroup::Mark, "{c:?}");
        }
    }

    #[test]
    fn cluster_boundaries() {
        let text = "हुई।\u{901}यह";
        let danda_end = "हुई।".len();
        assert!(!is_cluster_boundary(text, danda_end));
        assert_eq!(cluster_end(text, danda_end), danda_end + '\u{901}'.len_utf8());
        assert!(is_cluster_boundary(text, 0) && is_cluster_boundary(text, text.len()));
        assert!(!is_cluster_boundary(text, 1));
        // After a line separator there is a cluster boundary, but the vowel sign still may not start a piece.
        let text = "न\u{2028}ी";
        let sign = "न\u{2028}".len();
        assert!(is_cluster_boundary(text, sign));
        assert!(!may_cut(text, "न".len(), sign));
        assert!(may_cut("क ख", 3, 4));
        assert!(!may_cut("क \u{200D}ख", 3, 4));
    }
}
