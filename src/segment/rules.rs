//! Sentence boundaries inside one paragraph.
//!
//! The paragraph is cut into whitespace-separated tokens. A sentence can end
//! - at the end of a token whose trailing punctuation holds a terminal mark (। ॥ ? ! . … `|`), followed by
//!   any closing quotes or brackets (they stay with the sentence): [`Rules::ends_sentence`];
//! - inside a token, right after a danda (or `?`, `!`, `|` used as a danda) that is directly followed by the
//!   next sentence's first letter or opening quote: `है।यह` ([`internal_cuts`]);
//! - without punctuation, after a clause-final Hindi verb (Hindi is verb-final): before a sentence
//!   connective with its comma (`... होता है हालांकि, सर्दियों ...`), or between two complete clauses
//!   (`... लोगों ने प्रदर्शन किया पिछले महीने ... हुए थे, ...`) ([`Rules::unpunctuated_boundary`]).
//!
//! Everything here works on bounded neighbourhoods of a token (the token, its neighbours, at most
//! [`CLAUSE_LOOKAHEAD`] or [`CLAUSE_WINDOW`] tokens around it), so a paragraph is processed in linear time.

use std::ops::Range;

use super::cluster;
use super::lexicon as lx;

/// How many tokens after a closing quote are searched for a reporting clause (`“...?” उसने पूछा।`).
const CLAUSE_LOOKAHEAD: usize = 12;

/// How many tokens the clause checks of an unpunctuated boundary search: back to the sentence start, and
/// ahead to the next punctuation. A sentence or clause longer than that gets no boundary.
const CLAUSE_WINDOW: usize = 40;

/// The longest bracketed group (in tokens) that attaches to the sentence before it.
const BRACKET_GROUP_TOKENS: usize = 6;

/// A terminal mark: a sentence may end after it.
pub(super) fn is_terminal(c: char) -> bool {
    is_strong_terminal(c) || is_question_or_exclamation(c) || matches!(c, '.' | '…' | '|')
}

/// Danda, double danda and the full stops of other scripts that are never abbreviation periods.
fn is_strong_terminal(c: char) -> bool {
    matches!(c, '।' | '॥' | '。' | '｡' | '۔')
}

/// Question and exclamation marks (ASCII, fullwidth, Arabic and the combined forms).
fn is_question_or_exclamation(c: char) -> bool {
    matches!(c, '?' | '!' | '‼' | '⁇' | '⁈' | '⁉' | '？' | '！' | '؟')
}

/// Closing quotes and brackets that stay with the sentence they close.
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '”' | '’' | '"' | '\'' | '»' | '›' | ')' | ']' | '}' | '」' | '』' | '〉' | '》' | '）' | '］'
    )
}

/// Closing quotation marks (a reporting clause may follow them).
fn is_closing_quote(c: char) -> bool {
    matches!(c, '”' | '’' | '"' | '\'' | '»' | '›' | '」' | '』')
}

/// Opening quotes and brackets.
fn is_opener(c: char) -> bool {
    matches!(
        c,
        '“' | '‘'
            | '"'
            | '\''
            | '«'
            | '‹'
            | '('
            | '['
            | '{'
            | '「'
            | '『'
            | '〈'
            | '《'
            | '（'
            | '［'
            | '„'
    )
}

/// ASCII `"` and `'` can open or close a quotation.
fn is_straight_quote(c: char) -> bool {
    matches!(c, '"' | '\'')
}

/// Devanagari block (letters, vowel signs, digits, dandas) and Devanagari Extended.
pub(super) fn is_devanagari(c: char) -> bool {
    matches!(c, '\u{0900}'..='\u{097F}' | '\u{A8E0}'..='\u{A8FF}')
}

/// A Devanagari letter or sign (not a danda or digit).
fn is_devanagari_letter(c: char) -> bool {
    is_devanagari(c) && !matches!(c, '।' | '॥' | '०'..='९' | '॰')
}

/// What a token starts with, after any opening quotes or brackets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Start {
    /// A cased upper-case letter (Latin, Greek, Cyrillic ...).
    Upper,
    /// A cased lower-case letter.
    Lower,
    /// A digit of any script.
    Digit,
    /// A Devanagari letter.
    Devanagari,
    /// Anything else (uncased letters of other scripts, symbols, nothing).
    Other,
}

