"""What every asset of the code location shares: owner, kinds, retry policy, freshness."""

from datetime import timedelta

from dagster import Backoff, FreshnessPolicy, Jitter, RetryPolicy

OWNER = "team:data-platform"

THINKIFIC_GROUP = "thinkific"
DASHBOARD_GROUP = "dashboard"
THINKIFIC_POOL = "thinkific"
"""One Dagster concurrency pool for every step that calls Thinkific: the rate limit is per site."""

API_RETRY_POLICY = RetryPolicy(
    max_retries=2, delay=30, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)
"""Step-level retries on top of the client's own request retries, for outages longer than those."""

NIGHTLY_FRESHNESS = FreshnessPolicy.time_window(
    fail_window=timedelta(hours=26), warn_window=timedelta(hours=25)
)
"""The nightly sync runs every 24 hours; a table older than a day and a bit means a missed night."""
