//! Verbatim spans: URLs, e-mail addresses, @handles, #hashtags and Latin-script tokens of the source
//! (acronyms, names, product codes such as "JAS 39C") must appear in the translation as they are.
//!
//! URLs and e-mail addresses must appear exactly; handles, hashtags and tokens in any letter case
//! (translators write "COVID-19" for "covid-19"), tokens also with an English plural or possessive
//! ending (Il-76 → Il-76s). Unit and title abbreviations (km, kg, am, Dr) are not names: translations
//! spell them out.

use std::ops::Range;

use super::text::{char_at, char_before, excerpt, is_alphanumeric, is_latin_letter};
use super::{Finding, FindingKind};

/// What kind of verbatim span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SpanKind {
    Url,
    Email,
    Handle,
    Hashtag,
    Token,
}

impl SpanKind {
    fn name(self) -> &'static str {
        match self {
            SpanKind::Url => "URL",
            SpanKind::Email => "e-mail address",
            SpanKind::Handle => "handle",
            SpanKind::Hashtag => "hashtag",
            SpanKind::Token => "Latin-script token",
        }
    }
}

/// Abbreviations of units, times, currencies and titles (lower case, dots removed) that translations
/// may spell out.
const NOT_NAMES: &[&str] = &[
    "km", "kms", "kg", "kgs", "cm", "mm", "m", "g", "gm", "mg", "ml", "l", "kmph", "kph", "mph", "h", "hr",
    "hrs", "min", "mins", "sec", "am", "pm", "rs", "inr", "mr", "mrs", "ms", "dr", "jr", "sr", "st", "vs",
    "etc", "no", "nos", "ft", "sq", "lb", "lbs", "oz", "mw", "kw", "gb", "mb",
];

/// A character of a URL (or right next to one, so that it would be part of it).
fn url_char(c: char) -> bool {
    is_alphanumeric(c) || "/-_.%=&?#~+@".contains(c)
}

/// Whether what follows a link ends it: a `/`, a full stop or sentence punctuation may follow, more of
/// a link may not.
fn ends_link(after: &str) -> bool {
    let after = after.strip_prefix('/').unwrap_or(after);
    let after = after.strip_prefix('.').unwrap_or(after);
    !after.chars().next().is_some_and(|c| is_alphanumeric(c) || "/-_%=&#~+@".contains(c))
}

/// A character of an e-mail address's local part.
fn local_char(c: char) -> bool {
    is_alphanumeric(c) || ".-_%+".contains(c)
}

/// Before a handle or hashtag: "##tag" or "x@name" is not one.
fn tag_char(c: char) -> bool {
    is_alphanumeric(c) || "#@_".contains(c)
}

/// Spans read from one source at most (a sentence has far fewer): keeps the work linear in the text.
const MAX_SPANS: usize = 256;

/// The verbatim spans of `source`: byte range and kind, in order.
pub(super) fn spans(source: &str) -> Vec<(Range<usize>, SpanKind)> {
    let mut found: Vec<(Range<usize>, SpanKind)> = Vec::new();
    let taken = |found: &[(Range<usize>, SpanKind)], at: usize| found.iter().any(|(r, _)| r.contains(&at));
    let mut at = 0;
    while let Some(c) = char_at(source, at) {
        let boundary = !char_before(source, at).is_some_and(url_char);
        let next = if boundary { url_end(source, at) } else { None };
        if let (Some(end), true) = (next, found.len() < MAX_SPANS) {
            found.push((at..end, SpanKind::Url));
            at = end;
            continue;
        }
        at += c.len_utf8();
    }
    for (index, _) in source.match_indices('@') {
        if found.len() >= MAX_SPANS {
            break;
        }
        if taken(&found, index) {
            continue;
        }
        if let Some(email) = email_at(source, index) {
            found.push((email, SpanKind::Email));
        } else if !char_before(source, index).is_some_and(tag_char) {
            let end = index + 1 + latin_word_len(&source[index + 1..]);
            if end > index + 1 && !char_at(source, end).is_some_and(is_alphanumeric) {
                found.push((index..end, SpanKind::Handle));
            }
        }
    }
    for (index, _) in source.match_indices('#') {
        if found.len() >= MAX_SPANS {
            break;
        }
        if taken(&found, index) || char_before(source, index).is_some_and(tag_char) {
            continue;
        }
        let end = index + 1 + latin_word_len(&source[index + 1..]);
        // Only Latin hashtags: a Devanagari one (#भारत) is translated or kept, either is fine.
        let tag = &source[index + 1..end];
        let whole_tag = !char_at(source, end).is_some_and(is_alphanumeric);
        if tag.chars().any(|c| c.is_ascii_alphabetic()) && whole_tag {
            found.push((index..end, SpanKind::Hashtag));
        }
    }
    found.sort_by_key(|(r, _)| r.start);
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(c) = char_at(source, at) {
        if let Some((range, _)) = found.iter().find(|(r, _)| r.contains(&at)) {
            at = range.end;
            continue;
        }
        if is_latin_letter(c) || c.is_ascii_digit() {
            let end = token_end(source, at);
            let token = &source[at..end];
            // Only whole words: glued to letters of another script, it could not be found either.
            let whole = !char_before(source, at).is_some_and(is_alphanumeric)
                && !char_at(source, end).is_some_and(is_alphanumeric);
            if whole && is_name_like(token) && found.len() + tokens.len() < MAX_SPANS {
                tokens.push((at..end, SpanKind::Token));
            }
            at = end;
            continue;
        }
        at += c.len_utf8();
    }
    found.extend(tokens);
    found.sort_by_key(|(r, _)| r.start);
    found
}

