"""The nightly sync: the `thinkific` group and everything downstream of it, at 02:00."""

import os
from collections.abc import Mapping

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from assets.conventions import THINKIFIC_GROUP
from assets.thinkific.run_reads import FULL_REFRESH_TAG
from resources.sites import Site

SYNC_JOB_NAME = "thinkific_sync"

thinkific_sync_job = define_asset_job(
    SYNC_JOB_NAME,
    selection=AssetSelection.groups(THINKIFIC_GROUP).downstream(),
    description="Extract every Thinkific stream into the warehouse, then refresh what derives "
    "from it. The same job the nightly schedule and the README's main command run.",
)

NIGHTLY_CRON = os.environ.get("THINKIFIC_SYNC_CRON", "0 2 * * *")
RECONCILIATION_CRON = os.environ.get("THINKIFIC_RECONCILIATION_CRON", "0 3 * * 0")

nightly_thinkific_sync = ScheduleDefinition(
    name="nightly_thinkific_sync",
    job=thinkific_sync_job,
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=os.environ.get("THINKIFIC_SYNC_TIMEZONE", "UTC"),
    default_status=DefaultScheduleStatus.RUNNING,
    description="Unattended nightly sync (02:00 in THINKIFIC_SYNC_TIMEZONE, UTC by default).",
)

weekly_thinkific_reconciliation = ScheduleDefinition(
    name="weekly_thinkific_reconciliation",
    job=thinkific_sync_job,
    cron_schedule=RECONCILIATION_CRON,
    execution_timezone=os.environ.get("THINKIFIC_SYNC_TIMEZONE", "UTC"),
    tags={FULL_REFRESH_TAG: "true"},
    default_status=DefaultScheduleStatus.RUNNING,
    description="Weekly full read of every stream, enrollments included (Sunday 03:00): catches "
    "expiries, which Thinkific makes without touching `updated_at`, and enrollments deleted with "
    "their user, which no incremental read can see.",
)


def _site_schedule(
    base: ScheduleDefinition, site: Site, cron: str, tags: Mapping[str, str]
) -> ScheduleDefinition:
    @schedule(
        name=f"{base.name}__{site.name}",
        job=thinkific_sync_job,
        cron_schedule=cron,
        execution_timezone=site.timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"Site {site.name}: {base.description} In the site's timezone, "
        f"{site.timezone}.",
    )
    def _site(_context: ScheduleEvaluationContext) -> RunRequest:
        return RunRequest(partition_key=site.name, tags=dict(tags))

    return _site


def site_schedules(sites: tuple[Site, ...]) -> list[ScheduleDefinition]:
    """With a sites file: each site's nightly sync and weekly reconciliation, at those hours in
    the site's own timezone, each a run of the site's partition."""
    return [
        schedule_of_site
        for site in sites
        for schedule_of_site in (
            _site_schedule(nightly_thinkific_sync, site, NIGHTLY_CRON, {}),
            _site_schedule(
                weekly_thinkific_reconciliation,
                site,
                RECONCILIATION_CRON,
                {FULL_REFRESH_TAG: "true"},
            ),
        )
    ]
