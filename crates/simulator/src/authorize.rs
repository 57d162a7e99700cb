//! Wise's browser pages: the authorization page (login + consent, then a redirect with `code`,
//! `state` and `profileId`, or `error`) and the email-flow page that shows a code. The simulator
//! accepts any non-empty password for an existing user.

use super::Simulator;
use super::state::SimState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/authorize/", web::get().to(page))
        .route("/oauth/authorize/", web::post().to(decide))
        .route("/oauth/authorize/email/{ticket}", web::get().to(email_page))
        .route(
            "/oauth/authorize/email/{ticket}",
            web::post().to(email_login),
        );
}

#[derive(Template)]
#[template(path = "authorize.html")]
struct AuthorizePage {
    action: String,
    client_id: String,
    redirect_uri: String,
    state: String,
    claim_account_code: String,
    claiming: bool,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "show_code.html")]
struct ShowCode {
    code: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    message: String,
}

#[derive(Debug, Default, Deserialize)]
struct AuthorizeForm {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    claim_account_code: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    decision: String,
}

fn error_page(message: &str) -> HttpResponse {
    render_status(
        ErrorPage {
            message: message.to_owned(),
        },
        StatusCode::BAD_REQUEST,
    )
}

/// Checks the client, the exact redirect URI and any claim code; returns a message if wrong.
fn check(sim: &Simulator, state: &SimState, form: &AuthorizeForm) -> Result<(), &'static str> {
    if form.client_id != sim.client.id {
        return Err("Unknown client_id.");
    }
    if form.redirect_uri != sim.client.redirect_uri {
        return Err("redirect_uri does not match the registered redirect URL.");
    }
    if !form.claim_account_code.is_empty() {
        let valid = state
            .codes
            .claim_code(&form.claim_account_code)
            .is_some_and(|c| c.expires_at > sim.clock.now_utc());
        if !valid {
            return Err("This account set-up link has expired. Go back to the app and try again.");
        }
    }
    Ok(())
}

fn form_page(form: &AuthorizeForm, action: String, error: Option<String>) -> AuthorizePage {
    AuthorizePage {
        action,
        client_id: form.client_id.clone(),
        redirect_uri: form.redirect_uri.clone(),
        state: form.state.clone(),
        claim_account_code: form.claim_account_code.clone(),
        claiming: !form.claim_account_code.is_empty(),
        email: form.email.clone(),
        error,
    }
}

async fn page(query: web::Query<AuthorizeForm>, sim: web::Data<Simulator>) -> HttpResponse {
    let form = query.into_inner();
    if let Err(message) = check(&sim, &sim.lock(), &form) {
        return error_page(message);
    }
    let page = form_page(&form, "/oauth/authorize/".to_owned(), None);
    render(page)
}

async fn decide(form: web::Form<AuthorizeForm>, sim: web::Data<Simulator>) -> HttpResponse {
    let form = form.into_inner();
    let now = sim.clock.now_utc();
    let mut state = sim.lock();
    if let Err(message) = check(&sim, &state, &form) {
        return error_page(message);
    }
    if form.decision != "allow" {
        return redirect(
            &form.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "The user denied access."),
                ("state", &form.state),
            ],
        );
    }
    let user_id = if form.claim_account_code.is_empty() {
        match state.people.user_by_email(&form.email).map(|u| u.id) {
            Some(id) if !form.password.is_empty() => id,
            _ => {
                drop(state);
                return render(form_page(
                    &form,
                    "/oauth/authorize/".to_owned(),
                    Some("Wrong email or password.".into()),
                ));
            }
        }
    } else {
        let Some(claim) = state.codes.take_claim_code(&form.claim_account_code) else {
            return error_page("This account set-up link has expired.");
        };
        if let Some(user) = state.people.user_mut(claim.user_id) {
            user.reclaimed = true;
        }
        claim.user_id
    };
    let profile = state.people.default_profile(user_id);
    let code = state.codes.new_auth_code(&sim.client, user_id, now);
    let profile = profile.map(|p| p.to_string()).unwrap_or_default();
    redirect(
        &form.redirect_uri,
        &[
            ("code", &code),
            ("state", &form.state),
            ("profileId", &profile),
        ],
    )
}

async fn email_page(ticket: web::Path<String>, sim: web::Data<Simulator>) -> HttpResponse {
    if sim.lock().codes.email_ticket(ticket.as_str()).is_none() {
        return error_page("This link is not valid.");
    }
    let form = AuthorizeForm {
        client_id: sim.client.id.clone(),
        ..Default::default()
    };
    render(form_page(
        &form,
        format!("/oauth/authorize/email/{ticket}"),
        None,
    ))
}

async fn email_login(
    ticket: web::Path<String>,
    form: web::Form<AuthorizeForm>,
    sim: web::Data<Simulator>,
) -> HttpResponse {
    let state = sim.lock();
    let Some(code) = state.codes.email_ticket(ticket.as_str()).cloned() else {
        return error_page("This link is not valid.");
    };
    let owner = state.codes.auth_code(&code).map(|c| c.user_id);
    let user = state.people.user_by_email(&form.email).map(|u| u.id);
    if form.decision != "allow" {
        return error_page("You denied access. You can close this page.");
    }
    if owner.is_none() || owner != user || form.password.is_empty() {
        drop(state);
        let page = AuthorizeForm {
            client_id: sim.client.id.clone(),
            email: form.email.clone(),
            ..Default::default()
        };
        return render(form_page(
            &page,
            format!("/oauth/authorize/email/{ticket}"),
            Some("Wrong email or password.".into()),
        ));
    }
    render(ShowCode { code })
}

fn render<T: Template>(page: T) -> HttpResponse {
    render_status(page, StatusCode::OK)
}

fn render_status<T: Template>(page: T, status: StatusCode) -> HttpResponse {
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body(html),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// `redirect_uri` with the parameters appended (it may already carry a query string).
fn redirect(redirect_uri: &str, params: &[(&str, &str)]) -> HttpResponse {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return error_page("redirect_uri is not a URL."),
    };
    {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
            pairs.append_pair(k, v);
        }
    }
    HttpResponse::Found()
        .insert_header(("Location", url.to_string()))
        .finish()
}
