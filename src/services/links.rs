//! The email-code linking flow: start a link, take the customer's code, exchange it exactly once,
//! check the identity, and hand out access tokens for active links.

mod emails;
mod secrets;

pub use secrets::{SESSION_PREFIX, SessionToken, session_hash};

use crate::crypto::Aad;
use crate::db::customers::{self, CustomerRow};
use crate::db::links::{self, LinkChanges, LinkRow, NewLink, Refused, SealedColumn, Transition};
use crate::db::{self, DbError};
use crate::domain::{
    AuthorizationCode, CustomerRef, DateOfBirth, EmailAddress, LinkEvent, LinkState, WiseIdentity,
    assess,
};
use crate::domain::{ResendDecision, resend_decision};
use crate::state::AppState;
use crate::wise::{CreateUserOutcome, ErrorBody, ProfileKind, UserTokens, WiseError};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

pub const MAX_ATTEMPTS: i32 = 5;
pub const CODE_WINDOW_MINUTES: i64 = 30;
/// Access tokens expiring within this margin are refreshed before being handed out.
pub const REFRESH_MARGIN_SECS: i64 = 300;
/// How long after its code window a session token still opens its link.
pub const SESSION_GRACE_HOURS: i64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("no such customer")]
    CustomerNotFound,
    #[error("no such link")]
    LinkNotFound,
    #[error("the customer already has a link in progress or active")]
    LinkExists,
    #[error("Wise refused the customer's details")]
    WiseRefused {
        fields: Vec<(String, String, String)>,
    },
    #[error("Wise is unavailable")]
    WiseUnavailable { retry_after: Option<u64> },
    #[error("the link is {0}")]
    WrongState(LinkState),
    #[error("too many wrong codes")]
    Locked,
    #[error("wrong code")]
    InvalidCode { attempts_remaining: i32 },
    #[error("this code was already used")]
    CodeAlreadyUsed,
    #[error("the code window has closed")]
    CodeExpired,
    #[error("another request for this link is being processed")]
    Busy,
    #[error("the code could not be exchanged; a new code is needed")]
    ExchangeLost,
    #[error("Wise revoked access; the customer must link again")]
    RelinkRequired,
    #[error("a new code may be requested in {retry_after_secs} s")]
    ResendTooSoon { retry_after_secs: i64 },
    #[error("the daily resend limit is reached")]
    ResendLimitReached { retry_after_secs: i64 },
    #[error("the Wise account no longer exists")]
    WiseAccountGone,
    #[error("too many wrong codes for this customer today")]
    CustomerLimited { retry_after_secs: i64 },
    #[error("too many requests from this address")]
    IpLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<Refused> for LinkError {
    fn from(e: Refused) -> Self {
        match e {
            Refused::Stale(_) => Self::Busy,
            Refused::Illegal(i) => Self::WrongState(i.from),
        }
    }
}

/// A link just started, with the session token the app may hold (shown once).
pub struct Started {
    pub link: LinkRow,
    pub session_token: Option<SessionToken>,
}

fn aad<'a>(link_id: &'a str, column: &'a str) -> Aad<'a> {
    Aad {
        table: "links",
        column,
        row: link_id,
    }
}

/// A timestamp as stored: UTC, whole microseconds.
fn stored(t: DateTime<Utc>) -> NaiveDateTime {
    let naive = t.naive_utc();
    naive - Duration::nanoseconds(i64::from(naive.and_utc().timestamp_subsec_nanos() % 1_000))
}

fn token_changes(state: &AppState, link_id: &str, tokens: &UserTokens) -> LinkChanges {
    LinkChanges {
        access_token: Some(Some(state.keys.seal(
            tokens.access_token.expose_secret().as_bytes(),
            aad(link_id, "access_token"),
        ))),
        refresh_token: Some(Some(state.keys.seal(
            tokens.refresh_token.expose_secret().as_bytes(),
            aad(link_id, "refresh_token"),
        ))),
        access_expires_at: Some(Some(stored(tokens.expires_at))),
        ..LinkChanges::default()
    }
}

