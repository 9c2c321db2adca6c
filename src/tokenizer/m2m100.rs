//! Tokenizers of the M2M100 family, as the hub ships them.
//!
//! Both split text with the SentencePiece model the models were trained with (`sentencepiece.bpe.model`,
//! as fairseq did), and look its pieces up in the repository's vocabulary. Text is only ever pieces: a
//! typed `</s>` or language code is encoded as its characters (see [`super::PieceVocab`]).
//!
//! - NLLB-200 repositories have `tokenizer.json` besides the SentencePiece model: its vocabulary gives
//!   the ids, and its added tokens the language codes such as `hin_Deva`. The source code is placed as
//!   `transformers`' `NllbTokenizer` places it: `[code] text </s>`, or `text </s> [code]` when
//!   `tokenizer_config.json` sets `legacy_behaviour`. `transformers`' fast tokenizer (the `tokenizers`
//!   crate's pipeline for `tokenizer.json`) differs from sentencepiece on some text: its normalizer
//!   works on grapheme clusters, and it keeps a trailing `▁` after whitespace; we follow sentencepiece.
//! - `facebook/m2m100_*` repositories have `sentencepiece.bpe.model` + `vocab.json`: pieces are looked up
//!   in `vocab.json`, and the language tokens `__hi__` get the ids after it, in fairseq's order
//!   (`M2M100Tokenizer`); inputs are `__src__ text </s>`.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::sentencepiece::{SentencePieceModel, SPACE_SYMBOL};
use super::PieceVocab;
use crate::error::{Error, Result};

/// fairseq's M2M100 language codes, in id order (`FAIRSEQ_LANGUAGE_CODES["m2m100"]` in `transformers`).
const M2M100_LANGUAGES: &[&str] = &[
    "af", "am", "ar", "ast", "az", "ba", "be", "bg", "bn", "br", "bs", "ca", "ceb", "cs", "cy", "da", "de",
    "el", "en", "es", "et", "fa", "ff", "fi", "fr", "fy", "ga", "gd", "gl", "gu", "ha", "he", "hi", "hr",
    "ht", "hu", "hy", "id", "ig", "ilo", "is", "it", "ja", "jv", "ka", "kk", "km", "kn", "ko", "lb", "lg",
    "ln", "lo", "lt", "lv", "mg", "mk", "ml", "mn", "mr", "ms", "my", "ne", "nl", "no", "ns", "oc", "or",
    "pa", "pl", "ps", "pt", "ro", "ru", "sd", "si", "sk", "sl", "so", "sq", "sr", "ss", "su", "sv", "sw",
    "ta", "th", "tl", "tn", "tr", "uk", "ur", "uz", "vi", "wo", "xh", "yi", "yo", "zh", "zu",
];

/// The WMT21 models' codes (`language_codes: "wmt21"`).
const WMT21_LANGUAGES: &[&str] = &["en", "ha", "is", "ja", "cs", "ru", "zh", "de"];

/// `tokenizer_config.json` fields we use.
#[derive(Debug, Default, serde::Deserialize)]
struct TokenizerConfig {
    #[serde(default)]
    legacy_behaviour: bool,
    language_codes: Option<String>,
}

fn read_config(path: Option<&Path>) -> Result<TokenizerConfig> {
    match path {
        Some(path) => crate::config::read_json(path),
        None => Ok(TokenizerConfig::default()),
    }
}

/// The parts of `tokenizer.json` we read.
#[derive(serde::Deserialize)]
struct TokenizerJson {
    model: TokenizerJsonModel,
    #[serde(default)]
    added_tokens: Vec<AddedToken>,
}

#[derive(serde::Deserialize)]
struct TokenizerJsonModel {
    vocab: HashMap<String, u32>,
}

#[derive(serde::Deserialize)]
struct AddedToken {
    id: u32,
    content: String,
    #[serde(default)]
    special: bool,
}

/// The NLLB tokenizer (`sentencepiece.bpe.model` + the ids of `tokenizer.json`).
pub(crate) struct NllbTokenizer {
    spm: SentencePieceModel,
    vocab: PieceVocab,
    /// The text of every id: pieces and added tokens.
    pieces: HashMap<u32, String>,
    /// Added tokens (language codes, `<s>`, `</s>`, ...) by content.
    added: HashMap<String, u32>,
    /// Ids that decoding skips: the special added tokens.
    special_ids: HashSet<u32>,
    eos: u32,
    legacy_behaviour: bool,
    path: std::path::PathBuf,
}

impl NllbTokenizer {
    pub(crate) fn load(
        tokenizer_json: &Path,
        spm_model: &Path,
        tokenizer_config: Option<&Path>,
    ) -> Result<Self> {
        let json: TokenizerJson = crate::config::read_json(tokenizer_json)?;
        let spm = SentencePieceModel::from_file(spm_model)?;
        let added: HashMap<String, u32> =
            json.added_tokens.iter().map(|t| (t.content.clone(), t.id)).collect();
        let id_of = |token: &str| {
            added
                .get(token)
                .or_else(|| json.model.vocab.get(token))
                .copied()
                .ok_or_else(|| Error::bad_file(tokenizer_json, format!("has no `{token}` token")))
        };
        let (eos, unk) = (id_of("</s>")?, id_of("<unk>")?);
        let special_ids = json.added_tokens.iter().filter(|t| t.special).map(|t| t.id).collect();
        let mut pieces: HashMap<u32, String> =
            json.model.vocab.iter().map(|(piece, &id)| (id, piece.clone())).collect();
        pieces.extend(json.added_tokens.iter().map(|t| (t.id, t.content.clone())));
        let vocab = PieceVocab::new(json.model.vocab, |piece| added.contains_key(piece), unk);
        let config = read_config(tokenizer_config)?;
        Ok(NllbTokenizer {
            spm,
            vocab,
            pieces,
            added,
            special_ids,
            eos,
            legacy_behaviour: config.legacy_behaviour,
            path: tokenizer_json.into(),
        })
    }

