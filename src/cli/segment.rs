//! `anuvad segment FILE|-`: the segmentation that `translate` uses, on its own.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::files::read_input;

#[derive(Debug, clap::Args)]
pub(crate) struct SegmentArgs {
    /// Input file, or - for standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
    /// text: one sentence per line, a blank line between paragraphs; jsonl: one record per sentence.
    #[arg(long, short = 'f', default_value = "text", value_parser = ["text", "jsonl"])]
    format: String,
}

#[derive(Serialize)]
struct Record<'a> {
    paragraph: usize,
    sentence: usize,
    start: usize,
    end: usize,
    source: &'a str,
}

pub(crate) fn run(args: SegmentArgs) -> anyhow::Result<ExitCode> {
    let text = read_input(&args.input)?;
    let paragraphs = anuvad::segment(&text);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (p, paragraph) in paragraphs.iter().enumerate() {
        if args.format == "text" && p > 0 {
            writeln!(out)?;
        }
        for (s, sentence) in paragraph.sentences.iter().enumerate() {
            let sentence_text = sentence.text(&text);
            if args.format == "jsonl" {
                let record = Record {
                    paragraph: p,
                    sentence: s,
                    start: sentence.span.start,
                    end: sentence.span.end,
                    source: sentence_text,
                };
                serde_json::to_writer(&mut out, &record)?;
                writeln!(out)?;
            } else {
                writeln!(out, "{}", one_line(sentence_text))?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A sentence on one line: each line terminator inside it (a line that ended with a comma or colon, or a
/// break the segmenter did not take, such as a form feed before a vowel sign) becomes a space, so that
/// no output line begins in the middle of a sentence or with a combining mark.
fn one_line(sentence: &str) -> String {
    sentence
        .replace("\r\n", " ")
        .replace(['\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{2028}', '\u{2029}'], " ")
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn sentences_print_on_one_line() {
        assert_eq!(one_line("अनुसार,\r\n“किम"), "अनुसार, “किम");
        assert_eq!(one_line("न\u{2028}ी\u{0C}ं\u{85}्\u{0B}़\u{2029}x\ry"), "न ी ं ् ़ x y");
    }
}
