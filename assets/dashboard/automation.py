"""When the dashboard's derived assets refresh by themselves: `FOLLOWS_UPSTREAM`.

`dashboard/team_members`, `dashboard/seat_usage` (with its check) and `dashboard/teams_overview`
carry this condition, and the automation condition sensor (`pipelines.sensors.automation`)
evaluates it every tick. It names no job: whatever reports a new materialization of an upstream
asset sets it in motion, be it a webhook batch (`thinkific/enrollments`, `users`,
`quiz_results`), an upload or a team action (`dashboard/teams`) or a sync. The Teams tab also
follows the certificates and quiz results it reads (`follows_upstream`).

A target is requested when all of these hold:

- **something upstream changed since it was last requested or updated** (Dagster's
  `any_deps_updated().since_last_handled()`; an update made by a run that refreshed the target
  too, as the nightly sync does, does not count);
- **debounced**: no upstream update arrived during the last tick (a burst is over), or a
  dependency is requested on this same tick (the target joins that run rather than waiting a
  tick behind it), or a minute boundary has passed since the target was last requested (an
  endless trickle of events still refreshes once a minute at most, and the first event after a
  quiet minute refreshes at once);
- nothing upstream is being materialized, and the target is not either (its run would be stale).

Dagster 1.13 has no built-in debounce; this one is built from its conditions, so the daemon
evaluates it without calling the code location. Measured in `tests/dashboard/test_automation.py`
(a tick every 15 s, runs never started): 200 updates of `thinkific/enrollments` between two ticks
request one refresh; spread over 100 s, three (`AutomationCondition.eager()`: four); one update
every tick for ten minutes, eleven (eager: twenty, and in the daemon each of its refreshes would
start as soon as the one before ended).
"""

from functools import reduce
from operator import or_

from dagster import AssetKey, AutomationCondition

OVERDUE_CRON = "* * * * *"
"""The debounce's longest wait: a refresh at least once a minute while updates keep coming."""

_UPDATED = AutomationCondition.newly_updated() & ~AutomationCondition.executed_with_root_target()
"""Updated since the previous tick, by a run that did not refresh the target itself."""


def _any_of(conditions: list[AutomationCondition]) -> AutomationCondition:
    return reduce(or_, conditions)


def follows_upstream(*also_reads: AssetKey) -> AutomationCondition:
    """The condition, for a target that also reads the tables of `also_reads` without depending
    on those assets in the graph (the Teams tab reads certificates and quiz results once they
    exist; as dependencies they would skip it in a sync without GraphQL access)."""
    read = [AutomationCondition.asset_matches(key, _UPDATED) for key in also_reads]
    changed = (
        _any_of([AutomationCondition.any_deps_updated(), *read])
        .since_last_handled()
        .with_label("upstream changed since last requested or updated")
    )
    quiet = (~_any_of([AutomationCondition.any_deps_match(_UPDATED), *read])).with_label(
        "no upstream update during the last tick"
    )
    joining = AutomationCondition.any_deps_match(
        AutomationCondition.will_be_requested()
    ).with_label("an upstream asset is requested on this tick")
    overdue = (
        AutomationCondition.cron_tick_passed(OVERDUE_CRON)
        .since_last_handled()
        .with_label("a minute boundary passed since last requested")
    )
    return (
        changed
        & (quiet | joining | overdue).with_label("debounced")
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label(LABEL)


LABEL = "dashboard_follows_upstream"
FOLLOWS_UPSTREAM = follows_upstream()
"""Requested once upstream changed, debounced, with nothing upstream or itself in progress."""
