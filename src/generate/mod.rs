//! Batched greedy and beam search with the semantics of `transformers`' `generate()` for
//! encoder-decoder models (version 5: the vectorised beam search).
//!
//! One loop serves every architecture through [`Seq2SeqModel`]. Inputs are encoded once per batch; a
//! sequence (greedy) or an input with all its beams (beam search) leaves the batch's work as soon as its
//! result can no longer change, which `transformers` does not do but which gives the same tokens.

mod beam;
mod processors;

use candle_core::Tensor;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::model::Seq2SeqModel;

/// `early_stopping` of beam search (see `transformers`' `GenerationConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum EarlyStopping {
    /// `false` (the default): stop an input when no running beam can, by a heuristic, beat the finished
    /// ones.
    #[default]
    Heuristic,
    /// `true`: stop an input as soon as it has `num_beams` finished hypotheses.
    Yes,
    /// `"never"`: the canonical beam search, stopping only when no better hypothesis is possible.
    Never,
}

/// Decoding settings, resolved from `generation_config.json` and the caller's overrides. (Serialized
/// field by field into the settings a batch run records: every field changes the output.)
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct GenerationOptions {
    /// 1 = greedy.
    pub num_beams: usize,
    /// Maximum length of the decoder sequence, the start token included.
    pub max_length: usize,
    /// Minimum length of the decoder sequence, the start token included (EOS is banned before).
    pub min_length: usize,
    /// Minimum number of generated tokens (EOS is banned before).
    pub min_new_tokens: usize,
    pub length_penalty: f64,
    pub early_stopping: EarlyStopping,
    pub no_repeat_ngram_size: usize,
    pub repetition_penalty: f32,
    pub bad_words_ids: Vec<Vec<u32>>,
    pub forced_bos_token_id: Option<u32>,
    pub forced_eos_token_id: Option<Vec<u32>>,
    /// `renormalize_logits`: log-softmax again after the other processors.
    pub renormalize_logits: bool,
    pub decoder_start_token_id: u32,
    pub eos_token_ids: Vec<u32>,
    pub pad_token_id: u32,
}

impl Default for GenerationOptions {
    /// `transformers`' `GenerationConfig` defaults (token ids 0: they always come from the model files).
    fn default() -> Self {
        GenerationOptions {
            num_beams: 1,
            max_length: 20,
            min_length: 0,
            min_new_tokens: 0,
            length_penalty: 1.0,
            early_stopping: EarlyStopping::Heuristic,
            no_repeat_ngram_size: 0,
            repetition_penalty: 1.0,
            bad_words_ids: Vec::new(),
            forced_bos_token_id: None,
            forced_eos_token_id: None,
            renormalize_logits: false,
            decoder_start_token_id: 0,
            eos_token_ids: Vec::new(),
            pad_token_id: 0,
        }
    }
}

/// The result for one input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hypothesis {
    /// Generated tokens: the decoder start token excluded, the final EOS (if any) included.
    pub tokens: Vec<u32>,
    /// Beam search: the length-normalised sum of log-probabilities (`sequences_scores`); greedy: the
    /// mean log-probability of the generated tokens.
    pub score: f32,
}

/// Translates a batch of tokenized inputs (each ending with EOS). Every input must fit the model's
/// position table.
pub(crate) fn generate(
    model: &dyn Seq2SeqModel,
    inputs: &[Vec<u32>],
    options: &GenerationOptions,
) -> Result<Vec<Hypothesis>> {
    let best = |list: Vec<Hypothesis>| {
        list.into_iter().next().unwrap_or(Hypothesis { tokens: Vec::new(), score: f32::NEG_INFINITY })
    };
    Ok(generate_n_best(model, inputs, options)?.into_iter().map(best).collect())
}

