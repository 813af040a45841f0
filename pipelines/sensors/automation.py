"""The automation condition sensor: the dashboard follows every upstream change by itself.

It evaluates `FOLLOWS_UPSTREAM` (`assets.dashboard.automation`) for team members, seat usage
with its check, and the Teams tab every `TICK_SECONDS`, and launches a run of those requested
(the code location's in-process executor, like every run). No list of jobs: a webhook batch, an
upload, a team action or a sync reports an upstream materialization, and the condition does the
rest. It replaces the run-status sensor that recalculated seats after each team action.

On by default: without it the Teams tab would wait for the nightly sync.
"""

from dagster import AutomationConditionSensorDefinition, DefaultSensorStatus

from assets.dashboard.automation import REFRESHED

TICK_SECONDS = 15
"""How often the condition is evaluated, and so the debounce's quiet period: a burst of
updates is over when a tick passes without one."""

dashboard_automation = AutomationConditionSensorDefinition(
    "dashboard_follows_upstream",
    target=REFRESHED,
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=TICK_SECONDS,
    emit_backfills=False,
    description="Refreshes team members, seat usage (with seats_not_over_allocated) and the "
    "Teams tab once anything upstream changed: webhook events applied, an upload or a team "
    "action that changed teams (dashboard/teams), a sync. Debounced: it waits until a tick "
    f"({TICK_SECONDS} s) passes without an upstream update, or at most until the next minute "
    "boundary, and never while upstream or the refresh itself is in progress.",
)
