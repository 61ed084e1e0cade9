//! The optional bearer token: read from `http.auth_token_file`, required by every route but
//! `/healthz`, `/readyz` and `/openapi.json` (and `/metrics` unless exempted), never shown in the
//! settings.

use arrears::daemon::DaemonSettings;
use figment::providers::{Format, Toml};
use figment::Figment;

use crate::client::{get, serve};

const TOKEN: &str = "correct-horse-battery-staple";

fn with_token(extra: &str) -> (DaemonSettings, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let toml = format!(
        "[http]\nlisten = \"127.0.0.1:0\"\nauth_token_file = \"{}\"\n{extra}",
        file.display()
    );
    let s = DaemonSettings::from_figment(&Figment::from(Toml::string(&toml))).unwrap();
    (s, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_only_health_and_readiness_are_open() {
    let (s, _dir) = with_token("");
    assert!(
        !format!("{s:?}").contains(TOKEN),
        "the token is never shown"
    );
    let addr = serve(&s.http).await;
    assert_eq!(get(addr, "/healthz", None).await.0, 200);
    assert_eq!(get(addr, "/readyz", None).await.0, 503, "open, not ready");
    assert_eq!(get(addr, "/openapi.json", None).await.0, 200);
    for path in [
        "/version",
        "/v1/worklist",
        "/v1/accounts/a1",
        "/v1/accounts/a1/decisions",
        "/metrics",
    ] {
        let (status, body) = get(addr, path, None).await;
        assert_eq!(status, 401, "{path} without a token");
        assert!(!body.contains(TOKEN));
        assert_eq!(get(addr, path, Some("wrong")).await.0, 401, "{path}");
        let almost = &TOKEN[..TOKEN.len() - 1];
        assert_eq!(get(addr, path, Some(almost)).await.0, 401, "{path}");
    }
    assert_eq!(
        get(addr, "/v1/worklist", Some(TOKEN)).await,
        (200, "[]".into())
    );
    assert_eq!(get(addr, "/v1/accounts/a1", Some(TOKEN)).await.0, 404);
    assert_eq!(
        get(addr, "/v1/accounts/a1/decisions", Some(TOKEN)).await.0,
        404
    );
    assert_eq!(get(addr, "/metrics", Some(TOKEN)).await.0, 200);
    assert_eq!(get(addr, "/version", Some(TOKEN)).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_may_be_exempted_and_a_bad_token_file_is_a_config_error() {
    let (s, _dir) = with_token("metrics_without_auth = true\n");
    let addr = serve(&s.http).await;
    assert_eq!(get(addr, "/metrics", None).await.0, 200);
    assert_eq!(get(addr, "/v1/worklist", None).await.0, 401);

    let fig = Figment::from(Toml::string(
        "[http]\nauth_token_file = \"/nonexistent/token\"\n",
    ));
    assert!(DaemonSettings::from_figment(&fig).is_err());
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let fig = Figment::from(Toml::string(&format!(
        "[http]\nauth_token_file = \"{}\"\n",
        empty.display()
    )));
    assert!(
        DaemonSettings::from_figment(&fig).is_err(),
        "an empty token"
    );
}
