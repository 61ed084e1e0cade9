//! The console in a real browser: Debian's headless chromium, driven through chromedriver,
//! signs in with the token, loads each page, checks what a person would read there (a known
//! account's rank, a held account's reason, a rule id, markup from events shown as text and never
//! run) and that the browser logged no console error (a Content-Security-Policy violation, a
//! failed load). Screenshots of the four pages go to `target/console-screenshots/` (or to
//! `ARREARS_SCREENSHOTS`, e.g. `docs/console`).

use std::path::PathBuf;

use crate::webdriver::Browser;
use crate::{console, HOSTILE, HOSTILE_CONTACT, HOSTILE_PRODUCT, TOKEN};

fn shots() -> PathBuf {
    std::env::var_os("ARREARS_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots")
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Debian's chromium and chromium-driver: .ci/run installs them and runs this with --ignored"]
async fn console_pages_in_headless_chromium() {
    let c = console("g-console-browser").await;
    let base = format!("http://{}", c.addr);
    let top = c.ranked[0]["account_id"].as_str().unwrap().to_string();
    let third = c.ranked[2]["account_id"].as_str().unwrap().to_string();
    let held = c
        .ranked
        .iter()
        .find(|i| i["status"] == "held")
        .expect("a held account")
        .clone();
    let held_id = held["account_id"].as_str().unwrap().to_string();
    let rank_third = c.rank_of(&third);
    let mut console_log = Vec::new();

    // The browser blocks; keep it off the async workers.
    let log = tokio::task::spawn_blocking(move || {
        let b = Browser::start();
        b.go(&format!("{base}/console/worklist"));
        assert!(
            b.url().ends_with("/console/login"),
            "sent to sign in: {}",
            b.url()
        );
        b.type_into("input[name=token]", TOKEN);
        b.click("button[type=submit]");
        let url = b.wait_for_url("/console/worklist");
        assert!(url.ends_with("/console/worklist"), "signed in: {url}");
        assert_eq!(b.title(), "Worklist · arrears");
        assert_eq!(b.text(&format!("tr[data-account='{top}'] td.rank")), "1");
        assert_eq!(
            b.text(&format!("tr[data-account='{third}'] td.rank")),
            rank_third.to_string()
        );
        b.screenshot(&shots().join("worklist.png"));
        let mut log = b.console();

        b.go(&format!("{base}/console/worklist?status=held"));
        assert!(
            b.all("tr[data-account] .pill.open").is_empty(),
            "only held rows"
        );
        assert!(!b.all(&format!("tr[data-account='{held_id}']")).is_empty());

        b.go(&format!("{base}/console/accounts/{held_id}"));
        assert_eq!(
            b.text("#hold-reason"),
            held["hold_reason"].as_str().unwrap()
        );
        let rules = b.text("#rules");
        assert!(rules.contains("always.hold_in_force"), "{rules}");
        b.screenshot(&shots().join("account.png"));
        log.extend(b.console());

        b.go(&format!("{base}/console/accounts/{HOSTILE}"));
        for tag in ["script", "img", "iframe", "svg[onload]"] {
            assert!(b.all(tag).is_empty(), "no {tag} element from the events");
        }
        assert!(
            b.text("#state").contains(HOSTILE_PRODUCT),
            "markup shown as text"
        );
        assert!(b.text("#contacts").contains(HOSTILE_CONTACT));
        log.extend(b.console());

        b.go(&format!("{base}/console/portfolio"));
        assert!(b.all("svg").len() >= 6, "the portfolio's charts");
        assert!(b.text("#by-status").contains("Accounts by status"));
        b.screenshot(&shots().join("portfolio.png"));
        log.extend(b.console());

        b.go(&format!("{base}/console/health"));
        assert!(b.text("#readiness").contains("ready"));
        assert!(b.text("#drift-willingness").contains("willingness drift"));
        b.screenshot(&shots().join("health.png"));
        log.extend(b.console());
        log
    })
    .await
    .expect("the browser session");
    console_log.extend(log);
    let errors: Vec<_> = console_log
        .iter()
        .filter(|(level, _)| level == "SEVERE" || level == "WARNING")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    c.stop().await;
}
