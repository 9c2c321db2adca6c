//! Unit tests of the segmenter: one phenomenon per test, plus the span invariant.

use super::*;

/// The sentences' texts, paragraph by paragraph.
fn split(text: &str) -> Vec<Vec<&str>> {
    let paragraphs = segment(text);
    check_invariant(text, &paragraphs);
    paragraphs.iter().map(|p| p.sentences.iter().map(|s| s.text(text)).collect()).collect()
}

/// All sentences, flattened.
fn sentences(text: &str) -> Vec<&str> {
    split(text).into_iter().flatten().collect()
}

/// The span invariant of the module documentation.
fn check_invariant(text: &str, paragraphs: &[Paragraph]) {
    if let Some(violation) = metric::invariant_violation(text, paragraphs) {
        panic!("{violation} in {text:?}");
    }
}

#[test]
fn dandas_and_question_marks() {
    assert_eq!(
        sentences("पहला वाक्य। दूसरा वाक्य॥ तीसरा? चौथा!"),
        ["पहला वाक्य।", "दूसरा वाक्य॥", "तीसरा?", "चौथा!"]
    );
    assert_eq!(sentences("क्या?! यह कैसे हुआ?"), ["क्या?!", "यह कैसे हुआ?"]);
}

#[test]
fn danda_without_space_after() {
    assert_eq!(sentences("बारिश हुई।लोग घरों में रहे।"), ["बारिश हुई।", "लोग घरों में रहे।"]);
    assert_eq!(sentences("बारिश हुई।“घर में रहें”"), ["बारिश हुई।", "“घर में रहें”"]);
}

#[test]
fn pipe_as_danda() {
    assert_eq!(sentences("चेतावनी जारी की है| बारिश होगी|"), ["चेतावनी जारी की है|", "बारिश होगी|"]);
    assert_eq!(sentences("वह पाया गया | अगला वाक्य।"), ["वह पाया गया |", "अगला वाक्य।"]);
    assert_eq!(sentences("मंत्र पढ़ा गया|| फिर पूजा हुई।"), ["मंत्र पढ़ा गया||", "फिर पूजा हुई।"]);
    // Not after Latin text.
    assert_eq!(sentences("a | b | c"), ["a | b | c"]);
}

#[test]
fn full_stop_as_danda() {
    assert_eq!(
        sentences("नीति की घोषणा की. किसानों को लाभ होगा."),
        ["नीति की घोषणा की.", "किसानों को लाभ होगा."]
    );
}

#[test]
fn closing_quotes_stay_with_their_sentence() {
    assert_eq!(
        sentences("किम ने कहा, “हम समर्थन करेंगे।” लावरोव ने आभार जताया।"),
        ["किम ने कहा, “हम समर्थन करेंगे।”", "लावरोव ने आभार जताया।"]
    );
    assert_eq!(
        sentences("(यह प्रति वेबसाइट पर है।) अगला दौर जून में।"),
        ["(यह प्रति वेबसाइट पर है।)", "अगला दौर जून में।"]
    );
}

#[test]
fn quotations_are_split_inside() {
    assert_eq!(
        sentences("मंत्री ने कहा, “हम तैयार हैं। लेकिन समझौता नहीं होगा।” बैठक चली।"),
        ["मंत्री ने कहा, “हम तैयार हैं।", "लेकिन समझौता नहीं होगा।”", "बैठक चली।"]
    );
}

#[test]
fn reporting_clauses_continue_the_quotation() {
    assert_eq!(sentences("“क्या आप तैयार हैं?” उसने पूछा। सब चुप थे।"), ["“क्या आप तैयार हैं?” उसने पूछा।", "सब चुप थे।"]);
    assert_eq!(sentences("“हम जीतेंगे।” कप्तान ने संवाददाताओं से कहा।"), ["“हम जीतेंगे।” कप्तान ने संवाददाताओं से कहा।"]);
    assert_eq!(sentences("“यह गलत है!” बयान में कहा गया।"), ["“यह गलत है!” बयान में कहा गया।"]);
    assert_eq!(sentences("“कब?” पत्रकार ने सवाल किया।"), ["“कब?” पत्रकार ने सवाल किया।"]);
    assert_eq!(
        sentences("\"Are you ready?\" he asked. \"Go!\" John shouted."),
        ["\"Are you ready?\" he asked.", "\"Go!\" John shouted."]
    );
    assert_eq!(sentences("“हम तैयार हैं.” उन्होंने कहा. बैठक खत्म हुई."), ["“हम तैयार हैं.” उन्होंने कहा.", "बैठक खत्म हुई."]);
    assert_eq!(sentences("“हम देखेंगे...” उन्होंने कहा।"), ["“हम देखेंगे...” उन्होंने कहा।"]);
    // Not a reporting clause: a new statement, or a clause introducing the next quotation.
    assert_eq!(
        sentences("He said, \"We are ready.\" The governor also stated, \"Today we act.\""),
        ["He said, \"We are ready.\"", "The governor also stated, \"Today we act.\""]
    );
    assert_eq!(sentences("“हम जीतेंगे।” उन्होंने कहा कि टीम तैयार है।"), ["“हम जीतेंगे।”", "उन्होंने कहा कि टीम तैयार है।"]);
}

