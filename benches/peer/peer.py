#!/usr/bin/env python3
"""The peer job: arrears' streaming scoring written the way a data team would otherwise build it.

Python, confluent-kafka and two scikit-learn logistic regressions. It consumes the arrears input
topics in one consumer group, keeps per-account state in a dict, computes a feature vector per
event as of the event's time, scores each consumed batch with `predict_proba`, produces one work
item per applied event and commits the batch's offsets (at-least-once: a batch is committed once
its work items have been handed to librdkafka; the producer is flushed before the final commit).

    peer.py --bootstrap HOST:PORT --group GROUP --topics arrears.billing,arrears.contacts \
            --output arrears.work-items --events N [--batch 500] [--idle-timeout 120]

stdout carries exactly two lines: `ready` once the first partition assignment arrives, and at the
end one JSON object (see README.md). Progress and problems go to stderr.
"""

import argparse
import json
import platform
import sys
import time
from datetime import date, datetime, timezone

import confluent_kafka
import numpy as np
import sklearn
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

DAY = 86_400.0

FEATURES = [
    "days_past_due",
    "log_overdue",
    "log_balance",
    "log_paid_30d",
    "log_paid_90d",
    "calls_7d",
    "rpc_30d",
    "broken_promises_90d",
    "pending_promise",
    "days_since_payment",
    "tenure_days",
]

# Flags under which nobody should be called: the work item keeps its scores, priority 0.
SUPPRESS = {
    "deceased_reported",
    "deceased_verified",
    "dispute",
    "bankruptcy",
    "cease_contact",
    "legal_hold",
    "breathing_space",
    "fraud",
}

KNOWN_TYPES = {
    "account_opened",
    "account_updated",
    "statement_issued",
    "payment_received",
    "payment_reversed",
    "fee_charged",
    "promise_made",
    "flag_set",
    "flag_cleared",
    "account_closed",
    "contact_attempt",
}


def log(msg: str) -> None:
    print(f"peer: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The offline model: a seeded synthetic training set of the same features, two fitted pipelines.
# --------------------------------------------------------------------------------------------


def synthetic_training_set(rng: np.random.Generator, n: int) -> np.ndarray:
    """n rows of plausible feature values (the layout of FEATURES)."""
    late = rng.random(n) < 0.45
    dpd = np.where(late, np.minimum(rng.exponential(45.0, n) + 1, 180.0).round(), 0.0)
    overdue = np.where(late, rng.lognormal(np.log(15_000), 1.0, n), 0.0)
    balance = rng.lognormal(np.log(150_000), 1.0, n) + overdue
    paid_30d = np.where(rng.random(n) < np.where(late, 0.25, 0.8), rng.lognormal(np.log(8_000), 1.0, n), 0.0)
    paid_90d = paid_30d + np.where(rng.random(n) < 0.6, rng.lognormal(np.log(12_000), 1.0, n), 0.0)
    calls_7d = rng.poisson(np.where(late, 2.5, 0.2))
    rpc_30d = rng.binomial(calls_7d + rng.poisson(1.0, n), 0.2)
    broken = rng.poisson(np.where(late, 0.4, 0.05))
    pending = (rng.random(n) < np.where(late, 0.12, 0.02)).astype(float)
    never_paid = (paid_90d == 0) & (rng.random(n) < 0.5)
    since_pay = np.where(
        never_paid, 365.0, np.minimum(np.where(paid_30d > 0, rng.uniform(0, 30, n), rng.exponential(60.0, n) + 30), 365.0)
    )
    tenure = np.minimum(rng.exponential(400.0, n), 3650.0)
    return np.column_stack(
        [
            dpd,
            np.log1p(overdue),
            np.log1p(balance),
            np.log1p(paid_30d),
            np.log1p(paid_90d),
            calls_7d,
            rpc_30d,
            broken,
            pending,
            since_pay,
            tenure,
        ]
    ).astype(float)


def fit_models(seed: int = 20260105, n: int = 5_000):
    """Fit the willingness and ability models (scaler + logistic regression) on synthetic rows."""
    rng = np.random.default_rng(seed)
    X = synthetic_training_set(rng, n)
    z = (X - X.mean(axis=0)) / X.std(axis=0)
    # Coefficients on standardised features, in FEATURES order.
    w_will = np.array([-0.6, -0.2, -0.1, 0.4, 0.3, -0.2, 0.3, -0.5, 0.4, -0.4, 0.1])
    w_abil = np.array([-0.4, -0.3, -0.4, 0.5, 0.4, 0.0, 0.1, -0.2, 0.2, -0.3, 0.2])
    models = {}
    for name, w, b in (("willingness", w_will, 0.2), ("ability", w_abil, -0.1)):
        p = 1.0 / (1.0 + np.exp(-(b + z @ w)))
        y = (rng.random(n) < p).astype(int)
        m = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1_000))
        m.fit(X, y)
        models[name] = m
    return models


