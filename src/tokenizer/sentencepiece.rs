//! SentencePiece models (`.spm` / `sentencepiece.bpe.model` files) read in Rust: unigram and BPE.
//!
//! The file is a protobuf `ModelProto`; we read the few fields we need with `prost`. Encoding follows
//! `SentencePieceProcessor::Encode(text, out_type=str)`: the normaliser's precompiled character map, then
//! its whitespace rules (collapse runs, trim, a `▁` dummy prefix, spaces written as `▁`), then the model:
//! for unigram the Viterbi search of `tokenizers`' `Unigram` model (a port of SentencePiece's own); for BPE
//! SentencePiece's merge loop (the adjacent pair whose merged piece scores highest, leftmost first, until
//! no merge applies). Pieces come back as strings; runs of unknown characters come back as their surface
//! text, merged into one piece, as SentencePiece returns them.

use std::collections::HashMap;
use std::path::Path;

use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::precompiled::Precompiled;

use crate::error::{Error, Result};

/// The SentencePiece whitespace symbol (U+2581).
pub(crate) const SPACE_SYMBOL: char = '\u{2581}';

/// The fields of `sentencepiece_model.proto` that we read; prost skips all others.
mod proto {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ModelProto {
        #[prost(message, repeated, tag = "1")]
        pub pieces: Vec<SentencePiece>,
        #[prost(message, optional, tag = "2")]
        pub trainer_spec: Option<TrainerSpec>,
        #[prost(message, optional, tag = "3")]
        pub normalizer_spec: Option<NormalizerSpec>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SentencePiece {
        #[prost(string, optional, tag = "1")]
        pub piece: Option<String>,
        #[prost(float, optional, tag = "2")]
        pub score: Option<f32>,
        #[prost(int32, optional, tag = "3", default = "1")]
        pub kind: Option<i32>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TrainerSpec {
        #[prost(int32, optional, tag = "3", default = "1")]
        pub model_type: Option<i32>,
        #[prost(bool, optional, tag = "24", default = "false")]
        pub treat_whitespace_as_suffix: Option<bool>,
        #[prost(bool, optional, tag = "35", default = "false")]
        pub byte_fallback: Option<bool>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NormalizerSpec {
        #[prost(string, optional, tag = "1")]
        pub name: Option<String>,
        #[prost(bytes = "vec", optional, tag = "2")]
        pub precompiled_charsmap: Option<Vec<u8>>,
        #[prost(bool, optional, tag = "3", default = "true")]
        pub add_dummy_prefix: Option<bool>,
        #[prost(bool, optional, tag = "4", default = "true")]
        pub remove_extra_whitespaces: Option<bool>,
        #[prost(bool, optional, tag = "5", default = "true")]
        pub escape_whitespaces: Option<bool>,
    }

    pub const NORMAL: i32 = 1;
    pub const UNKNOWN: i32 = 2;
    pub const USER_DEFINED: i32 = 4;
    pub const UNIGRAM: i32 = 1;
    pub const BPE: i32 = 2;
}

/// The segmentation algorithm of a model.
enum Algorithm {
    Unigram(Box<Unigram>),
    /// Piece -> score for the pieces BPE may produce.
    Bpe(HashMap<String, f32>),
}

/// A SentencePiece model, able to split text into pieces.
pub(crate) struct SentencePieceModel {
    algorithm: Algorithm,
    charsmap: Option<Precompiled>,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
    escape_whitespaces: bool,
}

/// Name under which the unknown piece is registered in the unigram lattice. It can never match input text
/// (normalised text contains no U+FFFF), unlike the literal `<unk>` that SentencePiece also never matches.
const UNK_SENTINEL: &str = "\u{FFFF}unk";

impl SentencePieceModel {
    /// Reads a `.spm` file.
    pub(crate) fn from_file(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(&bytes).map_err(|problem| Error::bad_file(path, problem))
    }

    fn from_bytes(bytes: &[u8]) -> std::result::Result<Self, String> {
        use prost::Message;
        let model =
            proto::ModelProto::decode(bytes).map_err(|e| format!("not a SentencePiece model: {e}"))?;
        let trainer = model.trainer_spec.clone().unwrap_or_default();
        if trainer.byte_fallback() || trainer.treat_whitespace_as_suffix() {
            return Err("SentencePiece byte fallback and whitespace-as-suffix are not supported".into());
        }
        // Only normal and user-defined pieces take part in the search; control pieces (<s>, </s>) and the
        // unknown piece are never matched against text.
        let mut vocab = vec![(UNK_SENTINEL.to_string(), 0.0)];
        for piece in &model.pieces {
            if matches!(piece.kind(), proto::NORMAL | proto::USER_DEFINED) {
                vocab.push((piece.piece().to_string(), f64::from(piece.score())));
            }
        }
        if !model.pieces.iter().any(|p| p.kind() == proto::UNKNOWN) {
            return Err("SentencePiece model has no unknown piece".into());
        }
        let algorithm = match trainer.model_type() {
            proto::UNIGRAM => {
                Algorithm::Unigram(Box::new(Unigram::from(vocab, Some(0), false).map_err(|e| e.to_string())?))
            }
            proto::BPE => Algorithm::Bpe(
                vocab.into_iter().skip(1).map(|(piece, score)| (piece, score as f32)).collect(),
            ),
            other => {
                return Err(format!(
                    "SentencePiece model type {other} is not supported (only unigram and BPE)"
                ))
            }
        };
        let spec = model.normalizer_spec.clone().unwrap_or_default();
        let charsmap = match spec.precompiled_charsmap.as_deref() {
            Some(map) if !map.is_empty() => {
                Some(Precompiled::from(map).map_err(|e| format!("bad precompiled_charsmap: {e}"))?)
            }
            _ => None,
        };
        Ok(SentencePieceModel {
            algorithm,
            charsmap,
            add_dummy_prefix: spec.add_dummy_prefix(),
            remove_extra_whitespaces: spec.remove_extra_whitespaces(),
            escape_whitespaces: spec.escape_whitespaces(),
        })
    }

    /// Normalises `text` as SentencePiece's `Normalizer::Normalize` does.
    pub(crate) fn normalize(&self, text: &str) -> String {
        let mapped = match &self.charsmap {
            Some(map) => map.normalize_string(text),
            None => text.to_string(),
        };
        let mut out = String::with_capacity(mapped.len() + 3);
        let space = if self.escape_whitespaces { SPACE_SYMBOL } else { ' ' };
        if self.add_dummy_prefix {
            out.push(space);
        }
        let mut previous_was_space = self.remove_extra_whitespaces;
        for c in mapped.chars() {
            if c == ' ' {
                if !previous_was_space {
                    out.push(space);
                }
                previous_was_space = self.remove_extra_whitespaces;
            } else {
                out.push(c);
                previous_was_space = false;
            }
        }
        if self.remove_extra_whitespaces {
            while out.ends_with(space) {
                out.pop();
            }
        }
        out
    }

    /// Splits `text` into pieces (`SentencePieceProcessor::encode(text, out_type=str)`).
    pub(crate) fn encode(&self, text: &str) -> Vec<String> {
        let normalized = self.normalize(text);
        match &self.algorithm {
            // `Unigram::encode` fails only without an unknown piece, which `from_bytes` rules out.
            Algorithm::Unigram(unigram) => unigram.encode(&normalized).unwrap_or_default(),
            Algorithm::Bpe(pieces) => bpe_encode(&normalized, pieces),
        }
    }
}

/// SentencePiece's BPE (`bpe::Model::SampleEncode` without dropout), then its merging of unknown runs.
fn bpe_encode(normalized: &str, pieces: &HashMap<String, f32>) -> Vec<String> {
    use std::cmp::Ordering;
    use std::collections::BinaryHeap;

    /// A candidate merge of the symbols starting at `left` and `right`.
    struct Pair {
        score: f32,
        left: usize,
        right: usize,
        size: usize,
    }
    impl PartialEq for Pair {
        fn eq(&self, other: &Self) -> bool {
            self.cmp(other) == Ordering::Equal
        }
    }
    impl Eq for Pair {}
    impl PartialOrd for Pair {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Pair {
        // Highest score first; among equal scores the leftmost.
        fn cmp(&self, other: &Self) -> Ordering {
            self.score.total_cmp(&other.score).then_with(|| other.left.cmp(&self.left))
        }
    }

    // Symbols are byte ranges of `normalized`, linked as a list; a merged-away symbol is empty.
    let starts: Vec<usize> = normalized.char_indices().map(|(i, _)| i).collect();
    let mut ranges: Vec<(usize, usize)> = starts
        .iter()
        .enumerate()
        .map(|(k, &s)| (s, starts.get(k + 1).copied().unwrap_or(normalized.len())))
        .collect();
    let count = ranges.len();
    let mut next: Vec<Option<usize>> = (0..count).map(|i| (i + 1 < count).then_some(i + 1)).collect();
    let mut prev: Vec<Option<usize>> = (0..count).map(|i| i.checked_sub(1)).collect();
    let mut agenda = BinaryHeap::new();
    let candidate = |ranges: &[(usize, usize)], left: usize, right: usize| -> Option<Pair> {
        let merged = &normalized[ranges[left].0..ranges[right].1];
        pieces.get(merged).map(|&score| Pair { score, left, right, size: merged.len() })
    };
    for i in 1..count {
        agenda.extend(candidate(&ranges, i - 1, i));
    }
    while let Some(top) = agenda.pop() {
        let (left, right) = (ranges[top.left], ranges[top.right]);
        // Stale: one side was merged away or grew since this pair was queued.
        if left.0 == left.1 || right.0 == right.1 || (left.1 - left.0) + (right.1 - right.0) != top.size {
            continue;
        }
        ranges[top.left] = (left.0, right.1);
        ranges[top.right] = (right.1, right.1);
        next[top.left] = next[top.right];
        if let Some(after) = next[top.right] {
            prev[after] = Some(top.left);
        }
        if let Some(before) = prev[top.left] {
            agenda.extend(candidate(&ranges, before, top.left));
        }
        if let Some(after) = next[top.left] {
            agenda.extend(candidate(&ranges, top.left, after));
        }
    }
    let mut output: Vec<String> = Vec::new();
    let mut previous_unknown = false;
    let mut index = (count > 0).then_some(0);
    while let Some(i) = index {
        let piece = &normalized[ranges[i].0..ranges[i].1];
        let unknown = !pieces.contains_key(piece);
        match output.last_mut() {
            Some(last) if unknown && previous_unknown => last.push_str(piece),
            _ => output.push(piece.to_string()),
        }
        previous_unknown = unknown;
        index = next[i];
    }
    output
}

#[cfg(test)]
mod bpe_tests {
    use super::*;

    #[test]
    fn bpe_merges_best_pairs_first_and_fuses_unknowns() {
        let pieces: HashMap<String, f32> =
            [("a", -1.0), ("b", -1.0), ("ab", -2.0), ("bc", -1.5), ("c", -1.0)]
                .iter()
                .map(|(p, s)| (p.to_string(), *s))
                .collect();
        // "bc" (-1.5) beats "ab" (-2.0): a | bc.
        assert_eq!(bpe_encode("abc", &pieces), vec!["a", "bc"]);
        assert_eq!(bpe_encode("ab", &pieces), vec!["ab"]);
        assert_eq!(bpe_encode("xyab", &pieces), vec!["xy", "ab"]);
        assert!(bpe_encode("", &pieces).is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> SentencePieceModel {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/tiny-marian-hi-en/source.spm");
        SentencePieceModel::from_file(&path).expect("fixture spm loads")
    }

    #[test]
    fn whitespace_is_collapsed_and_prefixed() {
        let spm = model();
        assert_eq!(spm.normalize("  a  b "), "\u{2581}a\u{2581}b");
        assert_eq!(spm.normalize("   "), "");
        assert_eq!(spm.normalize(""), "");
    }

    #[test]
    fn unknown_characters_keep_their_surface() {
        let pieces = model().encode("☃☃");
        assert_eq!(pieces.concat().replace(SPACE_SYMBOL, ""), "☃☃");
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err = SentencePieceModel::from_bytes(b"\xff\xff\xff not protobuf").err();
        assert!(err.is_some());
    }
}
