//! The token refresher under a full backlog: N active links on PostgreSQL whose access tokens all
//! fall due at once, drained by a `wiselink serve` (release build) against the Wise simulator.
//! Prints refreshes per second, the serve process's memory before, during and after, and checks
//! that every link was refreshed exactly once and holds a token Wise takes.
//!
//!   scripts/bench-refresh.sh            (starts the simulator, makes a database, runs this)
//!
//! Reads: BENCH_SIM (simulator URL), BENCH_DATABASE_URL (an empty, migrated PostgreSQL database),
//! BENCH_SERVE_BIN (the wiselink binary), BENCH_LINKS (default 100000), BENCH_CHECKS (links whose
//! token is checked at the end, default 1000), BENCH_PORT (default 18392), and passes
//! WISELINK__TOKENS__* and WISELINK__DATABASE__POOL_SIZE through to `serve`. With BENCH_SEED_ONLY=1
//! it only seeds the links, all due now, and exits: `scripts/bench-budget.sh` drains them with a
//! fleet.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Instant;
use wiselink::crypto::{Aad, KeyRing};
use wiselink::db::schema::{customers, link_reviews, link_tokens, links};
use wiselink::db::{Db, DbConnection};
use wiselink::domain::LinkId;
use wiselink::settings::{Settings, Sources};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn count(conn: &mut DbConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<N>(conn)
        .expect("count")
        .n
}

/// Customers and active links for the simulator's linked users, tokens sealed as wiselink seals
/// them, not due yet.
fn seed(conn: &mut DbConnection, keys: &KeyRing, users: &[Value]) {
    // Multi-row inserts are PostgreSQL's (the benchmark's backend), not the portable connection's.
    let DbConnection::Postgresql(conn) = conn else {
        panic!("the refresher benchmark runs on PostgreSQL");
    };
    let t = now();
    for chunk in users.chunks(1000) {
        let rows: Vec<_> = chunk
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let email = u["email"].as_str().unwrap().to_owned();
                (
                    customers::customer_ref.eq(format!("bench-{}", u["user_id"])),
                    customers::email.eq(email),
                    customers::date_of_birth
                        .eq(chrono::NaiveDate::from_ymd_opt(1990, 4, 17).unwrap()),
                    customers::first_name.eq("Ada"),
                    customers::last_name.eq("Lovelace"),
                    customers::language.eq("EN"),
                    customers::wise_user_id.eq(u["user_id"].as_i64()),
                    customers::created_at.eq(t + Duration::microseconds(i as i64)),
                    customers::updated_at.eq(t),
                )
            })
            .collect();
        let ids: Vec<i64> = diesel::insert_into(customers::table)
            .values(&rows)
            .returning(customers::id)
            .get_results(conn)
            .expect("customers");
        let link_ids: Vec<LinkId> = chunk.iter().map(|_| LinkId::generate()).collect();
        let (links, upkeep): (Vec<_>, Vec<_>) = chunk
            .iter()
            .zip(ids)
            .zip(&link_ids)
            .map(|((u, customer_id), id)| {
                let seal = |column: &'static str, value: &str| {
                    keys.seal(
                        value.as_bytes(),
                        Aad {
                            table: "links",
                            column,
                            row: id.as_str(),
                        },
                    )
                };
                (
                    (
                        links::id.eq(id.as_str().to_owned()),
                        links::customer_id.eq(customer_id),
                        links::flow.eq("email_code"),
                        links::origin.eq("linked"),
                        links::state.eq("active"),
                        links::signup_email.eq(u["email"].as_str().unwrap().to_owned()),
                        links::wise_user_id.eq(u["user_id"].as_i64()),
                        links::wise_profile_id.eq(u["profile_id"].as_i64()),
                        links::attempts_remaining.eq(5),
                        links::created_at.eq(t),
                        links::updated_at.eq(t),
                    ),
                    (
                        link_tokens::link_id.eq(id.as_str().to_owned()),
                        link_tokens::access_token
                            .eq(seal("access_token", u["access_token"].as_str().unwrap())),
                        link_tokens::refresh_token
                            .eq(seal("refresh_token", u["refresh_token"].as_str().unwrap())),
                        link_tokens::access_expires_at.eq(t + Duration::hours(12)),
                        link_tokens::refresh_due_at.eq(t + Duration::days(1)),
                    ),
                )
            })
            .unzip();
        let reviews: Vec<_> = link_ids
            .iter()
            .map(|id| link_reviews::link_id.eq(id.as_str().to_owned()))
            .collect();
        diesel::insert_into(links::table)
            .values(&links)
            .execute(conn)
            .expect("links");
        diesel::insert_into(link_tokens::table)
            .values(&upkeep)
            .execute(conn)
            .expect("link_tokens");
        diesel::insert_into(link_reviews::table)
            .values(&reviews)
            .execute(conn)
            .expect("link_reviews");
    }
}

fn serve(bin: &str, database_url: &str, sim: &str, port: &str) -> Child {
    let mut cmd = Command::new(bin);
    cmd.arg("serve")
        .env("WISELINK__DATABASE__URL", database_url)
        .env("WISELINK__SERVER__PORT", port)
        .env("WISELINK__WISE__API_URL", sim)
        .env(
            "WISELINK__WISE__AUTHORIZE_URL",
            format!("{sim}/oauth/authorize/"),
        )
        .env("WISELINK__TOKENS__REFRESH_INTERVAL_SECS", "1")
        .env("WISELINK__MAIL__TRANSPORT", "dev")
        .env("WISELINK__LOG__FILTER", "warn")
        .stdout(Stdio::null());
    cmd.spawn().expect("serve starts")
}