fn start_class(token: &str) -> Start {
    if token.starts_with(['(', '[']) {
        // A bracketed aside (`(see below)`) says nothing about case.
        return Start::Other;
    }
    match strip_openers(token).chars().next() {
        Some(c) if c.is_uppercase() => Start::Upper,
        Some(c) if c.is_lowercase() => Start::Lower,
        Some(c) if c.is_numeric() => Start::Digit,
        Some(c) if is_devanagari_letter(c) => Start::Devanagari,
        _ => Start::Other,
    }
}

fn strip_openers(s: &str) -> &str {
    s.trim_start_matches(is_opener)
}

/// Splits a token into its body and its tail: the longest suffix of terminal marks and closers, with any
/// combining marks typed after them (`।\u{901}`: the mark belongs to the danda's cluster).
fn split_tail(token: &str) -> (&str, &str) {
    let mut body_end = token.len();
    for (i, c) in token.char_indices().rev() {
        if is_terminal(c) || is_closer(c) {
            body_end = i;
        } else if !cluster::is_mark(c) {
            break;
        }
    }
    token.split_at(body_end)
}

/// The word a token stands for: its body without opening quotes or brackets.
fn word_of(token: &str) -> &str {
    strip_openers(split_tail(token).0)
}

/// May `text` be cut between a sentence (or line) that ends at byte `end` and the next that starts at byte
/// `start` (`end <= start`, only whitespace between)? Not inside an extended grapheme cluster, not before a
/// combining mark or vowel sign ([`cluster::may_cut`]), and not before a postposition or enclitic: no
/// sentence begins with one, whatever boundary produced it.
pub(super) fn may_cut(text: &str, end: usize, start: usize) -> bool {
    cluster::may_cut(text, end, start) && !text.get(start..).is_some_and(begins_with_postposition)
}

/// Does `rest` begin with a postposition or enclitic (`की डिग्री`, `भी,`, `के।`)? `के.` is an initial (K.).
fn begins_with_postposition(rest: &str) -> bool {
    let word_end = rest
        .find(|c: char| c.is_whitespace() || is_terminal(c) || is_closer(c) || matches!(c, ',' | ';' | ':'))
        .unwrap_or(rest.len());
    let (word, after) = rest.split_at(word_end);
    !after.starts_with('.') && lx::is_never_sentence_initial(word)
}

/// Cuts inside `token` (which starts at byte `start` of the text): after a danda-like mark that is directly
/// followed by the next sentence's first letter or opening quote. The cut takes the closers after the mark
/// and the rest of its grapheme cluster (a stray `।\u{901}` stays together), and is not made where
/// [`may_cut`] refuses. Returns whether it cut.
pub(super) fn internal_cuts(token: &str, start: usize, cuts: &mut Vec<usize>) -> bool {
    // Only the body can hold a cut (nothing follows the tail). Fast path: no byte that can start a
    // splitting mark (ASCII ? ! |, the lead bytes of the danda block E0 and of the other scripts' marks).
    let body = token.trim_end_matches(|c| is_terminal(c) || is_closer(c));
    let bytes = body.as_bytes();
    let danda = bytes.windows(2).any(|w| matches!(w, [0xA5, 0xA4 | 0xA5]));
    if !danda && !bytes.iter().any(|b| matches!(b, b'?' | b'!' | b'|' | 0xD8 | 0xDB | 0xE2 | 0xE3 | 0xEF)) {
        return false;
    }
    let mut cut = false;
    let mut prev: Option<char> = None;
    let mut chars = token.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let splits = is_strong_terminal(c) || is_question_or_exclamation(c) || c == '|';
        if !splits {
            prev = Some(c);
            continue;
        }
        let before = prev;
        let (mut danda, mut question, mut pipe) =
            (is_strong_terminal(c), is_question_or_exclamation(c), c == '|');
        let mut end = i + c.len_utf8();
        let mut last = c;
        while let Some(&(j, d)) = chars.peek() {
            let after = token.get(j + d.len_utf8()..).and_then(|rest| rest.chars().next());
            let takes = if is_terminal(d) {
                true
            } else if is_straight_quote(d) {
                // A straight quote directly before a letter opens the next sentence.
                !after.is_some_and(char::is_alphanumeric)
            } else {
                is_closer(d)
            };
            if !takes {
                break;
            }
            danda |= is_strong_terminal(d);
            question |= is_question_or_exclamation(d);
            pipe |= d == '|';
            end = j + d.len_utf8();
            last = d;
            chars.next();
        }
        prev = Some(last);
        let end = cluster::cluster_end(token, end);
        let Some(next) = token.get(end..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        let after_devanagari = before.is_some_and(is_devanagari);
        let split = if danda {
            next.is_alphabetic() || is_opener(next)
        } else if question {
            after_devanagari && (is_devanagari_letter(next) || is_opener(next))
        } else {
            pipe && after_devanagari && is_devanagari_letter(next)
        };
        if split && may_cut(token, end, end) {
            cuts.push(start + end);
            cut = true;
        }
    }
    cut
}