# --------------------------------------------------------------------------------------------
# Per-account state and features.
# --------------------------------------------------------------------------------------------


class Account:
    __slots__ = (
        "seen",
        "opened_at",
        "statements",
        "balance",
        "net_paid",
        "payments",
        "last_payment_at",
        "attempts",
        "promises",
        "flags",
        "closed",
    )

    def __init__(self) -> None:
        self.seen = set()  # event_ids applied
        self.opened_at = None  # epoch seconds of account_opened
        self.statements = []  # [due_date ordinal, minimum_due], sorted by due date
        self.balance = 0  # latest statement's amount_due + fees - net payments since
        self.net_paid = 0  # all payments minus reversals, ever
        self.payments = []  # (epoch, signed amount), last 90 days
        self.last_payment_at = None
        self.attempts = []  # (epoch, channel, outcome), last 30 days
        self.promises = []  # (made epoch, due ordinal, amount), due within the last 90 days
        self.flags = set()
        self.closed = False


def parse_time(s) -> tuple[float, int]:
    """An RFC 3339 timestamp as (epoch seconds, ordinal of its UTC date)."""
    t = datetime.fromisoformat(s)
    if t.tzinfo is None:
        raise ValueError("occurred_at without an offset")
    t = t.astimezone(timezone.utc)
    return t.timestamp(), t.date().toordinal()


def money(v) -> int:
    if type(v) is not int or v < 0:
        raise ValueError("money must be a non-negative integer")
    return v


def apply(acc: Account, ev: dict, kind: str, now: float) -> None:
    """Fold one event into the account's state. Raises on a malformed event (nothing changed)."""
    if kind == "statement_issued":
        due = date.fromisoformat(ev["due_date"]).toordinal()
        minimum, amount_due = money(ev["minimum_due"]), money(ev["amount_due"])
        acc.statements.append([due, minimum])
        acc.statements.sort()
        acc.balance = amount_due
    elif kind == "payment_received":
        amount = money(ev["amount"])
        acc.payments.append((now, amount))
        acc.net_paid += amount
        acc.balance -= amount
        if acc.last_payment_at is None or now > acc.last_payment_at:
            acc.last_payment_at = now
    elif kind == "payment_reversed":
        amount = money(ev["amount"])
        acc.payments.append((now, -amount))
        acc.net_paid -= amount
        acc.balance += amount
    elif kind == "fee_charged":
        acc.balance += money(ev["amount"])
    elif kind == "promise_made":
        due = date.fromisoformat(ev["due_date"]).toordinal()
        acc.promises.append((now, due, money(ev["amount"])))
    elif kind == "contact_attempt":
        channel, outcome = ev["channel"], ev["outcome"]
        if not isinstance(channel, str) or not isinstance(outcome, str):
            raise ValueError("channel and outcome must be strings")
        acc.attempts.append((now, channel, outcome))
    elif kind == "flag_set":
        acc.flags.add(ev["flag"])
    elif kind == "flag_cleared":
        acc.flags.discard(ev["flag"])
    elif kind == "account_closed":
        acc.closed = True
    elif kind == "account_opened":
        if acc.opened_at is None or now < acc.opened_at:
            acc.opened_at = now
    elif kind == "account_updated":
        pass
    else:
        raise ValueError(f"unknown type {kind!r}")


