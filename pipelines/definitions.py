"""The code location: every asset, check, job, schedule and resource, assembled once.

Every job runs its steps in the run's own process (`in_process_executor`): the Thinkific steps
wait on one site's rate limit, not on CPU, and share one pacer and one read-ahead that way (the
first step asks for every stream's first pages, the later ones take them), while a process per
step would start Dagster and pandas a dozen times per run for nothing.
"""

import os

from dagster import Definitions, in_process_executor

from assets.conventions import SITES
from assets.dashboard.audit import audit_log
from assets.dashboard.derived import dashboard_assets, dashboard_checks
from assets.dashboard.teams import teams
from assets.thinkific.checks import thinkific_checks, thinkific_graphql_checks
from assets.thinkific.graphql import certificates_and_quiz_results
from assets.thinkific.rest import thinkific_assets
from assets.uploads.files import upload_assets
from pipelines.jobs.schedules import (
    nightly_thinkific_sync,
    site_schedules,
    thinkific_sync_job,
    weekly_thinkific_reconciliation,
)
from pipelines.jobs.site_warehouses import prepare_site_warehouses
from pipelines.jobs.teams import team_jobs
from pipelines.jobs.tools import tools_jobs
from pipelines.jobs.webhook_events import apply_webhook_events
from pipelines.resources import all_resources
from pipelines.sensors.automation import dashboard_automation
from pipelines.sensors.notifications import notification_sensors, notification_sensors_of_sites
from pipelines.sensors.seat_expiries import seat_expiries, seat_expiries_of_sites
from pipelines.sensors.uploads import upload_sensor
from pipelines.sensors.webhooks import thinkific_webhook_events, webhook_events_of_sites
from pipelines.site_resources import site_resources
from resources.sites import SITES_FILE_ENV, Site


def _single_site() -> Definitions:
    return Definitions(
        schedules=[nightly_thinkific_sync, weekly_thinkific_reconciliation],
        sensors=[*notification_sensors, thinkific_webhook_events, seat_expiries],
        resources=all_resources(),
    )


def _every_site(sites: tuple[Site, ...], sites_file: str) -> Definitions:
    """Every site a partition (`assets.conventions.SITE_PARTITIONS`), each run's resources its
    site's (`pipelines.site_resources`); schedules and the sensors of seat expiries, import
    notices and webhook events per site; the one-off job that prepares the sites' warehouse."""
    return Definitions(
        jobs=[prepare_site_warehouses],
        schedules=site_schedules(sites),
        sensors=[
            seat_expiries_of_sites(sites),
            *notification_sensors_of_sites(),
            webhook_events_of_sites(sites),
        ],
        resources=all_resources() | site_resources(sites_file),
    )


defs = Definitions.merge(
    Definitions(
        assets=[
            *thinkific_assets,
            certificates_and_quiz_results,
            *dashboard_assets,
            teams,
            audit_log,
            *upload_assets,
        ],
        asset_checks=[*thinkific_checks, *thinkific_graphql_checks, *dashboard_checks],
        jobs=[thinkific_sync_job, *tools_jobs, *team_jobs, apply_webhook_events],
        sensors=[dashboard_automation, upload_sensor],
        executor=in_process_executor,
    ),
    _every_site(SITES, os.environ[SITES_FILE_ENV]) if SITES else _single_site(),
)
