//! Elementwise operations: the residual addition and the activations.

use candle_core::{Result, Tensor};

use super::with_f32_slice;
use crate::cpu::parallel;

/// The activations `transformers` names in `activation_function` (its `ACT2FN` table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activation {
    /// `gelu`: the exact (erf) form.
    Gelu,
    /// `gelu_new`, `gelu_fast`, `gelu_pytorch_tanh`: the tanh approximation.
    GeluTanh,
    Relu,
    /// `swish` / `silu`.
    Silu,
}

impl Activation {
    /// The activation of a `transformers` name, if it is one we implement.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "gelu" => Activation::Gelu,
            "gelu_new" | "gelu_fast" | "gelu_pytorch_tanh" => Activation::GeluTanh,
            "relu" => Activation::Relu,
            "swish" | "silu" => Activation::Silu,
            _ => return None,
        })
    }

    /// The activation of every element of `x`.
    pub(crate) fn forward(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Gelu => x.gelu_erf(),
            Activation::GeluTanh => x.gelu(),
            Activation::Relu => x.relu(),
            Activation::Silu => silu(x),
        }
    }
}

/// SiLU: our vectorized kernel for f32 CPU tensors, candle's elsewhere.
fn silu(x: &Tensor) -> Result<Tensor> {
    let x = x.contiguous()?;
    match with_f32_slice(&x, parallel::silu) {
        Some(values) => Tensor::from_vec(values, x.dims(), x.device()),
        None => x.silu(),
    }
}

/// `x + h` (a residual connection): on the CPU in f32 on rayon's pool (see `parallel::add`), elsewhere
/// candle's addition.
pub(crate) fn add(x: &Tensor, h: &Tensor) -> Result<Tensor> {
    if x.dims() == h.dims() {
        if let Some(Some(sum)) = with_f32_slice(x, |x| with_f32_slice(h, |h| parallel::add(x, h))).flatten() {
            return Tensor::from_vec(sum, x.dims(), x.device());
        }
    }
    x + h
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn max_difference(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

    #[test]
    fn add_and_silu_match_candle() {
        let device = Device::Cpu;
        let a = Tensor::randn(0f32, 1.0, (3, 7000), &device).unwrap();
        let b = Tensor::randn(0f32, 1.0, (3, 7000), &device).unwrap();
        assert_eq!(max_difference(&add(&a, &b).unwrap(), &(&a + &b).unwrap()), 0.0);
        assert!(max_difference(&Activation::Silu.forward(&a).unwrap(), &a.silu().unwrap()) < 1e-6);
        // Another dtype: candle's operations.
        let half = a.to_dtype(candle_core::DType::BF16).unwrap();
        assert_eq!(add(&half, &half).unwrap().dtype(), candle_core::DType::BF16);
    }
}
