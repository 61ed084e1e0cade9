//! Placeholders that let the engine's decode look past a problem already reported: the engine
//! stops at the first bad field, so `validate` puts a valid stand-in in its place and decodes
//! again to find the next one. Nothing here is ever applied or shown.

use serde_json::{json, Value};

/// A valid stand-in for a field named `name` (the last segment of its pointer).
fn placeholder(name: &str, n: usize) -> Option<Value> {
    Some(match name {
        "timezone" => json!("UTC"),
        "currency" => json!("USD"),
        "portfolio" => json!("consumer"),
        "credit_limit" | "minimum_due" | "duration_s" => json!(0),
        "payday_day_of_month" | "amount" | "amount_due" => json!(1),
        "contacts" => json!([]),
        "due_date" => json!("2026-01-01"),
        "occurred_at" | "callback_at" => json!("2026-01-01T00:00:00Z"),
        "reason" | "kind" => json!("other"),
        "flag" => json!("dispute"),
        "channel" => json!("letter"),
        "outcome" => json!("failed"),
        "disposition" => json!("none"),
        "confirmed_in_writing" | "consent_to_contact" | "informed" => json!(false),
        "role" => json!("debtor"),
        "phone" => json!("+10000000000"),
        "event_id" | "account_id" | "product" | "statement_id" | "payment_id" | "fee_id"
        | "promise_id" | "attempt_id" | "contact_id" => json!(format!("placeholder-{n}")),
        _ => return None,
    })
}

/// Puts a stand-in at `pointer` (a field of the record or of one of its contacts), so that the
/// problem found there is not found again; false when there is no stand-in for it.
pub fn repair(record: &mut Value, pointer: &str, n: usize) -> bool {
    let Some((parent, name)) = pointer.rsplit_once('/') else {
        return false;
    };
    let Some(value) = placeholder(name, n) else {
        return false;
    };
    match record.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(name.to_owned(), value);
            true
        }
        _ => false,
    }
}

/// The JSON pointer of the field an engine reject names (`field `contacts[0].phone` …` →
/// `/contacts/0/phone`), or empty when it names none.
pub fn pointer_of(detail: &str) -> (String, &str) {
    let rest = detail
        .strip_prefix("required field `")
        .or_else(|| detail.strip_prefix("field `"));
    let Some(rest) = rest else {
        return (String::new(), detail);
    };
    let Some((field, why)) = rest.split_once('`') else {
        return (String::new(), detail);
    };
    let mut p = String::new();
    for part in field.split('.') {
        match part.split_once('[') {
            Some((name, idx)) => {
                p.push('/');
                p.push_str(name);
                p.push('/');
                p.push_str(idx.trim_end_matches(']'));
            }
            None => {
                p.push('/');
                p.push_str(part);
            }
        }
    }
    let why = why.trim_start();
    let why = if detail.starts_with("required") {
        "required field is missing"
    } else {
        why
    };
    (p, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_field_names_become_pointers() {
        assert_eq!(
            pointer_of("field `contacts[1].phone` must be E.164"),
            ("/contacts/1/phone".to_string(), "must be E.164")
        );
        assert_eq!(
            pointer_of("required field `amount` is missing"),
            ("/amount".to_string(), "required field is missing")
        );
        assert_eq!(pointer_of("record is not a JSON object").0, "");
    }

    #[test]
    fn repairs_fields_of_the_record_and_of_contacts() {
        let mut v = json!({"amount": -1, "contacts": [{"phone": "x"}]});
        assert!(repair(&mut v, "/amount", 0));
        assert!(repair(&mut v, "/contacts/0/phone", 1));
        assert!(!repair(&mut v, "/nonsense", 2));
        assert_eq!(v["amount"], 1);
        assert_eq!(v["contacts"][0]["phone"], "+10000000000");
    }
}
