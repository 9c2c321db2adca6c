//! The record of finished files in `OUTPUT_DIR/.anuvad-manifest/`: for each input, the settings its
//! output was made with, so a rerun skips exactly the inputs whose output is up to date.
//!
//! Concurrent runs into one folder (shards of one job, or a job started twice) never share a file:
//! each run appends to a log of its own, locked while the run lives. Reading merges every log (the
//! newest record of an input wins). At start, a run folds the logs of finished runs into
//! `manifest.jsonl` and deletes them, so the folder does not grow with every run.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Name of the manifest directory inside the output directory.
pub const MANIFEST_DIR: &str = ".anuvad-manifest";

/// The compacted record of finished runs.
const COMPACTED: &str = "manifest.jsonl";

/// Held while a run compacts, so two runs do not fold the same logs at once.
const COMPACTION_LOCK: &str = "compaction.lock";

/// Logs younger than this are never folded (a new run creates its log, then locks it).
const SETTLED_AFTER: Duration = Duration::from_secs(60);

/// Every setting that changes an output, by name (see `Translator::settings`).
pub(crate) type Settings = BTreeMap<String, String>;

/// One finished input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// The input's path relative to the input folder.
    pub input: String,
    /// The output written.
    pub output: String,
    pub settings: Settings,
    /// When it was recorded (seconds since 1970): the newest record of an input wins.
    pub time: f64,
}

/// What the manifest knows: the newest entry of each recorded input.
pub(crate) struct Manifest {
    entries: HashMap<String, Entry>,
}

impl Manifest {
    /// Reads every log in `output_dir`'s manifest folder. Unreadable logs and lines cut short by a
    /// crash are passed over: their files are simply translated again.
    pub(crate) fn read(output_dir: &Path) -> Manifest {
        let mut entries: HashMap<String, Entry> = HashMap::new();
        for path in logs(&output_dir.join(MANIFEST_DIR)) {
            for entry in read_log(&path) {
                match entries.get(&entry.input) {
                    Some(known) if known.time > entry.time => {}
                    _ => {
                        entries.insert(entry.input.clone(), entry);
                    }
                }
            }
        }
        Manifest { entries }
    }

    /// The entry of `input` (relative path).
    pub(crate) fn get(&self, input: &str) -> Option<&Entry> {
        self.entries.get(input)
    }
}

/// The manifest's logs (`*.jsonl`), in name order.
fn logs(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut paths: Vec<PathBuf> = read
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    paths.sort();
    paths
}

fn read_log(path: &Path) -> Vec<Entry> {
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
}

