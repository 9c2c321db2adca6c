//! Which files a batch run translates: the input folder walked (links followed), patterns and shards
//! applied, each input paired with its output path. A folder entry that cannot be read (a link loop, a
//! dangling link, an unreadable subfolder) is a problem of that entry only.

use std::path::{Path, PathBuf};

use super::manifest::MANIFEST_DIR;
use super::{BatchFile, BatchOptions};
use crate::error::{Error, Result};

/// The files of a run, and the entries of the input folder that could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// The inputs to consider, sorted by path.
    pub files: Vec<BatchFile>,
    /// Folder entries that could not be walked, with the reason.
    pub problems: Vec<(PathBuf, String)>,
}

/// Checks the folders before any work: the input folder exists and is a folder, the output folder is
/// neither the input folder nor holds it (outputs would be mistaken for inputs, or inputs overwritten),
/// and outputs can be written there (the folder is created if missing, only once the input folder is
/// known to exist).
pub fn check_folders(options: &BatchOptions) -> Result<()> {
    let input = &options.input_dir;
    let metadata = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
    if !metadata.is_dir() {
        return Err(Error::InvalidInput(format!(
            "{}: is a file, expected a folder of inputs",
            input.display()
        )));
    }
    let input = input.canonicalize().map_err(|e| Error::io(input, e))?;
    if let Ok(output) = options.output_dir.canonicalize() {
        if input.starts_with(&output) {
            let relation = if input == output { "is the input folder" } else { "holds the input folder" };
            return Err(Error::InvalidInput(format!(
                "the output folder {} {relation}; choose an output folder outside {}",
                options.output_dir.display(),
                options.input_dir.display()
            )));
        }
    }
    crate::output::check_writable(&options.output_dir).map_err(|e| Error::io(&options.output_dir, e))
}

/// Lists the files of the run (sorted, sharded), with their output paths; entries that cannot be read
/// are listed as problems and the walk goes on.
pub fn discover(options: &BatchOptions) -> Result<Discovery> {
    let input_dir = &options.input_dir;
    if !input_dir.is_dir() {
        return Err(Error::InvalidInput(format!("{}: not a folder", input_dir.display())));
    }
    let mut builder = globset::GlobSetBuilder::new();
    for pattern in &options.patterns {
        let glob = globset::Glob::new(pattern)
            .map_err(|e| Error::InvalidInput(format!("bad file pattern `{pattern}`: {e}")))?;
        builder.add(glob);
    }
    let globs = builder.build().map_err(|e| Error::InvalidInput(format!("bad file patterns: {e}")))?;
    let output_dir = options.output_dir.canonicalize().ok();
    let mut discovery = Discovery::default();
    let walker = walkdir::WalkDir::new(input_dir).follow_links(true).sort_by_file_name().into_iter();
    // Never descend into the output directory: outputs must not be read back as inputs.
    let walker = walker.filter_entry(|entry| {
        output_dir.as_ref().is_none_or(|out| entry.path().canonicalize().ok().as_ref() != Some(out))
            && entry.file_name() != MANIFEST_DIR
    });
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                discovery.problems.push(walk_problem(input_dir, &error));
                continue;
            }
        };
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
        discovery.files.push(BatchFile { input: entry.path().to_path_buf(), relative, output });
    }
    Ok(discovery)
}

/// The path and reason of a walk error.
fn walk_problem(input_dir: &Path, error: &walkdir::Error) -> (PathBuf, String) {
    let path = error.path().unwrap_or(input_dir).to_path_buf();
    let reason = match (error.loop_ancestor(), error.io_error()) {
        (Some(ancestor), _) => format!("a symbolic link loop back to {}", ancestor.display()),
        (None, Some(io)) if io.kind() == std::io::ErrorKind::NotFound => {
            "cannot be read: a dangling symbolic link or a file removed during the walk".to_string()
        }
        (None, Some(io)) => format!("cannot be read: {io}"),
        (None, None) => error.to_string(),
    };
    (path, reason)
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
        // Stable across runs and platforms: FNV-1a of "a/b.txt".
        assert_eq!(shard_of(Path::new("a/b.txt"), 1 << 40), 0xaf86_7638_2902_2747 % (1 << 40));
    }
}
