//! PyTorch's legacy (pre-1.6, non-zip) `torch.save` format, which 2020-era hub checkpoints such as the
//! opus-mt `pytorch_model.bin` files may use and candle's `.bin` reader (zip only) does not read.
//!
//! The file is a sequence of pickles: a magic number, the protocol version (1001), system info, the
//! state dict (tensors refer to storages by key through persistent ids), and the sorted list of storage
//! keys; then each storage's raw data in that order, as an 8-byte little-endian element count followed by
//! the elements. We parse the pickles with candle's pickle reader and build tensors from a memory map, so
//! the weights are held once in memory.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;

use candle_core::pickle::{Object, Stack, TensorInfo};
use candle_core::{DType, Device, Tensor};

/// The first pickle of a legacy file: protocol 2, LONG1 of 10 bytes (0x1950a86a20f9469cfc6c), STOP.
const MAGIC_PICKLE: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";

/// True when `bytes` start like a legacy `torch.save` file.
pub(crate) fn is_legacy(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC_PICKLE)
}

fn pickle(cursor: &mut Cursor<&[u8]>) -> Result<Object, String> {
    let rest = cursor.get_ref().get(cursor.position() as usize..).unwrap_or_default();
    check_opcodes(rest)?;
    let mut stack = Stack::empty();
    stack.read_loop(cursor).map_err(|e| format!("bad pickle: {e}"))?;
    let object = stack.finalize().map_err(|e| format!("bad pickle: {e}"))?;
    refuse_foreign_globals(&object)?;
    Ok(object)
}

/// Walks one pickle's opcodes (those candle's reader knows) up to its STOP without building anything,
/// and refuses what would make candle's reader panic or allocate from an unchecked length: a LONG1
/// integer of more than 8 bytes (candle shifts past 64 bits, which panics where overflow checks are on),
/// a string or argument longer than the bytes left, an opcode it does not know.
fn check_opcodes(bytes: &[u8]) -> Result<(), String> {
    let truncated = || "bad pickle: it ends inside an opcode, before STOP".to_string();
    let mut at = 0usize;
    loop {
        let op = *bytes.get(at).ok_or_else(truncated)?;
        at += 1;
        let argument = match op {
            b'.' => return Ok(()),
            0x80 | b'q' | b'K' | b'h' => 1,
            b'M' => 2,
            b'r' | b'J' | b'j' => 4,
            b'G' => 8,
            b'X' => {
                let length = bytes.get(at..at + 4).ok_or_else(truncated)?;
                let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
                4usize.checked_add(length).ok_or_else(truncated)?
            }
            0x8a => {
                let length = *bytes.get(at).ok_or_else(truncated)?;
                if length > 8 {
                    return Err(format!("bad pickle: an integer of {length} bytes (at most 8 are read)"));
                }
                1 + usize::from(length)
            }
            b'c' => {
                // Module and name, each ended by a newline.
                let first = bytes[at..].iter().position(|&b| b == b'\n').ok_or_else(truncated)?;
                let second =
                    bytes[at + first + 1..].iter().position(|&b| b == b'\n').ok_or_else(truncated)?;
                first + second + 2
            }
            b')' | b'R' | b'(' | b't' | b'Q' | 0x85 | 0x86 | 0x87 | 0x88 | 0x89 | b'N' | b's' | b'u'
            | b'}' | b'd' | b'b' | 0x81 | b']' | b'a' | b'e' => 0,
            other => return Err(format!("bad pickle: unknown opcode 0x{other:02x}")),
        };
        at = at.checked_add(argument).filter(|&end| end <= bytes.len()).ok_or_else(truncated)?;
    }
}

