//! One row of an import, from a JSON object (a JSON Lines row, or a CSV record keyed by its
//! header), checked field by field like `PUT /v1/customers` checks a body: every field's problem
//! at once, with the same codes.

use crate::domain::{
    CustomerDetails, CustomerRef, DateOfBirth, EmailAddress, Invalid, Language, PersonName,
    WiseProfileId, WiseUserId,
};
use crate::http::FieldError;
use crate::http::fields::ObjectReader;
use crate::services::links::ImportRow;
use chrono::NaiveDate;
use secrecy::SecretString;
use serde_json::{Map, Value};

/// Every field a row may have; the first six describe the customer, the rest what the partner
/// holds of the Wise side.
pub const FIELDS: [&str; 11] = [
    "customer_ref",
    "email",
    "date_of_birth",
    "first_name",
    "last_name",
    "language",
    "wise_user_id",
    "wise_profile_id",
    "refresh_token",
    "registration_code",
    "signup_email",
];

/// Fields every row needs (the others are optional).
pub const REQUIRED: [&str; 8] = [
    "customer_ref",
    "email",
    "date_of_birth",
    "first_name",
    "last_name",
    "wise_user_id",
    "wise_profile_id",
    "refresh_token",
];

/// Reads a row; `today` judges the date of birth. The customer's reference comes back even when
/// other fields are refused, so the report can name the row's customer.
pub fn read(
    object: Map<String, Value>,
    today: NaiveDate,
) -> (Option<String>, Result<ImportRow, Vec<FieldError>>) {
    let named = object
        .get("customer_ref")
        .and_then(Value::as_str)
        .filter(|r| CustomerRef::parse(r).is_ok())
        .map(str::to_owned);
    let mut reader = ObjectReader::new(object);
    let row = fields(&mut reader, today);
    let read = match reader.finish() {
        Ok(()) => row.ok_or_else(Vec::new),
        Err(errors) => Err(errors),
    };
    (named, read)
}

fn fields(reader: &mut ObjectReader, today: NaiveDate) -> Option<ImportRow> {
    let customer_ref = reader.required("customer_ref", CustomerRef::parse);
    let email = reader.required("email", EmailAddress::parse);
    let date_of_birth = reader.required("date_of_birth", |s| DateOfBirth::parse(s, today));
    let first_name = reader.required("first_name", PersonName::parse);
    let last_name = reader.required("last_name", PersonName::parse);
    let language = reader.optional("language", Language::parse);
    let wise_user_id = id(reader, "wise_user_id").map(WiseUserId::new);
    let wise_profile_id = id(reader, "wise_profile_id").map(WiseProfileId::new);
    let refresh_token = reader.required("refresh_token", |s| secret(s, 1));
    // Wise's registration codes are at least 32 characters.
    let registration_code = reader.optional("registration_code", |s| secret(s, 32));
    let signup_email = reader.optional("signup_email", EmailAddress::parse);
    Some(ImportRow {
        customer_ref: customer_ref?,
        details: CustomerDetails {
            email: email?,
            date_of_birth: date_of_birth?,
            first_name: first_name?,
            last_name: last_name?,
            language: language?.unwrap_or(Language::DEFAULT),
        },
        wise_user_id: wise_user_id?,
        wise_profile_id: wise_profile_id?,
        refresh_token: refresh_token?,
        registration_code: registration_code?,
        signup_email: signup_email?,
    })
}

/// A Wise id: a positive integer, as a JSON number or a string of digits (CSV has no numbers).
fn id(reader: &mut ObjectReader, field: &str) -> Option<i64> {
    let parsed = match reader.take(field) {
        None => {
            reader.refuse(field, "required", format!("{field} is required"));
            return None;
        }
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    };
    let id = parsed.filter(|n| *n > 0);
    if id.is_none() {
        let message = format!("{field} must be Wise's id: a positive whole number");
        reader.refuse(field, "invalid_id", message);
    }
    id
}

/// A token or code: visible ASCII, `min` to 4,096 characters. The value never appears in the
/// refusal.
fn secret(raw: &str, min: usize) -> Result<SecretString, Invalid> {
    if (min..=4096).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(SecretString::from(raw.to_owned()))
    } else {
        Err(Invalid::new(
            "invalid_secret",
            format!("must be {min} to 4096 visible ASCII characters"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    fn object(v: Value) -> Map<String, Value> {
        let Value::Object(map) = v else {
            unreachable!()
        };
        map
    }

    fn good() -> Value {
        json!({
            "customer_ref": "c-1", "email": "ada@example.com", "date_of_birth": "1990-04-17",
            "first_name": "Ada", "last_name": "Lovelace", "wise_user_id": 7,
            "wise_profile_id": "10", "refresh_token": "rt-0123"
        })
    }

    #[test]
    fn a_good_row_reads_with_defaults() {
        let (named, row) = read(object(good()), today());
        let row = row.unwrap_or_else(|_| panic!("a good row"));
        assert_eq!(named.as_deref(), Some("c-1"));
        assert_eq!(row.wise_user_id, WiseUserId::new(7));
        assert_eq!(row.wise_profile_id, WiseProfileId::new(10));
        assert_eq!(row.details.language, Language::DEFAULT);
        assert!(row.registration_code.is_none() && row.signup_email.is_none());
    }

    #[test]
    fn every_problem_is_named_and_no_secret_is_repeated() {
        let mut bad = good();
        bad["wise_user_id"] = json!(-3);
        bad["refresh_token"] = json!("has space");
        bad["registration_code"] = json!("short-code");
        bad["date_of_birth"] = json!("2030-01-01");
        bad["colour"] = json!("red");
        bad.as_object_mut().unwrap().remove("last_name");
        let (named, row) = read(object(bad), today());
        let Err(errors) = row else { panic!("refused") };
        let got: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(named.as_deref(), Some("c-1"));
        for expected in [
            ("last_name", "required"),
            ("wise_user_id", "invalid_id"),
            ("refresh_token", "invalid_secret"),
            ("registration_code", "invalid_secret"),
            ("colour", "unknown_field"),
        ] {
            assert!(got.contains(&expected), "{expected:?} in {got:?}");
        }
        assert!(got.iter().any(|(f, _)| *f == "date_of_birth"));
        let text = format!("{errors:?}");
        assert!(!text.contains("has space") && !text.contains("short-code"));
    }
}
