//! Beam search as `transformers` 5 runs it (`GenerationMixin._beam_search`), one input at a time in
//! the bookkeeping and all inputs together in the model.
//!
//! Per input and step: the `2 * num_beams` best continuations of all running beams (by accumulated
//! log-probability) are taken; those among the first `num_beams` that end the sequence (EOS or maximum
//! length) become finished hypotheses, scored `sum_logprobs / generated_len ^ length_penalty`; the best
//! `num_beams` that do not end it run on. An input is done when `early_stopping` says so; its rows then
//! leave the decoder state.

use candle_core::Tensor;
use rayon::prelude::*;

use super::processors::{self, Change};
use super::{
    effective_max_length, log_sum_exp_given_max, with_host_scores, EarlyStopping, GenerationOptions,
    Hypothesis,
};
use crate::cpu::math;
use crate::error::Result;
use crate::model::Seq2SeqModel;

/// `transformers` marks impossible beams with this score rather than -inf.
const MASKED: f32 = -1.0e9;

struct Beam {
    tokens: Vec<u32>,
    score: f32,
}

struct Finished {
    tokens: Vec<u32>,
    score: f32,
}

struct Input {
    running: Vec<Beam>,
    /// Best finished hypotheses, best first, at most `num_beams`.
    finished: Vec<Finished>,
    done: bool,
}

/// One scored continuation of a running beam.
#[derive(Clone, Copy)]
struct Candidate {
    score: f32,
    beam: usize,
    token: u32,
}

pub(super) fn search(
    model: &dyn Seq2SeqModel,
    encoded: &Tensor,
    attention_mask: &Tensor,
    options: &GenerationOptions,
) -> Result<Vec<Vec<Hypothesis>>> {
    let batch = encoded.dim(0)?;
    let num_beams = options.num_beams;
    let max_length = effective_max_length(options, model);
    let keep = 2.max(1 + options.eos_token_ids.len()) * num_beams;
    let mut state = model.start_decoding(encoded, attention_mask, num_beams)?;
    let mut inputs: Vec<Input> = (0..batch)
        .map(|_| Input {
            // All beams start identical; only the first may be extended at the first step.
            running: (0..num_beams)
                .map(|beam| Beam {
                    tokens: vec![options.decoder_start_token_id],
                    score: if beam == 0 { 0.0 } else { MASKED },
                })
                .collect(),
            finished: Vec::new(),
            done: false,
        })
        .collect();
    // Inputs whose beams are rows of the decoder state, in row order.
    let mut active: Vec<usize> = (0..batch).collect();
    let mut cur_len = 1;
    while !active.is_empty() {
        // At the first step all beams of an input are the same sequence (the start token): the decoder
        // runs one row per input, whose caches are then repeated for the beams. (The rows would come
        // out identical: every row is computed on its own, in the same order of operations.)
        let shared_rows = cur_len == 1 && num_beams > 1;
        let beams_fed = if shared_rows { 1 } else { num_beams };
        let last: Vec<u32> = active
            .iter()
            .flat_map(|&i| {
                inputs[i].running[..beams_fed].iter().map(|beam| *beam.tokens.last().unwrap_or(&0))
            })
            .collect();
        let logits = model.decode_step(&mut state, &Tensor::new(last.as_slice(), model.device())?)?;
        if shared_rows {
            let repeated: Vec<u32> =
                (0..active.len() as u32).flat_map(|slot| std::iter::repeat_n(slot, num_beams)).collect();
            state.reorder_self_attention(&repeated)?;
        }
        let vocab = logits.dim(1)?;
        let mut rows = Vec::with_capacity(active.len() * num_beams);
        let mut still_active = Vec::with_capacity(active.len());
        let mut any_done = false;
        // Inputs are independent: score each one's continuations on its own thread, its rows'
        // log-probabilities written into a buffer that stays in cache.
        let all_candidates: Vec<Vec<Candidate>> = with_host_scores(&logits, |scores| {
            scores
                .par_chunks(beams_fed * vocab)
                .zip(active.par_iter())
                .map_init(ScoredBlock::default, |scored, (rows, &index)| {
                    let running = &inputs[index].running;
                    scored.fill(rows, vocab, running, options);
                    top_continuations(scored, rows, vocab, running, keep)
                })
                .collect()
        })?;
        for (slot, (&index, candidates)) in active.iter().zip(all_candidates).enumerate() {
            let input = &mut inputs[index];
            let sources = step_input(input, &candidates, cur_len, max_length, options);
            if input.done {
                any_done = true;
            } else {
                still_active.push(index);
                rows.extend(sources.iter().map(|&beam| (slot * num_beams + beam) as u32));
            }
        }
        cur_len += 1;
        active = still_active;
        if active.is_empty() || cur_len >= max_length {
            break;
        }
        if any_done {
            state.select_rows(&rows)?;
        } else {
            // Beams of one input share their cross-attention keys/values: only the caches move.
            state.reorder_self_attention(&rows)?;
        }
    }
    // Every input's finished hypotheses, best first (the best is what `transformers` returns).
    Ok(inputs
        .into_iter()
        .map(|input| {
            let finished: Vec<Hypothesis> = input
                .finished
                .into_iter()
                .map(|f| Hypothesis { tokens: f.tokens[1..].to_vec(), score: f.score })
                .collect();
            if finished.is_empty() {
                vec![Hypothesis { tokens: Vec::new(), score: f32::NEG_INFINITY }]
            } else {
                finished
            }
        })
        .collect())
}

