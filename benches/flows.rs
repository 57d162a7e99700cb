//! Drives complete email-code flows against a running wiselink and Wise simulator:
//! seed a Wise user → PUT customer → POST /v1/links → read the code from the simulator's mailbox →
//! POST the code → `active`. Prints flows/s and p50/p99 for each call.
//!
//!   cargo bench --bench flows -- --api URL --sim URL --key API_KEY [--flows N] [--concurrency C]
//!       [--webhooks E] [--retries R] [--rate F]
//!
//! `--retries R` makes the driver a client that retries: a call that got no answer, or 502, 503
//! or 504 (a proxy without a server, Wise busy), is sent again up to R times, 250 ms apart and
//! with the same `Idempotency-Key` (with R > 0 every POST to wiselink carries one; without, none
//! does, as in the capacity runs recorded before); the figures count the calls that needed it. `--rate F` starts F flows a second (still at most C at once) instead of
//! as many as C allows.
//!
//! With `--webhooks E` the driver also runs a webhook receiver on loopback (answering 204),
//! registers E endpoints subscribed to every event type before the flows, and after them waits for
//! every delivery (two events per flow, to each endpoint): it prints how many arrived, how long
//! after the last flow the last one did, and deliveries per second over the whole run.
//!
//! scripts/bench-flows.sh starts both servers and runs this on SQLite and PostgreSQL.

use reqwest::Client;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Args {
    api: String,
    sim: String,
    key: String,
    flows: usize,
    concurrency: usize,
    webhooks: usize,
    retries: usize,
    rate: Option<f64>,
}

fn args() -> Args {
    let mut map = BTreeMap::new();
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < raw.len() {
        if let Some(name) = raw[i].strip_prefix("--")
            && let Some(value) = raw.get(i + 1)
        {
            map.insert(name.to_owned(), value.clone());
            i += 2;
        } else {
            i += 1;
        }
    }
    let get = |k: &str| {
        map.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("--{k} is required"))
    };
    Args {
        api: get("api"),
        sim: get("sim"),
        key: get("key"),
        flows: map
            .get("flows")
            .map_or(2000, |v| v.parse().expect("--flows is a number")),
        concurrency: map
            .get("concurrency")
            .map_or(64, |v| v.parse().expect("--concurrency is a number")),
        webhooks: map
            .get("webhooks")
            .map_or(0, |v| v.parse().expect("--webhooks is a number")),
        retries: map
            .get("retries")
            .map_or(0, |v| v.parse().expect("--retries is a number")),
        rate: map
            .get("rate")
            .map(|v| v.parse().expect("--rate is a number")),
    }
}

type Timings = Arc<Mutex<BTreeMap<&'static str, Vec<Duration>>>>;

/// Calls that were sent more than once.
static RETRIED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static RETRIES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();

