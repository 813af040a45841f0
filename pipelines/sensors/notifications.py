"""Tells the admin when an import ends: "import complete" or "import failed".

Two run-status sensors watch the import jobs. Each reads the run's own config (the Tools form):
with `prohibit_emails` nothing is sent at all. Otherwise the notice is queued in the outbox, once
per run whatever happens to the sensor's cursor, and every pending message (the welcome messages
the import queued included) is delivered when delivery is SMTP.
"""

from typing import Any

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    SensorDefinition,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
)

from assets.conventions import site_of_run_tags
from pipelines.jobs.tools import import_jobs
from resources.dashboard.notifications import ImportOutcome, NotificationResource
from resources.dashboard.store import DashboardStore
from resources.warehouse import WarehouseResource
from resources.warehouse.sites import site_warehouse


def _notify(
    context: RunStatusSensorContext,
    warehouse: WarehouseResource,
    notifications: NotificationResource,
    outcome: ImportOutcome,
    detail: str = "",
) -> SkipReason | None:
    run = context.dagster_run
    if run.run_config.get("prohibit_emails"):
        return SkipReason(f"run {run.run_id} prohibits emails: no notice sent")
    notice = notifications.import_notice(run.job_name, run.run_id, outcome, detail)
    sent = notifications.send(DashboardStore(warehouse), [notice])
    context.log.info(f"import {outcome} notice for run {run.run_id} queued; {sent} sent by SMTP")
    return None


COMPLETE_NOTICE: dict[str, Any] = {
    "name": "import_complete_notice",
    "run_status": DagsterRunStatus.SUCCESS,
    "monitored_jobs": import_jobs,
    "default_status": DefaultSensorStatus.RUNNING,
    "description": "Queues (and with SMTP delivery sends) 'import complete' to the admin after a "
    "successful import, unless the import prohibited emails.",
}
FAILED_NOTICE: dict[str, Any] = {
    "name": "import_failed_notice",
    "monitored_jobs": import_jobs,
    "default_status": DefaultSensorStatus.RUNNING,
    "description": "Queues (and with SMTP delivery sends) 'import failed' with the error to the "
    "admin, unless the import prohibited emails.",
}


def _failure_detail(context: RunFailureSensorContext) -> str:
    errors = [
        event.step_failure_data.error.message.strip()
        for event in context.get_step_failure_events()
        if event.step_failure_data and event.step_failure_data.error
    ]
    return "\n".join(errors) or context.failure_event.message or ""


@run_status_sensor(**COMPLETE_NOTICE)
def import_complete_notice(
    context: RunStatusSensorContext,
    warehouse: WarehouseResource,
    notifications: NotificationResource,
) -> SkipReason | None:
    return _notify(context, warehouse, notifications, "complete")


@run_failure_sensor(**FAILED_NOTICE)
def import_failed_notice(
    context: RunFailureSensorContext,
    warehouse: WarehouseResource,
    notifications: NotificationResource,
) -> SkipReason | None:
    return _notify(context, warehouse, notifications, "failed", _failure_detail(context))


notification_sensors = [import_complete_notice, import_failed_notice]


def _notify_the_runs_site(
    context: RunStatusSensorContext,
    notifications: NotificationResource,
    outcome: ImportOutcome,
    detail: str = "",
) -> SkipReason | None:
    """With a sites file: the notice goes to the outbox of the site the import ran for."""
    site = site_of_run_tags(context.dagster_run.tags)
    if site is None:
        return SkipReason(f"run {context.dagster_run.run_id} names no site: no outbox to queue in")
    warehouse = site_warehouse(site)
    try:
        return _notify(context, warehouse, notifications, outcome, detail)
    finally:
        warehouse.dispose()


def notification_sensors_of_sites() -> list[SensorDefinition]:
    """The same two notices with a sites file, each queued in its import's site's outbox."""

    @run_status_sensor(**COMPLETE_NOTICE)
    def complete_notice_of_site(
        context: RunStatusSensorContext, notifications: NotificationResource
    ) -> SkipReason | None:
        return _notify_the_runs_site(context, notifications, "complete")

    @run_failure_sensor(**FAILED_NOTICE)
    def failed_notice_of_site(
        context: RunFailureSensorContext, notifications: NotificationResource
    ) -> SkipReason | None:
        return _notify_the_runs_site(context, notifications, "failed", _failure_detail(context))

    return [complete_notice_of_site, failed_notice_of_site]
