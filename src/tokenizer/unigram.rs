//! SentencePiece's unigram segmentation (`unigram::Model::EncodeOptimized` in sentencepiece), written
//! for anuvad: the Viterbi search for the best-scoring split of normalized text into pieces.
//!
//! At each character position every piece that starts there is tried (shortest first); a character
//! no single piece covers is an unknown node scored `min_score - 10`. Unknown nodes are the model's
//! unknown piece by id, so no text can ever match them. Scores are summed in `f32`, as sentencepiece
//! 0.2.3 sums them (its source reads as if a piece's score were added in `f64`, but the library's
//! results agree with `f32` sums and not with `f64` ones: `,....` splits as `, . ...` only with `f32`),
//! and a candidate replaces the best path ending at the same place only when strictly greater, so
//! ties go to the path found first.

use std::ops::Range;

use super::sentencepiece::{PieceKind, PieceTable};

/// A byte trie of the pieces the lattice may use, children stored flat and sorted.
struct PieceTrie {
    nodes: Vec<TrieNode>,
    /// Child edges of all nodes: a node's children are `edges[first_edge..first_edge + edge_count]`.
    edges: Vec<(u8, u32)>,
}

struct TrieNode {
    /// The piece (its id) whose bytes end at this node.
    piece: Option<u32>,
    first_edge: u32,
    edge_count: u32,
}

impl PieceTrie {
    /// `keys` are (bytes, id), without repeats. (Built without recursion: a piece may be long.)
    fn build(keys: Vec<(&[u8], u32)>) -> PieceTrie {
        // First with a child list per node, then flattened.
        let mut pieces: Vec<Option<u32>> = vec![None];
        let mut children: Vec<Vec<(u8, u32)>> = vec![Vec::new()];
        for (key, id) in keys {
            let mut node = 0usize;
            for &byte in key {
                let list = &mut children[node];
                node = match list.binary_search_by_key(&byte, |&(label, _)| label) {
                    Ok(at) => list[at].1 as usize,
                    Err(at) => {
                        let child = pieces.len();
                        list.insert(at, (byte, child as u32));
                        pieces.push(None);
                        children.push(Vec::new());
                        child
                    }
                };
            }
            pieces[node] = Some(id);
        }
        let mut trie = PieceTrie { nodes: Vec::with_capacity(pieces.len()), edges: Vec::new() };
        for (piece, list) in pieces.into_iter().zip(children) {
            let first_edge = trie.edges.len() as u32;
            trie.nodes.push(TrieNode { piece, first_edge, edge_count: list.len() as u32 });
            trie.edges.extend(list);
        }
        trie
    }

    /// Calls `found(length, id)` for every piece that is a prefix of `text`, shortest first.
    fn for_each_prefix(&self, text: &[u8], mut found: impl FnMut(usize, u32)) {
        let mut node = 0usize;
        for (i, byte) in text.iter().enumerate() {
            let TrieNode { first_edge, edge_count, .. } = self.nodes[node];
            let children = &self.edges[first_edge as usize..(first_edge + edge_count) as usize];
            match children.binary_search_by_key(byte, |&(label, _)| label) {
                Ok(at) => node = children[at].1 as usize,
                Err(_) => return,
            }
            if let Some(id) = self.nodes[node].piece {
                found(i + 1, id);
            }
        }
    }
}

/// A unigram model: the pieces' trie and scores.
pub(crate) struct Unigram {
    trie: PieceTrie,
    table: PieceTable,
    /// Lowest and highest score of the normal pieces, as sentencepiece computes them.
    min_score: f32,
    max_score: f32,
}

/// The best path that ends at one byte position.
#[derive(Clone, Copy)]
struct BestPath {
    score: f32,
    /// Where its last piece starts (`None`: no path found yet).
    start: Option<usize>,
    /// Its last piece: `None` for the unknown piece.
    piece: Option<u32>,
}

impl Unigram {
    pub(crate) fn new(table: PieceTable) -> Unigram {
        let keys = table
            .pieces
            .iter()
            .enumerate()
            .filter(|(_, piece)| piece.kind.in_lattice())
            .map(|(id, piece)| (piece.text.as_bytes(), id as u32))
            .collect();
        let trie = PieceTrie::build(keys);
        // sentencepiece starts from FLT_MAX and FLT_MIN (the smallest positive float, not the lowest).
        let (mut min_score, mut max_score) = (f32::MAX, f32::MIN_POSITIVE);
        for piece in table.pieces.iter().filter(|p| p.kind == PieceKind::Normal) {
            min_score = min_score.min(piece.score);
            max_score = max_score.max(piece.score);
        }
        Unigram { trie, table, min_score, max_score }
    }