/// Like [`generate`], with every finished hypothesis of beam search for each input (up to
/// `num_beams`, best first, never none); greedy search gives one.
pub(crate) fn generate_n_best(
    model: &dyn Seq2SeqModel,
    inputs: &[Vec<u32>],
    options: &GenerationOptions,
) -> Result<Vec<Vec<Hypothesis>>> {
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    if options.num_beams == 0 {
        return Err(Error::InvalidInput("the number of beams must be at least 1".into()));
    }
    let max_source = model.max_source_positions();
    if let Some(long) = inputs.iter().find(|ids| ids.len() > max_source || ids.is_empty()) {
        return Err(Error::InvalidInput(format!(
            "an input of {} tokens does not fit the model's {max_source} positions",
            long.len()
        )));
    }
    // The decoder stops where the position table ends even if `max_length` is longer: processors that
    // act at the last step (a forced EOS) must see the same limit.
    let mut options = options.clone();
    options.max_length = effective_max_length(&options, model);
    let options = &options;
    // On one of rayon's threads: each step hands hundreds of small parallel operations to the pool, and
    // from outside it every one of them cost two cross-thread wake-ups (queue the job, wait for it);
    // from inside, the other threads steal the work and this one takes part.
    rayon::scope(|_| {
        let (encoded, attention_mask) = encode(model, inputs, options.pad_token_id)?;
        if options.num_beams == 1 {
            Ok(greedy(model, &encoded, &attention_mask, options)?.into_iter().map(|h| vec![h]).collect())
        } else {
            beam::search(model, &encoded, &attention_mask, options)
        }
    })
}

/// Runs the encoder over `inputs`: the output `[batch, max_len, d_model]` and the attention mask
/// `[batch, max_len]` of the whole batch, padded to its longest input.
///
/// On the CPU the encoder runs on groups of inputs of similar length (`length_groups`), each padded
/// only to its own longest, and the outputs are padded with zeros to the batch's width: a batch of 32
/// sentences from 20 to 112 tokens otherwise spends more than a third of the encoder's work on
/// padding. Each input's output is the same either way (padding is masked and every other operation
/// works row by row). On GPUs one call for the whole batch is cheaper than several.
fn encode(model: &dyn Seq2SeqModel, inputs: &[Vec<u32>], pad: u32) -> Result<(Tensor, Tensor)> {
    let device = model.device();
    let (input_ids, attention_mask) = pad_batch(inputs, pad, device)?;
    let lengths: Vec<usize> = inputs.iter().map(Vec::len).collect();
    let groups = length_groups(&lengths);
    if !device.is_cpu() || groups.len() <= 1 {
        return Ok((model.encode(&input_ids, &attention_mask)?, attention_mask));
    }
    let width = input_ids.dim(1)?;
    let mut outputs = Vec::with_capacity(groups.len());
    for group in &groups {
        let group_inputs: Vec<&[u32]> = group.iter().map(|&i| inputs[i].as_slice()).collect();
        let (ids, mask) = pad_batch(&group_inputs, pad, device)?;
        let output = model.encode(&ids, &mask)?;
        outputs.push(output.pad_with_zeros(1, 0, width - ids.dim(1)?)?);
    }
    // Row `i` of the batch is row `position[i]` of the groups' outputs stacked in group order.
    let mut position = vec![0u32; inputs.len()];
    for (stacked, &input) in groups.iter().flatten().enumerate() {
        position[input] = stacked as u32;
    }
    let stacked = Tensor::cat(&outputs, 0)?;
    let encoded = stacked.index_select(&Tensor::new(position, device)?, 0)?;
    Ok((encoded, attention_mask))
}

/// Splits input indices into groups for the encoder, longest inputs first: a group grows while its
/// padding stays within a tenth of its tokens, or while it is too small (under `MIN_GROUP_TOKENS`
/// padded tokens) for the matrix products to run at full speed.
fn length_groups(lengths: &[usize]) -> Vec<Vec<usize>> {
    const MIN_GROUP_TOKENS: usize = 256;
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(lengths[i]));
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let (mut width, mut tokens) = (0, 0);
    for input in order {
        let length = lengths[input];
        let fits = groups.last().is_some_and(|group| {
            let padded = width * (group.len() + 1);
            padded < MIN_GROUP_TOKENS || padded * 10 <= (tokens + length) * 11
        });
        match groups.last_mut() {
            Some(group) if fits => group.push(input),
            _ => {
                groups.push(vec![input]);
                (width, tokens) = (length, 0);
            }
        }
        tokens += length;
    }
    groups
}

