//! anuvad: translate Hindi news articles into English with Hugging Face translation models, run by
//! our own encoder-decoder implementation on [candle](https://github.com/huggingface/candle).
//!
//! The main type is [`Translator`]: load a model from the Hugging Face Hub or a local directory, then
//! translate sentences or whole documents. A [`Document`] keeps every source sentence aligned with its
//! translation (byte spans into the input, scores) and renders as text, JSONL, TSV or Markdown.
//! [`segment()`] is the sentence segmenter on its own; [`batch`] translates whole folders.
//! [`checks`] verifies each translated sentence against its source (numbers, names, links, loops), and
//! every [`AlignedSentence`] carries its findings; [`repair`] decodes flagged sentences again.
//!
//! Depend on it with `default-features = false` (the default feature `cli` is the `anuvad` program's
//! dependencies). In your debug builds, optimize the dependencies, or the model runs about 40 times
//! slower than in release: `[profile.dev.package."*"] opt-level = 3` in your Cargo.toml.
//!
//! ```
//! use anuvad::{Format, Translator};
//!
//! # fn main() -> anuvad::Result<()> {
//! // Any hub id works (the default is anuvad::DEFAULT_MODEL); here a tiny local test model.
//! let translator = Translator::builder()
//!     .model(concat!(env!("CARGO_MANIFEST_DIR"), "/models/tiny-marian-hi-en"))
//!     .beam_size(2)
//!     .build()?;
//! let document = translator.translate_document("पहला वाक्य। दूसरा वाक्य।\nनया अनुच्छेद।")?;
//! assert_eq!(document.paragraphs.len(), 2);
//! for (paragraph, sentence, aligned) in document.sentences() {
//!     println!("{paragraph}.{sentence} {} => {}", aligned.source, aligned.translation);
//! }
//! let jsonl = document.render(Format::Jsonl);
//! assert_eq!(jsonl.lines().count(), 3);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

/// The README's Rust examples, compiled as written (they are `no_run`: they fetch a hub model).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeAsWritten;

/// The README's Rust examples run for real: `build.rs` swaps in the tiny test model and the sample
/// article.
#[cfg(doctest)]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/readme_doctests.md"))]
struct ReadmeRun;

#[cfg(feature = "mimalloc")]
pub mod allocator;
pub mod batch;
mod catalog;
pub mod checks;
mod config;
pub mod cpu;
mod device;
mod document;
pub mod error;
mod generate;
mod hub;
mod indic_processor;
mod loader;
mod model;
mod ops;
pub mod output;
pub mod repair;
pub mod segment;
mod tokenizer;
mod translator;

#[cfg(test)]
mod indictrans_tests;
#[cfg(test)]
mod parity_tests;

pub use catalog::{catalog, CatalogEntry};
pub use device::{Device, Precision};
pub use document::{
    input_lines, AlignedSentence, Document, Format, InputLine, LineEnding, TranslatedParagraph,
};
pub use error::{ComputeError, Error, Result};
pub use hub::{cache_dir, cached_models, CachedModel, DownloadProgress, DEFAULT_MODEL, SMALL_MODEL};
pub use segment::{segment, Paragraph, Sentence};
pub use translator::{Progress, Translation, Translator, TranslatorBuilder};