/// Sends `request` (again, up to `--retries` times, when it got no answer or 502/503/504) and
/// records how long it took in all.
async fn timed(
    timings: &Timings,
    call: &'static str,
    request: reqwest::RequestBuilder,
) -> (u16, Value) {
    let started = Instant::now();
    let retries = *RETRIES.get().unwrap_or(&0);
    let mut tries = 0;
    let (status, body) = loop {
        let again = request.try_clone().expect("a body that can be sent again");
        let answer = match again.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                Some((status, response.json().await.unwrap_or(Value::Null)))
            }
            Err(e) if tries >= retries => panic!("{call}: {e}"),
            Err(_) => None,
        };
        match answer {
            Some((status, body)) if tries >= retries || !matches!(status, 502..=504) => {
                break (status, body);
            }
            _ => {
                if tries == 0 {
                    RETRIED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                tries += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };
    timings
        .lock()
        .unwrap()
        .entry(call)
        .or_default()
        .push(started.elapsed());
    (status, body)
}

/// `request` with an `Idempotency-Key` when the driver retries.
fn keyed(args: &Args, request: reqwest::RequestBuilder, key: String) -> reqwest::RequestBuilder {
    if args.retries > 0 {
        request.header("Idempotency-Key", key)
    } else {
        request
    }
}

async fn flow(
    client: &Client,
    args: &Args,
    run: &str,
    n: usize,
    timings: &Timings,
) -> Result<(), String> {
    let email = format!("flow-{run}-{n}@example.com");
    let customer_ref = format!("flow-{run}-{n}");
    let seed = json!({"email": email, "date_of_birth": "1990-04-17", "first_name": "Flow", "last_name": "Bench"});
    let (s, _) = timed(
        timings,
        "sim: seed user",
        client.post(format!("{}/__sim/users", args.sim)).json(&seed),
    )
    .await;
    if s != 201 {
        return Err(format!("seed {s}"));
    }
    let customer = json!({"email": email, "date_of_birth": "1990-04-17", "first_name": "Flow", "last_name": "Bench"});
    let put = client
        .put(format!("{}/v1/customers/{customer_ref}", args.api))
        .bearer_auth(&args.key)
        .json(&customer);
    let (s, _) = timed(timings, "PUT /v1/customers/{ref}", put).await;
    if s != 201 {
        return Err(format!("customer {s}"));
    }
    let start = keyed(
        args,
        client
            .post(format!("{}/v1/links", args.api))
            .bearer_auth(&args.key),
        format!("start-{run}-{n}"),
    )
    .json(&json!({"customer_ref": customer_ref}));
    let (s, link) = timed(timings, "POST /v1/links", start).await;
    if s != 201 || link["state"] != "awaiting_code" {
        return Err(format!("start {s} {link}"));
    }
    let mailbox = client
        .get(format!("{}/__sim/mailbox", args.sim))
        .query(&[("to", &email)]);
    let (_, mail) = timed(timings, "sim: read mailbox", mailbox).await;
    let code = mail[0]["authorization_code"]
        .as_str()
        .ok_or("no mail")?
        .to_owned();
    let id = link["id"].as_str().ok_or("no id")?;
    let session = link["link_session_token"].as_str().ok_or("no session")?;
    let submit = keyed(
        args,
        client
            .post(format!("{}/v1/links/{id}/code", args.api))
            .bearer_auth(session),
        format!("code-{run}-{n}"),
    )
    .json(&json!({"code": code}));
    let (s, done) = timed(timings, "POST /v1/links/{id}/code", submit).await;
    if s != 200 || done["state"] != "active" {
        return Err(format!("code {s} {done}"));
    }
    Ok(())
}

/// A receiver on loopback that counts the deliveries it accepts.
struct Receiver {
    url: String,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
    last: Arc<Mutex<Option<Instant>>>,
}

async fn receiver() -> Receiver {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let last = Arc::new(Mutex::new(None));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("receiver port");
    let url = format!("http://{}/hooks", listener.local_addr().expect("address"));
    let (count, when) = (Arc::clone(&accepted), Arc::clone(&last));
    let server = HttpServer::new(move || {
        let (count, when) = (Arc::clone(&count), Arc::clone(&when));
        App::new().default_service(web::to(move |_body: web::Bytes| {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            *when.lock().unwrap() = Some(Instant::now());
            async { HttpResponse::NoContent().finish() }
        }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("receiver listens")
    .run();
    tokio::spawn(server);
    Receiver {
        url,
        accepted,
        last,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args = Arc::new(args());
    RETRIES.set(args.retries).expect("set once");
    let client = Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()
        .expect("client");
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let timings: Timings = Arc::default();
    let hooks = if args.webhooks > 0 {
        let receiver = receiver().await;
        for _ in 0..args.webhooks {
            let registered = client
                .post(format!("{}/v1/webhook-endpoints", args.api))
                .bearer_auth(&args.key)
                .json(&json!({"url": receiver.url, "events": ["*"]}))
                .send()
                .await
                .expect("endpoint registered");
            assert_eq!(registered.status().as_u16(), 201, "endpoint registered");
        }
        Some(receiver)
    } else {
        None
    };
    let gate = Arc::new(tokio::sync::Semaphore::new(args.concurrency));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.flows);
    for n in 0..args.flows {
        if let Some(rate) = args.rate {
            let due = started + Duration::from_secs_f64(n as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
        }
        let permit = Arc::clone(&gate).acquire_owned().await.expect("semaphore");
        let (client, args, run, timings) = (
            client.clone(),
            Arc::clone(&args),
            run.clone(),
            Arc::clone(&timings),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            flow(&client, &args, &run, n, &timings).await
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        if let Err(e) = t.await.expect("flow task") {
            failures.push(e);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let ok = args.flows - failures.len();
    println!(
        "{ok} flows completed, {} failed, in {elapsed:.2} s: {:.0} complete flows/s at concurrency {}",
        failures.len(),
        ok as f64 / elapsed,
        args.concurrency
    );
    if args.retries > 0 {
        println!(
            "  {} calls were sent again (no answer, or 502/503/504)",
            RETRIED.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    for (call, mut times) in timings.lock().unwrap().clone() {
        times.sort();
        println!(
            "  {call:<28} n={:<6} p50 {:>7.2} ms   p99 {:>7.2} ms",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    if let Some(hooks) = hooks {
        let expected = 2 * ok * args.webhooks;
        let flows_done = Instant::now();
        while hooks.accepted.load(std::sync::atomic::Ordering::SeqCst) < expected
            && flows_done.elapsed() < Duration::from_secs(600)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let got = hooks.accepted.load(std::sync::atomic::Ordering::SeqCst);
        let last = hooks.last.lock().unwrap().unwrap_or(flows_done);
        let lag = last.saturating_duration_since(flows_done).as_secs_f64();
        let whole = last.duration_since(started).as_secs_f64();
        println!(
            "  webhooks: {got} of {expected} deliveries to {} endpoint(s); the last {lag:.2} s after the last flow; {:.0} deliveries/s over the run",
            args.webhooks,
            got as f64 / whole
        );
        if got < expected {
            eprintln!("not every event was delivered");
            std::process::exit(1);
        }
    }
    if let Some(first) = failures.first() {
        eprintln!("first failure: {first}");
        std::process::exit(1);
    }
}