/// Tokens `top_continuations` skips or looks at together.
const STRETCH: usize = 64;

/// One input's processed log-probabilities, a row per beam (written out, or kept as the logits less
/// a normalizer: [`RowScores`]), and for each [`STRETCH`] of a row an upper bound of its values
/// (buffers reused from input to input, so they stay in cache).
#[derive(Default)]
struct ScoredBlock {
    /// Per beam, where its row's values are.
    rows: Vec<RowScores>,
    /// The rows written out (`RowScores::Written`), `vocab` each, at their beam's place.
    log_probs: Vec<f32>,
    bounds: Vec<f32>,
    logit_maxima: Vec<f32>,
}

/// Where one beam's processed log-probabilities are.
#[derive(Clone, Debug, PartialEq)]
enum RowScores {
    /// Written out in `ScoredBlock::log_probs`.
    Written,
    /// Not written: token `t`'s is `logits[logits_row][t] - normalizer` (the log-softmax), or -inf
    /// for the `banned` tokens. Taken so when the processors only ban tokens (the usual case): most
    /// stretches of a row are never looked at, so writing a row out (a pass over 61k values per beam
    /// and step at opus-mt's size) was mostly wasted.
    Shifted { logits_row: usize, normalizer: f32, banned: Vec<u32> },
}

impl ScoredBlock {
    /// From the logits of the input's rows (`vocab` each; one row shared by all beams when `rows` has
    /// only one): log-softmax, then the processors, as `transformers` orders them.
    fn fill(&mut self, rows: &[f32], vocab: usize, running: &[Beam], options: &GenerationOptions) {
        self.rows.clear();
        self.bounds.clear();
        let logits_rows = (rows.len() / vocab.max(1)).max(1);
        for (index, beam) in running.iter().enumerate() {
            let logits_row = index % logits_rows;
            let logits = &rows[logits_row * vocab..][..vocab];
            // The largest logit of each stretch comes with the pass that finds the largest of all.
            let max = math::stretch_maxima(logits, STRETCH, &mut self.logit_maxima);
            let normalizer = log_sum_exp_given_max(logits, max);
            // Subtracting the normalizer keeps the order (rounding is monotonic), so the stretches'
            // largest logits give their largest log-probabilities, or more where a processor banned
            // tokens; so does renormalization's shift after it.
            if processors::only_bans(&beam.tokens, options) {
                let banned = processors::banned(&beam.tokens, options);
                self.bounds.extend(self.logit_maxima.iter().map(|&max| max - normalizer));
                self.rows.push(RowScores::Shifted { logits_row, normalizer, banned });
                continue;
            }
            // (Every element is overwritten below: resizing only sets the length.)
            self.log_probs.resize(running.len() * vocab, 0.0);
            let row = &mut self.log_probs[index * vocab..][..vocab];
            for (out, &logit) in row.iter_mut().zip(logits) {
                *out = logit - normalizer;
            }
            match processors::process(row, &beam.tokens, options) {
                Change::Raised => self.bounds.extend(row.chunks(STRETCH).map(math::max)),
                Change::Lowered => self.bounds.extend(self.logit_maxima.iter().map(|&max| max - normalizer)),
                Change::Shifted { max: row_max, log_sum } => self.bounds.extend(
                    self.logit_maxima
                        .iter()
                        .map(|&max| processors::shift(max - normalizer, row_max, log_sum)),
                ),
            }
            self.rows.push(RowScores::Written);
        }
    }

