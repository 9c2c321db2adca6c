//! Numbers: every number of the source must be in the translation with the same value, and every
//! number the translation states must come from the source.
//!
//! Both sides are read into quantities (a span and the values it may mean): digits in either script
//! with Indian or Western grouping (1,50,000 and 150,000), decimals, times (9:30), "m"/"bn" suffixes,
//! and number words of Hindi and English with their scales (1.5 लाख, दो हज़ार पाँच सौ, ten million,
//! a dozen). Values are compared, not spellings, so 12 लाख = 1.2 million = 1,200,000.
//!
//! Some number words are *soft*: एक and "one" are also articles, and ordinals (पहला, first),
//! fractions (आधा, half) and collectives (दोनों, both) are translated loosely. A soft quantity may
//! explain a number on the other side but is never required there.

use super::quantities::{quantities, Quantity, Value};
use super::text::excerpt;
use super::{Finding, FindingKind};

/// Checks the numbers of `source` against those of `translation`.
pub(super) fn check(source: &str, translation: &str) -> Vec<Finding> {
    let from = quantities(source);
    let to = quantities(translation);

    // Each required source number needs its own translation number (two 2s need two 2s).
    let required: Vec<usize> = (0..from.len()).filter(|&i| from[i].required).collect();
    let assigned = match_all(&required, &from, &to);
    let missing: Vec<&Quantity> =
        required.iter().zip(&assigned).filter(|(_, a)| a.is_none()).map(|(&i, _)| &from[i]).collect();
    // A number the translation states must come from the source (any number of times).
    let extra: Vec<&Quantity> =
        to.iter().filter(|t| t.required && !from.iter().any(|f| matches(f, t))).collect();

    let mut findings = Vec::new();
    // One missing and one extra number: most likely the same number with another value.
    if missing.len() == extra.len() {
        for (lost, stated) in missing.iter().zip(&extra) {
            let message =
                format!("{} is {} in the translation", describe(source, lost), describe(translation, stated));
            findings.push(
                Finding::new(FindingKind::Number, lost.span.clone(), message)
                    .in_translation(stated.span.clone()),
            );
        }
        return findings;
    }
    for lost in missing {
        let message = format!("{} is not in the translation", describe(source, lost));
        findings.push(Finding::new(FindingKind::Number, lost.span.clone(), message));
    }
    for stated in extra {
        let message = format!("{} in the translation is not in the source", describe(translation, stated));
        findings.push(
            Finding::new(FindingKind::Number, 0..source.len(), message).in_translation(stated.span.clone()),
        );
    }
    findings
}

/// "1,50,000 (150000)": the text, and its value when that is spelled differently.
fn describe(text: &str, quantity: &Quantity) -> String {
    let written = excerpt(&text[quantity.span.clone()], 40);
    let value = match quantity.values.first() {
        Some(Value::Number(v)) => format_number(*v),
        Some(Value::Time(h, m)) => format!("{h}:{m:02}"),
        None => String::new(),
    };
    if value.is_empty() || value == written {
        format!("“{written}”")
    } else {
        format!("“{written}” ({value})")
    }
}

fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        let text = format!("{value:.6}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn same_value(a: Value, b: Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => close(x, y),
        (Value::Time(h1, m1), Value::Time(h2, m2)) => m1 == m2 && h1 % 12 == h2 % 12,
        (Value::Time(h, m), Value::Number(y)) | (Value::Number(y), Value::Time(h, m)) => {
            let (h, m) = (f64::from(h), f64::from(m));
            // 11:00 = 11 am = 11 o'clock; 9:30 = 9.30 = साढ़े नौ (9.5); 17:00 = 5 pm.
            (m == 0.0 && (close(y, h) || close(y, h % 12.0)))
                || close(y, h + m / 60.0)
                || close(y, h + m / 100.0)
                || close(y, h % 12.0 + m / 60.0)
                || close(y, h % 12.0 + m / 100.0)
        }
    }
}

