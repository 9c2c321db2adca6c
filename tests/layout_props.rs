//! Property test of text output's layout: for any input made of Hindi sentences, lines ending in a
//! comma, blank and whitespace-only lines, LF or CRLF, with or without a final line break, the text
//! written has exactly one line per input line, each with the input's line ending (a last line without
//! one gets one), and each sentence's
//! translation on the line where the sentence starts.
//!
//! Raise the case count with `PROPTEST_CASES=10000 cargo test --test layout_props`.

use anuvad::{input_lines, segment, AlignedSentence, Document, Format, TranslatedParagraph};
use proptest::prelude::*;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const LINES: &[&str] = &[
    "",
    "   ",
    "\t",
    "पहला वाक्य।",
    "दूसरा वाक्य। तीसरा वाक्य?",
    "सरकार के अनुसार,",
    "उन्होंने कहा:",
    "“हम तैयार हैं,”",
    "डॉ. पी. चिदंबरम ने कहा",
    "Prime Minister said.",
    "१,५०,००० रुपये",
];

/// Every sentence "translated" to a marker naming its number, so the test can find it again.
fn translated(text: &str) -> Document {
    let mut number = 0;
    let paragraphs = segment(text)
        .into_iter()
        .map(|paragraph| TranslatedParagraph {
            span: paragraph.span.clone(),
            sentences: paragraph
                .sentences
                .iter()
                .map(|sentence| {
                    number += 1;
                    AlignedSentence {
                        source: text[sentence.span.clone()].to_string(),
                        translation: format!("<{number}>"),
                        span: sentence.span.clone(),
                        score: 0.0,
                        split: false,
                        flags: Vec::new(),
                        repaired: None,
                    }
                })
                .collect(),
        })
        .collect();
    Document { paragraphs, lines: input_lines(text) }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    #[test]
    fn text_output_has_the_inputs_lines_and_endings(
        lines in prop::collection::vec((prop::sample::select(LINES), any::<bool>()), 0..12),
        final_break in any::<bool>(),
    ) {
        let mut text = String::new();
        for (index, (line, crlf)) in lines.iter().enumerate() {
            text.push_str(line);
            if index + 1 < lines.len() || final_break {
                text.push_str(if *crlf { "\r\n" } else { "\n" });
            }
        }
        let document = translated(&text);
        let output = document.render(Format::Text);

        let input_lines: Vec<&str> = text.split_inclusive('\n').collect();
        let output_lines: Vec<&str> = output.split_inclusive('\n').collect();
        prop_assert_eq!(input_lines.len(), output_lines.len(), "{:?} -> {:?}", text, output);
        for (input_line, output_line) in input_lines.iter().zip(&output_lines) {
            // A last line without a line break gets one (the kind the first line has).
            if input_line.ends_with('\n') {
                prop_assert_eq!(input_line.ends_with("\r\n"), output_line.ends_with("\r\n"), "{:?} -> {:?}", text, output);
            }
            prop_assert!(output_line.ends_with('\n'));
        }
        // Every sentence once, on the line where it starts, in order.
        for (_, _, sentence) in document.sentences() {
            let line = text[..sentence.span.start].matches('\n').count();
            prop_assert!(output_lines[line].contains(&sentence.translation), "{:?} -> {:?}", text, output);
            prop_assert_eq!(output.matches(&sentence.translation).count(), 1);
        }
    }
}