/// Refuses a pickle that names anything but PyTorch's own classes and functions (tensor rebuilding,
/// storages) and `collections.OrderedDict`: a checkpoint holds tensors, and a pickle naming `os.system`
/// or `builtins.eval` is an attack. Nothing in a pickle is ever executed here; this makes the refusal
/// say why instead of "no tensor named ...".
pub(crate) fn refuse_foreign_globals(object: &Object) -> Result<(), String> {
    match object {
        Object::Class { module_name, class_name } => {
            let torch =
                module_name == "torch" || module_name.starts_with("torch.") || module_name == "__torch__";
            if torch || (module_name == "collections" && class_name == "OrderedDict") {
                Ok(())
            } else {
                Err(format!(
                    "refused: its pickle calls `{module_name}.{class_name}`, which is not part of a PyTorch \
                     checkpoint (a checkpoint holds only tensors; this file may be an attack)"
                ))
            }
        }
        Object::Tuple(items) | Object::List(items) => items.iter().try_for_each(refuse_foreign_globals),
        Object::Dict(pairs) => pairs.iter().try_for_each(|(key, value)| {
            refuse_foreign_globals(key)?;
            refuse_foreign_globals(value)
        }),
        Object::Reduce { callable, args } | Object::Build { callable, args } => {
            refuse_foreign_globals(callable)?;
            refuse_foreign_globals(args)
        }
        Object::PersistentLoad(inner) => refuse_foreign_globals(inner),
        _ => Ok(()),
    }
}

/// The first pickle (`*/data.pkl`) of a zip-format `torch.save` file, checked with
/// [`refuse_foreign_globals`].
pub(crate) fn check_zip_pickle(path: &Path) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| format!("not a PyTorch file: {e}"))?;
    let name = archive
        .file_names()
        .filter_map(|name| name.ok())
        .find(|name| name.ends_with("data.pkl"))
        .map(|name| name.into_owned())
        .ok_or("not a PyTorch checkpoint: no data.pkl in the archive")?;
    let entry = archive.by_name(&name).map_err(|e| e.to_string())?;
    // The pickle holds tensor names and shapes: kilobytes. More than 64 MiB is cut, and then refused
    // by `check_opcodes` (no STOP).
    let mut pickle = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(entry, 64 << 20), &mut pickle)
        .map_err(|e| e.to_string())?;
    check_opcodes(&pickle)?;
    let mut stack = Stack::empty();
    stack.read_loop(&mut pickle.as_slice()).map_err(|e| format!("bad pickle: {e}"))?;
    refuse_foreign_globals(&stack.finalize().map_err(|e| format!("bad pickle: {e}"))?)
}