fn close(x: f64, y: f64) -> bool {
    (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
}

/// A maximum matching of the required source quantities onto translation quantities (Kuhn's
/// augmenting paths): for each required source quantity, the translation quantity it got, if any.
fn match_all(required: &[usize], from: &[Quantity], to: &[Quantity]) -> Vec<Option<usize>> {
    let edges: Vec<Vec<usize>> =
        required.iter().map(|&i| (0..to.len()).filter(|&j| matches(&from[i], &to[j])).collect()).collect();
    let mut owner: Vec<Option<usize>> = vec![None; to.len()];
    for left in 0..required.len() {
        let mut seen = vec![false; to.len()];
        augment(left, &edges, &mut owner, &mut seen);
    }
    let mut assigned = vec![None; required.len()];
    for (right, left) in owner.iter().enumerate() {
        if let Some(left) = left {
            assigned[*left] = Some(right);
        }
    }
    assigned
}

fn augment(left: usize, edges: &[Vec<usize>], owner: &mut [Option<usize>], seen: &mut [bool]) -> bool {
    for &right in &edges[left] {
        if seen[right] {
            continue;
        }
        seen[right] = true;
        if owner[right].is_none_or(|other| augment(other, edges, owner, seen)) {
            owner[right] = Some(left);
            return true;
        }
    }
    false
}

/// Whether two quantities may mean the same value.
fn matches(a: &Quantity, b: &Quantity) -> bool {
    a.values.iter().any(|x| b.values.iter().any(|y| same_value(*x, *y)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<Vec<Value>> {
        quantities(text).into_iter().map(|q| q.values).collect()
    }

    fn kinds(source: &str, translation: &str) -> usize {
        check(source, translation).len()
    }

    #[test]
    fn times_and_their_english_forms() {
        assert_eq!(values("9:30 बजे"), [[Value::Time(9, 30)]]);
        assert_eq!(kinds("9:30 बजे", "at 9:30 am"), 0);
        assert_eq!(kinds("9:30 बजे", "at 9.30am"), 0);
        assert_eq!(kinds("11:00 बजे", "at 11 am"), 0);
        assert_eq!(kinds("17:00 बजे", "at 5 pm"), 0);
        assert_eq!(kinds("साढ़े नौ बजे", "at 9:30"), 0);
        assert_eq!(kinds("9:30 बजे", "at 10:30"), 1);
    }

    #[test]
    fn year_ranges_and_decades() {
        assert_eq!(kinds("1995-96 से", "since 1995–1996"), 0);
        assert_eq!(kinds("90 के दशक", "the '90s"), 0);
        assert_eq!(kinds("20-25 लाख लोग", "2-2.5 million people"), 0);
    }

    #[test]
    fn same_values_in_other_words_pass() {
        assert_eq!(kinds("12 लाख हस्ताक्षर", "1.2 million signatures"), 0);
        assert_eq!(kinds("1,50,000 रुपये", "Rs 150,000"), 0);
        assert_eq!(kinds("1,50,000 रुपये", "Rs 1.5 lakh"), 0);
        assert_eq!(kinds("1.5 लाख रुपये", "Rs 0.15 million"), 0);
        assert_eq!(kinds("दो किरणें", "Two beams"), 0);
        assert_eq!(kinds("तीन सीजन", "3 seasons"), 0);
        assert_eq!(kinds("88% नेट पॉइंट्स", "88 percent of net points"), 0);
        assert_eq!(kinds("दस मिलियन दस्तावेज", "ten million documents"), 0);
        assert_eq!(kinds("एक नया उपकरण", "a new tool"), 0);
        assert_eq!(kinds("दोनों देश", "the two countries"), 0);
        assert_eq!(kinds("60वाँ गोल", "his 60th goal"), 0);
        assert_eq!(kinds("दो-चार दिन", "a few days"), 0);
        assert_eq!(kinds("7-2 का रिकॉर्ड", "a record of 7"), 1);
    }

    #[test]
    fn changed_dropped_and_added_numbers_are_found() {
        let findings = check("कीमत 1,50,000 रुपये", "The price is 15,000 rupees");
        assert_eq!(findings.len(), 1);
        assert!(findings[0].message.contains("15,000"), "{}", findings[0].message);
        assert_eq!(findings[0].span, "कीमत ".len().."कीमत 1,50,000".len());
        assert_eq!(kinds("दो लोग", "three people"), 1);
        assert_eq!(kinds("2.8 मिलियन बैरल", "2.8 billion barrels"), 1);
        assert_eq!(kinds("2 गोल और 2 असिस्ट", "2 goals and assists"), 1);
        assert_eq!(kinds("एक आदमी", "two men"), 1);
        assert_eq!(kinds("आदमी", "7 men"), 1);
    }
}
