//! Number words of Hindi and English, and the role each plays when numbers are read.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::text::normalize_devanagari;

/// How a number word combines with its neighbours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Role {
    /// A cardinal number (दो, सत्ताईस, seven). `soft`: also an article or idiom (एक, one), so a
    /// translation need not carry it.
    Cardinal { soft: bool },
    /// An English multiple of ten that a following unit adds to (twenty-five).
    Tens,
    /// A multiplier (सौ, हज़ार, लाख, करोड़, million, dozen). `alone` says what it means without a number
    /// before it.
    Scale { alone: Alone },
    /// साढ़े / सवा / पौने: adds to the number that follows (साढ़े तीन = 3.5).
    Modifier,
    /// English "a"/"an": one, but only right before a scale (a million).
    Article,
    /// A value that may explain a number on the other side but need not be carried: ordinals (पहला,
    /// first), fractions (आधा, half), collectives (दोनों, both), multiples (twice).
    Soft,
}

/// What a scale word means with no number before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Alone {
    /// A number that must be translated (सौ = a hundred, दर्जन = a dozen).
    Required,
    /// One of it, but a translation may say it loosely (लाख alone, million alone).
    Soft,
    /// Not a number at all (अरब alone is "Arab").
    Never,
}

/// A number word: its value and role.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Numeral {
    pub value: f64,
    pub role: Role,
}

const fn numeral(value: f64, role: Role) -> Numeral {
    Numeral { value, role }
}

const CARDINAL: Role = Role::Cardinal { soft: false };

/// Hindi cardinals 0-100 in their usual spellings (written with nukta and chandrabindu removed, as
/// [`normalize_devanagari`] leaves them).
const HINDI_CARDINALS: &[(&str, u32)] = &[
    ("शून्य", 0),
    ("दो", 2),
    ("तीन", 3),
    ("चार", 4),
    ("पांच", 5),
    ("छह", 6),
    ("छः", 6),
    ("छे", 6),
    ("सात", 7),
    ("आठ", 8),
    ("नौ", 9),
    ("दस", 10),
    ("ग्यारह", 11),
    ("बारह", 12),
    ("तेरह", 13),
    ("चौदह", 14),
    ("पंद्रह", 15),
    ("पन्द्रह", 15),
    ("सोलह", 16),
    ("सत्रह", 17),
    ("अठारह", 18),
    ("उन्नीस", 19),
    ("बीस", 20),
    ("इक्कीस", 21),
    ("बाईस", 22),
    ("तेईस", 23),
    ("चौबीस", 24),
    ("पच्चीस", 25),
    ("छब्बीस", 26),
    ("सत्ताईस", 27),
    ("अट्ठाईस", 28),
    ("अठ्ठाईस", 28),
    ("अट्ठाइस", 28),
    ("उनतीस", 29),
    ("उन्तीस", 29),
    ("तीस", 30),
    ("इकतीस", 31),
    ("इकत्तीस", 31),
    ("बत्तीस", 32),
    ("तैंतीस", 33),
    ("चौंतीस", 34),
    ("चौतीस", 34),
    ("पैंतीस", 35),
    ("छत्तीस", 36),
    ("सैंतीस", 37),
    ("अडतीस", 38),
    ("उनतालीस", 39),
    ("उन्तालीस", 39),
    ("चालीस", 40),
    ("इकतालीस", 41),
    ("बयालीस", 42),
    ("बियालीस", 42),
    ("तैंतालीस", 43),
    ("चवालीस", 44),
    ("चौवालीस", 44),
    ("पैंतालीस", 45),
    ("छियालीस", 46),
    ("सैंतालीस", 47),
    ("अडतालीस", 48),
    ("उनचास", 49),
    ("पचास", 50),
    ("इक्यावन", 51),
    ("बावन", 52),
    ("तिरेपन", 53),
    ("तिरपन", 53),
    ("चौवन", 54),
    ("चव्वन", 54),
    ("पचपन", 55),
    ("छप्पन", 56),
    ("सत्तावन", 57),
    ("अट्ठावन", 58),
    ("अठावन", 58),
    ("उनसठ", 59),
    ("साठ", 60),
    ("इकसठ", 61),
    ("बासठ", 62),
    ("तिरसठ", 63),
    ("चौंसठ", 64),
    ("पैंसठ", 65),
    ("छियासठ", 66),
    ("सडसठ", 67),
    ("सरसठ", 67),
    ("अडसठ", 68),
    ("उनहत्तर", 69),
    ("सत्तर", 70),
    ("इकहत्तर", 71),
    ("बहत्तर", 72),
    ("तिहत्तर", 73),
    ("चौहत्तर", 74),
    ("पचहत्तर", 75),
    ("छिहत्तर", 76),
    ("सतहत्तर", 77),
    ("अठहत्तर", 78),
    ("उनासी", 79),
    ("उन्यासी", 79),
    ("अस्सी", 80),
    ("इक्यासी", 81),
    ("बयासी", 82),
    ("तिरासी", 83),
    ("चौरासी", 84),
    ("पचासी", 85),
    ("छियासी", 86),
    ("सत्तासी", 87),
    ("अट्ठासी", 88),
    ("नवासी", 89),
    ("नब्बे", 90),
    ("इक्यानवे", 91),
    ("बानवे", 92),
    ("तिरानवे", 93),
    ("चौरानवे", 94),
    ("पंचानवे", 95),
    ("पचानवे", 95),
    ("छियानवे", 96),
    ("सत्तानवे", 97),
    ("अट्ठानवे", 98),
    ("निन्यानवे", 99),
];