#[test]
fn comma_and_colon_lines_continue() {
    assert_eq!(
        split("रिपोर्ट के अनुसार,\n“किम ने समर्थन दोहराया।”\nअगला अनुच्छेद"),
        [vec!["रिपोर्ट के अनुसार,\n“किम ने समर्थन दोहराया।”"], vec!["अगला अनुच्छेद"]]
    );
    assert_eq!(
        split("मुख्य बिंदु:\n- सेंसेक्स गिरा\n- रुपया कमजोर हुआ"),
        [vec!["मुख्य बिंदु:\n- सेंसेक्स गिरा"], vec!["- रुपया कमजोर हुआ"]]
    );
    assert_eq!(split("“हम तैयार हैं,”\nउन्होंने कहा।"), [vec!["“हम तैयार हैं,”\nउन्होंने कहा।"]]);
    // A blank line ends the paragraph even after a comma.
    assert_eq!(split("पहला,\n\nदूसरा"), [vec!["पहला,"], vec!["दूसरा"]]);
}

#[test]
fn line_breaks_and_blank_lines_end_sentences() {
    assert_eq!(
        split("भारत ने मैच जीता\n\nनई दिल्ली: जश्न का माहौल है।\r\nWith inputs from IANS\r\n"),
        [vec!["भारत ने मैच जीता"], vec!["नई दिल्ली: जश्न का माहौल है।"], vec!["With inputs from IANS"]]
    );
    assert_eq!(split("एक\u{2028}दो\rतीन"), [vec!["एक"], vec!["दो"], vec!["तीन"]]);
}

#[test]
fn datelines_belong_to_the_first_sentence() {
    assert_eq!(
        sentences("सियोल: किम ने समर्थन दोहराया। लावरोव पहुंचे।"),
        ["सियोल: किम ने समर्थन दोहराया।", "लावरोव पहुंचे।"]
    );
    assert_eq!(sentences("सियोल:\nकिम ने समर्थन दोहराया।"), ["सियोल:\nकिम ने समर्थन दोहराया।"]);
    assert_eq!(
        sentences("नई दिल्ली, 12 मार्च (आईएएनएस)। सरकार ने घोषणा की।"),
        ["नई दिल्ली, 12 मार्च (आईएएनएस)।", "सरकार ने घोषणा की।"]
    );
}

#[test]
fn devanagari_abbreviations_and_initials() {
    for text in [
        "डॉ. ली ने रिपोर्ट दी।",
        "श्री. मोहनलाल को सम्मानित किया गया।",
        "हर परिवार को रु. 6000 मिलेंगे।",
        "दुर्घटना 40 कि.मी. दूर हुई।",
        "मंदिर वि.सं. 1850 में बना।",
        "यह 356 ई.पू. को हुआ।",
        "यह 1857 ई. में हुआ।",
        "प्रो. रमेश चंद्र ने नेतृत्व किया।",
        "ए. के. सिंह ने कहा।",
        "एम.एस. धोनी ने संन्यास लिया।",
        "बी.जे.पी. ने बैठक बुलाई।",
        "कॉस्मेनॉट नं. 11 भी कहा जाता है।",
    ] {
        assert_eq!(sentences(text), [text]);
    }
}

