//! Translating a whole folder: discovery, sharding, resuming, packing sentences of many files into
//! shared batches, and atomic output files.
//!
//! An output is complete when it exists: it is written to a temporary file in its own directory and
//! renamed into place only once the whole document is translated. The manifest (`manifest.rs`)
//! records, for each finished input, every setting its output was made with, so a rerun skips exactly
//! the inputs whose output exists, is newer than the input, and was made with the same model and
//! options, and says why it translates the others again.
//!
//! Several runs may write into one output folder at once (shards of one job, or the same job started
//! twice): each run's temporary files are locked while it writes them and its manifest log is its own,
//! so no run deletes or clobbers another's work. Two identical runs translate the same files twice
//! (neither can know the other will finish); every output is complete either way, the last one renamed
//! into place wins, and both record it.

mod discover;
mod manifest;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

pub use discover::{check_folders, discover, shard_of, Discovery};
pub use manifest::MANIFEST_DIR;

use crate::checks::FlagSummary;
use crate::document::Format;
use crate::error::{Error, Result};
use crate::segment::{segment, Paragraph};
use crate::translator::{Progress, Translator};
use manifest::{changed_settings, Entry, Manifest, RunLog, Settings};

/// What to translate and how to write it.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// The folder to walk (recursively).
    pub input_dir: PathBuf,
    /// Where outputs go, at the inputs' relative paths.
    pub output_dir: PathBuf,
    /// Output format; the extension follows it ([`Format::extension`]).
    pub format: Format,
    /// File name patterns (glob syntax, matched against the path relative to `input_dir`, and against
    /// the file name); default `*.txt` and `*.md`.
    pub patterns: Vec<String>,
    /// Translate everything, even inputs whose output is up to date.
    pub force: bool,
    /// Process only shard `k` of `n` (0-based): the files whose relative path hashes to `k`.
    pub shard: Option<(u64, u64)>,
    /// Sentences translated together before outputs are written (several files are packed into it).
    pub chunk_sentences: usize,
}

impl BatchOptions {
    /// Options with the defaults: text output, `*.txt` and `*.md`, no force, no shard, chunks of 256
    /// sentences.
    pub fn new(input_dir: impl Into<PathBuf>, output_dir: impl Into<PathBuf>) -> Self {
        BatchOptions {
            input_dir: input_dir.into(),
            output_dir: output_dir.into(),
            format: Format::Text,
            patterns: vec!["*.txt".into(), "*.md".into()],
            force: false,
            shard: None,
            chunk_sentences: 256,
        }
    }
}

/// One input file of a batch run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchFile {
    /// Path relative to the input directory.
    pub relative: PathBuf,
    /// Full input path.
    pub input: PathBuf,
    /// Full output path.
    pub output: PathBuf,
}

/// How a file ended.
#[derive(Debug, Clone, PartialEq)]
pub enum FileOutcome {
    /// Translated and written, with this many sentences.
    Translated(usize),
    /// Its output was already up to date.
    Skipped,
    /// It could not be translated; the reason names the problem.
    Failed(String),
}

/// Events of a batch run, for progress display. Every method has an empty default.
pub trait BatchObserver {
    /// Something about the whole run the user should know (resume is off, settings changed, ...).
    fn note(&mut self, _message: &str) {}
    /// The run starts: files to translate (after skipping) and their size in bytes.
    fn started(&mut self, _files: usize, _bytes: u64, _skipped: usize) {}
    /// A model batch finished some sentences. Return `false` to stop the run after it.
    fn progress(&mut self, _done: Progress) -> bool {
        true
    }
    /// A file is done (translated, skipped or failed).
    fn file_done(&mut self, _file: &BatchFile, _outcome: &FileOutcome) {}
    /// An entry of the input folder could not be read (a link loop, a dangling link, an unreadable
    /// subfolder); the run goes on without it.
    fn entry_failed(&mut self, _path: &Path, _reason: &str) {}
}

/// The result of a batch run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchSummary {
    /// Files translated and written.
    pub translated: usize,
    /// Files skipped because their output was up to date.
    pub skipped: usize,
    /// Files that failed, with the reason.
    pub failed: Vec<(PathBuf, String)>,
    /// Sentences translated.
    pub sentences: usize,
    /// True when the observer stopped the run early (the remaining files were not touched).
    pub interrupted: bool,
    /// What the run told the observer about itself (see [`BatchObserver::note`]).
    pub notes: Vec<String>,
    /// What the checks found in the sentences translated in this run (skipped files not counted).
    pub flags: FlagSummary,
}

