//! Measures `anuvad::checks` on real translations: (a) how many of the 997 FLORES-200 dev human
//! translations (correct pairs) get flagged, per kind; (b) how many corrupted copies of them are caught,
//! per kind of corruption. Also prints the length-ratio distribution the length check's range was
//! fitted on.
//!
//! ```sh
//! cargo run --release --example eval_checks                # tables
//! cargo run --release --example eval_checks -- --show 20   # also up to 20 examples of each miss
//! ```
//!
//! The pairs are split by position: even lines ("tune", what rules and thresholds were looked at while
//! building the checks) and odd lines ("held out"); both halves are reported.
//!
//! Corruptions are made on the English side with code of their own (not the checks' parser), from a
//! fixed seed, only where the pair has what the corruption needs (a number, a Latin token ...). A
//! corruption counts as caught when the corrupted pair has more findings of the expected kind than the
//! correct pair had (for a truncated translation, findings of any kind).

use std::collections::BTreeMap;

use anuvad::checks::{check, Finding, FindingKind};

const PAIRS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/quality/flores_dev_pairs.jsonl");

struct Pair {
    id: String,
    source: String,
    translation: String,
}

fn main() {
    let show: usize =
        std::env::args().skip_while(|a| a != "--show").nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
    let pairs = read_pairs();
    let halves: [(&str, Vec<&Pair>); 3] = [
        ("tune (even lines)", pairs.iter().step_by(2).collect()),
        ("held out (odd lines)", pairs.iter().skip(1).step_by(2).collect()),
        ("all", pairs.iter().collect()),
    ];

    println!("## Length ratio of the correct pairs (non-space characters + smoothing)\n");
    for (name, half) in &halves {
        length_distribution(name, half);
    }

    println!("\n## (a) Correct pairs flagged (false alarms)\n");
    println!("| pairs | n | flagged | number | verbatim | loop | length | untranslated | empty |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, half) in &halves {
        false_alarms(name, half, if *name == "all" { show } else { 0 });
    }

    println!("\n## (b) Corrupted pairs caught (recall), by the expected kind\n");
    println!("| corruption | expected kind | tune: caught / made | held out: caught / made | all | recall |");
    println!("|---|---|---|---|---|---|");
    let mut misses: BTreeMap<&str, Vec<(String, String, String)>> = BTreeMap::new();
    for corruption in CORRUPTIONS {
        let mut counts = [(0usize, 0usize); 2];
        for (index, pair) in pairs.iter().enumerate() {
            let mut rng = Rng::new(index as u64 * 1_000_003 + corruption.name.len() as u64 * 7919 + 17);
            let Some(made) = (corruption.make)(pair, &mut rng) else { continue };
            let (source, translation) = (made.source, made.corrupted);
            let before = count_kind(&check(&source, &made.correct), corruption.kind);
            let after = count_kind(&check(&source, &translation), corruption.kind);
            let half = &mut counts[index % 2];
            half.1 += 1;
            if after > before {
                half.0 += 1;
            } else {
                misses.entry(corruption.name).or_default().push((pair.id.clone(), source, translation));
            }
        }
        let (caught, made) = (counts[0].0 + counts[1].0, counts[0].1 + counts[1].1);
        println!(
            "| {} | {} | {} / {} | {} / {} | {caught} / {made} | {:.1}% |",
            corruption.name,
            corruption.kind.map_or("any".to_string(), |k| k.to_string()),
            counts[0].0,
            counts[0].1,
            counts[1].0,
            counts[1].1,
            100.0 * caught as f64 / made.max(1) as f64
        );
    }
    if show > 0 {
        for (name, missed) in &misses {
            println!("\n### missed: {name}\n");
            for (id, source, translation) in missed.iter().take(show) {
                println!("- {id}\n  - {source}\n  - {translation}");
            }
        }
    }
}

fn read_pairs() -> Vec<Pair> {
    let text = std::fs::read_to_string(PAIRS).unwrap_or_else(|e| panic!("{PAIRS}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("a JSON record");
            let field = |name: &str| value[name].as_str().unwrap_or_default().to_string();
            Pair { id: field("id"), source: field("source"), translation: field("translation") }
        })
        .collect()
}

fn count_kind(findings: &[Finding], kind: Option<FindingKind>) -> usize {
    findings.iter().filter(|f| kind.is_none_or(|k| f.kind == k)).count()
}

