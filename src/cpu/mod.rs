//! CPU kernels: the one place with SIMD intrinsics, inline assembly and raw-pointer work.
//!
//! Everything here works on plain slices, never on tensors: the `ops` level above turns tensors into
//! slices and decides whether a kernel runs or candle's operation, so a layer never sees an
//! instruction set. Which instruction set the kernels use is decided once per process ([`isa`]): the
//! best this CPU has, or a lower level named by `ANUVAD_CPU_ISA` (`generic`, `avx2`, `avx512`,
//! `avx512vnni`, `amx`; `neon`, `neon-dotprod`, `neon-i8mm`),
//! so that every path can be tested and measured on one machine.
//!
//! - `math`: vectorized `exp`, maxima, softmax, SiLU over slices.
//! - `gemm`: matrix products against weights packed once at load time (AVX-512 f32/bf16, AMX
//!   bf16/int8).
//! - `dense`: products through the `gemm` crate for unpacked weights, transposes.
//! - `attention`: softmax attention over keys and values, one task per (row, head).
//! - `kv_cache`: the decoder's self-attention cache, step by step (beams reordered through a table).
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

/// Defines one test per instruction-set level for each `fn name(isa) { body }`: `name::generic` and
/// one per level of the architecture built for (`name::avx2`, `name::avx512`, `name::avx512vnni`,
/// `name::amx` on x86-64; `name::neon`, `name::neon_dotprod`, `name::neon_i8mm` on aarch64), each
/// running `body` with `isa` set to its level. A level the machine running the tests lacks is reported
/// as ignored (decided when the tests are built, by `build.rs`), never as passed.
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

                $crate::cpu::isa_tests!(@level $isa $body, "x86_64", avx2, Avx2, anuvad_host_avx2, "AVX2");
                $crate::cpu::isa_tests!(@level $isa $body, "x86_64", avx512, Avx512, anuvad_host_avx512, "AVX-512");
                $crate::cpu::isa_tests!(
                    @level $isa $body, "x86_64", avx512vnni, Avx512Vnni, anuvad_host_avx512vnni, "AVX512-VNNI"
                );
                $crate::cpu::isa_tests!(@level $isa $body, "x86_64", amx, Amx, anuvad_host_amx, "AMX");
                $crate::cpu::isa_tests!(@level $isa $body, "aarch64", neon, Neon, anuvad_host_neon, "NEON");
                $crate::cpu::isa_tests!(
                    @level $isa $body, "aarch64", neon_dotprod, NeonDotprod, anuvad_host_neon_dotprod, "dotprod"
                );
                $crate::cpu::isa_tests!(
                    @level $isa $body, "aarch64", neon_i8mm, NeonI8mm, anuvad_host_neon_i8mm, "i8mm"
                );
            }
        )*
    };
    (@level $isa:ident $body:block, $arch:literal, $test:ident, $level:ident, $host:ident, $what:literal) => {
        #[test]
        #[cfg(target_arch = $arch)]
        #[cfg_attr(not($host), ignore = concat!("this CPU has no ", $what))]
        fn $test() {
            let $isa = Isa::$level;
            assert!($isa.available(), concat!("this CPU (or OS) has no ", $what));
            $body
        }
    };
}
#[cfg(test)]
pub(crate) use isa_tests;
