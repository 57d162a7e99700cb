//! Cutting an import's bytes into records as they arrive: JSON Lines (one object per line), or
//! CSV (RFC 4180 quoting, a header line naming the fields, one record per line). The format is
//! the first line's: `{` starts JSON Lines. Blank lines are skipped; line numbers count every
//! line, from 1, so a report points into the file as an editor shows it.

use super::row::{FIELDS, REQUIRED};
use serde_json::{Map, Value};

/// The longest line taken (a row is well under 10 KiB); a longer one is refused whole, without
/// holding more of it than this.
pub const MAX_LINE: usize = 64 * 1024;

/// One record: its line number, and the JSON object read from it or why it could not be read.
pub type Record = (u64, Result<Map<String, Value>, String>);

/// Why the import cannot start: its header is wrong, so no row could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadHeader(pub String);

#[derive(Default)]
enum Format {
    #[default]
    Unknown,
    JsonLines,
    Csv(Vec<String>),
}

/// Turns chunks of bytes into records.
#[derive(Default)]
pub struct Records {
    pending: Vec<u8>,
    /// The line being cut short for its length: skipped until its end.
    overlong: bool,
    line: u64,
    format: Format,
}

impl Records {
    /// Takes the next chunk; returns the records it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Record>, BadHeader> {
        let mut out = Vec::new();
        for part in chunk.split_inclusive(|b| *b == b'\n') {
            let ends = part.last() == Some(&b'\n');
            let body = if ends { &part[..part.len() - 1] } else { part };
            if !self.overlong {
                if self.pending.len() + body.len() > MAX_LINE {
                    self.overlong = true;
                    self.pending.clear();
                } else {
                    self.pending.extend_from_slice(body);
                }
            }
            if ends {
                self.line += 1;
                let line = std::mem::take(&mut self.pending);
                let overlong = std::mem::replace(&mut self.overlong, false);
                out.extend(self.record(line, overlong)?);
            }
        }
        Ok(out)
    }

    /// Whether the first line was read (the format is known, a CSV header checked).
    pub fn past_header(&self) -> bool {
        !matches!(self.format, Format::Unknown)
    }

    /// Ends the input: the last line, if it had no newline.
    pub fn finish(&mut self) -> Result<Vec<Record>, BadHeader> {
        if self.pending.is_empty() && !self.overlong {
            return Ok(Vec::new());
        }
        self.line += 1;
        let line = std::mem::take(&mut self.pending);
        let overlong = std::mem::replace(&mut self.overlong, false);
        Ok(self.record(line, overlong)?.into_iter().collect())
    }

    fn record(&mut self, mut line: Vec<u8>, overlong: bool) -> Result<Option<Record>, BadHeader> {
        let n = self.line;
        if overlong {
            return Ok(Some((
                n,
                Err(format!("line {n} is longer than {MAX_LINE} bytes")),
            )));
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let Ok(text) = std::str::from_utf8(&line) else {
            return Ok(Some((n, Err("the line is not UTF-8".to_owned()))));
        };
        let text = if n == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        if matches!(self.format, Format::Unknown) {
            if text.trim_start().starts_with('{') {
                self.format = Format::JsonLines;
            } else {
                self.format = Format::Csv(header(text)?);
                return Ok(None);
            }
        }
        Ok(Some((n, self.object(text))))
    }

    fn object(&self, text: &str) -> Result<Map<String, Value>, String> {
        match &self.format {
            Format::Csv(names) => {
                let cells = split_csv(text)?;
                if cells.len() != names.len() {
                    return Err(format!(
                        "the record has {} fields; the header names {}",
                        cells.len(),
                        names.len()
                    ));
                }
                // An empty cell is an absent field (CSV cannot say null).
                Ok(names
                    .iter()
                    .zip(cells)
                    .filter(|(_, cell)| !cell.is_empty())
                    .map(|(name, cell)| (name.clone(), Value::String(cell)))
                    .collect())
            }
            _ => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => Ok(map),
                Ok(_) => Err("the line is not a JSON object".to_owned()),
                Err(e) => Err(format!(
                    "the line is not JSON: {} at column {}",
                    kind(&e),
                    e.column()
                )),
            },
        }
    }
}

/// What is wrong with a JSON line, without quoting any of it (it may hold a token).
fn kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "it ends too soon",
        serde_json::error::Category::Syntax => "a syntax error",
        _ => "it cannot be read",
    }
}

/// The CSV header: known field names, each once, the required ones all there.
fn header(text: &str) -> Result<Vec<String>, BadHeader> {
    let names = split_csv(text).map_err(|e| BadHeader(format!("the header line: {e}")))?;
    let names: Vec<String> = names.into_iter().map(|n| n.trim().to_owned()).collect();
    if let Some(unknown) = names.iter().find(|n| !FIELDS.contains(&n.as_str())) {
        return Err(BadHeader(format!(
            "the header names an unknown field {unknown:?}; the fields are {}",
            FIELDS.join(", ")
        )));
    }
    if let Some(twice) = names
        .iter()
        .enumerate()
        .find(|(i, n)| names[..*i].contains(n))
    {
        return Err(BadHeader(format!("the header names {:?} twice", twice.1)));
    }
    let missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|r| !names.iter().any(|n| n == r))
        .collect();
    if !missing.is_empty() {
        return Err(BadHeader(format!(
            "the header lacks {}, which every row needs",
            missing.join(", ")
        )));
    }
    Ok(names)
}

/// One CSV line's fields: commas separate, double quotes enclose a field that holds commas or
/// quotes (a quote inside is written twice).
fn split_csv(text: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            (false, '"') => return Err("a quote inside an unquoted field".to_owned()),
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, _) if was_quoted => {
                return Err("text after a quoted field's closing quote".to_owned());
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed on its line".to_owned());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests;
