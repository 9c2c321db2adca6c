//! Reading inputs: whole files or standard input, checked as UTF-8 (errors give the byte offset).

use std::io::Read;
use std::path::Path;

/// An input that cannot be used (exit code 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct InputError(pub String);

/// Reads `path` (or standard input for `-`) as UTF-8.
pub(crate) fn read_input(path: &Path) -> Result<String, InputError> {
    let (name, bytes) = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| InputError(format!("standard input: cannot read: {e}")))?;
        ("standard input".to_string(), bytes)
    } else {
        let bytes =
            std::fs::read(path).map_err(|e| InputError(format!("{}: cannot read: {e}", path.display())))?;
        (path.display().to_string(), bytes)
    };
    decode_utf8(&name, bytes)
}

/// Checks that `bytes` are UTF-8, naming `name` and the first bad byte offset otherwise.
pub(crate) fn decode_utf8(name: &str, bytes: Vec<u8>) -> Result<String, InputError> {
    String::from_utf8(bytes).map_err(|e| {
        InputError(format!(
            "{name}: not valid UTF-8 (invalid byte sequence at byte offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}