/// The rules applied to one paragraph's tokens.
pub(super) struct Rules<'t> {
    /// The whole input.
    pub(super) text: &'t str,
    /// The paragraph's tokens (byte ranges into `text`, no whitespace inside, in order).
    pub(super) tokens: &'t [Range<usize>],
}

impl<'t> Rules<'t> {
    fn token(&self, k: usize) -> &'t str {
        self.tokens.get(k).and_then(|range| self.text.get(range.clone())).unwrap_or("")
    }

    /// Does the sentence end after token `k` (which is not the paragraph's last)? `first` is the index of the
    /// current sentence's first token; `list` is set while the sentence holds list numbers (`1. ... 2. ...`).
    pub(super) fn ends_sentence(&self, k: usize, first: usize, list: &mut bool) -> bool {
        let (body, tail) = split_tail(self.token(k));
        let Some((last_terminal, _)) = tail.char_indices().rev().find(|&(_, c)| is_terminal(c)) else {
            return self.unpunctuated_boundary(k, first);
        };
        // `“क्या आप तैयार हैं?” उसने पूछा।`: a reporting clause after the closing quote continues.
        let quote_after = tail.get(last_terminal..).is_some_and(|rest| rest.chars().any(is_closing_quote));
        self.terminal_ends_sentence(k, body, tail, first, list)
            && !(quote_after && self.reporting_clause_follows(k))
    }

    /// Does the terminal mark in `tail` (token `k` is `body` + `tail`) end the sentence?
    fn terminal_ends_sentence(
        &self,
        k: usize,
        body: &str,
        tail: &str,
        first: usize,
        list: &mut bool,
    ) -> bool {
        let next = self.token(k + 1);
        let next_start = start_class(next);
        let (mut strong, mut question, mut pipe, mut dots, mut ellipsis) =
            (false, false, false, 0usize, false);
        for c in tail.chars() {
            strong |= is_strong_terminal(c);
            question |= is_question_or_exclamation(c);
            pipe |= c == '|';
            ellipsis |= c == '…';
            dots += usize::from(c == '.');
        }
        if strong || question {
            // `Yahoo! and ...`: a lower-case word continues the sentence.
            return strong || next_start != Start::Lower;
        }
        if pipe {
            // `|` typed for a danda: only after Devanagari text (`है|`, `गया |`).
            let context = match body.chars().rev().find(|&c| !is_closer(c)) {
                Some(c) => Some(c),
                None => k.checked_sub(1).and_then(|p| self.token(p).chars().rev().find(|&c| !is_closer(c))),
            };
            return context.is_some_and(is_devanagari);
        }
        if ellipsis || dots >= 2 {
            return match next_start {
                Start::Lower => false,
                Start::Upper => true,
                // Hindi is verb-final: after a verb the ellipsis ends the sentence (`हो गया…`), after
                // anything else it is a pause (`हालात... बेहद गंभीर हैं`).
                _ if lx::is_hindi_coordinator(word_of(next)) => false,
                _ => {
                    let word = strip_openers(body);
                    let word = if word.is_empty() && k > 0 { word_of(self.token(k - 1)) } else { word };
                    lx::is_hindi_clause_final(word)
                }
            };
        }
        // A single period. If a closer stands between word and period (`(KV62).`), it is a full stop.
        if !tail.starts_with('.') {
            return next_start != Start::Lower;
        }
        let closed = tail.len() > 1;
        self.period_ends_sentence(k, body, first, list, (next, next_start), closed)
    }

    /// The period after `body` (token `k`): abbreviation, initial, list number, or full stop?
    fn period_ends_sentence(
        &self,
        k: usize,
        body: &str,
        first: usize,
        list: &mut bool,
        (next, next_start): (&str, Start),
        closed: bool,
    ) -> bool {
        let full_stop = next_start != Start::Lower;
        let word = strip_openers(body);
        if word.is_empty() {
            return full_stop;
        }
        // `1. पहला बिंदु`, `(2) ... 3. ...`: a number opening the sentence or the list is a list number.
        if is_list_marker(word) {
            let after_colon = k.checked_sub(1).is_some_and(|p| self.token(p).ends_with([':', '：']));
            if k == first || *list || after_colon {
                *list = true;
                return false;
            }
        }
        if is_url_like(word) {
            return full_stop;
        }
        if word.chars().any(is_devanagari) {
            return full_stop && !self.devanagari_abbreviation(k, word, first, next_start);
        }
        // Latin: look at the part after a hyphen or slash (`non-U.S.`).
        let word = word.rsplit(['-', '/']).next().unwrap_or(word);
        if lx::is_latin_never_final(word) {
            return false;
        }
        if lx::is_latin_before_number(word) {
            return next_start != Start::Digit && full_stop;
        }
        let mut chars = word.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if c.is_uppercase() {
                // An initial: `A. P. J. Abdul Kalam`, `George W. Bush`.
                return false;
            }
        }
        if is_dotted_chain(word, false) || lx::is_latin_maybe_final(word) {
            // `U.S.`, `p.m.`, `etc.`: a full stop only before a typical sentence opener, or when a bracket or
            // quote closes after the period (`..., etc.) Interactive ...`).
            if closed {
                return full_stop;
            }
            return next_start == Start::Upper && lx::is_english_opener(word_of(next).trim_end_matches(','));
        }
        full_stop
    }

    /// Is the period after the Devanagari `word` (token `k`; `first` is the sentence's first token) that of
    /// an abbreviation or initial rather than a full stop?
    /// - a listed abbreviation (`डॉ.`, `किमी.`, `जन.`), a dotted chain (`कि.मी.`), or a unit that is also a
    ///   word right after a number (`500 ली.`);
    /// - a letter name (`ए.`, `के.`); one that is also a word (आई, जी, पी, ओ) only in the context of a name
    ///   ([`Rules::initial_in_context`]);
    /// - before a digit, a short form that cannot be a verb (`खं. 3`, `अनु. 370`): Hindi sentences end in
    ///   verbs, and abbreviations of one or two syllables before a number are common in news.
    fn devanagari_abbreviation(&self, k: usize, word: &str, first: usize, next_start: Start) -> bool {
        if lx::is_hindi_abbreviation(word) || is_dotted_chain(word, true) {
            return true;
        }
        if lx::is_hindi_unit_after_number(word) {
            let number = if k > first { word_of(self.token(k - 1)) } else { "" };
            return !number.is_empty() && number.chars().all(|c| c.is_numeric() || c == ',');
        }
        if lx::is_hindi_letter_name(word) {
            return !lx::is_ambiguous_letter_name(word) || self.initial_in_context(k, word, first);
        }
        next_start == Start::Digit && is_short_non_verb(word)
    }

    /// Is the ambiguous letter name `word` (आई, जी, पी, ओ) at token `k` an initial? Yes when it stands next to
    /// another initial (`आई. के. गुजराल`). Otherwise the next word must be able to be a name (a word, not a
    /// common sentence opener), and then yes after a title or designation (`वित्त मंत्री पी.`, `डॉ. जी.`) or a
    /// genitive (`कांग्रेस के पी.`), which a verb cannot follow, and when that word is followed by a
    /// postposition or और/एवं, as a name in a clause is (`पी. शिवशंकर ने`).
    /// That last reading is taken for आई ("came", common at a sentence end: `गिरावट आई. निवेशकों को …`) only
    /// where a noun phrase begins: at the sentence's start, or after a comma, a conjunction or `ने`. A verb
    /// reading without those signs keeps the boundary: `उसने पानी पी. फिर …`.
    fn initial_in_context(&self, k: usize, word: &str, first: usize) -> bool {
        if k.checked_sub(1).is_some_and(|p| p >= first && self.is_initial(p)) || self.is_initial(k + 1) {
            return true;
        }
        // What follows must be able to be a name: a word, not a common sentence opener (`सचिव जी. अब …` is
        // the honorific ending a sentence).
        let name = self.token(k + 1);
        if !name.starts_with(char::is_alphabetic) || lx::is_hindi_sentence_opener(clause_word(name)) {
            return false;
        }
        let previous_token = if k > first { self.token(k - 1) } else { "" };
        let previous = clause_word(previous_token);
        if lx::is_hindi_title(previous) || lx::marks_participle_agent(previous) {
            return true;
        }
        let name_in_clause = name.chars().all(is_devanagari_letter)
            && lx::follows_name_in_clause(clause_word(self.token(k + 2)));
        if !name_in_clause {
            return false;
        }
        word != lx::LETTER_NAME_USUALLY_VERB
            || previous.is_empty()
            || previous_token.ends_with([',', ';', ':'])
            || (lx::is_hindi_coordinator(previous) && !matches!(previous, "पर" | "तो"))
            || lx::is_ergative_agent(previous)
    }

    /// After a sentence that ends at token `k`: a short bracketed group without a terminal mark that follows
    /// (`... है. (ब्रेमर, 1998) इंटरनेट ...`, `... नहीं है. (नीचे देखें)`) stays with that sentence. Returns the
    /// index of the group's last token.
    pub(super) fn bracket_group_after(&self, k: usize) -> Option<usize> {
        if !self.token(k + 1).starts_with(['(', '[']) {
            return None;
        }
        let (mut depth, mut letters) = (0i64, false);
        for j in (k + 1..self.tokens.len()).take(BRACKET_GROUP_TOKENS) {
            let token = self.token(j);
            for c in token.chars() {
                match c {
                    '(' | '[' => depth += 1,
                    ')' | ']' => depth -= 1,
                    _ => letters |= c.is_alphabetic(),
                }
            }
            if depth <= 0 {
                return (depth == 0 && letters).then_some(j);
            }
            if split_tail(token).1.chars().any(is_terminal) {
                return None;
            }
        }
        None
    }

    /// Is token `k` an initial such as `के.` (a Devanagari letter name and a period)?
    fn is_initial(&self, k: usize) -> bool {
        let token = self.token(k);
        let (body, tail) = split_tail(token);
        tail == "." && lx::is_hindi_letter_name(strip_openers(body))
    }

    /// After a quotation closed with a terminal mark: is the next clause a short reporting clause
    /// (`“क्या आप तैयार हैं?” उसने पूछा।`, `"Go!" John shouted.`) that continues the sentence?
    fn reporting_clause_follows(&self, k: usize) -> bool {
        let mut words: [&str; CLAUSE_LOOKAHEAD] = [""; CLAUSE_LOOKAHEAD];
        for (n, j) in (k + 1..self.tokens.len()).take(CLAUSE_LOOKAHEAD).enumerate() {
            let token = self.token(j);
            if token.starts_with(is_opener) {
                // A new quotation or parenthesis: not a reporting clause.
                return false;
            }
            let (body, tail) = split_tail(token);
            let word = body.trim_end_matches([',', ';', ':', '-', '—']);
            if let Some(slot) = words.get_mut(n) {
                *slot = word;
            }
            if tail.is_empty() && body.ends_with([',', ':', ';']) {
                // `"...case." The governor also stated, "Today ..."`: it introduces what follows.
                return false;
            }
            if tail.chars().any(is_terminal) || j + 1 == self.tokens.len() {
                return is_reporting_clause(words.get(..=n).unwrap_or(&[]));
            }
            if !tail.is_empty() {
                return false;
            }
        }
        false
    }

    /// No punctuation after token `k` (`first` is the sentence's first token): does a new sentence start
    /// anyway? Only right after a clause-final Hindi verb: before a sentence connective carrying its comma
    /// (`... में होता है हालांकि, सर्दियों ...`), or where two complete clauses meet
    /// ([`Rules::complete_clauses_meet`]).
    fn unpunctuated_boundary(&self, k: usize, first: usize) -> bool {
        self.connective_follows(k) || self.complete_clauses_meet(k, first)
    }

    /// Is token `k` a clause-final verb followed by a sentence connective with its comma?
    fn connective_follows(&self, k: usize) -> bool {
        let mut next = [""; 3];
        for (slot, j) in next.iter_mut().zip(k + 1..self.tokens.len()) {
            *slot = self.token(j);
        }
        // Cheap tests first: a comma must follow within three words.
        if !next.iter().any(|word| word.ends_with(',')) {
            return false;
        }
        let token = self.token(k);
        token.starts_with(is_devanagari_letter)
            && lx::is_hindi_clause_final(token)
            && lx::sentence_connective_len(&next).is_some()
    }

    /// `लोगों ने ... विरोध प्रदर्शन किया पिछले महीने ... प्रदर्शन हुए थे, ...`: token `k` is a perfective
    /// light verb (किया, दिया, लिया ...) and ends a finite clause, and a second complete clause follows. The
    /// checks, each against a known way of misreading the verb:
    /// - its clause has an ergative agent (`ने`), as a finite perfective transitive verb must; a participle
    ///   used as an adjective never has one (`चेक किया चिह्न`), nor after a genitive (`उनका दिया बयान`);
    /// - the next word cannot continue the clause (not an auxiliary, conjunction, postposition or particle:
    ///   `किया गया`, `किया और`, `किया कि`);
    /// - the sentence so far opens no relative or conditional clause, whose correlative may follow the verb
    ///   (`जो उसने किया वह ...`), and the verb is not one of saying, deciding or knowing, whose complement
    ///   clause may follow without its कि (`उन्होंने दावा किया सरकार ...`);
    /// - the words after it, up to the next punctuation, are a clause of their own
    ///   ([`Rules::clause_follows`]), not a subject or object placed after the verb (`सरकार ने लिया बड़ा
    ///   फैसला`).
    fn complete_clauses_meet(&self, k: usize, first: usize) -> bool {
        let token = self.token(k);
        if !lx::is_finite_only_transitive_perfective(token) {
            return false;
        }
        let next = self.token(k + 1);
        if next.is_empty() || !next.chars().all(is_devanagari_letter) || lx::may_continue_clause(next) {
            return false;
        }
        // The whole sentence so far must be in view (the relative-clause check needs it).
        if first > k || k - first > CLAUSE_WINDOW {
            return false;
        }
        let before = self.tokens.get(first..k).unwrap_or(&[]);
        let words =
            || before.iter().rev().map(|range| clause_word(self.text.get(range.clone()).unwrap_or("")));
        let object = words().next().unwrap_or("");
        if lx::marks_participle_agent(object)
            || lx::takes_clause_complement(object)
            || words().any(lx::opens_correlative_clause)
        {
            return false;
        }
        // The agent within the verb's clause: back to a comma or a conjunction.
        let mut agent = false;
        for (range, word) in before.iter().rev().zip(words()) {
            if lx::is_ergative_agent(word) {
                agent = true;
                break;
            }
            let ends_clause = self.text.get(range.clone()).is_some_and(|t| t.ends_with([',', ';', ':']));
            if ends_clause || lx::is_hindi_coordinator(word) {
                break;
            }
        }
        agent && self.clause_follows(k + 1)
    }

    /// Do the tokens from `start` to the next punctuation (or the paragraph's end) form a complete clause? They
    /// must end in a finite verb: a tense auxiliary or a future form before any punctuation, or, where the
    /// sentence ends there, any clause-final verb form. A transitive perfective among them needs its own
    /// ergative agent (without one, the agent before `start` is shared: one clause). A quotation or
    /// bracket opening or closing on the way, or a dash, ends the search with no.
    fn clause_follows(&self, start: usize) -> bool {
        let mut agent = false;
        let mut previous = "";
        for j in (start..self.tokens.len()).take(CLAUSE_WINDOW) {
            let token = self.token(j);
            let (body, tail) = split_tail(token);
            if token.starts_with(is_opener) || !tail.chars().all(is_terminal) || body.ends_with(['-', '—'])
            {
                return false;
            }
            let word = clause_word(token);
            agent |= lx::is_ergative_agent(word);
            if lx::is_finite_only_transitive_perfective(word) && !agent {
                // `उन्होंने स्नान किया भोजन किया और ...`: it shares the agent before `start`.
                return false;
            }
            let sentence_end = !tail.is_empty() || j + 1 == self.tokens.len();
            if !sentence_end && !body.ends_with([',', ';', ':']) {
                previous = word;
                continue;
            }
            let finite = lx::is_hindi_tense_auxiliary(word)
                || lx::is_hindi_future(word)
                || (sentence_end && (lx::is_hindi_clause_final(word) || lx::is_transitive_perfective(word)));
            let verb = if lx::is_hindi_tense_auxiliary(word) { previous } else { word };
            return finite && (agent || !lx::is_transitive_perfective(verb));
        }
        false
    }
}

