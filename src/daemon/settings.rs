//! The daemon's own configuration: the `[kafka]` and `[http]` tables of the same TOML file (and
//! `ARREARS_KAFKA__…` / `ARREARS_HTTP__…` environment overrides), read separately from the scoring
//! [`Settings`](crate::engine::settings::Settings) so each section keeps denying unknown keys.
//!
//! Owns parsing, validation (every problem at once) and the librdkafka client configurations;
//! secrets in passthrough properties are masked whenever they are shown.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use figment::Figment;
use rdkafka::config::ClientConfig;
use serde::{Deserialize, Serialize};

use crate::config::PROPERTY_ENV;

use super::sensitive::{Sensitive, MASK};
use super::topics;
use crate::engine::settings::ConfigError;

/// `[kafka]`: brokers, topics, group, limits, and any librdkafka property passed through.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaConfig {
    /// `bootstrap.servers`.
    pub brokers: String,
    /// Consumer group of every instance.
    pub group_id: String,
    pub billing_topic: String,
    pub contacts_topic: String,
    pub work_items_topic: String,
    pub dead_letter_topic: String,
    /// Compacted topic of account state, co-partitioned with the inputs.
    pub changelog_topic: String,
    /// Decision records (the audit trail): one per published work item, keyed by account.
    pub decisions_topic: String,
    /// Consumer `session.timeout.ms`.
    pub session_timeout_ms: u32,
    /// Consumer `max.poll.interval.ms`.
    pub max_poll_interval_ms: u32,
    /// Consumer prefetch bound, `queued.max.messages.kbytes`.
    pub queued_max_messages_kbytes: u32,
    /// Input records whose outputs may be unacknowledged at once; consumption waits beyond it.
    pub max_in_flight: usize,
    /// Producer `compression.type` of work items, changelog and dead letters.
    pub compression: String,
    /// How often the clock re-evaluates accounts with no event (0: never).
    pub evaluate_interval_ms: u64,
    /// The clock's re-evaluation pauses while the records being consumed are older than this
    /// behind the clock (catching up after downtime): it would publish versions at a time the
    /// backlog has not reached yet, which replay never does. 0: never pause.
    pub catch_up_lag_ms: u64,
    /// Longest a record waits for the other input topic's same-numbered partition to catch up, so
    /// the two are applied in event time (Kafka Streams' `max.task.idle.ms`); 0: never wait.
    pub max_task_idle_ms: u64,
    /// Longest a partition restore from the changelog may take.
    pub restore_timeout_ms: u64,
    /// Longest graceful shutdown (drain, commit, leave) may take.
    pub shutdown_timeout_ms: u64,
    /// librdkafka `statistics.interval.ms` of the consumer (consumer-lag gauges; 0: off).
    pub stats_interval_ms: u64,
    /// Any other librdkafka property, for every client (TLS, SASL…). Secrets are masked in logs.
    pub properties: BTreeMap<String, Sensitive<String>>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: "127.0.0.1:9092".into(),
            group_id: "arrears".into(),
            billing_topic: topics::BILLING.into(),
            contacts_topic: topics::CONTACTS.into(),
            work_items_topic: topics::WORK_ITEMS.into(),
            dead_letter_topic: topics::DEAD_LETTER.into(),
            changelog_topic: topics::CHANGELOG.into(),
            decisions_topic: topics::DECISIONS.into(),
            session_timeout_ms: 10_000,
            max_poll_interval_ms: 300_000,
            queued_max_messages_kbytes: 16_384,
            max_in_flight: 1_000,
            compression: "lz4".into(),
            evaluate_interval_ms: 1_000,
            catch_up_lag_ms: 600_000,
            max_task_idle_ms: 500,
            restore_timeout_ms: 60_000,
            shutdown_timeout_ms: 10_000,
            stats_interval_ms: 5_000,
            properties: BTreeMap::new(),
        }
    }
}

/// The most decision records `http.decisions_per_account` may keep per account.
pub const MAX_DECISIONS_PER_ACCOUNT: usize = 1_000;