fn length_distribution(name: &str, pairs: &[&Pair]) {
    let count = |text: &str| text.chars().filter(|c| !c.is_whitespace()).count() as f64;
    let mut ratios: Vec<f64> =
        pairs.iter().map(|p| (count(&p.translation) + 10.0) / (count(&p.source) + 10.0)).collect();
    ratios.sort_by(f64::total_cmp);
    let quantile = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
    let logs: Vec<f64> = ratios.iter().map(|r| r.ln()).collect();
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    let sd = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / logs.len() as f64).sqrt();
    println!(
        "- {name}: min {:.3}, 0.5% {:.3}, median {:.3}, 99.5% {:.3}, max {:.3}; log mean {mean:.3}, sd {sd:.3} \
         (mean ± 5 sd: {:.3}..{:.3})",
        ratios[0],
        quantile(0.005),
        quantile(0.5),
        quantile(0.995),
        ratios[ratios.len() - 1],
        (mean - 5.0 * sd).exp(),
        (mean + 5.0 * sd).exp()
    );
}

fn false_alarms(name: &str, pairs: &[&Pair], show: usize) {
    let mut flagged = 0;
    let mut per_kind = [0usize; FindingKind::ALL.len()];
    let mut shown = Vec::new();
    for pair in pairs {
        let findings = check(&pair.source, &pair.translation);
        if findings.is_empty() {
            continue;
        }
        flagged += 1;
        for (i, kind) in FindingKind::ALL.iter().enumerate() {
            if findings.iter().any(|f| f.kind == *kind) {
                per_kind[i] += 1;
            }
        }
        if shown.len() < show {
            shown.push((pair, findings));
        }
    }
    let share = |n: usize| format!("{n} ({:.1}%)", 100.0 * n as f64 / pairs.len() as f64);
    let cells: Vec<String> = per_kind.iter().map(|&n| share(n)).collect();
    println!("| {name} | {} | {} | {} |", pairs.len(), share(flagged), cells.join(" | "));
    for (pair, findings) in shown {
        println!("\n- {}: {}\n  - {}", pair.id, pair.source, pair.translation);
        for finding in findings {
            println!("  - {}: {}", finding.kind, finding.message);
        }
    }
}

/// A way to corrupt a correct pair, and the kind of finding that should catch it (`None`: any).
struct Corruption {
    name: &'static str,
    kind: Option<FindingKind>,
    make: fn(&Pair, &mut Rng) -> Option<Made>,
}

/// A corrupted pair: the source, its correct translation, and the corrupted one.
struct Made {
    source: String,
    correct: String,
    corrupted: String,
}

impl Made {
    fn of(pair: &Pair, corrupted: String) -> Self {
        Made { source: pair.source.clone(), correct: pair.translation.clone(), corrupted }
    }
}

const CORRUPTIONS: &[Corruption] = &[
    Corruption { name: "digits: value changed", kind: Some(FindingKind::Number), make: change_digits },
    Corruption {
        name: "words: value changed (two → three)",
        kind: Some(FindingKind::Number),
        make: change_number_word,
    },
    Corruption {
        name: "scale changed (million → billion)",
        kind: Some(FindingKind::Number),
        make: change_scale,
    },
    Corruption { name: "number dropped", kind: Some(FindingKind::Number), make: drop_number },
    Corruption { name: "Latin token dropped", kind: Some(FindingKind::Verbatim), make: drop_token },
    Corruption { name: "Latin token mangled", kind: Some(FindingKind::Verbatim), make: mangle_token },
    Corruption {
        name: "link dropped (URL, e-mail, @, #)",
        kind: Some(FindingKind::Verbatim),
        make: drop_link,
    },
    Corruption { name: "link mangled", kind: Some(FindingKind::Verbatim), make: mangle_link },
    Corruption { name: "loop injected", kind: Some(FindingKind::Loop), make: inject_loop },
    Corruption {
        name: "left untranslated (source copied)",
        kind: Some(FindingKind::Untranslated),
        make: untranslated,
    },
    Corruption {
        name: "half left untranslated",
        kind: Some(FindingKind::Untranslated),
        make: half_untranslated,
    },
    Corruption { name: "empty", kind: Some(FindingKind::Empty), make: empty },
    Corruption { name: "truncated to half (informative)", kind: None, make: truncate },
];

/// splitmix64: a fixed sequence per seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// Digit numbers of an English text (with `,` `.` `:` between digits: 1,500 2.5 9:30), not those
/// of codes (digits glued to letters before them: KV62, CG4684, A1GP): byte ranges.
fn digit_numbers(text: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() {
            // Skip the whole run of letters and digits.
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
        } else if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_digit()
                    || (matches!(bytes[i], b',' | b'.' | b':')
                        && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)))
            {
                i += 1;
            }
            found.push(start..i);
        } else {
            i += 1;
        }
    }
    found
}