def features(acc: Account, now: float, today: int) -> tuple[list, int, int]:
    """The feature row as of `now` (epoch seconds; `today` its UTC date's ordinal), with days past
    due and the overdue amount."""

    # Net payments cover statement minimums oldest first; an uncovered minimum past its due date
    # is overdue, and the oldest one sets days past due.
    remaining = acc.net_paid
    overdue = 0
    oldest_due = None
    for due, minimum in acc.statements:
        cover = minimum if remaining >= minimum else max(remaining, 0)
        remaining -= cover
        if due < today and minimum > cover:
            overdue += minimum - cover
            if oldest_due is None:
                oldest_due = due
    dpd = today - oldest_due if oldest_due is not None else 0

    d7, d30, d90 = now - 7 * DAY, now - 30 * DAY, now - 90 * DAY
    while acc.payments and acc.payments[0][0] < d90:
        acc.payments.pop(0)
    while acc.attempts and acc.attempts[0][0] < d30:
        acc.attempts.pop(0)
    acc.promises = [p for p in acc.promises if p[1] >= today - 90]

    paid_30d = paid_90d = 0
    for ts, amount in acc.payments:
        if ts >= d90:
            paid_90d += amount
            if ts >= d30:
                paid_30d += amount

    calls_7d = rpc_30d = 0
    for ts, channel, outcome in acc.attempts:
        if ts >= d7 and channel == "call":
            calls_7d += 1
        if ts >= d30 and outcome == "right_party":
            rpc_30d += 1

    broken = pending = 0
    for made, due, amount in acc.promises:
        paid_since = sum(a for ts, a in acc.payments if ts >= made)
        if paid_since >= amount:
            continue
        if due < today:
            broken += 1
        else:
            pending = 1

    since_pay = 365.0 if acc.last_payment_at is None else min(max(now - acc.last_payment_at, 0) / DAY, 365.0)
    tenure = 0.0 if acc.opened_at is None else min(max(now - acc.opened_at, 0) / DAY, 3650.0)

    row = [
        float(dpd),
        np.log1p(overdue),
        np.log1p(max(acc.balance, 0)),
        np.log1p(max(paid_30d, 0)),
        np.log1p(max(paid_90d, 0)),
        float(calls_7d),
        float(rpc_30d),
        float(broken),
        float(pending),
        since_pay,
        tenure,
    ]
    return row, dpd, overdue


