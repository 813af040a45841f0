"""What every asset of the code location shares: owner, groups, pool, freshness.

No step has a Dagster `RetryPolicy`: Dagster retries a step with one when the run is interrupted
(SIGTERM, SIGINT, the UI's Terminate), so a sync would ignore being stopped, and the wait before
a retry cannot be interrupted at all. Transient trouble is retried where it happens instead,
request by request in the Thinkific client, and an outage that outlasts that fails the run,
whose rerun resumes from its checkpoints.
"""

from datetime import timedelta

from dagster import FreshnessPolicy

OWNER = "team:data-platform"

THINKIFIC_GROUP = "thinkific"
DASHBOARD_GROUP = "dashboard"
THINKIFIC_POOL = "thinkific"
"""One Dagster concurrency pool for every step that calls Thinkific: the rate limit is per site."""

NIGHTLY_FRESHNESS = FreshnessPolicy.time_window(
    fail_window=timedelta(hours=26), warn_window=timedelta(hours=25)
)
"""The nightly sync runs every 24 hours; a table older than a day and a bit means a missed night."""
