#!/usr/bin/env python3
"""Writes deploy/grafana/arrears-dashboard.json to stdout (the dashboard is generated, not hand-edited):
    python3 deploy/grafana/build-dashboard.py > deploy/grafana/arrears-dashboard.json
.ci/check-deploy fails when the committed JSON differs from this output."""
import json
DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
panels = []
pid = [0]
y = [0]
def nid():
    pid[0] += 1
    return pid[0]
def row(title):
    panels.append({"type": "row", "title": title, "id": nid(), "collapsed": False,
                   "gridPos": {"h": 1, "w": 24, "x": 0, "y": y[0]}, "panels": []})
    y[0] += 1
x = [0]
def place(w, h):
    if x[0] + w > 24:
        x[0] = 0; y[0] += 8
    g = {"h": h, "w": w, "x": x[0], "y": y[0]}
    x[0] += w
    return g
def newrow(title):
    if x[0] != 0:
        y[0] += 8; x[0] = 0
    row(title)
def targets(ts):
    return [{"datasource": DS, "refId": chr(65 + i), "expr": e, "legendFormat": l,
             **({"format": "heatmap"} if "heatmap" in l else {})} for i, (e, l) in enumerate(ts)]
def ts(title, tgts, unit="short", desc="", w=8, stack=False, thresholds=None):
    p = {"type": "timeseries", "title": title, "id": nid(), "datasource": DS, "description": desc,
         "gridPos": place(w, 8), "targets": targets(tgts),
         "fieldConfig": {"defaults": {"unit": unit, "custom": {"drawStyle": "line", "lineWidth": 1,
             "fillOpacity": 10, "stacking": {"mode": "normal" if stack else "none", "group": "A"}}},
             "overrides": []},
         "options": {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]},
                     "tooltip": {"mode": "multi", "sort": "desc"}}}
    if thresholds:
        p["fieldConfig"]["defaults"]["thresholds"] = {"mode": "absolute", "steps": thresholds}
        p["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] = {"mode": "line+area"}
    panels.append(p)
def stat(title, tgts, unit="short", desc="", w=4, thresholds=None, mappings=None):
    p = {"type": "stat", "title": title, "id": nid(), "datasource": DS, "description": desc,
         "gridPos": place(w, 8), "targets": targets(tgts),
         "fieldConfig": {"defaults": {"unit": unit, "mappings": mappings or [],
             "thresholds": {"mode": "absolute", "steps": thresholds or [{"color": "green", "value": None}]}},
             "overrides": []},
         "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                     "colorMode": "background", "graphMode": "none", "textMode": "value_and_name", "orientation": "auto"}}
    panels.append(p)
def table(title, expr, desc="", w=6):
    panels.append({"type": "table", "title": title, "id": nid(), "datasource": DS, "description": desc,
        "gridPos": place(w, 8),
        "targets": [{"datasource": DS, "refId": "A", "expr": expr, "format": "table", "instant": True}],
        "transformations": [{"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True, "__name__": True}}}],
        "fieldConfig": {"defaults": {}, "overrides": []}, "options": {"showHeader": True}})
def heatmap(title, expr, desc="", w=8, unit="s"):
    panels.append({"type": "heatmap", "title": title, "id": nid(), "datasource": DS, "description": desc,
        "gridPos": place(w, 8),
        "targets": [{"datasource": DS, "refId": "A", "expr": expr, "format": "heatmap", "legendFormat": "{{le}}"}],
        "fieldConfig": {"defaults": {}, "overrides": []},
        "options": {"calculate": False, "yAxis": {"unit": unit}, "cellGap": 1,
                    "color": {"mode": "scheme", "scheme": "Oranges", "steps": 64}}})

J = 'job="$job", instance=~"$instance"'
R = "$__rate_interval"
ready_map = [{"type": "value", "options": {"0": {"text": "NOT READY", "color": "red"}, "1": {"text": "ready", "color": "green"}}}]

newrow("Health")
stat("Ready", [(f'arrears_ready{{{J}}}', "{{instance}}")], desc="arrears_ready: 1 when partitions are assigned and restored, models loaded, producer healthy (/readyz).", w=6, mappings=ready_map,
     thresholds=[{"color": "red", "value": None}, {"color": "green", "value": 1}])
stat("Seconds since last event", [(f'time() - max(arrears_last_event_timestamp_seconds{{{J}}})', "since last event")], unit="s",
     desc="time() - arrears_last_event_timestamp_seconds (newest across instances). ArrearsNoEvents fires above 1800 s.", w=4,
     thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 600}, {"color": "red", "value": 1800}])
stat("Partitions assigned", [(f'arrears_partitions_assigned{{{J}}}', "{{instance}}")], desc="arrears_partitions_assigned per instance.", w=4)
stat("In flight", [(f'arrears_in_flight{{{J}}}', "{{instance}}")], desc="arrears_in_flight: input records whose outputs are not yet acknowledged (bounded by kafka.max_in_flight).", w=4)
table("Build", f'arrears_build_info{{{J}}}', desc="arrears_build_info{version}", w=3)
table("Models", f'arrears_model_info{{{J}}}', desc="arrears_model_info{model,version}", w=3)

newrow("Throughput")
ts("Events consumed by topic", [('job_topic:arrears_events_consumed:rate5m{job="$job"}', "{{topic}}"),
    (f'sum by (instance) (rate(arrears_events_consumed_total{{{J}}}[{R}]))', "{{instance}}")], unit="ops",
   desc="arrears_events_consumed_total, per second: by topic (recording rule) and by instance.")
ts("Events consumed by type", [(f'sum by (type) (rate(arrears_events_consumed_total{{{J}}}[{R}]))', "{{type}}")], unit="ops", stack=True,
   desc="arrears_events_consumed_total by event type (`unparsed` when the record could not be decoded).")
ts("Rejected by reason", [(f'sum by (reason) (rate(arrears_events_rejected_total{{{J}}}[{R}]))', "{{reason}}")], unit="ops", stack=True,
   desc="arrears_events_rejected_total: every reject is also on arrears.dead-letter.")
ts("Reject ratio", [('job:arrears_events_reject_ratio:rate5m{job="$job"}', "rejected / consumed")], unit="percentunit",
   desc="Recording rule job:arrears_events_reject_ratio:rate5m; ArrearsRejectRateHigh fires above 5 % for 10 m.",
   thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 0.05}])
