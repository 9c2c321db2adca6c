//! The translation pipeline: segment, tokenize, split what is too long, batch by length, generate,
//! decode, and put everything back in input order, aligned with the source.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use crate::config::limits;
use crate::device::{Device, Precision};
use crate::document::{input_lines, AlignedSentence, Document, TranslatedParagraph};
use crate::error::{Error, NetworkError, Result};
use crate::generate::{self, GenerationOptions};
use crate::hub::{self, DownloadObserver, DownloadProgress, ModelFiles, ModelLocation, DEFAULT_MODEL};
use crate::indic_processor::Placeholders;
use crate::loader::{self, Languages, LoadedModel};
use crate::repair::{self, Candidate, Redecode};
use crate::segment::{best_split, segment, Paragraph};
use crate::tokenizer::Encoding;

/// The result of translating one sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    /// The translated text.
    pub text: String,
    /// The model's score (see [`AlignedSentence::score`]).
    pub score: f32,
    /// True when the sentence was too long for the model and was translated in pieces.
    pub split: bool,
    /// Tokens the model generated for it (all pieces, EOS included).
    pub generated_tokens: usize,
}

impl Translation {
    fn empty() -> Self {
        Translation { text: String::new(), score: 0.0, split: false, generated_tokens: 0 }
    }
}

/// The caller's download progress display (a newtype for `Debug`).
#[derive(Clone)]
struct DownloadDisplay(DownloadObserver);

impl std::fmt::Debug for DownloadDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DownloadDisplay")
    }
}

/// Builds a [`Translator`]; every setting has a default (see each method).
#[derive(Debug, Clone)]
pub struct TranslatorBuilder {
    model: std::ffi::OsString,
    revision: Option<String>,
    device: Device,
    precision: Precision,
    beam_size: Option<usize>,
    max_length: Option<usize>,
    min_new_tokens: Option<usize>,
    max_new_tokens: Option<usize>,
    batch_size: usize,
    offline: Option<bool>,
    download_progress: Option<DownloadDisplay>,
    languages: Languages,
    repair: bool,
}

impl Default for TranslatorBuilder {
    fn default() -> Self {
        TranslatorBuilder {
            model: DEFAULT_MODEL.into(),
            revision: None,
            device: Device::Cpu,
            precision: Precision::F32,
            beam_size: None,
            max_length: None,
            min_new_tokens: None,
            max_new_tokens: None,
            batch_size: 32,
            offline: None,
            download_progress: None,
            languages: Languages::default(),
            repair: false,
        }
    }
}

impl TranslatorBuilder {
    /// The model: a hub id (default [`crate::DEFAULT_MODEL`]; [`crate::SMALL_MODEL`] is the small fast
    /// one), `ID@REVISION`, or a local directory with the hub's files (a `&str`, `String`, `&Path` or `PathBuf`). A path that exists,
    /// starts with `.`, `/` or `~`, or has more separators than `owner/name` is local; write
    /// `./models/x` for a local folder that does not exist yet to get "no such directory" rather
    /// than a hub lookup.
    pub fn model(mut self, model: impl AsRef<std::ffi::OsStr>) -> Self {
        self.model = model.as_ref().to_owned();
        self
    }

