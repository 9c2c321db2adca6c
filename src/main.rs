//! The `anuvad` command: a thin shell over the `anuvad` library.
//!
//! Exit codes: 0 success; 1 an input could not be used (unreadable, not UTF-8) or, in `batch`, a file
//! failed; 2 a fatal error (bad usage, model unavailable or broken).

mod cli;

use std::process::ExitCode;

/// See the `mimalloc` feature in Cargo.toml: glibc's malloc costs 15-20% of decoding time here.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: anuvad::allocator::MiMalloc = anuvad::allocator::MiMalloc;

fn main() -> ExitCode {
    #[cfg(feature = "mimalloc")]
    anuvad::allocator::keep_freed_memory();
    let args = cli::parse();
    if let Some(problem) = anuvad::cpu::isa_override_problem() {
        eprintln!("anuvad: warning: {problem}");
    }
    match cli::set_threads(&args).and_then(|()| cli::run(args)) {
        Ok(code) => code,
        Err(error) => {
            // Broken pipe (e.g. `anuvad translate a.txt | head`) is not an error.
            if error.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            // One line: the facts (the error and its causes), then what to do about them.
            match cli::hint(&error) {
                Some(hint) => eprintln!("anuvad: {error:#}. Hint: {hint}"),
                None => eprintln!("anuvad: {error:#}"),
            }
            ExitCode::from(cli::exit_code(&error))
        }
    }
}