/// `[http]`: the API server, its limits and its optional bearer token.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub enabled: bool,
    /// Address to bind; loopback by default.
    pub listen: String,
    /// Connections served at once; a connection beyond it is closed as soon as it is accepted.
    pub max_connections: usize,
    /// Longest a client may take to send a request's header block; then the connection closes.
    pub header_read_timeout_ms: u64,
    /// Longest a keep-alive connection may sit with no request in progress; then it closes.
    pub idle_timeout_ms: u64,
    /// Longest one request may take from its header to its response (then 503).
    pub request_timeout_ms: u64,
    /// Largest request header block in bytes (beyond it: 431).
    pub max_header_bytes: usize,
    /// Largest request body in bytes (beyond it: 413); the API's routes take none.
    pub max_body_bytes: usize,
    /// Oldest a served `/v1/worklist` may be when the pipeline changed since (see `worklist`).
    pub worklist_max_staleness_ms: u64,
    /// A file holding the bearer token every route but `/healthz`, `/readyz` and `/openapi.json`
    /// then requires (`Authorization: Bearer <token>`; one trailing newline dropped). Unset: no
    /// authentication.
    pub auth_token_file: Option<String>,
    /// Serve `/metrics` without the token even when `auth_token_file` is set.
    pub metrics_without_auth: bool,
    /// Decision records kept in memory per owned account for `/v1/accounts/{id}/decisions` (the
    /// latest ones; about 4 KiB each), 1 to [`MAX_DECISIONS_PER_ACCOUNT`].
    pub decisions_per_account: usize,
    /// The token read from `auth_token_file`; never logged (serialised masked).
    #[serde(skip_deserializing)]
    pub auth_token: Option<Sensitive<String>>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            enabled: true,
            listen: "127.0.0.1:8080".into(),
            max_connections: 512,
            header_read_timeout_ms: 5_000,
            idle_timeout_ms: 30_000,
            request_timeout_ms: 10_000,
            max_header_bytes: 16_384,
            max_body_bytes: 16_384,
            worklist_max_staleness_ms: 250,
            auth_token_file: None,
            metrics_without_auth: false,
            decisions_per_account: 4,
            auth_token: None,
        }
    }
}

impl HttpConfig {
    /// Reads the token from `auth_token_file`, if set; the problem, if any.
    pub fn load_token(&mut self) -> Option<String> {
        let path = self.auth_token_file.as_deref()?;
        match std::fs::read_to_string(path) {
            Ok(t) => {
                let t = t.strip_suffix('\n').unwrap_or(&t);
                let t = t.strip_suffix('\r').unwrap_or(t);
                if t.trim().is_empty() {
                    return Some(format!("http.auth_token_file {path} is empty"));
                }
                self.auth_token = Some(Sensitive::new(t.to_string()));
                None
            }
            Err(e) => Some(format!("http.auth_token_file: cannot read {path}: {e}")),
        }
    }

    /// Every problem with the `[http]` table.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            p.push(format!(
                "http.listen must be an address such as 127.0.0.1:8080, not {:?}",
                self.listen
            ));
        }
        if self.max_connections == 0 {
            p.push("http.max_connections must be at least 1".into());
        }
        for (name, v) in [
            ("header_read_timeout_ms", self.header_read_timeout_ms),
            ("idle_timeout_ms", self.idle_timeout_ms),
            ("request_timeout_ms", self.request_timeout_ms),
        ] {
            if v == 0 || v > 3_600_000 {
                p.push(format!(
                    "http.{name} must be between 1 and 3600000, not {v}"
                ));
            }
        }
        if !(1_024..=1_048_576).contains(&self.max_header_bytes) {
            p.push(format!(
                "http.max_header_bytes must be between 1024 and 1048576, not {}",
                self.max_header_bytes
            ));
        }
        if self.max_body_bytes > 1_048_576 {
            p.push(format!(
                "http.max_body_bytes must be at most 1048576, not {}",
                self.max_body_bytes
            ));
        }
        if !(1..=MAX_DECISIONS_PER_ACCOUNT).contains(&self.decisions_per_account) {
            p.push(format!(
                "http.decisions_per_account must be between 1 and {MAX_DECISIONS_PER_ACCOUNT}, not {}",
                self.decisions_per_account
            ));
        }
        if self.worklist_max_staleness_ms > 60_000 {
            p.push(format!(
                "http.worklist_max_staleness_ms must be at most 60000, not {}",
                self.worklist_max_staleness_ms
            ));
        }
        p
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    pub fn worklist_max_staleness(&self) -> Duration {
        Duration::from_millis(self.worklist_max_staleness_ms)
    }
}

