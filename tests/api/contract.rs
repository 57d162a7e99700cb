//! Contract conformance with Wise's published OpenAPI (the subset in tests/fixtures): every
//! simulator answer the spec documents validates against its schema, and every request the client
//! sends validates against the operation's request schema.

mod answers;
mod requests;

use serde_json::{Value, json};

const SPEC: &str = include_str!("../fixtures/wise-openapi-subset.yml");

struct Spec {
    doc: Value,
}

impl Spec {
    fn load() -> Self {
        Self {
            doc: serde_norway::from_str(SPEC).expect("the OpenAPI subset is YAML"),
        }
    }

    /// A validator for the schema at `pointer`, with the whole document around it so that
    /// `#/components/...` references resolve.
    fn validator(&self, pointer: &str) -> jsonschema::Validator {
        assert!(
            self.doc.pointer(pointer).is_some(),
            "the spec has no schema at {pointer}"
        );
        let mut root = self.doc.clone();
        // A JSON pointer inside a URI fragment: braces of path templates must be percent-encoded.
        root["$ref"] = json!(format!(
            "#{}",
            pointer.replace('{', "%7B").replace('}', "%7D")
        ));
        jsonschema::validator_for(&root).expect("schema compiles")
    }

    /// The operation (spec path template) a concrete path belongs to.
    fn template(&self, path: &str) -> Option<String> {
        let paths = self.doc["paths"].as_object()?;
        paths.keys().find(|t| matches_template(t, path)).cloned()
    }

    fn response_schema(&self, template: &str, method: &str, status: u16) -> Option<String> {
        let responses = format!(
            "/paths/{}/{}/responses",
            escape(template),
            method.to_lowercase()
        );
        let response = format!("{responses}/{status}");
        let mut node = self.doc.pointer(&response)?;
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            node = self.doc.pointer(reference.trim_start_matches('#'))?;
            let pointer = format!(
                "{}/content/application~1json/schema",
                reference.trim_start_matches('#')
            );
            return node
                .pointer("/content/application~1json/schema")
                .map(|_| pointer);
        }
        node.pointer("/content/application~1json/schema")
            .map(|_| format!("{response}/content/application~1json/schema"))
    }

    fn request_schema(&self, template: &str, method: &str, content_type: &str) -> String {
        format!(
            "/paths/{}/{}/requestBody/content/{}/schema",
            escape(template),
            method.to_lowercase(),
            escape(content_type)
        )
    }
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn matches_template(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(a, b)| (a.starts_with('{') && a.ends_with('}')) || a == b)
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match Wise's schema:\n{}\n{instance:#}",
        errors.join("\n")
    );
}

/// Sends a raw request to the simulator and validates the answer when the spec documents it.
/// Returns the body and whether it was validated.
async fn check(
    spec: &Spec,
    request: reqwest::RequestBuilder,
    method: &str,
    path: &str,
) -> (u16, Value, bool) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    assert!(
        response.headers().contains_key("x-trace-id"),
        "{method} {path}: x-trace-id"
    );
    if status == 429 {
        let retry: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .expect("Retry-After is an integer");
        assert!(retry > 0);
    }
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let template = spec
        .template(path)
        .unwrap_or_else(|| panic!("{path} is not in the spec"));
    match spec.response_schema(&template, method, status) {
        Some(pointer) => {
            assert_valid(
                &spec.validator(&pointer),
                &body,
                &format!("{method} {path} → {status}"),
            );
            (status, body, true)
        }
        None => (status, body, false),
    }
}
