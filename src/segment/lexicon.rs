//! Word lists behind the segmentation rules: abbreviations, titles and designations, initials, clause-final
//! verb forms, reporting verbs, sentence openers, postpositions, and the words that show Hindi clause
//! structure (ergative agents, relative and conditional openers, conjunctions, words that continue a clause
//! after its verb). All Devanagari abbreviations are in [`HINDI_ABBREVIATIONS`] and
//! [`HINDI_TITLE_ABBREVIATIONS`] (plus [`HINDI_UNITS_AFTER_NUMBER`]), grouped with the reason for each group.
//!
//! The lists are curated by hand for Hindi news text. Where an entry comes from a public list, the list
//! is named next to it:
//! - Moses `nonbreaking_prefix.en` and `nonbreaking_prefix.hi`
//!   (<https://github.com/moses-smt/mosesdecoder/tree/master/scripts/share/nonbreaking_prefixes>, LGPL):
//!   English titles, "numeric only" prefixes, month names, and the Devanagari spellings of the Latin letter
//!   names used as initials.
//! - The other Devanagari abbreviations (titles, ranks, degrees, units, months, short forms), the titles and
//!   designations, the postpositions and all verb and connective lists were collected by hand from Hindi
//!   news usage; they are not taken from a published list.
//!
//! All comparisons are exact and case-sensitive unless a function says otherwise.

/// Devanagari abbreviations that take a period and never end a sentence (Hindi is verb-final, so an
/// abbreviation is practically never the last word of a sentence). Dotted chains such as कि.मी. or वि.सं.
/// are recognised by shape (see `rules`), so only single-segment forms are needed here; so are the
/// segments of a chain written with spaces (`डी. फिल.`, `ले. जन.`). Every group is collected by hand from
/// Hindi news usage (no published list of Devanagari abbreviations was found); an entry is left out when
/// it is also a word that ends sentences (ली "took", आई "came"; see [`HINDI_UNITS_AFTER_NUMBER`] and
/// [`AMBIGUOUS_LETTER_NAMES`]).
#[rustfmt::skip]
const HINDI_ABBREVIATIONS: &[&str] = &[
    // Titles and honorifics are in [`HINDI_TITLE_ABBREVIATIONS`].
    // Military and police ranks: Lieutenant, General (also January), Captain, Major, Brigadier, Colonel.
    "ले", "जन", "कै", "मे", "ब्रि", "कर्न",
    // Degrees, written with spaces between their parts: D. Phil., Ph. D., D. Litt., B. Tech., B. Com.,
    // B. Sc. (the letter names डी, बी, एम ... are initials anyway).
    "फिल", "पीएच", "लिट", "टेक", "कॉम", "एससी",
    // Money, numbering, pages, serials, era, article, university, district: rupees, number,
    // samvat/sankhya, kramank, page, isvi, anuchchhed, vishvavidyalay, jila.
    "रु", "रू", "नं", "सं", "क्र", "पृ", "ई", "अनु", "विवि", "जि",
    // Units: metre, kilometre, centimetre, millimetre, gram, kilogram, milligram, minute, hour.
    "मी", "किमी", "सेमी", "मिमी", "ग्रा", "किग्रा", "मिग्रा", "मि", "घं",
    // Months: January (जन above), February, August, September, October, November, December.
    "फर", "फ़र", "अग", "सित", "अक्टू", "अक्तू", "नव", "दिस",
    // Company forms: private, limited, company.
    "प्रा", "लि", "कं",
];

/// Abbreviated titles and honorifics: abbreviations that never end a sentence, and titles before a name
/// (after one, a letter name with a period is an initial: `डॉ. जी. माधवन`). Dr (two spellings, and डॉं
/// with a stray nasal sign), Shri, Smt, Sushri, Kumari, Professor, Pandit, late, Mohammad, Maulana,
/// Engineer, Justice, Advocate. Collected by hand from Hindi news usage.
#[rustfmt::skip]
const HINDI_TITLE_ABBREVIATIONS: &[&str] = &[
    "डॉ", "डा", "डॉं", "श्री", "श्रीमती", "सुश्री", "कु", "प्रो", "पं", "स्व", "मो", "मु", "मौ", "इं", "न्या",
    "एड",
];