#[test]
fn latin_abbreviations_and_initials() {
    for text in [
        "U.S. के विदेश मंत्री ने निंदा की।",
        "मतदान सुबह 7 a.m. से शाम 6 p.m. तक चलेगा।",
        "A.P.J. Abdul Kalam Road पर यातायात रोका गया।",
        "Dr. Lee also expressed concern.",
        "Mr. Rudd's decision was welcomed by Mrs. Smith and Prof. Jones.",
        "It was assigned to the U.S. Navy's Seventh Fleet.",
        "At 1:15 a.m. Saturday, the bus left for St. Louis.",
        "He was named cosmonaut No. 11 by the agency.",
        "Roe v. Wade was settled.",
    ] {
        assert_eq!(sentences(text), [text]);
    }
    assert_eq!(
        sentences("He lives in the U.S. The weather is nice."),
        ["He lives in the U.S.", "The weather is nice."]
    );
    assert_eq!(sentences("We met at 5 p.m. It rained."), ["We met at 5 p.m.", "It rained."]);
    assert_eq!(
        sentences("Bring food, water, etc. Try to rest."),
        ["Bring food, water, etc.", "Try to rest."]
    );
}

#[test]
fn decimals_times_urls_and_emails() {
    for text in [
        "विकास दर 3.5 प्रतिशत रहने का अनुमान है।",
        "ट्रेन सुबह 10.30 बजे रवाना हुई।",
        "www.mea.gov.in पर जाएं या info@example.in पर ईमेल करें।",
        "https://pib.gov.in/Press.aspx?PRID=12 पर पढ़ें।",
    ] {
        assert_eq!(sentences(text), [text]);
    }
    assert_eq!(sentences("विवरण info@example.in. अगला वाक्य।"), ["विवरण info@example.in.", "अगला वाक्य।"]);
}

#[test]
fn ellipses() {
    assert_eq!(sentences("उन्होंने कहा कि हालात... बेहद गंभीर हैं।"), ["उन्होंने कहा कि हालात... बेहद गंभीर हैं।"]);
    assert_eq!(sentences("सब कुछ शांत हो गया… अगली सुबह दल पहुंचा।"), ["सब कुछ शांत हो गया…", "अगली सुबह दल पहुंचा।"]);
    assert_eq!(sentences("वह कल आएगा... लेकिन नहीं आया।"), ["वह कल आएगा... लेकिन नहीं आया।"]);
    assert_eq!(sentences("He waited... The door opened."), ["He waited...", "The door opened."]);
    assert_eq!(sentences("He waited... and waited."), ["He waited... and waited."]);
    assert_eq!(
        split("सब शांत हो गया…\nअगली सुबह दल पहुंचा।"),
        [vec!["सब शांत हो गया…"], vec!["अगली सुबह दल पहुंचा।"]]
    );
}

#[test]
fn list_numbers() {
    assert_eq!(split("1. सेंसेक्स गिरा\n2. रुपया कमजोर हुआ"), [vec!["1. सेंसेक्स गिरा"], vec!["2. रुपया कमजोर हुआ"]]);
    assert_eq!(
        sentences("तीन मुद्दे: 1. सीमा 2. व्यापार 3. जलवायु। सहमति बनी।"),
        ["तीन मुद्दे: 1. सीमा 2. व्यापार 3. जलवायु।", "सहमति बनी।"]
    );
    assert_eq!(
        sentences("It happened on August 3. The presenter was arrested."),
        ["It happened on August 3.", "The presenter was arrested."]
    );
}

#[test]
fn stray_punctuation_joins_a_sentence() {
    assert_eq!(sentences("माफ़ी मांगी। । तबाही हुई।"), ["माफ़ी मांगी। ।", "तबाही हुई।"]);
    assert_eq!(sentences("। यह वाक्य है।"), ["। यह वाक्य है।"]);
    assert_eq!(sentences("***"), ["***"]);
}

#[test]
fn bracketed_group_after_a_sentence_stays_with_it() {
    assert_eq!(
        sentences("बदलाव किया जा सकता है. (ब्रेमर, 1998) इंटरनेट का उपयोग बढ़ा."),
        ["बदलाव किया जा सकता है. (ब्रेमर, 1998)", "इंटरनेट का उपयोग बढ़ा."]
    );
    assert_eq!(sentences("यह हुआ। (1) सीमा विवाद।"), ["यह हुआ।", "(1) सीमा विवाद।"]);
}