/// Translates the folder. Per-file problems (and unreadable folder entries) are recorded in the summary
/// and the run goes on; only a problem with the folders themselves is an error.
pub fn run(
    translator: &Translator,
    options: &BatchOptions,
    observer: &mut dyn BatchObserver,
) -> Result<BatchSummary> {
    check_folders(options)?;
    crate::output::remove_stale_temporaries(&options.output_dir);
    let discovery = discover(options)?;
    let mut settings = translator.settings();
    settings.insert("format".into(), options.format.name().into());
    let manifest = Manifest::read(&options.output_dir);
    let mut summary = BatchSummary::default();
    let note = |summary: &mut BatchSummary, observer: &mut dyn BatchObserver, message: String| {
        observer.note(&message);
        summary.notes.push(message);
    };

    // First pass: what is up to date, and how large the rest is (each file is read and segmented only
    // when its turn comes).
    let mut todo = Vec::new();
    let mut early_failures = Vec::new();
    let mut changed: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    let mut outputs_seen: HashMap<PathBuf, PathBuf> = HashMap::new();
    for file in &discovery.files {
        if let Some(first) = outputs_seen.insert(file.output.clone(), file.relative.clone()) {
            let reason =
                format!("its output {} is also the output of {}", file.output.display(), first.display());
            early_failures.push((file, reason));
            continue;
        }
        match freshness(file, &manifest, &settings) {
            Freshness::UpToDate if !options.force => {
                summary.skipped += 1;
                observer.file_done(file, &FileOutcome::Skipped);
                continue;
            }
            Freshness::SettingsChanged(names) if !options.force => *changed.entry(names).or_default() += 1,
            _ => {}
        }
        todo.push(file);
    }
    for (names, files) in changed {
        note(
            &mut summary,
            observer,
            format!(
                "{files} file(s) were translated with other settings ({}): translating them again",
                names.join(", ")
            ),
        );
    }
    let total_bytes =
        todo.iter().filter_map(|file| std::fs::metadata(&file.input).ok()).map(|m| m.len()).sum();
    observer.started(
        todo.len() + early_failures.len() + discovery.problems.len(),
        total_bytes,
        summary.skipped,
    );
    for (path, reason) in discovery.problems {
        observer.entry_failed(&path, &reason);
        summary.failed.push((path, reason));
    }
    for (file, reason) in early_failures {
        fail(&mut summary, observer, file, reason);
    }

    let mut log = match RunLog::create(&options.output_dir) {
        Ok(log) => Some(log),
        Err(error) => {
            let folder = options.output_dir.join(MANIFEST_DIR);
            note(
                &mut summary,
                observer,
                format!(
                    "resume is off for this run: cannot write the manifest in {}: {error}",
                    folder.display()
                ),
            );
            None
        }
    };
    let mut chunk: Vec<ReadFile> = Vec::new();
    let mut chunk_sentences = 0;
    for (index, file) in todo.iter().enumerate() {
        match read_text(&file.input) {
            Ok(text) => {
                let paragraphs = segment(&text);
                chunk_sentences += paragraphs.iter().map(|p| p.sentences.len()).sum::<usize>();
                chunk.push(ReadFile { file, text, paragraphs });
            }
            Err(reason) => fail(&mut summary, observer, file, reason),
        }
        let last = index + 1 == todo.len();
        if chunk_sentences < options.chunk_sentences.max(1) && !last {
            continue;
        }
        let mut finished =
            Finished { options, settings: &settings, observer, summary: &mut summary, log: &mut log };
        let stop = translate_chunk(translator, &chunk, &mut finished);
        chunk.clear();
        chunk_sentences = 0;
        if stop {
            summary.interrupted = true;
            break;
        }
    }
    Ok(summary)
}

/// Whether a file's output is up to date.
enum Freshness {
    UpToDate,
    /// The output is missing, older than the input, or not recorded.
    Stale,
    /// The output was made with other settings (these).
    SettingsChanged(Vec<String>),
}