/// Other Hindi number words (normalized spellings).
const HINDI_OTHERS: &[(&str, Numeral)] = &[
    ("एक", numeral(1.0, Role::Cardinal { soft: true })),
    ("डेढ", numeral(1.5, CARDINAL)),
    ("ढाई", numeral(2.5, CARDINAL)),
    ("साढे", numeral(0.5, Role::Modifier)),
    ("सवा", numeral(0.25, Role::Modifier)),
    ("पौने", numeral(-0.25, Role::Modifier)),
    ("सौ", numeral(100.0, Role::Scale { alone: Alone::Required })),
    ("हजार", numeral(1e3, Role::Scale { alone: Alone::Required })),
    ("लाख", numeral(1e5, Role::Scale { alone: Alone::Soft })),
    ("लाक", numeral(1e5, Role::Scale { alone: Alone::Soft })),
    ("करोड", numeral(1e7, Role::Scale { alone: Alone::Soft })),
    ("अरब", numeral(1e9, Role::Scale { alone: Alone::Never })),
    ("खरब", numeral(1e11, Role::Scale { alone: Alone::Never })),
    ("मिलियन", numeral(1e6, Role::Scale { alone: Alone::Required })),
    ("बिलियन", numeral(1e9, Role::Scale { alone: Alone::Required })),
    ("ट्रिलियन", numeral(1e12, Role::Scale { alone: Alone::Required })),
    ("दर्जन", numeral(12.0, Role::Scale { alone: Alone::Required })),
    // English numbers written in Devanagari, in names (सिक्स फ़्लैग्स = Six Flags). Those that are
    // also Hindi or English words (वन forest, सेवन intake, टू to, फोर for, एट at) are soft.
    ("थ्री", numeral(3.0, CARDINAL)),
    ("फाइव", numeral(5.0, CARDINAL)),
    ("सिक्स", numeral(6.0, CARDINAL)),
    ("नाइन", numeral(9.0, CARDINAL)),
    ("टेन", numeral(10.0, CARDINAL)),
    ("इलेवन", numeral(11.0, CARDINAL)),
    ("ट्वेल्व", numeral(12.0, CARDINAL)),
    ("ट्वेंटी", numeral(20.0, CARDINAL)),
    ("हंड्रेड", numeral(100.0, Role::Scale { alone: Alone::Required })),
    ("थाउजेंड", numeral(1e3, Role::Scale { alone: Alone::Required })),
    ("वन", numeral(1.0, Role::Soft)),
    ("टू", numeral(2.0, Role::Soft)),
    ("फोर", numeral(4.0, Role::Soft)),
    ("सेवन", numeral(7.0, Role::Soft)),
    ("एट", numeral(8.0, Role::Soft)),
    // Soft: ordinals, collectives, fractions, multiples, plurals (हज़ारों = thousands of).
    ("हजारों", numeral(1e3, Role::Soft)),
    ("लाखों", numeral(1e5, Role::Soft)),
    ("करोडों", numeral(1e7, Role::Soft)),
    ("अरबों", numeral(1e9, Role::Soft)),
    ("सैकडों", numeral(100.0, Role::Soft)),
    ("दर्जनों", numeral(12.0, Role::Soft)),
    ("दसियों", numeral(10.0, Role::Soft)),
    ("पहला", numeral(1.0, Role::Soft)),
    ("पहली", numeral(1.0, Role::Soft)),
    ("पहले", numeral(1.0, Role::Soft)),
    ("दूसरा", numeral(2.0, Role::Soft)),
    ("दूसरी", numeral(2.0, Role::Soft)),
    ("दूसरे", numeral(2.0, Role::Soft)),
    ("तीसरा", numeral(3.0, Role::Soft)),
    ("तीसरी", numeral(3.0, Role::Soft)),
    ("तीसरे", numeral(3.0, Role::Soft)),
    ("चौथा", numeral(4.0, Role::Soft)),
    ("चौथी", numeral(4.0, Role::Soft)),
    ("चौथे", numeral(4.0, Role::Soft)),
    ("छठा", numeral(6.0, Role::Soft)),
    ("छठी", numeral(6.0, Role::Soft)),
    ("छठे", numeral(6.0, Role::Soft)),
    ("दोनों", numeral(2.0, Role::Soft)),
    ("तीनों", numeral(3.0, Role::Soft)),
    ("चारों", numeral(4.0, Role::Soft)),
    ("पांचों", numeral(5.0, Role::Soft)),
    ("आधा", numeral(0.5, Role::Soft)),
    ("आधी", numeral(0.5, Role::Soft)),
    ("आधे", numeral(0.5, Role::Soft)),
    ("चौथाई", numeral(0.25, Role::Soft)),
    ("तिहाई", numeral(1.0 / 3.0, Role::Soft)),
    ("दोगुना", numeral(2.0, Role::Soft)),
    ("दोगुनी", numeral(2.0, Role::Soft)),
    ("दुगना", numeral(2.0, Role::Soft)),
    ("दुगुना", numeral(2.0, Role::Soft)),
    ("तिगुना", numeral(3.0, Role::Soft)),
    ("जोडा", numeral(2.0, Role::Soft)),
    ("जोडी", numeral(2.0, Role::Soft)),
    ("दशक", numeral(10.0, Role::Soft)),
    ("सैकडा", numeral(100.0, Role::Soft)),
    ("सैकडे", numeral(100.0, Role::Soft)),
    ("शतक", numeral(100.0, Role::Soft)),
];

