//! Command-line parsing and the subcommands. clap structs only parse; each subcommand turns them into
//! library calls.

mod batch;
mod check;
mod files;
mod progress;
mod segment;
mod translate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

pub(crate) use files::InputError;

/// Translate Hindi news articles into English with Hugging Face translation models.
#[derive(Debug, Parser)]
#[command(name = "anuvad", about, long_about = None, after_help = EXAMPLES)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
    /// Say nothing on stderr but warnings and errors: no progress, no summary lines.
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also say what was used: the model's revision and files, the device, the CPU path, the number
    /// format and the threads.
    #[arg(long, short = 'v', global = true)]
    verbose: bool,
}

const EXAMPLES: &str = "\
Examples:
  anuvad translate article.txt                    English text, the input's lines kept
  anuvad translate -f jsonl -o out.jsonl article.txt
  cat article.txt | anuvad translate -            from standard input
  anuvad batch articles/ english/                 a whole folder (resumable)
  anuvad translate --model ./my-model article.txt a model in a local folder
  anuvad download --model Helsinki-NLP/opus-mt-hi-en
  anuvad models                                   models known to work, and those cached";

/// Parses the command line; `-V`/`--version` also names the optional features built in and the CPU
/// path this machine gets.
pub(crate) fn parse() -> Args {
    let features: Vec<&str> = [
        ("cuda", cfg!(feature = "cuda")),
        ("metal", cfg!(feature = "metal")),
        ("mimalloc", cfg!(feature = "mimalloc")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    let features = if features.is_empty() { "none".to_string() } else { features.join(", ") };
    let version = format!(
        "{} (features: {features}; CPU path: {}, of {})",
        env!("CARGO_PKG_VERSION"),
        anuvad::cpu::isa(),
        anuvad::cpu::Isa::available_levels().iter().map(|isa| isa.name()).collect::<Vec<_>>().join(", "),
    );
    // clap keeps `&'static str`s; this one string lives as long as the process anyway.
    let version: &'static str = Box::leak(version.into_boxed_str());
    let mut matches = Args::command().version(version).get_matches();
    let args = Args::from_arg_matches_mut(&mut matches).unwrap_or_else(|error| error.exit());
    progress::set_verbosity(args.quiet, args.verbose);
    args
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Translate a text file (or standard input) and print the English text.
    #[command(after_help = TRANSLATE_EXAMPLES)]
    Translate(translate::TranslateArgs),
    /// Translate every *.txt and *.md file of a folder into another folder (resumable).
    #[command(after_help = BATCH_EXAMPLES)]
    Batch(batch::BatchArgs),
    /// Split a text into paragraphs and sentences (what `translate` feeds the model).
    Segment(segment::SegmentArgs),
    /// Check translations (JSONL records with "source" and "translation") for lost numbers, names and
    /// links, loops, and untranslated or empty sentences.
    Check(check::CheckArgs),
    /// Download a model into the Hugging Face cache and print where it is.
    Download(ModelSource),
    /// List the models known to work, and those in the local Hugging Face cache.
    Models,
}

const TRANSLATE_EXAMPLES: &str = "\
Examples:
  anuvad translate article.txt
  anuvad translate -f md -o article.md article.txt      side by side, for review
  anuvad translate --beam 1 --dtype bf16 article.txt    faster, output may differ slightly
  anuvad translate --strict article.txt || echo flagged";

const BATCH_EXAMPLES: &str = "\
Examples:
  anuvad batch articles/ english/
  anuvad batch --glob '2024/**/*.txt' -f jsonl articles/ english/
  anuvad batch --shard 0/4 articles/ english/           one of four parallel jobs";

/// Which model, and how to find it.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Model")]
pub(crate) struct ModelSource {
    /// Hub id, ID@REVISION, or a local folder with the model's files (a path that exists, or starts
    /// with ./ or /). The default is the best openly licensed model (about 1 GB to download once);
    /// Helsinki-NLP/opus-mt-hi-en is the small fast one (0.3 GB, lower quality). `anuvad models`
    /// lists more.
    #[arg(long, short = 'm', default_value = anuvad::DEFAULT_MODEL)]
    model: String,
    /// Hub revision (branch, tag, refs/pr/N, commit); overrides one given after `@`.
    #[arg(long)]
    revision: Option<String>,
    /// Use only the local Hugging Face cache, never the network (also: HF_HUB_OFFLINE=1).
    #[arg(long)]
    offline: bool,
}

/// The model, and the languages of a multilingual one.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Model")]
pub(crate) struct ModelArgs {
    #[command(flatten)]
    source: ModelSource,
    /// Source language code of multilingual models (NLLB: hin_Deva, M2M100: hi; the defaults). Marian
    /// models take none: one given must match their tokenizer_config.json.
    #[arg(long)]
    source_lang: Option<String>,
    /// Target language code: NLLB eng_Latn, M2M100 en, multi-target Marian models (the default model)
    /// eng (the defaults), or another of the model's targets (e.g. fra).
    #[arg(long)]
    target_lang: Option<String>,
}

/// Decoding and performance options shared by `translate` and `batch`.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Decoding")]
pub(crate) struct DecodeArgs {
    /// Beam size (1 = greedy, fastest). Default: the model's generation_config.json.
    #[arg(long)]
    beam: Option<usize>,
    /// Maximum output length in tokens, the start token included. Default: the model's.
    #[arg(long)]
    max_length: Option<usize>,
    /// Maximum number of generated tokens (wins over --max-length).
    #[arg(long)]
    max_new_tokens: Option<usize>,
    /// Minimum number of generated tokens.
    #[arg(long)]
    min_new_tokens: Option<usize>,
    /// Translate sentences that fail the checks again (against repetition, then with a wider beam)
    /// and keep the best version that passes; records say "repaired". Costs time for every flagged
    /// sentence.
    #[arg(long)]
    repair: bool,
    /// Sentences translated together.
    #[arg(long, default_value_t = 32, help_heading = "Performance")]
    batch_size: usize,
    /// CPU threads (default: all cores).
    #[arg(long, help_heading = "Performance")]
    threads: Option<usize>,
    /// Where to run the model.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu, help_heading = "Performance")]
    device: DeviceArg,
    /// Number format: f32 gives exactly what transformers gives; bf16 halves the model's memory and is
    /// faster on recent CPUs, with output that can differ slightly; f16 is for GPUs only.
    #[arg(long, value_enum, default_value_t = DtypeArg::F32, help_heading = "Performance")]
    dtype: DtypeArg,
    /// Store the model's weights as 8-bit integers: a quarter of the memory, and usually faster on CPUs
    /// (the README's Speed section has measurements); output can differ slightly from f32.
    #[arg(long, value_enum, conflicts_with = "dtype", help_heading = "Performance")]
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

impl ModelSource {
    fn builder(&self) -> anuvad::TranslatorBuilder {
        let mut builder = anuvad::Translator::builder().model(&self.model);
        if progress::bars() {
            builder = builder.download_progress(progress::download_bars());
        }
        if let Some(revision) = &self.revision {
            builder = builder.revision(revision);
        }
        if self.offline {
            builder = builder.offline(true);
        }
        builder
    }
}

impl ModelArgs {
    fn builder(&self) -> anuvad::TranslatorBuilder {
        let mut builder = self.source.builder();
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

fn download(args: ModelSource) -> anyhow::Result<ExitCode> {
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
        let bleu = entry.bleu.map_or_else(|| "n/a".to_string(), |b| b.to_string());
        println!(
            "  {:<42} {:>5} MB  {:<13} BLEU {bleu}{chrf}  {}",
            entry.id, entry.size_mb, entry.licence, entry.note
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
    if progress::verbose() {
        let commit = translator.model_commit().map(|c| format!(", commit {c}")).unwrap_or_default();
        eprintln!("anuvad: model {}{commit}", translator.model_name());
        for file in translator.model_files() {
            eprintln!("anuvad:   {}", file.display());
        }
        eprintln!(
            "anuvad: device {}, CPU path {}, precision {:?}, {} threads, beam {}",
            translator.device_name(),
            anuvad::cpu::isa(),
            translator.precision(),
            rayon::current_num_threads(),
            translator.beam_size()
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