#[test]
fn unpunctuated_clause_end_before_a_connective() {
    assert_eq!(
        sentences("पर्यटक गर्मियों में आते हैं हालांकि, सर्दियों में बर्फ होती है।"),
        ["पर्यटक गर्मियों में आते हैं", "हालांकि, सर्दियों में बर्फ होती है।"]
    );
    // Correlatives are not connectives: one sentence.
    assert_eq!(sentences("जब वह आएगा तब, हम चलेंगे।"), ["जब वह आएगा तब, हम चलेंगे।"]);
}

#[test]
fn unpunctuated_boundary_between_two_complete_clauses() {
    // A finite transitive verb with its agent (ने), then a clause with its own finite verb.
    assert_eq!(
        sentences("किसानों ने दिल्ली में विरोध प्रदर्शन किया पिछले साल भी ऐसे प्रदर्शन हुए थे, पर सरकार चुप रही।"),
        ["किसानों ने दिल्ली में विरोध प्रदर्शन किया", "पिछले साल भी ऐसे प्रदर्शन हुए थे, पर सरकार चुप रही।"]
    );
    assert_eq!(
        sentences("मंत्री ने नई योजना का उद्घाटन किया अगले महीने से किसानों को लाभ मिलेगा।"),
        ["मंत्री ने नई योजना का उद्घाटन किया", "अगले महीने से किसानों को लाभ मिलेगा।"]
    );
    // The second clause's transitive verb has an agent of its own.
    assert_eq!(
        sentences("पुलिस ने तीन लोगों को गिरफ्तार किया अदालत ने उन्हें जमानत दे दी।"),
        ["पुलिस ने तीन लोगों को गिरफ्तार किया", "अदालत ने उन्हें जमानत दे दी।"]
    );
}

#[test]
fn no_unpunctuated_boundary_inside_one_sentence() {
    for text in [
        // Participles used as adjectives: no agent with ने, or a genitive before them.
        "पिछले साल किया वादा अब तक पूरा नहीं हुआ है।",
        "चेक किया बॉक्स बताता है कि विकल्प चालू है।",
        "मैंने दादी की दी किताब पढ़ी है।",
        "उन्होंने सरकार द्वारा किया वादा याद दिलाया था।",
        // Auxiliaries, light verbs and conjunctions continue the clause.
        "कंपनी ने नया फोन लॉन्च किया था लेकिन बिक्री कम रही।",
        "उन्होंने यह काम किया ही नहीं था।",
        "उन्होंने भोजन किया और सो गए।",
        "उन्होंने साफ किया कि वे चुनाव नहीं लड़ेंगे।",
        "सरकार ने कर्ज माफ किया जिससे किसानों को राहत मिली है।",
        // The verb or noun before it was placed after the verb: no clause follows.
        "सरकार ने लिया बड़ा फैसला, किसानों का कर्ज माफ होगा।",
        "मुख्यमंत्री ने किया नए पुल का उद्घाटन।",
        // A relative or conditional clause: its correlative follows.
        "जो काम उन्होंने किया वह सराहनीय था।",
        "अगर कंपनी ने कर्मचारियों को बाहर किया हम हड़ताल करेंगे।",
        // The following clause shares the agent, or is the complement of a verb of saying.
        "उन्होंने पहले स्नान किया भोजन किया और सो गए।",
        "उन्होंने दावा किया सरकार झूठ बोल रही है।",
        "पुलिस ने जानकारी दी आरोपी फरार है।",
    ] {
        assert_eq!(sentences(text), [text]);
    }
}

#[test]
fn mixed_hindi_and_english() {
    assert_eq!(
        sentences("कप्तान ने कहा, \"We played as a team.\" टीम सेमीफाइनल में है।"),
        ["कप्तान ने कहा, \"We played as a team.\"", "टीम सेमीफाइनल में है।"]
    );
    assert_eq!(
        sentences("Yahoo!और Microsoft की सेवाएं. Yahoo! and Microsoft merged."),
        ["Yahoo!और Microsoft की सेवाएं.", "Yahoo! and Microsoft merged."]
    );
}

#[test]
fn spans_point_into_the_input() {
    let text = "  पहला वाक्य।  दूसरा वाक्य।\n\n\nतीसरा  ";
    let paragraphs = segment(text);
    assert_eq!(paragraphs.len(), 2);
    assert_eq!(paragraphs[0].sentences[0].span.start, 2);
    assert_eq!(&text[paragraphs[0].span.clone()], "पहला वाक्य।  दूसरा वाक्य।");
    assert_eq!(paragraphs[1].sentences[0].text(text), "तीसरा");
    assert_eq!(Sentence { span: 0..1000 }.text(text), "");
}

