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
    let mut stack = Stack::empty();
    stack.read_loop(cursor).map_err(|e| format!("bad pickle: {e}"))?;
    stack.finalize().map_err(|e| format!("bad pickle: {e}"))
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
        let length = info.layout.shape().elem_count() * info.dtype.size_in_bytes();
        let data = storage
            .get(start..start + length)
            .ok_or_else(|| format!("{}: outside its storage", info.name))?;
        let tensor = Tensor::from_raw_buffer(data, info.dtype, info.layout.dims(), device)
            .and_then(|t| t.to_dtype(dtype))
            .map_err(|e| format!("{}: {e}", info.name))?;
        tensors.insert(info.name.clone(), tensor);
    }
    Ok(tensors)
}
