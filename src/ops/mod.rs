//! Operations on tensors, between the layers (the model's math) and the CPU kernels (`crate::cpu`):
//! each one runs our kernel where it applies (f32 tensors in CPU memory, a CPU level that has the
//! kernel) and candle's operation elsewhere (other dtypes, GPUs). The choice is made here and only
//! here, so a layer reads as the model's math and never as a dispatch.
//!
//! - [`linear`]: linear layers, the vocabulary projection and token embeddings, with weights packed
//!   once for the CPU kernels.
//! - [`attention`]: softmax attention.
//! - [`cache`]: the decoder's self-attention cache.
//! - [`elementwise`]: residual additions and activations.

pub(crate) mod attention;
pub(crate) mod cache;
pub(crate) mod elementwise;
pub(crate) mod linear;

use candle_core::{DType, Storage, Tensor};

pub(crate) use crate::cpu::gemm::Format as PackedFormat;

/// Runs `f` on the f32 data of a contiguous CPU tensor, without copying it. `None` when the tensor is
/// elsewhere, of another type, or not contiguous.
pub(crate) fn with_f32_slice<R>(tensor: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Option<R> {
    if tensor.dtype() != DType::F32 {
        return None;
    }
    let (storage, layout) = tensor.storage_and_layout();
    let (start, end) = layout.contiguous_offsets()?;
    match &*storage {
        Storage::Cpu(cpu) => cpu.as_slice::<f32>().ok().map(|data| f(&data[start..end])),
        _ => None,
    }
}

/// Runs `f` on the rows of a 2-d f32 CPU tensor whose rows are each contiguous (a column range of a
/// wider tensor is one), without copying: the data from the first row's start, and how far apart the
/// rows start. `None` when the tensor is elsewhere, of another type, or laid out otherwise.
pub(crate) fn with_f32_rows<R>(tensor: &Tensor, f: impl FnOnce(&[f32], usize) -> R) -> Option<R> {
    let (rows, width) = tensor.dims2().ok()?;
    if tensor.dtype() != DType::F32 {
        return None;
    }
    let (storage, layout) = tensor.storage_and_layout();
    let (start, stride) = (layout.start_offset(), layout.stride());
    if stride[1] != 1 && width > 1 {
        return None;
    }
    let row_stride = if rows > 1 { stride[0] } else { width };
    let end = start.checked_add(rows.checked_sub(1)?.checked_mul(row_stride)?)?.checked_add(width)?;
    match &*storage {
        Storage::Cpu(cpu) => cpu.as_slice::<f32>().ok()?.get(start..end).map(|data| f(data, row_stride)),
        _ => None,
    }
}

/// The data of a contiguous f32 CPU tensor, copied out.
pub(crate) fn f32_vec(tensor: &Tensor) -> Option<Vec<f32>> {
    with_f32_slice(tensor, <[f32]>::to_vec)
}