/// Everything the daemon needs beyond the scoring settings.
#[derive(Debug, Clone, Default)]
pub struct DaemonSettings {
    pub kafka: KafkaConfig,
    pub http: HttpConfig,
}

/// Properties arrears sets itself; overriding them would break offset or ordering guarantees.
const MANAGED: [&str; 8] = [
    "bootstrap.servers",
    "group.id",
    "enable.auto.offset.store",
    "enable.auto.commit",
    "enable.idempotence",
    "partition.assignment.strategy",
    "auto.offset.reset",
    "isolation.level",
];

/// Whether a librdkafka property holds a secret.
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    // Near misses too: a misspelt name (`sasl.passwrod`) still holds what was meant as a secret.
    [
        "pass", "secret", "jaas", "token", "key", "private", "cred", "oauth",
    ]
    .iter()
    .any(|s| k.contains(s))
}

impl DaemonSettings {
    /// Loads the compiled-in defaults, then `file`, then (if `env`) `ARREARS_KAFKA__KEY` and
    /// `ARREARS_HTTP__KEY` variables; reads only the `kafka` and `http` tables.
    /// Every problem at once, each with the file, line and column of its key (or its variable).
    pub fn load(file: Option<&Path>, env: bool) -> Result<DaemonSettings, ConfigError> {
        let mut layers = crate::config::Layers::read(file, env)?;
        let (kafka, mut problems) = layers.extract::<KafkaConfig>(Some("kafka"));
        let (http, more) = layers.extract::<HttpConfig>(Some("http"));
        problems.extend(more);
        let mut s = DaemonSettings {
            kafka: kafka.unwrap_or_default(),
            http: http.unwrap_or_default(),
        };
        let checks = s.http.load_token().into_iter().chain(s.problems());
        problems.extend(checks.map(|m| layers.locate_message(&m)));
        layers.sort(&mut problems);
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        if env {
            s.merge_property_env(std::env::vars())?;
        }
        Ok(s)
    }

