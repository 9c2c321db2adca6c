//! Our SentencePiece models against sentencepiece 0.2.3 itself, on the fixtures that
//! `scripts/make_sentencepiece_fixtures.py` writes: for every SentencePiece model of the fixture models,
//! hand-written hard strings and 10,000 generated ones (spaces of every kind, format characters,
//! combining marks after spaces, nukta letters both ways, compatibility forms, Hangul jamo, halfwidth
//! kana, emoji sequences, controls, private-use and unassigned code points, typed special tokens), each
//! with the normalized text (`SentencePieceProcessor.normalize`) and the pieces (`encode(out_type=str)`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::sentencepiece::SentencePieceModel;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Deserialize)]
struct Meta {
    /// Fixture name -> the model files (byte-identical) it stands for.
    models: BTreeMap<String, Vec<String>>,
    hand_written: usize,
    generated: usize,
}

#[derive(Deserialize)]
struct Record {
    text: String,
    normalized: String,
    pieces: Vec<String>,
}

#[test]
fn normalization_and_pieces_equal_sentencepiece() {
    let directory = root().join("tests/fixtures/sentencepiece");
    let meta: Meta =
        serde_json::from_str(&std::fs::read_to_string(directory.join("meta.json")).unwrap()).unwrap();
    assert!(meta.generated >= 10_000 && meta.hand_written > 0);
    // Every SentencePiece model of the fixture models is covered.
    let covered: Vec<&String> = meta.models.values().flatten().collect();
    for file in ["source.spm", "target.spm", "sentencepiece.bpe.model"] {
        assert!(covered.iter().any(|path| path.ends_with(file)), "{file} has no fixture");
    }
    let mut report = Vec::new();
    for (name, paths) in &meta.models {
        let model = SentencePieceModel::from_file(&root().join(&paths[0])).unwrap();
        let text = std::fs::read_to_string(directory.join(format!("{name}.jsonl"))).unwrap();
        let records: Vec<Record> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        assert_eq!(records.len(), meta.hand_written + meta.generated, "{name}");
        let mut normalized_differ = 0;
        let mut pieces_differ = 0;
        for record in &records {
            let normalized = model.normalize(&record.text);
            let pieces = model.encode(&record.text);
            if normalized != record.normalized {
                normalized_differ += 1;
            }
            if pieces != record.pieces {
                pieces_differ += 1;
            }
            if (normalized != record.normalized || pieces != record.pieces) && report.len() < 20 {
                report.push(format!(
                    "{name}: {:?}\n  normalized ours {normalized:?} theirs {:?}\n  pieces ours {pieces:?} theirs {:?}",
                    record.text, record.normalized, record.pieces
                ));
            }
        }
        if normalized_differ + pieces_differ > 0 {
            report.push(format!(
                "{name}: {normalized_differ} normalized and {pieces_differ} piece sequences of {} differ",
                records.len()
            ));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}
