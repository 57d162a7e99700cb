//! The hot reads' own pool (`db/reader.rs`): on PostgreSQL an async pool beside the blocking one,
//! reached over TLS when `database.url` asks for it, and shown in the metrics.

use crate::helpers::spawn_app;
use reqwest::StatusCode;

#[tokio::test]
async fn on_postgres_the_hot_reads_use_tls_when_the_url_requires_it_and_show_in_metrics() {
    let app = spawn_app().await;
    if !app.database().is_postgres() {
        return;
    }
    assert_eq!(
        app.put_customer("tls-1", &crate::helpers::customer_body())
            .await
            .status(),
        StatusCode::CREATED
    );
    let read = app.get_customer("tls-1").await;
    assert_eq!(read.status(), StatusCode::OK);
    let metrics = crate::ops::metrics_text(&app).await;
    assert!(
        metrics.contains("db_read_pool_connections{state=\"open\"} 1")
            && metrics.contains("db_read_pool_max_connections 8"),
        "{metrics}"
    );
    // The test database's URL says sslmode=disable: the read pool's connection is plain.
    let name = app.database().url().rsplit('/').next().unwrap();
    let name = name.split('?').next().unwrap().to_owned();
    let encrypted = |db: &str| {
        format!(
            "SELECT count(*) AS n FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.datname = '{db}' AND a.application_name = '' AND s.ssl"
        )
    };
    assert_eq!(app.count(&encrypted(&name)).await, 0);

    // The same database with sslmode=require (the local server offers TLS): the read is the
    // same, and it went over TLS.
    let url = app
        .database()
        .url()
        .replace("sslmode=disable", "sslmode=require");
    assert!(url.contains("sslmode=require"), "{url}");
    let settings = crate::helpers::settings(&url, &[]);
    let db = wiselink::db::Db::connect(&settings.database).expect("the database over TLS");
    let customer_ref = wiselink::domain::CustomerRef::parse("tls-1").unwrap();
    let found = wiselink::db::customers::read(&db, &customer_ref)
        .await
        .expect("the read over TLS")
        .expect("the customer");
    assert_eq!(found.customer_ref(), "tls-1");
    // The start-up probe (libpq, also over TLS) is closed by now; the read pool's connection
    // stays open, encrypted.
    let started = std::time::Instant::now();
    while app.count(&encrypted(&name)).await != 1 {
        assert!(started.elapsed().as_secs() < 5, "no TLS connection");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
