//! Splitting an article into paragraphs and sentences, with byte spans into the input.
//!
//! [`segment`] is rule-based and tuned for Hindi news text (with English words, names and quotations mixed
//! in); plain English text segments well too. The conventions:
//!
//! 1. A sentence ends at । ॥ ? ! . or `|` used as a danda, or at a sentence-final ellipsis — not at the
//!    period of an abbreviation (डॉ., रु., कि.मी., किमी., डी. फिल., U.S., a.m., Dr.), an initial (also
//!    पी., जी., आई., ओ. where the words around show a name: `वित्त मंत्री पी. चिदंबरम`), a decimal, a URL or
//!    e-mail, or a list number, and not where a reporting clause continues the sentence
//!    (`“क्या आप तैयार हैं?” उसने पूछा।` is one sentence).
//! 2. Closing quotes and brackets after the terminal mark stay with their sentence: `“...।”`.
//! 3. A quotation holding several sentences is split inside; the first piece keeps the opening quote, the
//!    last the closing one.
//! 4. A line ending with a comma or colon continues on the next line (one paragraph); any other line break,
//!    and every blank line, ends the sentence and the paragraph (headlines, bylines, list items).
//! 5. A dateline at the start of a line (`सियोल: ...`) belongs to the first sentence.
//!
//! 6. No sentence begins with a postposition or enclitic (की, के, से, में, भी ...), nor inside a grapheme
//!    cluster or with a combining mark or vowel sign: a line break or terminal mark there is not a boundary
//!    (`न\u{2028}ी` stays one word, its line separator inside the sentence).
//!
//! Whatever the input, the sentences' spans are non-empty, in order, non-overlapping, on extended grapheme
//! cluster boundaries (so on `char` boundaries), without leading or trailing whitespace, and everything
//! outside them is whitespace; only a text that itself begins with a combining mark has a sentence that
//! begins with one. The running time is linear in the input's length.
//!
//! ```
//! let text = "सियोल: डॉ. किम ने कहा, “हम तैयार हैं। बातचीत होगी।”\nWith inputs from IANS";
//! let paragraphs = anuvad::segment(text);
//! let sentences: Vec<&str> =
//!     paragraphs.iter().flat_map(|p| &p.sentences).map(|s| s.text(text)).collect();
//! assert_eq!(sentences, ["सियोल: डॉ. किम ने कहा, “हम तैयार हैं।", "बातचीत होगी।”", "With inputs from IANS"]);
//! ```

use std::ops::Range;

use serde::Serialize;

mod clauses;
mod cluster;
mod lexicon;
#[doc(hidden)]
pub mod metric;
mod rules;

pub(crate) use clauses::best_split;

/// A paragraph: one line of the input, or several lines when a line ending with a comma or colon
/// continues on the next. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paragraph {
    /// Byte range in the input, from the start of the first sentence to the end of the last.
    pub span: Range<usize>,
    /// The paragraph's sentences, in order.
    pub sentences: Vec<Sentence>,
}

/// One sentence: a non-empty byte range of the input with no leading or trailing whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sentence {
    /// Byte range in the input.
    pub span: Range<usize>,
}

impl Sentence {
    /// The sentence's text within `input` (the text that was segmented). Returns `""` if the span does not
    /// fit `input` (a sentence of another text).
    pub fn text<'a>(&self, input: &'a str) -> &'a str {
        input.get(self.span.clone()).unwrap_or("")
    }
}

/// Splits `text` into paragraphs and sentences.
///
/// See the [module documentation](self) for the conventions. Never panics; linear time.
pub fn segment(text: &str) -> Vec<Paragraph> {
    let mut paragraphs = Vec::new();
    let mut tokens = Vec::new();
    let mut cuts = Vec::new();
    for span in paragraph_spans(text) {
        let sentences = split_paragraph(text, span, &mut tokens, &mut cuts);
        if let (Some(first), Some(last)) = (sentences.first(), sentences.last()) {
            let span = first.span.start..last.span.end;
            paragraphs.push(Paragraph { span, sentences });
        }
    }
    paragraphs
}

