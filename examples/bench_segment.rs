//! Throughput of `anuvad::segment`, and a check that its time is linear in the input's length.
//!
//! Builds an article-like corpus from the sample article and the gold texts (repeated to 1, 5 and 10 MB),
//! plus degenerate single-line inputs, and reports the best of several runs:
//!
//! ```text
//! cargo run --release --example bench_segment
//! ```

use std::time::{Duration, Instant};

use anuvad::segment::metric;

const MB: usize = 1 << 20;

/// The sample article and every gold text, one paragraph per record, blank lines between.
fn corpus_unit() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut unit =
        std::fs::read_to_string(format!("{root}/models/samples/article-hi.txt")).unwrap_or_default();
    for name in ["hard_cases.jsonl", "flores_dev_hi.jsonl", "flores_dev_en.jsonl"] {
        let path = format!("{root}/tests/data/segmentation/{name}");
        for record in metric::load(&path).unwrap_or_default() {
            unit.push_str("\n\n");
            unit.push_str(&record.text);
        }
    }
    unit.push('\n');
    unit
}

/// `unit` repeated up to `bytes` (cut at a char boundary).
fn sized(unit: &str, bytes: usize) -> String {
    let mut text = unit.repeat(bytes / unit.len().max(1) + 1);
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
}

/// Best wall time of `runs` calls, and the number of sentences found.
fn time(text: &str, runs: usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut sentences = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let paragraphs = std::hint::black_box(anuvad::segment(std::hint::black_box(text)));
        best = best.min(start.elapsed());
        sentences = paragraphs.iter().map(|p| p.sentences.len()).sum();
    }
    (best, sentences)
}

fn report(name: &str, text: &str, runs: usize) -> f64 {
    let (elapsed, sentences) = time(text, runs);
    let mb = text.len() as f64 / MB as f64;
    let rate = mb / elapsed.as_secs_f64();
    let ns_per_byte = elapsed.as_nanos() as f64 / text.len().max(1) as f64;
    println!(
        "| {name} | {mb:.1} | {sentences} | {:.1} ms | {rate:.1} MB/s | {ns_per_byte:.2} |",
        elapsed.as_secs_f64() * 1e3
    );
    ns_per_byte
}

fn main() {
    if cfg!(debug_assertions) {
        eprintln!("note: a debug build; run with --release for meaningful figures");
    }
    let unit = corpus_unit();
    println!("anuvad::segment throughput (best of 5 runs; 1 MB = 2^20 bytes)\n");
    println!("| input | MB | sentences | time | throughput | ns/byte |");
    println!("|---|---|---|---|---|---|");
    let mut per_byte = Vec::new();
    for size in [1, 5, 10] {
        per_byte.push(report(&format!("articles, {size} MB"), &sized(&unit, size * MB), 5));
    }
    let one_line = sized(&unit.replace('\n', " "), 10 * MB);
    report("articles as one 10 MB line", &one_line, 5);
    for (name, piece) in [
        ("no whitespace", "क"),
        ("dandas and quotes", "।”"),
        ("periods and spaces", "a. "),
        ("ellipses", "... "),
        ("quote + reporting lookahead", "“है?” उसने "),
    ] {
        for size in [1, 10] {
            report(&format!("{name}, one {size} MB line"), &sized(piece, size * MB), 3);
        }
    }
    let (min, max) = per_byte.iter().fold((f64::MAX, 0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    println!("\nLinearity: ns/byte on 1, 5, 10 MB of articles varies by a factor {:.2}.", max / min);
}
