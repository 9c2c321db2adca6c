//! Command-line parsing and the subcommands. clap structs only parse; each subcommand turns them into
//! library calls.

mod batch;
mod files;
mod segment;
mod translate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub(crate) use files::InputError;

/// Translate Hindi news articles into English with Hugging Face translation models.
#[derive(Debug, Parser)]
#[command(name = "anuvad", version, about, long_about = None)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Translate a text file (or standard input) and print the English text.
    Translate(translate::TranslateArgs),
    /// Translate every *.txt and *.md file of a folder into another folder (resumable).
    Batch(batch::BatchArgs),
    /// Split a text into paragraphs and sentences (what `translate` feeds the model).
    Segment(segment::SegmentArgs),
    /// Download a model into the Hugging Face cache and print where it is.
    Download(ModelArgs),
    /// List the models known to work, and those in the local Hugging Face cache.
    Models,
}

/// Which model, and how to find it.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ModelArgs {
    /// Hub id, ID@REVISION, or a local directory with the model's files.
    #[arg(long, short = 'm', default_value = anuvad::DEFAULT_MODEL)]
    model: String,
    /// Hub revision (branch, tag, refs/pr/N, commit); overrides one given after `@`.
    #[arg(long)]
    revision: Option<String>,
    /// Use only the local Hugging Face cache (also: HF_HUB_OFFLINE=1).
    #[arg(long)]
    offline: bool,
    /// Source language code of multilingual models (NLLB: hin_Deva, M2M100: hi; the defaults).
    #[arg(long)]
    source_lang: Option<String>,
    /// Target language code of multilingual models (NLLB: eng_Latn, M2M100: en; the defaults).
    #[arg(long)]
    target_lang: Option<String>,
}

/// Decoding options shared by `translate` and `batch`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct DecodeArgs {
    /// Beam size (1 = greedy). Default: the model's generation_config.json.
    #[arg(long)]
    beam: Option<usize>,
    /// Maximum output length in tokens, the start token included. Default: the model's.
    #[arg(long)]
    max_length: Option<usize>,
    /// Maximum number of generated tokens (wins over --max-length).
    #[arg(long)]
    max_new_tokens: Option<usize>,
    /// Minimum number of generated tokens (EOS suppressed until then).
    #[arg(long)]
    min_new_tokens: Option<usize>,
    /// Sentences per batch.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// CPU threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Where to run the model.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
    /// Number format to compute in. f32 matches transformers. bf16 halves the weights' memory: bf16
    /// weights on AVX2, AVX-512 and NEON CPUs, AMX tile products on CPUs with AMX, all bf16 on GPUs.
    /// f16 is for GPUs (slow on CPUs). bf16/f16 output can differ from f32.
    #[arg(long, value_enum, default_value_t = DtypeArg::F32)]
    dtype: DtypeArg,
    /// Quantize the matrix products: int8 weights (a scale per output column) and inputs (a scale
    /// per row), the fastest CPU mode (AMX tiles, AVX512-VNNI, AVX2, NEON dot products); everything
    /// else stays f32. Needs a CPU with AVX2 (x86-64) or NEON (aarch64). Output can differ from f32.
    #[arg(long, value_enum, conflicts_with = "dtype")]
    quantize: Option<QuantizeArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum QuantizeArg {
    Int8,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DtypeArg {
    F32,
    Bf16,
    F16,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DeviceArg {
    Cpu,
    Cuda,
    Metal,
    Auto,
}

impl ModelArgs {
    fn builder(&self) -> anuvad::TranslatorBuilder {
        let mut builder = anuvad::Translator::builder()
            .model(&self.model)
            .progress(std::io::IsTerminal::is_terminal(&std::io::stderr()));
        if let Some(revision) = &self.revision {
            builder = builder.revision(revision);
        }
        if self.offline {
            builder = builder.offline(true);
        }
        if let Some(code) = &self.source_lang {
            builder = builder.source_language(code);
        }
        if let Some(code) = &self.target_lang {
            builder = builder.target_language(code);
        }
        builder
    }
}

impl DecodeArgs {
    fn apply(&self, mut builder: anuvad::TranslatorBuilder) -> anyhow::Result<anuvad::TranslatorBuilder> {
        if let Some(threads) = self.threads {
            anyhow::ensure!(threads > 0, "--threads must be at least 1");
            // candle's CPU kernels read this when they start their thread pools; set before any work.
            std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
        }
        if let Some(beam) = self.beam {
            builder = builder.beam_size(beam);
        }
        if let Some(max_length) = self.max_length {
            builder = builder.max_length(max_length);
        }
        if let Some(tokens) = self.max_new_tokens {
            builder = builder.max_new_tokens(tokens);
        }
        if let Some(tokens) = self.min_new_tokens {
            builder = builder.min_new_tokens(tokens);
        }
        let device = match self.device {
            DeviceArg::Cpu => anuvad::Device::Cpu,
            DeviceArg::Cuda => anuvad::Device::Cuda(0),
            DeviceArg::Metal => anuvad::Device::Metal(0),
            DeviceArg::Auto => anuvad::Device::Auto,
        };
        let precision = match (self.quantize, self.dtype) {
            (Some(QuantizeArg::Int8), _) => anuvad::Precision::Int8,
            (None, DtypeArg::F32) => anuvad::Precision::F32,
            (None, DtypeArg::Bf16) => anuvad::Precision::Bf16,
            (None, DtypeArg::F16) => anuvad::Precision::F16,
        };
        Ok(builder.batch_size(self.batch_size).device(device).precision(precision))
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Translate(args) => translate::run(args),
        Command::Batch(args) => batch::run(args),
        Command::Segment(args) => segment::run(args),
        Command::Download(args) => download(args),
        Command::Models => models(),
    }
}

fn download(args: ModelArgs) -> anyhow::Result<ExitCode> {
    let translator = args.builder().build()?;
    match translator.model_commit() {
        Some(commit) => println!("{} (commit {commit})", translator.model_name()),
        None => println!("{}", translator.model_name()),
    }
    for file in translator.model_files() {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        println!("  {}  ({size} bytes)", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn models() -> anyhow::Result<ExitCode> {
    println!("Models known to work (FLORES-200 devtest hin->eng):");
    for entry in anuvad::catalog() {
        let chrf = entry.chrf.map(|c| format!(" / chrF {c}")).unwrap_or_default();
        println!(
            "  {:<36} {:>5} MB  {:<13} BLEU {}{chrf}  {}",
            entry.id, entry.size_mb, entry.licence, entry.bleu, entry.note
        );
    }
    println!();
    let cached = anuvad::cached_models();
    println!("Models in the Hugging Face cache ({}):", anuvad::cache_dir().display());
    if cached.is_empty() {
        println!("  (none; `anuvad download --model ID` adds one)");
    }
    for model in cached {
        let revision = if model.revision == "main" { String::new() } else { format!("@{}", model.revision) };
        let note = if model.supported { String::new() } else { "  [unsupported architecture]".into() };
        println!(
            "  {}{revision}  {}  {:.1} MB  commit {}{note}",
            model.id,
            model.model_type,
            model.size as f64 / 1e6,
            &model.commit[..model.commit.len().min(12)]
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit code for an error: 1 for unusable input, 2 for everything else.
pub(crate) fn exit_code(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<InputError>().is_some() {
        1
    } else {
        2
    }
}

/// Where output goes: a file (written atomically) or standard output.
pub(crate) fn output_target(path: &Option<PathBuf>) -> Option<&PathBuf> {
    path.as_ref().filter(|p| p.as_os_str() != "-")
}
