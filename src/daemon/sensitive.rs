//! [`Sensitive<T>`]: a value that may hold a secret (a librdkafka property such as
//! `sasl.password`). Its `Debug`, `Display` and `Serialize` give a mask, never the value, so a
//! settings struct can be logged, serialised (the effective configuration `arrears run` logs) or
//! put in an error message whole; the value is reached only on purpose, through
//! [`Sensitive::expose`] (or `Deref`), where it is handed to librdkafka.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize, Serializer};

/// What `Debug`, `Display` and `Serialize` give instead of the value.
pub const MASK: &str = "********";

/// A value whose `Debug`, `Display` and `Serialize` never show it (it deserialises from the plain
/// value).
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(transparent)]
pub struct Sensitive<T>(T);

impl<T> Serialize for Sensitive<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(MASK)
    }
}

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Sensitive<T> {
        Sensitive(value)
    }

    /// The value itself: only for handing it to the client that needs it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> Deref for Sensitive<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl From<String> for Sensitive<String> {
    fn from(s: String) -> Self {
        Sensitive(s)
    }
}

impl From<&str> for Sensitive<String> {
    fn from(s: &str) -> Self {
        Sensitive(s.to_string())
    }
}

impl PartialEq<&str> for Sensitive<String> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A librdkafka configuration error with the property's value masked (in the value field and
/// wherever librdkafka quoted it in the description): the value of a misspelt or unsupported
/// property (`sasl.passwrod`, `sasl.jaas.config`) would otherwise reach the fatal error verbatim.
pub fn mask_config_error(e: rdkafka::error::KafkaError) -> rdkafka::error::KafkaError {
    use rdkafka::error::KafkaError;
    match e {
        KafkaError::ClientConfig(res, desc, key, value) => {
            let desc = if value.is_empty() {
                desc
            } else {
                desc.replace(&value, MASK)
            };
            KafkaError::ClientConfig(res, desc, key, MASK.to_string())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Sensitive::from("hunter2");
        assert_eq!(format!("{s:?}"), MASK);
        assert_eq!(format!("{s}"), MASK);
        let map: BTreeMap<String, Sensitive<String>> =
            [("sasl.password".to_string(), s.clone())].into();
        assert!(!format!("{map:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{MASK}\""));
        assert!(!serde_json::to_string(&map).unwrap().contains("hunter2"));
    }

    #[test]
    fn config_errors_never_carry_the_value() {
        use rdkafka::config::ClientConfig;
        use rdkafka::consumer::BaseConsumer;
        for (k, v) in [
            ("sasl.passwrod", "hunter2-misspelt"),
            ("sasl.jaas.config", "hunter2-jaas"),
            ("compression.type", "hunter2-codec"),
        ] {
            let Err(e) = ClientConfig::new().set(k, v).create::<BaseConsumer>() else {
                panic!("librdkafka accepted {k} = {v}");
            };
            let raw = format!("{e} {e:?}");
            let masked = mask_config_error(e);
            let shown = format!("{masked} {masked:?}");
            assert!(raw.contains(v), "the unmasked error shows it: {raw}");
            assert!(!shown.contains(v), "{shown}");
            assert!(shown.contains(k), "the property name stays: {shown}");
        }
    }
}
