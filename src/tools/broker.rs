//! `arrears broker`: librdkafka's embedded mock cluster as a standalone Kafka-protocol broker for
//! local use and tests. It creates every topic the contract and the daemon need (the mock cluster
//! does not answer CreateTopics and does not auto-create topics for consumers), prints its
//! bootstrap address and serves until the shutdown future completes.
//!
//! Owns only the broker's lifetime; it knows nothing of events or work items. The mock cluster
//! keeps everything in memory: it is for demos and tests, never for production data.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, Producer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// The topics `arrears broker` creates by default (the contract's four and the changelog).
pub const DEFAULT_TOPICS: [&str; 6] = crate::daemon::topics::EVERY;

pub use crate::daemon::topics::input_topic;

/// Daemon settings for a consumer group `group` on the embedded broker at `bootstrap`: the one
/// place the mock cluster's tuning is spelled. The session timeout must stay above the mock
/// cluster's 3 s initial rebalance delay (with 1 s the group never completes its first join); a
/// 500 ms heartbeat makes rebalances quick.
pub fn daemon_settings(bootstrap: &str, group: &str) -> crate::daemon::DaemonSettings {
    let mut s = crate::daemon::DaemonSettings::default();
    s.kafka.brokers = bootstrap.to_string();
    s.kafka.group_id = group.to_string();
    s.kafka.session_timeout_ms = 4_000;
    s.kafka
        .properties
        .insert("heartbeat.interval.ms".into(), "500".into());
    s
}

#[derive(clap::Args, Debug, Clone)]
pub struct BrokerArgs {
    /// Port to listen on (127.0.0.1); any free port when absent.
    #[arg(long)]
    pub port: Option<u16>,
    /// Partitions of every topic (the input topics must be co-partitioned).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(i32).range(1..=1024))]
    pub partitions: i32,
}

/// Why the embedded broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("cannot start the mock cluster: {0}")]
    Start(KafkaError),
    #[error("cannot create topic {topic}: {source}")]
    Topic { topic: String, source: KafkaError },
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Listen { port: u16, source: std::io::Error },
}

/// A running embedded broker: one mock broker holding `topics`, reachable at `bootstrap()`.
pub struct EmbeddedBroker {
    // The mock cluster lives inside this client (`test.mock.num.brokers`) and dies with it.
    client: BaseProducer,
    bootstrap: String,
}

impl EmbeddedBroker {
    /// Starts a one-broker mock cluster on a free loopback port and creates `topics` with
    /// `partitions` partitions each.
    pub fn start(topics: &[&str], partitions: i32) -> Result<EmbeddedBroker, BrokerError> {
        let client: BaseProducer = ClientConfig::new()
            .set("test.mock.num.brokers", "1")
            .set("log_level", "3")
            .create()
            .map_err(BrokerError::Start)?;
        let bootstrap = {
            let cluster = client.client().mock_cluster().ok_or(BrokerError::Start(
                KafkaError::ClientCreation("no mock cluster in the client".into()),
            ))?;
            for topic in topics {
                cluster
                    .create_topic(topic, partitions, 1)
                    .map_err(|source| BrokerError::Topic {
                        topic: (*topic).to_string(),
                        source,
                    })?;
            }
            cluster.bootstrap_servers()
        };
        Ok(EmbeddedBroker { client, bootstrap })
    }

