//! Probes of statements, reversals, fees, promises, flags and closing.

use serde_json::{json, Value};

use crate::probe_kit::*;

/// Probes of `statement_issued`.
pub fn statement_issued(add: &mut dyn FnMut(&str, Verdict, Value)) {
    let inv = Rejected("invalid_field");
    let miss = Rejected("missing_field");

    let st = || base("statement_issued");
    add("a valid statement", Accepted, st());
    for (m, ok) in [(0, true), (1000, true), (-1, false)] {
        let v = with(st(), "minimum_due", Some(json!(m)));
        add(
            &format!("minimum_due {m}"),
            if ok { Accepted } else { inv },
            v,
        );
    }
    add(
        "minimum_due above amount_due",
        StateOrCrossField("invalid_field"),
        with(st(), "minimum_due", Some(json!(1001))),
    );
    add(
        "amount_due 0",
        inv,
        with(st(), "amount_due", Some(json!(0))),
    );
    for d in ["2026-02-28", "2024-02-29"] {
        add(
            &format!("due_date {d}"),
            Accepted,
            with(st(), "due_date", Some(json!(d))),
        );
    }
    for d in [
        "2026-02-30",
        "2025-02-29",
        "2026-13-01",
        "2026-2-28",
        "20260228",
        "2026-02-28T00:00:00Z",
    ] {
        add(
            &format!("due_date {d}"),
            inv,
            with(st(), "due_date", Some(json!(d))),
        );
    }
    for f in ["statement_id", "amount_due", "minimum_due", "due_date"] {
        add(&format!("statement without {f}"), miss, with(st(), f, None));
    }
}

/// Probes of `payment_reversed` and `fee_charged`.
pub fn reversals_and_fees(add: &mut dyn FnMut(&str, Verdict, Value)) {
    let inv = Rejected("invalid_field");
    let miss = Rejected("missing_field");

    let rev = || base("payment_reversed");
    for r in ["insufficient_funds", "chargeback", "other"] {
        add(
            &format!("reversal {r}"),
            Accepted,
            with(rev(), "reason", Some(json!(r))),
        );
    }
    add(
        "reversal reason fraud",
        inv,
        with(rev(), "reason", Some(json!("fraud"))),
    );
    add("reversal without reason", miss, with(rev(), "reason", None));
    add(
        "reversal of an unknown payment",
        StateOrCrossField("unknown_reference"),
        with(rev(), "payment_id", Some(json!("PAY-NEVER"))),
    );
    add(
        "reversal of more than is left",
        StateOrCrossField("invalid_field"),
        with(rev(), "amount", Some(json!(2_000_000_000))),
    );
    let fee = || base("fee_charged");
    for k in ["late_fee", "failed_debit", "interest", "other"] {
        add(
            &format!("fee {k}"),
            Accepted,
            with(fee(), "kind", Some(json!(k))),
        );
    }
    add("fee kind x", inv, with(fee(), "kind", Some(json!("x"))));
    add("fee without fee_id", miss, with(fee(), "fee_id", None));
    add("fee amount 0", inv, with(fee(), "amount", Some(json!(0))));
}

/// Probes of `promise_made`.
pub fn promise_made(add: &mut dyn FnMut(&str, Verdict, Value)) {
    let inv = Rejected("invalid_field");
    let miss = Rejected("missing_field");

    let pm = || base("promise_made");
    add("a valid promise", Accepted, pm());
    add(
        "promise by c1",
        Accepted,
        with(pm(), "contact_id", Some(json!("c1"))),
    );
    add(
        "promise contact_id null",
        Accepted,
        with(pm(), "contact_id", Some(Value::Null)),
    );
    add(
        "promise contact_id empty",
        inv,
        with(pm(), "contact_id", Some(json!(""))),
    );
    add(
        "promise by an unknown contact",
        StateOrCrossField("unknown_reference"),
        with(pm(), "contact_id", Some(json!("c9"))),
    );
    add(
        "confirmed_in_writing a string",
        inv,
        with(pm(), "confirmed_in_writing", Some(json!("yes"))),
    );
    add(
        "confirmed_in_writing missing",
        miss,
        with(pm(), "confirmed_in_writing", None),
    );
}

/// Probes of `flag_set` and `flag_cleared`.
pub fn flags(add: &mut dyn FnMut(&str, Verdict, Value)) {
    let inv = Rejected("invalid_field");
    let miss = Rejected("missing_field");

    for f in [
        "deceased_reported",
        "deceased_verified",
        "dispute",
        "complaint",
        "bankruptcy",
        "cease_contact",
        "hardship",
        "fraud",
        "legal_hold",
        "breathing_space",
    ] {
        add(
            &format!("flag_set {f}"),
            Accepted,
            with(base("flag_set"), "flag", Some(json!(f))),
        );
    }
    add(
        "flag_cleared dispute",
        Accepted,
        with(base("flag_cleared"), "flag", Some(json!("dispute"))),
    );
    add(
        "flag nope",
        inv,
        with(base("flag_set"), "flag", Some(json!("nope"))),
    );
    add("flag missing", miss, with(base("flag_set"), "flag", None));
    let dnc = |kind: &str| with(base(kind), "flag", Some(json!("do_not_call")));
    add(
        "do_not_call c1",
        Accepted,
        with(dnc("flag_set"), "contact_id", Some(json!("c1"))),
    );
    add(
        "do_not_call for an unknown contact is recorded",
        Accepted,
        with(dnc("flag_set"), "contact_id", Some(json!("c9"))),
    );
    add("do_not_call without contact_id", miss, dnc("flag_set"));
    add(
        "do_not_call with contact_id null",
        miss,
        with(dnc("flag_set"), "contact_id", Some(Value::Null)),
    );
    add(
        "do_not_call cleared without contact_id",
        miss,
        dnc("flag_cleared"),
    );
}

/// Probes of `account_closed`.
pub fn account_closed(add: &mut dyn FnMut(&str, Verdict, Value)) {
    let inv = Rejected("invalid_field");
    let miss = Rejected("missing_field");

    for r in ["paid_off", "settled", "charged_off", "sold", "other"] {
        add(
            &format!("closed {r}"),
            Accepted,
            with(base("account_closed"), "reason", Some(json!(r))),
        );
    }
    add(
        "closed x",
        inv,
        with(base("account_closed"), "reason", Some(json!("x"))),
    );
    add(
        "closed without reason",
        miss,
        with(base("account_closed"), "reason", None),
    );
}
