//! Writing outputs so that nothing is ever half-written: each output goes to a temporary file in its
//! own directory and is renamed into place only when complete. Used by `translate -o` and `batch`.

use std::io::Write;
use std::path::Path;

/// The name every temporary output file starts with (and ends with `.tmp`).
pub(crate) const TEMP_PREFIX: &str = ".anuvad-";

/// Writes `contents` to `path` through a temporary file in the same directory, renamed into place.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut temporary = tempfile::Builder::new().prefix(TEMP_PREFIX).suffix(".tmp").tempfile_in(dir)?;
    temporary.write_all(contents)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Deletes temporary files a killed run may have left under `dir`.
pub(crate) fn remove_stale_temporaries(dir: &Path) {
    for entry in walkdir::WalkDir::new(dir).into_iter().filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file() && name.starts_with(TEMP_PREFIX) && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
