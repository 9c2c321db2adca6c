//! Reading numbers: a text into quantities, each a span and the values it may mean. Digits in either
//! script with Indian or Western grouping (1,50,000 and 150,000), decimals, times (9:30), "m"/"bn"
//! suffixes, and number words of Hindi and English with their scales (1.5 लाख, दो हज़ार पाँच सौ, ten
//! million, a dozen), put together the way each language writes them.

use std::ops::Range;

use super::numerals::{self, Alone, Numeral, Role};
use super::text::{char_at, char_before, digit_value, is_word_char, normalize_devanagari, words};

/// Quantities read from one side at most; a longer text is read up to here (keeps matching cheap).
const MAX_QUANTITIES: usize = 256;

/// A value a quantity may mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Value {
    Number(f64),
    /// A clock time, hours and minutes.
    Time(u32, u32),
}

/// A number found in a text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Quantity {
    /// Its byte range.
    pub span: Range<usize>,
    /// What it may mean (several for "5m": 5 or 5 million; for the 96 of 1995-96: 96 or 1996).
    pub values: Vec<Value>,
    /// Whether the other side must carry it (false for soft words: एक, one, first, half ...).
    pub required: bool,
    /// The scale it was multiplied by (लाख, million), for ranges like "20-25 लाख".
    scale: Option<f64>,
    /// Written as digits only (no scale words): for year ranges like 1995-96.
    digits: Option<usize>,
}

/// One token that can be part of a number.
#[derive(Debug, Clone)]
struct Atom {
    span: Range<usize>,
    kind: AtomKind,
}

#[derive(Debug, Clone)]
enum AtomKind {
    /// Digits: the value, the multipliers a glued suffix allows ("5m"), and how many digits it was
    /// written with when it is a plain integer.
    Digits {
        value: f64,
        scales: &'static [f64],
        digits: Option<usize>,
    },
    Time(u32, u32),
    Word(Numeral),
}

/// The quantities of `text`, in order.
pub(super) fn quantities(text: &str) -> Vec<Quantity> {
    let atoms = atoms(text);
    let mut quantities: Vec<Quantity> = Vec::new();
    let mut builder: Option<Builder> = None;
    for atom in atoms {
        if let Some(current) = builder.as_mut() {
            if joinable(text, current, &atom) && current.push(&atom) {
                continue;
            }
        }
        if let Some(done) = builder.take().and_then(Builder::finish) {
            quantities.push(done);
        }
        let mut fresh = Builder::new(atom.span.start);
        if fresh.push(&atom) {
            builder = Some(fresh);
        }
        if quantities.len() >= MAX_QUANTITIES {
            break;
        }
    }
    if let Some(done) = builder.and_then(Builder::finish) {
        quantities.push(done);
    }
    quantities.truncate(MAX_QUANTITIES);
    add_range_readings(text, &mut quantities);
    soften_word_pairs(text, &mut quantities);
    quantities
}

/// Two small number words joined by a hyphen are an approximate count (दो-तीन, चार-पांच: a few),
/// often translated as "a few": both soft. (Digits, 7-2, stay exact.)
fn soften_word_pairs(text: &str, quantities: &mut [Quantity]) {
    let is_word = |q: &Quantity| text[q.span.clone()].chars().all(|c| !c.is_numeric());
    for i in 1..quantities.len() {
        let gap = text.get(quantities[i - 1].span.end..quantities[i].span.start).unwrap_or("");
        if gap == "-" && is_word(&quantities[i - 1]) && is_word(&quantities[i]) {
            quantities[i - 1].required = false;
            quantities[i].required = false;
        }
    }
}

