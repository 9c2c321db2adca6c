//! SentencePiece's normalizer (`normalizer.cc` in sentencepiece), written for anuvad.
//!
//! Two steps, as `Normalizer::Normalize` runs them:
//! 1. The precompiled character map: at every position the *longest* rule whose key is a prefix of the
//!    remaining bytes is applied, exactly its key is consumed, and an unmatched character is copied
//!    through (`Normalizer::NormalizePrefix`). User-defined symbols of the model are matched first and
//!    kept as they are.
//! 2. Whitespace, in the same pass: leading spaces dropped, runs of spaces collapsed, trailing ones
//!    trimmed (`remove_extra_whitespaces`), a space in front (`add_dummy_prefix`) and every space written
//!    as `▁` (`escape_whitespaces`).
//!
//! The map is the blob sentencepiece writes into `normalizer_spec.precompiled_charsmap`: the size of a
//! Darts-clone double-array trie as u32 little-endian, the trie's 32-bit units, then the replacement
//! strings, each ended by a NUL; a key's value in the trie is the offset of its replacement.
//!
//! This file uses only the standard library, so that benchmark and fuzz programs can compile it alone.

/// The SentencePiece whitespace symbol (U+2581).
pub(crate) const SPACE_SYMBOL: char = '\u{2581}';

/// A parsed `precompiled_charsmap`.
#[derive(Debug, Clone)]
pub(crate) struct CharsMap {
    /// The double-array units.
    units: Vec<u32>,
    /// NUL-separated replacement strings (all of it valid UTF-8, checked when parsed).
    replacements: String,
}

/// Darts-clone's unit layout (`DoubleArrayUnit` in `darts.h`).
mod unit {
    pub(super) fn has_leaf(unit: u32) -> bool {
        (unit >> 8) & 1 == 1
    }
    pub(super) fn value(unit: u32) -> u32 {
        unit & ((1 << 31) - 1)
    }
    /// The label, with the leaf bit kept so that a value unit never matches a byte.
    pub(super) fn label(unit: u32) -> u32 {
        unit & ((1 << 31) | 0xFF)
    }
    pub(super) fn offset(unit: u32) -> usize {
        ((unit >> 10) << ((unit & (1 << 9)) >> 6)) as usize
    }
}

impl CharsMap {
    /// Reads the blob; a broken one is an error that says what is wrong.
    pub(crate) fn parse(blob: &[u8]) -> Result<Self, String> {
        let (size, rest) = blob
            .split_first_chunk::<4>()
            .ok_or("the precompiled_charsmap is shorter than its 4-byte header")?;
        let trie_bytes = u32::from_le_bytes(*size) as usize;
        // sentencepiece refuses a trie that fills the whole blob (`DecodePrecompiledCharsMap`).
        if trie_bytes >= blob.len()
            || trie_bytes > rest.len()
            || !trie_bytes.is_multiple_of(4)
            || trie_bytes == 0
        {
            return Err(format!(
                "the precompiled_charsmap's trie size ({trie_bytes} bytes) does not fit its {} bytes",
                blob.len()
            ));
        }
        let (trie, replacements) = rest.split_at(trie_bytes);
        let units = trie.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        let replacements = String::from_utf8(replacements.to_vec())
            .map_err(|e| format!("the precompiled_charsmap's replacement strings are not UTF-8: {e}"))?;
        Ok(CharsMap { units, replacements })
    }