/// Designations written in full that stand before a name (`मजिस्ट्रेट जी. रामलिंगम`); every word ending in
/// मंत्री (मंत्री, वित्तमंत्री, मुख्यमंत्री) counts too. Collected by hand from Hindi news usage.
#[rustfmt::skip]
const HINDI_DESIGNATIONS: &[&str] = &[
    "श्री", "श्रीमान", "डॉक्टर", "प्रोफेसर", "प्रोफ़ेसर", "न्यायाधीश", "न्यायमूर्ति", "जस्टिस", "जज",
    "मजिस्ट्रेट", "अध्यक्ष", "उपाध्यक्ष", "सचिव", "महासचिव", "निदेशक", "महानिदेशक", "प्रमुख", "आयुक्त",
    "अधीक्षक", "निरीक्षक", "उपनिरीक्षक", "कलेक्टर", "जिलाधिकारी", "अधिकारी", "राज्यपाल", "राष्ट्रपति",
    "उपराष्ट्रपति", "सांसद", "विधायक", "पार्षद", "महापौर", "मेयर", "राजदूत", "प्रवक्ता", "कुलपति",
    "प्राचार्य", "प्रधानाचार्य", "वैज्ञानिक", "संपादक", "लेखक", "कवि", "अभिनेता", "अभिनेत्री", "निर्देशक",
    "कप्तान", "कोच", "वकील", "अधिवक्ता", "जनरल", "कर्नल", "मेजर", "कैप्टन", "लेफ्टिनेंट", "ब्रिगेडियर",
    "एडमिरल", "साहब", "कॉमरेड", "स्वामी", "आचार्य", "महंत", "मौलाना", "पादरी",
];

/// Devanagari units that are also ordinary words, verbs that often end a sentence: litre (ली "took", also a
/// surname) and millilitre (मिली "met, got"). Abbreviations only right after a number (`500 ली. दूध`).
const HINDI_UNITS_AFTER_NUMBER: &[&str] = &["ली", "मिली"];

/// Devanagari spellings of the Latin letter names, as used for initials and acronyms (ए. के. सिंह,
/// एम.एस. धोनी). After Moses `nonbreaking_prefix.hi`, with the common variant spellings added.
#[rustfmt::skip]
const HINDI_LETTER_NAMES: &[&str] = &[
    "ए", "बी", "सी", "डी", "ई", "एफ", "ऐफ", "जी", "एच", "आई", "आइ", "जे", "के", "एल", "ऐल", "एम", "ऐम", "एन",
    "ऐन", "ओ", "पी", "क्यू", "आर", "एस", "टी", "यू", "वी", "डब्ल्यू", "डब्लू", "एक्स", "ऐक्स", "वाई", "वाय",
    "जेड", "ज़ेड", "ज़ैड",
];

/// Letter names that are also ordinary words able to end a sentence (आई "came", जी the honorific or
/// "lived", पी "drank", ओ the vocative): initials only where the words around say so (see `rules`).
const AMBIGUOUS_LETTER_NAMES: &[&str] = &["आई", "जी", "पी", "ओ"];

/// The letter name whose verb reading is common in news (आई "came": `सामने आई`, `गिरावट आई`, `सत्ता में
/// आई`): an initial in a clause only where a noun phrase may begin before it.
pub(crate) const LETTER_NAME_USUALLY_VERB: &str = "आई";

/// Words for "etc." that close an enumeration, often at a sentence's end (`फल, सब्जी आदि.`): short, but
/// not abbreviations.
const ENUMERATION_ENDS: &[&str] = &["आदि", "इत्यादि", "वगैरह", "वगैरा", "वग़ैरह"];

/// Postpositions and enclitics: no sentence begins with one (`… डी. फिल. | की डिग्री …` is never right),
/// so a candidate boundary before one is dropped. Not पर, which is also the conjunction "but" and opens
/// sentences (`पर वह नहीं आया।`); मे is the spelling of में without its nasal sign.
#[rustfmt::skip]
const NEVER_SENTENCE_INITIAL: &[&str] = &[
    "का", "की", "के", "को", "ने", "से", "में", "मे", "तक", "द्वारा", "ही", "भी",
];

/// Words that follow a name inside a clause: the postpositions (with पर) and the conjunctions और, एवं, व,
/// तथा. A letter name with a period, then a word, then one of these, is an initial (`पी. शिवशंकर ने`).
#[rustfmt::skip]
const AFTER_NAME_IN_CLAUSE: &[&str] = &[
    "का", "की", "के", "को", "ने", "से", "में", "पर", "तक", "द्वारा", "और", "एवं", "व", "तथा",
];

