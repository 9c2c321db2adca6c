//! Which instruction set the kernels use: detected once per process, and lowered on request with
//! `ANUVAD_CPU_ISA` (as CTranslate2's `CT2_FORCE_CPU_ISA`) so that every path can be tested and
//! measured on one machine.
//!
//! The levels of one architecture form a chain, each including the ones below it: on x86-64
//! `avx2` < `avx512` < `avx512vnni` < `amx`, on aarch64 `neon` < `neon-dotprod` < `neon-i8mm`;
//! `generic` is below both. A level differs from the one below it by at least one kernel (VNNI and the
//! ARM dot products only in the int8 product), so forcing each level in turn runs every kernel on one
//! machine. That is why VNNI is a level and not a feature: every CPU shipped with AMX has AVX512-VNNI,
//! every one with `i8mm` has `dotprod`, so the chains are true of real CPUs, and the int8 product
//! without VNNI (Skylake-SP) stays testable on a CPU that has it.

use std::sync::OnceLock;

/// The environment variable that lowers the instruction set the kernels use.
pub const ISA_VARIABLE: &str = "ANUVAD_CPU_ISA";

/// An instruction-set level of the CPU kernels. Levels of one architecture include the ones below them
/// (see the module documentation); `Generic` runs everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// Portable Rust (what the compiler vectorizes for the target's baseline); candle's operations
    /// where we have no kernel.
    Generic,
    /// x86-64 with AVX2 and FMA: packed products (int8 with `vpmaddubsw`), attention and math in
    /// 256-bit registers.
    Avx2,
    /// x86-64 with AVX-512F and BW: the same kernels in 512-bit registers.
    Avx512,
    /// AVX-512 with VNNI (`vpdpbusd`): the int8 product in one instruction per 64 products.
    Avx512Vnni,
    /// AVX-512 VNNI and Intel AMX (tiles, bf16 and int8), granted by the OS.
    Amx,
    /// aarch64 with NEON (every aarch64 CPU): packed products (int8 with widening multiplies),
    /// attention and math in 128-bit registers.
    Neon,
    /// NEON with the dot-product instructions (`sdot`, Armv8.2+): the int8 product.
    NeonDotprod,
    /// NEON with the int8 matrix multiply (`smmla`, Armv8.6+).
    NeonI8mm,
}

/// The levels of the architecture this program was built for, lowest first.
#[cfg(target_arch = "x86_64")]
const LEVELS: &[Isa] = &[Isa::Generic, Isa::Avx2, Isa::Avx512, Isa::Avx512Vnni, Isa::Amx];
#[cfg(target_arch = "aarch64")]
const LEVELS: &[Isa] = &[Isa::Generic, Isa::Neon, Isa::NeonDotprod, Isa::NeonI8mm];
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const LEVELS: &[Isa] = &[Isa::Generic];

impl Isa {
    /// Every level of every architecture.
    pub const ALL: [Isa; 8] = [
        Isa::Generic,
        Isa::Avx2,
        Isa::Avx512,
        Isa::Avx512Vnni,
        Isa::Amx,
        Isa::Neon,
        Isa::NeonDotprod,
        Isa::NeonI8mm,
    ];