    /// The longest rule whose key starts `input`: the key's length in bytes and its replacement
    /// (`Darts::DoubleArray::commonPrefixSearch`, keeping the longest result).
    fn longest_prefix(&self, input: &[u8]) -> Option<(usize, &str)> {
        let units = &self.units;
        let mut node = unit::offset(*units.first()?);
        let mut found = None;
        for (i, &byte) in input.iter().enumerate() {
            node ^= usize::from(byte);
            let &here = units.get(node)?;
            if unit::label(here) != u32::from(byte) {
                break;
            }
            node ^= unit::offset(here);
            if unit::has_leaf(here) {
                let &leaf = units.get(node)?;
                found = Some((i + 1, unit::value(leaf) as usize));
            }
        }
        let (length, value) = found?;
        // A well-formed map points at the start of a replacement; anything else is treated as no rule
        // rather than read out of bounds or inside a character.
        let replacement = self.replacements.get(value..)?;
        let end = replacement.find('\0').unwrap_or(replacement.len());
        Some((length, &replacement[..end]))
    }
}

/// The normalizer of one SentencePiece model (its `normalizer_spec`).
#[derive(Debug, Clone)]
pub(crate) struct Normalizer {
    /// `None` for the `identity` rule (an empty map).
    pub(crate) charsmap: Option<CharsMap>,
    pub(crate) add_dummy_prefix: bool,
    pub(crate) remove_extra_whitespaces: bool,
    pub(crate) escape_whitespaces: bool,
    /// The model's user-defined symbols: matched before the map (longest first) and never normalized.
    pub(crate) user_defined: Vec<String>,
}