/// Pronouns, determiners, adverbs and conjunctions that commonly open a Hindi sentence (the most frequent
/// sentence openers of the FLORES dev set and their kin): a word after a letter name's period that is one
/// of these is not a surname, so the period may end the sentence (`सामने आई. इसके बाद …`).
#[rustfmt::skip]
const HINDI_SENTENCE_OPENERS: &[&str] = &[
    "यह", "वह", "ये", "वे", "इस", "उस", "इन", "उन", "इसके", "उसके", "इनके", "उनके", "इसकी", "उसकी", "इनकी",
    "उनकी", "इसका", "उसका", "इनका", "उनका", "इसे", "उसे", "इन्हें", "उन्हें", "इसमें", "उसमें", "इनमें",
    "उनमें", "इससे", "उससे", "इसने", "उसने", "इन्होंने", "उन्होंने", "इसी", "उसी", "इन्हीं", "उन्हीं", "मैं",
    "मैंने", "मुझे", "हम", "हमने", "हमें", "आप", "आपने", "आपको", "तुम", "अपने", "अपनी", "अपना", "कोई", "कुछ",
    "सब", "सभी", "हर", "एक", "कई", "ऐसे", "ऐसा", "ऐसी", "वैसे", "फिर", "अब", "तब", "आज", "कल", "वहां",
    "वहाँ", "यहां", "यहाँ", "जब", "जो", "अगर", "यदि", "लेकिन", "मगर", "परंतु", "किंतु", "हालांकि", "हालाँकि",
    "क्योंकि", "इसलिए", "तो", "पर", "और", "तथा", "साथ", "बाद", "पहले", "दूसरी", "दूसरे", "पिछले", "अगले",
];

/// Latin abbreviations that never end a sentence (titles before a name, `v.`/`vs.`, `e.g.`, `i.e.`, `Rs.`).
/// After Moses `nonbreaking_prefix.en` (titles and "misc"), plus Indian-English Sh./Smt./Km.
#[rustfmt::skip]
const LATIN_NEVER_FINAL: &[&str] = &[
    "Adj", "Adm", "Adv", "Asst", "Bart", "Bldg", "Brig", "Capt", "Cmdr", "Col", "Comdr", "Cpl", "DR", "Dr",
    "Drs", "Gen", "Gov", "Hon", "Hosp", "Insp", "Lt", "MM", "MR", "MRS", "MS", "Maj", "Messrs", "Mlle", "Mme",
    "Mr", "Mrs", "Ms", "Msgr", "Mt", "Pfc", "Prof", "Pvt", "Rep", "Reps", "Rev", "Rt", "Sen", "Sens", "Sfc",
    "Sgt", "Supt", "Surg", "Fr", "Pres", "Sh", "Shri", "Smt", "Km", "Kum", "Dt", "v", "vs", "Vs", "rev",
    "e.g", "i.e", "cf", "viz", "Rs", "rs", "Ph", "approx", "Approx", "ca",
];

/// Latin abbreviations that are not sentence-final when a number follows (`No. 11`, `pp. 12`), after the
/// "NUMERIC_ONLY" entries of Moses `nonbreaking_prefix.en`.
#[rustfmt::skip]
const LATIN_BEFORE_NUMBER: &[&str] = &[
    "No", "no", "Nos", "nos", "Nr", "Art", "pp", "p", "Vol", "vol", "Fig", "fig", "Figs", "Sec", "Ch", "ch",
    "Ex",
];

/// Latin abbreviations that may end a sentence (`... in the U.S. The ...`, `... at 5 p.m. He ...`): not a
/// boundary unless a typical sentence opener follows. Months after Moses `nonbreaking_prefix.en`.
#[rustfmt::skip]
const LATIN_MAYBE_FINAL: &[&str] = &[
    "Inc", "Ltd", "Co", "Corp", "Bros", "Jr", "Sr", "St", "Ave", "Blvd", "Rd", "Dept", "Univ", "Govt", "govt",
    "Assn", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
];

/// Latin dotted forms with a two-letter segment that are still abbreviations (the shape rule only accepts
/// one-letter segments otherwise).
pub(crate) const LATIN_DOTTED_EXTRA: &[&str] = &["Ph.D", "M.Sc", "B.Sc", "M.Ed", "B.Ed", "D.Litt", "Lt.Gen"];

