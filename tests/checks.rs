//! The checks on news-style pairs written for these tests (not from the FLORES pairs the checks were
//! tuned on): correct translations pass, and the same translations with one thing broken are flagged
//! with the right kind.

use anuvad::checks::{check, FindingKind};

/// (source, a correct translation).
const CORRECT: &[(&str, &str)] = &[
    (
        "सरकार ने इस योजना के लिए 2.5 लाख करोड़ रुपये आवंटित किए हैं।",
        "The government has allocated Rs 2.5 lakh crore for the scheme.",
    ),
    (
        "सरकार ने इस योजना के लिए 2.5 लाख करोड़ रुपये आवंटित किए हैं।",
        "The government has allocated Rs 2.5 trillion for the scheme.",
    ),
    ("दिल्ली में तापमान 45 डिग्री सेल्सियस तक पहुंच गया।", "The temperature in Delhi touched 45 degrees Celsius."),
    ("प्रधानमंत्री सुबह साढ़े दस बजे रवाना होंगे।", "The Prime Minister will leave at 10:30 am."),
    ("कार्यक्रम शाम 7:30 बजे शुरू होगा।", "The programme will begin at 7.30 pm."),
    ("हादसे में दो लोगों की मौत हो गई और पांच घायल हुए।", "Two people died and five were injured in the accident."),
    ("मतदान 1 जून, 2024 को होगा।", "Voting will be held on June 1, 2024."),
    ("15 अगस्त को लाल किले पर झंडा फहराया गया।", "The flag was hoisted at the Red Fort on 15th August."),
    ("कंपनी का मुनाफा 50 फीसदी बढ़ा।", "The company's profit rose 50 per cent."),
    ("इसरो ने Chandrayaan-3 का सफल प्रक्षेपण किया।", "ISRO successfully launched Chandrayaan-3."),
    (
        "अधिक जानकारी https://pib.gov.in/release पर उपलब्ध है।",
        "More information is available at https://pib.gov.in/release.",
    ),
    ("@PMOIndia ने #Budget2024 पर ट्वीट किया।", "@PMOIndia tweeted about #Budget2024."),
    ("उन्होंने दो-तीन दिन में लौटने की बात कही।", "He said he would return in a few days."),
    ("भारत ने पहली बार यह खिताब जीता।", "India won the title for the first time."),
    ("शहर की आबादी करीब 12 लाख है।", "The city has a population of about 1.2 million."),
    ("उन्होंने 1,50,000 रुपये का जुर्माना भरा।", "He paid a fine of Rs 150,000."),
    ("मैच 2019-20 सीज़न में खेला गया था।", "The match was played in the 2019-2020 season."),
    ("उसे जाने दो।", "Let him go."),
    ("दोनों देशों ने समझौते पर हस्ताक्षर किए।", "The two countries signed the agreement."),
    ("इस साल 21वीं बार मेला लगा।", "The fair was held for the 21st time this year."),
    ("पुलिस ने डेढ़ सौ लोगों को हिरासत में लिया।", "Police detained 150 people."),
    ("विमान MH370 कभी नहीं मिला।", "Flight MH370 was never found."),
    ("With inputs from IANS", "With inputs from IANS"),
];

#[test]
fn correct_news_translations_pass() {
    for (source, translation) in CORRECT {
        assert_eq!(check(source, translation), vec![], "{source} => {translation}");
    }
}

/// (source, a broken translation, the kind that must be found).
const BROKEN: &[(&str, &str, FindingKind)] = &[
    ("सरकार ने 2.5 लाख करोड़ रुपये आवंटित किए।", "The government allocated Rs 2.5 crore.", FindingKind::Number),
    ("शहर की आबादी करीब 12 लाख है।", "The city has a population of about 1.2 billion.", FindingKind::Number),
    ("उन्होंने 1,50,000 रुपये का जुर्माना भरा।", "He paid a fine of Rs 15,000.", FindingKind::Number),
    ("हादसे में दो लोगों की मौत हो गई।", "Three people died in the accident.", FindingKind::Number),
    ("कार्यक्रम शाम 7:30 बजे शुरू होगा।", "The programme will begin at 7 pm.", FindingKind::Number),
    ("कंपनी का मुनाफा 50 फीसदी बढ़ा।", "The company's profit rose sharply.", FindingKind::Number),
    ("इसरो ने Chandrayaan-3 का प्रक्षेपण किया।", "ISRO launched Chandrayan-3.", FindingKind::Verbatim),
    (
        "अधिक जानकारी https://pib.gov.in/release पर है।",
        "More at https: //pib.gov.in/release.",
        FindingKind::Verbatim,
    ),
    ("@PMOIndia ने ट्वीट किया।", "The PMO tweeted.", FindingKind::Verbatim),
    ("विमान MH370 कभी नहीं मिला।", "Flight MH37O was never found.", FindingKind::Verbatim),
    (
        "प्रधानमंत्री ने कहा कि देश आगे बढ़ेगा।",
        "The Prime Minister said the country the country the country will move ahead.",
        FindingKind::Loop,
    ),
    (
        "प्रधानमंत्री ने कहा कि देश आगे बढ़ेगा।",
        "The Prime Minister said that केसीएनए will move ahead.",
        FindingKind::Untranslated,
    ),
    ("प्रधानमंत्री ने कहा कि देश आगे बढ़ेगा।", "", FindingKind::Empty),
    (
        "प्रधानमंत्री ने कहा कि देश आगे बढ़ेगा और सभी नागरिकों को इसमें योगदान देना चाहिए।",
        "He said.",
        FindingKind::Length,
    ),
];

#[test]
fn broken_news_translations_are_flagged_with_the_right_kind() {
    for (source, translation, kind) in BROKEN {
        let findings = check(source, translation);
        assert!(findings.iter().any(|f| f.kind == *kind), "{source} => {translation}: {findings:?}");
    }
}

#[test]
fn a_changed_number_names_both_values() {
    let findings = check("उन्होंने 1,50,000 रुपये का जुर्माना भरा।", "He paid a fine of Rs 15,000.");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].message, "“1,50,000” (150000) is “15,000” (15000) in the translation");
    assert_eq!(findings[0].translation_span, Some(21..27));
}
