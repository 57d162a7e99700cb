//! Turning a JSON object into domain values while collecting every field-level problem at once.

use super::{FieldError, Problem, RequestError, body};
use crate::domain::Invalid;
use serde_json::{Map, Value};

/// Why a request body was not read.
#[derive(Debug)]
pub enum Unread {
    /// Not a JSON object.
    Body(RequestError),
    /// Every field's problem (a 422).
    Fields(Vec<FieldError>),
}

impl From<Unread> for Problem {
    fn from(unread: Unread) -> Self {
        match unread {
            Unread::Body(e) => e.problem(),
            Unread::Fields(errors) => Problem::validation(errors),
        }
    }
}

/// Reads a request body, a JSON object, into `T` with `read`, which reads every field before it
/// combines them: the client learns of every field's problem in one 422.
pub fn read_body<T>(
    body: &[u8],
    read: impl FnOnce(&mut ObjectReader) -> Option<T>,
) -> Result<T, Unread> {
    let mut reader = ObjectReader::new(body::parse_object(body).map_err(Unread::Body)?);
    let value = read(&mut reader);
    reader.finish().map_err(Unread::Fields)?;
    // `finish` has returned every refusal; a `None` here would be a field read without one.
    value.ok_or(Unread::Fields(Vec::new()))
}

/// Reads fields from a JSON object, remembering each refusal so the client sees them all together.
pub struct ObjectReader {
    object: Map<String, Value>,
    errors: Vec<FieldError>,
}

impl ObjectReader {
    pub fn new(object: Map<String, Value>) -> Self {
        Self {
            object,
            errors: Vec::new(),
        }
    }

    /// A required string field, parsed with `parse`.
    pub fn required<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        match self.object.remove(field) {
            None | Some(Value::Null) => {
                self.refuse(field, "required", format!("{field} is required"));
                None
            }
            Some(value) => self.parse_value(field, value, parse),
        }
    }

    /// An optional string field; absent or `null` gives `Ok(None)`-like `None` without an error.
    pub fn optional<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<Option<T>> {
        match self.object.remove(field) {
            None | Some(Value::Null) => Some(None),
            Some(value) => self.parse_value(field, value, parse).map(Some),
        }
    }

    /// A field of any JSON type, taken as it is (`None` when absent or `null`), for the caller to
    /// read; a refusal goes through [`Self::refuse`].
    pub fn take(&mut self, field: &str) -> Option<Value> {
        self.object.remove(field).filter(|v| !v.is_null())
    }

    /// Records a refusal found outside this reader (e.g. for a path parameter).
    pub fn refuse(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
    }

    /// Ends reading: any field not read is unknown. Returns every problem found, if any.
    pub fn finish(mut self) -> Result<(), Vec<FieldError>> {
        let mut unknown: Vec<String> = self.object.keys().cloned().collect();
        unknown.sort();
        for field in unknown {
            self.refuse(
                &field,
                "unknown_field",
                format!("{field} is not a known field"),
            );
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }

    fn parse_value<T>(
        &mut self,
        field: &str,
        value: Value,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        let Value::String(s) = value else {
            self.refuse(field, "invalid_type", format!("{field} must be a string"));
            return None;
        };
        match parse(&s) {
            Ok(v) => Some(v),
            Err(invalid) => {
                self.refuse(field, invalid.code, prefix(field, &invalid.message));
                None
            }
        }
    }
}

/// Messages from the domain sometimes name the field already; make sure every one does.
fn prefix(field: &str, message: &str) -> String {
    if message.starts_with(field) {
        message.to_owned()
    } else {
        format!("{field} {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nonempty(s: &str) -> Result<String, Invalid> {
        if s.is_empty() {
            Err(Invalid::new("required", "must not be empty"))
        } else {
            Ok(s.to_owned())
        }
    }

    #[test]
    fn collects_every_problem() {
        let Value::Object(obj) = json!({"a": 1, "b": "", "extra": true, "z": "ok"}) else {
            unreachable!()
        };
        let mut r = ObjectReader::new(obj);
        assert_eq!(r.required("a", nonempty), None);
        assert_eq!(r.required("b", nonempty), None);
        assert_eq!(r.required("missing", nonempty), None);
        assert_eq!(r.optional("absent", nonempty), Some(None));
        assert_eq!(r.optional("z", nonempty), Some(Some("ok".to_owned())));
        let errors = r.finish().unwrap_err();
        let got: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "invalid_type"),
                ("b", "required"),
                ("missing", "required"),
                ("extra", "unknown_field")
            ]
        );
        assert_eq!(errors[1].message, "b must not be empty");
    }
}
