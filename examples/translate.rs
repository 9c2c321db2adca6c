//! Translate a file (or a built-in sentence) with the library API.
//!
//! ```sh
//! cargo run --release --example translate -- [MODEL] [FILE]
//! ```
//! MODEL defaults to the tiny test model in `models/`; pass `Helsinki-NLP/opus-mt-hi-en` for real output.

use anuvad::{Format, Translator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let model = args
        .next()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/models/tiny-marian-hi-en").into());
    let text = match args.next() {
        Some(path) => std::fs::read_to_string(path)?,
        None => {
            "नई दिल्ली: सरकार ने बुधवार को नई शिक्षा नीति की घोषणा की। इससे लाखों छात्रों को लाभ होगा।".to_string()
        }
    };
    let translator = Translator::builder().model(model).build()?;
    let document = translator.translate_document(&text)?;
    for (paragraph, sentence, aligned) in document.sentences() {
        eprintln!("[{paragraph}.{sentence}] score {:.3}: {}", aligned.score, aligned.source);
    }
    document.write(&mut std::io::stdout().lock(), Format::Text)?;
    Ok(())
}
