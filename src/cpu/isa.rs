//! Which instruction set the kernels use: detected once per process, and lowered on request with
//! `ANUVAD_CPU_ISA` (as CTranslate2's `CT2_FORCE_CPU_ISA`) so that every path can be tested and
//! measured on one machine.

use std::sync::OnceLock;

/// The environment variable that lowers the instruction set the kernels use.
pub const ISA_VARIABLE: &str = "ANUVAD_CPU_ISA";

/// An instruction-set level of the CPU kernels. Each level includes the ones below it on its
/// architecture: `Amx` CPUs have AVX-512, AVX-512 CPUs have AVX2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// Portable Rust (what the compiler vectorizes for the target's baseline); candle's operations
    /// where we have no kernel.
    Generic,
    /// x86-64 with AVX2 and FMA.
    Avx2,
    /// x86-64 with AVX-512F.
    Avx512,
    /// x86-64 with AVX-512 and Intel AMX (tiles, bf16 and int8), granted by the OS.
    Amx,
}

impl Isa {
    /// Every level, lowest first.
    pub const ALL: [Isa; 4] = [Isa::Generic, Isa::Avx2, Isa::Avx512, Isa::Amx];

    /// The name `ANUVAD_CPU_ISA` takes.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Generic => "generic",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Amx => "amx",
        }
    }

    /// The level named `name` (as [`Isa::name`] spells it, any case).
    pub fn from_name(name: &str) -> Option<Isa> {
        Isa::ALL.into_iter().find(|isa| isa.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The best level this CPU (and OS) runs, detected once.
    pub fn detected() -> Isa {
        static DETECTED: OnceLock<Isa> = OnceLock::new();
        *DETECTED.get_or_init(detect)
    }

    /// Whether this CPU runs the kernels of this level.
    pub fn available(self) -> bool {
        self <= Isa::detected()
    }

    /// The levels this CPU runs, lowest first.
    pub fn available_levels() -> Vec<Isa> {
        Isa::ALL.into_iter().filter(|isa| isa.available()).collect()
    }

    /// Whether this level has AVX-512F (AVX-512 and AMX).
    pub fn has_avx512(self) -> bool {
        self >= Isa::Avx512
    }
}

impl std::fmt::Display for Isa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The level in use: [`Isa::detected`], or the lower level `ANUVAD_CPU_ISA` names (read once).
pub fn isa() -> Isa {
    chosen().0
}

/// Why `ANUVAD_CPU_ISA` was not followed, if it was set and could not be (an unknown name, or a level
/// this CPU lacks); the binary prints it as a warning.
pub fn isa_override_problem() -> Option<&'static str> {
    chosen().1.as_deref()
}

fn chosen() -> &'static (Isa, Option<String>) {
    static CHOSEN: OnceLock<(Isa, Option<String>)> = OnceLock::new();
    CHOSEN.get_or_init(|| choose(Isa::detected(), std::env::var(ISA_VARIABLE).ok().as_deref()))
}

/// The level to use on a CPU whose best is `detected`, given the override `requested` (if set).
fn choose(detected: Isa, requested: Option<&str>) -> (Isa, Option<String>) {
    let Some(requested) = requested.filter(|value| !value.trim().is_empty()) else {
        return (detected, None);
    };
    let names = || Isa::ALL.map(Isa::name).join(", ");
    match Isa::from_name(requested) {
        Some(isa) if isa <= detected => (isa, None),
        Some(isa) => {
            (detected, Some(format!("{ISA_VARIABLE}={requested}: this CPU has no {isa}; using {detected}")))
        }
        None => (
            detected,
            Some(format!("{ISA_VARIABLE}={requested} is not one of {}; using {detected}", names())),
        ),
    }
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Isa {
    if !std::arch::is_x86_feature_detected!("avx2") || !std::arch::is_x86_feature_detected!("fma") {
        return Isa::Generic;
    }
    if !std::arch::is_x86_feature_detected!("avx512f") {
        return Isa::Avx2;
    }
    if amx_granted() {
        Isa::Amx
    } else {
        Isa::Avx512
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Isa {
    Isa::Generic
}

/// Whether the CPU has AMX tiles with both bf16 and int8, and Linux lets this process use them
/// (it hands out the tile registers only on request, `arch_prctl(ARCH_REQ_XCOMP_PERM)`).
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[allow(unused_unsafe)] // `__cpuid` is safe to call from Rust 1.90 on, unsafe before.
fn amx_granted() -> bool {
    use std::arch::x86_64::{__cpuid, __cpuid_count};
    // CPUID leaf 7: EDX bit 22 AMX-BF16, bit 24 AMX-TILE, bit 25 AMX-INT8.
    // SAFETY: CPUID leaf 0 exists on every x86-64 CPU, leaf 7 on those reporting it as available.
    if unsafe { __cpuid(0) }.eax < 7 {
        return false;
    }
    // SAFETY: as above.
    let edx = unsafe { __cpuid_count(7, 0) }.edx;
    let amx = (1 << 22) | (1 << 24) | (1 << 25);
    if edx & amx != amx {
        return false;
    }
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: a plain system call with integer arguments; it fails cleanly on kernels without AMX
    // support.
    unsafe { libc::syscall(libc::SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0 }
}

#[cfg(all(target_arch = "x86_64", not(target_os = "linux")))]
fn amx_granted() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_lowers_the_level_and_reports_what_it_cannot_do() {
        assert_eq!(choose(Isa::Avx512, None), (Isa::Avx512, None));
        assert_eq!(choose(Isa::Avx512, Some(" ")), (Isa::Avx512, None));
        assert_eq!(choose(Isa::Avx512, Some("AVX2")), (Isa::Avx2, None));
        assert_eq!(choose(Isa::Avx512, Some("generic")), (Isa::Generic, None));
        let (isa, problem) = choose(Isa::Avx512, Some("amx"));
        assert_eq!(isa, Isa::Avx512);
        assert!(problem.unwrap().contains("no amx"));
        let (isa, problem) = choose(Isa::Avx2, Some("sse9"));
        assert_eq!(isa, Isa::Avx2);
        assert!(problem.unwrap().contains("generic, avx2, avx512, amx"));
    }

    #[test]
    fn levels_are_ordered_and_named_both_ways() {
        for isa in Isa::ALL {
            assert_eq!(Isa::from_name(isa.name()), Some(isa));
        }
        assert!(Isa::Generic < Isa::Avx2 && Isa::Avx2 < Isa::Avx512 && Isa::Avx512 < Isa::Amx);
        assert!(isa() <= Isa::detected());
        assert!(Isa::Generic.available());
        assert_eq!(Isa::available_levels().last().copied(), Some(Isa::detected()));
    }
}
