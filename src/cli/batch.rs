//! `anuvad batch IN_DIR OUT_DIR`: a whole folder, with progress, resumable, stoppable.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anuvad::batch::{BatchFile, BatchObserver, BatchOptions, FileOutcome};
use anuvad::Format;
use indicatif::{ProgressBar, ProgressStyle};

use super::translate::parse_format;
use super::{DecodeArgs, ModelArgs};

#[derive(Debug, clap::Args)]
pub(crate) struct BatchArgs {
    /// Folder of input files (walked recursively).
    input_dir: PathBuf,
    /// Folder for the outputs (same relative paths; created if missing).
    output_dir: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    pub(crate) decode: DecodeArgs,
    /// Output format (extension): text (.en.txt), jsonl, tsv, md.
    #[arg(long, short = 'f', default_value = "text", value_parser = parse_format, help_heading = "Output")]
    format: Format,
    /// Input file pattern, relative to IN_DIR or a file name (repeatable). Default: *.txt and *.md.
    #[arg(long = "glob", help_heading = "Input")]
    globs: Vec<String>,
    /// Translate every input again, even those whose output is up to date.
    #[arg(long, help_heading = "Output")]
    force: bool,
    /// Process only shard K of N (K from 0): for array jobs (Slurm, Kubernetes, GNU parallel).
    #[arg(long, value_name = "K/N", value_parser = parse_shard, help_heading = "Input")]
    shard: Option<(u64, u64)>,
    /// Exit with 1 when any translation is flagged by the checks (outputs are written all the same).
    #[arg(long, help_heading = "Output")]
    strict: bool,
}

fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let (k, n) = text.split_once('/').ok_or("expected K/N, e.g. 0/4")?;
    let k: u64 = k.trim().parse().map_err(|_| format!("bad shard index `{k}`"))?;
    let n: u64 = n.trim().parse().map_err(|_| format!("bad shard count `{n}`"))?;
    if n == 0 || k >= n {
        return Err(format!("shard {k}/{n}: K must be in 0..N"));
    }
    Ok((k, n))
}

/// Progress on stderr: a bar on a terminal, a plain line per finished file otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    stop: Arc<AtomicBool>,
    files_total: usize,
    files_done: usize,
    sentences_done: usize,
    started: Instant,
}

impl Progress {
    /// The bar's message: files finished and sentences translated, with the rate.
    fn update_message(&self) {
        if let Some(bar) = &self.bar {
            let rate = self.sentences_done as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "files {}/{}, {} sentences ({rate:.1}/s)",
                self.files_done, self.files_total, self.sentences_done
            ));
        }
    }

    fn say(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}

impl BatchObserver for Progress {
    fn note(&mut self, message: &str) {
        self.say(format!("anuvad: {message}"));
    }

    fn entry_failed(&mut self, path: &std::path::Path, reason: &str) {
        self.files_done += 1;
        self.say(format!("anuvad: failed: {}: {reason}", path.display()));
        self.update_message();
    }

    fn started(&mut self, files: usize, bytes: u64, skipped: usize) {
        self.files_total = files;
        if skipped > 0 && !super::progress::quiet() {
            self.say(format!("anuvad: {skipped} file(s) already translated with these settings: skipped"));
        }
        if let Some(bar) = &self.bar {
            bar.set_length(bytes);
        }
        self.update_message();
    }

    fn progress(&mut self, done: anuvad::Progress) -> bool {
        self.sentences_done += done.sentences;
        if let Some(bar) = &self.bar {
            bar.inc(done.bytes as u64);
        }
        self.update_message();
        !self.stop.load(Ordering::SeqCst)
    }

    fn file_done(&mut self, file: &BatchFile, outcome: &FileOutcome) {
        match outcome {
            FileOutcome::Skipped => return,
            FileOutcome::Translated(sentences) => {
                self.files_done += 1;
                if self.bar.is_none() && !super::progress::quiet() {
                    self.say(format!(
                        "translated {} ({sentences} sentences) [{}/{}]",
                        file.relative.display(),
                        self.files_done,
                        self.files_total
                    ));
                }
            }
            FileOutcome::Failed(reason) => {
                self.files_done += 1;
                self.say(format!("anuvad: failed: {}: {reason}", file.input.display()));
            }
        }
        self.update_message();
    }
}

pub(crate) fn run(args: BatchArgs) -> anyhow::Result<ExitCode> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))?;

    let started = Instant::now();
    let mut options = BatchOptions::new(&args.input_dir, &args.output_dir);
    options.format = args.format;
    options.force = args.force;
    options.shard = args.shard;
    if !args.globs.is_empty() {
        options.patterns = args.globs.clone();
    }
    // The folders first: a missing input folder or a read-only output folder fails at once, not after
    // the model has loaded.
    anuvad::batch::check_folders(&options)?;
    let translator = super::load(args.decode.apply(args.model.builder())?)?;
    let bar = super::progress::bars().then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg} {wide_bar} {percent}% ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let mut progress = Progress {
        bar,
        stop: Arc::clone(&stop),
        files_total: 0,
        files_done: 0,
        sentences_done: 0,
        started: Instant::now(),
    };
    let summary = anuvad::batch::run(&translator, &options, &mut progress)?;
    if let Some(bar) = &progress.bar {
        bar.finish_and_clear();
    }

    let seconds = started.elapsed().as_secs_f64();
    super::progress::say(format!(
        "{} translated, {} skipped, {} failed; {} sentences in {seconds:.1} s ({:.1} sentences/s)",
        summary.translated,
        summary.skipped,
        summary.failed.len(),
        summary.sentences,
        summary.sentences as f64 / seconds.max(1e-9)
    ));
    if summary.translated + summary.skipped + summary.failed.len() == 0 {
        eprintln!(
            "anuvad: no files matched {} in {}",
            options.patterns.join(", "),
            options.input_dir.display()
        );
    }
    if summary.interrupted {
        eprintln!(
            "anuvad: interrupted; finished files are complete and no partial output was left. \
             Run the same command again to resume: finished files are skipped."
        );
    }
    // Last line: the checks over the sentences translated in this run.
    super::progress::say(&summary.flags);
    if summary.interrupted {
        return Ok(ExitCode::from(130));
    }
    let flagged = args.strict && summary.flags.flagged > 0;
    Ok(if summary.failed.is_empty() && !flagged { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