impl Normalizer {
    /// The normalized replacement of the start of `input` and how many bytes of `input` it consumes
    /// (`Normalizer::NormalizePrefix`). `input` is not empty.
    fn normalize_prefix<'a>(&'a self, input: &'a str) -> (&'a str, usize) {
        if let Some(symbol) = self.longest_user_defined(input) {
            return (symbol, symbol.len());
        }
        if let Some((length, replacement)) =
            self.charsmap.as_ref().and_then(|map| map.longest_prefix(input.as_bytes()))
        {
            // Keys are whole UTF-8 sequences in any map sentencepiece builds; a key that ends inside a
            // character (a broken map) is ignored instead of splitting it.
            if input.is_char_boundary(length) {
                return (replacement, length);
            }
        }
        let length = input.chars().next().map_or(input.len(), char::len_utf8);
        (&input[..length], length)
    }

    fn longest_user_defined<'a>(&'a self, input: &str) -> Option<&'a str> {
        self.user_defined
            .iter()
            .filter(|symbol| input.starts_with(symbol.as_str()))
            .max_by_key(|symbol| symbol.len())
            .map(String::as_str)
    }

    /// `text` normalized as `SentencePieceProcessor::normalize` gives it.
    pub(crate) fn normalize(&self, text: &str) -> String {
        let mut input = text;
        // Leading input that normalizes to exactly one space is skipped.
        if self.remove_extra_whitespaces {
            while !input.is_empty() {
                let (replacement, consumed) = self.normalize_prefix(input);
                if replacement != " " {
                    break;
                }
                input = &input[consumed..];
            }
        }
        if input.is_empty() {
            return String::new();
        }
        let space = if self.escape_whitespaces { SPACE_SYMBOL } else { ' ' };
        let mut out = String::with_capacity(input.len() + 3);
        if self.add_dummy_prefix {
            out.push(space);
        }
        let mut previous_was_space = self.remove_extra_whitespaces;
        while !input.is_empty() {
            let (mut replacement, consumed) = self.normalize_prefix(input);
            if previous_was_space {
                replacement = replacement.trim_start_matches(' ');
            }
            if !replacement.is_empty() {
                if self.escape_whitespaces && replacement.contains(' ') {
                    out.extend(replacement.chars().map(|c| if c == ' ' { SPACE_SYMBOL } else { c }));
                } else {
                    out.push_str(replacement);
                }
                previous_was_space = replacement.ends_with(' ');
            }
            input = &input[consumed..];
            if !self.remove_extra_whitespaces {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map built by hand: a double array of two keys, "a" -> "x" and "ab" -> "yz".
    fn tiny_map() -> CharsMap {
        // Root at 0 with offset 1: child byte b lives at 1 ^ b.
        let a = 1 ^ usize::from(b'a');
        let mut units = vec![0u32; 256];
        let offset_field = |offset: u32| offset << 10;
        units[0] = offset_field(1);
        // Node "a": label 'a', has a leaf, children at (a ^ offset).
        let a_offset = 16u32;
        units[a] = u32::from(b'a') | (1 << 8) | offset_field(a_offset);
        let a_children = a ^ a_offset as usize;
        // Leaf of "a" (label 0): value 0 -> "x".
        units[a_children] = 1 << 31;
        // Node "ab".
        let ab = a_children ^ usize::from(b'b');
        let ab_offset = 4u32;
        units[ab] = u32::from(b'b') | (1 << 8) | offset_field(ab_offset);
        units[ab ^ ab_offset as usize] = (1 << 31) | 2;
        CharsMap { units, replacements: "x\0yz\0".to_string() }
    }

    fn normalizer(map: Option<CharsMap>) -> Normalizer {
        Normalizer {
            charsmap: map,
            add_dummy_prefix: true,
            remove_extra_whitespaces: true,
            escape_whitespaces: true,
            user_defined: Vec::new(),
        }
    }

    #[test]
    fn the_longest_rule_wins_and_consumes_only_its_key() {
        let map = tiny_map();
        assert_eq!(map.longest_prefix(b"abc"), Some((2, "yz")));
        assert_eq!(map.longest_prefix(b"ac"), Some((1, "x")));
        assert_eq!(map.longest_prefix(b"c"), None);
        assert_eq!(normalizer(Some(tiny_map())).normalize("aab c"), "\u{2581}xyz\u{2581}c");
    }

    #[test]
    fn whitespace_is_collapsed_trimmed_and_escaped() {
        let plain = normalizer(None);
        assert_eq!(plain.normalize("  a  b "), "\u{2581}a\u{2581}b");
        assert_eq!(plain.normalize("   "), "");
        assert_eq!(plain.normalize(""), "");
        // A literal `▁` at the end is trimmed like an escaped space.
        assert_eq!(plain.normalize("a\u{2581}"), "\u{2581}a");
        let keep = Normalizer { remove_extra_whitespaces: false, add_dummy_prefix: false, ..plain };
        assert_eq!(keep.normalize(" a  b "), "\u{2581}a\u{2581}\u{2581}b\u{2581}");
    }

    #[test]
    fn user_defined_symbols_are_not_normalized() {
        let with_symbol = Normalizer { user_defined: vec!["ab".into()], ..normalizer(Some(tiny_map())) };
        assert_eq!(with_symbol.normalize("aab"), "\u{2581}xab");
    }

    proptest::proptest! {
        /// Any blob is either refused or normalizes any text without panicking (lookups out of the
        /// array or inside a character are no match).
        #[test]
        fn arbitrary_maps_never_panic(
            units in proptest::collection::vec(proptest::prelude::any::<u32>(), 1..300),
            replacements in "[a-z\\x00 ]{0,40}",
            text in "\\PC{0,40}",
        ) {
            let mut blob = ((units.len() * 4) as u32).to_le_bytes().to_vec();
            blob.extend(units.iter().flat_map(|unit| unit.to_le_bytes()));
            blob.extend(replacements.as_bytes());
            blob.push(0);
            if let Ok(map) = CharsMap::parse(&blob) {
                let _ = normalizer(Some(map)).normalize(&text);
            }
        }
    }

    #[test]
    fn broken_maps_are_refused() {
        assert!(CharsMap::parse(b"").is_err());
        assert!(CharsMap::parse(&[8, 0, 0, 0, 1, 2, 3, 4]).is_err());
        assert!(CharsMap::parse(&[4, 0, 0, 0, 1, 2, 3, 4, 0xff]).is_err());
        assert!(CharsMap::parse(&[4, 0, 0, 0, 1, 2, 3, 4, b'x', 0]).is_ok());
    }
}
