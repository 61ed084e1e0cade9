//! Error classes at the Kafka edge: which client errors the daemon rides out (a broker blip, a
//! moving coordinator, a full queue: back off and go on) and which stop it (bad credentials,
//! a missing topic, a broken configuration, a fenced idempotent producer). Also the bounded
//! exponential back-off and the rate-limited warning the transient path uses.
//!
//! A leaf: it knows rdkafka's error types and nothing of the daemon.

use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// What the daemon does about a client error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The network or the cluster is in a passing state: back off and retry; librdkafka
    /// reconnects by itself.
    Transient,
    /// Retrying cannot help: stop with a clear error.
    Fatal,
}

/// The class of an error code. Unknown codes are transient: librdkafka keeps retrying those
/// itself, and a daemon that dies of an unlisted blip is worse than one that logs it.
pub fn classify_code(code: RDKafkaErrorCode) -> Class {
    use RDKafkaErrorCode as C;
    match code {
        C::Authentication
        | C::SaslAuthenticationFailed
        | C::TopicAuthorizationFailed
        | C::GroupAuthorizationFailed
        | C::ClusterAuthorizationFailed
        | C::TransactionalIdAuthorizationFailed
        | C::DelegationTokenAuthorizationFailed
        | C::Fatal
        | C::InvalidProducerEpoch
        | C::ProducerFenced
        | C::InvalidProducerIdMapping
        | C::UnknownProducerId
        | C::OutOfOrderSequenceNumber
        | C::UnknownTopic
        | C::UnknownPartition
        | C::UnknownTopicOrPartition
        | C::InvalidArgument
        | C::InvalidConfig
        | C::UnsupportedFeature
        | C::UnsupportedVersion
        | C::UnsupportedSASLMechanism
        | C::SSL
        | C::InvalidGroupId
        | C::InconsistentGroupProtocol
        | C::InvalidSessionTimeout
        | C::MessageSizeTooLarge
        | C::InvalidRecord
        | C::InvalidMessage => Class::Fatal,
        _ => Class::Transient,
    }
}

/// The class of a client error: by its code when it has one; errors of our own making (a
/// configuration librdkafka refused, a NUL in a string) are fatal.
pub fn classify(e: &KafkaError) -> Class {
    match e {
        KafkaError::MessageConsumptionFatal(_) => Class::Fatal,
        KafkaError::ClientConfig(..) | KafkaError::ClientCreation(_) | KafkaError::Nul(_) => {
            Class::Fatal
        }
        KafkaError::Canceled | KafkaError::NoMessageReceived | KafkaError::PartitionEOF(_) => {
            Class::Transient
        }
        e => e
            .rdkafka_error_code()
            .map_or(Class::Transient, classify_code),
    }
}

/// Whether the error says no broker can be reached (then polling again at once is useless).
pub fn is_unreachable(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::AllBrokersDown
                | RDKafkaErrorCode::BrokerTransportFailure
                | RDKafkaErrorCode::Resolve
        )
    )
}

/// Bounded exponential back-off: `first`, doubled per failure, never over `max`; reset by a
/// success.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Backoff {
        Backoff {
            first,
            max,
            next: first,
        }
    }

    /// The daemon's: 100 ms, 200 ms, … up to 5 s.
    pub fn edge() -> Backoff {
        Backoff::new(Duration::from_millis(100), Duration::from_secs(5))
    }

    /// The pause before the next retry; doubles the one after.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    pub fn reset(&mut self) {
        self.next = self.first;
    }

    /// Whether a failure happened since the last reset.
    pub fn is_backing_off(&self) -> bool {
        self.next != self.first
    }
}

/// Lets one warning through per `every`; counts the ones held back meanwhile.
#[derive(Debug)]
pub struct RateLimit {
    every: Duration,
    last: Option<Instant>,
    suppressed: u64,
}

impl RateLimit {
    pub fn new(every: Duration) -> RateLimit {
        RateLimit {
            every,
            last: None,
            suppressed: 0,
        }
    }

    /// `Some(suppressed since the last one)` when this occurrence should be logged.
    pub fn allow(&mut self, now: Instant) -> Option<u64> {
        if self
            .last
            .is_some_and(|l| now.duration_since(l) < self.every)
        {
            self.suppressed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RDKafkaErrorCode as C;

    #[test]
    fn network_and_cluster_blips_are_transient() {
        for code in [
            C::AllBrokersDown,
            C::BrokerTransportFailure,
            C::MessageTimedOut,
            C::RequestTimedOut,
            C::OperationTimedOut,
            C::QueueFull,
            C::NotCoordinator,
            C::CoordinatorNotAvailable,
            C::CoordinatorLoadInProgress,
            C::RebalanceInProgress,
            C::NotLeaderForPartition,
            C::LeaderNotAvailable,
            C::NetworkException,
            C::Resolve,
            C::BrokerDestroy,
        ] {
            assert_eq!(classify_code(code), Class::Transient, "{code:?}");
            assert_eq!(
                classify(&KafkaError::MessageConsumption(code)),
                Class::Transient
            );
        }
    }

    #[test]
    fn credentials_topics_configuration_and_fencing_are_fatal() {
        for code in [
            C::Authentication,
            C::SaslAuthenticationFailed,
            C::TopicAuthorizationFailed,
            C::GroupAuthorizationFailed,
            C::ClusterAuthorizationFailed,
            C::Fatal,
            C::ProducerFenced,
            C::InvalidProducerEpoch,
            C::OutOfOrderSequenceNumber,
            C::UnknownTopicOrPartition,
            C::UnknownTopic,
            C::InvalidConfig,
            C::InvalidArgument,
        ] {
            assert_eq!(classify_code(code), Class::Fatal, "{code:?}");
        }
        assert_eq!(
            classify(&KafkaError::MessageConsumptionFatal(C::AllBrokersDown)),
            Class::Fatal
        );
        assert_eq!(
            classify(&KafkaError::ClientCreation("bad".into())),
            Class::Fatal
        );
        assert_eq!(
            classify(&KafkaError::MessageProduction(C::MessageTimedOut)),
            Class::Transient
        );
        assert_eq!(classify(&KafkaError::Canceled), Class::Transient);
    }

    #[test]
    fn backoff_doubles_up_to_its_bound_and_resets() {
        let mut b = Backoff::edge();
        let ms: Vec<u128> = (0..8).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert!(b.is_backing_off());
        b.reset();
        assert!(!b.is_backing_off());
        assert_eq!(b.next_delay(), Duration::from_millis(100));
    }

    #[test]
    fn rate_limit_lets_one_through_per_period_and_counts_the_rest() {
        let mut r = RateLimit::new(Duration::from_secs(5));
        let t = Instant::now();
        assert_eq!(r.allow(t), Some(0));
        assert_eq!(r.allow(t + Duration::from_secs(1)), None);
        assert_eq!(r.allow(t + Duration::from_secs(2)), None);
        assert_eq!(r.allow(t + Duration::from_secs(6)), Some(2));
    }
}