/// Line terminators: LF, CR (CRLF counts once), VT, FF, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR (taken
/// only where the text may be cut: see [`lines`]).
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Does a line (trimmed, non-empty) continue on the next line: does it end with a comma or colon, possibly
/// inside closing quotes (`“हम तैयार हैं,”`)?
fn continues_on_next_line(line: &str) -> bool {
    line.trim_end_matches(['”', '’', '"', '\'', '»']).ends_with([',', ':', '，', '：'])
}

/// Bytes that can start a whitespace character: ASCII whitespace, and the lead bytes C2, E1, E2, E3 of the
/// other White_Space characters (a table, for a tight scanning loop).
const MAY_START_WHITESPACE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, b'\t'..=b'\r' | b' ' | 0xC2 | 0xE1 | 0xE2 | 0xE3);
        b += 1;
    }
    table
};

/// Can a whitespace character start with byte `b`?
#[inline]
fn may_start_whitespace(b: u8) -> bool {
    MAY_START_WHITESPACE[usize::from(b)]
}

/// The length of the whitespace character starting at byte `i` of `text`, if one does.
#[inline]
fn whitespace_at(text: &str, i: usize) -> Option<usize> {
    match text.as_bytes().get(i)? {
        b'\t'..=b'\r' | b' ' => Some(1),
        0xC2 | 0xE1 | 0xE2 | 0xE3 => {
            let c = text.get(i..)?.chars().next()?;
            c.is_whitespace().then(|| c.len_utf8())
        }
        _ => None,
    }
}

/// The next position at or after `from` where a whitespace character starts (with its length), if any.
fn next_whitespace(text: &str, mut from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    loop {
        let offset = bytes.get(from..)?.iter().position(|&b| may_start_whitespace(b))?;
        let at = from + offset;
        match whitespace_at(text, at) {
            Some(len) => return Some((at, len)),
            None => from = at + 1,
        }
    }
}

/// The end of the whitespace run that starts at byte `at` of `text`.
fn whitespace_run_end(text: &str, mut at: usize) -> usize {
    while let Some(len) = whitespace_at(text, at) {
        at += len;
    }
    at
}

/// The lines of `text` (byte ranges without their terminators). A line break is not taken where the text
/// may not be cut ([`rules::may_cut`]): before a combining mark or vowel sign (`न\u{2028}ी`, a page
/// break inside a word) or a postposition; the break then stays inside its line, as whitespace.
fn lines(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    // The end of the last non-whitespace text before `i` (0: none yet).
    let mut content_end = 0;
    // The whitespace run being scanned: its end, and whether its line breaks are taken.
    let mut run = (0, true);
    std::iter::from_fn(move || {
        while let Some((at, len)) = next_whitespace(text, i) {
            if at > i {
                content_end = at;
            }
            i = at + len;
            let is_break = text.get(at..).and_then(|rest| rest.chars().next()).is_some_and(is_line_break);
            if !is_break {
                continue;
            }
            if at >= run.0 {
                // The first line break of this run: decide for the whole run, once (linear time).
                let end = whitespace_run_end(text, at);
                run = (end, content_end == 0 || rules::may_cut(text, content_end, end));
            }
            if !run.1 {
                continue;
            }
            if bytes.get(at) == Some(&b'\r') && bytes.get(i) == Some(&b'\n') {
                i += 1;
            }
            let line = start..at;
            start = i;
            return Some(line);
        }
        i = text.len();
        if start < text.len() {
            let line = start..text.len();
            start = text.len();
            return Some(line);
        }
        None
    })
}

