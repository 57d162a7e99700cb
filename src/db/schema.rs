// One schema for both backends: only column types PostgreSQL and SQLite share.

mod audit;
mod stats;

pub use audit::{audit_chain, audit_checkpoints, audit_pending, audit_stream_cursors};
pub use stats::link_stats;

diesel::table! {
    customers (id) {
        id -> BigInt,
        customer_ref -> Text,
        email -> Nullable<Text>,
        date_of_birth -> Nullable<Date>,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        language -> Text,
        wise_user_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        secret_hash -> Binary,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        mode -> Text,
    }
}

diesel::table! {
    idempotency_keys (scope, idempotency_key) {
        scope -> Text,
        idempotency_key -> Text,
        request_fingerprint -> Binary,
        state -> Text,
        response_status -> Nullable<Integer>,
        response_content_type -> Nullable<Text>,
        response_body -> Nullable<Binary>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        subject -> Nullable<Text>,
    }
}

diesel::table! {
    links (id) {
        id -> Text,
        customer_id -> BigInt,
        flow -> Text,
        origin -> Nullable<Text>,
        state -> Text,
        signup_email -> Text,
        registration_code -> Nullable<Binary>,
        wise_user_id -> Nullable<BigInt>,
        wise_profile_id -> Nullable<BigInt>,
        attempts_remaining -> Integer,
        code_expires_at -> Nullable<Timestamp>,
        session_token_hash -> Nullable<Binary>,
        last_resend_at -> Nullable<Timestamp>,
        resend_window_start -> Nullable<Timestamp>,
        resends_in_window -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        return_url -> Nullable<Text>,
        claimed_at -> Nullable<Timestamp>,
        wise_user_state -> Nullable<Text>,
        wise_user_deactivates_on -> Nullable<Date>,
        profile_verification -> Nullable<Text>,
        state_reason -> Nullable<Text>,
        personal_data_erased_at -> Nullable<Timestamp>,
        dispute_token_hash -> Nullable<Binary>,
        dispute_expires_at -> Nullable<Timestamp>,
        imported_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    link_tokens (link_id) {
        link_id -> Text,
        access_token -> Nullable<Binary>,
        refresh_token -> Nullable<Binary>,
        access_expires_at -> Nullable<Timestamp>,
        refresh_generation -> BigInt,
        refresh_leased_until -> Nullable<Timestamp>,
        refresh_due_at -> Nullable<Timestamp>,
        refresh_failures -> Integer,
        refresh_failing_since -> Nullable<Timestamp>,
        refresh_flagged_at -> Nullable<Timestamp>,
        refresh_in_doubt_at -> Nullable<Timestamp>,
        refreshed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    link_reviews (link_id) {
        link_id -> Text,
        review_reason -> Nullable<Text>,
        checked_at -> Nullable<Timestamp>,
        checked_partner_dob -> Nullable<Date>,
        checked_partner_email -> Nullable<Text>,
        checked_wise -> Nullable<Binary>,
        approvals -> Integer,
        first_approved_by -> Nullable<Text>,
    }
}

diesel::table! {
    authorization_states (state_hash) {
        state_hash -> Binary,
        link_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        browser_hash -> Nullable<Binary>,
        purpose -> Text,
    }
}

diesel::table! {
    link_events (id) {
        id -> BigInt,
        link_id -> Text,
        actor -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        reason -> Nullable<Text>,
        wise_trace_id -> Nullable<Text>,
        created_at -> Timestamp,
        event -> Nullable<Text>,
        seal -> Nullable<Binary>,
        erased -> Nullable<Binary>,
    }
}

diesel::table! {
    spent_codes (link_id, code_hash) {
        link_id -> Text,
        code_hash -> Binary,
        spent_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        message_id -> Text,
        link_id -> Nullable<Text>,
        kind -> Text,
        recipient -> Text,
        payload -> Nullable<Binary>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        leased_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        transport -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        traceparent -> Nullable<Text>,
    }
}

diesel::table! {
    staff_users (id) {
        id -> BigInt,
        username -> Text,
        role -> Text,
        password_hash -> Text,
        totp_secret -> Nullable<Binary>,
        totp_last_step -> Nullable<BigInt>,
        disabled_at -> Nullable<Timestamp>,
        failed_logins -> Integer,
        last_failed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sso_subject -> Nullable<Text>,
    }
}

diesel::table! {
    staff_sessions (id_hash) {
        id_hash -> Binary,
        staff_id -> BigInt,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        authenticated_at -> Timestamp,
        reauth_failures -> Integer,
        sso_refresh_token -> Nullable<Binary>,
        sso_checked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_sso_logins (state_hash) {
        state_hash -> Binary,
        browser_hash -> Binary,
        return_to -> Text,
        step_up -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    staff_audit (id) {
        id -> BigInt,
        username -> Text,
        event -> Text,
        actor -> Nullable<Text>,
        client_ip -> Nullable<Text>,
        created_at -> Timestamp,
        seal -> Nullable<Binary>,
    }
}

diesel::table! {
    partner_events (id) {
        id -> BigInt,
        event_id -> Text,
        event_type -> Text,
        link_id -> Text,
        state -> Text,
        reason -> Text,
        created_at -> Timestamp,
        feed_seq -> Nullable<BigInt>,
        traceparent -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        url -> Text,
        description -> Nullable<Text>,
        event_types -> Text,
        secret -> Binary,
        previous_secret -> Nullable<Binary>,
        previous_secret_until -> Nullable<Timestamp>,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        endpoint_id -> Text,
        event_id -> BigInt,
        event_seq -> BigInt,
        link_id -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        leased_until -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        attempted_at -> Timestamp,
        latency_ms -> Integer,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        response_excerpt -> Nullable<Text>,
    }
}

diesel::joinable!(staff_sessions -> staff_users (staff_id));
diesel::joinable!(links -> customers (customer_id));
diesel::table! {
    wise_deliveries (delivery_id) {
        delivery_id -> Text,
        event_type -> Text,
        resource_type -> Text,
        resource_id -> BigInt,
        current_state -> Text,
        occurred_at -> Timestamp,
        received_at -> Timestamp,
        processed_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
    }
}

diesel::table! {
    wise_resource_states (resource_type, resource_id) {
        resource_type -> Text,
        resource_id -> BigInt,
        state -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::joinable!(link_tokens -> links (link_id));
diesel::joinable!(link_reviews -> links (link_id));
diesel::joinable!(link_events -> links (link_id));
diesel::joinable!(outbox -> links (link_id));
diesel::joinable!(spent_codes -> links (link_id));
diesel::joinable!(authorization_states -> links (link_id));
diesel::joinable!(partner_events -> links (link_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_deliveries -> partner_events (event_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_chain,
    audit_checkpoints,
    audit_pending,
    audit_stream_cursors,
    customers,
    api_keys,
    idempotency_keys,
    links,
    link_tokens,
    link_reviews,
    link_events,
    spent_codes,
    outbox,
    staff_users,
    staff_sessions,
    staff_sso_logins,
    staff_audit,
    authorization_states,
    partner_events,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts,
    wise_deliveries,
    wise_resource_states
);
