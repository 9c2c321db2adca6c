//! The encoder-decoder architectures on candle (layers → `ops` → `cpu` kernels), and the interface the
//! generation loop drives them through.
//!
//! Every family is one [`transformer::EncoderDecoder`] built from a [`transformer::TransformerConfig`]
//! (norm placement, activation, positions, embedding scale and norms) and the family's own weight
//! names and embedding ties: `marian.rs`, `m2m100.rs` and `indictrans.rs` are only that mapping.

mod attention;
mod cache;
pub(crate) mod indictrans;
pub(crate) mod layers;
pub(crate) mod m2m100;
pub(crate) mod marian;
mod positions;
pub(crate) mod transformer;

use std::path::Path;

use candle_core::{Device, Tensor};
use candle_nn::VarBuilder;

pub(crate) use cache::DecoderState;

use crate::error::{Error, Result};
use crate::ops::elementwise::Activation;

/// The model families anuvad runs, by `config.json`'s `model_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Architecture {
    /// `marian`: MarianMT (opus-mt).
    Marian,
    /// `m2m_100`: M2M100 and NLLB-200.
    M2M100,
    /// `IndicTrans`: AI4Bharat's IndicTrans2.
    IndicTrans,
}

impl Architecture {
    /// Every family, in the order they are listed to users.
    pub(crate) const ALL: [Architecture; 3] =
        [Architecture::Marian, Architecture::M2M100, Architecture::IndicTrans];

    /// The family of a `model_type`, if anuvad runs it.
    pub(crate) fn from_model_type(model_type: &str) -> Option<Self> {
        Architecture::ALL.into_iter().find(|architecture| architecture.model_type() == model_type)
    }

    /// The `model_type` of `config.json`.
    pub(crate) fn model_type(self) -> &'static str {
        match self {
            Architecture::Marian => "marian",
            Architecture::M2M100 => "m2m_100",
            Architecture::IndicTrans => "IndicTrans",
        }
    }

    /// The supported `model_type`s, for messages.
    pub(crate) fn supported_list() -> String {
        Architecture::ALL.map(Architecture::model_type).join(", ")
    }
}

/// What the generation loop needs of a model: encode a padded batch once, then advance the decoder one
/// token at a time for any subset or reordering of the rows it started with.
pub(crate) trait Seq2SeqModel: Send + Sync {
    /// Runs the encoder. `input_ids` and `attention_mask` are `[batch, source_len]` (`u32`, mask 1 for
    /// tokens and 0 for padding); the result is what [`Seq2SeqModel::start_decoding`] takes.
    fn encode(&self, input_ids: &Tensor, attention_mask: &Tensor) -> Result<Tensor>;

    /// Prepares decoding for `encoder_output` rows, each repeated `copies` times (beams): computes the
    /// cross-attention keys and values once and sets up an empty self-attention cache.
    fn start_decoding(
        &self,
        encoder_output: &Tensor,
        attention_mask: &Tensor,
        copies: usize,
    ) -> Result<DecoderState>;

    /// Feeds one token per row (`[rows]`, `u32`) and returns the next-token logits, `[rows, vocab]` `f32`.
    fn decode_step(&self, state: &mut DecoderState, tokens: &Tensor) -> Result<Tensor>;

    /// The longest source sequence the encoder takes.
    fn max_source_positions(&self) -> usize;

    /// The longest target sequence the decoder takes.
    fn max_target_positions(&self) -> usize;

    /// The device the weights live on.
    fn device(&self) -> &Device;
}

/// The activation `config.json` names, or an error naming it.
fn activation(name: &str) -> Result<Activation> {
    Activation::from_name(name)
        .ok_or_else(|| Error::InvalidInput(format!("unsupported activation_function `{name}`")))
}

/// Turns an error reading the weights into one naming the weights file.
fn bad_weights(path: &Path) -> impl Fn(candle_core::Error) -> Error + '_ {
    move |error| Error::bad_file(path, error)
}

/// The first of `names` the weights have, or an error naming the file and what is missing.
fn first_present<'a>(vb: &VarBuilder, names: &[&'a str], weights_path: &Path) -> Result<&'a str> {
    names
        .iter()
        .copied()
        .find(|name| vb.contains_tensor(name))
        .ok_or_else(|| Error::bad_file(weights_path, format!("no tensor named {}", names.join(" or "))))
}