/// Words that typically open an English sentence; after a sentence-final-capable abbreviation
/// (`U.S.`, `p.m.`, `etc.`) one of these means a new sentence.
#[rustfmt::skip]
const ENGLISH_OPENERS: &[&str] = &[
    "The", "A", "An", "He", "She", "It", "They", "We", "I", "You", "This", "That", "These", "Those", "There",
    "Their", "His", "Her", "Its", "Our", "My", "Your", "In", "On", "At", "But", "And", "Or", "However", "So",
    "Yet", "If", "When", "While", "After", "Before", "As", "Although", "Though", "Meanwhile", "Some", "Many",
    "Most", "All", "Both", "Each", "Not", "For", "By", "With", "From", "To", "Then", "Now", "Also", "Still",
    "According", "What", "Who", "Why", "How", "Where", "Earlier", "Later", "Police", "Officials",
];

/// Finite verb forms and auxiliaries that close a Hindi clause (Hindi is verb-final). Used to decide whether
/// an ellipsis ends the sentence and whether an unpunctuated clause end is followed by a new sentence.
#[rustfmt::skip]
const HINDI_CLAUSE_FINAL: &[&str] = &[
    "है", "हैं", "था", "थे", "थी", "थीं", "हूँ", "हूं", "हो", "गया", "गई", "गए", "गयी", "गये", "गईं", "किया",
    "दिया", "लिया", "दी", "ली", "हुआ", "हुई", "हुए", "हुईं", "चाहिए", "सकता", "सकती", "सकते", "सका", "सकी",
    "सके", "चुका", "चुकी", "चुके", "नहीं", "पड़ा", "पड़ी", "पड़े", "रहा", "रही", "रहे",
];

/// Discourse connectives that open a new sentence and take a comma (हालांकि, ...). After a clause-final verb
/// with no punctuation in between, "CONNECTIVE," starts a new sentence.
#[rustfmt::skip]
const HINDI_SENTENCE_CONNECTIVES: &[&str] = &[
    // Correlative partners (तब, तब से, वहीं, इसलिए, फिर भी after जब/जहाँ/क्योंकि/हालांकि ...) are left out on
    // purpose: `जब ... होगा तब, ...` is one sentence.
    "हालांकि", "हालाँकि", "तभी से", "इसके बाद", "उसके बाद", "इसके अलावा", "इसके साथ ही", "साथ ही", "अतः",
    "दरअसल", "वास्तव में", "असल में", "अंततः", "आखिरकार", "आख़िरकार", "इस प्रकार", "इसी तरह", "इसी प्रकार",
    "उदाहरण के लिए", "इसके विपरीत", "दूसरी ओर", "दूसरी तरफ", "बाद में", "फिलहाल", "फ़िलहाल", "नतीजतन",
    "परिणामस्वरूप", "फलस्वरूप", "इसके बावजूद", "बहरहाल", "सबसे पहले",
];

/// Tense auxiliaries (होना in the present and past): a clause ending in one of them is finite.
const HINDI_TENSE_AUXILIARIES: &[&str] = &["है", "हैं", "था", "थे", "थी", "थीं", "हूँ", "हूं"];

/// Perfective forms of the light verbs करना, देना and लेना (the verbs of most Hindi transitive predicates:
/// `घोषणा की`, `जवाब दिया`, `फैसला लिया`). With an ergative agent (`ने`) they are a finite verb.
#[rustfmt::skip]
const TRANSITIVE_PERFECTIVES: &[&str] = &[
    "किया", "किए", "किये", "की", "कीं", "दिया", "दिए", "दिये", "दी", "दीं", "लिया", "लिए", "लिये", "ली", "लीं",
];

/// The [`TRANSITIVE_PERFECTIVES`] that are nothing but a verb: not की (also the genitive), लिए/लिये (also
/// "for"), ली (also a name), nor the oblique forms in -ए, which are also adverbial participles (`किए बिना`,
/// `सिर नीचा किए`).
const FINITE_ONLY_TRANSITIVE_PERFECTIVES: &[&str] = &["किया", "कीं", "दिया", "दी", "दीं", "लिया", "लीं"];

/// The ergative marker `ने` and the pronouns fused with it (with the spellings that drop the nasal sign).
#[rustfmt::skip]
const ERGATIVE_AGENTS: &[&str] = &[
    "ने", "उसने", "उन्होंने", "उन्होने", "इसने", "इन्होंने", "इन्होने", "मैंने", "मैने", "हमने", "तुमने", "आपने",
    "सबने", "किसने",
];

