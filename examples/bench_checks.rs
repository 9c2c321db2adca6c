//! What the checks and the repair cost on a typical article: the sample article
//! (`models/samples/article-hi.txt`, 18 sentences) translated by each tiny fixture model with repair off
//! and on, alternating, medians of `ROUNDS` runs; and the checks alone over the same sentences.
//!
//! ```sh
//! cargo run --release --example bench_checks [-- ROUNDS]
//! ```
//!
//! Repair decodes every flagged sentence again (up to three attempts), so its cost is the share of
//! flagged sentences times the cost of decoding one again. The tiny models flag almost every sentence
//! (random weights), which makes this the worst case; the last column gives the cost per flagged
//! sentence, in units of one sentence's first translation, to scale by the flag rate of a real model.

use std::time::Instant;

use anuvad::checks::check;
use anuvad::Translator;

/// The allocator of the `anuvad` binary (see the `mimalloc` feature), so this times what it runs.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: anuvad::allocator::MiMalloc = anuvad::allocator::MiMalloc;

const MODELS: &[&str] = &["tiny-marian-hi-en", "tiny-marian-variant", "tiny-nllb", "tiny-m2m100"];

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    #[cfg(feature = "mimalloc")]
    anuvad::allocator::keep_freed_memory();
    let rounds: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(7);
    let root = env!("CARGO_MANIFEST_DIR");
    let article = std::fs::read_to_string(format!("{root}/models/samples/article-hi.txt"))?;
    println!(
        "| model | sentences | flagged | repaired | translate ms | with repair ms | repair cost | checks ms | \
         checks cost | repair cost per flagged sentence |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for model in MODELS {
        let path = format!("{root}/models/{model}");
        let plain = Translator::builder().model(path.as_str()).build()?;
        let repairing = Translator::builder().model(path.as_str()).repair(true).build()?;
        // Warm up both (first-call allocations, caches).
        let first = plain.translate_document(&article)?;
        let repaired = repairing.translate_document(&article)?;
        let (mut base, mut with_repair) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let started = Instant::now();
            plain.translate_document(&article)?;
            base.push(started.elapsed().as_secs_f64());
            let started = Instant::now();
            repairing.translate_document(&article)?;
            with_repair.push(started.elapsed().as_secs_f64());
        }
        let pairs: Vec<(String, String)> =
            first.sentences().map(|(_, _, s)| (s.source.clone(), s.translation.clone())).collect();
        let mut checks = Vec::new();
        for _ in 0..rounds.max(20) {
            let started = Instant::now();
            for (source, translation) in &pairs {
                std::hint::black_box(check(source, translation));
            }
            checks.push(started.elapsed().as_secs_f64());
        }
        let (base, with_repair, checks) = (median(base), median(with_repair), median(checks));
        let summary = first.flag_summary();
        let repaired = repaired.flag_summary().repaired;
        let per_sentence = base / summary.sentences.max(1) as f64;
        let per_flagged = (with_repair - base) / summary.flagged.max(1) as f64 / per_sentence;
        println!(
            "| {model} | {} | {} | {repaired} | {:.1} | {:.1} | {:+.0}% | {:.3} | {:.2}% | {per_flagged:.1}x |",
            summary.sentences,
            summary.flagged,
            base * 1e3,
            with_repair * 1e3,
            100.0 * (with_repair - base) / base,
            checks * 1e3,
            100.0 * checks / base,
        );
    }
    Ok(())
}
