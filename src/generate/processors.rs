//! Logits processors with `transformers`' semantics, applied to one row of scores given the tokens that
//! row has so far (the decoder start token included), in `transformers`' order.

use super::GenerationOptions;
use crate::cpu::math;

/// How [`process`] changed a row, for callers that keep upper bounds of parts of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Change {
    /// Scores were only lowered (banned tokens set to -inf): earlier upper bounds still hold.
    Lowered,
    /// Only lowered, then every score shifted by [`shift`] (`renormalize_logits`): an earlier upper bound
    /// shifted the same way still holds (rounding is monotonic).
    Shifted { max: f32, log_sum: f32 },
    /// Some score may have been raised otherwise: bounds must be taken again.
    Raised,
}

/// `value` renormalized as [`log_softmax`] renormalizes it.
pub(super) fn shift(value: f32, max: f32, log_sum: f32) -> f32 {
    (value - max) - log_sum
}

/// Applies every active processor to `scores` (logits for greedy, log-probabilities for beam search),
/// in `transformers`' order (`GenerationMixin._get_logits_processor`), `renormalize_logits` last.
pub(super) fn process(scores: &mut [f32], history: &[u32], options: &GenerationOptions) -> Change {
    let mut raised = false;
    if options.repetition_penalty != 1.0 {
        repetition_penalty(scores, history, options.repetition_penalty);
        raised = true;
    }
    ban(scores, &banned(history, options));
    if let Some(forced) = forced(history, options) {
        force(scores, forced);
        raised = true;
    }
    // `LogitNormalization`.
    let renormalized = options.renormalize_logits.then(|| log_softmax(scores)).flatten();
    match (raised, renormalized) {
        (true, _) => Change::Raised,
        (false, Some((max, log_sum))) => Change::Shifted { max, log_sum },
        (false, None) => Change::Lowered,
    }
}

/// Whether [`process`] would only ban tokens (those of [`banned`]) for a row with `history`: no
/// repetition penalty, no forced token at this step, no renormalization. Beam search then keeps such a
/// row as its logits and bans instead of writing it out.
pub(super) fn only_bans(history: &[u32], options: &GenerationOptions) -> bool {
    options.repetition_penalty == 1.0 && forced(history, options).is_none() && !options.renormalize_logits
}

/// The tokens the banning processors ban for a row with `history` (no n-gram repeat, bad words,
/// minimum lengths; duplicates possible): [`process`] sets their scores to -inf, ids past the
/// vocabulary ignored. Bans commute with one another, so their order does not matter.
pub(super) fn banned(history: &[u32], options: &GenerationOptions) -> Vec<u32> {
    let cur_len = history.len();
    let mut tokens = Vec::new();
    if options.no_repeat_ngram_size > 0 {
        no_repeat_ngram(&mut tokens, history, options.no_repeat_ngram_size);
    }
    for bad in &options.bad_words_ids {
        ban_sequence(&mut tokens, history, bad);
    }
    if cur_len < options.min_length {
        tokens.extend_from_slice(&options.eos_token_ids);
    }
    if cur_len.saturating_sub(1) < options.min_new_tokens {
        tokens.extend_from_slice(&options.eos_token_ids);
    }
    tokens
}

/// The tokens forced at this step (`forced_bos_token_id` at the first, `forced_eos_token_id` at the
/// last position), if any: every other score becomes -inf, theirs 0.
fn forced<'a>(history: &[u32], options: &'a GenerationOptions) -> Option<&'a [u32]> {
    let cur_len = history.len();
    if cur_len + 1 == options.max_length {
        if let Some(eos) = &options.forced_eos_token_id {
            return Some(eos);
        }
    }
    if cur_len == 1 {
        if let Some(bos) = &options.forced_bos_token_id {
            return Some(std::slice::from_ref(bos));
        }
    }
    None
}

/// `scores.log_softmax(-1)` with PyTorch's order of operations (`(x - max) - ln(sum(exp(x - max)))`);
/// returns the max and the log-sum, or `None` (nothing changed) when every score is -inf.
fn log_softmax(scores: &mut [f32]) -> Option<(f32, f32)> {
    let max = math::max(scores);
    if max == f32::NEG_INFINITY {
        return None;
    }
    let log_sum = math::sum_exp_shifted(scores, max).ln();
    for score in scores.iter_mut() {
        *score = shift(*score, max, log_sum);
    }
    Some((max, log_sum))
}

fn ban(scores: &mut [f32], tokens: &[u32]) {
    for &token in tokens {
        if let Some(score) = scores.get_mut(token as usize) {
            *score = f32::NEG_INFINITY;
        }
    }
}

/// Every score -inf but `tokens`, which get 0.
fn force(scores: &mut [f32], tokens: &[u32]) {
    scores.fill(f32::NEG_INFINITY);
    for &token in tokens {
        if let Some(score) = scores.get_mut(token as usize) {
            *score = 0.0;
        }
    }
}

