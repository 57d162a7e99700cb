//! Text into HTML: the one escaping rule for markup built outside a template (askama escapes
//! what templates print). A leaf: it imports nothing of wiselink's.

/// `s` with the five characters HTML gives meaning to written as entities, for text placed in
/// markup built outside a template.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