    /// Beam `beam`'s values for tokens `tokens` (within one stretch), `logits` the input's rows as
    /// `fill` had them: a slice of `log_probs`, or worked out into `buffer`.
    fn stretch<'a>(
        &'a self,
        logits: &'a [f32],
        vocab: usize,
        beam: usize,
        tokens: std::ops::Range<usize>,
        buffer: &'a mut [f32; STRETCH],
    ) -> &'a [f32] {
        match &self.rows[beam] {
            RowScores::Written => &self.log_probs[beam * vocab..][tokens],
            RowScores::Shifted { logits_row, normalizer, banned } => {
                let values = &mut buffer[..tokens.len()];
                for (value, &logit) in values.iter_mut().zip(&logits[logits_row * vocab..][tokens.clone()]) {
                    *value = logit - normalizer;
                }
                for &token in banned {
                    if tokens.contains(&(token as usize)) {
                        values[token as usize - tokens.start] = f32::NEG_INFINITY;
                    }
                }
                values
            }
        }
    }
}

/// The `keep` best continuations over all beams (accumulated scores), best first; ties go to the lower
/// flat index (beam-major), as `torch.topk` orders them on CPU. `logits`: the input's rows, as `fill`
/// had them.
///
/// Once `keep` candidates are held, a stretch of the vocabulary whose bound cannot beat the worst of
/// them is skipped whole: `bound + score <= worst` implies `x + score <= worst` for every `x <= bound`
/// in it (rounding is monotonic), so the result is the same as looking at every token.
fn top_continuations(
    scored: &ScoredBlock,
    logits: &[f32],
    vocab: usize,
    running: &[Beam],
    keep: usize,
) -> Vec<Candidate> {
    let beats_worst = |best: &[Candidate], score: f32| {
        best.len() < keep || score.partial_cmp(&best[keep - 1].score) == Some(std::cmp::Ordering::Greater)
    };
    let stretches_per_row = vocab.div_ceil(STRETCH);
    let mut best: Vec<Candidate> = Vec::with_capacity(keep + 1);
    let mut buffer = [0f32; STRETCH];
    for (beam_index, (beam, bounds)) in
        running.iter().zip(scored.bounds.chunks(stretches_per_row)).enumerate()
    {
        for (stretch_index, &bound) in bounds.iter().enumerate() {
            if !beats_worst(&best, bound + beam.score) {
                continue;
            }
            let first = stretch_index * STRETCH;
            let tokens = first..(first + STRETCH).min(vocab);
            let stretch = scored.stretch(logits, vocab, beam_index, tokens, &mut buffer);
            for (offset, &log_prob) in stretch.iter().enumerate() {
                let score = log_prob + beam.score;
                if !beats_worst(&best, score) {
                    continue;
                }
                let token = (first + offset) as u32;
                let at = best.partition_point(|c| c.score >= score);
                best.insert(at, Candidate { score, beam: beam_index, token });
                best.truncate(keep);
            }
        }
    }
    best
}