/// Right-pads `inputs` into `[batch, max_len]` ids and a 0/1 mask, as `MarianTokenizer` pads.
fn pad_batch<I: AsRef<[u32]>>(
    inputs: &[I],
    pad: u32,
    device: &candle_core::Device,
) -> Result<(Tensor, Tensor)> {
    let width = inputs.iter().map(|input| input.as_ref().len()).max().unwrap_or(0);
    let mut ids = Vec::with_capacity(inputs.len() * width);
    let mut mask = Vec::with_capacity(inputs.len() * width);
    for input in inputs {
        let input = input.as_ref();
        ids.extend_from_slice(input);
        ids.extend(std::iter::repeat_n(pad, width - input.len()));
        mask.extend(std::iter::repeat_n(1u32, input.len()));
        mask.extend(std::iter::repeat_n(0u32, width - input.len()));
    }
    let shape = (inputs.len(), width);
    Ok((Tensor::from_vec(ids, shape, device)?, Tensor::from_vec(mask, shape, device)?))
}

/// The longest decoder sequence the model can take: positions 0..max_target_positions feed tokens
/// 1..=max.
pub(crate) fn effective_max_length(options: &GenerationOptions, model: &dyn Seq2SeqModel) -> usize {
    options.max_length.min(model.max_target_positions() + 1)
}

fn greedy(
    model: &dyn Seq2SeqModel,
    encoded: &Tensor,
    attention_mask: &Tensor,
    options: &GenerationOptions,
) -> Result<Vec<Hypothesis>> {
    let batch = encoded.dim(0)?;
    let max_length = effective_max_length(options, model);
    let mut state = model.start_decoding(encoded, attention_mask, 1)?;
    let mut histories = vec![vec![options.decoder_start_token_id]; batch];
    let mut log_prob_sums = vec![0f64; batch];
    // Rows of the decoder state, as indices into the batch.
    let mut active: Vec<usize> = (0..batch).collect();
    let mut finished = vec![false; batch];
    while !active.is_empty() {
        let last: Vec<u32> = active.iter().map(|&i| *histories[i].last().unwrap_or(&0)).collect();
        let tokens = Tensor::new(last.as_slice(), model.device())?;
        let logits = model.decode_step(&mut state, &tokens)?;
        let vocab = logits.dim(1)?;
        // Rows are independent: pick each row's token on its own thread, in a copy of the row that
        // stays in cache.
        let picked: Vec<(usize, f32)> = with_host_scores(&logits, |scores| {
            scores
                .par_chunks(vocab)
                .zip(active.par_iter())
                .map_init(Vec::new, |row_scores, (row, &item)| {
                    row_scores.clear();
                    row_scores.extend_from_slice(row);
                    processors::process(row_scores, &histories[item], options);
                    let token = argmax(row_scores);
                    (token, row_scores[token] - log_sum_exp(row_scores))
                })
                .collect()
        })?;
        for (&item, (token, log_prob)) in active.iter().zip(picked) {
            log_prob_sums[item] += f64::from(log_prob);
            histories[item].push(token as u32);
            if options.eos_token_ids.contains(&(token as u32)) || histories[item].len() >= max_length {
                finished[item] = true;
            }
        }
        if active.iter().any(|&i| finished[i]) {
            let keep: Vec<u32> =
                (0..active.len() as u32).filter(|&row| !finished[active[row as usize]]).collect();
            active.retain(|&i| !finished[i]);
            if !active.is_empty() {
                state.select_rows(&keep)?;
            }
        }
    }
    Ok(histories
        .into_iter()
        .zip(log_prob_sums)
        .map(|(history, sum)| {
            let tokens = history[1..].to_vec();
            let score = (sum / tokens.len().max(1) as f64) as f32;
            Hypothesis { tokens, score }
        })
        .collect())
}

/// Index of the first maximum (`torch.argmax`).
/// Runs `f` on the values of `logits` (`[rows, vocab]`, row-major): borrowed where they are f32 in CPU
/// memory (a step's logits are 8-31 MB; copying them out cost a pass over memory and fresh pages
/// every step), copied to the host otherwise.
fn with_host_scores<R>(logits: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    // Each step is a no-op (a shared handle) for f32 logits already contiguous in CPU memory.
    let host =
        logits.to_device(&candle_core::Device::Cpu)?.to_dtype(candle_core::DType::F32)?.contiguous()?;
    crate::ops::with_f32_slice(&host, f)
        .ok_or_else(|| candle_core::Error::Msg("logits not readable as f32 in CPU memory".into()).into())
}

fn argmax(scores: &[f32]) -> usize {
    // The first position of the largest score, found in two vectorized passes.
    let max = crate::cpu::math::max(scores);
    scores.iter().position(|&score| score == max).unwrap_or(0)
}

