//! The daemon's Prometheus metrics: one owned registry (no global state), bounded labels only
//! (topics, event types, reasons, statuses, segments, strategies, rules, experiment arms,
//! partitions; never an account id or a phone number), label handles resolved once and cached for the hot path.
//!
//! Every metric is documented in the README's metrics table; keep the two in step.

use std::collections::HashMap;
use std::sync::Mutex;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::engine::domain::{EventType, HoldReason, RejectReason, Segment, Status, Strategy};
use crate::engine::scoring::{self, Scorer};
use crate::engine::workitem::{Rule, WorkItem};

/// Bins of the score distributions (and of the models' reference distributions): ten of 0.1.
pub const SCORE_BINS: usize = 10;

/// The bin of a score in [0, 1].
pub fn score_bin(score: f64) -> usize {
    ((score * SCORE_BINS as f64).floor().max(0.0) as usize).min(SCORE_BINS - 1)
}

/// Live counts of the current score bin of every owned past-due account, per model
/// (willingness, ability), for the population stability index.
#[derive(Default)]
struct Population {
    counts: [[u64; SCORE_BINS]; 2],
}

/// The label of `arrears_policy_blocks_total`: a profile's rule, or a rule of every profile.
type RuleLabel = (Option<std::sync::Arc<str>>, &'static str);

/// The labels of `arrears_work_items_published_total`.
type ItemLabels = (Status, Segment, Option<Strategy>);

pub struct Metrics {
    registry: Registry,
    consumed: IntCounterVec,
    /// Cached `consumed` handles: per topic, one per event type then `unparsed`.
    consumed_cache: Mutex<Vec<(String, Vec<IntCounter>)>>,
    rejected: Vec<IntCounter>,
    pub skipped_duplicate: IntCounter,
    pub skipped_applied: IntCounter,
    /// Contact attempts under a contact id the account's profile does not list (applied to the
    /// caps, never rejected).
    pub unknown_contact_attempts: IntCounter,
    pub processing_latency: Histogram,
    pub event_lag: Histogram,
    pub consumer_lag: IntGaugeVec,
    published: IntCounterVec,
    published_cache: Mutex<HashMap<ItemLabels, IntCounter>>,
    by_arm: IntCounterVec,
    /// Cached `by_arm` handles by arm name (the configured arms and `holdout`).
    by_arm_cache: Mutex<HashMap<std::sync::Arc<str>, IntCounter>>,
    /// Decision records published, one per new work-item version.
    pub decision_records: IntCounter,
    /// Bytes of the decision records kept in memory for the API.
    pub decision_history_bytes: IntGauge,
    holds: Vec<IntCounter>,
    policy_blocks: IntCounterVec,
    /// Cached `policy_blocks` handles by (profile, rule).
    policy_cache: Mutex<HashMap<RuleLabel, IntCounter>>,
    pub changelog_writes: IntCounter,
    pub restore_duration: Histogram,
    pub restored_accounts: IntCounter,
    pub expired_accounts: IntCounter,
    pub accounts: IntGauge,
    pub state_bytes: IntGauge,
    scores: [Histogram; 2],
    psi: prometheus::GaugeVec,
    psi_population: IntGaugeVec,
    population: Mutex<Population>,
    producer_errors: IntCounterVec,
    rebalances: IntCounterVec,
    pub partitions_assigned: IntGauge,
    pub ready: IntGauge,
    pub in_flight: IntGauge,
    pub last_event: prometheus::Gauge,
}

fn counter_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

fn counter(r: &Registry, name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(name, help).expect("valid metric");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

fn gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("valid metric");
    r.register(Box::new(g.clone())).expect("unique metric");
    g
}

fn histogram(r: &Registry, name: &str, help: &str, buckets: Vec<f64>) -> Histogram {
    let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))
        .expect("valid metric");
    r.register(Box::new(h.clone())).expect("unique metric");
    h
}

const MODELS: [&str; 2] = ["willingness", "ability"];