#[test]
fn the_invariant_check_finds_violations() {
    let text = "एक। दो।";
    let good = segment(text);
    assert_eq!(metric::invariant_violation(text, &good), None);
    let mut lost = good.clone();
    lost[0].sentences.pop();
    lost[0].span.end = lost[0].sentences[0].span.end;
    assert!(metric::invariant_violation(text, &lost).is_some());
    let mut split_char = good;
    split_char[0].sentences[0].span.end = 1;
    split_char[0].span.end = 1;
    assert!(metric::invariant_violation(text, &split_char).is_some());
}

#[test]
fn odd_inputs_keep_the_invariant() {
    for text in [
        "",
        "   \n\r\n\t ",
        "।",
        "\u{200D}\u{200C}",
        "\u{0301}।\u{0301}",
        "\0\u{1}.\u{7}?",
        "“",
        ".....",
        "है।।।”””",
        "a.b.c.d. e",
        "(((((",
        ")))) .",
        "क्या?“",
        "\u{feff}शुरुआत। अंत",
        "”। “ । ” ।",
        ",\n,\n:\n",
    ] {
        check_invariant(text, &segment(text));
    }
}

#[test]
fn ambiguous_letter_names_are_initials_next_to_a_name() {
    for text in [
        // After a title or designation, or a genitive.
        "वित्त मंत्री पी. चिदंबरम ने बैठक बुलाई।",
        "अदालत ने मजिस्ट्रेट जी. रामलिंगम से रिपोर्ट मांगी।",
        "न्यायाधीश ओ. चिन्नप्पा रेड्डी ने फैसला सुनाया।",
        "पुलिस अधीक्षक आई. वेंकटेश्वरलू पहुंचे।",
        "इस अवसर पर डॉ. जी. माधवन मौजूद थे।",
        "कांग्रेस के पी. चिदंबरम ने आलोचना की।",
        // A name in a clause: the next word is followed by a postposition or a conjunction.
        "बैठक के बाद पी. शिवशंकर ने बात की।",
        "समारोह में जी. सुब्रमण्यम और उनकी पत्नी थीं।",
        "पी. चिदंबरम ने कहा कि संकट है।",
        "उन्होंने आई. वेंकटेश से मुलाकात की।",
        // Next to another initial.
        "आई. के. गुजराल ने शपथ ली।",
    ] {
        assert_eq!(sentences(text), [text]);
    }
}

#[test]
fn ambiguous_letter_names_as_verbs_end_sentences() {
    assert_eq!(sentences("उसने पानी पी. फिर वह सो गया."), ["उसने पानी पी.", "फिर वह सो गया."]);
    assert_eq!(sentences("रिपोर्ट सामने आई. इसके बाद हंगामा हुआ."), ["रिपोर्ट सामने आई.", "इसके बाद हंगामा हुआ."]);
    // आई ("came") is a verb unless a noun phrase may begin before it, even before `NOUN ने`.
    assert_eq!(
        sentences("बाजार में गिरावट आई. निवेशकों को नुकसान हुआ."),
        ["बाजार में गिरावट आई.", "निवेशकों को नुकसान हुआ."]
    );
    assert_eq!(sentences("घटना सामने आई. पुलिस ने केस दर्ज किया."), ["घटना सामने आई.", "पुलिस ने केस दर्ज किया."]);
    assert_eq!(sentences("उन्होंने जिंदगी जी. लोग उन्हें याद करते हैं."), ["उन्होंने जिंदगी जी.", "लोग उन्हें याद करते हैं."]);
    // The honorific जी after a designation, at a sentence's end.
    assert_eq!(sentences("धन्यवाद मंत्री जी. अब सवाल पूछिए."), ["धन्यवाद मंत्री जी.", "अब सवाल पूछिए."]);
}

