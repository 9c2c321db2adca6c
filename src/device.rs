//! Where a model runs and the number format it computes in.

use crate::error::{Error, Result};

/// Where the model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Device {
    /// The CPU (always available).
    #[default]
    Cpu,
    /// An NVIDIA GPU by ordinal (needs the `cuda` feature).
    Cuda(usize),
    /// An Apple GPU by ordinal (needs the `metal` feature).
    Metal(usize),
    /// The first CUDA GPU when the `cuda` feature is built in and a GPU is present, else the CPU.
    Auto,
}

/// The number format the model computes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Precision {
    /// 32-bit floats: the format the checkpoints are published in; output matches `transformers`.
    #[default]
    F32,
    /// bfloat16: the fastest CPU mode after [`Precision::Int8`], and the fastest GPU mode. On GPUs the
    /// model computes in bf16. On CPUs the matrix products' weights are stored as bf16 (half the memory
    /// traffic) while layer norms, softmax and residual sums stay f32: with Intel AMX (Sapphire Rapids
    /// and later Xeons) the products run on AMX tiles with their inputs rounded to bf16 (about 2x f32
    /// at batch 32); with AVX2, AVX-512 or NEON alone the inputs and arithmetic stay f32; elsewhere
    /// candle's bf16 kernels, slower than f32. Output can differ from f32 (how often: see README).
    /// `ANUVAD_CPU_ISA=avx512vnni` turns AMX off.
    Bf16,
    /// IEEE half precision: more mantissa and less range than bf16; candle's kernels on every device
    /// (slow on CPUs).
    F16,
    /// int8 matrix products, the fastest CPU mode: on Intel AMX tiles, with AVX512-VNNI, AVX2 or NEON
    /// (on a CPU without AVX2 or NEON, or on a GPU,
    /// [`TranslatorBuilder::build`](crate::TranslatorBuilder::build) fails with
    /// [`Error::DeviceUnavailable`]): weights quantized per output column at load time, each product's
    /// inputs per row, the scheme of CTranslate2's int8; everything else stays f32. Output differs
    /// from f32 more often than bf16's (how often: see README).
    Int8,
}

impl Precision {
    /// The dtype candle computes in (int8: f32 outside the packed products).
    pub(crate) fn dtype(self) -> candle_core::DType {
        match self {
            Precision::F32 | Precision::Int8 => candle_core::DType::F32,
            Precision::Bf16 => candle_core::DType::BF16,
            Precision::F16 => candle_core::DType::F16,
        }
    }
}

impl Device {
    pub(crate) fn to_candle(self) -> Result<candle_core::Device> {
        let unavailable = |what: &str, e: candle_core::Error| {
            Error::DeviceUnavailable(format!("{what}: {e} (was anuvad built with `--features {what}`?)"))
        };
        match self {
            Device::Cpu => Ok(candle_core::Device::Cpu),
            Device::Cuda(ordinal) => {
                candle_core::Device::new_cuda(ordinal).map_err(|e| unavailable("cuda", e))
            }
            Device::Metal(ordinal) => {
                candle_core::Device::new_metal(ordinal).map_err(|e| unavailable("metal", e))
            }
            Device::Auto if candle_core::utils::cuda_is_available() => {
                candle_core::Device::new_cuda(0).or(Ok(candle_core::Device::Cpu))
            }
            Device::Auto => Ok(candle_core::Device::Cpu),
        }
    }
}