/// Reads every tensor of a legacy file, as `dtype` on `device`.
pub(crate) fn read(path: &Path, dtype: DType, device: &Device) -> Result<HashMap<String, Tensor>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    // SAFETY: read-only map of a file we do not modify; see `WeightsFile::open`.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| e.to_string())?;
    let bytes: &[u8] = &map;
    if !is_legacy(bytes) {
        return Err("not a legacy PyTorch file".into());
    }
    let mut cursor = Cursor::new(bytes);
    cursor.set_position(MAGIC_PICKLE.len() as u64);
    match pickle(&mut cursor)? {
        Object::Int(1001) => {}
        other => return Err(format!("unsupported legacy protocol version {other:?}")),
    }
    let _system_info = pickle(&mut cursor)?;
    let state = pickle(&mut cursor)?;
    let keys = match pickle(&mut cursor)? {
        Object::List(keys) => keys
            .into_iter()
            .map(|key| key.unicode().map_err(|k| format!("bad storage key {k:?}")))
            .collect::<Result<Vec<_>, _>>()?,
        other => return Err(format!("expected the list of storage keys, found {other:?}")),
    };

    let Object::Dict(entries) = state else { return Err("the checkpoint is not a state dict".into()) };
    let mut infos: Vec<TensorInfo> = Vec::new();
    for (name, value) in entries {
        let name_text = format!("{name:?}");
        match value.into_tensor_info(name, Path::new("s")) {
            Ok(Some(info)) => infos.push(info),
            Ok(None) => {}
            Err(e) => return Err(format!("tensor {name_text}: {e}")),
        }
    }
    let storage_key = |info: &TensorInfo| info.path.trim_start_matches("s/").to_string();
    let dtypes: HashMap<String, DType> = infos.iter().map(|info| (storage_key(info), info.dtype)).collect();

    // Storages follow the pickles, in key order: an element count, then the elements.
    let mut position = cursor.position() as usize;
    let mut storages: HashMap<String, &[u8]> = HashMap::new();
    for key in &keys {
        let count_bytes = bytes.get(position..position + 8).ok_or("file truncated in the storage data")?;
        let count = u64::from_le_bytes(count_bytes.try_into().map_err(|_| "bad storage header")?) as usize;
        let element = dtypes.get(key).map_or(1, |dtype| dtype.size_in_bytes());
        let start = position + 8;
        let end = count.checked_mul(element).and_then(|n| n.checked_add(start)).ok_or("bad storage size")?;
        storages.insert(key.clone(), bytes.get(start..end).ok_or("file truncated in the storage data")?);
        position = end;
    }

    let mut tensors = HashMap::with_capacity(infos.len());
    for info in &infos {
        let storage =
            storages.get(&storage_key(info)).ok_or_else(|| format!("{}: missing storage", info.name))?;
        if !info.layout.is_contiguous() {
            return Err(format!("{}: non-contiguous tensors are not supported", info.name));
        }
        let start = info.layout.start_offset();
        let length = info
            .layout
            .dims()
            .iter()
            .try_fold(info.dtype.size_in_bytes(), |bytes, &dim| bytes.checked_mul(dim))
            .ok_or_else(|| format!("{}: absurd shape {:?}", info.name, info.layout.dims()))?;
        let data = start
            .checked_add(length)
            .and_then(|end| storage.get(start..end))
            .ok_or_else(|| format!("{}: outside its storage", info.name))?;
        let tensor = Tensor::from_raw_buffer(data, info.dtype, info.layout.dims(), device)
            .and_then(|t| t.to_dtype(dtype))
            .map_err(|e| format!("{}: {e}", info.name))?;
        tensors.insert(info.name.clone(), tensor);
    }
    Ok(tensors)
}

#[cfg(test)]
mod opcode_tests {
    use super::check_opcodes;

    #[test]
    fn the_legacy_magic_number_is_too_wide_for_candle_and_is_skipped_not_parsed() {
        // PyTorch's magic number is a 10-byte integer: `read` steps over it by comparison.
        assert!(check_opcodes(super::MAGIC_PICKLE).unwrap_err().contains("integer of 10 bytes"));
        assert_eq!(check_opcodes(b"\x80\x02M\xe9\x03."), Ok(()), "the protocol version pickle after it");
    }

    #[test]
    fn an_integer_wider_than_8_bytes_is_refused() {
        // Found by `cargo fuzz run weights`: candle's reader shifts past 64 bits on it.
        let pickle = b"\x80\x02\x8a\x09\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50.";
        assert!(check_opcodes(pickle).unwrap_err().contains("integer of 9 bytes"));
    }

    #[test]
    fn lengths_beyond_the_end_and_unknown_opcodes_are_refused() {
        // BINUNICODE announcing 4 GiB: candle would allocate it before reading.
        assert!(check_opcodes(b"X\xff\xff\xff\xffab.").unwrap_err().contains("ends inside"));
        assert!(check_opcodes(b"cos\nsystem").unwrap_err().contains("ends inside"));
        assert!(check_opcodes(b"K\x01").unwrap_err().contains("before STOP"));
        assert!(check_opcodes(b"\x95.").unwrap_err().contains("unknown opcode 0x95"));
        assert_eq!(
            check_opcodes(b"cos\nsystem\nK\x01\x85R."),
            Ok(()),
            "well formed (refused later, by name)"
        );
    }
}
