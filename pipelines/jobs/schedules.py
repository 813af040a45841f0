"""The nightly sync: the `thinkific` group and everything downstream of it, at 02:00."""

import os

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from assets.conventions import THINKIFIC_GROUP
from assets.thinkific.run_reads import FULL_REFRESH_TAG

SYNC_JOB_NAME = "thinkific_sync"

thinkific_sync_job = define_asset_job(
    SYNC_JOB_NAME,
    selection=AssetSelection.groups(THINKIFIC_GROUP).downstream(),
    description="Extract every Thinkific stream into the warehouse, then refresh what derives "
    "from it. The same job the nightly schedule and the README's main command run.",
)

nightly_thinkific_sync = ScheduleDefinition(
    name="nightly_thinkific_sync",
    job=thinkific_sync_job,
    cron_schedule=os.environ.get("THINKIFIC_SYNC_CRON", "0 2 * * *"),
    execution_timezone=os.environ.get("THINKIFIC_SYNC_TIMEZONE", "UTC"),
    default_status=DefaultScheduleStatus.RUNNING,
    description="Unattended nightly sync (02:00 in THINKIFIC_SYNC_TIMEZONE, UTC by default).",
)

weekly_thinkific_reconciliation = ScheduleDefinition(
    name="weekly_thinkific_reconciliation",
    job=thinkific_sync_job,
    cron_schedule=os.environ.get("THINKIFIC_RECONCILIATION_CRON", "0 3 * * 0"),
    execution_timezone=os.environ.get("THINKIFIC_SYNC_TIMEZONE", "UTC"),
    tags={FULL_REFRESH_TAG: "true"},
    default_status=DefaultScheduleStatus.RUNNING,
    description="Weekly full read of every stream, enrollments included (Sunday 03:00): catches "
    "expiries, which Thinkific makes without touching `updated_at`, and enrollments deleted with "
    "their user, which no incremental read can see.",
)
