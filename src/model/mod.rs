//! Encoder-decoder architectures on candle, and the interface the generation loop drives them through.

mod amx;
pub(crate) mod cpu_kernels;
pub(crate) mod fast_math;
pub(crate) mod layers;
mod legacy_pth;
pub(crate) mod m2m100;
pub(crate) mod marian;
pub(crate) mod packed_gemm;
pub(crate) mod weights;

use candle_core::{Device, Tensor};

use crate::error::Result;

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

    /// The longest sequence the position embeddings allow (source or target).
    fn max_positions(&self) -> usize;

    /// The device the weights live on.
    fn device(&self) -> &Device;
}

/// Per-layer decoder caches. Rows can be selected (dropping finished sequences, reordering beams)
/// without recomputing anything.
pub(crate) struct DecoderState {
    pub(crate) layers: Vec<layers::LayerCache>,
    /// Additive cross-attention mask `[inputs, 1, 1, source_len]`: 0 for tokens, -inf for padding.
    pub(crate) cross_mask: Tensor,
    /// Decoder rows per input (beams): rows `i * copies ..` all attend to input `i`'s encoder output,
    /// whose cross-attention keys and values are stored once.
    pub(crate) copies: usize,
    /// Tokens fed so far (the position of the next one).
    pub(crate) step: usize,
}

impl DecoderState {
    /// Keeps the rows `rows` (indices into the current rows), in that order: whole inputs, each input's
    /// `copies` rows together (any order among them).
    pub(crate) fn select_rows(&mut self, rows: &[u32]) -> Result<()> {
        let device = self.cross_mask.device().clone();
        let copies = self.copies as u32;
        let inputs: Vec<u32> = rows.chunks(self.copies).map(|beams| beams[0] / copies).collect();
        let inputs = Tensor::new(inputs.as_slice(), &device)?;
        let rows = Tensor::new(rows, &device)?;
        for layer in &mut self.layers {
            layer.select(&rows, &inputs)?;
        }
        self.cross_mask = self.cross_mask.index_select(&inputs, 0)?;
        Ok(())
    }

    /// Reorders only the self-attention caches (beams moving within their input, whose cross-attention
    /// keys and values stay where they are).
    pub(crate) fn reorder_self_attention(&mut self, rows: &[u32]) -> Result<()> {
        let rows = Tensor::new(rows, self.cross_mask.device())?;
        for layer in &mut self.layers {
            layer.reorder_self_attention(&rows)?;
        }
        Ok(())
    }
}
