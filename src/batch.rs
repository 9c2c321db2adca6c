//! Translating a whole folder: discovery, sharding, resuming, packing sentences of many files into
//! shared batches, and atomic output files.
//!
//! An output is complete when it exists: it is written to a temporary file in its own directory and
//! renamed into place only once the whole document is translated. A manifest in
//! `OUTPUT_DIR/.anuvad-manifest/` records, for each finished input, the settings it was made with, so
//! a rerun skips exactly the inputs whose output exists, is newer than the input, and was made with the
//! same model and options.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::checks::FlagSummary;
use crate::document::Format;
use crate::error::{Error, Result};
use crate::segment::{segment, Paragraph};
use crate::translator::{Progress, Translator};

/// Name of the manifest directory inside the output directory.
pub const MANIFEST_DIR: &str = ".anuvad-manifest";

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
    /// The run starts: files to translate (after skipping) and their size in bytes.
    fn started(&mut self, _files: usize, _bytes: u64, _skipped: usize) {}
    /// A model batch finished some sentences. Return `false` to stop the run after it.
    fn progress(&mut self, _done: Progress) -> bool {
        true
    }
    /// A file is done (translated, skipped or failed).
    fn file_done(&mut self, _file: &BatchFile, _outcome: &FileOutcome) {}
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
    /// What the checks found in the sentences translated in this run (skipped files not counted).
    pub flags: FlagSummary,
}

#[derive(Debug, Serialize, Deserialize)]
struct ManifestEntry {
    input: String,
    output: String,
    settings: String,
}

/// Lists the files of the run (sorted, sharded), with their output paths.
pub fn discover(options: &BatchOptions) -> Result<Vec<BatchFile>> {
    let input_dir = &options.input_dir;
    if !input_dir.is_dir() {
        return Err(Error::InvalidInput(format!("{}: not a directory", input_dir.display())));
    }
    let mut builder = globset::GlobSetBuilder::new();
    for pattern in &options.patterns {
        let glob = globset::Glob::new(pattern)
            .map_err(|e| Error::InvalidInput(format!("bad file pattern `{pattern}`: {e}")))?;
        builder.add(glob);
    }
    let globs = builder.build().map_err(|e| Error::InvalidInput(format!("bad file patterns: {e}")))?;
    let output_dir = options.output_dir.canonicalize().ok();
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(input_dir).follow_links(true).sort_by_file_name().into_iter();
    // Never descend into the output directory: outputs must not be read back as inputs.
    let walker = walker.filter_entry(|entry| {
        output_dir.as_ref().is_none_or(|out| entry.path().canonicalize().ok().as_ref() != Some(out))
            && entry.file_name() != MANIFEST_DIR
    });
    for entry in walker {
        let entry =
            entry.map_err(|e| Error::InvalidInput(format!("cannot walk {}: {e}", input_dir.display())))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(input_dir).unwrap_or(entry.path()).to_path_buf();
        let name_matches = entry.file_name().to_str().is_some_and(|name| globs.is_match(name));
        if !(globs.is_match(&relative) || name_matches) {
            continue;
        }
        if let Some((k, n)) = options.shard {
            if shard_of(&relative, n) != k {
                continue;
            }
        }
        let output = options.output_dir.join(relative.with_extension(options.format.extension()));
        files.push(BatchFile { input: entry.path().to_path_buf(), relative, output });
    }
    Ok(files)
}

/// The shard (0..n) of a relative path: FNV-1a of its `/`-separated form, so every machine agrees.
pub fn shard_of(relative: &Path, n: u64) -> u64 {
    let text: Vec<String> =
        relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.join("/").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash % n.max(1)
}

/// Translates the folder. Per-file problems are recorded in the summary and the run goes on; only a
/// problem with the output directory itself is an error.
pub fn run(
    translator: &Translator,
    options: &BatchOptions,
    observer: &mut dyn BatchObserver,
) -> Result<BatchSummary> {
    std::fs::create_dir_all(&options.output_dir).map_err(|e| Error::io(&options.output_dir, e))?;
    crate::output::remove_stale_temporaries(&options.output_dir);
    let files = discover(options)?;
    let settings = format!("{} format={}", translator.settings_fingerprint(), options.format.name());
    let manifest = read_manifest(&options.output_dir);
    let mut summary = BatchSummary::default();

    // First pass: what is up to date, and how large the rest is (each file is read and segmented only
    // when its turn comes).
    let mut todo = Vec::new();
    let mut outputs_seen: HashMap<PathBuf, PathBuf> = HashMap::new();
    for file in &files {
        if let Some(first) = outputs_seen.insert(file.output.clone(), file.relative.clone()) {
            let reason =
                format!("its output {} is also the output of {}", file.output.display(), first.display());
            fail(&mut summary, observer, file, reason);
            continue;
        }
        if !options.force && up_to_date(file, &manifest, &settings) {
            summary.skipped += 1;
            observer.file_done(file, &FileOutcome::Skipped);
            continue;
        }
        todo.push(file);
    }
    let total_bytes =
        todo.iter().filter_map(|file| std::fs::metadata(&file.input).ok()).map(|m| m.len()).sum();
    observer.started(todo.len(), total_bytes, summary.skipped);

    let mut manifest_log = ManifestLog::open(&options.output_dir, options.shard);
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
        let stop = translate_chunk(
            translator,
            options,
            &chunk,
            &settings,
            observer,
            &mut summary,
            &mut manifest_log,
        );
        chunk.clear();
        chunk_sentences = 0;
        if stop {
            summary.interrupted = true;
            break;
        }
    }
    Ok(summary)
}