    /// Sets librdkafka properties from `ARREARS_KAFKA_PROPERTY__<NAME>=value` variables, or from
    /// the file that `ARREARS_KAFKA_PROPERTY__<NAME>_FILE=path` names (a mounted secret; one
    /// trailing newline dropped). `<NAME>` is the property in upper case with `_` for `.`:
    /// `ARREARS_KAFKA_PROPERTY__SASL_PASSWORD_FILE=/run/secrets/kafka` sets `sasl.password`.
    /// Values are never logged unmasked.
    pub fn merge_property_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        for (key, value) in vars {
            let Some(name) = key.strip_prefix(PROPERTY_ENV) else {
                continue;
            };
            let (name, value) = match name.strip_suffix("_FILE") {
                Some(name) => match std::fs::read_to_string(&value) {
                    Ok(v) => (name, v.strip_suffix('\n').unwrap_or(&v).to_string()),
                    Err(e) => {
                        problems.push(format!("{key}: cannot read {value}: {e}"));
                        continue;
                    }
                },
                None => (name, value),
            };
            if name.is_empty() {
                problems.push(format!("{key}: no property name after {PROPERTY_ENV}"));
                continue;
            }
            let property = name.to_ascii_lowercase().replace('_', ".");
            self.kafka.properties.insert(property, value.into());
        }
        problems.extend(self.problems());
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// Extracts and validates the `kafka` and `http` tables of `fig`.
    pub fn from_figment(fig: &Figment) -> Result<DaemonSettings, ConfigError> {
        let mut problems = Vec::new();
        let kafka: Option<KafkaConfig> = fig
            .focus("kafka")
            .extract()
            .map_err(|e| problems.extend(e.into_iter().map(|e| format!("kafka: {e}"))))
            .ok();
        let http: Option<HttpConfig> = fig
            .focus("http")
            .extract()
            .map_err(|e| problems.extend(e.into_iter().map(|e| format!("http: {e}"))))
            .ok();
        let mut s = DaemonSettings {
            kafka: kafka.unwrap_or_default(),
            http: http.unwrap_or_default(),
        };
        problems.extend(s.http.load_token());
        problems.extend(s.problems());
        if problems.is_empty() {
            Ok(s)
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// Every problem with these settings.
    pub fn problems(&self) -> Vec<String> {
        let k = &self.kafka;
        let mut p = Vec::new();
        for (name, v) in [
            ("kafka.brokers", &k.brokers),
            ("kafka.group_id", &k.group_id),
            ("kafka.billing_topic", &k.billing_topic),
            ("kafka.contacts_topic", &k.contacts_topic),
            ("kafka.work_items_topic", &k.work_items_topic),
            ("kafka.dead_letter_topic", &k.dead_letter_topic),
            ("kafka.changelog_topic", &k.changelog_topic),
            ("kafka.decisions_topic", &k.decisions_topic),
        ] {
            if v.trim().is_empty() {
                p.push(format!("{name} must not be empty"));
            }
        }
        if k.billing_topic == k.contacts_topic {
            p.push("kafka.billing_topic and kafka.contacts_topic must differ".into());
        }
        for (name, other) in [
            ("billing_topic", &k.billing_topic),
            ("contacts_topic", &k.contacts_topic),
            ("work_items_topic", &k.work_items_topic),
            ("dead_letter_topic", &k.dead_letter_topic),
            ("changelog_topic", &k.changelog_topic),
        ] {
            if k.decisions_topic == *other {
                p.push(format!(
                    "kafka.decisions_topic and kafka.{name} must differ"
                ));
            }
        }
        if k.max_in_flight == 0 {
            p.push("kafka.max_in_flight must be at least 1".into());
        }
        if k.session_timeout_ms == 0 {
            p.push("kafka.session_timeout_ms must be positive".into());
        }
        if !["none", "gzip", "snappy", "lz4", "zstd"].contains(&k.compression.as_str()) {
            p.push(format!(
                "kafka.compression must be none, gzip, snappy, lz4 or zstd, not {:?}",
                k.compression
            ));
        }
        for key in k.properties.keys() {
            if MANAGED.contains(&key.as_str()) {
                p.push(format!(
                    "kafka.properties.\"{key}\" is set by arrears itself (use the [kafka] keys)"
                ));
            }
        }
        p.extend(self.http.problems());
        p
    }

    /// The effective `[kafka]` and `[http]` tables as JSON, for the log line `arrears run` starts
    /// with: every [`Sensitive`] value masked (the token, and each passthrough property, shown
    /// only when [`is_secret`] does not flag its name).
    pub fn effective(&self) -> serde_json::Value {
        let mut v = serde_json::json!({"kafka": &self.kafka, "http": &self.http});
        v["kafka"]["properties"] = serde_json::json!(self.masked_properties());
        v
    }

    /// The passthrough properties with secrets masked, for logs.
    pub fn masked_properties(&self) -> BTreeMap<String, String> {
        self.kafka
            .properties
            .iter()
            .map(|(k, v)| {
                let shown = if is_secret(k) {
                    MASK
                } else {
                    v.expose().as_str()
                };
                (k.clone(), shown.to_string())
            })
            .collect()
    }

    fn base(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.kafka.brokers);
        for (k, v) in &self.kafka.properties {
            c.set(k, v.expose());
        }
        c
    }

    /// The group consumer of the input topics: offsets stored by the daemon only after the
    /// outputs are acknowledged, auto-committed from that store; eager `range` assignment so
    /// co-partitioned topics land together.
    pub fn consumer_config(&self) -> ClientConfig {
        let k = &self.kafka;
        let mut c = self.base();
        c.set("group.id", &k.group_id)
            .set("enable.auto.commit", "true")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("partition.assignment.strategy", "range")
            .set("enable.partition.eof", "false")
            .set("session.timeout.ms", k.session_timeout_ms.to_string())
            .set("max.poll.interval.ms", k.max_poll_interval_ms.to_string())
            .set(
                "queued.max.messages.kbytes",
                k.queued_max_messages_kbytes.to_string(),
            )
            .set("statistics.interval.ms", k.stats_interval_ms.to_string());
        c
    }

    /// A consumer that reads changelog partitions by assignment (no group membership, no commits).
    pub fn restore_config(&self) -> ClientConfig {
        let mut c = self.base();
        c.set("group.id", format!("{}.restore", self.kafka.group_id))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false");
        c
    }

    /// The idempotent, compressing producer of work items, decision records, changelog and dead
    /// letters.
    pub fn producer_config(&self) -> ClientConfig {
        let mut c = self.base();
        c.set("enable.idempotence", "true")
            .set("compression.type", &self.kafka.compression)
            .set("linger.ms", "5");
        c
    }

    pub fn restore_timeout(&self) -> Duration {
        Duration::from_millis(self.kafka.restore_timeout_ms)
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_millis(self.kafka.shutdown_timeout_ms)
    }

    /// The input topics, billing first.
    pub fn input_topics(&self) -> [&str; 2] {
        [&self.kafka.billing_topic, &self.kafka.contacts_topic]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::providers::{Format, Toml};

    #[test]
    fn defaults_load_and_a_file_overrides_only_its_tables() {
        let s = DaemonSettings::load(None, false).unwrap();
        assert_eq!(s.kafka.billing_topic, "arrears.billing");
        assert_eq!(s.http.listen, "127.0.0.1:8080");
        let fig = Figment::from(Toml::string(
            "[kafka]\nbrokers = \"b:1\"\nmax_in_flight = 5\n[kafka.properties]\n\"sasl.password\" = \"hunter2\"\n\"security.protocol\" = \"SASL_SSL\"\n[http]\nlisten = \"0.0.0.0:9\"\n[scoring]\nwilling_threshold = 0.5\n",
        ));
        let s = DaemonSettings::from_figment(&fig).unwrap();
        assert_eq!(s.kafka.brokers, "b:1");
        assert_eq!(s.kafka.max_in_flight, 5);
        let masked = s.masked_properties();
        assert_eq!(masked["sasl.password"], "********");
        assert_eq!(masked["security.protocol"], "SASL_SSL");
        assert!(!format!("{masked:?}").contains("hunter2"));
        let effective = s.effective().to_string();
        assert!(!effective.contains("hunter2"), "{effective}");
        assert!(effective.contains("SASL_SSL"), "{effective}");
        assert_eq!(s.effective()["kafka"]["properties"]["sasl.password"], MASK);
    }

    #[test]
    fn properties_come_from_environment_variables_and_secret_files() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("password");
        std::fs::write(&secret, "s3cret\n").unwrap();
        let mut s = DaemonSettings::default();
        s.merge_property_env([
            (
                "ARREARS_KAFKA_PROPERTY__SECURITY_PROTOCOL".to_string(),
                "SASL_SSL".to_string(),
            ),
            (
                "ARREARS_KAFKA_PROPERTY__SASL_PASSWORD_FILE".to_string(),
                secret.display().to_string(),
            ),
            ("ARREARS_OTHER".to_string(), "x".to_string()),
        ])
        .unwrap();
        assert_eq!(s.kafka.properties["security.protocol"], "SASL_SSL");
        assert_eq!(s.kafka.properties["sasl.password"], "s3cret");
        assert_eq!(s.kafka.properties.len(), 2);
        assert_eq!(s.masked_properties()["sasl.password"], "********");
        // A missing secret file and a managed property are both reported.
        let err = s
            .merge_property_env([
                (
                    "ARREARS_KAFKA_PROPERTY__SSL_KEY_PASSWORD_FILE".to_string(),
                    "/nonexistent/secret".to_string(),
                ),
                (
                    "ARREARS_KAFKA_PROPERTY__GROUP_ID".to_string(),
                    "x".to_string(),
                ),
            ])
            .unwrap_err();
        let ConfigError::Invalid(p) = err else {
            panic!("{err:?}")
        };
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(!format!("{p:?}").contains("s3cret"));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let fig = Figment::from(Toml::string(
            "[kafka]\nbrokers = \"\"\nmax_in_flight = 0\ncompression = \"brotli\"\ndecisions_topic = \"arrears.work-items\"\n[kafka.properties]\n\"enable.auto.offset.store\" = \"true\"\n[http]\nlisten = \"nowhere\"\ndecisions_per_account = 0\n",
        ));
        let Err(ConfigError::Invalid(p)) = DaemonSettings::from_figment(&fig) else {
            panic!("invalid settings accepted");
        };
        assert_eq!(p.len(), 7, "{p:?}");
        let fig = Figment::from(Toml::string("[kafka]\nbrokerz = \"x\"\n"));
        assert!(DaemonSettings::from_figment(&fig).is_err());
    }
}