#[tokio::main]
async fn main() {
    let sim = env("BENCH_SIM", "http://127.0.0.1:18393");
    let database_url = std::env::var("BENCH_DATABASE_URL").expect("BENCH_DATABASE_URL");
    let bin = env("BENCH_SERVE_BIN", "");
    let n: usize = env("BENCH_LINKS", "100000").parse().expect("BENCH_LINKS");
    let checks: usize = env("BENCH_CHECKS", "1000").parse().expect("BENCH_CHECKS");
    let port = env("BENCH_PORT", "18392");
    let settings = Settings::load(&Sources::defaults_with(vec![(
        "WISELINK__DATABASE__URL".into(),
        database_url.clone(),
    )]))
    .expect("settings");
    let keys = KeyRing::parse(&settings.crypto.keys).expect("keys");
    let db = Db::connect(&settings.database).expect("database");
    let http = reqwest::Client::new();

    let started = Instant::now();
    let users: Vec<Value> = http
        .post(format!("{sim}/__sim/linked-users"))
        .json(&json!({"count": n, "email_prefix": "bench", "date_of_birth": "1990-04-17"}))
        .send()
        .await
        .expect("simulator")
        .json()
        .await
        .expect("linked users");
    let mut conn = db.get().expect("connection");
    seed(&mut conn, &keys, &users);
    diesel::sql_query("VACUUM ANALYZE links, link_tokens, link_reviews")
        .execute(&mut **conn)
        .ok();
    println!(
        "seeded {n} active links in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let all_due = |conn: &mut DbConnection| {
        diesel::update(link_tokens::table)
            .set(link_tokens::refresh_due_at.eq(now() - Duration::seconds(1)))
            .execute(conn)
            .expect("due")
    };
    if env("BENCH_SEED_ONLY", "0") == "1" {
        all_due(&mut conn);
        return;
    }
    let key = wiselink::services::api_keys::create(
        &mut conn,
        "bench",
        wiselink::services::api_keys::KeyMode::Live,
        now(),
    )
    .expect("api key");

    assert!(!bin.is_empty(), "BENCH_SERVE_BIN names the wiselink binary");
    let mut child = serve(&bin, &database_url, &sim, &port);
    let base = format!("http://127.0.0.1:{port}");
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let rss_before = rss_mib(child.id());

    // Every token falls due at once.
    all_due(&mut conn);
    let drain = Instant::now();
    let (mut peak, mut samples) = (rss_before, Vec::new());
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let due = count(
            &mut conn,
            &format!(
                "SELECT COUNT(*) AS n FROM link_tokens WHERE refresh_due_at <= '{}'",
                now().format("%Y-%m-%d %H:%M:%S%.6f")
            ),
        );
        let rss = rss_mib(child.id());
        peak = peak.max(rss);
        samples.push(rss);
        if due == 0 {
            break;
        }
        assert!(
            drain.elapsed().as_secs() < 900,
            "not drained in 15 minutes: {due} due"
        );
    }
    let seconds = drain.elapsed().as_secs_f64();
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let rss_after = rss_mib(child.id());

    let once = count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM link_tokens WHERE refresh_generation = 2 AND refreshed_at IS NOT NULL",
    );
    let more = count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM link_tokens WHERE refresh_generation > 2",
    );
    let not_active = count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM links WHERE state <> 'active'",
    );

    // A sample of links: the token the partner gets now is one Wise takes.
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let sample: Vec<Id> = diesel::sql_query(format!(
        "SELECT id FROM links ORDER BY random() LIMIT {checks}"
    ))
    .load(&mut **conn)
    .expect("sample");
    let mut live = 0;
    use secrecy::ExposeSecret;
    for Id { id } in &sample {
        let answer: Value = http
            .post(format!("{base}/v1/links/{id}/access-token"))
            .bearer_auth(key.token.expose_secret())
            .send()
            .await
            .expect("access token")
            .json()
            .await
            .expect("json");
        let Some(token) = answer["access_token"].as_str() else {
            continue;
        };
        let me = http
            .get(format!("{sim}/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("me");
        if me.status().is_success() {
            live += 1;
        }
    }
    let _ = child.kill();
    let _ = child.wait();

    samples.sort_by(f64::total_cmp);
    let median = samples.get(samples.len() / 2).copied().unwrap_or(0.0);
    println!("links                     {n}");
    println!("drained in                {seconds:.1} s");
    println!("refreshes per second      {:.0}", n as f64 / seconds);
    println!("serve RSS before          {rss_before:.1} MiB");
    println!("serve RSS while draining  median {median:.1} MiB, peak {peak:.1} MiB");
    println!("serve RSS after           {rss_after:.1} MiB");
    println!("refreshed exactly once    {once} of {n}");
    println!("refreshed more than once  {more}");
    println!("links not active          {not_active}");
    println!("sampled tokens Wise takes {live} of {}", sample.len());
}