impl Metrics {
    /// Registers every metric; model information comes from `scorer`.
    pub fn new(scorer: &Scorer) -> Metrics {
        let r = Registry::new();
        #[cfg(target_os = "linux")]
        r.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))
        .expect("unique metric");

        let build = IntGaugeVec::new(
            Opts::new("arrears_build_info", "The running build; always 1."),
            &["version"],
        )
        .expect("valid metric");
        r.register(Box::new(build.clone())).expect("unique metric");
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        let model_info = IntGaugeVec::new(
            Opts::new("arrears_model_info", "The loaded scoring models; always 1."),
            &["model", "version"],
        )
        .expect("valid metric");
        r.register(Box::new(model_info.clone()))
            .expect("unique metric");
        for (name, m) in MODELS.iter().zip([&scorer.willingness, &scorer.ability]) {
            model_info
                .with_label_values(&[*name, m.model.version.as_str()])
                .set(1);
        }

        let consumed = counter_vec(
            &r,
            "arrears_events_consumed_total",
            "Input records consumed, by topic and event type (unparsed: no readable type).",
            &["topic", "type"],
        );
        let rejected_vec = counter_vec(
            &r,
            "arrears_events_rejected_total",
            "Input records rejected (each also sent to the dead-letter topic), by reason.",
            &["reason"],
        );
        let rejected = RejectReason::ALL
            .iter()
            .map(|r| rejected_vec.with_label_values(&[r.as_str()]))
            .collect();
        let skipped = counter_vec(
            &r,
            "arrears_events_skipped_total",
            "Input records skipped: an event id already applied, or an offset the restored state already reflects.",
            &["cause"],
        );
        let published = counter_vec(
            &r,
            "arrears_work_items_published_total",
            "Work items published (new versions), by status, segment and strategy (none: no action).",
            &["status", "segment", "strategy"],
        );
        let by_arm = counter_vec(
            &r,
            "arrears_work_items_by_arm_total",
            "Work items published (new versions), by experiment arm (holdout: not called today).",
            &["arm"],
        );
        let holds_vec = counter_vec(
            &r,
            "arrears_holds_published_total",
            "Held work items published, by hold reason.",
            &["reason"],
        );
        let holds = HoldReason::ALL
            .iter()
            .map(|h| holds_vec.with_label_values(&[h.as_str()]))
            .collect();
        let policy_blocks = counter_vec(
            &r,
            "arrears_policy_blocks_total",
            "Published work items whose contact a policy rule held, capped, delayed or restricted, by rule (<profile>.<rule>).",
            &["rule"],
        );
        let score_buckets: Vec<f64> = (1..=SCORE_BINS)
            .map(|i| i as f64 / SCORE_BINS as f64)
            .collect();
        let score_vec = HistogramVec::new(
            HistogramOpts::new("arrears_score", "Scores of published work items, by model.")
                .buckets(score_buckets),
            &["model"],
        )
        .expect("valid metric");
        r.register(Box::new(score_vec.clone()))
            .expect("unique metric");
        let psi_vec = prometheus::GaugeVec::new(
            Opts::new(
                "arrears_model_psi",
                "Population stability index of the current scores of the owned past-due accounts (the training population) against the model's training distribution (0.1: watch, 0.25: act).",
            ),
            &["model"],
        )
        .expect("valid metric");
        r.register(Box::new(psi_vec.clone()))
            .expect("unique metric");
        let psi_population = IntGaugeVec::new(
            Opts::new(
                "arrears_model_psi_population",
                "Accounts in the population arrears_model_psi is computed over (owned, past due, scored): the drift alert needs enough of them for the index to mean anything.",
            ),
            &["model"],
        )
        .expect("valid metric");
        r.register(Box::new(psi_population.clone()))
            .expect("unique metric");
        let rebalances = counter_vec(
            &r,
            "arrears_rebalances_total",
            "Consumer-group rebalances seen by this instance, by kind (assign, revoke).",
            &["kind"],
        );
        let consumer_lag = IntGaugeVec::new(
            Opts::new(
                "arrears_consumer_lag_messages",
                "Records between this instance's position and the partition's high watermark (librdkafka statistics).",
            ),
            &["topic", "partition"],
        )
        .expect("valid metric");
        r.register(Box::new(consumer_lag.clone()))
            .expect("unique metric");
        let lag_buckets = vec![
            0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0, 604800.0,
        ];
        let m = Metrics {
            consumed,
            consumed_cache: Mutex::new(Vec::new()),
            rejected,
            skipped_duplicate: skipped.with_label_values(&["duplicate_event_id"]),
            skipped_applied: skipped.with_label_values(&["already_applied"]),
            unknown_contact_attempts: counter(
                &r,
                "arrears_contact_attempts_unknown_contact_total",
                "Contact attempts under a contact id the account does not list: applied to the caps and counted, never rejected.",
            ),
            processing_latency: histogram(
                &r,
                "arrears_processing_latency_seconds",
                "From receiving an input record to Kafka acknowledging every output it caused.",
                prometheus::exponential_buckets(0.0005, 2.0, 16).expect("valid buckets"),
            ),
            event_lag: histogram(
                &r,
                "arrears_event_lag_seconds",
                "Receipt wall time minus the event's occurred_at (end-to-end event-time lag).",
                lag_buckets,
            ),
            consumer_lag,
            published,
            published_cache: Mutex::new(HashMap::new()),
            by_arm,
            by_arm_cache: Mutex::new(HashMap::new()),
            decision_records: counter(
                &r,
                "arrears_decision_records_total",
                "Decision records published on the audit topic, one per new work-item version.",
            ),
            decision_history_bytes: gauge(
                &r,
                "arrears_decision_history_bytes",
                "Bytes of the recent decision records kept in memory for /v1/accounts/{id}/decisions.",
            ),
            holds,
            policy_blocks,
            policy_cache: Mutex::new(HashMap::new()),
            changelog_writes: counter(
                &r,
                "arrears_changelog_writes_total",
                "Account state records written to the changelog topic.",
            ),
            restore_duration: histogram(
                &r,
                "arrears_restore_duration_seconds",
                "Time to restore newly assigned partitions from the changelog.",
                prometheus::exponential_buckets(0.01, 2.0, 16).expect("valid buckets"),
            ),
            restored_accounts: counter(
                &r,
                "arrears_restored_accounts_total",
                "Accounts restored from the changelog.",
            ),
            expired_accounts: counter(
                &r,
                "arrears_expired_accounts_total",
                "Closed accounts forgotten after events.closed_retention_days (changelog tombstones).",
            ),
            accounts: gauge(
                &r,
                "arrears_accounts",
                "Accounts held in state by this instance.",
            ),
            state_bytes: gauge(
                &r,
                "arrears_state_bytes",
                "Estimated heap bytes of the accounts held in state.",
            ),
            scores: MODELS.map(|m| score_vec.with_label_values(&[m])),
            psi: psi_vec,
            psi_population,
            population: Mutex::new(Population::default()),
            producer_errors: counter_vec(
                &r,
                "arrears_producer_errors_total",
                "Kafka producer and client errors, by librdkafka error code.",
                &["code"],
            ),
            rebalances,
            partitions_assigned: gauge(
                &r,
                "arrears_partitions_assigned",
                "Input partitions (per topic) this instance owns.",
            ),
            ready: gauge(
                &r,
                "arrears_ready",
                "1 when partitions are assigned and restored, models loaded and the producer healthy.",
            ),
            in_flight: gauge(
                &r,
                "arrears_in_flight",
                "Input records whose outputs Kafka has not acknowledged yet.",
            ),
            last_event: {
                let g = prometheus::Gauge::new(
                    "arrears_last_event_timestamp_seconds",
                    "Unix time the last input record was received.",
                )
                .expect("valid metric");
                r.register(Box::new(g.clone())).expect("unique metric");
                g
            },
            registry: r,
        };
        // Present from the start, so rates and alerts see zero rather than no series.
        for kind in ["assign", "revoke"] {
            m.rebalances.with_label_values(&[kind]);
        }
        m
    }

    /// Counts one consumed record of `topic` (`None`: its type could not be read).
    pub fn consumed(&self, topic: &str, ty: Option<EventType>) {
        let idx = ty.map_or(EventType::ALL.len(), |t| t as usize);
        let mut cache = self
            .consumed_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some((_, handles)) = cache.iter().find(|(t, _)| t == topic) {
            handles[idx].inc();
            return;
        }
        let handles: Vec<IntCounter> = EventType::ALL
            .iter()
            .map(|t| t.as_str())
            .chain(["unparsed"])
            .map(|t| self.consumed.with_label_values(&[topic, t]))
            .collect();
        handles[idx].inc();
        cache.push((topic.to_string(), handles));
    }

    pub fn rejected(&self, reason: RejectReason) {
        self.rejected[reason as usize].inc();
    }

    /// Creates the by-arm series of `arms` and the holdout at zero (arm names are configuration).
    pub fn register_arms<'a>(&self, arms: impl IntoIterator<Item = &'a std::sync::Arc<str>>) {
        let holdout: std::sync::Arc<str> = crate::engine::experiments::HOLDOUT.into();
        let mut cache = self.by_arm_cache.lock().unwrap_or_else(|e| e.into_inner());
        for arm in arms.into_iter().cloned().chain([holdout]) {
            let handle = self.by_arm.with_label_values(&[&*arm]);
            cache.insert(arm, handle);
        }
    }

    /// Counts a published work item: status, segment, strategy, arm, hold, rules, scores.
    pub fn published(&self, item: &WorkItem) {
        {
            let mut cache = self.by_arm_cache.lock().unwrap_or_else(|e| e.into_inner());
            match cache.get(&item.arm) {
                Some(c) => c.inc(),
                None => {
                    let c = self.by_arm.with_label_values(&[&*item.arm]);
                    c.inc();
                    cache.insert(item.arm.clone(), c);
                }
            }
        }
        let strategy = item.action.as_ref().map(|a| a.strategy);
        {
            let mut cache = self
                .published_cache
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            cache
                .entry((item.status, item.segment, strategy))
                .or_insert_with(|| {
                    self.published.with_label_values(&[
                        item.status.as_str(),
                        item.segment.as_str(),
                        strategy.map_or("none", |s| s.as_str()),
                    ])
                })
                .inc();
        }
        if let Some(h) = item.hold_reason {
            self.holds[h as usize].inc();
        }
        let mut cache = self.policy_cache.lock().unwrap_or_else(|e| e.into_inner());
        for r in &item.reasons {
            let key: RuleLabel = match &r.rule {
                Some(Rule::Always(name)) => (None, *name),
                Some(Rule::Profile { profile, rule, .. }) => (Some(profile.clone()), *rule),
                None => continue,
            };
            cache
                .entry(key)
                .or_insert_with_key(|(profile, rule)| {
                    let label = match profile {
                        Some(p) => format!("{p}.{rule}"),
                        None => (*rule).to_string(),
                    };
                    self.policy_blocks.with_label_values(&[&label])
                })
                .inc();
        }
        drop(cache);
        self.scores[0].observe(item.scores.willingness);
        self.scores[1].observe(item.scores.ability);
    }

    /// Moves an account's current score bins from `before` to `after` in the live population.
    pub fn move_population(&self, before: Option<[u8; 2]>, after: Option<[u8; 2]>) {
        let mut p = self.population.lock().unwrap_or_else(|e| e.into_inner());
        for m in 0..2 {
            if let Some(b) = before {
                let c = &mut p.counts[m][b[m] as usize];
                *c = c.saturating_sub(1);
            }
            if let Some(a) = after {
                p.counts[m][a[m] as usize] += 1;
            }
        }
    }

    /// Recomputes the drift gauges from the live population and the models' references.
    pub fn update_psi(&self, scorer: &Scorer) {
        let counts = self
            .population
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .counts;
        for (m, model) in [&scorer.willingness, &scorer.ability]
            .into_iter()
            .enumerate()
        {
            let scored: u64 = counts[m].iter().sum();
            self.psi_population
                .with_label_values(&[MODELS[m]])
                .set(scored as i64);
            let value = model.reference().and_then(|r| scoring::psi(r, &counts[m]));
            // No series without a reference distribution or without scored accounts.
            match value {
                Some(v) => self.psi.with_label_values(&[MODELS[m]]).set(v),
                None => {
                    let _ = self.psi.remove_label_values(&[MODELS[m]]);
                }
            }
        }
    }

    /// Counts a producer or client error.
    pub fn producer_error(&self, code: &str) {
        self.producer_errors.with_label_values(&[code]).inc();
    }

    pub fn rebalance(&self, kind: &str) {
        self.rebalances.with_label_values(&[kind]).inc();
    }

    /// Rebalances of `kind` (assign, revoke) seen so far.
    pub fn rebalance_count(&self, kind: &str) -> u64 {
        self.rebalances.with_label_values(&[kind]).get()
    }

    /// The Prometheus text exposition of every metric.
    /// Every metric family as gathered now (the console's health page reads lag and drift here).
    pub fn gather(&self) -> Vec<prometheus::proto::MetricFamily> {
        self.registry.gather()
    }

    /// The live score-bin counts of the drift population, per model (willingness, ability).
    pub fn population_counts(&self) -> [[u64; SCORE_BINS]; 2] {
        self.population
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .counts
    }

    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding of gathered metrics");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_bins_cover_the_unit_interval() {
        assert_eq!(score_bin(0.0), 0);
        assert_eq!(score_bin(0.0999), 0);
        assert_eq!(score_bin(0.1), 1);
        assert_eq!(score_bin(0.95), 9);
        assert_eq!(score_bin(1.0), 9);
        assert_eq!(score_bin(-0.1), 0);
    }

    #[test]
    fn every_series_has_help_and_no_account_label() {
        let m = Metrics::new(&Scorer::shipped().unwrap());
        m.consumed("arrears.billing", Some(EventType::PaymentReceived));
        m.consumed("arrears.billing", None);
        m.rejected(RejectReason::MalformedJson);
        m.register_arms([&std::sync::Arc::from("champion")]);
        let text = m.render();
        assert!(text.contains("arrears_work_items_by_arm_total{arm=\"champion\"} 0"));
        assert!(text.contains("arrears_work_items_by_arm_total{arm=\"holdout\"} 0"));
        assert!(text.contains("arrears_decision_records_total 0"));
        assert!(text.contains(
            "arrears_events_consumed_total{topic=\"arrears.billing\",type=\"payment_received\"} 1"
        ));
        assert!(text.contains(
            "arrears_events_consumed_total{topic=\"arrears.billing\",type=\"unparsed\"} 1"
        ));
        assert!(text.contains("arrears_events_rejected_total{reason=\"malformed_json\"} 1"));
        assert!(text.contains("arrears_model_info{model=\"willingness\",version=\"2026-11-23\"} 1"));
        let allowed = [
            "topic",
            "type",
            "reason",
            "cause",
            "status",
            "segment",
            "strategy",
            "rule",
            "arm",
            "model",
            "version",
            "kind",
            "partition",
            "code",
            "le",
        ];
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((_, labels)) = line.split_once('{') else {
                continue;
            };
            for pair in labels.split("\",").filter(|p| p.contains('=')) {
                let name = pair.split('=').next().unwrap().trim_start_matches(',');
                assert!(allowed.contains(&name), "label {name} in {line}");
            }
        }
    }
}
