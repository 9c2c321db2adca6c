//! `anuvad check FILE|-`: checks translations made by anyone (JSONL records with "source" and
//! "translation", e.g. what `translate --format jsonl` writes) and writes them back with "flags".
//!
//! Exit codes: 0; 1 with `--strict` when anything is flagged; 2 when the input cannot be used (the
//! message names the file and line), and then nothing is written.

use std::fmt;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anuvad::batch::write_atomically;
use anuvad::checks::{check, Finding, FlagSummary};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::files::decode_utf8;
use super::output_target;

#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// JSONL file of records with "source" and "translation", or - for standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
    /// Output format: jsonl (the same records, "flags" added) or md (a table for people).
    #[arg(long, short = 'f', value_enum, default_value_t = CheckFormat::Jsonl)]
    format: CheckFormat,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Exit with 1 when any translation is flagged (the output is written all the same).
    #[arg(long)]
    strict: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum CheckFormat {
    Jsonl,
    #[value(alias = "markdown")]
    Md,
}

/// A JSON object's members in the order they were written (serde_json's map would sort them).
struct Members(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;
        impl<'de> Visitor<'de> for Object {
            type Value = Members;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Value>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Object)
    }
}

/// One checked record.
struct Checked {
    line: usize,
    members: Members,
    source: String,
    translation: String,
    flags: Vec<Finding>,
}

pub(crate) fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let (name, text) = match read(&args.input) {
        Ok(input) => input,
        Err(message) => return Ok(bad_input(&message)),
    };
    let mut records = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = if index == 0 { line.trim_start_matches('\u{feff}') } else { line };
        if line.trim().is_empty() {
            continue;
        }
        match parse(line) {
            Ok((members, source, translation)) => {
                let flags = check(&source, &translation);
                records.push(Checked { line: index + 1, members, source, translation, flags });
            }
            Err(problem) => return Ok(bad_input(&format!("{name}:{}: {problem}", index + 1))),
        }
    }
    let rendered = match args.format {
        CheckFormat::Jsonl => render_jsonl(&records)?,
        CheckFormat::Md => render_markdown(&records),
    };
    match output_target(&args.output) {
        Some(path) => write_atomically(path, rendered.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(rendered.as_bytes())?;
            stdout.flush()?;
        }
    }
    let mut summary = FlagSummary::default();
    for record in &records {
        summary.add(&record.flags);
    }
    eprintln!("anuvad: {summary}");
    Ok(if args.strict && summary.flagged > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn bad_input(message: &str) -> ExitCode {
    eprintln!("anuvad: {message}");
    ExitCode::from(2)
}

/// The input's name and text.
fn read(path: &PathBuf) -> Result<(String, String), String> {
    let (name, bytes) = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| format!("standard input: cannot read: {e}"))?;
        ("standard input".to_string(), bytes)
    } else {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        (path.display().to_string(), bytes)
    };
    let text = decode_utf8(&name, bytes).map_err(|e| e.0)?;
    Ok((name, text))
}

/// A record's members, source and translation; or what is wrong with it.
fn parse(line: &str) -> Result<(Members, String, String), String> {
    let members: Members = serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let field = |name: &str| match members.0.iter().find(|(key, _)| key == name) {
        Some((_, Value::String(text))) => Ok(text.clone()),
        Some((_, other)) => Err(format!("\"{name}\" is not a string but {}", kind(other))),
        None => Err(format!("the record has no \"{name}\"")),
    };
    let source = field("source")?;
    let translation = field("translation")?;
    Ok((members, source, translation))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Every record as it came, members in their order, with "flags" set (replaced where it was there).
fn render_jsonl(records: &[Checked]) -> anyhow::Result<String> {
    let mut out = String::new();
    for record in records {
        let flags = serde_json::to_value(&record.flags)?;
        let mut members: Vec<(&str, &Value)> = Vec::new();
        let mut placed = false;
        for (key, value) in &record.members.0 {
            if key == "flags" {
                if !placed {
                    members.push(("flags", &flags));
                    placed = true;
                }
            } else {
                members.push((key, value));
            }
        }
        if !placed {
            members.push(("flags", &flags));
        }
        out.push('{');
        for (index, (key, value)) in members.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(key)?);
            out.push(':');
            out.push_str(&serde_json::to_string(value)?);
        }
        out.push_str("}\n");
    }
    Ok(out)
}

/// A table for people: line, source, translation, and what the checks found.
fn render_markdown(records: &[Checked]) -> String {
    let escape = |text: &str| {
        text.replace('\\', "\\\\").replace('|', "\\|").replace("\r\n", "<br>").replace(['\n', '\r'], "<br>")
    };
    let mut out = String::from("| Line | Source | Translation | Check |\n| --- | --- | --- | --- |\n");
    for record in records {
        let check = if record.flags.is_empty() {
            String::new()
        } else {
            let findings: Vec<String> = record.flags.iter().map(|f| format!("{}: {}", f.kind, f.message)).collect();
            format!("⚠ {}", findings.join("; "))
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            record.line,
            escape(&record.source),
            escape(&record.translation),
            escape(&check)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keep_their_order_and_flags_go_last_or_in_place() {
        let (members, source, translation) = parse(r#"{"z":1,"source":"दो","translation":"three","a":[1]}"#).unwrap();
        assert_eq!((source.as_str(), translation.as_str()), ("दो", "three"));
        let flags = check(&source, &translation);
        let record = Checked { line: 1, members, source, translation, flags };
        let out = render_jsonl(&[record]).unwrap();
        assert!(out.starts_with(r#"{"z":1,"source":"दो","translation":"three","a":[1],"flags":[{"kind":"number""#), "{out}");

        let (members, source, translation) = parse(r#"{"flags":[],"source":"x","translation":"x"}"#).unwrap();
        let record = Checked { line: 1, members, source, translation, flags: Vec::new() };
        assert_eq!(render_jsonl(&[record]).unwrap(), "{\"flags\":[],\"source\":\"x\",\"translation\":\"x\"}\n");
    }

    #[test]
    fn bad_records_say_what_is_wrong() {
        assert!(parse("[1]").err().unwrap().starts_with("not a JSON object"));
        assert!(parse("{").err().unwrap().starts_with("not a JSON object"));
        assert_eq!(parse(r#"{"source":"x"}"#).err().unwrap(), "the record has no \"translation\"");
        assert_eq!(parse(r#"{"source":"x","translation":3}"#).err().unwrap(), "\"translation\" is not a string but a number");
    }
}
