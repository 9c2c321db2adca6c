//! SentencePiece models (`.spm` / `sentencepiece.bpe.model` files) read in Rust: unigram and BPE.
//!
//! The file is a protobuf `ModelProto`; we read the few fields we need with `prost`. Encoding follows
//! `SentencePieceProcessor::encode(text, out_type=str)` of sentencepiece 0.2: the normalizer
//! ([`super::normalizer`]), then the model's segmentation ([`super::unigram`] or [`super::bpe`]), then
//! runs of unknown pieces merged into one piece that keeps their text. All of it is our own code, checked
//! against sentencepiece on the fixtures (`fixture_tests.rs`): the `tokenizers` crate, used before, differs
//! from sentencepiece (its `Precompiled` normalizer works on grapheme clusters and takes the shortest
//! rule, huggingface/tokenizers#2116 and #2334; its unigram model needed the unknown piece as a string,
//! which typed text could reach, and sums scores in `f64` where sentencepiece uses `f32`).

use std::path::Path;

use super::bpe::Bpe;
use super::normalizer::{CharsMap, Normalizer};
use super::unigram::Unigram;
use crate::error::{Error, Result};

pub(crate) use super::normalizer::SPACE_SYMBOL;

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

    pub const UNIGRAM: i32 = 1;
    pub const BPE: i32 = 2;
}

/// What a piece is (`ModelProto.SentencePiece.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PieceKind {
    Normal,
    Unknown,
    Control,
    UserDefined,
    Unused,
    Byte,
}

impl PieceKind {
    fn from_proto(kind: i32) -> Option<PieceKind> {
        Some(match kind {
            1 => PieceKind::Normal,
            2 => PieceKind::Unknown,
            3 => PieceKind::Control,
            4 => PieceKind::UserDefined,
            5 => PieceKind::Unused,
            6 => PieceKind::Byte,
            _ => return None,
        })
    }

    /// Whether text can match the piece (sentencepiece's `pieces_`; unused ones only inside BPE merges).
    pub(crate) fn in_lattice(self) -> bool {
        matches!(self, PieceKind::Normal | PieceKind::UserDefined | PieceKind::Unused)
    }
}

/// One piece of the model, at its id.
#[derive(Debug, Clone)]
pub(crate) struct TablePiece {
    pub text: String,
    pub score: f32,
    pub kind: PieceKind,
}

/// The model's pieces, indexed by SentencePiece id.
#[derive(Debug, Clone)]
pub(crate) struct PieceTable {
    pub pieces: Vec<TablePiece>,
}

impl PieceTable {
    /// The user-defined pieces' texts.
    pub(crate) fn user_defined(&self) -> Vec<String> {
        self.pieces.iter().filter(|p| p.kind == PieceKind::UserDefined).map(|p| p.text.clone()).collect()
    }
}

/// The segmentation algorithm of a model.
enum Algorithm {
    Unigram(Unigram),
    Bpe(Bpe),
}

/// A SentencePiece model, able to split text into pieces.
pub(crate) struct SentencePieceModel {
    normalizer: Normalizer,
    algorithm: Algorithm,
}

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
        let table = piece_table(&model.pieces)?;
        let spec = model.normalizer_spec.clone().unwrap_or_default();
        let charsmap = match spec.precompiled_charsmap.as_deref() {
            Some(map) if !map.is_empty() => Some(CharsMap::parse(map)?),
            _ => None,
        };
        let normalizer = Normalizer {
            charsmap,
            add_dummy_prefix: spec.add_dummy_prefix(),
            remove_extra_whitespaces: spec.remove_extra_whitespaces(),
            escape_whitespaces: spec.escape_whitespaces(),
            user_defined: table.user_defined(),
        };
        let algorithm = match trainer.model_type() {
            proto::UNIGRAM => Algorithm::Unigram(Unigram::new(table)),
            proto::BPE => Algorithm::Bpe(Bpe::new(table)),
            other => {
                return Err(format!(
                    "SentencePiece model type {other} is not supported (only unigram and BPE)"
                ))
            }
        };
        Ok(SentencePieceModel { normalizer, algorithm })
    }

    /// Normalizes `text` as `SentencePieceProcessor::normalize` does.
    pub(crate) fn normalize(&self, text: &str) -> String {
        self.normalizer.normalize(text)
    }

    /// Splits `text` into pieces (`SentencePieceProcessor::encode(text, out_type=str)`): runs of unknown
    /// pieces come back as one piece with their text, which no vocabulary has.
    pub(crate) fn encode(&self, text: &str) -> Vec<String> {
        let normalized = self.normalize(text);
        let pieces = match &self.algorithm {
            Algorithm::Unigram(unigram) => unigram.encode(&normalized),
            Algorithm::Bpe(bpe) => bpe.encode(&normalized),
        };
        let mut output: Vec<String> = Vec::with_capacity(pieces.len());
        let mut previous_unknown = false;
        for (range, unknown) in pieces {
            let piece = &normalized[range];
            match output.last_mut() {
                Some(last) if unknown && previous_unknown => last.push_str(piece),
                _ => output.push(piece.to_string()),
            }
            previous_unknown = unknown;
        }
        output
    }
}

/// The pieces of the model, checked as sentencepiece checks them when it loads a model.
fn piece_table(pieces: &[proto::SentencePiece]) -> std::result::Result<PieceTable, String> {
    let mut table = Vec::with_capacity(pieces.len());
    let mut seen = std::collections::HashSet::new();
    for (id, piece) in pieces.iter().enumerate() {
        let text = piece.piece().to_string();
        let kind = PieceKind::from_proto(piece.kind())
            .ok_or_else(|| format!("piece {id} has an unknown type {}", piece.kind()))?;
        if text.is_empty() {
            return Err(format!("piece {id} is empty"));
        }
        if kind == PieceKind::Byte {
            return Err(format!("byte piece {text:?} is found although byte fallback is off"));
        }
        if !seen.insert((kind.in_lattice(), text.clone())) {
            return Err(format!("piece {text:?} is defined twice"));
        }
        table.push(TablePiece { text, score: piece.score(), kind });
    }
    match table.iter().filter(|p| p.kind == PieceKind::Unknown).count() {
        1 => Ok(PieceTable { pieces: table }),
        0 => Err("SentencePiece model has no unknown piece".into()),
        _ => Err("SentencePiece model has more than one unknown piece".into()),
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

    /// The unknown piece is an id in the lattice, not a string text could spell (issue 29).
    #[test]
    fn the_unknown_placeholder_cannot_be_typed() {
        // What sentencepiece 0.2.3 gives (U+FFFF and `u` are unknown to this model, merged into one).
        assert_eq!(model().encode("\u{FFFF}unk"), vec!["\u{2581}", "\u{FFFF}u", "n", "k"]);
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err = SentencePieceModel::from_bytes(b"\xff\xff\xff not protobuf").err();
        assert!(err.is_some());
    }
}