    /// The `bootstrap.servers` value clients use.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// The mock cluster, for fault injection in tests (`broker_down`, `request_errors`, …).
    pub fn cluster(
        &self,
    ) -> rdkafka::mocking::MockCluster<'_, rdkafka::producer::DefaultProducerContext> {
        self.client
            .client()
            .mock_cluster()
            .expect("the embedded broker's client holds a mock cluster")
    }

    /// The one broker's id (for [`EmbeddedBroker::cluster`]'s per-broker calls).
    pub const BROKER_ID: i32 = 1;

    /// Creates one more topic.
    pub fn create_topic(&self, topic: &str, partitions: i32) -> Result<(), BrokerError> {
        let cluster = self
            .client
            .client()
            .mock_cluster()
            .ok_or(BrokerError::Start(KafkaError::ClientCreation(
                "no mock cluster in the client".into(),
            )))?;
        cluster
            .create_topic(topic, partitions, 1)
            .map_err(|source| BrokerError::Topic {
                topic: topic.to_string(),
                source,
            })
    }

    /// Makes the broker reachable (and advertised) at `127.0.0.1:port` instead of its own free
    /// port: the mock cluster always binds a kernel-chosen port, so a fixed port is a loopback
    /// TCP relay to it, and the broker advertises the relay in its metadata. Returns the relay
    /// listener; serve it with [`relay`] or [`RelayHandle::serve`]. Port 0 picks a free port.
    #[allow(
        unsafe_code,
        reason = "librdkafka has no safe API to re-advertise a mock broker"
    )]
    pub async fn listen_on(&mut self, port: u16) -> Result<TcpListener, BrokerError> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|source| BrokerError::Listen { port, source })?;
        let port = listener
            .local_addr()
            .map_err(|source| BrokerError::Listen { port, source })?
            .port();
        let host = std::ffi::CString::new("127.0.0.1").expect("no NUL");
        // SAFETY: the handle's mock cluster lives as long as `self.client`; broker 1 exists
        // (one broker was requested); the call copies the host string.
        unsafe {
            let cluster =
                rdkafka::bindings::rd_kafka_handle_mock_cluster(self.client.client().native_ptr());
            if !cluster.is_null() {
                rdkafka::bindings::rd_kafka_mock_broker_set_host_port(
                    cluster,
                    1,
                    host.as_ptr(),
                    i32::from(port),
                );
            }
        }
        self.bootstrap = format!("127.0.0.1:{port}");
        Ok(listener)
    }
}

/// Relays every connection accepted on `listener` to `target` until the task is dropped.
pub async fn relay(listener: TcpListener, target: String) {
    RelayHandle::default().serve(listener, target).await;
}

/// A loopback relay that can reset its connections: [`RelayHandle::serve`] relays like
/// [`relay`], and [`RelayHandle::reset_all`] aborts every connection open at that moment with a
/// TCP RST on both sides (what an idle-connection close by a load balancer or a firewall looks
/// like to the client and the broker) while the relay goes on accepting new ones. For fault
/// injection in tests; clones share the connections.
#[derive(Clone, Default)]
pub struct RelayHandle {
    /// One reset trigger per relayed connection; triggers of closed connections are pruned at
    /// each accept and each reset.
    open: Arc<Mutex<Vec<oneshot::Sender<()>>>>,
}

impl RelayHandle {
    /// Relays every connection accepted on `listener` to `target` until the task is dropped.
    pub async fn serve(&self, listener: TcpListener, target: String) {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                continue;
            };
            let (reset, reset_rx) = oneshot::channel();
            {
                let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
                open.retain(|t| !t.is_closed());
                open.push(reset);
            }
            let target = target.clone();
            tokio::spawn(async move {
                let Ok(mut outbound) = TcpStream::connect(&target).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    Ok(()) = reset_rx => {
                        // Zero linger: dropping the socket sends RST instead of FIN.
                        let _ = inbound.set_zero_linger();
                        let _ = outbound.set_zero_linger();
                    }
                }
            });
        }
    }

    /// How many relayed connections are open now.
    pub fn open(&self) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.iter().filter(|t| !t.is_closed()).count()
    }

    /// Resets every connection open now (both sides get a TCP RST); returns how many.
    pub fn reset_all(&self) -> usize {
        let open = std::mem::take(&mut *self.open.lock().unwrap_or_else(PoisonError::into_inner));
        open.into_iter().filter_map(|t| t.send(()).ok()).count()
    }
}

/// Runs `arrears broker`: starts the cluster, prints the bootstrap address on stdout, serves
/// until `shutdown` completes.
pub async fn run(args: &BrokerArgs, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let mut broker = EmbeddedBroker::start(&DEFAULT_TOPICS, args.partitions)?;
    let relay_task = match args.port {
        Some(port) => {
            let target = broker.bootstrap().to_string();
            let listener = broker.listen_on(port).await?;
            Some(tokio::spawn(relay(listener, target)))
        }
        None => None,
    };
    println!("{}", broker.bootstrap());
    eprintln!(
        "arrears broker: bootstrap.servers={} topics={} partitions={} (in memory; Ctrl-C stops)",
        broker.bootstrap(),
        DEFAULT_TOPICS.join(","),
        args.partitions
    );
    shutdown.await;
    if let Some(t) = relay_task {
        t.abort();
    }
    drop(broker);
    Ok(())
}

/// `arrears broker`: a runtime around [`run`], stopped by SIGINT or SIGTERM.
pub fn cmd_broker(args: &BrokerArgs) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(args, crate::daemon::shutdown_signal()))
}
