//! A translated document (source sentences aligned with their translations, paragraphs kept) and its
//! output formats.

use std::io::{self, Write};
use std::ops::Range;

use serde::Serialize;

use crate::checks::{Finding, FlagSummary};
use crate::Error;

/// One source sentence and its translation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlignedSentence {
    /// The source sentence, exactly as in the input (`input[span] == source`).
    pub source: String,
    /// Its English translation.
    pub translation: String,
    /// UTF-8 byte range of the sentence in the input.
    pub span: Range<usize>,
    /// Model score: the length-normalised log-probability of the translation (beam search), or the mean
    /// token log-probability (greedy). Closer to 0 is more confident. For a split sentence, the mean
    /// over its pieces.
    pub score: f32,
    /// True when the sentence was longer than the model accepts and was translated in pieces.
    pub split: bool,
    /// What [`crate::checks::check`] found in the translation (empty when it passed every check).
    pub flags: Vec<Finding>,
    /// When the first translation was flagged and a repair replaced it: how (e.g. "loop: decoded
    /// again with no_repeat_ngram_size=3, repetition_penalty=1.2"). `flags` are then those of the
    /// repaired translation.
    pub repaired: Option<String>,
}

/// A translated paragraph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranslatedParagraph {
    /// UTF-8 byte range of the paragraph in the input.
    pub span: Range<usize>,
    /// Its sentences, in order.
    pub sentences: Vec<AlignedSentence>,
}

/// How a line of the input ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LineEnding {
    /// `\n`.
    Lf,
    /// `\r\n`.
    CrLf,
    /// Nothing: the last line of an input that does not end with a line break.
    None,
}

/// One line of the input: text output writes one line for each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputLine {
    /// UTF-8 byte range of the line in the input, without its line break.
    pub span: Range<usize>,
    /// How it ends.
    pub ending: LineEnding,
}

/// The lines of `text`, split at `\n` (a `\r` before it belongs to the line break).
pub fn input_lines(text: &str) -> Vec<InputLine> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (at, _) in text.match_indices('\n') {
        let crlf = at > start && text.as_bytes()[at - 1] == b'\r';
        let end = if crlf { at - 1 } else { at };
        lines.push(InputLine {
            span: start..end,
            ending: if crlf { LineEnding::CrLf } else { LineEnding::Lf },
        });
        start = at + 1;
    }
    if start < text.len() {
        lines.push(InputLine { span: start..text.len(), ending: LineEnding::None });
    }
    lines
}

/// A translated document: the input's paragraphs with every sentence aligned to its translation.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Document {
    /// The paragraphs, in order.
    pub paragraphs: Vec<TranslatedParagraph>,
    /// The input's lines ([`input_lines`]), which text output reproduces.
    pub lines: Vec<InputLine>,
}

/// Output formats of a [`Document`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Format {
    /// The English text with the input's layout: one output line for every input line, each ended as
    /// in the input (CRLF stays CRLF). A sentence's translation goes on the line where the sentence
    /// starts; the lines a sentence continues on stay empty, and so do blank lines.
    #[default]
    Text,
    /// One JSON object per source sentence:
    /// `{"paragraph","sentence","start","end","source","translation","score","split","flags"}`, plus
    /// `"repaired"` when a repair replaced the translation. `flags` lists the checks' findings (see
    /// [`Finding`]), empty when the translation passed.
    Jsonl,
    /// Tab-separated `paragraph, sentence, source, translation, flags` with a header line (`flags`: the
    /// kinds of the findings, comma-separated, empty when none); tabs, newlines and backslashes escaped
    /// as `\t`, `\n`, `\r`, `\\`.
    Tsv,
    /// A Markdown table (source | translation | check) per paragraph; the check column marks flagged
    /// sentences with ⚠ and the findings.
    Markdown,
}

impl Format {
    /// The file extension `anuvad batch` gives outputs in this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "en.txt",
            Format::Jsonl => "jsonl",
            Format::Tsv => "tsv",
            Format::Markdown => "md",
        }
    }

    /// The format's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Jsonl => "jsonl",
            Format::Tsv => "tsv",
            Format::Markdown => "md",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = crate::Error;

    fn from_str(name: &str) -> crate::Result<Self> {
        match name {
            "text" | "txt" => Ok(Format::Text),
            "jsonl" => Ok(Format::Jsonl),
            "tsv" => Ok(Format::Tsv),
            "md" | "markdown" => Ok(Format::Markdown),
            other => Err(crate::Error::InvalidInput(format!(
                "unknown format `{other}` (expected text, jsonl, tsv or md)"
            ))),
        }
    }
}

/// One JSONL record (field order as documented).
#[derive(Serialize)]
struct Record<'a> {
    paragraph: usize,
    sentence: usize,
    start: usize,
    end: usize,
    source: &'a str,
    translation: &'a str,
    score: f32,
    split: bool,
    flags: &'a [Finding],
    #[serde(skip_serializing_if = "Option::is_none")]
    repaired: Option<&'a str>,
}

