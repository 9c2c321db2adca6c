//! What a decoder keeps between steps: per layer, the self-attention keys and values of the tokens fed
//! so far and the cross-attention keys and values of the encoder output (computed once). Owned by the
//! generation loop: nothing outlives one call to it.

use candle_core::Tensor;

use super::attention::Attention;
use super::layers::additive_mask;
use crate::error::Result;
use crate::ops::cache::SelfAttentionCache;

/// The caches of one decoder layer.
pub(crate) struct LayerCache {
    pub(crate) self_attention: SelfAttentionCache,
    pub(crate) cross_keys: Tensor,
    pub(crate) cross_values: Tensor,
}

/// Per-layer decoder caches. Rows can be selected (dropping finished sequences, reordering beams)
/// without recomputing anything.
pub(crate) struct DecoderState {
    pub(crate) layers: Vec<LayerCache>,
    /// Additive cross-attention mask `[inputs, 1, 1, source_len]`: 0 for tokens, -inf for padding.
    pub(crate) cross_mask: Tensor,
    /// Decoder rows per input (beams): rows `i * copies ..` all attend to input `i`'s encoder output,
    /// whose cross-attention keys and values are stored once.
    pub(crate) copies: usize,
    /// Tokens fed so far (the position of the next one).
    pub(crate) step: usize,
}

impl DecoderState {
    /// Sets up decoding for `encoder_output` rows, each decoded as `copies` rows (beams): the
    /// cross-attention keys and values of every decoder layer (`cross`, in layer order) computed once
    /// and stored once per input, empty self-attention caches.
    pub(crate) fn start(
        cross: &[&Attention],
        encoder_output: &Tensor,
        attention_mask: &Tensor,
        copies: usize,
    ) -> Result<Self> {
        let cross_mask = additive_mask(attention_mask)?.to_dtype(encoder_output.dtype())?;
        let layers = cross
            .iter()
            .map(|attention| {
                let (cross_keys, cross_values) =
                    attention.cross_keys_values(encoder_output, attention_mask)?;
                Ok(LayerCache { self_attention: SelfAttentionCache::new(), cross_keys, cross_values })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(DecoderState { layers, cross_mask, copies: copies.max(1), step: 0 })
    }

    /// Keeps the rows `rows` (indices into the current rows), in that order: whole inputs, each input's
    /// `copies` rows together (any order among them).
    pub(crate) fn select_rows(&mut self, rows: &[u32]) -> Result<()> {
        let device = self.cross_mask.device().clone();
        let copies = self.copies as u32;
        let inputs: Vec<u32> = rows.chunks(self.copies).map(|beams| beams[0] / copies).collect();
        let inputs = Tensor::new(inputs.as_slice(), &device)?;
        let rows = Tensor::new(rows, &device)?;
        for layer in &mut self.layers {
            layer.self_attention.reorder(&rows)?;
            layer.cross_keys = layer.cross_keys.index_select(&inputs, 0)?;
            layer.cross_values = layer.cross_values.index_select(&inputs, 0)?;
        }
        self.cross_mask = self.cross_mask.index_select(&inputs, 0)?;
        Ok(())
    }

    /// Reorders only the self-attention caches (beams moving within their input, whose cross-attention
    /// keys and values stay where they are).
    pub(crate) fn reorder_self_attention(&mut self, rows: &[u32]) -> Result<()> {
        let rows = Tensor::new(rows, self.cross_mask.device())?;
        for layer in &mut self.layers {
            layer.self_attention.reorder(&rows)?;
        }
        Ok(())
    }
}