/// Beginnings of words that open a relative, conditional or concessive clause (जो, जिसने, जब, जहाँ, जैसे,
/// जितना, अगर, यदि, चूंकि, भले, हालांकि): its correlative (वह, तब, वहाँ, तो, पर ...) may follow the clause's
/// verb without punctuation, inside the same sentence.
#[rustfmt::skip]
const CORRELATIVE_OPENER_PREFIXES: &[&str] = &[
    "जो", "जिस", "जिन", "जब", "जहाँ", "जहां", "जैस", "जित", "ज्यों", "अगर", "यदि", "चूंकि", "चूँकि", "भले",
    "हालांकि", "हालाँकि",
];

/// Words that can follow a finite verb inside its sentence: conjunctions and subordinators, postpositions,
/// particles and negation (with the spellings नही, मे that drop the nasal sign).
#[rustfmt::skip]
const CLAUSE_CONTINUATIONS: &[&str] = &[
    "व", "एवं", "कि", "तो", "पर", "या", "वरना", "जबकि", "यानी", "यानि", "अर्थात", "अतः", "तब", "फिर", "यदि",
    "अगर", "बशर्ते", "मानो", "के", "की", "का", "को", "में", "मे", "से", "ने", "तक", "भी", "ही", "नहीं", "नही",
    "न", "ना", "सा", "सी", "द्वारा", "बाद", "पहले", "साथ", "बिना", "बगैर", "बजाय", "वाला", "वाली", "वाले",
];

/// Beginnings of words that can continue a clause after its verb: the forms of the auxiliaries and light
/// verbs that extend a verb chain (होना, जाना, रहना, सकना, चुकना, चाहिए, देना, लेना, पड़ना with ड़ in both
/// its encodings, पाना, and करना of the habitual `किया करते थे`), and the longer conjunctions. Prefixes, so
/// that every inflection counts, and so does a conjunction run together with the next word (`औरभीगे`); a
/// word that merely looks like one (`देश`, `करीब`) costs a missed boundary, never a false one.
#[rustfmt::skip]
const CLAUSE_CONTINUATION_PREFIXES: &[&str] = &[
    "है", "हो", "हु", "था", "थे", "थी", "जा", "गय", "गई", "गए", "रह", "सक", "चुक", "चाह", "दे", "दि", "दी",
    "ले", "लि", "ली", "पड़", "पड़", "पा", "कर", "और", "तथा", "लेकिन", "परंतु", "परन्तु", "किंतु", "किन्तु",
    "मगर", "बल्कि", "क्योंकि", "ताकि", "अथवा", "इसलिए", "इसलिये", "जो", "जि", "जब", "जहा", "जैस", "जित",
];

/// Possessive pronouns that are not genitives in का/की/के (मेरा, अपनी, हमारे ...).
#[rustfmt::skip]
const POSSESSIVE_PRONOUNS: &[&str] = &[
    "मेरा", "मेरी", "मेरे", "तेरा", "तेरी", "तेरे", "हमारा", "हमारी", "हमारे", "तुम्हारा", "तुम्हारी", "तुम्हारे",
    "अपना", "अपनी", "अपने",
];

/// Reporting verbs (Hindi and English). A short clause ending in one of them right after a closing quote
/// continues the quoted sentence: `“क्या आप तैयार हैं?” उसने पूछा।`.
#[rustfmt::skip]
const REPORTING_VERBS: &[&str] = &[
    "कहा", "कहे", "कही", "पूछा", "पूछे", "पूछी", "बताया", "बताई", "बताए", "बोला", "बोली", "बोले",
    "बोलीं", "लिखा", "जोड़ा", "दोहराया", "चिल्लाया", "चिल्लाई", "चिल्लाए", "चीखा", "चीखी", "चीखे", "पुकारा",
    "समझाया", "कहना", "कहते", "कहती", "कहता", "पूछते", "पूछती", "पूछता", "बोलते", "बोलती", "बोलता", "बताते",
    "बताती", "बताता", "said", "says", "asked", "asks", "added", "adds", "told", "replied", "explained",
    "noted", "wrote", "shouted", "cried", "answered", "continued", "insisted", "stated", "declared",
    "announced", "remarked", "whispered", "exclaimed", "argued", "claimed", "warned", "responded", "recalled",
    "joked", "admitted", "observed", "tweeted", "laughed", "sighed",
];

