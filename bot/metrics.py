"""What the process counts, for `GET /metrics` (Prometheus text format, `bot.monitoring`).

The counters and histograms are prometheus_client's, on its default registry, one of each per
process: any layer counts with one call and imports nothing else of the app. What needs the
database (sends by state, numbers waiting, the notifier's backlog) is read at scrape time instead
(`bot.monitoring`), never on a request's way. No label holds a phone number, a text, a msgid or
a Slack user id: labels take a few fixed values each.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CALLBACKS_RECEIVED = Counter(
    "santo_callbacks_received",
    "Platform callbacks at the report route, by shape (unread: refused before being read; "
    "malformed: could not be read).",
    ["shape"],
)
CALLBACKS_STORED = Counter(
    "santo_callbacks_stored", "Callbacks committed, then answered 200, by shape.", ["shape"]
)
CALLBACKS_REFUSED = Counter(
    "santo_callbacks_refused",
    "Callbacks answered with an error, by shape and reason: wrong_token (404), too_large (413), "
    "malformed (400, kept for inspection), not_stored (503), shutting_down (503).",
    ["shape", "reason"],
)
REPORT_COMMIT_SECONDS = Histogram(
    "santo_report_commit_seconds",
    "Database time of one group commit of callbacks (its transactions, commit and sync to disk), "
    "which their 200s wait for.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
REPORT_BATCH_SIZE = Histogram(
    "santo_report_batch_size",
    "Callbacks in one group commit.",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
REPORT_TO_SLACK_SECONDS = Histogram(
    "santo_report_to_slack_seconds",
    "Seconds from a send's oldest change not yet shown (a report committed and answered 200, or "
    "the platform's answer to a submit) to Slack showing it in the send's message.",
    buckets=(0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0),
)
SLACK_CALLS = Counter(
    "santo_slack_calls",
    "Slack Web API calls, by method and result: ok, error, rate_limited (HTTP 429), unreachable.",
    ["method", "result"],
)
PLATFORM_REQUESTS = Counter(
    "santo_platform_requests",
    "HTTP requests to the platform, by endpoint and code: the platform's (table 5.1, e.g. 000, "
    "0107; other for one not in it), or http_4xx, http_5xx, timeout, unreachable, unreadable.",
    ["endpoint", "code"],
)
PLATFORM_SECONDS = Histogram(
    "santo_platform_request_seconds",
    "Time of one HTTP request to the platform, by endpoint.",
    ["endpoint"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0),
)
