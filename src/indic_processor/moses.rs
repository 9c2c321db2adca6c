//! The English detokenizer the IndicProcessor ends with: sacremoses' `MosesDetokenizer(lang="en")`
//! (a port of Moses' `detokenizer.perl`), for the English rules only.
//!
//! Tokens are separated by whitespace; each is attached to its left or right neighbour by its kind:
//! currency symbols and opening brackets attach to the right, closing punctuation to the left, English
//! contractions (`'s`, `'re`) to the left, and quotes alternate between opening (right) and closing
//! (left), counted per quote character.

use super::moses_tables::{CJK, IS_ALPHA, IS_SC};
use super::text::{py_split_whitespace, py_strip};

fn in_ranges(c: char, ranges: &[(u32, u32)]) -> bool {
    let code = c as u32;
    ranges
        .binary_search_by(|&(start, end)| {
            if end < code {
                std::cmp::Ordering::Less
            } else if start > code {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// XML entities Moses escapes, undone in sacremoses' order (`&amp;` last).
const UNESCAPES: [(&str, &str); 11] = [
    ("&bar;", "|"),
    ("&#124;", "|"),
    ("&lt;", "<"),
    ("&gt;", ">"),
    ("&bra;", "["),
    ("&ket;", "]"),
    ("&quot;", "\""),
    ("&apos;", "'"),
    ("&#91;", "["),
    ("&#93;", "]"),
    ("&amp;", "&"),
];

/// `^[IsSc(\[{¿¡]+$`: a token of currency symbols and opening brackets.
fn is_currency_or_opening(token: &str) -> bool {
    token.chars().all(|c| in_ranges(c, IS_SC) || matches!(c, '(' | '[' | '{' | '¿' | '¡'))
}

/// `^[,.?!:;\\%}\])]+$`: a token of closing punctuation.
fn is_closing_punctuation(token: &str) -> bool {
    token.chars().all(|c| matches!(c, ',' | '.' | '?' | '!' | ':' | ';' | '\\' | '%' | '}' | ']' | ')'))
}

/// `^['][IsAlpha]`: an English contraction such as `'s`.
fn is_contraction(token: &str) -> bool {
    let mut chars = token.chars();
    chars.next() == Some('\'') && chars.next().is_some_and(|c| in_ranges(c, IS_ALPHA))
}

/// `^['"„“`]+$`: a token of quote characters.
fn is_quote(token: &str) -> bool {
    token.chars().all(|c| matches!(c, '\'' | '"' | '„' | '“' | '`'))
}

/// `MosesDetokenizer(lang="en").detokenize(text.split(" "))`.
pub(crate) fn detokenize_english(text: &str) -> String {
    let mut text = format!(" {text} ").replace(" @-@ ", "-");
    for (entity, character) in UNESCAPES {
        text = text.replace(entity, character);
    }
    let tokens = py_split_whitespace(&text);
    // Per quote token: how many times it has been seen (the reference keys the count by the token,
    // with runs of „ and “ counted as `"`).
    let mut quote_counts: Vec<(String, usize)> = Vec::new();
    let mut out = String::new();
    let mut prepend_space = " ";
    for (i, &token) in tokens.iter().enumerate() {
        let Some(first) = token.chars().next() else { continue };
        if in_ranges(first, CJK) {
            let after_cjk = i > 0 && tokens[i - 1].chars().last().is_some_and(|c| in_ranges(c, CJK));
            if !after_cjk {
                out.push_str(prepend_space);
            }
            out.push_str(token);
            prepend_space = " ";
        } else if is_currency_or_opening(token) {
            out.push_str(prepend_space);
            out.push_str(token);
            prepend_space = "";
        } else if is_closing_punctuation(token) || (i > 0 && is_contraction(token)) {
            out.push_str(token);
            prepend_space = " ";
        } else if is_quote(token) {
            let key = if token.chars().all(|c| matches!(c, '„' | '“')) { "\"" } else { token };
            let index = match quote_counts.iter().position(|(k, _)| k == key) {
                Some(index) => index,
                None => {
                    quote_counts.push((key.to_string(), 0));
                    quote_counts.len() - 1
                }
            };
            if quote_counts[index].1.is_multiple_of(2) {
                if token == "'" && i > 0 && tokens[i - 1].ends_with('s') {
                    // A possessive after a plural ("the Joneses' house"): left, not counted.
                    out.push_str(token);
                    prepend_space = " ";
                } else {
                    out.push_str(prepend_space);
                    out.push_str(token);
                    prepend_space = "";
                    quote_counts[index].1 += 1;
                }
            } else {
                out.push_str(token);
                prepend_space = " ";
                quote_counts[index].1 += 1;
            }
        } else {
            out.push_str(prepend_space);
            out.push_str(token);
            prepend_space = " ";
        }
    }
    py_strip(&collapse_spaces(&out)).to_string()
}

/// ` {2,}` → ` `.
fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous_space = false;
    for c in text.chars() {
        if c == ' ' && previous_space {
            continue;
        }
        previous_space = c == ' ';
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::detokenize_english;

    #[test]
    fn english_rules() {
        assert_eq!(detokenize_english("Hello , world !"), "Hello, world!");
        assert_eq!(detokenize_english("It 's $ 5 ( about ) ."), "It's $5 (about).");
        assert_eq!(detokenize_english("He said \" yes \" ."), "He said \"yes\".");
        assert_eq!(detokenize_english("the Jones ' house"), "the Jones' house");
        assert_eq!(detokenize_english("a @-@ b &amp; c"), "a-b & c");
        assert_eq!(detokenize_english("  "), "");
    }
}