/// Tokens and the session destroyed (rejected, relink, unlink).
fn wiped() -> LinkChanges {
    LinkChanges {
        access_token: Some(None),
        refresh_token: Some(None),
        access_expires_at: Some(None),
        session_token_hash: Some(None),
        ..LinkChanges::default()
    }
}

/// Opens one sealed column of a link. A missing value is an inconsistency, not a client error.
fn open_secret(
    state: &AppState,
    link: &LinkRow,
    column: SealedColumn,
) -> Result<SecretString, LinkError> {
    let sealed = column
        .of(link)
        .ok_or_else(|| anyhow::anyhow!("link {} has no {}", link.id, column.name()))?;
    let plain = state
        .keys
        .open(sealed, aad(&link.id, column.name()))
        .map_err(anyhow::Error::from)?;
    Ok(SecretString::from(
        String::from_utf8(plain).map_err(anyhow::Error::from)?,
    ))
}

/// The customer a link belongs to.
async fn customer_of(state: &AppState, link: &LinkRow) -> Result<CustomerRow, LinkError> {
    let customer_id = link.customer_id;
    state
        .db
        .run(move |conn| customers::find_by_id(conn, customer_id))
        .await?
        .ok_or(LinkError::CustomerNotFound)
}

/// Applies one transition and returns the changed link.
async fn apply_row(state: &AppState, t: Transition) -> Result<LinkRow, LinkError> {
    commit(state, vec![t], None).await
}

async fn apply(state: &AppState, t: Transition) -> Result<LinkState, LinkError> {
    Ok(apply_row(state, t).await?.state())
}

/// Applies transitions (and a pin) in one transaction, and wakes the outbox relay if they queued
/// mail.
async fn commit(
    state: &AppState,
    transitions: Vec<Transition>,
    pin: Option<links::Pin>,
) -> Result<LinkRow, LinkError> {
    let queues_mail = transitions.iter().any(|t| !t.messages.is_empty());
    let row = state
        .db
        .run(move |conn| links::apply_all(conn, &transitions, pin, db::now()))
        .await??;
    if queues_mail {
        state.outbox_wake.notify_one();
    }
    Ok(row)
}

async fn reload(state: &AppState, id: &str) -> Result<LinkRow, LinkError> {
    let id = id.to_owned();
    state
        .db
        .run(move |conn| links::find(conn, &id))
        .await?
        .ok_or(LinkError::LinkNotFound)
}

fn unavailable(e: &WiseError) -> LinkError {
    tracing::warn!(error = %e, wise.trace_id = e.trace_id(), "Wise unavailable");
    LinkError::WiseUnavailable {
        retry_after: e.retry_after().map(|d| d.as_secs().max(1)),
    }
}

/// Starts the email-code flow for a customer.
pub async fn start(
    state: &AppState,
    customer_ref: CustomerRef,
    actor: &str,
) -> Result<Started, LinkError> {
    let link_id = format!("lnk_{}", uuid::Uuid::new_v4().simple());
    let code = secrets::registration_code();
    let sealed_code = state.keys.seal(
        code.expose_secret().as_bytes(),
        aad(&link_id, "registration_code"),
    );
    let (id, actor_owned) = (link_id.clone(), actor.to_owned());
    let now = db::now();
    // One round trip: find the customer, then insert the pending link for them.
    let inserted = state
        .db
        .run(move |conn| {
            let Some(customer) = customers::find(conn, &customer_ref)? else {
                return Ok(None);
            };
            let link = NewLink {
                id: &id,
                customer_id: customer.id,
                flow: "email_code",
                state: LinkState::Pending.as_str(),
                signup_email: &customer.email,
                registration_code: Some(&sealed_code),
                attempts_remaining: MAX_ATTEMPTS,
                created_at: now,
                updated_at: now,
            };
            let created = links::insert(conn, &link, &actor_owned)?;
            Ok(Some((customer, created)))
        })
        .await?;
    let customer = match inserted {
        None => return Err(LinkError::CustomerNotFound),
        Some((_, None)) => return Err(LinkError::LinkExists),
        Some((customer, Some(()))) => customer,
    };
    tracing::info!(link.id = %link_id, customer.id = customer.id, "link started");
    signup(state, &link_id, &customer, &code, actor).await
}

