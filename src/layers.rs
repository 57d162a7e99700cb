//! The order of the service's top-level modules, lowest first. A module may import (`crate::…`)
//! only modules before it in [`ORDER`], so the import graph has no cycle and each layer can be
//! read without the ones above it. Below all of them sit the workspace's other crates
//! (`wiselink-domain`, `wiselink-wise`, `wiselink-simulator`), which cannot import the service
//! at all; `domain`, `clock`, `local_names` and `wise` are their re-exports. A unit test reads
//! every `crate::` path in `src/` and fails on an edge against this order or on a module the
//! order does not name.

/// Lowest first; see `docs/architecture.md` for what each one is.
pub const ORDER: &[&str] = &[
    // Re-exported from the crates below the service.
    "domain",
    "clock",
    "local_names",
    "wise",
    // Leaves: they import nothing of the service's.
    "markup",
    "demo",
    "crypto",
    "audit",
    // Configuration, and what is built from it alone.
    "settings",
    "telemetry",
    "brand",
    "i18n",
    // Storage and outgoing mail.
    "db",
    "mail",
    // HTTP plumbing: problems, bodies, client addresses, idempotency, rate limits, metrics.
    "http",
    // Use cases.
    "services",
    "workers",
    // What handlers share, the handlers, and the process.
    "state",
    "routes",
    "startup",
    "cli",
    "commands",
];

#[cfg(test)]
mod tests {
    use super::ORDER;
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    /// One `crate::` import: the file it is in, the module the file belongs to, the module named.
    #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct Edge {
        file: String,
        from: String,
        to: String,
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// `text` without `//` comments (doc comments included: a link in prose is no import). A
    /// `//` inside a string literal (`"http://…"`) is not a comment.
    fn code_only(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for line in text.lines() {
            let (mut in_string, mut escaped, mut end) = (false, false, line.len());
            for (i, c) in line.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' if in_string => escaped = true,
                    '"' => in_string = !in_string,
                    '/' if !in_string && line[i..].starts_with("//") => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            out.push_str(&line[..end]);
            out.push('\n');
        }
        out
    }

    /// The top-level module names a file's `crate::` paths start with, including each item of a
    /// `crate::{a::b, c}` group.
    fn imported_modules(code: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let ident = |s: &str| -> String {
            s.trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        };
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let preceded_by_ident = rest[..i]
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
            rest = &rest[i + "crate::".len()..];
            if preceded_by_ident {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let mut depth = 0;
                let mut start = 0;
                for (j, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            out.insert(ident(&group[start..j]));
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            out.insert(ident(&group[start..j]));
                            start = j + 1;
                        }
                        _ => {}
                    }
                }
            } else {
                out.insert(ident(rest));
            }
        }
        out.remove("");
        out.remove("self");
        out
    }

    fn edges(src: &Path) -> Vec<Edge> {
        let mut files = Vec::new();
        rust_files(src, &mut files);
        let mut edges = Vec::new();
        for path in files {
            let relative = path.strip_prefix(src).expect("under src/");
            let from = relative
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .expect("a file name")
                .trim_end_matches(".rs")
                .to_owned();
            let text = std::fs::read_to_string(&path).expect("a readable source file");
            for to in imported_modules(&code_only(&text)) {
                if to != from {
                    edges.push(Edge {
                        file: relative.display().to_string(),
                        from: from.clone(),
                        to,
                    });
                }
            }
        }
        edges.sort();
        edges
    }

    fn rank(module: &str) -> Option<usize> {
        ORDER.iter().position(|m| *m == module)
    }

    /// Edges that go up the order or touch a module the order does not name.
    fn violations(edges: &[Edge]) -> Vec<String> {
        edges
            .iter()
            .filter(|e| !matches!(e.from.as_str(), "lib" | "main" | "layers"))
            .filter_map(|e| match (rank(&e.from), rank(&e.to)) {
                (Some(from), Some(to)) if to < from => None,
                (Some(_), Some(_)) => Some(format!(
                    "{}: `{}` imports `{}`, which is above it in layers::ORDER",
                    e.file, e.from, e.to
                )),
                _ => Some(format!(
                    "{}: `{}` → `{}` names a module layers::ORDER does not place",
                    e.file, e.from, e.to
                )),
            })
            .collect()
    }

    fn src() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
    }

    #[test]
    fn every_import_goes_down_the_layer_order() {
        let edges = edges(&src());
        assert!(
            edges.len() > 100,
            "the scan found {} edges: it is not reading the sources",
            edges.len()
        );
        let bad = violations(&edges);
        assert!(
            bad.is_empty(),
            "imports against the layer order:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn the_order_names_every_module_of_the_library_once() {
        let lib = std::fs::read_to_string(src().join("lib.rs")).expect("lib.rs");
        let mut declared: BTreeSet<&str> = lib
            .lines()
            .filter_map(|l| l.strip_prefix("pub mod "))
            .map(|l| l.trim_end_matches(';'))
            .collect();
        declared.remove("layers");
        declared.extend(["domain", "clock", "local_names", "wise"]);
        let ordered: BTreeSet<&str> = ORDER.iter().copied().collect();
        assert_eq!(ordered.len(), ORDER.len(), "a module is listed twice");
        assert_eq!(declared, ordered);
    }

    #[test]
    fn the_scan_sees_grouped_imports_and_ignores_prose_and_paths_of_other_crates() {
        let code = code_only(
            "use crate::{db::links::LinkRow, services::{self, links}};\n\
             /// see [`crate::routes`]\n\
             let x = wiselink_simulator::crate_like; let u = \"http://x\"; // crate::routes\n\
             fn f() { crate::http::Problem::new(); }",
        );
        let found: Vec<String> = imported_modules(&code).into_iter().collect();
        assert_eq!(found, ["db", "http", "services"]);
    }

    #[test]
    fn an_upward_import_is_reported() {
        let planted = vec![Edge {
            file: "db/links.rs".into(),
            from: "db".into(),
            to: "routes".into(),
        }];
        assert_eq!(
            violations(&planted),
            ["db/links.rs: `db` imports `routes`, which is above it in layers::ORDER"]
        );
    }
}