impl Document {
    /// Every sentence with its paragraph and sentence numbers (both from 0).
    pub fn sentences(&self) -> impl Iterator<Item = (usize, usize, &AlignedSentence)> {
        self.paragraphs.iter().enumerate().flat_map(|(p, paragraph)| {
            paragraph.sentences.iter().enumerate().map(move |(s, sentence)| (p, s, sentence))
        })
    }

    /// Sentences checked, flagged and repaired, for a summary line ("3 of 120 sentences flagged: 2
    /// number, 1 loop").
    pub fn flag_summary(&self) -> FlagSummary {
        let mut summary = FlagSummary::default();
        for (_, _, sentence) in self.sentences() {
            summary.add(&sentence.flags);
            summary.repaired += usize::from(sentence.repaired.is_some());
        }
        summary
    }

    /// Writes the document in `format`. An error is the writer's, as [`Error::Stream`].
    pub fn write(&self, out: &mut impl Write, format: Format) -> crate::Result<()> {
        match format {
            Format::Text => self.write_text(out),
            Format::Jsonl => self.write_jsonl(out),
            Format::Tsv => self.write_tsv(out),
            Format::Markdown => self.write_markdown(out),
        }
        .map_err(Error::Stream)
    }

    /// The document rendered in `format`, as a string.
    pub fn render(&self, format: Format) -> String {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail, and every format writes valid UTF-8.
        let _ = self.write(&mut out, format);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        // A last line without a line break gets the document's own kind of line break.
        let usual_ending = match self.lines.first().map(|line| line.ending) {
            Some(LineEnding::CrLf) => "\r\n",
            _ => "\n",
        };
        let mut sentences = self.sentences().map(|(_, _, sentence)| sentence).peekable();
        for (index, line) in self.lines.iter().enumerate() {
            let next_line_start = self.lines.get(index + 1).map_or(usize::MAX, |next| next.span.start);
            let mut separator = "";
            while let Some(sentence) = sentences.next_if(|s| s.span.start < next_line_start) {
                out.write_all(separator.as_bytes())?;
                out.write_all(sentence.translation.as_bytes())?;
                separator = " ";
            }
            out.write_all(match line.ending {
                LineEnding::Lf => b"\n",
                LineEnding::CrLf => b"\r\n",
                LineEnding::None => usual_ending.as_bytes(),
            })?;
        }
        // Only a document built without its lines has sentences left: they are not dropped.
        let rest: Vec<&str> = sentences.map(|sentence| sentence.translation.as_str()).collect();
        if !rest.is_empty() {
            out.write_all(rest.join(" ").as_bytes())?;
            out.write_all(usual_ending.as_bytes())?;
        }
        Ok(())
    }

    fn write_jsonl(&self, out: &mut impl Write) -> io::Result<()> {
        for (paragraph, sentence, aligned) in self.sentences() {
            let record = Record {
                paragraph,
                sentence,
                start: aligned.span.start,
                end: aligned.span.end,
                source: &aligned.source,
                translation: &aligned.translation,
                score: aligned.score,
                split: aligned.split,
                flags: &aligned.flags,
                repaired: aligned.repaired.as_deref(),
            };
            serde_json::to_writer(&mut *out, &record)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn write_tsv(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "paragraph\tsentence\tsource\ttranslation\tflags")?;
        for (paragraph, sentence, aligned) in self.sentences() {
            let kinds: Vec<&str> = aligned.flags.iter().map(|f| f.kind.name()).collect();
            writeln!(
                out,
                "{paragraph}\t{sentence}\t{}\t{}\t{}",
                escape_tsv(&aligned.source),
                escape_tsv(&aligned.translation),
                kinds.join(",")
            )?;
        }
        Ok(())
    }

    fn write_markdown(&self, out: &mut impl Write) -> io::Result<()> {
        for (index, paragraph) in self.paragraphs.iter().enumerate() {
            if index > 0 {
                writeln!(out)?;
            }
            writeln!(out, "| Source | Translation | Check |")?;
            writeln!(out, "| --- | --- | --- |")?;
            for sentence in &paragraph.sentences {
                writeln!(
                    out,
                    "| {} | {} | {} |",
                    escape_markdown(&sentence.source),
                    escape_markdown(&sentence.translation),
                    escape_markdown(&markdown_check(&sentence.flags, sentence.repaired.as_deref()))
                )?;
            }
        }
        Ok(())
    }
}

/// The check column of a Markdown row: "⚠ number: …; loop: …", and the repair if there was one.
pub(crate) fn markdown_check(flags: &[Finding], repaired: Option<&str>) -> String {
    let mut cell = String::new();
    if !flags.is_empty() {
        let findings: Vec<String> = flags.iter().map(|f| format!("{}: {}", f.kind, f.message)).collect();
        cell = format!("⚠ {}", findings.join("; "));
    }
    if let Some(how) = repaired {
        if !cell.is_empty() {
            cell.push(' ');
        }
        cell.push_str(&format!("(repaired: {how})"));
    }
    cell
}

fn escape_tsv(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '\t' => escaped.push_str("\\t"),
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            c => escaped.push(c),
        }
    }
    escaped
}