/// Whether `atom` may continue the number being built: only spaces between them, a hyphen inside an
/// English compound (twenty-five), or "and" after a scale (three hundred and five).
fn joinable(text: &str, builder: &Builder, atom: &Atom) -> bool {
    let Some(gap) = text.get(builder.end..atom.span.start) else { return false };
    if gap.chars().all(char::is_whitespace) {
        return true;
    }
    match (&builder.last, &atom.kind) {
        (Last::Tens, AtomKind::Word(n)) if gap == "-" => {
            matches!(n.role, Role::Cardinal { .. } | Role::Scale { .. })
        }
        // two-dozen, three-hundred, 5-lakh.
        (Last::Base, AtomKind::Word(n)) if gap == "-" => matches!(n.role, Role::Scale { .. }),
        (Last::Scale, AtomKind::Word(_)) => {
            gap.trim().eq_ignore_ascii_case("and") && gap.starts_with(char::is_whitespace)
        }
        _ => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Last {
    Nothing,
    Base,
    Tens,
    Scale,
    Article,
    Modifier,
    /// A time or a soft word: a quantity of its own.
    Closed,
}

/// Reads one number from its atoms: "दो लाख पचास हज़ार", "1.5 लाख करोड़", "three hundred and five".
struct Builder {
    start: usize,
    end: usize,
    total: f64,
    current: Option<f64>,
    /// The last scale of a thousand or more (later smaller scales add, larger ones multiply).
    big_scale: Option<f64>,
    scale: Option<f64>,
    modifier: f64,
    last: Last,
    required: bool,
    values: Vec<Value>,
    suffix_scales: &'static [f64],
    digits: Option<usize>,
    atoms: usize,
}

impl Builder {
    fn new(start: usize) -> Self {
        Builder {
            start,
            end: start,
            total: 0.0,
            current: None,
            big_scale: None,
            scale: None,
            modifier: 0.0,
            last: Last::Nothing,
            required: false,
            values: Vec::new(),
            suffix_scales: &[1.0],
            digits: None,
            atoms: 0,
        }
    }

    /// Adds `atom` if it continues this number; false leaves the builder unchanged.
    fn push(&mut self, atom: &Atom) -> bool {
        let accepted = match &atom.kind {
            AtomKind::Time(h, m) => {
                if self.last != Last::Nothing {
                    return false;
                }
                self.values.push(Value::Time(*h, *m));
                self.required = true;
                self.last = Last::Closed;
                true
            }
            AtomKind::Digits { value, scales, digits } => {
                if !self.takes_base(*value) {
                    return false;
                }
                self.add_base(*value);
                self.required = true;
                self.suffix_scales = scales;
                self.digits = if self.atoms == 0 { *digits } else { None };
                self.last = Last::Base;
                true
            }
            AtomKind::Word(numeral) => self.push_word(*numeral),
        };
        if accepted {
            self.end = atom.span.end;
            self.atoms += 1;
            if self.atoms > 1 {
                self.digits = None;
            }
        }
        accepted
    }

    fn push_word(&mut self, numeral: Numeral) -> bool {
        let value = numeral.value;
        match numeral.role {
            Role::Cardinal { soft } => {
                let after_tens = self.last == Last::Tens && value < 10.0;
                if !(after_tens || self.takes_base(value)) {
                    return false;
                }
                self.add_base(value);
                self.required |= !soft;
                self.last = Last::Base;
            }
            Role::Tens => {
                if !self.takes_base(value) {
                    return false;
                }
                self.add_base(value);
                self.required = true;
                self.last = Last::Tens;
            }
            Role::Scale { alone } => match self.last {
                Last::Nothing => match alone {
                    Alone::Never => return false,
                    Alone::Required | Alone::Soft => {
                        self.required = alone == Alone::Required;
                        self.apply_scale(value);
                    }
                },
                Last::Base | Last::Tens | Last::Article | Last::Modifier | Last::Scale
                    if self.takes_scale(value) =>
                {
                    self.required = true;
                    self.apply_scale(value);
                }
                _ => return false,
            },
            Role::Modifier => {
                if self.last != Last::Nothing {
                    return false;
                }
                self.modifier = value;
                self.last = Last::Modifier;
            }
            Role::Article => {
                if self.last != Last::Nothing {
                    return false;
                }
                self.last = Last::Article;
            }
            Role::Soft => {
                if self.last != Last::Nothing {
                    return false;
                }
                self.values.push(Value::Number(value));
                self.last = Last::Closed;
            }
        }
        true
    }

    /// Whether a cardinal of `value` may come next: at the start, after साढ़े/सवा/पौने, or after a
    /// larger scale (दो लाख पचास, पांच सौ दस).
    fn takes_base(&self, value: f64) -> bool {
        match self.last {
            Last::Nothing | Last::Modifier => true,
            Last::Scale => match (self.current, self.scale) {
                (None, Some(scale)) => value < scale,
                (Some(_), Some(scale)) => scale == 100.0 && value < 100.0,
                _ => false,
            },
            _ => false,
        }
    }

    fn add_base(&mut self, value: f64) {
        let modifier = std::mem::take(&mut self.modifier);
        let base = if self.last == Last::Modifier { value + modifier } else { value };
        self.current = Some(self.current.unwrap_or(0.0) + base);
    }

    /// Whether a scale word may come next: not one that undoes the order of the scales before it
    /// (दो लाख पचास करोड़ is two numbers).
    fn takes_scale(&self, scale: f64) -> bool {
        match (self.last, self.big_scale) {
            (Last::Base | Last::Tens, Some(big)) => scale < big,
            (Last::Scale, _) => scale > self.scale.unwrap_or(0.0),
            _ => true,
        }
    }

    fn apply_scale(&mut self, scale: f64) {
        let modifier = if self.last == Last::Modifier { std::mem::take(&mut self.modifier) } else { 0.0 };
        let count = self.current.take();
        if scale < 1000.0 {
            // सौ, dozen: multiply the count so far (पांच सौ); a thousand or more may follow.
            self.current = Some((count.unwrap_or(1.0) + modifier) * scale);
        } else if self.last == Last::Scale && count.is_none() && self.total > 0.0 {
            // "लाख करोड़": a larger scale multiplies everything so far.
            self.total *= scale;
            self.big_scale = Some(scale);
        } else {
            // सवा लाख = 1.25 lakh: a modifier straight before a scale counts one of it.
            self.total += (count.unwrap_or(1.0) + modifier) * scale;
            self.big_scale = Some(scale);
        }
        self.scale = Some(scale);
        self.last = Last::Scale;
    }

    fn finish(self) -> Option<Quantity> {
        let values = match self.last {
            Last::Nothing | Last::Article | Last::Modifier => return None,
            Last::Closed => self.values,
            _ => {
                let value = self.total + self.current.unwrap_or(0.0);
                self.suffix_scales.iter().map(|s| Value::Number(value * s)).collect()
            }
        };
        Some(Quantity {
            span: self.start..self.end,
            values,
            required: self.required,
            scale: self.scale.filter(|&s| s >= 100.0),
            digits: self.digits,
        })
    }
}

/// Readings that depend on neighbours: "20-25 लाख" (both ends in lakh), "1995-96" (96 = 1996),
/// "'90s" (1990s).
fn add_range_readings(text: &str, quantities: &mut [Quantity]) {
    for i in 1..quantities.len() {
        let (before, after) = quantities.split_at_mut(i);
        let (a, b) = (&mut before[i - 1], &mut after[0]);
        let gap = text.get(a.span.end..b.span.start).unwrap_or("").trim();
        let range_word = matches!(gap, "-" | "–" | "—" | "to" | "or" | "से" | "या" | "और" | "and");
        if range_word && a.scale.is_none() {
            if let (Some(scale), [Value::Number(x)]) = (b.scale, a.values.as_slice()) {
                let scaled = Value::Number(x * scale);
                a.values.push(scaled);
            }
        }
        let dash = matches!(gap, "-" | "–" | "—" | "/");
        if let (true, Some(4), Some(2), [Value::Number(year)], [Value::Number(short)]) =
            (dash, a.digits, b.digits, a.values.as_slice(), b.values.as_slice())
        {
            let (year, short) = (*year, *short);
            let century = (year / 100.0).floor() * 100.0;
            let full = if century + short < year { century + 100.0 + short } else { century + short };
            b.values.push(Value::Number(full));
        }
    }
    for quantity in quantities.iter_mut() {
        let apostrophe = matches!(char_before(text, quantity.span.start), Some('\'' | '’'));
        if let (true, Some(2), [Value::Number(short)]) =
            (apostrophe, quantity.digits, quantity.values.as_slice())
        {
            let short = *short;
            quantity.values.extend([Value::Number(1900.0 + short), Value::Number(2000.0 + short)]);
        }
    }
}

/// The number tokens of `text`: digit runs and number words, in order.
fn atoms(text: &str) -> Vec<Atom> {
    let mut atoms = Vec::new();
    let mut words = words(text).peekable();
    let mut at = 0;
    while at < text.len() {
        let Some(c) = char_at(text, at) else { break };
        if digit_value(c).is_some() {
            let end = digit_run_end(text, at);
            // Digits glued to letters before them belong to a code (A1GP, MH370, G20): the verbatim
            // check's business.
            if !char_before(text, at).is_some_and(is_word_char) {
                read_digit_run(text, at..end, &mut atoms);
            }
            // Letters glued after the digits ("bn" of "2.8bn", "th" of "60th") were read with them.
            at = end + glued_suffix(text, end).len();
            continue;
        }
        if is_word_char(c) {
            // The word starting here (words() yields them in order).
            while words.peek().is_some_and(|(span, _)| span.start < at) {
                words.next();
            }
            match words.next() {
                Some((span, word)) => {
                    if let Some(numeral) = numerals::lookup(word).filter(|_| !is_verb_do(text, &span, word)) {
                        atoms.push(Atom { span: span.clone(), kind: AtomKind::Word(numeral) });
                    }
                    at = span.end;
                }
                None => at += c.len_utf8(),
            }
            continue;
        }
        at += c.len_utf8();
    }
    atoms
}

/// दो is also the verb "give" (मुझे दो, जाने दो): at the end of a clause, or after an infinitive
/// (जाने, करने; not the ergative ने of उन्होंने दो, राम ने दो).
fn is_verb_do(text: &str, span: &Range<usize>, word: &str) -> bool {
    const ERGATIVE: &[&str] = &[
        "ने",
        "उन्होंने",
        "इन्होंने",
        "जिन्होंने",
        "किन्होंने",
        "उसने",
        "इसने",
        "जिसने",
        "किसने",
        "मैंने",
        "हमने",
        "तुमने",
        "आपने",
        "सबने",
    ];
    if word != "दो" {
        return false;
    }
    let next = text[span.end..].trim_start().chars().next();
    let clause_ends = next.is_none_or(|c| "।॥.!?,;:\"'”’)".contains(c));
    let previous = text[..span.start].trim_end();
    let previous_word =
        normalize_devanagari(previous.rsplit(|c: char| !is_word_char(c)).next().unwrap_or(""));
    let infinitive = previous_word.ends_with("ने") && !ERGATIVE.contains(&previous_word.as_str());
    clause_ends || infinitive
}

/// End of the run of digits starting at `start`, with `,` `.` `:` taken in when a digit follows them.
fn digit_run_end(text: &str, start: usize) -> usize {
    let mut end = start;
    let mut chars = text[start..].char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        if digit_value(c).is_some() {
            end = start + offset + c.len_utf8();
        } else if matches!(c, ',' | '.' | ':')
            && chars.peek().is_some_and(|&(_, next)| digit_value(next).is_some())
        {
            continue;
        } else {
            break;
        }
    }
    end
}

/// Reads the digit run `span` ("1,50,000", "12.8", "9:30", "24.09.2020") into one or more atoms.
fn read_digit_run(text: &str, span: Range<usize>, atoms: &mut Vec<Atom>) {
    // Groups of digits and the separators between them.
    let mut groups: Vec<(Range<usize>, String)> = Vec::new();
    let mut separators: Vec<char> = Vec::new();
    let mut digits = String::new();
    let mut group_start = span.start;
    for (offset, c) in text[span.clone()].char_indices() {
        let at = span.start + offset;
        match digit_value(c) {
            Some(d) => digits.push(char::from_digit(d, 10).unwrap_or('0')),
            None => {
                groups.push((group_start..at, std::mem::take(&mut digits)));
                separators.push(c);
                group_start = at + c.len_utf8();
            }
        }
    }
    groups.push((group_start..span.end, digits));
    let suffix = glued_suffix(text, span.end);
    let scales = numerals::digit_suffix_scales(suffix).unwrap_or(&[1.0]);
    let integer = |digits: &str| digits.parse::<f64>().unwrap_or(0.0);
    let whole = |value: f64, digits: Option<usize>| Atom {
        span: span.clone(),
        kind: AtomKind::Digits { value, scales, digits },
    };

    let commas = separators.iter().take_while(|&&s| s == ',').count();
    let rest = &separators[commas..];
    let grouped = commas == 0 || valid_grouping(&groups[..=commas]);
    if grouped && rest.is_empty() {
        let joined: String = groups.iter().map(|(_, d)| d.as_str()).collect();
        let digits = (commas == 0).then_some(joined.len());
        atoms.push(whole(integer(&joined), digits));
        return;
    }
    if grouped && rest == ['.'] {
        let joined: String = groups[..=commas].iter().map(|(_, d)| d.as_str()).collect();
        let value = format!("{joined}.{}", groups[commas + 1].1).parse::<f64>().unwrap_or(0.0);
        atoms.push(whole(value, None));
        return;
    }
    if separators == [':'] && groups[0].1.len() <= 2 && groups[1].1.len() == 2 {
        let (h, m) = (integer(&groups[0].1) as u32, integer(&groups[1].1) as u32);
        if h <= 24 && m < 60 {
            atoms.push(Atom { span: span.clone(), kind: AtomKind::Time(h, m) });
            return;
        }
    }
    // Anything else (lists, dates, ratios, codes): each group a number of its own.
    for (range, digits) in groups {
        let count = Some(digits.len());
        atoms.push(Atom {
            span: range,
            kind: AtomKind::Digits { value: integer(&digits), scales: &[1.0], digits: count },
        });
    }
}

/// Western (1,234,567) or Indian (12,34,567) digit grouping.
fn valid_grouping(groups: &[(Range<usize>, String)]) -> bool {
    let Some(((_, first), rest)) = groups.split_first() else { return false };
    let Some(((_, last), middle)) = rest.split_last() else { return true };
    (1..=3).contains(&first.len())
        && last.len() == 3
        && (middle.iter().all(|(_, d)| d.len() == 3) || middle.iter().all(|(_, d)| d.len() == 2))
}

/// Letters glued right after digits ("m" of "$5m", "th" of "60th"), when followed by a word boundary.
fn glued_suffix(text: &str, at: usize) -> &str {
    let tail = &text[at..];
    let end = tail.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(tail.len());
    if tail[end..].chars().next().is_some_and(|c| is_word_char(c) || c.is_numeric()) {
        return "";
    }
    &tail[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str) -> Vec<f64> {
        quantities(text)
            .into_iter()
            .filter_map(|q| match q.values.first() {
                Some(Value::Number(v)) => Some(*v),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn digits_with_indian_and_western_grouping() {
        assert_eq!(numbers("1,50,000 और 150,000 और 1,234,567"), [150000.0, 150000.0, 1234567.0]);
        assert_eq!(numbers("१,५०,०००"), [150000.0]);
        assert_eq!(numbers("12.8 किमी"), [12.8]);
        // Not a grouping: three numbers.
        assert_eq!(numbers("1,2,3"), [1.0, 2.0, 3.0]);
        // Sentence-final period is not a decimal point.
        assert_eq!(numbers("in 1950."), [1950.0]);
    }

    #[test]
    fn scales_multiply_in_both_languages() {
        assert_eq!(numbers("1.5 लाख"), [150000.0]);
        assert_eq!(numbers("12 लाख"), [1.2e6]);
        assert_eq!(numbers("1.2 million"), [1.2e6]);
        assert_eq!(numbers("दो हज़ार पाँच सौ"), [2500.0]);
        assert_eq!(numbers("दो लाख पचास हजार"), [250000.0]);
        assert_eq!(numbers("1.5 लाख करोड़"), [1.5e12]);
        assert_eq!(numbers("three hundred and five"), [305.0]);
        assert_eq!(numbers("twenty-five thousand"), [25000.0]);
        assert_eq!(numbers("a million"), [1e6]);
        assert_eq!(numbers("two dozen"), [24.0]);
        assert_eq!(numbers("साढ़े तीन सौ"), [350.0]);
        assert_eq!(numbers("सवा लाख"), [125000.0]);
        assert_eq!(numbers("ढाई"), [2.5]);
        assert_eq!(numbers("$2.8bn"), [2.8e9]);
    }

    #[test]
    fn separate_numbers_stay_separate() {
        assert_eq!(numbers("दो-तीन दिन"), [2.0, 3.0]);
        // Approximate counts in words are soft; digit ranges stay exact.
        assert!(quantities("दो-चार दिन").iter().all(|q| !q.required));
        assert!(quantities("7-2 का रिकॉर्ड").iter().all(|q| q.required));
        assert_eq!(numbers("5-3 की जीत"), [5.0, 3.0]);
        assert_eq!(numbers("2 goals and 2 assists"), [2.0, 2.0]);
    }

    #[test]
    fn codes_arabs_and_the_verb_give_are_not_numbers() {
        assert!(numbers("A1GP और MH370").is_empty());
        assert!(numbers("सऊदी अरब").is_empty());
        assert!(numbers("मुझे दो।").is_empty());
        assert!(numbers("जाने दो").is_empty());
        assert_eq!(numbers("उन्होंने दो गोल किए"), [2.0]);
        assert_eq!(numbers("दो लोग"), [2.0]);
    }
}
