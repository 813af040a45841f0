"""Tells the admin when an import ends: "import complete" or "import failed".

Two run-status sensors watch the import jobs. Each reads the run's own config (the Tools form):
with `prohibit_emails` nothing is sent at all. Otherwise the notice is queued in the outbox, once
per run whatever happens to the sensor's cursor, and every pending message (the welcome messages
the import queued included) is delivered when delivery is SMTP.
"""

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
)

from pipelines.jobs.tools import import_jobs
from resources.dashboard.notifications import ImportOutcome, NotificationResource
from resources.dashboard.store import DashboardStore
from resources.warehouse import WarehouseResource


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


@run_status_sensor(
    name="import_complete_notice",
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=import_jobs,
    default_status=DefaultSensorStatus.RUNNING,
    description="Queues (and with SMTP delivery sends) 'import complete' to the admin after a "
    "successful import, unless the import prohibited emails.",
)
def import_complete_notice(
    context: RunStatusSensorContext,
    warehouse: WarehouseResource,
    notifications: NotificationResource,
) -> SkipReason | None:
    return _notify(context, warehouse, notifications, "complete")


@run_failure_sensor(
    name="import_failed_notice",
    monitored_jobs=import_jobs,
    default_status=DefaultSensorStatus.RUNNING,
    description="Queues (and with SMTP delivery sends) 'import failed' with the error to the "
    "admin, unless the import prohibited emails.",
)
def import_failed_notice(
    context: RunFailureSensorContext,
    warehouse: WarehouseResource,
    notifications: NotificationResource,
) -> SkipReason | None:
    errors = [
        event.step_failure_data.error.message.strip()
        for event in context.get_step_failure_events()
        if event.step_failure_data and event.step_failure_data.error
    ]
    detail = "\n".join(errors) or context.failure_event.message or ""
    return _notify(context, warehouse, notifications, "failed", detail)


notification_sensors = [import_complete_notice, import_failed_notice]