/// English number words (lower case).
const ENGLISH: &[(&str, Numeral)] = &[
    ("zero", numeral(0.0, CARDINAL)),
    ("one", numeral(1.0, Role::Cardinal { soft: true })),
    ("two", numeral(2.0, CARDINAL)),
    ("three", numeral(3.0, CARDINAL)),
    ("four", numeral(4.0, CARDINAL)),
    ("five", numeral(5.0, CARDINAL)),
    ("six", numeral(6.0, CARDINAL)),
    ("seven", numeral(7.0, CARDINAL)),
    ("eight", numeral(8.0, CARDINAL)),
    ("nine", numeral(9.0, CARDINAL)),
    ("ten", numeral(10.0, CARDINAL)),
    ("eleven", numeral(11.0, CARDINAL)),
    ("twelve", numeral(12.0, CARDINAL)),
    ("thirteen", numeral(13.0, CARDINAL)),
    ("fourteen", numeral(14.0, CARDINAL)),
    ("fifteen", numeral(15.0, CARDINAL)),
    ("sixteen", numeral(16.0, CARDINAL)),
    ("seventeen", numeral(17.0, CARDINAL)),
    ("eighteen", numeral(18.0, CARDINAL)),
    ("nineteen", numeral(19.0, CARDINAL)),
    ("twenty", numeral(20.0, Role::Tens)),
    ("thirty", numeral(30.0, Role::Tens)),
    ("forty", numeral(40.0, Role::Tens)),
    ("fourty", numeral(40.0, Role::Tens)),
    ("fifty", numeral(50.0, Role::Tens)),
    ("sixty", numeral(60.0, Role::Tens)),
    ("seventy", numeral(70.0, Role::Tens)),
    ("eighty", numeral(80.0, Role::Tens)),
    ("ninety", numeral(90.0, Role::Tens)),
    ("hundred", numeral(100.0, Role::Scale { alone: Alone::Required })),
    ("thousand", numeral(1e3, Role::Scale { alone: Alone::Required })),
    ("lakh", numeral(1e5, Role::Scale { alone: Alone::Required })),
    ("lakhs", numeral(1e5, Role::Scale { alone: Alone::Never })),
    ("lac", numeral(1e5, Role::Scale { alone: Alone::Required })),
    ("lacs", numeral(1e5, Role::Scale { alone: Alone::Never })),
    ("million", numeral(1e6, Role::Scale { alone: Alone::Required })),
    ("mn", numeral(1e6, Role::Scale { alone: Alone::Never })),
    ("crore", numeral(1e7, Role::Scale { alone: Alone::Required })),
    ("crores", numeral(1e7, Role::Scale { alone: Alone::Never })),
    ("billion", numeral(1e9, Role::Scale { alone: Alone::Required })),
    ("bn", numeral(1e9, Role::Scale { alone: Alone::Never })),
    ("trillion", numeral(1e12, Role::Scale { alone: Alone::Required })),
    ("dozen", numeral(12.0, Role::Scale { alone: Alone::Required })),
    ("a", numeral(1.0, Role::Article)),
    ("an", numeral(1.0, Role::Article)),
    // Soft: ordinals, collectives, fractions, multiples.
    ("first", numeral(1.0, Role::Soft)),
    ("second", numeral(2.0, Role::Soft)),
    ("third", numeral(3.0, Role::Soft)),
    ("fourth", numeral(4.0, Role::Soft)),
    ("fifth", numeral(5.0, Role::Soft)),
    ("sixth", numeral(6.0, Role::Soft)),
    ("seventh", numeral(7.0, Role::Soft)),
    ("eighth", numeral(8.0, Role::Soft)),
    ("ninth", numeral(9.0, Role::Soft)),
    ("tenth", numeral(10.0, Role::Soft)),
    ("eleventh", numeral(11.0, Role::Soft)),
    ("twelfth", numeral(12.0, Role::Soft)),
    ("thirteenth", numeral(13.0, Role::Soft)),
    ("fourteenth", numeral(14.0, Role::Soft)),
    ("fifteenth", numeral(15.0, Role::Soft)),
    ("sixteenth", numeral(16.0, Role::Soft)),
    ("seventeenth", numeral(17.0, Role::Soft)),
    ("eighteenth", numeral(18.0, Role::Soft)),
    ("nineteenth", numeral(19.0, Role::Soft)),
    ("twentieth", numeral(20.0, Role::Soft)),
    ("thirtieth", numeral(30.0, Role::Soft)),
    ("fortieth", numeral(40.0, Role::Soft)),
    ("fiftieth", numeral(50.0, Role::Soft)),
    ("sixtieth", numeral(60.0, Role::Soft)),
    ("seventieth", numeral(70.0, Role::Soft)),
    ("eightieth", numeral(80.0, Role::Soft)),
    ("ninetieth", numeral(90.0, Role::Soft)),
    ("hundredth", numeral(100.0, Role::Soft)),
    ("thousandth", numeral(1e3, Role::Soft)),
    ("once", numeral(1.0, Role::Soft)),
    ("single", numeral(1.0, Role::Soft)),
    ("twice", numeral(2.0, Role::Soft)),
    ("both", numeral(2.0, Role::Soft)),
    ("pair", numeral(2.0, Role::Soft)),
    ("couple", numeral(2.0, Role::Soft)),
    ("double", numeral(2.0, Role::Soft)),
    ("thrice", numeral(3.0, Role::Soft)),
    ("triple", numeral(3.0, Role::Soft)),
    ("half", numeral(0.5, Role::Soft)),
    ("quarter", numeral(0.25, Role::Soft)),
    ("duo", numeral(2.0, Role::Soft)),
    ("trio", numeral(3.0, Role::Soft)),
    ("triad", numeral(3.0, Role::Soft)),
    ("quartet", numeral(4.0, Role::Soft)),
    ("quintet", numeral(5.0, Role::Soft)),
    ("twenties", numeral(20.0, Role::Soft)),
    ("thirties", numeral(30.0, Role::Soft)),
    ("forties", numeral(40.0, Role::Soft)),
    ("fifties", numeral(50.0, Role::Soft)),
    ("sixties", numeral(60.0, Role::Soft)),
    ("seventies", numeral(70.0, Role::Soft)),
    ("eighties", numeral(80.0, Role::Soft)),
    ("nineties", numeral(90.0, Role::Soft)),
    ("thousands", numeral(1e3, Role::Soft)),
    ("hundreds", numeral(100.0, Role::Soft)),
    ("millions", numeral(1e6, Role::Soft)),
    ("billions", numeral(1e9, Role::Soft)),
    ("dozens", numeral(12.0, Role::Soft)),
    ("decade", numeral(10.0, Role::Soft)),
    ("decades", numeral(10.0, Role::Soft)),
    ("century", numeral(100.0, Role::Soft)),
];

