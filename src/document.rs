//! A translated document (source sentences aligned with their translations, paragraphs kept) and its
//! output formats.

use std::io::{self, Write};
use std::ops::Range;

use serde::Serialize;

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
}

/// A translated paragraph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranslatedParagraph {
    /// UTF-8 byte range of the paragraph in the input.
    pub span: Range<usize>,
    /// Its sentences, in order.
    pub sentences: Vec<AlignedSentence>,
    /// Line breaks in the input between the previous paragraph (or the start) and this one: 1 for the
    /// next line, 2 after a blank line. Text output reproduces them.
    pub line_breaks_before: usize,
}

/// A translated document: the input's paragraphs with every sentence aligned to its translation.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Document {
    /// The paragraphs, in order.
    pub paragraphs: Vec<TranslatedParagraph>,
}

/// Output formats of a [`Document`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Format {
    /// The English text with the input's layout: one line per input paragraph line, blank lines kept.
    #[default]
    Text,
    /// One JSON object per source sentence:
    /// `{"paragraph","sentence","start","end","source","translation","score","split"}`.
    Jsonl,
    /// Tab-separated `paragraph, sentence, source, translation` with a header line; tabs, newlines and
    /// backslashes escaped as `\t`, `\n`, `\r`, `\\`.
    Tsv,
    /// A two-column Markdown table (source | translation) per paragraph.
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
}

impl Document {
    /// Every sentence with its paragraph and sentence numbers (both from 0).
    pub fn sentences(&self) -> impl Iterator<Item = (usize, usize, &AlignedSentence)> {
        self.paragraphs.iter().enumerate().flat_map(|(p, paragraph)| {
            paragraph.sentences.iter().enumerate().map(move |(s, sentence)| (p, s, sentence))
        })
    }

    /// Writes the document in `format`.
    pub fn write(&self, out: &mut impl Write, format: Format) -> io::Result<()> {
        match format {
            Format::Text => self.write_text(out),
            Format::Jsonl => self.write_jsonl(out),
            Format::Tsv => self.write_tsv(out),
            Format::Markdown => self.write_markdown(out),
        }
    }

    /// The document rendered in `format`, as a string.
    pub fn render(&self, format: Format) -> String {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail, and every format writes valid UTF-8.
        let _ = self.write(&mut out, format);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        for (index, paragraph) in self.paragraphs.iter().enumerate() {
            // Leading blank lines of the input are not worth reproducing; later breaks are.
            let breaks = if index == 0 { 0 } else { paragraph.line_breaks_before.max(1) };
            out.write_all("\n".repeat(breaks).as_bytes())?;
            let line: Vec<&str> = paragraph.sentences.iter().map(|s| s.translation.as_str()).collect();
            out.write_all(line.join(" ").as_bytes())?;
        }
        if !self.paragraphs.is_empty() {
            out.write_all(b"\n")?;
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
            };
            serde_json::to_writer(&mut *out, &record)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn write_tsv(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "paragraph\tsentence\tsource\ttranslation")?;
        for (paragraph, sentence, aligned) in self.sentences() {
            writeln!(
                out,
                "{paragraph}\t{sentence}\t{}\t{}",
                escape_tsv(&aligned.source),
                escape_tsv(&aligned.translation)
            )?;
        }
        Ok(())
    }

    fn write_markdown(&self, out: &mut impl Write) -> io::Result<()> {
        for (index, paragraph) in self.paragraphs.iter().enumerate() {
            if index > 0 {
                writeln!(out)?;
            }
            writeln!(out, "| Source | Translation |")?;
            writeln!(out, "| --- | --- |")?;
            for sentence in &paragraph.sentences {
                writeln!(
                    out,
                    "| {} | {} |",
                    escape_markdown(&sentence.source),
                    escape_markdown(&sentence.translation)
                )?;
            }
        }
        Ok(())
    }
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
        }
    }

    fn document() -> Document {
        Document {
            paragraphs: vec![
                TranslatedParagraph {
                    span: 0..9,
                    sentences: vec![sentence("a|b", "A\tB", 0), sentence("c.", "C.", 4)],
                    line_breaks_before: 0,
                },
                TranslatedParagraph {
                    span: 11..13,
                    sentences: vec![sentence("d\\", "D", 11)],
                    line_breaks_before: 2,
                },
            ],
        }
    }

    #[test]
    fn text_keeps_paragraph_layout() {
        assert_eq!(document().render(Format::Text), "A\tB C.\n\nD\n");
        assert_eq!(Document::default().render(Format::Text), "");
    }

    #[test]
    fn tsv_escapes_tabs_and_backslashes() {
        let tsv = document().render(Format::Tsv);
        assert_eq!(
            tsv,
            "paragraph\tsentence\tsource\ttranslation\n0\t0\ta|b\tA\\tB\n0\t1\tc.\tC.\n1\t0\td\\\\\tD\n"
        );
    }

    #[test]
    fn markdown_escapes_pipes() {
        let md = document().render(Format::Markdown);
        assert!(md.contains("| a\\|b | A\tB |"));
        assert_eq!(md.matches("| Source | Translation |").count(), 2);
    }

    #[test]
    fn jsonl_has_one_record_per_sentence_in_order() {
        let jsonl = document().render(Format::Jsonl);
        let lines: Vec<&str> = jsonl.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[2].starts_with(r#"{"paragraph":1,"sentence":0,"start":11,"end":13,"source":"d\\""#));
    }

    #[test]
    fn formats_parse_from_their_names() {
        for format in [Format::Text, Format::Jsonl, Format::Tsv, Format::Markdown] {
            assert_eq!(format.name().parse::<Format>().unwrap(), format);
        }
        assert!("pdf".parse::<Format>().is_err());
    }
}