ts("Skipped by cause", [(f'sum by (cause) (rate(arrears_events_skipped_total{{{J}}}[{R}]))', "{{cause}}")], unit="ops", stack=True,
   desc="arrears_events_skipped_total: duplicate_event_id (already seen for the account) or already_applied (at or below the restored position, after a restart).")
ts("Attempts under unknown contact ids", [(f'sum(rate(arrears_contact_attempts_unknown_contact_total{{{J}}}[{R}]))', "attempts")], unit="ops",
   desc="arrears_contact_attempts_unknown_contact_total: a dialer reported an attempt under a contact id the account does not list; it counts toward the caps (never rejected). A steady rate means the dialer's contact lists are out of date.")
ts("Work items by status", [('job_status:arrears_work_items_published:rate5m{job="$job"}', "{{status}}")], unit="ops", stack=True,
   desc="arrears_work_items_published_total by status (recording rule).")
ts("Work items by strategy", [(f'sum by (strategy) (rate(arrears_work_items_published_total{{{J}}}[{R}]))', "{{strategy}}")], unit="ops", stack=True,
   desc="arrears_work_items_published_total by strategy (`none` when no action).")
ts("Work items by segment", [(f'sum by (segment) (rate(arrears_work_items_published_total{{{J}}}[{R}]))', "{{segment}}")], unit="ops", stack=True,
   desc="arrears_work_items_published_total by segment.")
ts("Holds by reason", [(f'sum by (reason) (rate(arrears_holds_published_total{{{J}}}[{R}]))', "{{reason}}")], unit="ops", stack=True,
   desc="arrears_holds_published_total: held work items by hold_reason.")
ts("Policy blocks by rule", [(f'sum by (rule) (rate(arrears_policy_blocks_total{{{J}}}[{R}]))', "{{rule}}")], unit="ops", stack=True,
   desc="arrears_policy_blocks_total: published work items whose contact a policy rule held, capped, delayed or restricted, by rule (<profile>.<rule>).")
ts("Work items by arm", [(f'sum by (arm) (rate(arrears_work_items_by_arm_total{{{J}}}[{R}]))', "{{arm}}")], unit="ops", stack=True,
   desc="arrears_work_items_by_arm_total: new work-item versions by experiment arm ([experiments.arms]; `holdout`: in the day's randomised holdout, not called).")
ts("Decision records", [(f'sum(rate(arrears_decision_records_total{{{J}}}[{R}]))', "decision records"),
    (f'sum(rate(arrears_work_items_published_total{{{J}}}[{R}]))', "work items")], unit="ops",
   desc="arrears_decision_records_total next to arrears_work_items_published_total: one decision record on arrears.decisions per published work item, so the two lines coincide.")