/// A token that must stay: has a Latin letter, is not a unit or title abbreviation, and is not a
/// number with a lower-case unit glued on (30am, 10km, 1990s, 3rd: the number check's business).
fn is_name_like(token: &str) -> bool {
    if !token.chars().any(is_latin_letter) {
        return false;
    }
    let plain: String = token.chars().filter(|&c| c != '.').collect::<String>().to_lowercase();
    if NOT_NAMES.contains(&plain.as_str()) {
        return false;
    }
    let digits = token.chars().take_while(char::is_ascii_digit).count();
    let rest = &token[digits..];
    !(digits > 0 && rest.len() <= 3 && rest.chars().all(|c| c.is_ascii_lowercase()))
}

/// End of a Latin token starting at `start`: letters and digits, with `- . ' ’ & _ + /` inside it.
fn token_end(text: &str, start: usize) -> usize {
    let inner = |c: char| is_latin_letter(c) || c.is_ascii_digit();
    let mut end = start;
    let mut chars = text[start..].char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        if inner(c) {
            end = start + offset + c.len_utf8();
        } else if matches!(c, '-' | '.' | '\'' | '’' | '&' | '_' | '+' | '/')
            && chars.peek().is_some_and(|&(_, next)| inner(next))
        {
            continue;
        } else {
            break;
        }
    }
    end
}

/// Length of the run of ASCII letters, digits and `_` at the start of `text`.
fn latin_word_len(text: &str) -> usize {
    text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len())
}

/// End of a URL starting at `at` (`http://`, `https://` or `www.`), trailing punctuation left out.
fn url_end(text: &str, at: usize) -> Option<usize> {
    let tail = &text[at..];
    let scheme = ["https://", "http://", "www."]
        .iter()
        .find(|p| tail.get(..p.len()).is_some_and(|head| head.eq_ignore_ascii_case(p)))?;
    let end = tail
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '<' | '>' | '“' | '”' | '«' | '»' | '।'))
        .unwrap_or(tail.len());
    let mut url = &tail[..end];
    loop {
        let trimmed = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '’']);
        let trimmed = if trimmed.ends_with(')') && !trimmed.contains('(') {
            &trimmed[..trimmed.len() - 1]
        } else {
            trimmed
        };
        if trimmed.len() == url.len() {
            break;
        }
        url = trimmed;
    }
    (url.len() > scheme.len()).then_some(at + url.len())
}

/// The e-mail address around the `@` at `index`, if there is one.
fn email_at(text: &str, index: usize) -> Option<Range<usize>> {
    let ascii_local = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let head = &text[..index];
    let local = head.len() - head.trim_end_matches(ascii_local).len();
    let start = index - local;
    // Glued to more of a word (ऑफ़name@x.org): not an address we can delimit.
    if char_before(text, start).is_some_and(local_char) {
        return None;
    }
    let tail = &text[index + 1..];
    let domain_len =
        tail.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))).unwrap_or(tail.len());
    let domain = tail[..domain_len].trim_end_matches(['.', '-']);
    let top = domain.rsplit('.').next().unwrap_or("");
    let end = index + 1 + domain.len();
    let valid = local > 0
        && domain.contains('.')
        && top.len() >= 2
        && top.chars().all(|c| c.is_ascii_alphabetic())
        && ends_link(&text[end..]);
    valid.then_some(start..end)
}