# --------------------------------------------------------------------------------------------
# The job.
# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", required=True, help="HOST:PORT of the Kafka cluster")
    ap.add_argument("--group", required=True, help="consumer group id")
    ap.add_argument("--topics", default="arrears.billing,arrears.contacts", help="comma-separated input topics")
    ap.add_argument("--output", required=True, help="work-item topic")
    ap.add_argument("--events", type=int, required=True, help="stop after this many records")
    ap.add_argument("--batch", type=int, default=500, help="records per consume() call")
    ap.add_argument(
        "--idle-timeout",
        type=float,
        default=120.0,
        help="give up (exit 2) after this many seconds without a record (or, before it, an assignment)",
    )
    args = ap.parse_args()
    if args.events <= 0 or args.batch <= 0:
        ap.error("--events and --batch must be positive")
    topics = [t for t in args.topics.split(",") if t]

    models = fit_models()
    will, abil = models["willingness"], models["ability"]
    # Warm the scoring path once so the first batch does not pay for lazy imports.
    will.predict_proba(np.zeros((1, len(FEATURES))))
    abil.predict_proba(np.zeros((1, len(FEATURES))))

    delivery_failed = 0
    last_delivery_error = None

    def on_delivery(err, _msg):
        nonlocal delivery_failed, last_delivery_error
        if err is not None:
            delivery_failed += 1
            last_delivery_error = str(err)

    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5, "log_level": 3})

    ready = False
    last_record = time.monotonic()  # the idle clock: reset at the first assignment and per record

    def on_assign(_consumer, partitions):
        nonlocal ready, last_record
        if not ready:
            ready = True
            last_record = time.monotonic()
            log(f"assigned {len(partitions)} partitions")
            print("ready", flush=True)

    def on_error(err):
        log(f"client error: {err}")

    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": args.group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "log_level": 3,
            "error_cb": on_error,
        }
    )
    consumer.subscribe(topics, on_assign=on_assign)

    accounts: dict[str, Account] = {}
    count = skipped = duplicates = produced = 0
    t0 = None
    t1 = None
    last_progress = time.monotonic()
    progress_count = 0

    def send(key: str, value: str) -> None:
        while True:
            try:
                producer.produce(args.output, value=value, key=key, on_delivery=on_delivery)
                return
            except BufferError:
                producer.poll(0.05)

    try:
        while True:
            msgs = consumer.consume(num_messages=min(args.batch, args.events - count), timeout=0.1)
            mono = time.monotonic()
            if mono - last_progress >= 5.0:
                if t0 is None:
                    log("waiting for " + ("records" if ready else "a partition assignment"))
                else:
                    recent = (count - progress_count) / (mono - last_progress)
                    overall = count / (time.time() - t0)
                    log(
                        f"{count} of {args.events} records, {skipped} skipped, "
                        f"{recent:.0f} records/s over the last {mono - last_progress:.0f} s, "
                        f"{overall:.0f} records/s since the first record"
                    )
                last_progress, progress_count = mono, count
            if not msgs:
                producer.poll(0)
                if mono - last_record > args.idle_timeout:
                    what = "record" if ready else "partition assignment"
                    log(f"no {what} for {args.idle_timeout:.0f} s; {count} of {args.events} consumed")
                    return 2
                continue

            rows = []
            meta = []  # (account_id, days past due, overdue, as_of, suppressed)
            consumed = 0
            for m in msgs:
                err = m.error()
                if err is not None:
                    if err.code() != KafkaError._PARTITION_EOF:
                        log(f"consume error: {err}")
                    continue
                consumed += 1
                try:
                    ev = json.loads(m.value())
                    aid = ev["account_id"]
                    eid = ev["event_id"]
                    kind = ev["type"]
                    as_of = ev["occurred_at"]
                    if not isinstance(aid, str) or not isinstance(eid, str) or kind not in KNOWN_TYPES:
                        raise ValueError("bad account_id, event_id or type")
                    now, today = parse_time(as_of)
                    acc = accounts.get(aid)
                    if acc is None:
                        acc = accounts[aid] = Account()
                    if eid in acc.seen:
                        duplicates += 1
                        continue
                    apply(acc, ev, kind, now)
                    acc.seen.add(eid)
                    row, dpd, overdue = features(acc, now, today)
                except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
                    skipped += 1
                    continue
                rows.append(row)
                meta.append((aid, dpd, overdue, as_of, acc.closed or bool(acc.flags & SUPPRESS)))
            if consumed == 0:
                continue
            if t0 is None:
                t0 = time.time()
            count += consumed
            last_record = mono

            if rows:
                X = np.asarray(rows, dtype=float)
                pw = will.predict_proba(X)[:, 1]
                pa = abil.predict_proba(X)[:, 1]
                for (aid, dpd, overdue, as_of, suppressed), w, a in zip(meta, pw.tolist(), pa.tolist()):
                    priority = 0.0 if suppressed or dpd <= 0 else round(overdue / 100.0 * w * a, 4)
                    item = {
                        "account_id": aid,
                        "priority": priority,
                        "scores": {"willingness": round(w, 6), "ability": round(a, 6)},
                        "days_past_due": dpd,
                        "overdue_amount": overdue,
                        "as_of": as_of,
                    }
                    send(aid, json.dumps(item))
                produced += len(rows)
            producer.poll(0)

            if count >= args.events:
                left = producer.flush(60)
                if left:
                    log(f"{left} work items still undelivered after 60 s")
                    return 1
                consumer.commit(asynchronous=False)
                t1 = time.time()
                break
            try:
                consumer.commit(asynchronous=False)
            except KafkaException as e:
                if e.args[0].code() != KafkaError._NO_OFFSET:
                    raise
    finally:
        consumer.close()

    seconds = t1 - t0
    out = {
        "events": count,
        "seconds": round(seconds, 3),
        "events_per_sec": round(count / seconds, 1) if seconds > 0 else None,
        "first_record_unix": round(t0, 6),
        "last_commit_unix": round(t1, 6),
        "python": platform.python_version(),
        "confluent_kafka": confluent_kafka.__version__,
        "librdkafka": confluent_kafka.libversion()[0],
        "sklearn": sklearn.__version__,
        "work_items": produced,
        "skipped": skipped,
        "duplicates": duplicates,
        "accounts": len(accounts),
        "delivery_failed": delivery_failed,
    }
    print(json.dumps(out), flush=True)
    if delivery_failed:
        log(f"{delivery_failed} work items failed delivery, last: {last_delivery_error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