/// Hindi ordinal endings: सातवां, उन्नीसवीं, सौवें (normalized spellings).
const HINDI_ORDINAL_ENDINGS: &[&str] = &["वां", "वीं", "वें", "वी", "वा", "वे"];

/// The number word `word` is, if any. Devanagari words are normalized first; Latin words are matched
/// in lower case.
pub(super) fn lookup(word: &str) -> Option<Numeral> {
    // No number word is longer (the longest, ट्रिलियन, is 24 bytes): skip the work for long words.
    if word.len() > 40 {
        return None;
    }
    let table = table();
    if word.is_ascii() {
        return table.get(word.to_ascii_lowercase().as_str()).copied();
    }
    let word = normalize_devanagari(word);
    if let Some(&n) = table.get(word.as_str()) {
        return Some(n);
    }
    // Ordinals of cardinals (सातवां = 7th) and of hundred (सौवां).
    let stem = HINDI_ORDINAL_ENDINGS.iter().find_map(|ending| word.strip_suffix(ending))?;
    match table.get(stem) {
        Some(n) if n.role == CARDINAL || stem == "सौ" => Some(numeral(n.value, Role::Soft)),
        _ => None,
    }
}

/// Every number word of both languages, by its normalized spelling.
fn table() -> &'static HashMap<&'static str, Numeral> {
    static TABLE: OnceLock<HashMap<&'static str, Numeral>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let cardinals = HINDI_CARDINALS.iter().map(|&(w, v)| (w, numeral(f64::from(v), CARDINAL)));
        let others = HINDI_OTHERS.iter().chain(ENGLISH).copied();
        cardinals.chain(others).collect()
    })
}

