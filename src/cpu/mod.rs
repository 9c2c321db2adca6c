//! CPU kernels: the one place with SIMD intrinsics, inline assembly and raw-pointer work.
//!
//! Everything here works on plain slices, never on tensors: the `ops` level above turns tensors into
//! slices and decides whether a kernel runs or candle's operation, so a layer never sees an
//! instruction set. Which instruction set the kernels use is decided once per process ([`isa`]): the
//! best this CPU has, or a lower level named by `ANUVAD_CPU_ISA` (`generic`, `avx2`, `avx512`, `amx`),
//! so that every path can be tested and measured on one machine.
//!
//! - `math`: vectorized `exp`, maxima, softmax, SiLU over slices.
//! - `gemm`: matrix products against weights packed once at load time (AVX-512 f32/bf16, AMX
//!   bf16/int8).
//! - `dense`: products through the `gemm` crate for unpacked weights, transposes.
//! - `attention`: softmax attention over keys and values, one task per (row, head).
//! - `kv_cache`: the decoder's self-attention cache, written in place.
//! - `parallel`: filling buffers on rayon's pool, elementwise operations.
//!
//! Every `unsafe fn` states its contract under `# Safety`, and every `unsafe` block has a `SAFETY:`
//! line saying why the contract holds there.
#![deny(unsafe_op_in_unsafe_fn)]

pub(crate) mod attention;
pub(crate) mod dense;
pub(crate) mod gemm;
mod isa;
pub(crate) mod kv_cache;
pub(crate) mod math;
pub(crate) mod parallel;

pub use isa::{isa, isa_override_problem, Isa, ISA_VARIABLE};

/// Defines one test per instruction-set level for each `fn name(isa) { body }`: `name::generic`,
/// `name::avx2`, `name::avx512` and `name::amx`, each running `body` with `isa` set to its level. A
/// level this CPU lacks is reported as ignored (decided when the tests are built, by `build.rs`), never
/// as passed.
#[cfg(test)]
macro_rules! isa_tests {
    ($(fn $name:ident($isa:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                #[allow(unused_imports)]
                use $crate::cpu::Isa;

                #[test]
                fn generic() {
                    let $isa = Isa::Generic;
                    $body
                }

                #[test]
                #[cfg_attr(not(anuvad_host_avx2), ignore = "this CPU has no AVX2")]
                fn avx2() {
                    let $isa = Isa::Avx2;
                    assert!($isa.available(), "this CPU has no AVX2");
                    $body
                }

                #[test]
                #[cfg_attr(not(anuvad_host_avx512), ignore = "this CPU has no AVX-512")]
                fn avx512() {
                    let $isa = Isa::Avx512;
                    assert!($isa.available(), "this CPU has no AVX-512");
                    $body
                }

                #[test]
                #[cfg_attr(not(anuvad_host_amx), ignore = "this CPU has no AMX")]
                fn amx() {
                    let $isa = Isa::Amx;
                    assert!($isa.available(), "this CPU (or OS) gives no AMX");
                    $body
                }
            }
        )*
    };
}
#[cfg(test)]
pub(crate) use isa_tests;
