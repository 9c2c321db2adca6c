//! Times anuvad on a list of sentences (one per line), for `scripts/bench_peers.py`.
//!
//! ```sh
//! cargo run --release --example bench_translate -- MODEL SENTENCES BEAMS BATCH NEW_TOKENS [SENTENCE_LIMIT]
//! ```
//! Every sentence gets exactly NEW_TOKENS generated tokens (`--min-new-tokens` = `--max-new-tokens`), so
//! engines compare on equal work. Threads: `RAYON_NUM_THREADS`; device and number format:
//! `ANUVAD_DEVICE=cpu|cuda`, `ANUVAD_DTYPE=f32|bf16|f16|int8` (default cpu, f32). Prints one JSON object.

use std::time::Instant;

use anuvad::{Device, Precision, Translator};

/// The allocator of the `anuvad` binary (see the `mimalloc` feature), so this times what it runs.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: anuvad::allocator::MiMalloc = anuvad::allocator::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    #[cfg(feature = "mimalloc")]
    anuvad::allocator::keep_freed_memory();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, sentences, beams, batch, new_tokens, rest @ ..] = args.as_slice() else {
        return Err("usage: bench_translate MODEL SENTENCES BEAMS BATCH NEW_TOKENS [LIMIT]".into());
    };
    let (beams, batch, new_tokens): (usize, usize, usize) =
        (beams.parse()?, batch.parse()?, new_tokens.parse()?);
    let limit: usize = rest.first().map(|n| n.parse()).transpose()?.unwrap_or(usize::MAX);
    let text = std::fs::read_to_string(sentences)?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(limit).collect();

    let device = match std::env::var("ANUVAD_DEVICE").as_deref() {
        Ok("cuda") => Device::Cuda(0),
        Ok("cpu") | Err(_) => Device::Cpu,
        Ok(other) => return Err(format!("ANUVAD_DEVICE={other}: cpu or cuda").into()),
    };
    let precision = match std::env::var("ANUVAD_DTYPE").as_deref() {
        Ok("bf16") => Precision::Bf16,
        Ok("f16") => Precision::F16,
        Ok("int8") => Precision::Int8,
        Ok("f32") | Err(_) => Precision::F32,
        Ok(other) => return Err(format!("ANUVAD_DTYPE={other}: f32, bf16, f16 or int8").into()),
    };
    let started = Instant::now();
    let translator = Translator::builder()
        .device(device)
        .precision(precision)
        .model(model.as_str())
        .beam_size(beams)
        .batch_size(batch)
        .min_new_tokens(new_tokens)
        .max_new_tokens(new_tokens)
        .build()?;
    let load = started.elapsed().as_secs_f64();

    let started = Instant::now();
    translator.translate_batch(&lines[..1])?;
    let first = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let translations = translator.translate_batch(&lines)?;
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(translations.len(), lines.len());
    let tokens: usize = translations.iter().map(|t| t.generated_tokens).sum();
    let peak_rss_mb = peak_rss_mb().map_or("null".to_string(), |mb| format!("{mb:.1}"));
    println!(
        "{{\"engine\":\"anuvad\",\"isa\":\"{}\",\"sentences\":{},\"tokens\":{tokens},\"seconds\":{seconds:.4},\"load_seconds\":{load:.4},\"first_sentence_seconds\":{first:.4},\"peak_rss_mb\":{peak_rss_mb}}}",
        anuvad::cpu::isa(),
        lines.len(),
    );
    Ok(())
}

/// Peak resident memory of this process (`VmHWM`), in MB; Linux only.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<f64>().ok()? / 1024.0)
}
