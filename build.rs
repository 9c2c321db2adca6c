//! Tells the tests which instruction-set levels the machine that runs them has, so that a kernel test
//! for a level it lacks is reported as ignored rather than passed (see `cpu::isa_tests!`).
//!
//! Building for the machine itself, the levels are detected here. A cross build's tests run
//! elsewhere (under an emulator, `.ci/run`): there `ANUVAD_TEST_LEVELS` names the levels that machine
//! has (`neon,neon-dotprod,neon-i8mm` under `qemu-aarch64 -cpu max`); without it only the portable
//! tests run. Each level's tests also assert at run time that the level is there, so a wrong list
//! fails rather than passes.
//!
//! Also writes the README's Rust examples as doctests that run (see `readme_doctests`).

fn main() {
    println!(
        "cargo::rustc-check-cfg=cfg(anuvad_host_avx2, anuvad_host_avx512, anuvad_host_avx512vnni, \
         anuvad_host_amx, anuvad_host_neon, anuvad_host_neon_dotprod, anuvad_host_neon_i8mm)"
    );
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=ANUVAD_TEST_LEVELS");
    readme_doctests();
    let (host, target) =
        (std::env::var("HOST").unwrap_or_default(), std::env::var("TARGET").unwrap_or_default());
    let levels: Vec<String> = if host == target {
        host_levels().into_iter().map(String::from).collect()
    } else {
        std::env::var("ANUVAD_TEST_LEVELS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|level| !level.is_empty())
            .map(String::from)
            .collect()
    };
    for level in levels {
        println!("cargo::rustc-cfg=anuvad_host_{}", level.replace('-', "_"));
    }
}

#[cfg(target_arch = "x86_64")]
fn host_levels() -> Vec<&'static str> {
    use std::arch::is_x86_feature_detected as has;
    let mut levels = Vec::new();
    if has!("avx2") && has!("fma") {
        levels.push("avx2");
        if has!("avx512f") && has!("avx512bw") {
            levels.push("avx512");
            if has!("avx512vnni") {
                levels.push("avx512vnni");
                // The kernel lists the AMX features only when it also lets processes use the tiles.
                let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
                let flags = cpuinfo.lines().find(|line| line.starts_with("flags")).unwrap_or("");
                let has_flag = |flag: &str| flags.split_whitespace().any(|f| f == flag);
                if has_flag("amx_tile") && has_flag("amx_bf16") && has_flag("amx_int8") {
                    levels.push("amx");
                }
            }
        }
    }
    levels
}

#[cfg(target_arch = "aarch64")]
fn host_levels() -> Vec<&'static str> {
    use std::arch::is_aarch64_feature_detected as has;
    let mut levels = Vec::new();
    if has!("neon") {
        levels.push("neon");
        if has!("dotprod") {
            levels.push("neon-dotprod");
            if has!("i8mm") {
                levels.push("neon-i8mm");
            }
        }
    }
    levels
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn host_levels() -> Vec<&'static str> {
    Vec::new()
}

/// The README's ```rust blocks, with the hub model swapped for the tiny test model and `article.txt`
/// for the sample article, as a Markdown file of runnable doctests in OUT_DIR (`lib.rs` includes it
/// under `cfg(doctest)`). The README itself is compiled as written too, where its blocks are `no_run`.
fn readme_doctests() {
    println!("cargo::rerun-if-changed=README.md");
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap_or_default();
    let mut doctests = String::new();
    let mut in_rust = false;
    for line in readme.lines() {
        if !in_rust && line.starts_with("```rust") {
            in_rust = true;
            doctests.push_str("```rust\n");
        } else if in_rust && line.starts_with("```") {
            in_rust = false;
            doctests.push_str("```\n\n");
        } else if in_rust {
            let line = line
                .replace(
                    "\"Helsinki-NLP/opus-mt-hi-en\"",
                    &format!("{:?}", format!("{root}/models/tiny-marian-hi-en")),
                )
                .replace(
                    "\"article.txt\"",
                    &format!("{:?}", format!("{root}/models/samples/article-hi.txt")),
                );
            doctests.push_str(&line);
            doctests.push('\n');
        }
    }
    let out = std::env::var("OUT_DIR").unwrap_or_default();
    // A failure here only loses the doctests, which then fail to include: loudly, in `cargo test`.
    let _ = std::fs::write(format!("{out}/readme_doctests.md"), doctests);
}
