//! `anuvad translate FILE|-`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anuvad::Format;

use anuvad::output::write_atomically;

use super::files::read_input;
use super::{output_target, DecodeArgs, ModelArgs};

#[derive(Debug, clap::Args)]
pub(crate) struct TranslateArgs {
    /// Input file, or - for standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    decode: DecodeArgs,
    /// Output format: text (the input's layout), jsonl (one aligned record per sentence), tsv, md.
    #[arg(long, short = 'f', default_value = "text", value_parser = parse_format)]
    format: Format,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
}

pub(crate) fn parse_format(name: &str) -> Result<Format, String> {
    name.parse::<Format>().map_err(|e| e.to_string())
}

pub(crate) fn run(args: TranslateArgs) -> anyhow::Result<ExitCode> {
    let text = read_input(&args.input)?;
    if text.trim().is_empty() {
        // Nothing to translate: no model needed, empty output.
        return finish(&args, b"");
    }
    let translator = super::load(args.decode.apply(args.model.builder())?)?;
    let document = translator.translate_document(&text)?;
    for (paragraph, sentence, aligned) in document.sentences() {
        if aligned.split {
            eprintln!(
                "anuvad: warning: paragraph {paragraph}, sentence {sentence} (bytes {}..{}) is longer than the \
                 model accepts; it was translated in pieces split at clause boundaries",
                aligned.span.start, aligned.span.end
            );
        }
    }
    let rendered = document.render(args.format);
    finish(&args, rendered.as_bytes())
}

fn finish(args: &TranslateArgs, bytes: &[u8]) -> anyhow::Result<ExitCode> {
    match output_target(&args.output) {
        Some(path) => write_atomically(path, bytes)
            .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes)?;
            stdout.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