/// What a digit number says, for telling whether a change changed it: its digits without grouping
/// commas, a decimal part without trailing zeros.
fn digit_value(number: &str) -> String {
    let plain = number.replace(',', "");
    match plain.split_once('.') {
        Some((whole, fraction)) => format!("{whole}.{}", fraction.trim_end_matches('0')),
        None => plain,
    }
}

const NUMBER_WORDS: &[&str] = &[
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
    "twenty", "thirty", "forty", "fifty", "sixty", "hundred", "thousand", "million", "billion", "dozen",
];

/// Whole English words of `text` from `list` (any case): byte ranges.
fn english_words(text: &str, list: &[&str]) -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        if c.is_ascii_alphabetic() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            if list.iter().any(|w| w.eq_ignore_ascii_case(&text[s..i])) {
                found.push(s..i);
            }
        }
    }
    found
}

fn replace(text: &str, range: std::ops::Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &text[..range.start], &text[range.end..])
}

fn change_digits(pair: &Pair, rng: &mut Rng) -> Option<Made> {
    let t = &pair.translation;
    let range = rng.pick(&digit_numbers(t))?.clone();
    let number = &t[range.clone()];
    let digits: Vec<usize> =
        number.char_indices().filter(|(_, c)| c.is_ascii_digit()).map(|(i, _)| i).collect();
    let changed = match rng.below(3) {
        // One digit changed.
        0 => {
            let at = *rng.pick(&digits)?;
            let old = number.as_bytes()[at] - b'0';
            let new = (old + 1 + rng.below(9) as u8) % 10;
            let new = if at == 0 && new == 0 { (old + 1) % 10 } else { new };
            format!("{}{}{}", &number[..at], new, &number[at + 1..])
        }
        // A zero added or (where there is one) taken away: 1,50,000 -> 15,000.
        1 if number.ends_with('0') && number.len() > 1 => {
            number[..number.len() - 1].trim_end_matches(',').to_string()
        }
        _ => format!("{number}0"),
    };
    (digit_value(&changed) != digit_value(number)).then(|| Made::of(pair, replace(t, range, &changed)))
}

fn change_number_word(pair: &Pair, rng: &mut Rng) -> Option<Made> {
    let small = &NUMBER_WORDS[..17];
    let t = &pair.translation;
    let range = rng.pick(&english_words(t, small))?.clone();
    let old = t[range.clone()].to_ascii_lowercase();
    let others: Vec<&&str> = small.iter().filter(|w| **w != old).collect();
    let mut new = others[rng.below(others.len())].to_string();
    if t[range.clone()].starts_with(|c: char| c.is_ascii_uppercase()) {
        new = new[..1].to_ascii_uppercase() + &new[1..];
    }
    Some(Made::of(pair, replace(t, range, &new)))
}

fn change_scale(pair: &Pair, rng: &mut Rng) -> Option<Made> {
    const SWAPS: &[(&str, &str)] = &[
        ("million", "billion"),
        ("billion", "million"),
        ("thousand", "million"),
        ("hundred", "thousand"),
        ("lakh", "crore"),
        ("crore", "lakh"),
        ("trillion", "billion"),
    ];
    let t = &pair.translation;
    let scales: Vec<&str> = SWAPS.iter().map(|(from, _)| *from).collect();
    let range = rng.pick(&english_words(t, &scales))?.clone();
    let old = t[range.clone()].to_ascii_lowercase();
    let new = SWAPS.iter().find(|(from, _)| *from == old)?.1;
    Some(Made::of(pair, replace(t, range, new)))
}

fn drop_number(pair: &Pair, rng: &mut Rng) -> Option<Made> {
    let t = &pair.translation;
    let mut numbers = digit_numbers(t);
    numbers.extend(english_words(t, &NUMBER_WORDS[..17]));
    let range = rng.pick(&numbers)?.clone();
    // Take a following space too.
    let end = if t[range.end..].starts_with(' ') { range.end + 1 } else { range.end };
    Some(Made::of(pair, replace(t, range.start..end, "")))
}

/// Latin tokens of the source (3 characters or more) that the translation has as they are.
fn shared_tokens(pair: &Pair) -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    let s = &pair.source;
    let mut start = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        if c.is_ascii_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(b) = start.take() {
            let token = &s[b..i];
            let letters = token.chars().filter(char::is_ascii_alphabetic).count();
            if letters >= 2 && token.len() >= 3 {
                if let Some(at) = pair.translation.find(token) {
                    found.push(at..at + token.len());
                }
            }
        }
    }
    found
}

fn drop_token(pair: &Pair, rng: &mut Rng) -> Option<Made> {
    let t = &pair.translation;
    let range = rng.pick(&shared_tokens(pair))?.clone();
    let token = &t[range.clone()];
    // Dropping a token that occurs twice drops both.
    Some(Made::of(pair, t.replace(token, "")))
}