/// Asks Wise to create the user (emailing a code if the email has an account) and moves the
/// pending link on. Used when a link starts and when the recovery worker resumes one.
async fn signup(
    state: &AppState,
    link_id: &str,
    customer: &CustomerRow,
    code: &SecretString,
    actor: &str,
) -> Result<Started, LinkError> {
    let now = db::now();
    match state
        .wise
        .create_user(&customer.email, code, &customer.language, true)
        .await
    {
        Ok(CreateUserOutcome::AlreadyExists { trace_id }) => {
            let session = SessionToken::generate();
            let expires = now + Duration::minutes(CODE_WINDOW_MINUTES);
            let mail = emails::finish_linking(
                state,
                link_id,
                &customer.email,
                customer,
                &session,
                expires,
            )?;
            let changes = LinkChanges {
                origin: Some("linked".into()),
                code_expires_at: Some(Some(expires)),
                session_token_hash: Some(Some(session.hash.clone())),
                ..LinkChanges::default()
            };
            let t = Transition::new(
                link_id,
                LinkState::Pending,
                LinkEvent::WiseUserExists,
                actor,
                "the email has a Wise account; Wise emailed a code",
            )
            .changes(changes)
            .trace(trace_id.as_deref())
            .queue(Some(mail));
            Ok(Started {
                link: apply_row(state, t).await?,
                session_token: Some(session),
            })
        }
        Ok(CreateUserOutcome::Created(user)) => {
            let tokens = state
                .wise
                .registration_code_grant(&customer.email, code)
                .await
                .map_err(|e| unavailable(&e))?;
            let mut changes = token_changes(state, link_id, &tokens);
            changes.origin = Some("created".into());
            changes.wise_user_id = Some(Some(user.id));
            let mail = emails::linked(state, link_id, &customer.email, customer, true)?;
            let t = Transition::new(
                link_id,
                LinkState::Pending,
                LinkEvent::WiseUserCreated,
                actor,
                "Wise created the user for the partner",
            )
            .changes(changes)
            .trace(user.trace_id.as_deref())
            .queue(Some(mail));
            let pin = links::Pin {
                customer_id: customer.id,
                wise_user_id: user.id,
            };
            Ok(Started {
                link: commit(state, vec![t], Some(pin)).await?,
                session_token: None,
            })
        }
        Err(e) if matches!(e.status(), Some(400 | 422)) => {
            let fields = wise_fields(&e);
            let reason = format!(
                "Wise refused the signup ({})",
                fields
                    .iter()
                    .map(|f| f.1.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let t = Transition::new(
                link_id,
                LinkState::Pending,
                LinkEvent::SignupRefused,
                actor,
                &reason,
            )
            .trace(e.trace_id());
            apply(state, t).await?;
            Err(LinkError::WiseRefused { fields })
        }
        // The link stays pending; the recovery worker resumes it.
        Err(e) => Err(unavailable(&e)),
    }
}

/// Resolves a link left in `pending`, `exchanging` or `verifying` (after a crash, a lost answer
/// or a Wise outage). An interrupted exchange is never repeated: the customer needs a new code.
pub async fn recover(state: &AppState, link: LinkRow) -> Result<LinkState, LinkError> {
    const ACTOR: &str = "recovery";
    match link.state() {
        LinkState::Exchanging => {
            let t = Transition::new(
                &link.id,
                LinkState::Exchanging,
                LinkEvent::ExchangeLost,
                ACTOR,
                "interrupted exchange: outcome unknown, a new code is needed",
            );
            apply(state, t).await
        }
        LinkState::Verifying => {
            let token = open_secret(state, &link, SealedColumn::AccessToken)?;
            let customer = customer_of(state, &link).await?;
            let identity = read_identity(state, &token).await?;
            let (t, pin) = verdict(state, &link, &customer, &identity, ACTOR)?;
            Ok(commit(state, vec![t], pin).await?.state())
        }
        LinkState::Pending => {
            let customer = customer_of(state, &link).await?;
            let code = open_secret(state, &link, SealedColumn::RegistrationCode)?;
            match signup(state, &link.id, &customer, &code, ACTOR).await {
                Ok(started) => Ok(started.link.state()),
                Err(LinkError::WiseRefused { .. }) => Ok(LinkState::Rejected),
                Err(e) => Err(e),
            }
        }
        other => Ok(other),
    }
}

/// Wise's `errors[]` as `(field, code, message)`, with Wise's field names mapped to ours.
fn wise_fields(e: &WiseError) -> Vec<(String, String, String)> {
    match e.api().map(|a| &a.body) {
        Some(ErrorBody::Errors(items)) => items
            .iter()
            .map(|i| {
                let field = match i.path.as_deref() {
                    Some("email") => "email",
                    Some("language") => "language",
                    _ => "customer",
                };
                (
                    field.to_owned(),
                    i.code.clone(),
                    i.message.clone().unwrap_or_default(),
                )
            })
            .collect(),
        _ => vec![(
            "customer".into(),
            "refused".into(),
            "Wise refused the customer's details".into(),
        )],
    }
}

/// Takes a code typed by the customer. The code is sent to Wise at most once: the `exchanging`
/// recovery point is committed first (only one concurrent submission can do that), and a code
/// whose exchange may have reached Wise is remembered and refused if typed again.
/// Returns the link and its customer's reference.
pub async fn submit_code(
    state: &AppState,
    link: LinkRow,
    code: AuthorizationCode,
    actor: &str,
) -> Result<(LinkRow, String), LinkError> {
    let from = link.state();
    match from {
        LinkState::AwaitingCode | LinkState::AwaitingAuthorization => {}
        LinkState::Locked => return Err(LinkError::Locked),
        LinkState::Exchanging | LinkState::Verifying => return Err(LinkError::Busy),
        other => return Err(LinkError::WrongState(other)),
    }
    let now = db::now();
    if link.code_expires_at.is_some_and(|t| t <= now) {
        let t = Transition::new(
            &link.id,
            from,
            LinkEvent::CodeWindowClosed,
            actor,
            "the code window closed",
        )
        .changes(wiped());
        apply(state, t).await?;
        return Err(LinkError::CodeExpired);
    }
    let spent = secrets::code_hash(code.expose());
    if link.spent_code_hash.as_deref() == Some(spent.as_slice()) {
        return Err(LinkError::CodeAlreadyUsed);
    }
    let recovery_point = Transition::new(
        &link.id,
        from,
        LinkEvent::CodeSubmitted,
        actor,
        "code submitted; exchanging it with Wise",
    )
    .changes(LinkChanges {
        spent_code_hash: Some(Some(spent)),
        ..LinkChanges::default()
    });
    let customer = limit_then_record(state, &link, recovery_point, now).await?;

    let secret = SecretString::from(code.expose().to_owned());
    match state.wise.authorization_code_grant(&secret).await {
        Ok(tokens) => {
            let stored = Transition::new(
                &link.id,
                LinkState::Exchanging,
                LinkEvent::TokensStored,
                actor,
                "code exchanged; tokens stored",
            )
            .changes(token_changes(state, &link.id, &tokens));
            // The tokens and the verdict are committed together. If Wise cannot be read now, the
            // tokens are committed alone (`verifying`) and the recovery worker finishes the check.
            let identity = match read_identity(state, &tokens.access_token).await {
                Ok(identity) => identity,
                Err(e) => {
                    apply(state, stored).await?;
                    return Err(e);
                }
            };
            let (verdict, pin) = verdict(state, &link, &customer, &identity, actor)?;
            let link = commit(state, vec![stored, verdict], pin).await?;
            Ok((link, customer.customer_ref))
        }
        Err(e) if e.is_invalid_grant() => {
            let left = (link.attempts_remaining - 1).max(0);
            let changes = LinkChanges {
                attempts_remaining: Some(left),
                ..LinkChanges::default()
            };
            let (event, reason) = if left == 0 {
                (LinkEvent::TooManyWrongCodes, "wrong code; no attempts left")
            } else {
                (LinkEvent::CodeRefused, "Wise refused the code")
            };
            let t = Transition::new(&link.id, LinkState::Exchanging, event, actor, reason)
                .changes(changes)
                .trace(e.trace_id());
            apply(state, t).await?;
            Err(if left == 0 {
                LinkError::Locked
            } else {
                LinkError::InvalidCode {
                    attempts_remaining: left,
                }
            })
        }
        Err(e) => {
            // The outcome is unknown: Wise may have used the code up. Never send it again.
            let t = Transition::new(
                &link.id,
                LinkState::Exchanging,
                LinkEvent::ExchangeLost,
                actor,
                "the exchange's outcome is unknown; a new code is needed",
            )
            .trace(e.trace_id());
            apply(state, t).await?;
            tracing::warn!(link.id = %link.id, error = %e, "code exchange lost");
            Err(LinkError::ExchangeLost)
        }
    }
}

/// Checks the customer's wrong-code limit and, if the code may be tried, commits the
/// `exchanging` recovery point; returns the link's customer. The limit counts wrong codes in the
/// last 24 hours over all the customer's links, so a new link or a resend does not reset it. One
/// database round trip.
async fn limit_then_record(
    state: &AppState,
    link: &LinkRow,
    recovery_point: Transition,
    now: NaiveDateTime,
) -> Result<CustomerRow, LinkError> {
    let window = Duration::hours(24);
    let limit = i64::from(state.settings.limits.wrong_codes_per_customer_per_day);
    let customer_id = link.customer_id;
    let outcome = state
        .db
        .run(move |conn| {
            let Some(customer) = customers::find_by_id(conn, customer_id)? else {
                return Ok(Err(LinkError::CustomerNotFound));
            };
            let (count, oldest) = links::wrong_codes_since(conn, customer_id, now - window)?;
            if count >= limit {
                let retry_after_secs =
                    oldest.map_or(window.num_seconds(), |t| (t + window - now).num_seconds());
                return Ok(Err(LinkError::CustomerLimited {
                    retry_after_secs: retry_after_secs.max(1),
                }));
            }
            Ok(links::apply(conn, &recovery_point, db::now())?
                .map(|_| customer)
                .map_err(LinkError::from))
        })
        .await?;
    if let Err(LinkError::CustomerLimited { .. }) = &outcome {
        tracing::warn!(link.id = %link.id, customer.id = customer_id, "customer wrong-code limit reached");
    }
    outcome
}

/// What Wise says about the account behind an access token: the user, its email, its profiles.
async fn read_identity(state: &AppState, access: &SecretString) -> Result<WiseIdentity, LinkError> {
    // Independent reads: asked at once, so the customer waits for one round trip to Wise.
    let (me, profiles) = tokio::join!(state.wise.me(access), state.wise.profiles(access));
    let me = me.map_err(|e| unavailable(&e))?;
    let profiles = match profiles {
        Ok(p) => p
            .into_iter()
            .map(|p| (p.id, p.kind == ProfileKind::Personal, p.date_of_birth))
            .collect(),
        Err(e) if e.is_transient() => return Err(unavailable(&e)),
        // Fall back to /v1/me, whose details mirror the personal profile.
        Err(_) => me
            .date_of_birth()
            .map(|d| vec![(0, true, Some(d))])
            .unwrap_or_default(),
    };
    Ok(WiseIdentity {
        user_id: me.id,
        email: me.email.clone(),
        profiles,
    })
}

/// The identity check's outcome for a `verifying` link: active, needs review, or rejected, with
/// the "linked" email and the customer's pin when it is a match.
fn verdict(
    state: &AppState,
    link: &LinkRow,
    customer: &CustomerRow,
    identity: &WiseIdentity,
    actor: &str,
) -> Result<(Transition, Option<links::Pin>), LinkError> {
    let signup_email = EmailAddress::parse(&link.signup_email)
        .map_err(|e| anyhow::anyhow!("stored signup email: {e}"))?;
    let verdict = assess(
        DateOfBirth::from_stored(customer.date_of_birth),
        &signup_email,
        customer.wise_user_id,
        identity,
    );
    let mut changes = LinkChanges {
        wise_user_id: Some(Some(identity.user_id)),
        wise_profile_id: Some(verdict.profile_id.filter(|id| *id != 0)),
        ..LinkChanges::default()
    };
    if verdict.event == LinkEvent::NoProfile {
        changes = LinkChanges {
            wise_user_id: Some(Some(identity.user_id)),
            ..wiped()
        };
    }
    let matched = verdict.event == LinkEvent::IdentityMatched;
    let mail = matched
        .then(|| emails::linked(state, &link.id, &link.signup_email, customer, false))
        .transpose()?;
    tracing::info!(link.id = %link.id, event = verdict.event.as_str(), reason = verdict.reason, "link verified");
    let t = Transition::new(
        &link.id,
        LinkState::Verifying,
        verdict.event,
        actor,
        verdict.reason,
    )
    .changes(changes)
    .queue(mail);
    let pin = matched.then_some(links::Pin {
        customer_id: customer.id,
        wise_user_id: identity.user_id,
    });
    Ok((t, pin))
}

/// A valid access token for an active link, refreshed first when it expires within the margin.
pub async fn access_token(
    state: &AppState,
    link_id: &str,
) -> Result<(SecretString, NaiveDateTime, Option<i64>), LinkError> {
    let link = reload(state, link_id).await?;
    if link.state() != LinkState::Active {
        return Err(LinkError::WrongState(link.state()));
    }
    if let Some(fresh) = usable(state, &link)? {
        return Ok(fresh);
    }
    // One refresh at a time in this process: a refresh kills the previous access token, so two
    // racing refreshes would leave one caller holding a dead token.
    let _guard = state.refresh_lock.lock().await;
    let link = reload(state, link_id).await?;
    if let Some(fresh) = usable(state, &link)? {
        return Ok(fresh);
    }
    let refresh = open_secret(state, &link, SealedColumn::RefreshToken)?;
    match state.wise.refresh(&refresh).await {
        Ok(tokens) => {
            let changes = token_changes(state, &link.id, &tokens);
            let id = link.id.clone();
            state
                .db
                .run(move |conn| links::update(conn, &id, LinkState::Active, &changes, db::now()))
                .await?;
            Ok((
                tokens.access_token,
                stored(tokens.expires_at),
                link.wise_profile_id,
            ))
        }
        Err(e) if e.is_invalid_grant() => {
            let t = Transition::new(
                &link.id,
                LinkState::Active,
                LinkEvent::AccessRevoked,
                "refresher",
                "Wise refused the refresh token: access revoked",
            )
            .changes(wiped())
            .trace(e.trace_id());
            apply(state, t).await?;
            Err(LinkError::RelinkRequired)
        }
        Err(e) => Err(unavailable(&e)),
    }
}

fn usable(
    state: &AppState,
    link: &LinkRow,
) -> Result<Option<(SecretString, NaiveDateTime, Option<i64>)>, LinkError> {
    let (Some(_), Some(expires)) = (&link.access_token, link.access_expires_at) else {
        return Ok(None);
    };
    if expires - Duration::seconds(REFRESH_MARGIN_SECS) <= db::now() {
        return Ok(None);
    }
    let token = open_secret(state, link, SealedColumn::AccessToken)?;
    Ok(Some((token, expires, link.wise_profile_id)))
}

/// A link by id (for the API key holder) or by session token (for the app), never both mixed up.
pub async fn find(state: &AppState, id: &str) -> Result<LinkRow, LinkError> {
    reload(state, id).await
}

/// The link a session token opens: the token's link while its code window lasts, and an hour
/// after (so a customer can still read how it ended). The same rule for the app and the page.
pub async fn open_session(state: &AppState, token: &str) -> Result<Option<LinkRow>, DbError> {
    if !token.starts_with(SESSION_PREFIX) {
        return Ok(None);
    }
    let hash = session_hash(token);
    let link = state
        .db
        .run(move |conn| links::find_by_session(conn, &hash))
        .await?;
    let now = db::now();
    Ok(link.filter(|l| {
        l.code_expires_at
            .is_some_and(|t| t + Duration::hours(SESSION_GRACE_HOURS) > now)
    }))
}

pub async fn events(state: &AppState, id: &str) -> Result<Vec<links::EventRow>, LinkError> {
    let id = id.to_owned();
    Ok(state.db.run(move |conn| links::events(conn, &id)).await?)
}

/// Unlinks: the tokens, the registration code and the session are destroyed.
pub async fn unlink(state: &AppState, id: &str, actor: &str) -> Result<LinkRow, LinkError> {
    let link = reload(state, id).await?;
    let changes = LinkChanges {
        registration_code: Some(None),
        ..wiped()
    };
    let t = Transition::new(
        id,
        link.state(),
        LinkEvent::Unlinked,
        actor,
        "unlinked by the partner",
    )
    .changes(changes);
    let link = apply_row(state, t).await?;
    tracing::info!(link.id = %id, "link unlinked");
    Ok(link)
}

pub async fn list(
    state: &AppState,
    filter: links::ListFilter,
) -> Result<Vec<(LinkRow, String)>, LinkError> {
    Ok(state.db.run(move |conn| links::list(conn, &filter)).await?)
}

/// Asks Wise to email the customer a new code (by running the signup again), and gives the link a
/// fresh code window and five attempts. A code already sent to Wise stays refused.
pub async fn resend(
    state: &AppState,
    link: LinkRow,
    actor: &str,
) -> Result<(LinkRow, Option<SessionToken>), LinkError> {
    let from = link.state();
    match from {
        LinkState::AwaitingCode | LinkState::Expired => {}
        LinkState::Locked => return Err(LinkError::Locked),
        other => return Err(LinkError::WrongState(other)),
    }
    let now = db::now();
    let last_email = link.last_resend_at.unwrap_or(link.created_at);
    let (window_start, count) = match resend_decision(
        now,
        last_email,
        link.resend_window_start,
        link.resends_in_window,
    ) {
        ResendDecision::Allowed {
            window_start,
            resends_in_window,
        } => (window_start, resends_in_window),
        ResendDecision::TooSoon { retry_after_secs } => {
            return Err(LinkError::ResendTooSoon { retry_after_secs });
        }
        ResendDecision::LimitReached { retry_after_secs } => {
            return Err(LinkError::ResendLimitReached { retry_after_secs });
        }
    };
    let customer = customer_of(state, &link).await?;
    let code = open_secret(state, &link, SealedColumn::RegistrationCode)?;
    let trace_id = match state
        .wise
        .create_user(&link.signup_email, &code, &customer.language, true)
        .await
    {
        Ok(CreateUserOutcome::AlreadyExists { trace_id }) => trace_id,
        Ok(CreateUserOutcome::Created(_)) => return Err(LinkError::WiseAccountGone),
        Err(e) if matches!(e.status(), Some(400 | 422)) => {
            return Err(LinkError::WiseRefused {
                fields: wise_fields(&e),
            });
        }
        Err(e) => return Err(unavailable(&e)),
    };
    // An expired link lost its session; the app gets a new one with this answer.
    let session = link
        .session_token_hash
        .is_none()
        .then(SessionToken::generate);
    let changes = LinkChanges {
        attempts_remaining: Some(MAX_ATTEMPTS),
        code_expires_at: Some(Some(now + Duration::minutes(CODE_WINDOW_MINUTES))),
        last_resend_at: Some(Some(now)),
        resend_window_start: Some(Some(window_start)),
        resends_in_window: Some(count),
        session_token_hash: session.as_ref().map(|s| Some(s.hash.clone())),
        ..LinkChanges::default()
    };
    let t = Transition::new(
        &link.id,
        from,
        LinkEvent::CodeResent,
        actor,
        "Wise asked to email a new code",
    )
    .changes(changes)
    .trace(trace_id.as_deref());
    Ok((apply_row(state, t).await?, session))
}
