//! SentencePiece's BPE segmentation (`bpe::Model::SampleEncode` without dropout, in sentencepiece),
//! written for anuvad.
//!
//! The normalized text starts as one symbol per character (a user-defined piece is one symbol that never
//! merges); then, repeatedly, the adjacent pair whose concatenation is the highest-scoring piece is
//! merged (leftmost first among equal scores), until no pair is a piece. A merged piece of kind
//! `unused` is finally split back into the two symbols it was made of.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::ops::Range;

use super::sentencepiece::{PieceKind, PieceTable};

/// A BPE model: the pieces by text.
pub(crate) struct Bpe {
    table: PieceTable,
    /// Id of every piece that merges may produce (normal, user-defined and unused pieces).
    ids: HashMap<String, u32>,
    /// User-defined pieces, which the input is first split around.
    user_defined: Vec<String>,
}

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

impl Bpe {
    pub(crate) fn new(table: PieceTable) -> Bpe {
        let ids = table
            .pieces
            .iter()
            .enumerate()
            .filter(|(_, piece)| piece.kind.in_lattice())
            .map(|(id, piece)| (piece.text.clone(), id as u32))
            .collect();
        let user_defined = table.user_defined();
        Bpe { table, ids, user_defined }
    }

    /// The split of `normalized`: byte ranges, and whether each is unknown to the model.
    pub(crate) fn encode(&self, normalized: &str) -> Vec<(Range<usize>, bool)> {
        // Symbols are byte ranges of `normalized`, linked as a list; a merged-away symbol is empty.
        let mut ranges: Vec<Range<usize>> = Vec::new();
        let mut frozen: Vec<bool> = Vec::new();
        let mut at = 0;
        while at < normalized.len() {
            let rest = &normalized[at..];
            let symbol =
                self.user_defined.iter().filter(|s| rest.starts_with(s.as_str())).max_by_key(|s| s.len());
            let length =
                symbol.map_or_else(|| rest.chars().next().map_or(rest.len(), char::len_utf8), |s| s.len());
            ranges.push(at..at + length);
            frozen.push(symbol.is_some());
            at += length;
        }
        let count = ranges.len();
        let mut next: Vec<Option<usize>> = (0..count).map(|i| (i + 1 < count).then_some(i + 1)).collect();
        let mut prev: Vec<Option<usize>> = (0..count).map(|i| i.checked_sub(1)).collect();
        let mut merges = Merges { agenda: BinaryHeap::new(), unused_splits: HashMap::new() };
        for i in 1..count {
            self.queue(normalized, &ranges, &frozen, i - 1, i, &mut merges);
        }
        while let Some(top) = merges.agenda.pop() {
            let (left, right) = (ranges[top.left].clone(), ranges[top.right].clone());
            // Stale: one side was merged away or grew since this pair was queued.
            if left.is_empty() || right.is_empty() || left.len() + right.len() != top.size {
                continue;
            }
            ranges[top.left] = left.start..right.end;
            ranges[top.right] = right.end..right.end;
            next[top.left] = next[top.right];
            if let Some(after) = next[top.right] {
                prev[after] = Some(top.left);
            }
            if let Some(before) = prev[top.left] {
                self.queue(normalized, &ranges, &frozen, before, top.left, &mut merges);
            }
            if let Some(after) = next[top.left] {
                self.queue(normalized, &ranges, &frozen, top.left, after, &mut merges);
            }
        }
        let mut output = Vec::new();
        let mut index = (count > 0).then_some(0);
        while let Some(i) = index {
            self.resegment(normalized, ranges[i].clone(), &merges.unused_splits, &mut output);
            index = next[i];
        }
        output
    }

    /// Queues the merge of symbols `left` and `right` if their concatenation is a piece.
    fn queue<'a>(
        &self,
        normalized: &'a str,
        ranges: &[Range<usize>],
        frozen: &[bool],
        left: usize,
        right: usize,
        merges: &mut Merges<'a>,
    ) {
        if frozen[left] || frozen[right] {
            return;
        }
        let merged = &normalized[ranges[left].start..ranges[right].end];
        let Some(&id) = self.ids.get(merged) else { return };
        let piece = &self.table.pieces[id as usize];
        merges.agenda.push(Pair { score: piece.score, left, right, size: merged.len() });
        if piece.kind == PieceKind::Unused {
            merges.unused_splits.insert(merged, ranges[left].len());
        }
    }

    /// Appends `range`, or, for an unused piece, the two symbols it was last merged from (recursively).
    fn resegment(
        &self,
        normalized: &str,
        range: Range<usize>,
        unused_splits: &HashMap<&str, usize>,
        output: &mut Vec<(Range<usize>, bool)>,
    ) {
        let piece = &normalized[range.clone()];
        let split = match self.ids.get(piece) {
            None => return output.push((range, true)),
            Some(&id) if self.table.pieces[id as usize].kind == PieceKind::Unused => unused_splits.get(piece),
            Some(_) => None,
        };
        match split {
            Some(&at) => {
                self.resegment(normalized, range.start..range.start + at, unused_splits, output);
                self.resegment(normalized, range.start + at..range.end, unused_splits, output);
            }
            None => output.push((range, false)),
        }
    }
}

/// The merge loop's queue, and for each unused piece queued the length of its left part.
struct Merges<'a> {
    agenda: BinaryHeap<Pair>,
    unused_splits: HashMap<&'a str, usize>,
}

#[cfg(test)]
mod tests {
    use super::super::sentencepiece::TablePiece;
    use super::*;

    fn model(pieces: &[(&str, f32)]) -> Bpe {
        let mut all = vec![TablePiece { text: "<unk>".into(), score: 0.0, kind: PieceKind::Unknown }];
        all.extend(pieces.iter().map(|&(text, score)| TablePiece {
            text: text.into(),
            score,
            kind: PieceKind::Normal,
        }));
        Bpe::new(PieceTable { pieces: all })
    }

    fn split(model: &Bpe, text: &str) -> Vec<String> {
        model
            .encode(text)
            .into_iter()
            .map(|(range, unknown)| format!("{}{}", &text[range], if unknown { "?" } else { "" }))
            .collect()
    }

    #[test]
    fn bpe_merges_best_pairs_first() {
        let bpe = model(&[("a", -1.0), ("b", -1.0), ("ab", -2.0), ("bc", -1.5), ("c", -1.0)]);
        // "bc" (-1.5) beats "ab" (-2.0): a | bc.
        assert_eq!(split(&bpe, "abc"), vec!["a", "bc"]);
        assert_eq!(split(&bpe, "ab"), vec!["ab"]);
        assert_eq!(split(&bpe, "xyab"), vec!["x?", "y?", "ab"]);
        assert!(split(&bpe, "").is_empty());
    }
}
