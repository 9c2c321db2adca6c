//! Scores `anuvad::segment` on the gold files in `tests/data/segmentation/` with the README's metric
//! (sentence boundaries as character offsets after whitespace normalisation) and prints one table, next to
//! the figures the README gives for existing segmenters. The FLORES Hindi paragraphs are also scored in
//! web style (every `।` typed as `.`), and the news hard cases (initials, abbreviations, postpositions)
//! on their own.
//!
//! ```text
//! cargo run --release --example eval_segment            # the table
//! cargo run --release --example eval_segment -- --errors  # also every record not split exactly right
//! ```

use anuvad::segment::metric::{self, Record, Score};

/// Figures of existing segmenters, copied from `tests/data/segmentation/README.md` (P / R / F1 / exact):
/// FLORES dev hi (all records), hard cases (all 52 cases, of which 35 are in the file), and the F1 on the
/// FLORES clean subset.
const EXISTING: &[(&str, [f64; 4], [f64; 4], f64)] = &[
    ("regex split after [।॥?!.] + space", [0.809, 0.961, 0.878, 48.0], [0.727, 0.789, 0.757, 50.0], 0.983),
    ("pySBD 0.3 (hi)", [0.828, 0.360, 0.502, 5.6], [0.836, 0.789, 0.812, 67.3], 0.525),
    ("indic-nlp-library sentence_split(hi)", [0.814, 0.538, 0.648, 17.6], [0.857, 0.761, 0.806, 67.3], 0.726),
    ("spaCy sentencizer (blank hi)", [0.804, 0.960, 0.875, 48.8], [0.762, 0.859, 0.808, 61.5], 0.977),
    ("ICU sentence break (hi)", [0.809, 0.971, 0.883, 48.8], [0.704, 0.972, 0.817, 57.7], 0.984),
    (
        "Unicode UAX #29 (unicode-segmentation)",
        [0.809, 0.971, 0.883, 48.8],
        [0.711, 0.972, 0.821, 59.6],
        0.984,
    ),
];

fn load(name: &str) -> Vec<Record> {
    let path = format!("{}/tests/data/segmentation/{name}", env!("CARGO_MANIFEST_DIR"));
    match metric::load(&path) {
        Ok(records) => records,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(1);
        }
    }
}

fn row(name: &str, records: &[&Record]) -> (String, Score) {
    let score = Score::of(records.iter().copied());
    let line = format!(
        "| {name} | {} | {} | {} | {:.3} | {:.3} | {:.4} | {:.1}% ({}/{}) |",
        records.len(),
        score.true_positives + score.false_negatives,
        score.false_positives + score.false_negatives,
        score.precision(),
        score.recall(),
        score.f1(),
        100.0 * score.exact_share(),
        score.exact,
        score.records,
    );
    (line, score)
}

fn print_errors(name: &str, records: &[&Record]) {
    for record in records {
        let predicted = metric::predicted_sentences(&record.text);
        let gold: Vec<&str> = record.sentences.iter().map(String::as_str).collect();
        if metric::boundaries(gold.iter().copied()) != metric::boundaries(predicted.iter().copied()) {
            println!("\n[{name}] {} {}", record.id, record.phenomenon.as_deref().unwrap_or(""));
            gold.iter().for_each(|s| println!("  gold      | {s}"));
            predicted.iter().for_each(|s| println!("  predicted | {s}"));
        }
    }
}

fn all(records: &[Record]) -> Vec<&Record> {
    records.iter().collect()
}

/// The records whose FLORES lines are all single sentences.
fn clean(records: &[Record]) -> Vec<&Record> {
    records.iter().filter(|r| r.multi_sentence_candidates.is_empty()).collect()
}

fn main() {
    let show_errors = std::env::args().any(|a| a == "--errors");
    let flores_hi = load("flores_dev_hi.jsonl");
    let flores_en = load("flores_dev_en.jsonl");
    let hard = load("hard_cases.jsonl");
    let news = load("hard_cases_news.jsonl");
    let flores_hi_web: Vec<Record> = flores_hi.iter().map(metric::web_style).collect();
    let sets: [(&str, Vec<&Record>); 8] = [
        ("FLORES dev hi, all records", all(&flores_hi)),
        ("FLORES dev hi, clean subset", clean(&flores_hi)),
        ("hard cases (35 in the file)", all(&hard)),
        ("FLORES dev en, all records", all(&flores_en)),
        ("FLORES dev en, clean subset", clean(&flores_en)),
        ("FLORES dev hi web style (। → .), all records", all(&flores_hi_web)),
        ("FLORES dev hi web style (। → .), clean subset", clean(&flores_hi_web)),
        ("news hard cases (initials, abbreviations, postpositions)", all(&news)),
    ];

    println!("anuvad::segment on tests/data/segmentation (boundaries = non-whitespace character offsets)\n");
    println!("| set | records | gold boundaries | errors | P | R | F1 | exact records |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, records) in &sets {
        println!("{}", row(name, records).0);
    }
    println!(
        "\nTargets: FLORES hi clean F1 >= 0.995 and >= 95% exact (also in web style); hard cases F1 >= 0.97 and"
    );
    println!(">= 90% exact; news hard cases all exact;");
    println!("FLORES en recall >= 0.97. Precision on the \"all records\" rows is understated: about 150 FLORES lines");
    println!(
        "hold two sentences that the gold keeps together (README); only the clean subsets measure it.\n"
    );

    println!("Existing segmenters (README figures; their hard-case column covers all 52 cases):\n");
    println!("| segmenter | FLORES dev hi P / R / F1 / exact | hard cases P / R / F1 / exact | FLORES hi clean F1 |");
    println!("|---|---|---|---|");
    for (name, flores, hard, clean_f1) in EXISTING {
        let cell = |v: &[f64; 4]| format!("{:.3} / {:.3} / {:.3} / {:.1}%", v[0], v[1], v[2], v[3]);
        println!("| {name} | {} | {} | {clean_f1:.3} |", cell(flores), cell(hard));
    }
    let score = |i: usize| Score::of(sets[i].1.iter().copied());
    let (f, c, h) = (score(0), score(1), score(2));
    println!(
        "| **anuvad::segment** | {:.3} / {:.3} / {:.3} / {:.1}% | {:.3} / {:.3} / {:.3} / {:.1}% (35 cases) | {:.4} |",
        f.precision(),
        f.recall(),
        f.f1(),
        100.0 * f.exact_share(),
        h.precision(),
        h.recall(),
        h.f1(),
        100.0 * h.exact_share(),
        c.f1(),
    );

    if show_errors {
        for (name, records) in &sets {
            print_errors(name, records);
        }
    }
}