/// Checks that every verbatim span of `source` is in `translation`.
pub(super) fn check(source: &str, translation: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut reported: Vec<&str> = Vec::new();
    for (span, kind) in spans(source) {
        let text = &source[span.clone()];
        if reported.contains(&text) || present(text, kind, translation) {
            continue;
        }
        reported.push(text);
        let message = format!("{} “{}” is not in the translation", kind.name(), excerpt(text, 60));
        findings.push(Finding::new(FindingKind::Verbatim, span, message));
    }
    findings
}

/// Whether `text` (a span of `kind`) is in `translation`.
fn present(text: &str, kind: SpanKind, translation: &str) -> bool {
    match kind {
        SpanKind::Url | SpanKind::Email => translation.match_indices(text).any(|(at, _)| {
            let before = if kind == SpanKind::Url { url_char } else { local_char };
            !char_before(translation, at).is_some_and(before) && ends_link(&translation[at + text.len()..])
        }),
        // "##tag" or "@@name" is not the tag or the name.
        SpanKind::Handle | SpanKind::Hashtag => find_caseless(translation, text).any(|range| {
            !char_before(translation, range.start).is_some_and(tag_char)
                && !char_at(translation, range.end).is_some_and(|c| is_alphanumeric(c) || c == '_')
        }),
        // One letter ("vitamin A"): in its case, or every "a" would do.
        SpanKind::Token if text.chars().count() == 1 => translation.match_indices(text).any(|(at, _)| {
            !char_before(translation, at).is_some_and(is_alphanumeric)
                && !char_at(translation, at + text.len()).is_some_and(is_alphanumeric)
        }),
        // Also with its dots or hyphens left out (U.S. = US, Wi-Fi = WiFi) or hyphens as spaces.
        SpanKind::Token => {
            [text.to_string(), text.replace('.', ""), text.replace('-', ""), text.replace('-', " ")]
                .iter()
                .any(|form| whole_word_matches(translation, form, true))
        }
    }
}

/// Whether `needle` occurs in `haystack` in any letter case, not inside a longer word; `plural`
/// allows an English plural or possessive ending after it.
fn whole_word_matches(haystack: &str, needle: &str, plural: bool) -> bool {
    find_caseless(haystack, needle).any(|range| {
        if char_before(haystack, range.start).is_some_and(is_alphanumeric) {
            return false;
        }
        let after = &haystack[range.end..];
        let endings: &[&str] = if plural { &["", "s", "es", "'s", "’s"] } else { &[""] };
        endings.iter().any(|ending| {
            after.len() >= ending.len()
                && after.is_char_boundary(ending.len())
                && after[..ending.len()].eq_ignore_ascii_case(ending)
                && !char_at(after, ending.len()).is_some_and(is_alphanumeric)
        })
    })
}

/// Byte ranges of `haystack` equal to `needle` in any letter case.
fn find_caseless<'a>(haystack: &'a str, needle: &'a str) -> impl Iterator<Item = Range<usize>> + 'a {
    haystack.char_indices().filter_map(move |(start, _)| {
        let mut rest = haystack[start..].char_indices();
        let mut end = start;
        for wanted in needle.chars() {
            let (offset, c) = rest.next()?;
            if !c.to_lowercase().eq(wanted.to_lowercase()) {
                return None;
            }
            end = start + offset + c.len_utf8();
        }
        (!needle.is_empty()).then_some(start..end)
    })
}

