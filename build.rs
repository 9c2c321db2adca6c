//! Tells the tests which instruction sets the machine building them has, so that a kernel test for a
//! level this CPU lacks is reported as ignored rather than passed (see `cpu::isa_tests!`). Only when
//! building for the machine itself: a cross build's tests run elsewhere (under an emulator) and keep
//! every level's tests ignored but the portable ones.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(anuvad_host_avx2, anuvad_host_avx512, anuvad_host_amx)");
    println!("cargo::rerun-if-changed=build.rs");
    let (host, target) =
        (std::env::var("HOST").unwrap_or_default(), std::env::var("TARGET").unwrap_or_default());
    if host != target {
        return;
    }
    for level in host_levels() {
        println!("cargo::rustc-cfg=anuvad_host_{level}");
    }
}

#[cfg(target_arch = "x86_64")]
fn host_levels() -> Vec<&'static str> {
    let mut levels = Vec::new();
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        levels.push("avx2");
        if std::arch::is_x86_feature_detected!("avx512f") {
            levels.push("avx512");
            // The kernel lists the AMX features only when it also lets processes use the tiles.
            let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
            let flags = cpuinfo.lines().find(|line| line.starts_with("flags")).unwrap_or("");
            let has = |flag: &str| flags.split_whitespace().any(|f| f == flag);
            if has("amx_tile") && has("amx_bf16") && has("amx_int8") {
                levels.push("amx");
            }
        }
    }
    levels
}

#[cfg(not(target_arch = "x86_64"))]
fn host_levels() -> Vec<&'static str> {
    Vec::new()
}