/// Nouns that form a reporting verb with a light verb (सवाल किया, जवाब दिया, टिप्पणी की, दावा किया).
const SPEECH_NOUNS: &[&str] =
    &["सवाल", "प्रश्न", "जवाब", "उत्तर", "टिप्पणी", "दावा", "ऐलान", "घोषणा", "आग्रह", "अनुरोध", "अपील", "ट्वीट"];

/// Nouns and adjectives of saying, deciding, knowing and promising that form a verb with करना, देना or
/// लेना (दावा किया, तय किया, जानकारी दी, फैसला लिया) and take a complement clause, whose कि is sometimes left
/// out (`उन्होंने दावा किया सरकार ...`). Besides [`SPEECH_NOUNS`].
#[rustfmt::skip]
const COMPLEMENT_NOUNS: &[&str] = &[
    "वादा", "फैसला", "फ़ैसला", "निर्णय", "तय", "निश्चय", "संकल्प", "स्पष्ट", "साफ", "साफ़", "महसूस", "स्वीकार",
    "इनकार", "इंकार", "सुनिश्चित", "उल्लेख", "जिक्र", "ज़िक्र", "खुलासा", "संकेत", "इशारा", "सुझाव", "आदेश",
    "निर्देश", "अनुमान", "उम्मीद", "आशा", "विश्वास", "भरोसा", "चेतावनी", "तर्क", "आरोप", "पुष्टि", "बयान",
    "प्रस्ताव", "आश्वासन", "सलाह", "जानकारी", "सूचना", "खबर", "ख़बर", "दिखावा", "ऐतराज़", "आपत्ति", "अनुरोध",
];

/// Light verbs completing a [`SPEECH_NOUNS`] entry.
const LIGHT_VERBS: &[&str] = &["किया", "किए", "की", "कीं", "दिया", "दिए", "दी"];

/// Coordinating conjunctions: after an ellipsis, one of them continues the sentence (`आएगा... लेकिन नहीं आया`).
const HINDI_COORDINATORS: &[&str] = &["और", "लेकिन", "मगर", "पर", "परंतु", "किंतु", "या", "कि", "तो", "तथा", "एवं"];

/// Auxiliaries that may follow a reporting verb at the end of a reporting clause (कहा गया, कहा था).
/// Conjunctions that start a clause, where a sentence too long for the model may be cut before them
/// (`clauses::best_split`): Hindi coordinating and subordinating conjunctions of news text, and their
/// English counterparts for English runs inside Hindi text.
const CLAUSE_CONJUNCTIONS: &[&str] = &[
    "और",
    "लेकिन",
    "किंतु",
    "किन्तु",
    "परंतु",
    "परन्तु",
    "तथा",
    "एवं",
    "जबकि",
    "क्योंकि",
    "इसलिए",
    "ताकि",
    "बल्कि",
    "and",
    "but",
    "while",
    "because",
    "which",
];

const REPORTING_AUXILIARIES: &[&str] =
    &["है", "हैं", "था", "थे", "थी", "थीं", "गया", "गई", "गए", "जाता", "जाती", "जाते", "रहा", "रही", "रहे"];

/// Is `word` a Devanagari abbreviation that never ends a sentence (a listed form or an abbreviated title)?
pub(crate) fn is_hindi_abbreviation(word: &str) -> bool {
    HINDI_ABBREVIATIONS.contains(&word) || HINDI_TITLE_ABBREVIATIONS.contains(&word)
}

/// Is `word` a title, honorific or designation that stands before a name (श्री, डॉ, मजिस्ट्रेट, and every
/// word ending in मंत्री: मंत्री, वित्तमंत्री, मुख्यमंत्री)?
pub(crate) fn is_hindi_title(word: &str) -> bool {
    HINDI_TITLE_ABBREVIATIONS.contains(&word) || HINDI_DESIGNATIONS.contains(&word) || word.ends_with("मंत्री")
}

/// Is `word` a Devanagari unit that is an abbreviation only after a number (ली.)?
pub(crate) fn is_hindi_unit_after_number(word: &str) -> bool {
    HINDI_UNITS_AFTER_NUMBER.contains(&word)
}

