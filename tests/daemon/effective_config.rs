//! `arrears run` starts with one INFO event holding the effective configuration (defaults, the
//! file, the environment merged) with every secret masked: the bearer token read from
//! `http.auth_token_file` and a Kafka password from `ARREARS_KAFKA_PROPERTY__SASL_PASSWORD_FILE`
//! appear as the mask, never as themselves, there or anywhere else on stderr.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrears::daemon::sensitive::MASK;
use serde_json::Value;

use crate::common::{broker, DEADLINE};

const TOKEN: &str = "tok-3f9a1c77d2e8-never-shown";
const PASSWORD: &str = "pw-b81e55a0c4-never-shown";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_effective_configuration_is_logged_at_start_with_secrets_masked() {
    let broker = broker();
    let dir = tempfile::tempdir().unwrap();
    let (token, password) = (dir.path().join("token"), dir.path().join("password"));
    std::fs::write(&token, format!("{TOKEN}\n")).unwrap();
    std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();
    let config = dir.path().join("arrears.toml");
    std::fs::write(
        &config,
        format!(
            "[kafka]\nbrokers = \"{}\"\ngroup_id = \"g-effective\"\nevaluate_interval_ms = 0\n\
             stats_interval_ms = 0\n[kafka.properties]\n\"client.id\" = \"arrears-effective\"\n\
             [http]\nlisten = \"127.0.0.1:0\"\nauth_token_file = \"{}\"\n",
            broker.bootstrap(),
            token.display()
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(["--log-format", "json", "run", "--config"])
        .arg(&config)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("ARREARS_LOG", "arrears=info")
        .env("ARREARS_KAFKA_PROPERTY__SASL_PASSWORD_FILE", &password)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("arrears run starts");
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let (stderr, sink) = (child.stderr.take().unwrap(), log.clone());
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    // Started on the broker: the co-partitioning check has read the topics.
    let start = Instant::now();
    while !log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("input topics are co-partitioned"))
    {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "arrears run exited ({status}):\n{}",
                log.lock().unwrap().join("\n")
            );
        }
        assert!(
            start.elapsed() < DEADLINE,
            "arrears run never started:\n{}",
            log.lock().unwrap().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    let lines = log.lock().unwrap().clone();
    let all = lines.join("\n");
    assert!(!all.contains(TOKEN), "the token reached stderr:\n{all}");
    assert!(
        !all.contains(PASSWORD),
        "the password reached stderr:\n{all}"
    );

    let events: Vec<Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "effective configuration")
        .collect();
    assert_eq!(events.len(), 1, "one effective-configuration event:\n{all}");
    let event = &events[0];
    assert_eq!(event["level"], "INFO", "{event}");
    assert_eq!(event["fields"]["version"], env!("CARGO_PKG_VERSION"));
    let config: Value = serde_json::from_str(event["fields"]["config"].as_str().unwrap())
        .expect("the configuration as JSON");
    assert_eq!(config["http"]["auth_token"], MASK, "{config}");
    assert_eq!(
        config["kafka"]["properties"]["sasl.password"], MASK,
        "{config}"
    );
    // Not secrets: shown as they are, from the file and from the defaults.
    assert_eq!(
        config["kafka"]["properties"]["client.id"],
        "arrears-effective"
    );
    assert_eq!(config["kafka"]["brokers"], broker.bootstrap());
    assert_eq!(config["kafka"]["group_id"], "g-effective");
    assert_eq!(config["kafka"]["billing_topic"], "arrears.billing");
    assert_eq!(
        config["http"]["auth_token_file"],
        token.display().to_string()
    );
    assert!(config["engine"]["scoring"].is_object(), "{config}");
    assert!(config["engine"].get("kafka").is_none(), "{config}");
}