    /// The hub revision (branch, tag, `refs/pr/N` or commit); default `main`, or what `@` names.
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }

    /// Where to run the model; default [`Device::Cpu`].
    pub fn device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    /// The number format to compute in; default [`Precision::F32`].
    pub fn precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    /// Beams for beam search (1 = greedy); default: the model's `generation_config.json` (`num_beams`).
    pub fn beam_size(mut self, beams: usize) -> Self {
        self.beam_size = Some(beams);
        self
    }

    /// Maximum output length in tokens, the decoder start token included (`transformers`' `max_length`);
    /// default: the model's generation config.
    pub fn max_length(mut self, tokens: usize) -> Self {
        self.max_length = Some(tokens);
        self
    }

    /// Maximum number of generated tokens (`max_new_tokens`; wins over `max_length`).
    pub fn max_new_tokens(mut self, tokens: usize) -> Self {
        self.max_new_tokens = Some(tokens);
        self
    }

    /// Minimum number of generated tokens: EOS is suppressed until then (`min_new_tokens`); default 0.
    pub fn min_new_tokens(mut self, tokens: usize) -> Self {
        self.min_new_tokens = Some(tokens);
        self
    }

    /// Sentences per batch; default 32.
    pub fn batch_size(mut self, sentences: usize) -> Self {
        self.batch_size = sentences;
        self
    }

    /// Use only the local cache, never the network (`true`), or ask the hub even when `HF_HUB_OFFLINE`
    /// is set (`false`); default: `HF_HUB_OFFLINE` from the environment.
    pub fn offline(mut self, offline: bool) -> Self {
        self.offline = Some(offline);
        self
    }

    /// Source language of multilingual models (M2M100, NLLB): a code of the model, e.g. `hin_Deva` (NLLB,
    /// the default there) or `hi` (M2M100, the default there). Marian models take no source language:
    /// one given is accepted only when the model's `tokenizer_config.json` names it (`source_lang`),
    /// else [`Error::InvalidInput`].
    pub fn source_language(mut self, code: impl Into<String>) -> Self {
        self.languages.source = Some(code.into());
        self
    }

    /// Target language of multilingual models: `eng_Latn` (NLLB default), `en` (M2M100 default), or a
    /// multi-target Marian model's ISO 639-3 code (`eng`, the default, `fra`, ...: the `>>xxx<<` tokens
    /// of its vocabulary; the token is put first in every input). A code the model lacks is
    /// [`Error::InvalidInput`], listing the model's target languages. A single-target Marian model
    /// accepts only the language its `tokenizer_config.json` names (`target_lang`).
    pub fn target_language(mut self, code: impl Into<String>) -> Self {
        self.languages.target = Some(code.into());
        self
    }

    /// Repair flagged translations: a sentence whose translation fails the checks
    /// ([`crate::checks`]) is decoded again with other settings, and the first candidate that passes
    /// replaces it (see [`crate::AlignedSentence::repaired`]); default false (it costs a decoding of
    /// every flagged sentence per attempt: see the README).
    pub fn repair(mut self, repair: bool) -> Self {
        self.repair = repair;
        self
    }

    /// Calls `display` as model files download (after every chunk, and once when a file is done), to
    /// show progress; the `anuvad` binary draws bars on a terminal with it. Default: nothing shown.
    pub fn download_progress(
        mut self,
        display: impl Fn(DownloadProgress<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.download_progress = Some(DownloadDisplay(std::sync::Arc::new(display)));
        self
    }

    /// Resolves, downloads if needed, and loads the model.
    pub fn build(self) -> Result<Translator> {
        // The caller's settings first: a bad one fails before the model loads.
        if self.batch_size == 0 {
            return Err(Error::InvalidInput("the batch size must be at least 1".into()));
        }
        if let Some(beams) = self.beam_size {
            if beams == 0 || beams > limits::BEAMS {
                return Err(Error::InvalidInput(format!(
                    "the beam size is {beams}; it must be between 1 and {}",
                    limits::BEAMS
                )));
            }
        }
        let device = self.device.to_candle()?;
        let location = match self.model.to_str() {
            Some(spec) => ModelLocation::parse(spec, self.revision.as_deref()),
            // Hub ids are ASCII: anything else is a path.
            None => ModelLocation::Local(self.model.clone().into()),
        };
        let files =
            ModelFiles::open(location, self.offline, self.download_progress.map(|display| display.0))?;
        let loaded = loader::load(&files, &device, &self.languages, self.precision)?;
        files.record_revision()?;
        let mut options = loaded.generation.clone();
        if let Some(beams) = self.beam_size {
            options.num_beams = beams;
        }
        if let Some(max_length) = self.max_length {
            options.max_length = max_length;
        }
        if let Some(new_tokens) = self.max_new_tokens {
            options.max_length = new_tokens.saturating_add(1);
        }
        if let Some(new_tokens) = self.min_new_tokens {
            options.min_new_tokens = new_tokens;
        }
        if options.max_length < 2 {
            return Err(Error::InvalidInput("the maximum length must leave room for one token".into()));
        }
        // Each decoding step holds the logits of every sentence's every beam.
        let step_logits =
            self.batch_size.saturating_mul(options.num_beams).saturating_mul(loaded.output_vocab);
        if step_logits.saturating_mul(4) > limits::STEP_LOGITS_BYTES {
            return Err(Error::InvalidInput(format!(
                "{} sentences per batch x {} beams x a vocabulary of {} words need {} GiB of scores per \
                 decoding step (at most {} GiB); use a smaller batch size or beam size",
                self.batch_size,
                options.num_beams,
                loaded.output_vocab,
                step_logits.saturating_mul(4) >> 30,
                limits::STEP_LOGITS_BYTES >> 30
            )));
        }
        let device_name = match device.location() {
            candle_core::DeviceLocation::Cpu => "cpu".to_string(),
            candle_core::DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
            candle_core::DeviceLocation::Metal { gpu_id } => format!("metal:{gpu_id}"),
        };
        Ok(Translator {
            device_name,
            model_name: files.name(),
            languages: self.languages,
            hub_fallback: files.hub_fallback().cloned(),
            loaded,
            options,
            batch_size: self.batch_size,
            precision: self.precision,
            repair: self.repair,
        })
    }
}

