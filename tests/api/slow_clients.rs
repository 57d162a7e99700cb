//! A client that announces a body and never sends it cannot hold a connection: the whole body
//! must arrive within `server.request_read_timeout_secs`, else 408 and the connection closes.

use crate::helpers::spawn_app_with;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_body_that_never_arrives_gets_408_and_the_connection_closes() {
    let app = spawn_app_with(&[("WISELINK__SERVER__REQUEST_READ_TIMEOUT_SECS", "1")]).await;
    let host = app.address.trim_start_matches("http://").to_owned();
    for path in ["/v1/links", "/v1/customers/slow-1"] {
        let method = if path == "/v1/links" { "POST" } else { "PUT" };
        let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{",
            app.api_key
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let began = Instant::now();
        let mut answer = Vec::new();
        // Read until the server closes the connection (or give up well past the deadline).
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
            .await
            .expect("the server closed the connection");
        read.unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(
            answer.contains("\"code\":\"request_timeout\""),
            "{path}: {answer}"
        );
        assert!(
            began.elapsed() < Duration::from_secs(5),
            "{path}: held for {:?}",
            began.elapsed()
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers").await, 0);
}
