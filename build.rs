//! Tells the tests which instruction sets the machine building them has, so that a kernel test for a
//! level this CPU lacks is reported as ignored rather than passed (see `cpu::isa_tests!`). Only when
//! building for the machine itself: a cross build's tests run elsewhere (under an emulator) and keep
//! every level's tests ignored but the portable ones.
//!
//! Also writes the README's Rust examples as doctests that run (see `readme_doctests`).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(anuvad_host_avx2, anuvad_host_avx512, anuvad_host_amx)");
    println!("cargo::rerun-if-changed=build.rs");
    readme_doctests();
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