newrow("Latency")
ts("Processing latency", [('job:arrears_processing_latency_seconds:p50_5m{job="$job"}', "p50"),
    ('job:arrears_processing_latency_seconds:p99_5m{job="$job"}', "p99")], unit="s",
   desc="arrears_processing_latency_seconds: record received -> all its outputs acknowledged by Kafka. ArrearsProcessingLatencyHigh fires when p99 > 2 s for 10 m.",
   thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 2}])
heatmap("Processing latency distribution", f'sum by (le) (increase(arrears_processing_latency_seconds_bucket{{{J}}}[$__interval]))',
   desc="arrears_processing_latency_seconds buckets.")
ts("Event lag (receipt - occurred_at)", [('job:arrears_event_lag_seconds:p50_5m{job="$job"}', "p50"),
    ('job:arrears_event_lag_seconds:p99_5m{job="$job"}', "p99")], unit="s",
   desc="arrears_event_lag_seconds: how late events reach arrears after they happened upstream.")

newrow("Kafka")
ts("Consumer lag by topic", [('job_topic:arrears_consumer_lag_messages:sum{job="$job"}', "{{topic}}")], unit="short", stack=True,
   desc="arrears_consumer_lag_messages summed per topic (max per partition first). ArrearsConsumerLagGrowing: > 10000 and rising for 15 m.")
ts("Consumer lag by partition", [(f'max by (topic, partition) (arrears_consumer_lag_messages{{{J}}})', "{{topic}}/{{partition}}")], unit="short",
   desc="arrears_consumer_lag_messages{topic,partition} from librdkafka statistics. One hot partition means a hot key or a slow owner.")
ts("Producer errors by code", [(f'sum by (code) (increase(arrears_producer_errors_total{{{J}}}[{R}]))', "{{code}}")], unit="short",
   desc="arrears_producer_errors_total: the producer client's errors by code (librdkafka retries them; `transport` now and then is brokers closing idle connections) and records that could not be enqueued. A failed delivery stops the instance instead (Threads and restarts).")
ts("Rebalances", [(f'sum by (instance, kind) (increase(arrears_rebalances_total{{{J}}}[{R}]))', "{{instance}} {{kind}}")], unit="short",
   desc="arrears_rebalances_total{kind=assign|revoke}.")
ts("Changelog writes", [(f'sum by (instance) (rate(arrears_changelog_writes_total{{{J}}}[{R}]))', "{{instance}}")], unit="ops",
   desc="arrears_changelog_writes_total: changed accounts written to arrears.changelog.")
ts("Restore duration", [(f'histogram_quantile(0.99, sum by (le) (increase(arrears_restore_duration_seconds_bucket{{{J}}}[30m])))', "p99 (30m)"),
    (f'sum(increase(arrears_restore_duration_seconds_sum{{{J}}}[30m])) / sum(increase(arrears_restore_duration_seconds_count{{{J}}}[30m]))', "mean (30m)")], unit="s",
   desc="arrears_restore_duration_seconds: rebuilding assigned partitions from the changelog. ArrearsRestoreSlow fires above 30 s (restore_timeout_ms 60 s).",
   thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 30}, {"color": "red", "value": 60}])
ts("Restored accounts", [(f'sum by (instance) (increase(arrears_restored_accounts_total{{{J}}}[{R}]))', "{{instance}}")], unit="short",
   desc="arrears_restored_accounts_total: accounts read back from the changelog on assignment.")
ts("Expired accounts", [(f'sum by (instance) (increase(arrears_expired_accounts_total{{{J}}}[{R}]))', "{{instance}}")], unit="short",
   desc="arrears_expired_accounts_total: closed accounts forgotten after events.closed_retention_days (a changelog tombstone each).")

newrow("State")
ts("Accounts", [(f'arrears_accounts{{{J}}}', "{{instance}}"), (f'sum(arrears_accounts{{{J}}})', "total")], unit="short",
   desc="arrears_accounts: accounts held in memory (owned partitions).")
ts("State bytes", [(f'arrears_state_bytes{{{J}}}', "{{instance}}"),
    (f'arrears_state_bytes{{{J}}} / arrears_accounts{{{J}}}', "{{instance}} bytes/account")], unit="bytes",
   desc="arrears_state_bytes, and per account (about 3.2 KB measured; the memory request in deploy/kubernetes assumes it).")
ts("Resident memory vs state", [(f'process_resident_memory_bytes{{{J}}}', "{{instance}} resident"),
    (f'arrears_state_bytes{{{J}}}', "{{instance}} state")], unit="bytes",
   desc="process_resident_memory_bytes (process collector) next to the estimated arrears_state_bytes. Resident minus state is the fixed part (librdkafka queues, runtime, binary; ~200 MB budgeted); keep resident below the memory limit (1536Mi in deploy/kubernetes).")
