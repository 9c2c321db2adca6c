//! Read sentences on standard input, one per line, and write their translations in the same order,
//! translating with one model shared by several worker threads.
//!
//! ```sh
//! printf 'पहला वाक्य।\nदूसरा वाक्य।\n' | cargo run --release --example serve_lines -- [MODEL] [THREADS]
//! ```

use std::io::{BufRead, Write};
use std::sync::Arc;

use anuvad::Translator;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let model = args
        .next()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/models/tiny-marian-hi-en").into());
    let workers: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(2).max(1);
    let translator = Arc::new(Translator::builder().model(model).beam_size(1).build()?);

    let lines: Vec<String> = std::io::stdin().lock().lines().collect::<Result<_, _>>()?;
    // Each worker takes every `workers`-th line; results are put back in input order.
    let handles: Vec<_> = (0..workers)
        .map(|worker| {
            let translator = Arc::clone(&translator);
            let mine: Vec<(usize, String)> =
                lines.iter().enumerate().skip(worker).step_by(workers).map(|(i, l)| (i, l.clone())).collect();
            std::thread::spawn(move || -> anuvad::Result<Vec<(usize, String)>> {
                mine.into_iter()
                    .map(|(i, line)| {
                        Ok((
                            i,
                            if line.trim().is_empty() {
                                String::new()
                            } else {
                                translator.translate_sentence(&line)?
                            },
                        ))
                    })
                    .collect()
            })
        })
        .collect();
    let mut translated = vec![String::new(); lines.len()];
    for handle in handles {
        for (i, text) in handle.join().map_err(|_| "a worker thread panicked")?? {
            translated[i] = text;
        }
    }
    let mut out = std::io::stdout().lock();
    for text in translated {
        writeln!(out, "{text}")?;
    }
    Ok(())
}
