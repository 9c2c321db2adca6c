//! Tokenizers of the M2M100 family, as the hub ships them.
//!
//! - NLLB-200 repositories have `tokenizer.json` (read with `tokenizers`): language codes such as
//!   `hin_Deva` are added tokens. The source code is placed as `transformers`' `NllbTokenizer` places it:
//!   `[code] text </s>`, or `text </s> [code]` when `tokenizer_config.json` sets `legacy_behaviour`.
//! - `facebook/m2m100_*` repositories have `sentencepiece.bpe.model` + `vocab.json`: pieces are looked up
//!   in `vocab.json`, and the language tokens `__hi__` get the ids after it, in fairseq's order
//!   (`M2M100Tokenizer`); inputs are `__src__ text </s>`.

use std::collections::HashMap;
use std::path::Path;

use super::sentencepiece::{SentencePieceModel, SPACE_SYMBOL};
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

/// The NLLB tokenizer (`tokenizer.json`).
pub(crate) struct NllbTokenizer {
    inner: tokenizers::Tokenizer,
    eos: u32,
    legacy_behaviour: bool,
    path: std::path::PathBuf,
}

impl NllbTokenizer {
    pub(crate) fn load(tokenizer_json: &Path, tokenizer_config: Option<&Path>) -> Result<Self> {
        let inner = tokenizers::Tokenizer::from_file(tokenizer_json)
            .map_err(|e| Error::bad_file(tokenizer_json, format!("cannot read the tokenizer: {e}")))?;
        let eos = inner
            .token_to_id("</s>")
            .ok_or_else(|| Error::bad_file(tokenizer_json, "has no `</s>` token"))?;
        let config = read_config(tokenizer_config)?;
        Ok(NllbTokenizer {
            inner,
            eos,
            legacy_behaviour: config.legacy_behaviour,
            path: tokenizer_json.into(),
        })
    }

    /// The id of a language code such as `eng_Latn`.
    pub(crate) fn language_id(&self, code: &str) -> Result<u32> {
        self.inner.token_to_id(code).ok_or_else(|| {
            Error::InvalidInput(format!(
                "language `{code}` is not in {} (codes look like hin_Deva, eng_Latn)",
                self.path.display()
            ))
        })
    }

    pub(crate) fn encode(&self, text: &str, source: u32) -> Vec<u32> {
        // Encoding without special tokens cannot fail for a loaded tokenizer; an error yields no pieces.
        let pieces = self.inner.encode(text, false).map(|e| e.get_ids().to_vec()).unwrap_or_default();
        if self.legacy_behaviour {
            pieces.into_iter().chain([self.eos, source]).collect()
        } else {
            std::iter::once(source).chain(pieces).chain([self.eos]).collect()
        }
    }

    pub(crate) fn decode(&self, ids: &[u32]) -> String {
        self.inner.decode(ids, true).unwrap_or_default()
    }
}

/// The M2M100 tokenizer (`sentencepiece.bpe.model` + `vocab.json`).
pub(crate) struct M2M100Tokenizer {
    spm: SentencePieceModel,
    vocab: HashMap<String, u32>,
    pieces: HashMap<u32, String>,
    languages: HashMap<String, u32>,
    unk: u32,
    eos: u32,
    /// Special tokens (`<s>`, `</s>`, `<pad>`, `<unk>`, the language tokens) and their ids.
    special: Vec<(String, u32)>,
}

impl M2M100Tokenizer {
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
        let mut special: Vec<(String, u32)> = ["<s>", "<pad>", "</s>", "<unk>"]
            .iter()
            .filter_map(|t| vocab.get(*t).map(|&id| (t.to_string(), id)))
            .collect();
        let languages: HashMap<String, u32> =
            codes.iter().enumerate().map(|(i, code)| (code.to_string(), (vocab.len() + i) as u32)).collect();
        special.extend(languages.iter().map(|(code, &id)| (format!("__{code}__"), id)));
        let pieces = vocab.iter().map(|(piece, &id)| (id, piece.clone())).collect();
        Ok(M2M100Tokenizer { spm, vocab, pieces, languages, unk, eos, special })
    }

    /// The id of a language code such as `hi` (its token is `__hi__`).
    pub(crate) fn language_id(&self, code: &str) -> Result<u32> {
        let code = code.trim_start_matches("__").trim_end_matches("__");
        self.languages.get(code).copied().ok_or_else(|| {
            Error::InvalidInput(format!("language `{code}` is not one of the model's codes (hi, en, ...)"))
        })
    }

    pub(crate) fn encode(&self, text: &str, source: u32) -> Vec<u32> {
        let mut ids = vec![source];
        for piece in super::split_special(text, &self.special) {
            match piece {
                super::Piece::Special(id) => ids.push(id),
                super::Piece::Text(plain) => ids.extend(
                    self.spm
                        .encode(plain)
                        .iter()
                        .map(|piece| self.vocab.get(piece).copied().unwrap_or(self.unk)),
                ),
            }
        }
        ids.push(self.eos);
        ids
    }

    pub(crate) fn decode(&self, ids: &[u32]) -> String {
        let text: String = ids
            .iter()
            .filter(|&&id| !self.special.iter().any(|&(_, special)| special == id))
            .filter_map(|id| self.pieces.get(id).map(String::as_str))
            .collect();
        text.replace(SPACE_SYMBOL, " ").trim().to_string()
    }
}