    /// The largest id `tokenizer.json` names (pieces and added tokens).
    pub(crate) fn largest_id(&self) -> u32 {
        self.pieces.keys().copied().max().unwrap_or(0)
    }

    /// The id of a language code such as `eng_Latn`.
    pub(crate) fn language_id(&self, code: &str) -> Result<u32> {
        self.added.get(code).copied().ok_or_else(|| {
            Error::InvalidInput(format!(
                "language `{code}` is not in {} (codes look like hin_Deva, eng_Latn)",
                self.path.display()
            ))
        })
    }

    pub(crate) fn encode(&self, text: &str, source: u32) -> Vec<u32> {
        let pieces = self.spm.encode(text);
        let ids = self.vocab.ids(&pieces);
        if self.legacy_behaviour {
            ids.chain([self.eos, source]).collect()
        } else {
            std::iter::once(source).chain(ids).chain([self.eos]).collect()
        }
    }

    /// As the fast tokenizer decodes with `skip_special_tokens` (its `Metaspace` decoder): special
    /// tokens skipped, `▁` read as a space, except in the first token, where it is dropped.
    pub(crate) fn decode(&self, ids: &[u32]) -> String {
        let mut text = String::new();
        let tokens =
            ids.iter().filter(|id| !self.special_ids.contains(id)).filter_map(|id| self.pieces.get(id));
        for (index, token) in tokens.enumerate() {
            if index == 0 {
                text.extend(token.chars().filter(|&c| c != SPACE_SYMBOL));
            } else {
                text.extend(token.chars().map(|c| if c == SPACE_SYMBOL { ' ' } else { c }));
            }
        }
        text
    }
}

/// The M2M100 tokenizer (`sentencepiece.bpe.model` + `vocab.json`).
pub(crate) struct M2M100Tokenizer {
    spm: SentencePieceModel,
    vocab: PieceVocab,
    pieces: HashMap<u32, String>,
    languages: HashMap<String, u32>,
    eos: u32,
    /// Ids of the special tokens (`<s>`, `</s>`, `<pad>`, `<unk>`, the language tokens), which decoding
    /// skips.
    special_ids: HashSet<u32>,
}

impl M2M100Tokenizer {
    /// The largest id of `vocab.json` and the language tokens after it.
    pub(crate) fn largest_id(&self) -> u32 {
        self.pieces.keys().chain(self.languages.values()).copied().max().unwrap_or(0)
    }

    pub(crate) fn load(spm_model: &Path, vocab_json: &Path, tokenizer_config: Option<&Path>) -> Result<Self> {
        let spm = SentencePieceModel::from_file(spm_model)?;
        let vocab: HashMap<String, u32> = crate::config::read_json(vocab_json)?;
        let config = read_config(tokenizer_config)?;
        let codes = match config.language_codes.as_deref() {
            None | Some("m2m100") => M2M100_LANGUAGES,
            Some("wmt21") => WMT21_LANGUAGES,
            Some(other) => {
                let path = tokenizer_config.map(Path::to_path_buf).unwrap_or_default();
                return Err(Error::bad_file(path, format!("unknown language_codes `{other}`")));
            }
        };
        let id_of = |token: &str| {
            vocab
                .get(token)
                .copied()
                .ok_or_else(|| Error::bad_file(vocab_json, format!("has no `{token}` token")))
        };
        let (unk, eos) = (id_of("<unk>")?, id_of("</s>")?);
        const CONTROLS: [&str; 4] = ["<s>", "<pad>", "</s>", "<unk>"];
        let mut special_ids: HashSet<u32> = CONTROLS.iter().filter_map(|t| vocab.get(*t).copied()).collect();
        let languages: HashMap<String, u32> =
            codes.iter().enumerate().map(|(i, code)| (code.to_string(), (vocab.len() + i) as u32)).collect();
        special_ids.extend(languages.values());
        let pieces = vocab.iter().map(|(piece, &id)| (id, piece.clone())).collect();
        let vocab = PieceVocab::new(vocab, |piece| CONTROLS.contains(&piece), unk);
        Ok(M2M100Tokenizer { spm, vocab, pieces, languages, eos, special_ids })
    }

    /// The id of a language code such as `hi` (its token is `__hi__`).
    pub(crate) fn language_id(&self, code: &str) -> Result<u32> {
        let code = code.trim_start_matches("__").trim_end_matches("__");
        self.languages.get(code).copied().ok_or_else(|| {
            Error::InvalidInput(format!("language `{code}` is not one of the model's codes (hi, en, ...)"))
        })
    }

    pub(crate) fn encode(&self, text: &str, source: u32) -> Vec<u32> {
        let pieces = self.spm.encode(text);
        std::iter::once(source).chain(self.vocab.ids(&pieces)).chain([self.eos]).collect()
    }

    pub(crate) fn decode(&self, ids: &[u32]) -> String {
        let text: String = ids
            .iter()
            .filter(|id| !self.special_ids.contains(id))
            .filter_map(|id| self.pieces.get(id).map(String::as_str))
            .collect();
        text.replace(SPACE_SYMBOL, " ").trim().to_string()
    }
}
