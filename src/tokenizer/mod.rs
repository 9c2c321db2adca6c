//! Tokenizers: text to model ids and back, as the hub's tokenizer files define them.

mod marian;
mod sentencepiece;

pub(crate) use marian::MarianTokenizer;