/// An input file read and segmented, waiting for its chunk to be translated.
struct ReadFile<'a> {
    file: &'a BatchFile,
    text: String,
    paragraphs: Vec<Paragraph>,
}

/// Translates and writes one chunk of files; returns true when the observer asked to stop.
fn translate_chunk(
    translator: &Translator,
    options: &BatchOptions,
    chunk: &[ReadFile],
    settings: &str,
    observer: &mut dyn BatchObserver,
    summary: &mut BatchSummary,
    manifest: &mut ManifestLog,
) -> bool {
    let mut stop = false;
    let mut translate = |documents: &[(&str, &[Paragraph])]| {
        translator.translate_segmented(documents, &mut |done| {
            stop = !observer.progress(done);
            !stop
        })
    };
    let documents: Vec<(&str, &[Paragraph])> =
        chunk.iter().map(|read| (read.text.as_str(), read.paragraphs.as_slice())).collect();
    let result = translate(&documents);
    let translated = match result {
        Ok(translated) => translated,
        Err(Error::Cancelled) => return true,
        // A model failure on packed files cannot be pinned on one of them: retry them one by one.
        Err(_) if chunk.len() > 1 => {
            let mut outcomes = Vec::with_capacity(chunk.len());
            for document in documents.chunks(1) {
                outcomes.push(translate(document));
            }
            for (read, outcome) in chunk.iter().zip(outcomes) {
                match outcome {
                    Ok(mut document) => match document.pop() {
                        Some(document) => {
                            finish_file(options, read.file, &document, settings, observer, summary, manifest)
                        }
                        None => fail(summary, observer, read.file, "translation gave no document".into()),
                    },
                    Err(error) => fail(summary, observer, read.file, format!("translation failed: {error}")),
                }
            }
            return stop;
        }
        Err(error) => {
            for read in chunk {
                fail(summary, observer, read.file, format!("translation failed: {error}"));
            }
            return stop;
        }
    };
    for (read, document) in chunk.iter().zip(&translated) {
        finish_file(options, read.file, document, settings, observer, summary, manifest);
    }
    stop
}

fn finish_file(
    options: &BatchOptions,
    file: &BatchFile,
    document: &crate::Document,
    settings: &str,
    observer: &mut dyn BatchObserver,
    summary: &mut BatchSummary,
    manifest: &mut ManifestLog,
) {
    let sentences = document.sentences().count();
    match crate::output::write_atomically(&file.output, document.render(options.format).as_bytes()) {
        Ok(()) => {
            manifest.record(&ManifestEntry {
                input: file.relative.to_string_lossy().into_owned(),
                output: file.output.to_string_lossy().into_owned(),
                settings: settings.to_string(),
            });
            summary.translated += 1;
            summary.sentences += sentences;
            summary.flags.merge(&document.flag_summary());
            observer.file_done(file, &FileOutcome::Translated(sentences));
        }
        Err(error) => {
            fail(summary, observer, file, format!("cannot write {}: {error}", file.output.display()))
        }
    }
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

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn up_to_date(file: &BatchFile, manifest: &HashMap<String, String>, settings: &str) -> bool {
    let recorded = manifest.get(file.relative.to_string_lossy().as_ref());
    let newer =
        matches!((modified(&file.output), modified(&file.input)), (Some(out), Some(input)) if out >= input);
    recorded.is_some_and(|s| s == settings) && newer
}

/// The settings of every recorded input (all shards' logs; the last record of an input wins).
fn read_manifest(output_dir: &Path) -> HashMap<String, String> {
    let mut entries = HashMap::new();
    let Ok(logs) = std::fs::read_dir(output_dir.join(MANIFEST_DIR)) else { return entries };
    let mut paths: Vec<PathBuf> = logs.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        // A line cut short by a crash is ignored: its file is simply translated again.
        for entry in text.lines().filter_map(|line| serde_json::from_str::<ManifestEntry>(line).ok()) {
            entries.insert(entry.input, entry.settings);
        }
    }
    entries
}

/// An append-only log of finished files, one per shard so concurrent shards never share a file.
struct ManifestLog {
    file: Option<std::fs::File>,
}

impl ManifestLog {
    fn open(output_dir: &Path, shard: Option<(u64, u64)>) -> Self {
        let dir = output_dir.join(MANIFEST_DIR);
        let name = match shard {
            Some((k, n)) => format!("shard-{k}-of-{n}.jsonl"),
            None => "all.jsonl".to_string(),
        };
        let file = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::OpenOptions::new().create(true).append(true).open(dir.join(name)))
            .ok();
        ManifestLog { file }
    }

    fn record(&mut self, entry: &ManifestEntry) {
        if let (Some(file), Ok(line)) = (self.file.as_mut(), serde_json::to_string(entry)) {
            // A lost record only means the file is translated again next time.
            let _ = writeln!(file, "{line}").and_then(|()| file.flush());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_paths() {
        let paths: Vec<PathBuf> =
            (0..100).map(|i| PathBuf::from(format!("dir{}/file{i}.txt", i % 7))).collect();
        for path in &paths {
            let owners = (0..3).filter(|&k| shard_of(path, 3) == k).count();
            assert_eq!(owners, 1);
        }
        // Stable across runs and platforms: a fixed value.
        assert_eq!(shard_of(Path::new("a/b.txt"), 1000), shard_of(Path::new("a/b.txt"), 1000));
    }
}