/// English "m"/"k"/"bn"-style suffixes right after digits ("$5m", "10k", "2.8bn"): the multipliers a
/// number may mean. "m" may also be metres and "k" nothing special, so they allow the bare value too.
pub(super) fn digit_suffix_scales(suffix: &str) -> Option<&'static [f64]> {
    match suffix.to_ascii_lowercase().as_str() {
        "m" => Some(&[1.0, 1e6]),
        "k" => Some(&[1.0, 1e3]),
        "mn" | "mln" => Some(&[1e6]),
        "bn" | "b" => Some(&[1e9]),
        "tn" | "trn" => Some(&[1e12]),
        "cr" => Some(&[1e7]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hindi_words_in_either_spelling() {
        assert_eq!(lookup("पाँच").unwrap().value, 5.0);
        assert_eq!(lookup("पांच").unwrap().value, 5.0);
        assert_eq!(lookup("हज़ार").unwrap().role, Role::Scale { alone: Alone::Required });
        assert_eq!(lookup("करोड़").unwrap().value, 1e7);
        assert_eq!(lookup("अड़तीस").unwrap().value, 38.0);
        assert_eq!(lookup("निन्यानवे").unwrap().value, 99.0);
    }

    #[test]
    fn every_cardinal_from_2_to_99_is_known() {
        for value in 2..100 {
            assert!(HINDI_CARDINALS.iter().any(|&(_, v)| v == value), "{value} missing");
        }
    }

    #[test]
    fn hindi_ordinals_are_soft() {
        assert_eq!(lookup("सातवां"), Some(numeral(7.0, Role::Soft)));
        assert_eq!(lookup("उन्नीसवीं"), Some(numeral(19.0, Role::Soft)));
        assert_eq!(lookup("सौवें"), Some(numeral(100.0, Role::Soft)));
        assert_eq!(lookup("दूसरे"), Some(numeral(2.0, Role::Soft)));
        assert_eq!(lookup("सेवा"), None);
    }

    #[test]
    fn english_words_in_any_case() {
        assert_eq!(lookup("Seven").unwrap().value, 7.0);
        assert_eq!(lookup("MILLION").unwrap().value, 1e6);
        assert_eq!(lookup("one").unwrap().role, Role::Cardinal { soft: true });
        assert_eq!(lookup("seventy").unwrap().role, Role::Tens);
        assert_eq!(lookup("monday"), None);
    }
}