ts("Decision history bytes", [(f'arrears_decision_history_bytes{{{J}}}', "{{instance}}"),
    (f'arrears_decision_history_bytes{{{J}}} / arrears_accounts{{{J}}}', "{{instance}} bytes/account")], unit="bytes",
   desc="arrears_decision_history_bytes: the recent decision records kept for /v1/accounts/{id}/decisions (http.decisions_per_account per account, about 4 KB each), on top of arrears_state_bytes.")

newrow("Process")
ts("CPU", [(f'rate(process_cpu_seconds_total{{{J}}}[{R}])', "{{instance}}")], unit="percentunit",
   desc="process_cpu_seconds_total per second (1.0 = one core; the pod requests one core, no limit).")
ts("Open file descriptors", [(f'process_open_fds{{{J}}}', "{{instance}} open"), (f'process_max_fds{{{J}}}', "{{instance}} max")], unit="short",
   desc="process_open_fds and process_max_fds: sockets to every broker for three librdkafka clients, plus HTTP connections.")
ts("Threads and restarts", [(f'process_threads{{{J}}}', "{{instance}} threads"),
    (f'changes(process_start_time_seconds{{{J}}}[30m])', "{{instance}} restarts (30m)")], unit="short",
   desc="process_threads (tokio workers + librdkafka threads), and starts of the same target in 30 m from process_start_time_seconds. ArrearsRestarting fires above 2.")

newrow("Models")
heatmap("Score distribution", f'sum by (le) (increase(arrears_score_bucket{{{J}}}[$__interval]))', unit="none", w=12,
   desc="arrears_score{model} histogram (buckets 0.1 .. 1.0), both models. Use the model variable to pick one.")
panels[-1]["targets"][0]["expr"] = f'sum by (le) (increase(arrears_score_bucket{{{J}, model=~"$model"}}[$__interval]))'
ts("Population stability index", [(f'max by (model) (arrears_model_psi{{{J}}})', "{{model}}")], unit="none", w=12,
   desc="arrears_model_psi vs the training distribution. < 0.1 stable, 0.1-0.25 moderate shift (warning), > 0.25 major shift (critical, 30 m). No data: the model has no reference distribution, or no owned account is scored yet.",
   thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 0.1}, {"color": "red", "value": 0.25}])
ts("PSI population", [(f'sum by (model) (arrears_model_psi_population{{{J}}})', "{{model}}")], unit="none", w=12,
   desc="arrears_model_psi_population: past-due scored accounts the index is computed over, per instance summed here. The drift alert ignores an instance below 200.")

def var(name, query, multi=False, include_all=False):
    return {"name": name, "type": "query", "datasource": DS, "definition": query,
            "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "refresh": 2, "multi": multi, "includeAll": include_all, "allValue": ".*" if include_all else None,
            "current": {}, "hide": 0, "sort": 1, "options": []}

dash = {
    "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus"}],
    "__requires": [{"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.4.0"},
                   {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"}],
    "title": "arrears", "uid": "arrears-overview", "description": "arrears collections risk-scoring daemon. Alerts and what to do: deploy/RUNBOOK.md.",
    "tags": ["arrears", "kafka"], "schemaVersion": 39, "version": 1, "editable": True, "graphTooltip": 1,
    "timezone": "", "refresh": "30s", "time": {"from": "now-6h", "to": "now"}, "timepicker": {},
    "fiscalYearStartMonth": 0, "liveNow": False, "weekStart": "",
    "links": [{"title": "Runbook", "type": "link", "url": "https://git.example.com/arrears/blob/main/deploy/RUNBOOK.md", "targetBlank": True, "icon": "doc", "tags": [], "asDropdown": False, "includeVars": False, "keepTime": False, "tooltip": ""}],
    "annotations": {"list": [
        {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"},
        {"datasource": DS, "enable": True, "iconColor": "orange", "name": "Rebalances", "expr": 'sum(changes(arrears_rebalances_total{job="$job"}[1m])) > 0', "step": "60s", "titleFormat": "rebalance", "textFormat": ""}]},
    "templating": {"list": [
        {"name": "DS_PROMETHEUS", "label": "Data source", "type": "datasource", "query": "prometheus", "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": []},
        dict(var("job", "label_values(arrears_build_info, job)"), current={"text": "arrears", "value": "arrears"}),
        var("instance", 'label_values(arrears_build_info{job="$job"}, instance)', multi=True, include_all=True),
        var("model", 'label_values(arrears_model_info{job="$job"}, model)', multi=True, include_all=True),
    ]},
    "panels": panels,
}
print(json.dumps(dash, indent=2))