#[test]
fn units_degrees_titles_months_and_short_forms() {
    for text in [
        "वह रोज 15 किमी. पैदल चलती थी।",
        "वजन 3 किग्रा. और लंबाई 50 सेमी. थी।",
        "हर 6 घं. में 10 मिली. दवा दी जाती है।",
        "डेयरी 500 ली. दूध भेजती है।",
        "उन्होंने डी. फिल. की उपाधि ली।",
        "उन्होंने पीएच. डी. और एम.फिल. किया।",
        "अध्यक्षता ले. जन. अरविंद सिंह ने की।",
        "यह आदेश 15 जन. 2021 से लागू है।",
        "संविधान के अनु. 370 पर बहस हुई।",
        "दिल्ली विवि. के कुलपति आए।",
        // Not listed, but a short form that cannot be a verb, before a number.
        "विवरण रिपोर्ट के खं. 3 में है।",
    ] {
        assert_eq!(sentences(text), [text]);
    }
    // ली and मिली are verbs ("took", "got") unless a number comes before them.
    assert_eq!(sentences("उसने शपथ ली. 5 मंत्री भी बने."), ["उसने शपथ ली.", "5 मंत्री भी बने."]);
    assert_eq!(sentences("टीम को जीत मिली. 2 खिलाड़ी घायल हुए."), ["टीम को जीत मिली.", "2 खिलाड़ी घायल हुए."]);
}

#[test]
fn a_verb_before_a_number_ends_the_sentence() {
    assert_eq!(
        sentences("सरकार ने घोषणा की. 2 करोड़ किसानों को लाभ होगा."),
        ["सरकार ने घोषणा की.", "2 करोड़ किसानों को लाभ होगा."]
    );
    assert_eq!(sentences("मैच रद्द हो गया. 3 दिन बाद फिर होगा."), ["मैच रद्द हो गया.", "3 दिन बाद फिर होगा."]);
    assert_eq!(sentences("यह घटना 2019 में हुई. 3 लोग घायल हुए."), ["यह घटना 2019 में हुई.", "3 लोग घायल हुए."]);
    assert_eq!(sentences("सूची यहां है. 5 नाम हैं."), ["सूची यहां है.", "5 नाम हैं."]);
}

#[test]
fn no_sentence_starts_with_a_postposition_or_enclitic() {
    // Whatever proposed the boundary: a period, a danda inside a token, a line break.
    assert_eq!(sentences("उन्होंने हार्वर्ड से MPA. की डिग्री ली।"), ["उन्होंने हार्वर्ड से MPA. की डिग्री ली।"]);
    assert_eq!(sentences("यह फैसला हुआ।के बाद सब गए।"), ["यह फैसला हुआ।के बाद सब गए।"]);
    assert_eq!(split("सरकार ने इस योजना\nको मंजूरी दी।"), [vec!["सरकार ने इस योजना\nको मंजूरी दी।"]]);
    assert_eq!(sentences("वह आया. भी, और गया."), ["वह आया. भी, और गया."]);
    // `के.` is an initial, and पर also means "but": both may start a sentence.
    assert_eq!(sentences("बैठक हुई। के. चंद्रशेखर राव आए।"), ["बैठक हुई।", "के. चंद्रशेखर राव आए।"]);
    assert_eq!(sentences("उसने वादा किया। पर वह नहीं आया।"), ["उसने वादा किया।", "पर वह नहीं आया।"]);
}

#[test]
fn marks_stay_with_the_letter_before_them() {
    // A candrabindu typed after a danda belongs to the danda's cluster; the cut comes after it.
    assert_eq!(sentences("बैठक समाप्त हुई।\u{901}"), ["बैठक समाप्त हुई।\u{901}"]);
    assert_eq!(sentences("बैठक हुई।\u{901}फिर सब गए।"), ["बैठक हुई।\u{901}", "फिर सब गए।"]);
    assert_eq!(sentences("बैठक हुई। \u{940}फिर सब गए।"), ["बैठक हुई। \u{940}फिर सब गए।"]);
    // A line separator inside a word is not a line break.
    assert_eq!(split("सरकार ने न\u{2028}ी नीति बनाई।"), [vec!["सरकार ने न\u{2028}ी नीति बनाई।"]]);
    assert_eq!(split("एक\n\n\u{902}दो"), [vec!["एक\n\n\u{902}दो"]]);
    // Between letters it is one (it may end a headline).
    assert_eq!(split("शीर्षक\u{2028}पहला वाक्य।"), [vec!["शीर्षक"], vec!["पहला वाक्य।"]]);
}