/// Applies one step's candidates to `input`; returns, for each new running beam, the beam it extends.
fn step_input(
    input: &mut Input,
    candidates: &[Candidate],
    cur_len: usize,
    max_length: usize,
    options: &GenerationOptions,
) -> Vec<usize> {
    let num_beams = options.num_beams;
    let ends = |c: &Candidate| options.eos_token_ids.contains(&c.token) || cur_len + 1 >= max_length;

    // New finished hypotheses: only from the first `num_beams` candidates.
    let generated = (cur_len + 1 - 1) as f64;
    let denominator = generated.powf(options.length_penalty) as f32;
    let slots_full = input.finished.len() == num_beams;
    let blocked = slots_full && options.early_stopping == EarlyStopping::Yes;
    if !blocked {
        for candidate in candidates.iter().take(num_beams).filter(|c| ends(c)) {
            let score = candidate.score / denominator;
            let at = input.finished.partition_point(|f| f.score >= score);
            if at < num_beams {
                let mut tokens = input.running[candidate.beam].tokens.clone();
                tokens.push(candidate.token);
                input.finished.insert(at, Finished { tokens, score });
                input.finished.truncate(num_beams);
            }
        }
    }

    // New running beams: the best candidates that do not end the sequence.
    let mut next: Vec<(f32, &Candidate)> =
        candidates.iter().map(|c| (if ends(c) { c.score + MASKED } else { c.score }, c)).collect();
    // Stable: equal scores keep candidate order.
    next.sort_by(|a, b| b.0.total_cmp(&a.0));
    next.truncate(num_beams);
    let sources: Vec<usize> = next.iter().map(|(_, c)| c.beam).collect();
    input.running = next
        .iter()
        .map(|&(score, c)| {
            let mut tokens = input.running[c.beam].tokens.clone();
            tokens.push(c.token);
            Beam { tokens, score }
        })
        .collect();

    // Is the input done? (`_check_early_stop_heuristic`, evaluated at the new length.)
    let new_len = cur_len + 1;
    input.done = if input.finished.len() < num_beams {
        false
    } else if options.early_stopping == EarlyStopping::Yes {
        true
    } else {
        let best_len = if options.early_stopping == EarlyStopping::Never && options.length_penalty > 0.0 {
            max_length - 1
        } else {
            new_len - 1
        };
        let best_possible = input.running[0].score / (best_len as f64).powf(options.length_penalty) as f32;
        let worst_finished = input.finished.last().map_or(f32::NEG_INFINITY, |f| f.score);
        // transformers keeps going while `best_possible > worst_finished` (false for NaN: stop).
        best_possible.partial_cmp(&worst_finished) != Some(std::cmp::Ordering::Greater)
    };
    sources
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every continuation scored, sorted best first with ties in flat-index order: what
    /// `top_continuations` must return.
    fn brute_force(block: &[f32], vocab: usize, running: &[Beam], keep: usize) -> Vec<(f32, usize, u32)> {
        let mut all: Vec<(f32, usize, u32)> = block
            .chunks(vocab)
            .zip(running)
            .enumerate()
            .flat_map(|(beam, (row, running))| {
                row.iter()
                    .enumerate()
                    .map(move |(token, &log_prob)| (log_prob + running.score, beam, token as u32))
            })
            .filter(|candidate| !candidate.0.is_nan())
            .collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
        all.truncate(keep);
        all
    }

    #[test]
    fn top_continuations_match_a_full_sort() {
        let mut state = 12345u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for vocab in [1, 7, 64, 65, 300] {
            for beams in [1, 2, 4] {
                // Coarse values, so that ties are common; some -inf (banned tokens).
                let block: Vec<f32> = (0..vocab * beams)
                    .map(|_| match next() % 10 {
                        0 => f32::NEG_INFINITY,
                        _ => -((next() % 50) as f32) / 8.0,
                    })
                    .collect();
                let running: Vec<Beam> = (0..beams)
                    .map(|beam| Beam {
                        tokens: vec![0],
                        score: if beam == 0 { 0.0 } else { -((next() % 20) as f32) / 4.0 },
                    })
                    .collect();
                // Bounds exact (each stretch's largest value) and loose (larger: what banned tokens
                // leave behind).
                let exact: Vec<f32> =
                    block.chunks(vocab).flat_map(|row| row.chunks(STRETCH).map(math::max)).collect();
                // The same rows kept unwritten: logits (the -inf ones high, to be banned) less a
                // normalizer of 0, the -inf tokens banned.
                let logits: Vec<f32> = block.iter().map(|&v| if v.is_finite() { v } else { 3.0 }).collect();
                let unwritten: Vec<RowScores> = block
                    .chunks(vocab)
                    .enumerate()
                    .map(|(beam, row)| RowScores::Shifted {
                        logits_row: beam,
                        normalizer: 0.0,
                        banned: (0..vocab as u32).filter(|&t| row[t as usize].is_infinite()).collect(),
                    })
                    .collect();
                for (written, slack) in [(true, 0.0), (true, 0.5), (false, 0.0), (false, 0.5)] {
                    let scored = ScoredBlock {
                        rows: if written { vec![RowScores::Written; beams] } else { unwritten.clone() },
                        log_probs: if written { block.clone() } else { Vec::new() },
                        bounds: exact.iter().map(|bound| bound + slack).collect(),
                        logit_maxima: Vec::new(),
                    };
                    for keep in [1, 2, 8, 9] {
                        let got: Vec<(f32, usize, u32)> =
                            top_continuations(&scored, &logits, vocab, &running, keep)
                                .iter()
                                .map(|c| (c.score, c.beam, c.token))
                                .collect();
                        assert_eq!(
                            got,
                            brute_force(&block, vocab, &running, keep),
                            "vocab {vocab} beams {beams} keep {keep} slack {slack} written {written}"
                        );
                    }
                }
            }
        }
    }

    /// `fill`'s rows are the log-softmax processed as `processors::process` does it, written or not,
    /// its bounds hold for them (with processors that ban, force and raise) and are exact where
    /// nothing was banned, and one logits row serves every beam.
    #[test]
    fn fill_bounds_every_stretch_of_the_processed_scores() {
        let vocab = 300;
        let logits: Vec<f32> = (0..vocab).map(|i| ((i * 7919) % 1013) as f32 / 100.0 - 5.0).collect();
        let beams = |tokens: Vec<u32>| -> Vec<Beam> {
            (0..2).map(|_| Beam { tokens: tokens.clone(), score: 0.0 }).collect()
        };
        let base =
            GenerationOptions { eos_token_ids: vec![2], max_length: 20, ..GenerationOptions::default() };
        let cases = [
            // Nothing active: exact bounds.
            (base.clone(), vec![0, 5], true),
            // Bans (min_new_tokens, a bad word, a repeated bigram): bounds may be loose.
            (
                GenerationOptions {
                    min_new_tokens: 5,
                    bad_words_ids: vec![vec![7]],
                    no_repeat_ngram_size: 2,
                    ..base.clone()
                },
                vec![0, 5, 9, 5],
                false,
            ),
            // Renormalization alone (exact) and after bans.
            (GenerationOptions { renormalize_logits: true, ..base.clone() }, vec![0, 5], true),
            (
                GenerationOptions {
                    renormalize_logits: true,
                    bad_words_ids: vec![vec![7], vec![130]],
                    ..base.clone()
                },
                vec![0, 5],
                false,
            ),
            // Raising: a forced first token, a repetition penalty below 1.
            (GenerationOptions { forced_bos_token_id: Some(250), ..base.clone() }, vec![0], true),
            (GenerationOptions { repetition_penalty: 0.5, ..base.clone() }, vec![0, 5, 130], true),
            (
                GenerationOptions { repetition_penalty: 0.5, renormalize_logits: true, ..base.clone() },
                vec![0, 5, 130],
                true,
            ),
        ];
        for (options, history, exact) in cases {
            let running = beams(history);
            let mut scored = ScoredBlock::default();
            scored.fill(&logits, vocab, &running, &options);
            let normalizer = super::super::log_sum_exp(&logits);
            let mut want: Vec<f32> = logits.iter().map(|&logit| logit - normalizer).collect();
            processors::process(&mut want, &running[0].tokens, &options);
            let mut buffer = [0f32; STRETCH];
            let rows: Vec<f32> = (0..2)
                .flat_map(|beam| {
                    (0..vocab)
                        .step_by(STRETCH)
                        .flat_map(|first| {
                            let tokens = first..(first + STRETCH).min(vocab);
                            scored.stretch(&logits, vocab, beam, tokens, &mut buffer).to_vec()
                        })
                        .collect::<Vec<f32>>()
                })
                .collect();
            let unwritten = processors::only_bans(&running[0].tokens, &options);
            assert!(scored.rows.iter().all(|row| matches!(row, RowScores::Shifted { .. }) == unwritten));
            assert_eq!(rows[..vocab], want, "{options:?}");
            assert_eq!(rows[vocab..], want, "{options:?}");
            let maxima: Vec<f32> =
                rows.chunks(vocab).flat_map(|row| row.chunks(STRETCH).map(math::max)).collect();
            assert_eq!(scored.bounds.len(), maxima.len());
            for (bound, max) in scored.bounds.iter().zip(&maxima) {
                assert!(bound >= max, "{options:?}: bound {bound} below {max}");
            }
            if exact {
                assert_eq!(scored.bounds, maxima, "{options:?}");
            }
        }
    }
}