/// The paragraphs' byte ranges, trimmed: a non-blank line, joined with the following line while it ends
/// with a comma or colon and the following line is not blank.
fn paragraph_spans(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut lines = lines(text);
    std::iter::from_fn(move || {
        let mut open: Option<Range<usize>> = None;
        for line in lines.by_ref() {
            let Some(content) = text.get(line.clone()) else { continue };
            let trimmed = content.trim();
            if trimmed.is_empty() {
                if open.is_some() {
                    return open;
                }
                continue;
            }
            let start = line.start + (content.len() - content.trim_start().len());
            let end = start + trimmed.len();
            let span = match open.take() {
                Some(open) => open.start..end,
                None => start..end,
            };
            if !continues_on_next_line(trimmed) {
                return Some(span);
            }
            open = Some(span);
        }
        open
    })
}

/// The sentences of one paragraph (`span` is trimmed and non-empty).
fn split_paragraph(
    text: &str,
    span: Range<usize>,
    tokens: &mut Vec<Range<usize>>,
    cuts: &mut Vec<usize>,
) -> Vec<Sentence> {
    let Some(paragraph) = text.get(span.clone()) else { return Vec::new() };
    tokens.clear();
    cuts.clear();
    let mut i = 0;
    while i < paragraph.len() {
        match next_whitespace(paragraph, i) {
            Some((at, len)) => {
                if at > i {
                    tokens.push(span.start + i..span.start + at);
                }
                i = at + len;
            }
            None => {
                tokens.push(span.start + i..span.end);
                break;
            }
        }
    }

    let rules = rules::Rules { text, tokens };
    let mut first = 0;
    let mut list = false;
    // While a bracketed group after a sentence end is skipped: the group's last token.
    let mut group_end: Option<usize> = None;
    for (k, token) in tokens.iter().enumerate() {
        if k + 1 == tokens.len() {
            if group_end.is_none() {
                if let Some(token_text) = text.get(token.clone()) {
                    rules::internal_cuts(token_text, token.start, cuts);
                }
            }
            break;
        }
        let ends = match group_end {
            Some(end) if k < end => continue,
            Some(_) => {
                group_end = None;
                true
            }
            None => {
                let Some(token_text) = text.get(token.clone()) else { continue };
                if rules::internal_cuts(token_text, token.start, cuts) {
                    first = usize::MAX;
                    list = false;
                }
                rules.ends_sentence(k, first, &mut list)
            }
        };
        if ends {
            if let Some(end) = rules.bracket_group_after(k).filter(|_| group_end.is_none()) {
                group_end = Some(end);
                continue;
            }
            // No sentence starts inside a grapheme cluster, with a mark, or with a postposition.
            let next_start = tokens.get(k + 1).map_or(token.end, |next| next.start);
            if rules::may_cut(text, token.end, next_start) {
                cuts.push(token.end);
                first = k + 1;
                list = false;
            }
        }
    }
    assemble(text, span, cuts)
}

/// Builds the sentences between the cut positions (increasing byte offsets inside `span`), trimmed; a
/// piece without any letter (a stray `।`, a lone quote) joins the sentence before it, or after it when first.
fn assemble(text: &str, span: Range<usize>, cuts: &[usize]) -> Vec<Sentence> {
    let mut sentences: Vec<Sentence> = Vec::new();
    let mut pending_start: Option<usize> = None;
    let ends = cuts.iter().copied().chain(std::iter::once(span.end));
    let mut start = span.start;
    for end in ends {
        if end <= start || end > span.end {
            continue;
        }
        let Some(piece) = text.get(start..end) else { continue };
        let trimmed = piece.trim();
        let piece_start = start + (piece.len() - piece.trim_start().len());
        let piece_end = piece_start + trimmed.len();
        start = end;
        if trimmed.is_empty() {
            continue;
        }
        if !trimmed.chars().any(char::is_alphabetic) {
            match sentences.last_mut() {
                Some(previous) => previous.span.end = piece_end,
                None => pending_start = pending_start.or(Some(piece_start)),
            }
            continue;
        }
        let sentence_start = pending_start.take().unwrap_or(piece_start);
        sentences.push(Sentence { span: sentence_start..piece_end });
    }
    if let Some(start) = pending_start {
        sentences.push(Sentence { span: start..span.end });
    }
    sentences
}

#[cfg(test)]
mod tests;
