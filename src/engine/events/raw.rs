//! The wire shape of a record as serde reads it on the fast path: every field optional and
//! borrowed, no rule applied yet.

use std::borrow::Cow;

use serde::Deserialize;

/// The fast path: a record with every known field as an optional, correctly typed value.
/// A record that does not fit (a field of the wrong JSON type) is diagnosed by [`diagnose`].
#[derive(Deserialize, Default)]
pub(super) struct Raw<'a> {
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) event_id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type", default, deserialize_with = "cow")]
    pub(super) kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) account_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) occurred_at: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) timezone: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) currency: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) product: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) portfolio: Option<Cow<'a, str>>,
    pub(super) credit_limit: Option<i64>,
    pub(super) payday_day_of_month: Option<i64>,
    #[serde(borrow)]
    pub(super) contacts: Option<Vec<RawContact<'a>>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) statement_id: Option<Cow<'a, str>>,
    pub(super) amount_due: Option<i64>,
    pub(super) minimum_due: Option<i64>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) due_date: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) payment_id: Option<Cow<'a, str>>,
    pub(super) amount: Option<i64>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) reason: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) fee_id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "kind", default, deserialize_with = "cow")]
    pub(super) fee_kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) promise_id: Option<Cow<'a, str>>,
    pub(super) confirmed_in_writing: Option<bool>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) contact_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) flag: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) attempt_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) channel: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) outcome: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) disposition: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) callback_at: Option<Cow<'a, str>>,
    pub(super) duration_s: Option<f64>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawContact<'a> {
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) contact_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) role: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    pub(super) phone: Option<Cow<'a, str>>,
    pub(super) consent_to_contact: Option<bool>,
    pub(super) informed: Option<bool>,
}

/// Deserializes an optional string, borrowing it from the input when it has no escapes
/// (`#[serde(borrow)]` alone does not borrow through `Option`).
pub(super) fn cow<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string or null")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }
    d.deserialize_option(V)
}
