//! When and how often problems are logged.

use super::*;
use std::sync::{Arc, Mutex};

/// Log output kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[test]
fn an_unexpected_failure_is_logged_once_when_it_becomes_a_response() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let cause = anyhow::anyhow!("disk on fire");
        let problem = Problem::unexpected(&cause);
        // Asking for the status (as `ResponseError::status_code` does) builds it again.
        assert_eq!(Problem::unexpected(&cause).status(), 500);
        assert!(logs.text().is_empty(), "building a problem logs nothing");
        assert_eq!(problem.response().status(), 500);
        assert!(
            !serde_json::to_string(&problem).unwrap().contains("disk"),
            "the cause never reaches the body"
        );
    });
    let text = logs.text();
    assert_eq!(
        text.matches("request failed unexpectedly").count(),
        1,
        "{text}"
    );
    assert_eq!(text.matches("disk on fire").count(), 1, "{text}");
}