/// Is `word` a word for "etc." (आदि, इत्यादि, वगैरह), which may end a sentence?
pub(crate) fn ends_enumeration(word: &str) -> bool {
    ENUMERATION_ENDS.contains(&word)
}

/// Is `word` a postposition or enclitic, which never begins a sentence?
pub(crate) fn is_never_sentence_initial(word: &str) -> bool {
    NEVER_SENTENCE_INITIAL.contains(&word)
}

/// Does `word` follow a name inside a clause (a postposition, और, एवं, व, तथा)?
pub(crate) fn follows_name_in_clause(word: &str) -> bool {
    AFTER_NAME_IN_CLAUSE.contains(&word)
}

/// Is `word` a pronoun, determiner, adverb or conjunction that commonly opens a Hindi sentence?
pub(crate) fn is_hindi_sentence_opener(word: &str) -> bool {
    HINDI_SENTENCE_OPENERS.contains(&word)
}

/// Is `word` a Devanagari letter name (an initial when followed by a period)?
pub(crate) fn is_hindi_letter_name(word: &str) -> bool {
    HINDI_LETTER_NAMES.contains(&word)
}

/// Is `word` a letter name that is also a common sentence-final word?
pub(crate) fn is_ambiguous_letter_name(word: &str) -> bool {
    AMBIGUOUS_LETTER_NAMES.contains(&word)
}

/// Is `word` a Latin abbreviation that never ends a sentence?
pub(crate) fn is_latin_never_final(word: &str) -> bool {
    LATIN_NEVER_FINAL.contains(&word)
}

/// Is `word` a Latin abbreviation that is non-final before a number?
pub(crate) fn is_latin_before_number(word: &str) -> bool {
    LATIN_BEFORE_NUMBER.contains(&word)
}

/// Is `word` a Latin abbreviation that can end a sentence?
pub(crate) fn is_latin_maybe_final(word: &str) -> bool {
    LATIN_MAYBE_FINAL.contains(&word)
}

/// Is `word` a typical English sentence opener?
pub(crate) fn is_english_opener(word: &str) -> bool {
    ENGLISH_OPENERS.contains(&word)
}

/// Is `word` a reporting verb?
pub(crate) fn is_reporting_verb(word: &str) -> bool {
    REPORTING_VERBS.contains(&word)
}

/// Do `noun` and `verb` form a reporting verb phrase (सवाल किया)?
pub(crate) fn is_reporting_phrase(noun: &str, verb: &str) -> bool {
    SPEECH_NOUNS.contains(&noun) && LIGHT_VERBS.contains(&verb)
}

/// Does `noun` (before करना, देना or लेना) make a verb that takes a complement clause (दावा, तय, जानकारी ...)?
pub(crate) fn takes_clause_complement(noun: &str) -> bool {
    COMPLEMENT_NOUNS.contains(&noun) || SPEECH_NOUNS.contains(&noun)
}

/// Is `word` a Hindi coordinating conjunction?
pub(crate) fn is_hindi_coordinator(word: &str) -> bool {
    HINDI_COORDINATORS.contains(&word)
}

/// Is `word` an auxiliary that can follow a reporting verb?
pub(crate) fn is_reporting_auxiliary(word: &str) -> bool {
    REPORTING_AUXILIARIES.contains(&word)
}

/// Does `word` look like a clause-final Hindi verb form: a listed auxiliary or finite form, or a future
/// tense form?
pub(crate) fn is_hindi_clause_final(word: &str) -> bool {
    HINDI_CLAUSE_FINAL.contains(&word) || is_hindi_future(word)
}

/// Is `word` a tense auxiliary (है, था ...)?
pub(crate) fn is_hindi_tense_auxiliary(word: &str) -> bool {
    HINDI_TENSE_AUXILIARIES.contains(&word)
}

/// Is `word` a perfective form of करना, देना or लेना?
pub(crate) fn is_transitive_perfective(word: &str) -> bool {
    TRANSITIVE_PERFECTIVES.contains(&word)
}

/// Is `word` a perfective form of करना, देना or लेना that is never a postposition, name or adverbial
/// participle?
pub(crate) fn is_finite_only_transitive_perfective(word: &str) -> bool {
    FINITE_ONLY_TRANSITIVE_PERFECTIVES.contains(&word)
}

/// Is `word` an ergative agent (`ने`, उसने ...)?
pub(crate) fn is_ergative_agent(word: &str) -> bool {
    ERGATIVE_AGENTS.contains(&word)
}

