//! Same configuration and seed → same bytes, under both response models; the legacy model's
//! bytes are exactly those the simulator wrote before the calibrated model was added; a run can
//! be continued beyond its configured days.

use super::*;
use crate::tools::sim::dialer::IdleDialer;

/// FNV-1a (64 bit) of a byte string: a pin on a whole stream.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn legacy_bytes_are_the_original_simulators() {
    // Pinned from `arrears simulate` built before the response models existed (`--accounts 400
    // --days 30 --seed 3`, and `--seed 4 --book collections --capacity 0.1`).
    let cfg = config(400, 30, 3, ResponseModel::Legacy);
    let (full, _) = run_house(&cfg);
    assert_eq!((full.len(), fnv(&full)), (564_568, 0x1ae2_7d2b_fdc6_26b8));
    let mut cfg = config(400, 30, 4, ResponseModel::Legacy);
    cfg.collections_book = true;
    cfg.capacity = 0.1;
    let (book, _) = run_house(&cfg);
    assert_eq!((book.len(), fnv(&book)), (853_226, 0xc7cd_7b4b_8e1a_b97b));
}

#[test]
fn same_seed_same_bytes_under_both_models() {
    for model in [ResponseModel::Legacy, ResponseModel::Calibrated] {
        let mut cfg = config(500, 30, 11, model);
        cfg.collections_book = true;
        let (a, wa) = run_house(&cfg);
        let (b, wb) = run_house(&cfg);
        assert!(a.len() > 50_000, "{model:?}: {} bytes", a.len());
        assert!(a == b, "{model:?}: the same seed must give identical bytes");
        assert_eq!(wa.stats(), wb.stats());
        cfg.seed = 12;
        let (c, _) = run_house(&cfg);
        assert!(a != c, "{model:?}: another seed must give another stream");
    }
}

#[test]
fn the_models_differ_and_calibrated_is_the_default() {
    assert_eq!(SimConfig::new(1, 1, 1).response, ResponseModel::Calibrated);
    let mut cfg = config(500, 30, 11, ResponseModel::Legacy);
    cfg.collections_book = true;
    let (legacy, _) = run_house(&cfg);
    cfg.response = ResponseModel::Calibrated;
    let (calibrated, _) = run_house(&cfg);
    assert!(legacy != calibrated);
}

#[test]
fn stepping_beyond_the_configured_days_continues_the_run() {
    for model in [ResponseModel::Legacy, ResponseModel::Calibrated] {
        // Ten configured days in one go, and five configured days continued for five more.
        let long = config(400, 10, 9, model);
        let (whole, w_long) = run_house(&long);
        let short = config(400, 5, 9, model);
        let mut dialer = HouseDialer::new(short.calls_per_day(), short.seed);
        let (mut bytes, mut w_short) = run(&short, &mut dialer);
        bytes.extend(step(&mut w_short, 5..10, &mut dialer));
        assert!(
            bytes == whole,
            "{model:?}: a continued run must equal the longer run"
        );
        assert_eq!(w_short.stats(), w_long.stats());
        assert_eq!(w_short.stats().days.len(), 10);
        // And with no contacts at all, well beyond: accounts keep billing and paying.
        let later = step(&mut w_short, 10..40, &mut IdleDialer);
        let text = String::from_utf8(later).expect("UTF-8");
        assert!(text.contains("\"type\":\"payment_received\""));
        assert!(text.contains("\"type\":\"statement_issued\""));
        assert!(text.lines().all(|l| !l.contains("\"contact_attempt\"")));
        assert_eq!(w_short.stats().days.len(), 40);
    }
}