/// A fingerprint of a local model's files: each file's name and size, the whole of the small ones
/// (configs, tokenizers) and the first and last MiB of the large ones (weights: the header, which
/// names and places every tensor, and values at both ends, which any retraining changes); sha256 over
/// all of it. Copying the folder elsewhere keeps it; editing any file changes it. (Hashing all of a
/// multi-gigabyte checkpoint on every run would cost seconds to minutes.)
fn files_fingerprint(files: &[PathBuf]) -> String {
    use sha2::{Digest, Sha256};
    use std::io::{Read, Seek, SeekFrom};
    const WHOLE_UP_TO: u64 = 64 << 20;
    const END: u64 = 1 << 20;
    let mut hash = Sha256::new();
    for path in files {
        hash.update(path.file_name().map(|name| name.as_encoded_bytes()).unwrap_or_default());
        let Ok(mut file) = std::fs::File::open(path) else { continue };
        let Ok(size) = file.metadata().map(|metadata| metadata.len()) else { continue };
        hash.update(size.to_le_bytes());
        let mut contents = Vec::new();
        if size > WHOLE_UP_TO {
            let _ = (&mut file).take(END).read_to_end(&mut contents);
            let _ = file.seek(SeekFrom::End(-(END as i64))).and_then(|_| file.read_to_end(&mut contents));
        } else {
            let _ = file.read_to_end(&mut contents);
        }
        hash.update(&contents);
    }
    hash.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A loaded translation model. Cheap to share: it is `Send + Sync`, and concurrent calls from several
/// threads run independently (each call keeps its own decoding state) and give the same results as
/// sequential calls.
pub struct Translator {
    loaded: LoadedModel,
    languages: Languages,
    options: GenerationOptions,
    batch_size: usize,
    model_name: String,
    device_name: String,
    precision: Precision,
    repair: bool,
    hub_fallback: Option<NetworkError>,
}

impl std::fmt::Debug for Translator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Translator").field("model", &self.model_name).field("options", &self.options).finish()
    }
}

/// What a model batch finished, for progress displays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Sentences finished.
    pub sentences: usize,
    /// Their length in the source, in bytes.
    pub bytes: usize,
}

/// One unit of model input: a sentence or a piece of a split sentence.
struct Unit {
    sentence: usize,
    encoding: Encoding,
    /// For the last (or only) piece of its sentence, the sentence's length in bytes: it counts as one
    /// sentence done for progress.
    last_piece_of: Option<usize>,
}

/// Called after every model batch with what it finished; returning `false` cancels.
type ProgressFn<'a> = &'a mut dyn FnMut(Progress) -> bool;

impl Translator {
    /// Loads `model` (hub id, `ID@REVISION` or directory) with default settings.
    pub fn from_pretrained(model: &str) -> Result<Self> {
        Self::builder().model(model).build()
    }

    /// A builder with every setting at its default.
    pub fn builder() -> TranslatorBuilder {
        TranslatorBuilder::default()
    }

    /// The number format the model computes in.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Where the model runs: `cpu`, `cuda:N` or `metal:N` (what [`Device::Auto`] chose).
    pub fn device_name(&self) -> &str {
        &self.device_name
    }

    /// The model as it was named (hub id with revision, or directory).
    pub fn model_name(&self) -> &str {
        &self.model_name
    }

    /// The files the model was loaded from.
    pub fn model_files(&self) -> &[PathBuf] {
        &self.loaded.files
    }

    /// The hub commit the model's files come from (`None` for a local directory).
    pub fn model_commit(&self) -> Option<String> {
        self.loaded.files.first().and_then(|path| hub::snapshot_commit(path))
    }