/// `log(sum(exp(scores)))`, -inf entries contributing nothing.
fn log_sum_exp(scores: &[f32]) -> f32 {
    log_sum_exp_given_max(scores, crate::cpu::math::max(scores))
}

/// [`log_sum_exp`] when the largest score, `max`, is known.
fn log_sum_exp_given_max(scores: &[f32], max: f32) -> f32 {
    if max == f32::NEG_INFINITY {
        return max;
    }
    let sum = crate::cpu::math::sum_exp_shifted(scores, max);
    max + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::length_groups;

    #[test]
    fn length_groups_cover_every_input_once_and_keep_padding_low() {
        let lengths = [20, 112, 21, 48, 105, 23, 100, 97, 90, 82, 82, 77, 25, 30, 47, 1];
        let groups = length_groups(&lengths);
        let mut seen: Vec<usize> = groups.iter().flatten().copied().collect();
        seen.sort();
        assert_eq!(seen, (0..lengths.len()).collect::<Vec<_>>());
        for group in &groups {
            let width = group.iter().map(|&i| lengths[i]).max().unwrap();
            let tokens: usize = group.iter().map(|&i| lengths[i]).sum();
            let padded = width * group.len();
            // Either within a tenth of padding, or grown only while under the minimum size.
            assert!(padded * 10 <= tokens * 11 || padded < 256, "{group:?}");
        }
        assert!(groups.len() > 1);
        assert_eq!(length_groups(&[]), Vec::<Vec<usize>>::new());
        assert_eq!(length_groups(&[5, 5, 5]), vec![vec![0, 1, 2]]);
    }

    /// A model of three positions that always prefers token 5 (vocabulary of 8).
    struct ShortModel;

    impl crate::model::Seq2SeqModel for ShortModel {
        fn encode(
            &self,
            input_ids: &candle_core::Tensor,
            _mask: &candle_core::Tensor,
        ) -> crate::error::Result<candle_core::Tensor> {
            let (batch, len) = input_ids.dims2()?;
            Ok(candle_core::Tensor::zeros(
                (batch, len, 4),
                candle_core::DType::F32,
                &candle_core::Device::Cpu,
            )?)
        }

        fn start_decoding(
            &self,
            encoder_output: &candle_core::Tensor,
            attention_mask: &candle_core::Tensor,
            copies: usize,
        ) -> crate::error::Result<crate::model::DecoderState> {
            let (batch, len) = attention_mask.dims2()?;
            let cross_mask = candle_core::Tensor::zeros(
                (batch, 1, 1, len),
                encoder_output.dtype(),
                encoder_output.device(),
            )?;
            Ok(crate::model::DecoderState { layers: Vec::new(), cross_mask, copies, step: 0 })
        }

        fn decode_step(
            &self,
            state: &mut crate::model::DecoderState,
            tokens: &candle_core::Tensor,
        ) -> crate::error::Result<candle_core::Tensor> {
            state.step += 1;
            let rows = tokens.dim(0)?;
            let row = [0f32, -9.0, -9.0, -9.0, -9.0, 9.0, -9.0, -9.0];
            let logits: Vec<f32> = (0..rows).flat_map(|_| row).collect();
            Ok(candle_core::Tensor::from_vec(logits, (rows, 8), &candle_core::Device::Cpu)?)
        }

        fn max_source_positions(&self) -> usize {
            3
        }

        fn max_target_positions(&self) -> usize {
            3
        }

        fn device(&self) -> &candle_core::Device {
            &candle_core::Device::Cpu
        }
    }

    #[test]
    fn forced_eos_comes_at_the_last_position_the_model_has() {
        // max_length is far beyond the model's three positions: the decoder stops after three tokens,
        // and the forced EOS must be the third (it was never forced when compared with max_length).
        let options = super::GenerationOptions {
            max_length: 100,
            forced_eos_token_id: Some(vec![0]),
            eos_token_ids: vec![0],
            decoder_start_token_id: 1,
            pad_token_id: 1,
            ..Default::default()
        };
        for beams in [1, 2] {
            let options = super::GenerationOptions { num_beams: beams, ..options.clone() };
            let results = super::generate(&ShortModel, &[vec![3, 4, 0]], &options).unwrap();
            assert_eq!(results[0].tokens, vec![5, 5, 0], "beams {beams}");
        }
    }
}