fn freshness(file: &BatchFile, manifest: &Manifest, settings: &Settings) -> Freshness {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let newer =
        matches!((modified(&file.output), modified(&file.input)), (Some(out), Some(input)) if out >= input);
    match manifest.get(file.relative.to_string_lossy().as_ref()) {
        Some(entry) if newer => {
            let changed = changed_settings(&entry.settings, settings);
            if changed.is_empty() {
                Freshness::UpToDate
            } else {
                Freshness::SettingsChanged(changed)
            }
        }
        _ => Freshness::Stale,
    }
}

/// An input file read and segmented, waiting for its chunk to be translated.
struct ReadFile<'a> {
    file: &'a BatchFile,
    text: String,
    paragraphs: Vec<Paragraph>,
}

/// Where finished files go: written, recorded, counted, reported.
struct Finished<'a> {
    options: &'a BatchOptions,
    settings: &'a Settings,
    observer: &'a mut dyn BatchObserver,
    summary: &'a mut BatchSummary,
    log: &'a mut Option<RunLog>,
}

impl Finished<'_> {
    fn file(&mut self, file: &BatchFile, document: &crate::Document) {
        let sentences = document.sentences().count();
        let written =
            crate::output::write_atomically(&file.output, document.render(self.options.format).as_bytes());
        if let Err(error) = written {
            return self.failed(file, format!("cannot write {}: {error}", file.output.display()));
        }
        if let Some(log) = self.log.as_mut() {
            let entry = Entry {
                input: file.relative.to_string_lossy().into_owned(),
                output: file.output.to_string_lossy().into_owned(),
                settings: self.settings.clone(),
                time: manifest::now(),
            };
            if let Err(error) = log.record(&entry) {
                let message = format!(
                    "resume is off from here: cannot write the manifest {}: {error}",
                    log.path().display()
                );
                self.observer.note(&message);
                self.summary.notes.push(message);
                *self.log = None;
            }
        }
        self.summary.translated += 1;
        self.summary.sentences += sentences;
        self.summary.flags.merge(&document.flag_summary());
        self.observer.file_done(file, &FileOutcome::Translated(sentences));
    }

    fn failed(&mut self, file: &BatchFile, reason: String) {
        fail(self.summary, self.observer, file, reason);
    }
}

/// Translates and writes one chunk of files; returns true when the observer asked to stop.
fn translate_chunk(translator: &Translator, chunk: &[ReadFile], finished: &mut Finished) -> bool {
    let mut stop = false;
    let documents: Vec<(&str, &[Paragraph])> =
        chunk.iter().map(|read| (read.text.as_str(), read.paragraphs.as_slice())).collect();
    let mut translate = |documents: &[(&str, &[Paragraph])], observer: &mut dyn BatchObserver| {
        translator.translate_segmented(documents, &mut |done| {
            stop = !observer.progress(done);
            !stop
        })
    };
    match translate(&documents, finished.observer) {
        Ok(translated) => {
            for (read, document) in chunk.iter().zip(&translated) {
                finished.file(read.file, document);
            }
        }
        Err(Error::Cancelled) => return true,
        // A model failure on packed files cannot be pinned on one of them: retry them one by one.
        Err(_) if chunk.len() > 1 => {
            for (read, document) in chunk.iter().zip(documents.chunks(1)) {
                match translate(document, finished.observer) {
                    Ok(mut translated) => match translated.pop() {
                        Some(document) => finished.file(read.file, &document),
                        None => finished.failed(read.file, "translation gave no document".into()),
                    },
                    Err(Error::Cancelled) => return true,
                    Err(error) => finished.failed(read.file, format!("translation failed: {error}")),
                }
            }
        }
        Err(error) => {
            for read in chunk {
                finished.failed(read.file, format!("translation failed: {error}"));
            }
        }
    }
    stop
}

fn fail(summary: &mut BatchSummary, observer: &mut dyn BatchObserver, file: &BatchFile, reason: String) {
    observer.file_done(file, &FileOutcome::Failed(reason.clone()));
    summary.failed.push((file.input.clone(), reason));
}

/// Reads a file as UTF-8; the error names the problem (and the byte offset for bad UTF-8).
fn read_text(path: &Path) -> std::result::Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!("not valid UTF-8 (invalid byte sequence at byte offset {})", e.utf8_error().valid_up_to())
    })
}