    /// Why the model was loaded from the cache although online: the hub could not be used (no answer
    /// in time, no connection, server errors). `None` when the hub answered, offline, or for a local
    /// directory.
    pub fn hub_fallback(&self) -> Option<&NetworkError> {
        self.hub_fallback.as_ref()
    }

    /// The beam size in use (1 = greedy).
    pub fn beam_size(&self) -> usize {
        self.options.num_beams
    }

    /// The decoding options in use (the model's generation config with the builder's overrides).
    #[cfg(test)]
    pub(crate) fn generation_options(&self) -> &GenerationOptions {
        &self.options
    }

    /// Every setting that changes the output, by name, for recording how an output was made (batch
    /// resume) and telling what changed: the anuvad version, the model's identity (hub id and commit,
    /// or canonical folder and a fingerprint of its files), the languages, the precision (and the CPU
    /// path, where it changes bf16/int8 results), and every generation setting in use.
    pub fn settings(&self) -> BTreeMap<String, String> {
        let mut settings = BTreeMap::new();
        let mut set = |name: &str, value: String| {
            settings.insert(name.to_string(), value);
        };
        set("anuvad", env!("CARGO_PKG_VERSION").to_string());
        match self.model_commit() {
            Some(commit) => {
                set("model", self.model_name.split('@').next().unwrap_or_default().to_string());
                set("model_files", format!("commit {commit}"));
            }
            None => {
                let dir = self.loaded.files.first().map(|config| crate::output::parent_dir(config));
                let canonical = dir.and_then(|dir| dir.canonicalize().ok());
                set(
                    "model",
                    canonical.map_or_else(|| self.model_name.clone(), |dir| dir.display().to_string()),
                );
                set("model_files", files_fingerprint(&self.loaded.files));
            }
        }
        set("source_language", self.languages.source.clone().unwrap_or_else(|| "default".into()));
        set("target_language", self.languages.target.clone().unwrap_or_else(|| "default".into()));
        set("precision", format!("{:?}", self.precision));
        if self.precision != Precision::F32 {
            // f32 matches transformers on every path; the other formats round differently per path.
            set("kernels", crate::cpu::isa().name().to_string());
        }
        if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&self.options) {
            for (name, value) in fields {
                set(&name, value.to_string());
            }
        }
        if self.repair {
            // Only when on, so that outputs made before repair existed stay up to date.
            set("repair", "true".into());
        }
        settings
    }

    /// Translates one sentence.
    pub fn translate_sentence(&self, sentence: &str) -> Result<String> {
        Ok(self.translate_batch(&[sentence])?.into_iter().next().map(|t| t.text).unwrap_or_default())
    }

    /// Translates sentences in batches; the result is in input order.
    pub fn translate_sentences(&self, sentences: &[&str]) -> Result<Vec<String>> {
        Ok(self.translate_batch(sentences)?.into_iter().map(|t| t.text).collect())
    }

    /// Translates sentences in batches, with scores; the result is in input order. Sentences longer
    /// than the model accepts are split at clause boundaries and their pieces' translations joined.
    pub fn translate_batch(&self, sentences: &[&str]) -> Result<Vec<Translation>> {
        self.translate_batch_with_progress(sentences, &mut |_| true)
    }

    fn translate_batch_with_progress(
        &self,
        sentences: &[&str],
        progress: ProgressFn,
    ) -> Result<Vec<Translation>> {
        let candidates = self.translate_with(sentences, &self.options, false, progress)?;
        Ok(candidates.into_iter().map(|c| c.into_iter().next().unwrap_or_else(Translation::empty)).collect())
    }

    /// Translates `sentences` again with `settings` overriding the decoding options, for repairing
    /// flagged translations: for each sentence its candidates, best first (one, or with
    /// [`Redecode::alternatives`] every finished hypothesis of the beam; a sentence translated in
    /// pieces always has one). Never empty for a sentence.
    pub fn retranslate(&self, sentences: &[&str], settings: &Redecode) -> Result<Vec<Vec<Translation>>> {
        let options = settings.apply(&self.options)?;
        self.translate_with(sentences, &options, settings.alternatives, &mut |_| true)
    }

    /// Translates in batches with `options`: every sentence's candidates, best first (several only
    /// with `alternatives`, for sentences that fit the model whole).
    fn translate_with(
        &self,
        sentences: &[&str],
        options: &GenerationOptions,
        alternatives: bool,
        progress: ProgressFn,
    ) -> Result<Vec<Vec<Translation>>> {
        let mut units = Vec::new();
        let mut split = vec![false; sentences.len()];
        for (index, sentence) in sentences.iter().enumerate() {
            let pieces = self.fit_to_model(sentence);
            split[index] = pieces.len() > 1;
            let count = pieces.len();
            units.extend(pieces.into_iter().enumerate().map(|(i, encoding)| Unit {
                sentence: index,
                encoding,
                last_piece_of: (i + 1 == count).then_some(sentence.len()),
            }));
        }
        let hypotheses = self.generate_sorted(&units, options, alternatives, progress)?;
        // Per sentence, per piece: the piece's hypotheses and what decoding them needs of its source.
        let mut pieces: Vec<Vec<(Vec<generate::Hypothesis>, &Placeholders)>> =
            vec![Vec::new(); sentences.len()];
        for (unit, list) in units.iter().zip(hypotheses) {
            pieces[unit.sentence].push((list, &unit.encoding.placeholders));
        }
        Ok(pieces
            .into_iter()
            .zip(split)
            .map(|(pieces, split)| match pieces.as_slice() {
                // Whole sentences: every hypothesis is a candidate.
                [(list, placeholders)] if !split => {
                    list.iter().map(|h| self.translation_of(&[(h, placeholders)])).collect()
                }
                // Pieces: the best of each, joined.
                _ => {
                    let best: Vec<(&generate::Hypothesis, &Placeholders)> = pieces
                        .iter()
                        .filter_map(|(list, placeholders)| list.first().map(|h| (h, *placeholders)))
                        .collect();
                    vec![Translation { split, ..self.translation_of(&best) }]
                }
            })
            .collect())
    }

    /// One translation from the hypotheses of its pieces (one for a whole sentence), each with the
    /// placeholders of its source.
    fn translation_of(&self, pieces: &[(&generate::Hypothesis, &Placeholders)]) -> Translation {
        let texts: Vec<String> = pieces
            .iter()
            .map(|(h, placeholders)| self.loaded.tokenizer.decode(&h.tokens, placeholders))
            .collect();
        let scores: Vec<f32> = pieces.iter().map(|(h, _)| h.score).collect();
        Translation {
            text: texts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" "),
            score: if scores.is_empty() { 0.0 } else { scores.iter().sum::<f32>() / scores.len() as f32 },
            split: pieces.len() > 1,
            generated_tokens: pieces.iter().map(|(h, _)| h.tokens.len()).sum(),
        }
    }

    /// Segments and translates a document.
    pub fn translate_document(&self, text: &str) -> Result<Document> {
        Ok(self.translate_documents(&[text])?.pop().unwrap_or_default())
    }

    /// Segments and translates several documents, packing the sentences of all of them into shared
    /// batches (one model call per batch however short the documents are).
    pub fn translate_documents(&self, texts: &[&str]) -> Result<Vec<Document>> {
        self.translate_documents_with_progress(texts, &mut |_| true)
    }

    /// Like [`Translator::translate_documents`], calling `progress` after every model batch with what it
    /// finished. When `progress` returns `false`, translation stops after that batch and the call
    /// returns [`Error::Cancelled`].
    pub fn translate_documents_with_progress(
        &self,
        texts: &[&str],
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<Vec<Document>> {
        let segmented: Vec<Vec<Paragraph>> = texts.iter().map(|text| segment(text)).collect();
        let documents: Vec<(&str, &[Paragraph])> =
            texts.iter().zip(&segmented).map(|(text, paragraphs)| (*text, paragraphs.as_slice())).collect();
        self.translate_segmented(&documents, progress)
    }

    /// [`Translator::translate_documents_with_progress`] for documents already segmented (each text
    /// with its [`segment()`] result).
    pub(crate) fn translate_segmented(
        &self,
        documents: &[(&str, &[Paragraph])],
        progress: ProgressFn,
    ) -> Result<Vec<Document>> {
        let sources: Vec<&str> = documents
            .iter()
            .flat_map(|(text, paragraphs)| {
                paragraphs.iter().flat_map(|p| p.sentences.iter().map(|s| &text[s.span.clone()]))
            })
            .collect();
        let mut translations = self.translate_batch_with_progress(&sources, progress)?.into_iter();
        let mut translated_documents = Vec::with_capacity(documents.len());
        for &(text, paragraphs) in documents {
            let mut translated = Vec::with_capacity(paragraphs.len());
            for paragraph in paragraphs {
                let sentences = paragraph
                    .sentences
                    .iter()
                    .map(|sentence| {
                        let translation = translations.next().unwrap_or_else(Translation::empty);
                        let source = &text[sentence.span.clone()];
                        AlignedSentence {
                            source: source.to_string(),
                            flags: crate::checks::check(source, &translation.text),
                            translation: translation.text,
                            span: sentence.span.clone(),
                            score: translation.score,
                            split: translation.split,
                            repaired: None,
                        }
                    })
                    .collect();
                translated.push(TranslatedParagraph { span: paragraph.span.clone(), sentences });
            }
            translated_documents.push(Document { paragraphs: translated, lines: input_lines(text) });
        }
        if self.repair {
            let mut redecode = |sentences: &[&str], settings: &Redecode| {
                let candidates = self.retranslate(sentences, settings)?;
                Ok(candidates
                    .into_iter()
                    .map(|list| {
                        list.into_iter()
                            .map(|t| Candidate { text: t.text, score: t.score, split: t.split })
                            .collect()
                    })
                    .collect())
            };
            repair::repair_documents(&mut translated_documents, &self.options, &mut redecode)?;
        }
        Ok(translated_documents)
    }

    /// Runs the model on units sorted by length (little padding per batch); results in unit order,
    /// each unit's hypotheses best first (only the best unless `alternatives`).
    fn generate_sorted(
        &self,
        units: &[Unit],
        options: &GenerationOptions,
        alternatives: bool,
        progress: ProgressFn,
    ) -> Result<Vec<Vec<generate::Hypothesis>>> {
        let mut order: Vec<usize> = (0..units.len()).collect();
        order.sort_by_key(|&i| units[i].encoding.ids.len());
        let mut results = vec![None; units.len()];
        for chunk in order.chunks(self.batch_size) {
            let inputs: Vec<Vec<u32>> = chunk.iter().map(|&i| units[i].encoding.ids.clone()).collect();
            let model = self.loaded.model.as_ref();
            let hypotheses = if alternatives {
                generate::generate_n_best(model, &inputs, options)?
            } else {
                generate::generate(model, &inputs, options)?.into_iter().map(|h| vec![h]).collect()
            };
            for (&i, hypothesis) in chunk.iter().zip(hypotheses) {
                results[i] = Some(hypothesis);
            }
            let finished = chunk.iter().filter_map(|&i| units[i].last_piece_of);
            let done = finished.fold(Progress::default(), |done, bytes| Progress {
                sentences: done.sentences + 1,
                bytes: done.bytes + bytes,
            });
            if !progress(done) {
                return Err(Error::Cancelled);
            }
        }
        Ok(results
            .into_iter()
            .map(|h| h.unwrap_or_else(|| vec![generate::Hypothesis { tokens: Vec::new(), score: 0.0 }]))
            .collect())
    }

    /// The model input of `sentence`, in as many pieces as needed to fit the model's positions.
    fn fit_to_model(&self, sentence: &str) -> Vec<Encoding> {
        let limit = self.loaded.model.max_source_positions();
        let mut pieces = Vec::new();
        self.split_into(sentence, 0..sentence.len(), limit, &mut pieces);
        pieces
    }

    fn split_into(&self, text: &str, range: Range<usize>, limit: usize, out: &mut Vec<Encoding>) {
        let encoding = self.loaded.tokenizer.encode(&text[range.clone()]);
        if encoding.ids.len() <= limit {
            out.push(encoding);
            return;
        }
        match best_split(&text[range.clone()]) {
            Some(at) => {
                self.split_into(text, range.start..range.start + at, limit, out);
                self.split_into(text, range.start + at..range.end, limit, out);
            }
            // A single unbreakable token run longer than the model: truncating is the only option left.
            None => {
                let ids = &encoding.ids;
                let ids = ids[..limit - 1].iter().copied().chain(ids.last().copied()).collect();
                out.push(Encoding { ids, ..encoding });
            }
        }
    }
}

// A `Translator` is shared between threads.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Translator>();
};
