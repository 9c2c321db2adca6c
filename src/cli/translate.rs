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
    pub(crate) decode: DecodeArgs,
    /// Output format: text (the input's lines), jsonl (one aligned record per sentence), tsv, md.
    #[arg(long, short = 'f', default_value = "text", value_parser = parse_format, help_heading = "Output")]
    format: Format,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short = 'o', help_heading = "Output")]
    output: Option<PathBuf>,
    /// Exit with 1 when any translation is flagged by the checks (the output is written all the same).
    #[arg(long, help_heading = "Output")]
    strict: bool,
}

pub(crate) fn parse_format(name: &str) -> Result<Format, String> {
    name.parse::<Format>().map_err(|e| e.to_string())
}

pub(crate) fn run(args: TranslateArgs) -> anyhow::Result<ExitCode> {
    // Where the output goes is checked first: a read-only destination or a closed standard output
    // fails at once, not after the translation.
    match output_target(&args.output) {
        Some(path) => anuvad::output::check_writable(anuvad::output::parent_dir(path))
            .map_err(|e| anyhow::anyhow!("{}: cannot write here: {e}", path.display()))?,
        None => check_stdout()?,
    }
    let text = read_input(&args.input)?;
    if text.trim().is_empty() {
        // Nothing to translate: no model needed, empty output.
        finish(&args, b"")?;
        return Ok(ExitCode::SUCCESS);
    }
    let translator = super::load(args.decode.apply(args.model.builder())?)?;
    let mut bar = super::progress::SentenceBar::new(text.len());
    let mut documents = translator.translate_documents_with_progress(&[&text], &mut |done| {
        if let Some(bar) = &mut bar {
            bar.advance(done);
        }
        true
    })?;
    if let Some(bar) = bar {
        bar.finish();
    }
    let document = documents.pop().unwrap_or_default();
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
    finish(&args, rendered.as_bytes())?;
    let summary = document.flag_summary();
    super::progress::say(&summary);
    Ok(if args.strict && summary.flagged > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn finish(args: &TranslateArgs, bytes: &[u8]) -> anyhow::Result<()> {
    match output_target(&args.output) {
        Some(path) => write_atomically(path, bytes)
            .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes).and_then(|()| stdout.flush()).map_err(StdoutError)?;
        }
    }
    Ok(())
}

/// Writing to standard output failed (other than a closed pipe, which `main` treats as success).
#[derive(Debug, thiserror::Error)]
#[error("standard output: cannot write")]
pub(crate) struct StdoutError(#[source] pub std::io::Error);

/// Fails when standard output was closed (`>&-`). Rust's runtime reopens a closed standard output on
/// `/dev/null` before `main`, for reading and writing, where a shell's `> /dev/null` opens it for
/// writing only: without this check the translation would be discarded with exit 0.
fn check_stdout() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: `fcntl(F_GETFL)` on a file descriptor only reads its flags.
        let flags = unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFL) };
        let stdout = std::fs::metadata("/proc/self/fd/1").or_else(|_| std::fs::metadata("/dev/fd/1"));
        let is_null = match (stdout, std::fs::metadata("/dev/null")) {
            (Ok(stdout), Ok(null)) => stdout.rdev() == null.rdev() && stdout.dev() == null.dev(),
            _ => false,
        };
        if flags >= 0 && flags & libc::O_ACCMODE == libc::O_RDWR && is_null {
            anyhow::bail!("standard output was closed (>&-): nowhere to write the translation");
        }
    }
    Ok(())
}
