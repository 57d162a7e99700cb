//! `POST /v1/links/import`: the rows of an import as the request body (JSON Lines or CSV),
//! streamed both ways — rows are read as they arrive, and each one's outcome is answered as a
//! JSON line as it ends, then the summary. The same import as `wiselink import`.

use crate::http::body::media_type;
use crate::http::{FieldError, Problem};
use crate::routes::api::auth::ApiKeyAuth;
use crate::services::import::records::Records;
use crate::services::import::{ImportError, Importer, RowReport};
use crate::services::links::LinkService;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Payload};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::{StreamExt, stream};
use serde::Serialize;
use utoipa::ToSchema;

/// Rows proven at once for one request.
const CONCURRENCY: usize = 4;
/// The body types taken: JSON Lines (under its usual names) and CSV.
const MEDIA_TYPES: [&str; 4] = [
    "application/x-ndjson",
    "application/jsonl",
    "application/json-lines",
    "text/csv",
];

/// One row of an import (a JSON Lines object, or a CSV record under a header naming these
/// fields). Unknown fields are refused.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportRowInput {
    /// The partner's id for the customer: 1–64 of A–Z a–z 0–9 . _ : -
    customer_ref: String,
    #[schema(example = "ada@example.com")]
    email: String,
    #[schema(format = Date, example = "1990-04-17")]
    date_of_birth: String,
    first_name: String,
    last_name: String,
    /// Defaults to EN.
    language: Option<String>,
    /// Wise's user id (a number, or a string of digits).
    wise_user_id: i64,
    /// Wise's personal profile id of that user.
    wise_profile_id: i64,
    /// The refresh token the partner holds for the user. Sealed from the first write; never
    /// answered, logged or mailed.
    refresh_token: String,
    /// For a Wise user the partner created: the registration code it was created with.
    registration_code: Option<String>,
    /// The email the Wise user signed up with, when it is not `email`.
    signup_email: Option<String>,
}

/// The last line of an import's answer.
#[derive(Serialize, ToSchema)]
pub struct ImportEnd {
    /// The counts, present when every row was read.
    #[schema(value_type = Option<Object>)]
    summary: Option<crate::services::import::Summary>,
    /// `imported N, unchanged N, failed N`.
    line: Option<String>,
    /// Why the rest of the body could not be read (the rows before it are answered).
    error: Option<String>,
}

/// Import links the partner already holds (partner API key only).
///
/// The body is JSON Lines (one row per line) or CSV with a header line. Each row is proven
/// before it counts: a refresh at Wise with the row's refresh token, then the identity check of a
/// fresh link. The answer (200, `application/x-ndjson`) streams one line per row as it ends —
/// `outcome` `imported` (the link is active), `unchanged` (already imported) or `failed` with a
/// `code` — then a last line with the summary. Sending the same rows again changes nothing; a
/// cut-off import is finished by sending it again. No `Idempotency-Key`: the import itself is
/// idempotent.
#[utoipa::path(
    post,
    path = "/v1/links/import",
    tag = "links",
    request_body(content(
        (ImportRowInput = "application/x-ndjson"),
        (ImportRowInput = "text/csv"),
    )),
    responses(
        (status = 200, description = "One line per row, in the order rows end, then the summary line", content(
            (RowReport = "application/x-ndjson"),
        )),
        (status = 401, description = "Missing or invalid API key"),
        (status = 415, description = "The body is not JSON Lines or CSV"),
        (status = 422, description = "The CSV header names an unknown field, a field twice, or lacks a required one (`invalid_header`)"),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(name = "import_links", skip_all)]
pub async fn import_links(
    auth: ApiKeyAuth,
    req: HttpRequest,
    payload: Payload,
    links: web::Data<LinkService>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    if !media_type(&req).is_some_and(|m| MEDIA_TYPES.contains(&m.as_str())) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
        )
        .detail("Send the rows as application/x-ndjson (JSON Lines) or text/csv."));
    }
    let (head, rest) = first_line(payload).await?;
    let importer = Importer {
        links: links.into_inner(),
        stale_after: chrono::Duration::seconds(
            state.settings.workers.recovery_stale_after_secs.into(),
        ),
        concurrency: CONCURRENCY,
        actor: auth.actor(),
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
    let input = stream::iter(
        head.into_iter()
            .map(Ok::<_, actix_web::error::PayloadError>),
    )
    .chain(rest);
    actix_web::rt::spawn(async move {
        let ran = importer
            .run(Box::pin(input), |row: RowReport| {
                let _ = tx.send(json_line(&row));
            })
            .await;
        let end = match ran {
            Ok(summary) => ImportEnd {
                line: Some(summary.line()),
                summary: Some(summary),
                error: None,
            },
            Err(e) => ImportEnd {
                summary: None,
                line: None,
                error: Some(e.to_string()),
            },
        };
        let _ = tx.send(json_line(&end));
    });
    let body = stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|line| (Ok::<_, actix_web::Error>(line), rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body))
}

/// Reads the body up to its first line that is not blank, so a wrong CSV header is refused with
/// a 422 before the answer starts. Returns what was read, and the rest of the body.
async fn first_line(mut payload: Payload) -> Result<(Vec<Bytes>, Payload), Problem> {
    let mut records = Records::default();
    let mut head = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| crate::http::RequestError::BodyUnreadable.problem())?;
        let seen = records
            .push(&chunk)
            .map_err(|e| header_problem(&ImportError::Header(e)))?;
        head.push(chunk);
        if !seen.is_empty() || records.past_header() {
            break;
        }
    }
    Ok((head, payload))
}

fn header_problem(e: &ImportError) -> Problem {
    Problem::validation(vec![FieldError {
        field: "header".into(),
        code: "invalid_header".into(),
        message: e.to_string(),
    }])
}

fn json_line(value: &impl Serialize) -> Bytes {
    let mut line = serde_json::to_vec(value).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}
