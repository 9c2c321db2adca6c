//! Counting findings over many sentences, for the one-line summary the commands print.

use std::fmt;

use super::{Finding, FindingKind};

/// Sentences checked, flagged, and flagged per kind (a sentence counts once per kind it has).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagSummary {
    /// Sentences checked.
    pub sentences: usize,
    /// Sentences with at least one finding.
    pub flagged: usize,
    /// Sentences repaired (whose final translation passed after a repair).
    pub repaired: usize,
    /// For each kind (in [`FindingKind::ALL`] order), the sentences with a finding of that kind.
    pub per_kind: [usize; FindingKind::ALL.len()],
}

impl FlagSummary {
    /// Counts one sentence with its findings.
    pub fn add(&mut self, findings: &[Finding]) {
        self.sentences += 1;
        if findings.is_empty() {
            return;
        }
        self.flagged += 1;
        for (index, kind) in FindingKind::ALL.iter().enumerate() {
            if findings.iter().any(|f| f.kind == *kind) {
                self.per_kind[index] += 1;
            }
        }
    }

    /// Adds another summary's counts to this one.
    pub fn merge(&mut self, other: &FlagSummary) {
        self.sentences += other.sentences;
        self.flagged += other.flagged;
        self.repaired += other.repaired;
        for (mine, theirs) in self.per_kind.iter_mut().zip(other.per_kind) {
            *mine += theirs;
        }
    }

    /// Sentences with a finding of `kind`.
    pub fn count(&self, kind: FindingKind) -> usize {
        FindingKind::ALL.iter().position(|k| *k == kind).map_or(0, |i| self.per_kind[i])
    }
}

/// "3 of 120 sentences flagged: 2 number, 1 loop" (and "; 2 repaired" when some were).
impl fmt::Display for FlagSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.sentences == 1 { "sentence" } else { "sentences" };
        write!(f, "{} of {} {noun} flagged", self.flagged, self.sentences)?;
        let kinds: Vec<String> = FindingKind::ALL
            .iter()
            .zip(self.per_kind)
            .filter(|(_, n)| *n > 0)
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        if !kinds.is_empty() {
            write!(f, ": {}", kinds.join(", "))?;
        }
        if self.repaired > 0 {
            write!(f, "; {} repaired", self.repaired)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(kind: FindingKind) -> Finding {
        Finding::new(kind, 0..0, String::new())
    }

    #[test]
    fn the_summary_line_counts_sentences_per_kind() {
        let mut summary = FlagSummary::default();
        for _ in 0..117 {
            summary.add(&[]);
        }
        summary.add(&[finding(FindingKind::Number), finding(FindingKind::Number)]);
        summary.add(&[finding(FindingKind::Number)]);
        summary.add(&[finding(FindingKind::Loop)]);
        assert_eq!(summary.to_string(), "3 of 120 sentences flagged: 2 number, 1 loop");
        assert_eq!(summary.count(FindingKind::Number), 2);
        summary.repaired = 2;
        assert_eq!(summary.to_string(), "3 of 120 sentences flagged: 2 number, 1 loop; 2 repaired");
        assert_eq!(FlagSummary::default().to_string(), "0 of 0 sentences flagged");
    }

    #[test]
    fn summaries_merge() {
        let mut a = FlagSummary::default();
        a.add(&[finding(FindingKind::Empty)]);
        let mut b = FlagSummary::default();
        b.add(&[]);
        a.merge(&b);
        assert_eq!(a.to_string(), "1 of 2 sentences flagged: 1 empty");
    }
}
