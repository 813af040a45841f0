"""The code location: every asset, check, job, schedule and resource, assembled once.

Every job runs its steps in the run's own process (`in_process_executor`): the Thinkific steps
wait on one site's rate limit, not on CPU, and share one token bucket that way, while a process
per step would start Dagster and pandas a dozen times per run for nothing.
"""

from dagster import Definitions, in_process_executor

from assets.dashboard import dashboard_assets, dashboard_checks
from assets.dashboard_audit import audit_log
from assets.thinkific import thinkific_assets
from assets.thinkific_checks import thinkific_checks
from assets.thinkific_graphql import certificates_and_quiz_results
from assets.thinkific_graphql_checks import thinkific_graphql_checks
from assets.uploads import upload_assets
from pipelines.notification_sensor import notification_sensors
from pipelines.resources import all_resources
from pipelines.schedules import (
    nightly_thinkific_sync,
    thinkific_sync_job,
    weekly_thinkific_reconciliation,
)
from pipelines.team_jobs import team_jobs
from pipelines.team_refresh_sensor import seats_after_team_action
from pipelines.tools_jobs import tools_jobs
from pipelines.upload_sensor import upload_sensor
from pipelines.webhook_sensor import thinkific_webhook_events

defs = Definitions(
    assets=[
        *thinkific_assets,
        certificates_and_quiz_results,
        *dashboard_assets,
        audit_log,
        *upload_assets,
    ],
    asset_checks=[*thinkific_checks, *thinkific_graphql_checks, *dashboard_checks],
    jobs=[thinkific_sync_job, *tools_jobs, *team_jobs],
    schedules=[nightly_thinkific_sync, weekly_thinkific_reconciliation],
    sensors=[
        *notification_sensors,
        thinkific_webhook_events,
        upload_sensor,
        seats_after_team_action,
    ],
    resources=all_resources(),
    executor=in_process_executor,
)
