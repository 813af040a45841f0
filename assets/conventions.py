"""What every asset of the code location shares: owner, groups, pool, freshness.

No step has a Dagster `RetryPolicy`: Dagster retries a step with one when the run is interrupted
(SIGTERM, SIGINT, the UI's Terminate), so a sync would ignore being stopped, and the wait before
a retry cannot be interrupted at all. Transient trouble is retried where it happens instead,
request by request in the Thinkific client, and an outage that outlasts that fails the run,
whose rerun resumes from its checkpoints.
"""

from collections.abc import Mapping
from datetime import timedelta

from dagster import FreshnessPolicy, StaticPartitionsDefinition
from dagster._core.storage.tags import PARTITION_NAME_TAG

from resources.sites import sites_from_env

OWNER = "team:data-platform"

THINKIFIC_GROUP = "thinkific"
DASHBOARD_GROUP = "dashboard"
THINKIFIC_POOL = "thinkific"
"""One Dagster concurrency pool for every step that calls Thinkific: the rate limit is per site."""

NIGHTLY_FRESHNESS = FreshnessPolicy.time_window(
    fail_window=timedelta(hours=26), warn_window=timedelta(hours=25)
)
"""The nightly sync runs every 24 hours; a table older than a day and a bit means a missed night."""


SITES = sites_from_env()
"""The sites of THINKIFIC_SITES_FILE, or None (one site, from the single-site variables).
Read when the code location loads: a malformed file stops it loading, with the file's line."""

SITE_PARTITIONS = StaticPartitionsDefinition([site.name for site in SITES]) if SITES else None
"""With a sites file, every Thinkific and dashboard asset is partitioned by site: a run is one
site's, its resources that site's (`pipelines.site_resources`), and the asset pages show each
site's health. Without one, nothing is partitioned: the deployment has one site, and its
assets need no key for it."""

SITE_TAG = "thinkific/site"
"""With a sites file, the run tag naming the site of a run whose partition is no site (team
actions and the Import Users cards have none, an upload's is its file): its resources and the
events it reports are that site's."""


def site_of_run_tags(run_tags: Mapping[str, str]) -> str | None:
    """The name of the site a run is for, as its tags say: `SITE_TAG` (jobs without site
    partitions, and uploads, whose partitions are files), else its site partition."""
    return run_tags.get(SITE_TAG) or run_tags.get(PARTITION_NAME_TAG)


def site_partition(run_tags: Mapping[str, str]) -> str | None:
    """The site partition a run's reported events belong to; None without a sites file."""
    return site_of_run_tags(run_tags) if SITE_PARTITIONS is not None else None


THINKIFIC_STEP_POOL = None if SITE_PARTITIONS else THINKIFIC_POOL
"""The pool of the steps that call Thinkific. A pool is per step, not per site: with a sites
file it would hold every site behind one step at a time, so the deployment limits runs per
site instead (one run per partition value, `deploy/dagster.yaml`'s run tag limits), and on one
host every process of a site also draws from that site's window and in-flight slots."""
