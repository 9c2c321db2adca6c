//! `anuvad check FILE|-`: checks translations made by anyone (JSONL records with "source" and
//! "translation", e.g. what `translate --format jsonl` writes) and writes them back with "flags".
//!
//! Exit codes: 0; 1 with `--strict` when anything is flagged; 2 when the input cannot be used (the
//! message names the file and line), and then nothing is written.

use std::fmt;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anuvad::checks::{check, Finding, FlagSummary};
use anuvad::output::write_atomically;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Serialize, Serializer};

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

/// A JSON value that keeps the order of object members as written (serde_json's map sorts them), so
/// records are written back as they came.
enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Json, E> {
        Ok(Json::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Json, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Json, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Json, E> {
        // serde_json gives only finite numbers; a non-finite one would be null, as serde_json writes it.
        Ok(serde_json::Number::from_f64(value).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Json, E> {
        Ok(Json::String(value.to_string()))
    }

    fn visit_string<E>(self, value: String) -> Result<Json, E> {
        Ok(Json::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry()? {
            members.push(member);
        }
        Ok(Json::Object(members))
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(value) => serializer.serialize_bool(*value),
            Json::Number(value) => value.serialize(serializer),
            Json::String(value) => serializer.serialize_str(value),
            Json::Array(items) => serializer.collect_seq(items),
            Json::Object(members) => serializer.collect_map(members.iter().map(|(k, v)| (k, v))),
        }
    }
}

impl Json {
    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// One checked record.
struct Checked {
    line: usize,
    members: Vec<(String, Json)>,
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
        match parse(line, index + 1) {
            Ok(record) => records.push(record),
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

/// Line `line` of the input, read and checked; or what is wrong with it.
fn parse(text: &str, line: usize) -> Result<Checked, String> {
    let members = match serde_json::from_str::<Json>(text) {
        Ok(Json::Object(members)) => members,
        Ok(other) => return Err(format!("not a JSON object but {}", other.kind())),
        Err(e) => return Err(format!("not a JSON object: {e}")),
    };
    let field = |name: &str| match members.iter().find(|(key, _)| key == name) {
        Some((_, Json::String(text))) => Ok(text.clone()),
        Some((_, other)) => Err(format!("\"{name}\" is not a string but {}", other.kind())),
        None => Err(format!("the record has no \"{name}\"")),
    };
    let source = field("source")?;
    let translation = field("translation")?;
    let flags = check(&source, &translation);
    Ok(Checked { line, members, source, translation, flags })
}

/// Every record as it came, members in their order, with "flags" set (replaced where it was there).
fn render_jsonl(records: &[Checked]) -> anyhow::Result<String> {
    let mut out = String::new();
    for record in records {
        let flags = serde_json::to_string(&record.flags)?;
        let mut members: Vec<String> = Vec::with_capacity(record.members.len() + 1);
        let mut placed = false;
        for (key, value) in &record.members {
            if key == "flags" {
                if !placed {
                    members.push(format!("\"flags\":{flags}"));
                    placed = true;
                }
            } else {
                members.push(format!("{}:{}", serde_json::to_string(key)?, serde_json::to_string(value)?));
            }
        }
        if !placed {
            members.push(format!("\"flags\":{flags}"));
        }
        out.push('{');
        out.push_str(&members.join(","));
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
            let findings: Vec<String> =
                record.flags.iter().map(|f| format!("{}: {}", f.kind, f.message)).collect();
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

    fn jsonl(line: &str) -> String {
        render_jsonl(&[parse(line, 1).unwrap()]).unwrap()
    }

    #[test]
    fn nested_members_keep_their_order_too() {
        let line = r#"{"source":"x","translation":"x","meta":{"z":[1,2.5,{"b":null,"a":true}],"a":"é"}}"#;
        let expected =
            r#"{"source":"x","translation":"x","meta":{"z":[1,2.5,{"b":null,"a":true}],"a":"é"},"flags":[]}"#;
        assert_eq!(jsonl(line), format!("{expected}\n"));
    }

    #[test]
    fn members_keep_their_order_and_flags_go_last_or_in_place() {
        let record = parse(r#"{"z":1,"source":"दो","translation":"three","a":[1]}"#, 1).unwrap();
        assert_eq!((record.source.as_str(), record.translation.as_str()), ("दो", "three"));
        let out = render_jsonl(&[record]).unwrap();
        let start = r#"{"z":1,"source":"दो","translation":"three","a":[1],"flags":[{"kind":"number""#;
        assert!(out.starts_with(start), "{out}");
        assert_eq!(
            jsonl(r#"{"flags":["old"],"source":"x","translation":"x"}"#),
            "{\"flags\":[],\"source\":\"x\",\"translation\":\"x\"}\n"
        );
    }

    #[test]
    fn bad_records_say_what_is_wrong() {
        let problem = |line: &str| parse(line, 1).err().unwrap();
        assert_eq!(problem("[1]"), "not a JSON object but an array");
        assert!(problem("{").starts_with("not a JSON object"));
        assert_eq!(problem(r#"{"source":"x"}"#), "the record has no \"translation\"");
        assert_eq!(
            problem(r#"{"source":"x","translation":3}"#),
            "\"translation\" is not a string but a number"
        );
    }
}