/// Does `word` open a clause whose correlative may follow without punctuation (जो, जब, अगर ...)?
pub(crate) fn opens_correlative_clause(word: &str) -> bool {
    CORRELATIVE_OPENER_PREFIXES.iter().any(|prefix| word.starts_with(prefix))
}

/// Can `word` continue a clause right after its verb (an auxiliary, conjunction, postposition or particle)?
pub(crate) fn may_continue_clause(word: &str) -> bool {
    CLAUSE_CONTINUATIONS.contains(&word)
        || is_hindi_coordinator(word)
        || CLAUSE_CONTINUATION_PREFIXES.iter().any(|prefix| word.starts_with(prefix))
}

/// Does `word` make a following participle attributive: a genitive (उनका, सरकार की, मेरे) or `द्वारा`
/// (`उनका दिया बयान`, `सरकार द्वारा किया वादा`)?
pub(crate) fn marks_participle_agent(word: &str) -> bool {
    ["का", "की", "के"].iter().any(|genitive| word.ends_with(genitive))
        || POSSESSIVE_PRONOUNS.contains(&word)
        || word == "द्वारा"
}

/// Is `word` a future tense form (-एगा/-ेगी/-ेंगे/-ूँगा/-ोगे ...: गा/गी/गे after a vowel sign, nasal sign or
/// independent vowel)?
pub(crate) fn is_hindi_future(word: &str) -> bool {
    let Some(stem) =
        word.strip_suffix("गा").or_else(|| word.strip_suffix("गी")).or_else(|| word.strip_suffix("गे"))
    else {
        return false;
    };
    // At least one more letter before the ending, and the ending follows a vowel (sign) or nasal sign.
    let mut chars = stem.chars().rev();
    let (Some(last), Some(_)) = (chars.next(), chars.next()) else {
        return false;
    };
    matches!(
        last,
        '\u{0901}' | '\u{0902}' | '\u{0947}' | '\u{0948}' | '\u{094B}' | '\u{0942}' | 'ए' | 'ओ' | 'ऊ'
    )
}

/// If `words` (the next words of the text) start with a listed connective whose last word carries a
/// comma, the number of words it spans.
pub(crate) fn sentence_connective_len(words: &[&str]) -> Option<usize> {
    HINDI_SENTENCE_CONNECTIVES.iter().find_map(|connective| {
        let n = connective.split(' ').count();
        let matches = words.len() >= n
            && connective.split(' ').zip(words).enumerate().all(|(i, (part, word))| {
                if i + 1 == n {
                    word.strip_suffix(',') == Some(part)
                } else {
                    *word == part
                }
            });
        matches.then_some(n)
    })
}

pub(crate) fn is_clause_conjunction(word: &str) -> bool {
    CLAUSE_CONJUNCTIONS.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn future_forms_are_clause_final() {
        for word in ["करेगा", "होगी", "जाएंगे", "करूँगा", "करोगे", "है", "गया"]
        {
            assert!(is_hindi_clause_final(word), "{word}");
        }
        for word in ["जिंदगी", "गा", "लोग", "आगे"] {
            assert!(!is_hindi_clause_final(word), "{word}");
        }
    }

    #[test]
    fn clause_structure_words() {
        for word in ["है", "गया", "जाएगा", "करते", "और", "औरभीगे", "कि", "में", "भी", "जिससे"]
        {
            assert!(may_continue_clause(word), "{word}");
        }
        for word in ["पिछले", "अगले", "सरकार", "कई"] {
            assert!(!may_continue_clause(word), "{word}");
        }
        for word in ["उनका", "उनकी", "अपने", "द्वारा"] {
            assert!(marks_participle_agent(word), "{word}");
        }
        assert!(!marks_participle_agent("प्रदर्शन"));
        assert!(opens_correlative_clause("जिन्होंने") && opens_correlative_clause("अगर"));
        assert!(is_ergative_agent("उन्होंने") && !is_ergative_agent("करने"));
    }

    #[test]
    fn connectives_need_their_comma() {
        assert_eq!(sentence_connective_len(&["हालांकि,", "सर्दियों"]), Some(1));
        assert_eq!(sentence_connective_len(&["तभी", "से,", "चीन"]), Some(2));
        assert_eq!(sentence_connective_len(&["हालांकि", "वह"]), None);
        assert_eq!(sentence_connective_len(&["तभी"]), None);
    }
}
