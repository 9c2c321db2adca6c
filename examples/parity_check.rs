//! Compares anuvad's output on a device and number format with the `transformers` reference outputs
//! of the fixture models (`tests/fixtures/reference/`), for machines without a Rust toolchain (the GPU
//! check, `scripts/gpu_check.sh`). `cargo test` does the same on the CPU, stricter (token ids).
//!
//! ```sh
//! cargo run --release --example parity_check -- [cpu|cuda] [f32|bf16|f16|int8] [REPO_ROOT]
//! ```
//! Prints one JSON line per model and run (greedy and beam 4 at batch sizes 1 and 8): how many
//! sentences came out with the reference's text, and the largest score difference. Exits 1 when an
//! f32 run differs. `PARITY_RUNS=greedy_b8,beam4_b8` does only those runs (under an emulator such as
//! qemu the whole set takes hours).

use std::path::{Path, PathBuf};

use anuvad::{Device, Precision, Translator};

const MODELS: [&str; 4] = ["tiny-marian-hi-en", "tiny-marian-variant", "tiny-nllb", "tiny-m2m100"];
const RUNS: [(&str, usize, usize); 4] =
    [("greedy_b1", 1, 1), ("greedy_b8", 1, 8), ("beam4_b1", 4, 1), ("beam4_b8", 4, 8)];

#[derive(serde::Deserialize)]
struct Reference {
    text: String,
    score: f32,
}

#[derive(serde::Deserialize)]
struct Meta {
    sentences: Vec<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let device = match args.first().map(String::as_str).unwrap_or("cpu") {
        "cpu" => Device::Cpu,
        "cuda" => Device::Cuda(0),
        other => return Err(format!("unknown device {other:?}: cpu or cuda").into()),
    };
    let precision = match args.get(1).map(String::as_str).unwrap_or("f32") {
        "f32" => Precision::F32,
        "bf16" => Precision::Bf16,
        "f16" => Precision::F16,
        "int8" => Precision::Int8,
        other => return Err(format!("unknown number format {other:?}: f32, bf16, f16 or int8").into()),
    };
    let root = PathBuf::from(args.get(2).map(String::as_str).unwrap_or("."));
    let chosen: Option<Vec<String>> =
        std::env::var("PARITY_RUNS").ok().map(|runs| runs.split(',').map(str::to_owned).collect());
    if let Some(unknown) = chosen.iter().flatten().find(|run| !RUNS.iter().any(|(label, _, _)| label == run))
    {
        let labels: Vec<&str> = RUNS.iter().map(|(label, _, _)| *label).collect();
        return Err(format!("PARITY_RUNS: unknown run {unknown:?} (runs: {})", labels.join(", ")).into());
    }
    let runs =
        RUNS.iter().filter(|(label, _, _)| chosen.as_ref().is_none_or(|c| c.iter().any(|run| run == label)));
    let mut f32_differs = false;
    for model in MODELS {
        let reference = root.join("tests/fixtures/reference").join(model);
        let meta: Meta = serde_json::from_str(&std::fs::read_to_string(reference.join("meta.json"))?)?;
        for &(label, beams, batch) in runs.clone() {
            let translator = Translator::builder()
                .model(root.join("models").join(model))
                .device(device)
                .precision(precision)
                .beam_size(beams)
                .batch_size(batch)
                .build()?;
            let expected = read_reference(&reference.join(format!("{label}.jsonl")))?;
            let (mut same, mut worst_score) = (0, 0f32);
            // As the reference ran: consecutive groups of `batch` sentences.
            for (group, want) in meta.sentences.chunks(batch).zip(expected.chunks(batch)) {
                let group: Vec<&str> = group.iter().map(String::as_str).collect();
                for (ours, want) in translator.translate_batch(&group)?.iter().zip(want) {
                    same += usize::from(ours.text == want.text);
                    worst_score = worst_score.max((ours.score - want.score).abs());
                }
            }
            f32_differs |= precision == Precision::F32 && same != expected.len();
            println!(
                "{{\"model\":\"{model}\",\"run\":\"{label}\",\"dtype\":\"{precision:?}\",\"same_text\":{same},\"sentences\":{},\"max_score_diff\":{worst_score}}}",
                expected.len()
            );
        }
    }
    if f32_differs {
        eprintln!("f32 output differs from transformers");
        std::process::exit(1);
    }
    Ok(())
}

fn read_reference(path: &Path) -> Result<Vec<Reference>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text.lines().map(serde_json::from_str).collect::<Result<_, _>>()?)
}