/// The word of a token, without opening quotes or brackets, terminal marks, closers and clause punctuation.
fn clause_word(token: &str) -> &str {
    word_of(token).trim_end_matches([',', ';', ':'])
}

/// Does the clause (its words, in order) end in a reporting verb, possibly followed by up to two auxiliaries?
fn is_reporting_clause(words: &[&str]) -> bool {
    for (i, word) in words.iter().enumerate().rev().take(3) {
        let noun = i.checked_sub(1).and_then(|p| words.get(p)).copied().unwrap_or("");
        if lx::is_reporting_verb(word) || lx::is_reporting_phrase(noun, word) {
            return true;
        }
        if !lx::is_reporting_auxiliary(word) {
            return false;
        }
    }
    false
}

/// A list number or letter: up to three digits (any script), a Roman numeral up to xii, or one letter.
fn is_list_marker(word: &str) -> bool {
    let count = word.chars().count();
    if word.chars().all(char::is_numeric) && (1..=3).contains(&count) {
        return true;
    }
    const ROMAN: &[&str] = &["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"];
    if ROMAN.iter().any(|r| r.eq_ignore_ascii_case(word)) {
        return true;
    }
    count == 1 && word.chars().all(char::is_alphabetic)
}

/// A URL, e-mail address or domain name: its last period is a full stop, never an abbreviation.
fn is_url_like(word: &str) -> bool {
    word.contains("://")
        || word.contains('@')
        || word.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("www."))
}

