//! The floor for wiselink's hot reads: actix-web and one read of a customer row by its
//! `customer_ref`, answered with the JSON `GET /v1/customers/{ref}` gives, and nothing else (no
//! middleware, no authentication). `scripts/bench-reads.sh` runs it beside `wiselink serve` on
//! the same database, so what wiselink adds to a read is measured in the same run.
//!
//! ```text
//! wiselink-floor <database-url> <port> [pool size]
//! ```
//!
//! Routes, each the same read through another driver design:
//! - `/healthz`: no read;
//! - `/blocking/{ref}`: diesel on an r2d2 pool, in `web::block` (both backends);
//! - `/async/{ref}`: `diesel-async` on a deadpool pool that recycles without a round trip
//!   (PostgreSQL);
//! - `/local/{ref}`: the same as `/async`, with a pool of its own for each worker, so a
//!   connection's driver task runs on the thread that asks it (PostgreSQL);
//! - `/inline/{ref}`: diesel on an r2d2 pool, on the worker thread itself (SQLite).

use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use diesel::prelude::*;
use diesel::r2d2::ConnectionManager;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};

diesel::table! {
    customers (id) {
        id -> BigInt,
        customer_ref -> Text,
        email -> Nullable<Text>,
        date_of_birth -> Nullable<Date>,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        language -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = customers)]
struct Row {
    customer_ref: String,
    email: Option<String>,
    date_of_birth: Option<NaiveDate>,
    first_name: Option<String>,
    last_name: Option<String>,
    language: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(serde::Serialize)]
struct View {
    customer_ref: String,
    email: String,
    date_of_birth: String,
    first_name: String,
    last_name: String,
    language: String,
    created_at: String,
    updated_at: String,
}

impl From<Row> for View {
    fn from(row: Row) -> Self {
        let at = |t| DateTime::<Utc>::from_naive_utc_and_offset(t, Utc);
        Self {
            customer_ref: row.customer_ref,
            email: row.email.unwrap_or_default(),
            date_of_birth: row
                .date_of_birth
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            first_name: row.first_name.unwrap_or_default(),
            last_name: row.last_name.unwrap_or_default(),
            language: row.language,
            created_at: at(row.created_at).to_rfc3339_opts(SecondsFormat::Micros, true),
            updated_at: at(row.updated_at).to_rfc3339_opts(SecondsFormat::Micros, true),
        }
    }
}

#[derive(diesel::MultiConnection)]
enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

type Blocking = r2d2::Pool<ConnectionManager<AnyConnection>>;

fn found(row: QueryResult<Option<Row>>) -> HttpResponse {
    match row {
        Ok(Some(row)) => HttpResponse::Ok().json(View::from(row)),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

fn read(conn: &mut AnyConnection, customer_ref: &str) -> QueryResult<Option<Row>> {
    customers::table
        .filter(customers::customer_ref.eq(customer_ref))
        .select(Row::as_select())
        .first(conn)
        .optional()
}

async fn blocking(pool: web::Data<Blocking>, path: web::Path<String>) -> HttpResponse {
    let pool = pool.into_inner();
    let answer = web::block(move || {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        Ok::<_, String>(read(&mut conn, &path))
    })
    .await;
    match answer {
        Ok(Ok(row)) => found(row),
        _ => HttpResponse::ServiceUnavailable().finish(),
    }
}

async fn inline(pool: web::Data<Blocking>, path: web::Path<String>) -> HttpResponse {
    match pool.get() {
        Ok(mut conn) => found(read(&mut conn, &path)),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

/// A worker's own async pool, for `/local`.
struct Local(Option<Pool<AsyncPgConnection>>);

async fn local(pool: web::Data<Local>, path: web::Path<String>) -> HttpResponse {
    async_read(pool.0.as_ref(), &path).await
}

async fn asynchronous(
    pool: web::Data<Option<Pool<AsyncPgConnection>>>,
    path: web::Path<String>,
) -> HttpResponse {
    async_read(pool.as_ref().as_ref(), &path).await
}

async fn async_read(pool: Option<&Pool<AsyncPgConnection>>, customer_ref: &str) -> HttpResponse {
    let Some(pool) = pool else {
        return HttpResponse::NotFound().finish();
    };
    let Ok(mut conn) = pool.get().await else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let query = customers::table
        .filter(customers::customer_ref.eq(customer_ref))
        .select(Row::as_select());
    let row = diesel_async::RunQueryDsl::first(query, &mut conn)
        .await
        .optional();
    found(row)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(url), Some(port)) = (args.get(1), args.get(2).and_then(|p| p.parse::<u16>().ok()))
    else {
        eprintln!("usage: wiselink-floor <database-url> <port> [pool size]");
        std::process::exit(2);
    };
    let size: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(8);
    let url = url.strip_prefix("sqlite://").unwrap_or(url).to_owned();
    let blocking_pool = r2d2::Pool::builder()
        .max_size(u32::try_from(size).unwrap_or(8))
        .build(ConnectionManager::<AnyConnection>::new(url.clone()))
        .map_err(std::io::Error::other)?;
    let async_pool = async_pool_of(&url, size);
    let (blocking_pool, async_pool) = (web::Data::new(blocking_pool), web::Data::new(async_pool));
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    HttpServer::new(move || {
        App::new()
            .app_data(blocking_pool.clone())
            .app_data(async_pool.clone())
            .app_data(web::Data::new(Local(async_pool_of(&url, size / workers))))
            .route("/healthz", web::get().to(HttpResponse::Ok))
            .route("/blocking/{ref}", web::get().to(blocking))
            .route("/inline/{ref}", web::get().to(inline))
            .route("/async/{ref}", web::get().to(asynchronous))
            .route("/local/{ref}", web::get().to(local))
    })
    .workers(workers)
    .worker_max_blocking_threads((size / workers).max(2))
    .bind(("127.0.0.1", port))?
    .run()
    .await
}

/// An async pool of `size` connections, none open yet (PostgreSQL only).
fn async_pool_of(url: &str, size: usize) -> Option<Pool<AsyncPgConnection>> {
    url.starts_with("postgres").then(|| {
        let mut config = ManagerConfig::default();
        config.recycling_method = RecyclingMethod::Fast;
        let manager =
            AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
        Pool::builder(manager)
            .max_size(size.max(1))
            .build()
            .expect("a pool without connections yet")
    })
}