/// Which settings differ between `recorded` and `current`, by name (a setting present in only one
/// counts).
pub(crate) fn changed_settings(recorded: &Settings, current: &Settings) -> Vec<String> {
    let mut names: Vec<String> = recorded
        .keys()
        .chain(current.keys())
        .filter(|name| recorded.get(*name) != current.get(*name))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

/// This run's log of finished files.
pub(crate) struct RunLog {
    file: File,
    path: PathBuf,
}

impl RunLog {
    /// Creates this run's log in `output_dir`'s manifest folder (after folding finished runs' logs),
    /// locked for the run's lifetime. The error says why resume information cannot be kept.
    pub(crate) fn create(output_dir: &Path) -> std::io::Result<RunLog> {
        let dir = output_dir.join(MANIFEST_DIR);
        std::fs::create_dir_all(&dir)?;
        compact(&dir);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
        let path = dir.join(format!("run-{nanos}-{}.jsonl", std::process::id()));
        let file = File::options().append(true).create_new(true).open(&path)?;
        // Without locks (some network file systems), compaction simply leaves the log alone.
        let _ = file.try_lock();
        Ok(RunLog { file, path })
    }

    /// Records a finished file. A lost record only means the file is translated again next time.
    pub(crate) fn record(&mut self, entry: &Entry) -> std::io::Result<()> {
        let line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        writeln!(self.file, "{line}")?;
        self.file.flush()
    }

    /// Where the log is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// Seconds since 1970, for [`Entry::time`].
pub(crate) fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64()
}

/// Folds the logs of finished runs (unlocked, settled) into `manifest.jsonl` and deletes them. Best
/// effort: anything that fails leaves the logs as they are, which reading handles.
fn compact(dir: &Path) {
    let Ok(guard) = File::options().create(true).truncate(false).write(true).open(dir.join(COMPACTION_LOCK))
    else {
        return;
    };
    if guard.try_lock().is_err() {
        return;
    }
    let compacted = dir.join(COMPACTED);
    let settled = |path: &Path| {
        std::fs::metadata(path).and_then(|metadata| metadata.modified()).is_ok_and(|modified| {
            SystemTime::now().duration_since(modified).unwrap_or_default() > SETTLED_AFTER
        })
    };
    // Each finished log, held locked until it is deleted so that no other run appends to it.
    let finished: Vec<(PathBuf, File)> = logs(dir)
        .into_iter()
        .filter(|path| *path != compacted && settled(path))
        .filter_map(|path| {
            let file = File::options().append(true).open(&path).ok()?;
            file.try_lock().ok()?;
            Some((path, file))
        })
        .collect();
    if finished.is_empty() {
        return;
    }
    let mut newest: BTreeMap<String, Entry> = BTreeMap::new();
    for path in std::iter::once(compacted.clone()).chain(finished.iter().map(|(path, _)| path.clone())) {
        for entry in read_log(&path) {
            if newest.get(&entry.input).is_none_or(|known| known.time <= entry.time) {
                newest.insert(entry.input.clone(), entry);
            }
        }
    }
    let mut text = String::new();
    for entry in newest.values() {
        let Ok(line) = serde_json::to_string(entry) else { return };
        text.push_str(&line);
        text.push('\n');
    }
    if crate::output::write_atomically(&compacted, text.as_bytes()).is_ok() {
        for (path, _) in &finished {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(input: &str, beams: &str, time: f64) -> Entry {
        Entry {
            input: input.into(),
            output: format!("{input}.out"),
            settings: Settings::from([("beams".to_string(), beams.to_string())]),
            time,
        }
    }

    fn age(path: &Path) {
        let long_ago = SystemTime::now() - Duration::from_secs(3600);
        File::options().write(true).open(path).unwrap().set_modified(long_ago).unwrap();
    }

    #[test]
    fn newest_record_wins_and_finished_logs_are_folded_but_live_ones_kept() {
        let out = tempfile::tempdir().unwrap();
        let mut first = RunLog::create(out.path()).unwrap();
        first.record(&entry("a.txt", "4", 1.0)).unwrap();
        first.record(&entry("b.txt", "4", 1.0)).unwrap();
        let mut second = RunLog::create(out.path()).unwrap();
        second.record(&entry("a.txt", "5", 2.0)).unwrap();
        let manifest = Manifest::read(out.path());
        assert_eq!(manifest.get("a.txt").unwrap().settings["beams"], "5");
        assert_eq!(manifest.get("b.txt").unwrap().settings["beams"], "4");

        // The first run ends (its lock goes with it); the second is still running.
        let (first_path, second_path) = (first.path().to_path_buf(), second.path().to_path_buf());
        drop(first);
        age(&first_path);
        age(&second_path);
        let third = RunLog::create(out.path()).unwrap();
        assert!(!first_path.exists(), "a finished run's log is folded into manifest.jsonl");
        assert!(second_path.exists(), "a live run's log is left alone");
        assert!(out.path().join(MANIFEST_DIR).join(COMPACTED).exists());
        let manifest = Manifest::read(out.path());
        assert_eq!(manifest.get("a.txt").unwrap().settings["beams"], "5");
        assert_eq!(manifest.get("b.txt").unwrap().settings["beams"], "4");
        drop((second, third));
    }

    #[test]
    fn changed_settings_names_what_differs() {
        let recorded = Settings::from([("beams".into(), "4".into()), ("model".into(), "a".into())]);
        let current = Settings::from([
            ("beams".into(), "5".into()),
            ("model".into(), "a".into()),
            ("new".into(), "x".into()),
        ]);
        assert_eq!(changed_settings(&recorded, &current), vec!["beams".to_string(), "new".to_string()]);
        assert!(changed_settings(&current, &current).is_empty());
    }
}
