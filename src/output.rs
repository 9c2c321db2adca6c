//! Writing outputs so that nothing is ever half-written or clobbered: each output goes to a temporary
//! file in its own directory, named per writer and locked while it is written, and is renamed into
//! place only when complete. Used by `translate -o` and `batch`.
//!
//! Outputs behave like any Unix tool's: a new file gets `0666` minus the umask, an existing one keeps
//! its permissions, and a symbolic link is written through (its target is replaced, atomically).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The name every temporary output file starts with (and ends with `.tmp`).
pub(crate) const TEMP_PREFIX: &str = ".anuvad-";

/// How old an unlocked temporary must be before a run takes it for one a killed run left behind: a
/// live writer locks its temporary right after creating it, but the two steps are not atomic.
const STALE_AFTER: Duration = Duration::from_secs(60);

/// Writes `contents` to `path` (through a symbolic link, to its target) via a temporary file in the
/// same directory, renamed into place.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let target = follow_links(path)?;
    let dir = parent_dir(&target);
    std::fs::create_dir_all(dir)?;
    let kept_permissions = std::fs::metadata(&target).ok().map(|metadata| metadata.permissions());
    let mut temporary = temporary_in(dir)?;
    temporary.write_all(contents)?;
    if let Some(permissions) = kept_permissions {
        temporary.as_file().set_permissions(permissions)?;
    }
    temporary.as_file().sync_all()?;
    temporary.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

/// Checks that outputs can be written into `dir` (creating it if needed), by creating and removing a
/// temporary file there: a read-only destination fails in milliseconds, before any translation.
pub fn check_writable(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    temporary_in(dir)?.close()
}

/// The directory a file `path` goes into (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// A new temporary file in `dir` (`0666` minus the umask), exclusively locked while this process
/// holds it, so that another run's cleanup never takes it for a leftover.
fn temporary_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX).suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let temporary = builder.tempfile_in(dir)?;
    // Where the file system has no locks, a missing lock only means that cleanup is not attempted
    // (see `remove_stale_temporaries`).
    let _ = temporary.as_file().try_lock();
    Ok(temporary)
}

/// `path` with any symbolic links at its end followed to the file they point at (which need not
/// exist yet), up to 40 links deep.
fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = parent_dir(&current).join(link);
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other(format!("{}: too many levels of symbolic links", path.display())))
}

/// Deletes temporary files that killed runs left under `dir`: those nobody holds locked and that are
/// older than a minute. Temporaries of live runs (of this or another process, on this or another
/// machine sharing the folder) are locked and stay.
pub(crate) fn remove_stale_temporaries(dir: &Path) {
    for entry in walkdir::WalkDir::new(dir).into_iter().filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy();
        if !(entry.file_type().is_file() && name.starts_with(TEMP_PREFIX) && name.ends_with(".tmp")) {
            continue;
        }
        if is_abandoned(entry.path()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether the temporary at `path` is old and unlocked (its writer is gone).
fn is_abandoned(path: &Path) -> bool {
    let old = std::fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .is_ok_and(|modified| SystemTime::now().duration_since(modified).unwrap_or_default() > STALE_AFTER);
    // Opening for writing so that the lock can be taken on every platform; nothing is written.
    old && OpenOptions::new().write(true).open(path).is_ok_and(|file: File| file.try_lock().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_writers_temporary_survives_cleanup_and_an_abandoned_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let live = temporary_in(dir.path()).unwrap();
        let abandoned = dir.path().join(".anuvad-abandoned.tmp");
        std::fs::write(&abandoned, "partial").unwrap();
        let long_ago = SystemTime::now() - Duration::from_secs(3600);
        for path in [live.path(), abandoned.as_path()] {
            File::options().write(true).open(path).unwrap().set_modified(long_ago).unwrap();
        }
        remove_stale_temporaries(dir.path());
        assert!(live.path().exists(), "a locked temporary is another run's work in progress");
        assert!(!abandoned.exists());
    }

    #[cfg(unix)]
    #[test]
    fn outputs_follow_links_and_keep_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.txt");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink("real.txt", &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o640);
        // A new file: what any tool's new file gets (0666 minus the umask), not tempfile's private 0600.
        let fresh = dir.path().join("fresh.txt");
        write_atomically(&fresh, b"x").unwrap();
        let plain = dir.path().join("plain.txt");
        std::fs::write(&plain, "x").unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&fresh), mode(&plain));
    }
}