/// `RepetitionPenaltyLogitsProcessor`: scores of tokens already present are divided by the penalty when
/// positive, multiplied when negative.
fn repetition_penalty(scores: &mut [f32], history: &[u32], penalty: f32) {
    let mut seen = history.to_vec();
    seen.sort_unstable();
    seen.dedup();
    for token in seen {
        if let Some(score) = scores.get_mut(token as usize) {
            *score = if *score < 0.0 { *score * penalty } else { *score / penalty };
        }
    }
}

/// `NoRepeatNGramLogitsProcessor`: bans (adds to `banned`) every token that would complete an n-gram
/// already in `history`.
fn no_repeat_ngram(banned: &mut Vec<u32>, history: &[u32], n: usize) {
    let len = history.len();
    if len < n {
        return;
    }
    let prefix = &history[len + 1 - n..];
    for window in history.windows(n) {
        if &window[..n - 1] == prefix {
            banned.push(window[n - 1]);
        }
    }
}

/// `NoBadWordsLogitsProcessor`: bans (adds to `banned`) the last token of `sequence` when `history`
/// ends with the rest.
fn ban_sequence(banned: &mut Vec<u32>, history: &[u32], sequence: &[u32]) {
    if let Some((last, prefix)) = sequence.split_last() {
        if history.ends_with(prefix) {
            banned.push(*last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> GenerationOptions {
        GenerationOptions { eos_token_ids: vec![0], max_length: 10, ..GenerationOptions::default() }
    }

    #[test]
    fn no_repeat_ngram_bans_completions() {
        let mut banned = Vec::new();
        // history 4 1 2 3 1: bigram (1, 2) seen, so after 1 the token 2 is banned.
        no_repeat_ngram(&mut banned, &[4, 1, 2, 3, 1], 2);
        assert_eq!(banned, vec![2]);
        let options = GenerationOptions { no_repeat_ngram_size: 2, ..options() };
        let mut scores = vec![0.0; 5];
        process(&mut scores, &[4, 1, 2, 3, 1], &options);
        assert_eq!(scores, vec![0.0, 0.0, f32::NEG_INFINITY, 0.0, 0.0]);
    }

    #[test]
    fn repetition_penalty_pushes_seen_tokens_down() {
        let mut scores = vec![2.0, -2.0, 2.0];
        repetition_penalty(&mut scores, &[0, 1, 1], 2.0);
        assert_eq!(scores, vec![1.0, -4.0, 2.0]);
    }

    #[test]
    fn forced_eos_at_the_last_position() {
        let options = GenerationOptions { forced_eos_token_id: Some(vec![0]), ..options() };
        let mut scores = vec![1.0; 4];
        process(&mut scores, &[3; 9], &options);
        assert_eq!(scores, vec![0.0, f32::NEG_INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY]);
        let mut scores = vec![1.0; 4];
        process(&mut scores, &[3; 8], &options);
        assert_eq!(scores, vec![1.0; 4]);
    }

    #[test]
    fn min_length_counts_the_start_token() {
        let options = GenerationOptions { min_length: 3, ..options() };
        let mut scores = vec![1.0; 2];
        process(&mut scores, &[5, 5], &options);
        assert_eq!(scores[0], f32::NEG_INFINITY);
        let mut scores = vec![1.0; 2];
        process(&mut scores, &[5, 5, 5], &options);
        assert_eq!(scores[0], 1.0);
    }

    #[test]
    fn renormalization_comes_last_and_makes_log_probabilities() {
        let options =
            GenerationOptions { renormalize_logits: true, bad_words_ids: vec![vec![2]], ..options() };
        let mut scores = vec![(0.5f32).ln(), (0.25f32).ln(), (0.25f32).ln()];
        let change = process(&mut scores, &[5], &options);
        // The banned token's probability is spread over the others: 2/3 and 1/3.
        assert!(
            (scores[0] - (2.0f32 / 3.0).ln()).abs() < 1e-6 && (scores[1] - (1.0f32 / 3.0).ln()).abs() < 1e-6
        );
        assert_eq!(scores[2], f32::NEG_INFINITY);
        let Change::Shifted { max, log_sum } = change else { panic!("{change:?}") };
        assert_eq!(shift((0.5f32).ln(), max, log_sum), scores[0]);
        // Without the option, only the ban.
        let mut plain = vec![0.0; 3];
        assert_eq!(
            process(&mut plain, &[5], &GenerationOptions { renormalize_logits: false, ..options }),
            Change::Lowered
        );
    }

    #[test]
    fn bad_word_sequences_need_their_prefix() {
        let mut banned = Vec::new();
        ban_sequence(&mut banned, &[1, 2], &[2, 3]);
        assert_eq!(banned, vec![3]);
        banned.clear();
        ban_sequence(&mut banned, &[1, 1], &[2, 3]);
        assert_eq!(banned, Vec::<u32>::new());
    }
}
