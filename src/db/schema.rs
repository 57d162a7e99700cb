// One schema for both backends: only column types PostgreSQL and SQLite share.

diesel::table! {
    customers (id) {
        id -> BigInt,
        customer_ref -> Text,
        email -> Text,
        date_of_birth -> Date,
        first_name -> Text,
        last_name -> Text,
        language -> Text,
        wise_user_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        secret_hash -> Binary,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (api_key_id, idempotency_key) {
        api_key_id -> Text,
        idempotency_key -> Text,
        request_fingerprint -> Binary,
        state -> Text,
        response_status -> Nullable<Integer>,
        response_content_type -> Nullable<Text>,
        response_body -> Nullable<Binary>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(idempotency_keys -> api_keys (api_key_id));
diesel::allow_tables_to_appear_in_same_query!(customers, api_keys, idempotency_keys);