    /// The best split of `normalized`: byte ranges, and whether each is the unknown piece.
    pub(crate) fn encode(&self, normalized: &str) -> Vec<(Range<usize>, bool)> {
        let bytes = normalized.as_bytes();
        let unknown_score = self.min_score - 10.0;
        let unset = BestPath { score: 0.0, start: None, piece: None };
        let mut best = vec![unset; bytes.len() + 1];
        let mut start = 0;
        for (at, c) in normalized.char_indices() {
            debug_assert_eq!(at, start);
            let here = best[start].score;
            let char_len = c.len_utf8();
            let mut single_piece = false;
            self.trie.for_each_prefix(&bytes[start..], |length, id| {
                let piece = &self.table.pieces[id as usize];
                if piece.kind == PieceKind::Unused {
                    return;
                }
                // User-defined pieces get a bonus so that they are always chosen.
                let score = match piece.kind {
                    PieceKind::UserDefined => length as f32 * self.max_score - 0.1,
                    _ => piece.score,
                };
                let candidate = score + here;
                let target = &mut best[start + length];
                if target.start.is_none() || candidate > target.score {
                    *target = BestPath { score: candidate, start: Some(start), piece: Some(id) };
                }
                single_piece |= length == char_len;
            });
            if !single_piece {
                let candidate = unknown_score + here;
                let target = &mut best[start + char_len];
                if target.start.is_none() || candidate > target.score {
                    *target = BestPath { score: candidate, start: Some(start), piece: None };
                }
            }
            start += char_len;
        }
        let mut pieces = Vec::new();
        let mut end = bytes.len();
        while end > 0 {
            let Some(path) = best.get(end) else { break };
            // Every position is reached (an unknown node covers any character); `None` cannot occur.
            let Some(start) = path.start else { break };
            pieces.push((start..end, path.piece.is_none()));
            end = start;
        }
        pieces.reverse();
        pieces
    }
}

#[cfg(test)]
mod tests {
    use super::super::sentencepiece::TablePiece;
    use super::*;

    fn table(pieces: &[(&str, f32, PieceKind)]) -> PieceTable {
        PieceTable {
            pieces: pieces
                .iter()
                .map(|&(text, score, kind)| TablePiece { text: text.into(), score, kind })
                .collect(),
        }
    }

    fn split(model: &Unigram, text: &str) -> Vec<String> {
        model
            .encode(text)
            .into_iter()
            .map(|(range, unknown)| format!("{}{}", &text[range], if unknown { "?" } else { "" }))
            .collect()
    }

    #[test]
    fn viterbi_takes_the_best_scoring_split() {
        let model = Unigram::new(table(&[
            ("<unk>", 0.0, PieceKind::Unknown),
            ("a", -1.0, PieceKind::Normal),
            ("b", -1.0, PieceKind::Normal),
            ("ab", -1.5, PieceKind::Normal),
            ("abc", -5.0, PieceKind::Normal),
            ("c", -1.0, PieceKind::Normal),
        ]));
        assert_eq!(split(&model, "abc"), vec!["ab", "c"]);
        assert_eq!(split(&model, "ba"), vec!["b", "a"]);
        assert!(split(&model, "").is_empty());
    }

    #[test]
    fn unknown_characters_are_the_unknown_piece_by_id() {
        let model = Unigram::new(table(&[
            ("<unk>", 0.0, PieceKind::Unknown),
            ("\u{FFFF}unk", 0.0, PieceKind::Control),
            ("u", -1.0, PieceKind::Normal),
            ("n", -1.0, PieceKind::Normal),
            ("k", -1.0, PieceKind::Normal),
        ]));
        // Neither the control piece nor `<unk>` can be matched by text.
        assert_eq!(split(&model, "\u{FFFF}unk"), vec!["\u{FFFF}?", "u", "n", "k"]);
        assert_eq!(split(&model, "<unk>"), vec!["<?", "u", "n", "k", ">?"]);
    }

    #[test]
    fn unused_pieces_are_skipped_and_user_defined_ones_win() {
        let model = Unigram::new(table(&[
            ("<unk>", 0.0, PieceKind::Unknown),
            ("a", -1.0, PieceKind::Normal),
            ("b", -1.0, PieceKind::Normal),
            ("ab", -0.1, PieceKind::Unused),
            ("ba", -100.0, PieceKind::UserDefined),
        ]));
        assert_eq!(split(&model, "ab"), vec!["a", "b"]);
        assert_eq!(split(&model, "aba"), vec!["a", "ba"]);
    }
}