/// An abbreviation written as dotted segments: `U.S`, `a.m`, `A.P.J`, `Ph.D` (Latin: at least two segments of
/// one letter, or a listed form) or `कि.मी`, `वि.सं`, `ई.पू`, `बी.जे.पी` (Devanagari: short segments).
fn is_dotted_chain(word: &str, devanagari: bool) -> bool {
    if !word.contains('.') {
        return false;
    }
    if devanagari {
        return word.split('.').all(|segment| {
            let n = segment.chars().count();
            (1..=4).contains(&n) && segment.chars().all(is_devanagari_letter)
        });
    }
    lx::LATIN_DOTTED_EXTRA.contains(&word)
        || word.split('.').all(|segment| {
            let mut chars = segment.chars();
            matches!((chars.next(), chars.next()), (Some(c), None) if c.is_ascii_alphabetic())
        })
}

/// Is the Devanagari `word` a short form that cannot be a verb: at most three letters (consonants and
/// independent vowels: `खं`, `अनु`, `विवि`), not a listed verb form or "etc." word, and not ending the way inflected verbs
/// and auxiliaries end (ा ी े ै ो, with or without a nasal sign, or an independent vowel: है, गया, हुई, की,
/// हैं, गए)?
fn is_short_non_verb(word: &str) -> bool {
    let letters = word
        .chars()
        .filter(|&c| matches!(c, '\u{0904}'..='\u{0939}' | '\u{0958}'..='\u{0961}' | '\u{0972}'..='\u{097F}'))
        .count();
    if !(1..=3).contains(&letters) || !word.chars().all(is_devanagari_letter) {
        return false;
    }
    if lx::is_hindi_clause_final(word) || lx::is_transitive_perfective(word) || lx::ends_enumeration(word) {
        return false;
    }
    let last = word.trim_end_matches(['\u{0901}', '\u{0902}']).chars().next_back();
    !matches!(
        last,
        None | Some(
            '\u{093E}'
                | '\u{0940}'
                | '\u{0947}'
                | '\u{0948}'
                | '\u{094B}'
                | '\u{094C}'
                | 'आ'
                | 'ई'
                | 'ए'
                | 'ओ'
                | 'ऊ'
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_hold_terminals_and_closers() {
        assert_eq!(split_tail("है।”"), ("है", "।”"));
        assert_eq!(split_tail("(KV62)."), ("(KV62", ")."));
        assert_eq!(split_tail("कि.मी."), ("कि.मी", "."));
        assert_eq!(split_tail("..."), ("", "..."));
        assert_eq!(word_of("“(डॉ."), "डॉ");
        assert_eq!(split_tail("हुई।\u{901}"), ("हुई", "।\u{901}"));
        assert_eq!(split_tail("की"), ("की", ""));
    }

    #[test]
    fn dotted_chains() {
        assert!(is_dotted_chain("U.S", false));
        assert!(is_dotted_chain("A.P.J", false));
        assert!(is_dotted_chain("Ph.D", false));
        assert!(!is_dotted_chain("www.mea.gov.in", false));
        assert!(!is_dotted_chain("1.1", false));
        assert!(is_dotted_chain("कि.मी", true));
        assert!(is_dotted_chain("वि.सं", true));
        assert!(!is_dotted_chain("प्रतिशत.यह", true));
    }

    #[test]
    fn short_forms_that_cannot_be_verbs() {
        for word in ["खं", "अनु", "विवि", "क्र", "उप"] {
            assert!(is_short_non_verb(word), "{word}");
        }
        for word in ["है", "हैं", "गया", "हुई", "की", "किया", "गए", "था", "हो", "दीं", "आदि", "कार्यक्रम", "5", "ab"]
        {
            assert!(!is_short_non_verb(word), "{word}");
        }
    }

    #[test]
    fn postpositions_never_open_a_sentence() {
        assert!(begins_with_postposition("की डिग्री"));
        assert!(begins_with_postposition("भी, और"));
        assert!(begins_with_postposition("में।"));
        assert!(begins_with_postposition("के।यह"));
        assert!(!begins_with_postposition("के. चंद्रशेखर"));
        assert!(!begins_with_postposition("कीमत बढ़ी"));
        assert!(!begins_with_postposition("पर वह नहीं आया"));
        assert!(!may_cut("MPA. की", 4, 5));
        assert!(may_cut("MPA. कीमत", 4, 5));
    }

    #[test]
    fn list_markers() {
        for word in ["1", "12", "३", "iv", "IV", "a", "क"] {
            assert!(is_list_marker(word), "{word}");
        }
        for word in ["1998", "U.S", "है"] {
            assert!(!is_list_marker(word), "{word}");
        }
    }

    #[test]
    fn reporting_clauses() {
        assert!(is_reporting_clause(&["उसने", "पूछा"]));
        assert!(is_reporting_clause(&["बयान", "में", "कहा", "गया"]));
        assert!(is_reporting_clause(&["John", "said"]));
        assert!(is_reporting_clause(&["उसने", "सवाल", "किया"]));
        assert!(!is_reporting_clause(&["लावरोव", "ने", "आभार", "जताया"]));
        assert!(!is_reporting_clause(&["उन्होंने", "कहा", "कि", "वह", "आएंगे"]));
    }

    #[test]
    fn cuts_inside_tokens() {
        let mut cuts = Vec::new();
        assert!(internal_cuts("है।यह", 0, &mut cuts));
        assert_eq!(cuts, ["है।".len()]);
        cuts.clear();
        assert!(!internal_cuts("example.com/?q=1", 0, &mut cuts));
        assert!(!internal_cuts("है।”", 0, &mut cuts));
        assert!(internal_cuts("है|अगले", 0, &mut cuts));
        assert!(!internal_cuts("a|b", 0, &mut cuts));
    }
}