/// Puts back verbatim spans of `source` that `translation` has only with spaces inserted or letter
/// case changed ("https: //example. com", "Www.Example.Com"), where exactly one place of the
/// translation matches: the new translation and the spans restored, or `None` when nothing could be
/// restored without guessing.
pub fn restore_verbatim(source: &str, translation: &str) -> Option<(String, Vec<String>)> {
    let missing: Vec<Finding> = check(source, translation);
    if missing.is_empty() {
        return None;
    }
    // The translation without whitespace, each character with its byte range.
    let compact: Vec<(usize, char)> =
        translation.char_indices().filter(|(_, c)| !c.is_whitespace()).collect();
    let mut replacements: Vec<(Range<usize>, &str)> = Vec::new();
    for finding in &missing {
        let wanted: Vec<char> = source[finding.span.clone()].chars().filter(|c| !c.is_whitespace()).collect();
        if wanted.is_empty() || wanted.len() > compact.len() {
            continue;
        }
        let places: Vec<Range<usize>> = (0..=compact.len() - wanted.len())
            .filter(|&i| {
                wanted.iter().zip(&compact[i..]).all(|(w, (_, c))| c.to_lowercase().eq(w.to_lowercase()))
            })
            .map(|i| {
                let (last_at, last) = compact[i + wanted.len() - 1];
                compact[i].0..last_at + last.len_utf8()
            })
            .filter(|r| {
                !char_before(translation, r.start).is_some_and(is_alphanumeric)
                    && !char_at(translation, r.end).is_some_and(is_alphanumeric)
            })
            .collect();
        if let [place] = places.as_slice() {
            let overlaps = replacements.iter().any(|(r, _)| r.start < place.end && place.start < r.end);
            if !overlaps {
                replacements.push((place.clone(), &source[finding.span.clone()]));
            }
        }
    }
    if replacements.is_empty() {
        return None;
    }
    replacements.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let mut restored = translation.to_string();
    let mut names = Vec::new();
    for (range, text) in replacements {
        restored.replace_range(range, text);
        names.push(text.to_string());
    }
    names.reverse();
    // A place that was another span of the source, differently written, is not a restoration.
    (check(source, &restored).len() < missing.len()).then_some((restored, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<(&str, SpanKind)> {
        spans(source).into_iter().map(|(r, k)| (&source[r], k)).collect()
    }

    #[test]
    fn finds_urls_emails_handles_hashtags_and_tokens() {
        let source =
            "देखें https://example.org/a?b=1. या लिखें news@example.co.in पर, @PMOIndia #G20 और JAS 39C Gripen।";
        assert_eq!(
            kinds(source),
            [
                ("https://example.org/a?b=1", SpanKind::Url),
                ("news@example.co.in", SpanKind::Email),
                ("@PMOIndia", SpanKind::Handle),
                ("#G20", SpanKind::Hashtag),
                ("JAS", SpanKind::Token),
                ("39C", SpanKind::Token),
                ("Gripen", SpanKind::Token),
            ]
        );
    }

    #[test]
    fn units_numbers_with_units_and_devanagari_hashtags_are_not_verbatim() {
        assert!(kinds("5 km दूर, 9:30am पर, 1990s में, #भारत").is_empty());
        assert_eq!(kinds("(www.x.com)"), [("www.x.com", SpanKind::Url)]);
    }

    #[test]
    fn present_in_any_case_and_with_plural_endings() {
        assert!(check("covid-19 पॉज़िटिव", "tested positive for COVID-19").is_empty());
        assert!(check("Il-76. रूसी", "The Il-76s of Russia").is_empty());
        assert!(check("U.S. में", "in the US").is_empty());
        assert!(check("JAS 39C Gripen", "The JAS 39C Gripen crashed").is_empty());
    }

    #[test]
    fn missing_and_mangled_spans_are_found() {
        let source = "JAS 39C Gripen दुर्घटनाग्रस्त";
        let findings = check(source, "The JAS 39 Gripen crashed");
        assert_eq!(findings.len(), 1);
        assert_eq!(&source[findings[0].span.clone()], "39C");
        assert_eq!(findings[0].message, "Latin-script token “39C” is not in the translation");
        assert_eq!(check("देखें https://example.org/a", "See https://example.org/ab").len(), 1);
        assert_eq!(check("देखें https://example.org/a", "See https://example.org/a/").len(), 0);
        assert_eq!(check("@PMOIndia ने कहा", "@PMOIndiaa said").len(), 1);
        assert_eq!(check("#G20 पर", "on ##G20").len(), 1);
        assert_eq!(check("#G20 पर", "on #g20.").len(), 0);
        // A token inside a longer word is not there.
        assert_eq!(check("UW में", "at UWM").len(), 1);
        assert_eq!(check("लिखें desk@example.org पर", "write to ddesk@example.org").len(), 1);
        assert_eq!(check("लिखें desk@example.org पर", "write to desk@example.org.").len(), 0);
        // One letter keeps its case.
        assert_eq!(check("विटामिन A की कमी", "a lack of vitamin").len(), 1);
        assert_eq!(check("विटामिन A की कमी", "a lack of vitamin A").len(), 0);
        assert_eq!(check("Wi-Fi मुफ़्त", "free WiFi").len(), 0);
    }

    #[test]
    fn restoration_only_where_one_place_matches() {
        let source = "देखें https://example.org/news।";
        let (restored, names) = restore_verbatim(source, "See https: //example. org/news.").unwrap();
        assert_eq!(restored, "See https://example.org/news.");
        assert_eq!(names, ["https://example.org/news"]);
        // Two candidate places: no guess.
        assert_eq!(
            restore_verbatim(source, "See https: //example.org/news or https://example. org/news."),
            None
        );
        // Nothing like it: no guess.
        assert_eq!(restore_verbatim(source, "See the website."), None);
        assert_eq!(
            restore_verbatim("JAS 39C", "JAS 39 C"),
            Some(("JAS 39C".to_string(), vec!["39C".to_string()]))
        );
    }
}