/// A changed copy of `token`: a letter replaced, a character dropped or doubled, two swapped, or a
/// space inserted.
fn mangle(token: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = token.chars().collect();
    for _ in 0..10 {
        let at = rng.below(chars.len());
        let mut out = chars.clone();
        match rng.below(5) {
            0 => {
                let c = out[at];
                out[at] = if c.is_ascii_digit() {
                    char::from(b'0' + ((c as u8 - b'0' + 1 + rng.below(9) as u8) % 10))
                } else {
                    char::from(b'a' + rng.below(26) as u8)
                };
            }
            1 if out.len() > 2 => {
                out.remove(at);
            }
            2 => out.insert(at, out[at]),
            3 if at + 1 < out.len() => out.swap(at, at + 1),
            _ if at > 0 => out.insert(at, ' '),
            _ => continue,
        }
        let mangled: String = out.into_iter().collect();
        if !mangled.eq_ignore_ascii_case(token) {
            return mangled;
        }
    }
    format!("{token}x")
}

fn mangle_token(pair: &Pair, rng: &mut Rng) -> Option<Made> {
    let t = &pair.translation;
    let range = rng.pick(&shared_tokens(pair))?.clone();
    let token = t[range.clone()].to_string();
    let mangled = mangle(&token, rng);
    Some(Made::of(pair, t.replace(&token, &mangled)))
}

/// The pair with a link (URL, e-mail address, handle or hashtag, by `which`) added to both sides.
fn with_link(pair: &Pair, which: usize) -> (String, String, String) {
    let number = pair.id.trim_start_matches(|c: char| !c.is_ascii_digit());
    let links = [
        format!("https://www.example-news.in/national/story-{number}.html"),
        format!("desk{number}@example.org"),
        format!("@Reporter_{number}"),
        format!("#Story{number}"),
        format!("http://example.com/a/{number}?ref=home"),
    ];
    let link = links[which % links.len()].clone();
    (format!("{} ({link})", pair.source), format!("{} ({link})", pair.translation), link)
}

fn drop_link(pair: &Pair, rng: &mut Rng) -> Option<Made> {
    let (source, translation, link) = with_link(pair, rng.below(5));
    let corrupted = translation.replace(&format!(" ({link})"), "");
    Some(Made { source, correct: translation, corrupted })
}

fn mangle_link(pair: &Pair, rng: &mut Rng) -> Option<Made> {
    let (source, translation, link) = with_link(pair, rng.below(5));
    let mangled = match rng.below(3) {
        // What translation models do to links: spaces after punctuation, a changed character.
        0 if link.contains("://") => link.replacen("://", ": //", 1),
        0 if link.starts_with(['#', '@']) => format!("{} {}", &link[..1], &link[1..]),
        0 => link.replacen('.', ". ", 1).replacen('@', " @ ", 1),
        _ => mangle(&link, rng),
    };
    let corrupted = translation.replace(&link, &mangled);
    Some(Made { source, correct: translation, corrupted })
}

fn inject_loop(pair: &Pair, rng: &mut Rng) -> Option<Made> {
    let words: Vec<&str> = pair.translation.split_whitespace().collect();
    if words.len() < 4 {
        return None;
    }
    let n = 1 + rng.below(4);
    let times = if n <= 2 { 3 + rng.below(4) } else { 2 + rng.below(3) };
    // Either somewhere inside, or the tail running on (as decoders do).
    let at = if rng.below(2) == 0 { rng.below(words.len() - n + 1) } else { words.len() - n };
    let mut out: Vec<&str> = words[..at + n].to_vec();
    for _ in 1..times {
        out.extend_from_slice(&words[at..at + n]);
    }
    out.extend_from_slice(&words[at + n..]);
    Some(Made::of(pair, out.join(" ")))
}

fn untranslated(pair: &Pair, _: &mut Rng) -> Option<Made> {
    Some(Made::of(pair, pair.source.clone()))
}

fn half_untranslated(pair: &Pair, _: &mut Rng) -> Option<Made> {
    let english: Vec<&str> = pair.translation.split_whitespace().collect();
    let hindi: Vec<&str> = pair.source.split_whitespace().collect();
    let mut out: Vec<&str> = english[..english.len() / 2].to_vec();
    out.extend_from_slice(&hindi[hindi.len() / 2..]);
    Some(Made::of(pair, out.join(" ")))
}

fn empty(pair: &Pair, _: &mut Rng) -> Option<Made> {
    Some(Made::of(pair, String::new()))
}

fn truncate(pair: &Pair, _: &mut Rng) -> Option<Made> {
    let words: Vec<&str> = pair.translation.split_whitespace().collect();
    Some(Made::of(pair, words[..words.len() / 2].join(" ")))
}
