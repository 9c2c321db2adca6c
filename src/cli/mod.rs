//! Command-line parsing and the subcommands. clap structs only parse; each subcommand turns them into
//! library calls.

mod batch;
mod check;
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
    /// Check translations (JSONL records with "source" and "translation") for lost numbers, names and
    /// links, loops, and untranslated or empty sentences.
    Check(check::CheckArgs),
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
    /// Use only the local Hugging Face cache, never the network (also: HF_HUB_OFFLINE=1).
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
    /// Decode sentences that fail the checks again (against repetition, then a wider beam) and keep
    /// the best candidate that passes; records say "repaired". Costs a decoding of every flagged
    /// sentence per attempt.
    #[arg(long)]
    repair: bool,
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
        Ok(builder.batch_size(self.batch_size).device(device).precision(precision).repair(self.repair))
    }
}

impl Args {
    /// `--threads` of the subcommands that translate.
    fn threads(&self) -> Option<usize> {
        match &self.command {
            Command::Translate(args) => args.decode.threads,
            Command::Batch(args) => args.decode.threads,
            Command::Segment(_) | Command::Check(_) | Command::Download(_) | Command::Models => None,
        }
    }
}

/// Sets the number of compute threads from `--threads` (at most the machine's CPUs: more only slow the
/// work down), before any thread exists: candle's CPU kernels read `RAYON_NUM_THREADS` when they start
/// their pools, ours run on rayon's global pool.
pub(crate) fn set_threads(args: &Args) -> anyhow::Result<()> {
    let Some(requested) = args.threads() else { return Ok(()) };
    anyhow::ensure!(requested > 0, "--threads must be at least 1");
    let cpus = std::thread::available_parallelism().map_or(requested, |n| n.get());
    let threads = if requested > cpus {
        eprintln!(
            "anuvad: warning: --threads {requested} is more than this machine's {cpus} CPUs; using {cpus}"
        );
        cpus
    } else {
        requested
    };
    std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global()?;
    Ok(())
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Translate(args) => translate::run(args),
        Command::Batch(args) => batch::run(args),
        Command::Segment(args) => segment::run(args),
        Command::Check(args) => check::run(args),
        Command::Download(args) => download(args),
        Command::Models => models(),
    }
}

fn download(args: ModelArgs) -> anyhow::Result<ExitCode> {
    let translator = load(args.builder())?;
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

/// Builds the translator, and says on stderr when the cache stood in for a hub that could not be used.
fn load(builder: anuvad::TranslatorBuilder) -> anyhow::Result<anuvad::Translator> {
    let translator = builder.build()?;
    if let Some(problem) = translator.hub_fallback() {
        let commit = translator.model_commit().map(|c| format!(" (commit {c})")).unwrap_or_default();
        eprintln!(
            "anuvad: warning: the Hugging Face Hub cannot be used: {problem}; using the cached copy of {}{commit}",
            translator.model_name()
        );
    }
    Ok(translator)
}

/// Advice for an error, where the library's facts call for some: what the user can do next, in the
/// terms of this command line (`--offline`, `--model DIR`, `anuvad download`).
pub(crate) fn hint(error: &anyhow::Error) -> Option<String> {
    use anuvad::error::{DownloadError, NetworkProblem, OfflineMode};
    use anuvad::Error;
    let error = error.chain().find_map(|cause| cause.downcast_ref::<Error>())?;
    let elsewhere = |model: &str| {
        format!(
            "or fill a cache elsewhere with `anuvad download --model {model}` and copy it here (HF_HOME), or pass \
             --model DIR with the model's files"
        )
    };
    let advice = match error {
        Error::ModelNotCached { model, offline: OfflineMode::Requested, .. } => {
            format!("--offline uses only the cache: run without it to download `{model}`, {}", elsewhere(model))
        }
        Error::ModelNotCached { model, offline: OfflineMode::Environment, .. } => format!(
            "HF_HUB_OFFLINE is set in the environment: unset it to download `{model}`, {}",
            elsewhere(model)
        ),
        Error::HubUnreachable { model, source, .. } => {
            let what = match source.problem {
                NetworkProblem::Status(_) => "the hub has server trouble: try again later",
                NetworkProblem::Timeout { .. } => {
                    "check the network, HF_ENDPOINT and the proxy settings (HTTPS_PROXY); on a slow connection, \
                     allow more seconds with HF_HUB_ETAG_TIMEOUT and HF_HUB_DOWNLOAD_TIMEOUT"
                }
                _ => "check the network, HF_ENDPOINT and the proxy settings (HTTPS_PROXY)",
            };
            format!("{what}; {}", elsewhere(model))
        }
        // A broken or stalled transfer, or an overloaded server (not a refusal, which would come again).
        Error::Download { source, .. }
            if matches!(&**source, DownloadError::Network(e) if !matches!(e.problem, NetworkProblem::Status(s) if s < 500)) =>
        {
            "run the command again: the download resumes where it stopped".to_string()
        }
        Error::Download { source, .. }
            if matches!(**source, DownloadError::Size { .. } | DownloadError::Checksum { .. }) => {
            "nothing of the bad content was kept; run the command again".to_string()
        }
        Error::GatedModel { .. } => {
            "`huggingface-cli login` (or `hf auth login`) writes the token file; a token in HF_TOKEN wins over it"
                .to_string()
        }
        Error::ModelNotFound { model, .. } => return local_folder_hint(model),
        _ => return None,
    };
    let extra = match error {
        Error::ModelNotCached { model, .. } | Error::HubUnreachable { model, .. } => local_folder_hint(model),
        _ => None,
    };
    Some(match extra {
        Some(extra) => format!("{advice}. Also: {extra}"),
        None => advice,
    })
}

/// For a hub id like `models/x` whose first part is a local folder: the user probably meant a path.
fn local_folder_hint(model: &str) -> Option<String> {
    let id = model.split('@').next().unwrap_or(model);
    let (folder, name) = id.split_once('/')?;
    std::path::Path::new(folder).is_dir().then(|| {
        format!(
            "`{folder}` is a local folder, but it has no `{name}`; `{id}` was taken for a hub id (a local path \
             is one that exists, or starts with ./ or /)"
        )
    })
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
