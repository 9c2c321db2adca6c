//! SentencePiece normalization: how many fixture strings differ from sentencepiece, and the speed on
//! the sample article ×100, for our normalizer (`src/tokenizer/normalizer.rs`, compiled in directly)
//! and for the one anuvad used before (the `tokenizers` crate's `Precompiled` + the whitespace steps).
//!
//! ```sh
//! cargo run --release --example bench_normalize [-- ROUNDS]
//! ```

use std::path::Path;
use std::time::Instant;

#[allow(dead_code)]
#[path = "../src/tokenizer/normalizer.rs"]
mod normalizer;

use normalizer::{CharsMap, Normalizer, SPACE_SYMBOL};
use tokenizers::normalizers::precompiled::Precompiled;

/// The normalizer fields of `sentencepiece_model.proto` (a `ModelProto` read as if it had only them).
mod proto {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ModelProto {
        #[prost(message, optional, tag = "3")]
        pub normalizer_spec: Option<NormalizerSpec>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NormalizerSpec {
        #[prost(bytes = "vec", optional, tag = "2")]
        pub precompiled_charsmap: Option<Vec<u8>>,
        #[prost(bool, optional, tag = "3", default = "true")]
        pub add_dummy_prefix: Option<bool>,
        #[prost(bool, optional, tag = "4", default = "true")]
        pub remove_extra_whitespaces: Option<bool>,
        #[prost(bool, optional, tag = "5", default = "true")]
        pub escape_whitespaces: Option<bool>,
    }
}

/// The normalization anuvad had before: `Precompiled::normalize_string`, then the whitespace steps.
fn old_normalize(map: &Precompiled, text: &str) -> String {
    let mapped = map.normalize_string(text);
    let mut out = String::with_capacity(mapped.len() + 3);
    out.push(SPACE_SYMBOL);
    let mut previous_was_space = true;
    for c in mapped.chars() {
        if c == ' ' {
            if !previous_was_space {
                out.push(SPACE_SYMBOL);
            }
            previous_was_space = true;
        } else {
            out.push(c);
            previous_was_space = false;
        }
    }
    while out.ends_with(SPACE_SYMBOL) {
        out.pop();
    }
    out
}

#[derive(serde::Deserialize)]
struct Record {
    text: String,
    normalized: String,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    use prost::Message;
    let rounds: usize = std::env::args().nth(1).map(|r| r.parse()).transpose()?.unwrap_or(9);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = proto::ModelProto::decode(
        std::fs::read(root.join("models/tiny-marian-hi-en/source.spm"))?.as_slice(),
    )?;
    let spec = model.normalizer_spec.unwrap_or_default();
    let blob = spec.precompiled_charsmap.clone().unwrap_or_default();
    assert!(spec.add_dummy_prefix() && spec.remove_extra_whitespaces() && spec.escape_whitespaces());
    let ours = Normalizer {
        charsmap: Some(CharsMap::parse(&blob)?),
        add_dummy_prefix: true,
        remove_extra_whitespaces: true,
        escape_whitespaces: true,
        user_defined: Vec::new(),
    };
    let old = Precompiled::from(&blob).map_err(|e| e.to_string())?;

    // Agreement with sentencepiece 0.2.3 on the fixture strings (all three fixture models share this map).
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("tests/fixtures/sentencepiece/meta.json"))?)?;
    let hand_written = meta["hand_written"].as_u64().unwrap_or(0) as usize;
    let fixture =
        std::fs::read_to_string(root.join("tests/fixtures/sentencepiece/tiny-marian-hi-en-source.jsonl"))?;
    let records: Vec<Record> = fixture.lines().map(serde_json::from_str).collect::<Result<_, _>>()?;
    let (hand, generated) = records.split_at(hand_written);
    for (name, set) in [("hand-written", hand), ("generated", generated)] {
        let differ = |f: &dyn Fn(&str) -> String| set.iter().filter(|r| f(&r.text) != r.normalized).count();
        println!(
            "{name} strings: {} | normalized differently from sentencepiece: before (tokenizers) {}, ours {}",
            set.len(),
            differ(&|t| old_normalize(&old, t)),
            differ(&|t| ours.normalize(t)),
        );
    }

    // Speed: every line of the sample article, 100 times over; rounds alternate, medians reported.
    let article = std::fs::read_to_string(root.join("models/samples/article-hi.txt"))?;
    let lines: Vec<&str> = article.lines().collect();
    let bytes = article.len() * 100;
    let mut times = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        let mut total = 0;
        for _ in 0..100 {
            total += lines.iter().map(|line| old_normalize(&old, line).len()).sum::<usize>();
        }
        times.0.push(start.elapsed().as_secs_f64());
        let start = Instant::now();
        for _ in 0..100 {
            total += lines.iter().map(|line| ours.normalize(line).len()).sum::<usize>();
        }
        times.1.push(start.elapsed().as_secs_f64());
        std::hint::black_box(total);
    }
    let (before, after) = (median(times.0), median(times.1));
    println!(
        "article x100 ({:.1} MB, {} lines each time), median of {rounds}: before {:.1} ms ({:.1} MB/s), ours {:.1} ms ({:.1} MB/s), {:.2}x",
        bytes as f64 / 1e6,
        lines.len(),
        before * 1e3,
        bytes as f64 / before / 1e6,
        after * 1e3,
        bytes as f64 / after / 1e6,
        before / after
    );
    Ok(())
}