fn escape_markdown(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|").replace("\r\n", "<br>").replace(['\n', '\r'], "<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(source: &str, translation: &str, start: usize) -> AlignedSentence {
        AlignedSentence {
            source: source.into(),
            translation: translation.into(),
            span: start..start + source.len(),
            score: -0.5,
            split: false,
            flags: Vec::new(),
            repaired: None,
        }
    }

    fn flagged(mut sentence: AlignedSentence) -> AlignedSentence {
        sentence.flags = vec![Finding {
            kind: crate::checks::FindingKind::Verbatim,
            span: 0..1,
            translation_span: None,
            message: "Latin-script token “d” is not in the translation".into(),
        }];
        sentence
    }

    /// Source "a|b c.\n\nd\\" (two paragraphs, a blank line between).
    fn document() -> Document {
        Document {
            paragraphs: vec![
                TranslatedParagraph {
                    span: 0..6,
                    sentences: vec![sentence("a|b", "A\tB", 0), sentence("c.", "C.", 4)],
                },
                TranslatedParagraph { span: 8..10, sentences: vec![flagged(sentence("d\\", "D", 8))] },
            ],
            lines: input_lines("a|b c.\n\nd\\"),
        }
    }

    #[test]
    fn text_has_one_line_per_input_line() {
        assert_eq!(document().render(Format::Text), "A\tB C.\n\nD\n");
        assert_eq!(Document::default().render(Format::Text), "");
    }

    #[test]
    fn a_sentence_over_two_lines_is_written_where_it_starts() {
        // Lines: "", "x,", "y. z.", "". The sentence "x, y." starts on the second line and ends on the
        // third, where "z." starts.
        let text = "\r\nx,\r\ny. z.\r\n\r\n";
        let document = Document {
            paragraphs: vec![TranslatedParagraph {
                span: 2..11,
                sentences: vec![sentence("x,\r\ny.", "X, Y.", 2), sentence("z.", "Z.", 9)],
            }],
            lines: input_lines(text),
        };
        assert_eq!(document.render(Format::Text), "\r\nX, Y.\r\nZ.\r\n\r\n");
    }

    #[test]
    fn input_lines_keep_their_endings() {
        let lines = input_lines("a\r\n\nb");
        assert_eq!(
            lines,
            vec![
                InputLine { span: 0..1, ending: LineEnding::CrLf },
                InputLine { span: 3..3, ending: LineEnding::Lf },
                InputLine { span: 4..5, ending: LineEnding::None },
            ]
        );
        assert!(input_lines("").is_empty());
        assert_eq!(input_lines("\r").len(), 1, "a lone CR is not a line break");
    }

    #[test]
    fn sentences_of_a_document_without_lines_are_not_dropped() {
        let mut document = document();
        document.lines.clear();
        assert_eq!(document.render(Format::Text), "A\tB C. D\n");
    }

    #[test]
    fn tsv_escapes_tabs_and_backslashes() {
        let tsv = document().render(Format::Tsv);
        assert_eq!(
            tsv,
            "paragraph\tsentence\tsource\ttranslation\tflags\n0\t0\ta|b\tA\\tB\t\n0\t1\tc.\tC.\t\n1\t0\td\\\\\tD\tverbatim\n"
        );
    }

    #[test]
    fn markdown_escapes_pipes() {
        let md = document().render(Format::Markdown);
        assert!(md.contains("| a\\|b | A\tB |  |"));
        assert_eq!(md.matches("| Source | Translation | Check |").count(), 2);
        assert!(
            md.contains("| d\\\\ | D | ⚠ verbatim: Latin-script token “d” is not in the translation |"),
            "{md}"
        );
    }

    #[test]
    fn jsonl_has_one_record_per_sentence_in_order() {
        let jsonl = document().render(Format::Jsonl);
        let lines: Vec<&str> = jsonl.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[2].starts_with(r#"{"paragraph":1,"sentence":0,"start":8,"end":10,"source":"d\\""#));
        assert!(lines[0].ends_with(r#""split":false,"flags":[]}"#), "{}", lines[0]);
        assert!(lines[2].contains(r#""flags":[{"kind":"verbatim","start":0,"end":1,"#), "{}", lines[2]);
    }

    #[test]
    fn repaired_sentences_say_how() {
        let mut document = document();
        document.paragraphs[0].sentences[1].repaired = Some("loop: decoded again".into());
        let jsonl = document.render(Format::Jsonl);
        assert!(jsonl.lines().nth(1).unwrap().ends_with(r#""flags":[],"repaired":"loop: decoded again"}"#));
        assert!(document.render(Format::Markdown).contains("| c. | C. | (repaired: loop: decoded again) |"));
        assert_eq!(document.flag_summary().to_string(), "1 of 3 sentences flagged: 1 verbatim; 1 repaired");
    }

    #[test]
    fn formats_parse_from_their_names() {
        for format in [Format::Text, Format::Jsonl, Format::Tsv, Format::Markdown] {
            assert_eq!(format.name().parse::<Format>().unwrap(), format);
        }
        assert!("pdf".parse::<Format>().is_err());
    }
}
