//! What the program shows on stderr while it works: bars on a terminal only, nothing with `--quiet`,
//! what was resolved with `--verbose`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// How much is said besides warnings and errors: set once from `--quiet`/`--verbose`.
static VERBOSITY: AtomicU8 = AtomicU8::new(NORMAL);
const QUIET: u8 = 0;
const NORMAL: u8 = 1;
const VERBOSE: u8 = 2;

pub(crate) fn set_verbosity(quiet: bool, verbose: bool) {
    let level = if quiet {
        QUIET
    } else if verbose {
        VERBOSE
    } else {
        NORMAL
    };
    VERBOSITY.store(level, Ordering::Relaxed);
}

/// `--quiet`: no progress, no summary lines; warnings and errors only.
pub(crate) fn quiet() -> bool {
    VERBOSITY.load(Ordering::Relaxed) == QUIET
}

/// `--verbose`.
pub(crate) fn verbose() -> bool {
    VERBOSITY.load(Ordering::Relaxed) == VERBOSE
}

/// An informational line on stderr (not with `--quiet`).
pub(crate) fn say(line: impl std::fmt::Display) {
    if !quiet() {
        eprintln!("anuvad: {line}");
    }
}

/// Whether bars are drawn: stderr is a terminal and `--quiet` was not given.
pub(crate) fn bars() -> bool {
    !quiet() && std::io::stderr().is_terminal()
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// A bar per model file being downloaded (bytes, rate, time left), for
/// [`anuvad::TranslatorBuilder::download_progress`].
pub(crate) fn download_bars() -> impl Fn(anuvad::DownloadProgress<'_>) + Send + Sync + 'static {
    let bars = MultiProgress::new();
    let open: Mutex<HashMap<String, ProgressBar>> = Mutex::new(HashMap::new());
    move |progress| {
        let Ok(mut open) = open.lock() else { return };
        let bar = open.entry(progress.file.to_string()).or_insert_with(|| {
            let bar = bars.add(ProgressBar::new(progress.size.unwrap_or(0)));
            bar.set_style(style(
                "{msg:30} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} ({eta})",
            ));
            bar.set_message(progress.file.to_string());
            bar
        });
        bar.set_position(progress.received);
        if progress.finished {
            bar.finish_and_clear();
            open.remove(progress.file);
        }
    }
}

/// `translate`'s bar: sentences done, their rate, and the time left (from the bytes of input done).
pub(crate) struct SentenceBar {
    bar: ProgressBar,
    sentences: usize,
    started: Instant,
}

impl SentenceBar {
    /// A bar over `bytes` of input, or `None` where bars are not drawn.
    pub(crate) fn new(bytes: usize) -> Option<SentenceBar> {
        bars().then(|| {
            let bar = ProgressBar::new(bytes as u64);
            bar.set_style(style("{msg} {wide_bar} {percent}% ETA {eta}"));
            SentenceBar { bar, sentences: 0, started: Instant::now() }
        })
    }

    pub(crate) fn advance(&mut self, done: anuvad::Progress) {
        self.sentences += done.sentences;
        self.bar.inc(done.bytes as u64);
        let rate = self.sentences as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_message(format!("{} sentences ({rate:.1}/s)", self.sentences));
    }

    pub(crate) fn finish(self) {
        self.bar.finish_and_clear();
    }
}