    /// The name `ANUVAD_CPU_ISA` takes.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Generic => "generic",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Avx512Vnni => "avx512vnni",
            Isa::Amx => "amx",
            Isa::Neon => "neon",
            Isa::NeonDotprod => "neon-dotprod",
            Isa::NeonI8mm => "neon-i8mm",
        }
    }

    /// The level named `name` (as [`Isa::name`] spells it, any case).
    pub fn from_name(name: &str) -> Option<Isa> {
        Isa::ALL.into_iter().find(|isa| isa.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The levels of the architecture this program was built for, lowest first (`generic` first).
    pub fn levels() -> &'static [Isa] {
        LEVELS
    }

    /// The best level this CPU (and OS) runs, detected once.
    pub fn detected() -> Isa {
        static DETECTED: OnceLock<Isa> = OnceLock::new();
        *DETECTED.get_or_init(detect)
    }

    /// Whether this CPU runs the kernels of this level.
    pub fn available(self) -> bool {
        self.runs_on(Isa::detected())
    }

    /// Whether a CPU whose best level is `best` runs this level: `generic`, or a level of `best`'s
    /// architecture up to `best`.
    fn runs_on(self, best: Isa) -> bool {
        self == Isa::Generic || (self.arch() == best.arch() && self <= best)
    }

    /// The levels this CPU runs, lowest first.
    pub fn available_levels() -> Vec<Isa> {
        Isa::levels().iter().copied().filter(|isa| isa.available()).collect()
    }

    /// The architecture of the level (`None` for `generic`).
    fn arch(self) -> Option<&'static str> {
        match self {
            Isa::Generic => None,
            Isa::Avx2 | Isa::Avx512 | Isa::Avx512Vnni | Isa::Amx => Some("x86_64"),
            Isa::Neon | Isa::NeonDotprod | Isa::NeonI8mm => Some("aarch64"),
        }
    }

    /// Whether this level has AVX2 and FMA (every x86-64 level above `generic`).
    pub fn has_avx2(self) -> bool {
        matches!(self, Isa::Avx2 | Isa::Avx512 | Isa::Avx512Vnni | Isa::Amx)
    }

    /// Whether this level has AVX-512F and BW (`avx512` and above).
    pub fn has_avx512(self) -> bool {
        matches!(self, Isa::Avx512 | Isa::Avx512Vnni | Isa::Amx)
    }

    /// Whether this level has AVX512-VNNI (`avx512vnni` and `amx`).
    pub fn has_avx512_vnni(self) -> bool {
        matches!(self, Isa::Avx512Vnni | Isa::Amx)
    }

    /// Whether this level has NEON (every aarch64 level).
    pub fn has_neon(self) -> bool {
        matches!(self, Isa::Neon | Isa::NeonDotprod | Isa::NeonI8mm)
    }

    /// Whether this level has the NEON dot products (`neon-dotprod` and `neon-i8mm`).
    pub fn has_neon_dotprod(self) -> bool {
        matches!(self, Isa::NeonDotprod | Isa::NeonI8mm)
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
        Some(isa) if isa.runs_on(detected) => (isa, None),
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
    use std::arch::is_x86_feature_detected as has;
    if !has!("avx2") || !has!("fma") {
        return Isa::Generic;
    }
    if !has!("avx512f") || !has!("avx512bw") {
        return Isa::Avx2;
    }
    if !has!("avx512vnni") {
        return Isa::Avx512;
    }
    if amx_granted() {
        Isa::Amx
    } else {
        Isa::Avx512Vnni
    }
}

#[cfg(target_arch = "aarch64")]
fn detect() -> Isa {
    use std::arch::is_aarch64_feature_detected as has;
    if !has!("neon") {
        return Isa::Generic;
    }
    if !has!("dotprod") {
        return Isa::Neon;
    }
    if has!("i8mm") {
        Isa::NeonI8mm
    } else {
        Isa::NeonDotprod
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
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
        assert_eq!(choose(Isa::Amx, Some("avx512vnni")), (Isa::Avx512Vnni, None));
        assert_eq!(choose(Isa::NeonI8mm, Some("neon-dotprod")), (Isa::NeonDotprod, None));
        assert_eq!(choose(Isa::Neon, Some("generic")), (Isa::Generic, None));
        let (isa, problem) = choose(Isa::Avx512, Some("amx"));
        assert_eq!(isa, Isa::Avx512);
        assert!(problem.unwrap().contains("no amx"));
        let (isa, problem) = choose(Isa::Avx2, Some("sse9"));
        assert_eq!(isa, Isa::Avx2);
        assert!(problem.unwrap().contains("generic, avx2, avx512, avx512vnni, amx, neon"));
        // Another architecture's level is never "below" this one's.
        let (isa, problem) = choose(Isa::NeonI8mm, Some("avx2"));
        assert_eq!(isa, Isa::NeonI8mm);
        assert!(problem.unwrap().contains("no avx2"));
        let (isa, problem) = choose(Isa::Amx, Some("neon"));
        assert_eq!(isa, Isa::Amx);
        assert!(problem.unwrap().contains("no neon"));
    }

    #[test]
    fn levels_are_ordered_and_named_both_ways() {
        for isa in Isa::ALL {
            assert_eq!(Isa::from_name(isa.name()), Some(isa));
        }
        for chain in [Isa::ALL[..5].to_vec(), [&[Isa::Generic], &Isa::ALL[5..]].concat()] {
            assert!(chain.windows(2).all(|pair| pair[0] < pair[1] && pair[0].runs_on(pair[1])));
        }
        assert!(!Isa::Avx2.runs_on(Isa::NeonI8mm) && !Isa::Neon.runs_on(Isa::Amx));
        assert!(isa() <= Isa::detected() && isa().available());
        assert!(Isa::Generic.available());
        assert_eq!(Isa::levels()[0], Isa::Generic);
        assert_eq!(Isa::available_levels().last().copied(), Some(Isa::detected()));
        assert!(Isa::levels().contains(&Isa::detected()));
    }
}
