//! Opening a checkpoint: `model.safetensors` (memory-mapped) or `pytorch_model.bin`.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use candle_nn::VarBuilder;

use crate::error::{Error, Result};

/// True when `path` is in PyTorch's legacy (non-zip) format.
fn is_legacy_file(path: &Path) -> bool {
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut head))
        .is_ok_and(|()| super::legacy_pth::is_legacy(&head))
}

/// The weights file of a model and its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WeightsFile {
    /// `model.safetensors`.
    Safetensors(PathBuf),
    /// `pytorch_model.bin` (PyTorch's zip serialization).
    PyTorch(PathBuf),
}

impl WeightsFile {
    pub(crate) fn path(&self) -> &Path {
        match self {
            WeightsFile::Safetensors(path) | WeightsFile::PyTorch(path) => path,
        }
    }

    /// Opens the file as a `VarBuilder` producing tensors of `dtype` on `device`.
    pub(crate) fn open(&self, dtype: DType, device: &Device) -> Result<VarBuilder<'static>> {
        let opened = match self {
            // SAFETY: the file is memory-mapped read-only; like every mmap-based loader (candle's, the
            // safetensors crate's) we rely on the file not being modified while the model is loaded.
            WeightsFile::Safetensors(path) => unsafe {
                VarBuilder::from_mmaped_safetensors(&[path], dtype, device)
            },
            WeightsFile::PyTorch(path) if is_legacy_file(path) => {
                let tensors = super::legacy_pth::read(path, dtype, device).map_err(|problem| {
                    Error::bad_file(path, format!("cannot read the legacy PyTorch file: {problem}"))
                })?;
                Ok(VarBuilder::from_tensors(tensors, dtype, device))
            }
            WeightsFile::PyTorch(path) => {
                super::legacy_pth::check_zip_pickle(path)
                    .map_err(|problem| Error::bad_file(path, problem))?;
                VarBuilder::from_pth(path, dtype, device)
            }
        };
        opened.map_err(|e| Error::bad_file(self.path(), format!("cannot read the weights: {e}")))
    }
}
