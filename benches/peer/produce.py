#!/usr/bin/env python3
"""Feed an event JSONL file (from `arrears simulate`) into Kafka the way the arrears benchmark does.

`contact_attempt` events go to arrears.contacts, every other line to arrears.billing, each keyed
by its `account_id`; a line that is not JSON goes to arrears.billing unkeyed. Waits for every
delivery report and exits non-zero if any record failed. Prints one JSON line on stdout:
{"produced": N, "billing": B, "contacts": C, "failed": F, "seconds": S}.

    produce.py --bootstrap 127.0.0.1:PORT --input events.jsonl [--limit N]
"""

import argparse
import json
import sys
import time

from confluent_kafka import KafkaException, Producer

BILLING = "arrears.billing"
CONTACTS = "arrears.contacts"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", required=True, help="HOST:PORT of the broker")
    ap.add_argument("--input", required=True, help="event JSONL file")
    ap.add_argument("--limit", type=int, default=0, help="produce at most this many lines (0: all)")
    ap.add_argument("--billing-topic", default=BILLING)
    ap.add_argument("--contacts-topic", default=CONTACTS)
    args = ap.parse_args()

    failed = 0
    last_error = None

    def on_delivery(err, _msg):
        nonlocal failed, last_error
        if err is not None:
            failed += 1
            last_error = str(err)

    producer = Producer(
        {
            "bootstrap.servers": args.bootstrap,
            "linger.ms": 5,
            "log_level": 3,
        }
    )
    counts = {args.billing_topic: 0, args.contacts_topic: 0}
    start = time.monotonic()
    n = 0
    with open(args.input, "rb") as f:
        for raw in f:
            line = raw.rstrip(b"\r\n")
            if not line:
                continue
            if args.limit and n >= args.limit:
                break
            topic, key = args.billing_topic, None
            try:
                ev = json.loads(line)
                if isinstance(ev, dict):
                    if ev.get("type") == "contact_attempt":
                        topic = args.contacts_topic
                    if isinstance(ev.get("account_id"), str):
                        key = ev["account_id"]
            except ValueError:
                pass
            while True:
                try:
                    producer.produce(topic, value=line, key=key, on_delivery=on_delivery)
                    break
                except BufferError:
                    producer.poll(0.05)
            producer.poll(0)
            counts[topic] += 1
            n += 1
    left = producer.flush(60)
    if left:
        raise KafkaException(f"{left} records still undelivered after 60 s")
    out = {
        "produced": n,
        "billing": counts[args.billing_topic],
        "contacts": counts[args.contacts_topic],
        "failed": failed,
        "seconds": round(time.monotonic() - start, 3),
    }
    print(json.dumps(out), flush=True)
    if failed:
        print(f"produce.py: {failed} deliveries failed, last: {last_error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
