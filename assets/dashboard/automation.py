"""When the dashboard's derived assets refresh by themselves: `FOLLOWS_UPSTREAM`.

`dashboard/team_members`, `dashboard/seat_usage` (with its check) and `dashboard/teams_overview`
carry this condition, and the automation condition sensor (`pipelines.sensors.automation`)
evaluates it every tick. It names no job: whatever reports a new materialization of an upstream
asset sets it in motion, be it a webhook batch (`thinkific/enrollments`, `users`,
`quiz_results`), an upload or a team action (`dashboard/teams`) or a sync. The Teams tab also
follows the certificates and quiz results it reads (`follows_upstream`).

A target is requested when all of these hold:

- **something upstream changed since it was last requested**: a dependency (or an asset it
  reads, `follows_upstream`) was updated, or a dependency is requested on this tick (the
  refreshed assets' updates of one another are not changes: `REFRESHED`);
- **debounced**: no upstream update arrived during the last tick (a burst is over), or a
  dependency is requested on this same tick (the target joins that run rather than waiting a
  tick behind it), or a minute boundary has passed since the target was last requested (an
  endless trickle of events still refreshes once a minute at most, and the first event after a
  quiet minute refreshes at once);
- nothing upstream is being materialized, and the target is not either (its run would be stale).

Unlike `AutomationCondition.eager()`, an update is forgotten only by a *request*, not by the
target's own update: eager's reset (requested or updated) is a combination of conditions, which
carries no timestamps, so an upstream update seen on the same tick as the end of the target's
previous run was dropped (the Teams tab would miss a batch of events until the next one). Here
the update and the request each carry their time, and an update later than the request wins.
The price: a run that refreshes the dashboard itself besides its upstream (the nightly sync, a
Sync card) is followed by one refresh more, and a refreshed asset materialized by hand alone
(team members, say) does not set the others in motion. An update of an asset read beside the
dependencies carries no time (Dagster keeps none through `asset_matches`): one seen on the tick
right after a request is taken as read by that request's run.

Dagster 1.13 has no built-in debounce; this one is built from its conditions, so the daemon
evaluates it without calling the code location. Measured in `tests/dashboard/test_automation.py`
(a tick every 15 s, runs never started): 200 updates of `thinkific/enrollments` between two ticks
request one refresh; spread over 100 s, three (`AutomationCondition.eager()`: four); one update
every tick for ten minutes, twelve (eager: twenty, and in the daemon each of its refreshes would
start as soon as the one before ended).
"""

from functools import reduce
from operator import or_

from dagster import AssetKey, AssetSelection, AutomationCondition

from assets.dashboard.common import dashboard_key

LABEL = "dashboard_follows_upstream"
"""The condition's name, in the UI's automation view."""
OVERDUE_CRON = "* * * * *"
"""The debounce's longest wait: a refresh at least once a minute while updates keep coming."""

REFRESHED = AssetSelection.assets(
    *(dashboard_key(name) for name in ("team_members", "seat_usage", "teams_overview"))
)
"""The assets carrying the condition. Their updates of one another do not count as upstream
changes: the automation refreshes them together, and a refresh would otherwise call for one more
behind it."""
_UPDATED = AutomationCondition.newly_updated()
_REQUESTED = AutomationCondition.newly_requested()


def _any_of(conditions: list[AutomationCondition]) -> AutomationCondition:
    return reduce(or_, conditions)


def follows_upstream(*also_reads: AssetKey) -> AutomationCondition:
    """The condition, for a target that also reads the tables of `also_reads` without depending
    on those assets in the graph (the Teams tab reads certificates and quiz results once they
    exist; as dependencies they would skip it in a sync without GraphQL access)."""
    updated = [
        AutomationCondition.any_deps_match(_UPDATED).ignore(REFRESHED),
        *(AutomationCondition.asset_matches(key, _UPDATED) for key in also_reads),
    ]
    joining = AutomationCondition.any_deps_match(
        AutomationCondition.will_be_requested()
    ).with_label("an upstream asset is requested on this tick")
    changed = _any_of([*(update.since(_REQUESTED) for update in updated), joining]).with_label(
        "upstream changed since last requested"
    )
    quiet = (~_any_of(updated)).with_label("no upstream update during the last tick")
    overdue = (
        AutomationCondition.cron_tick_passed(OVERDUE_CRON)
        .since(_REQUESTED)
        .with_label("a minute boundary passed since last requested")
    )
    return (
        changed
        & (quiet | joining | overdue).with_label("debounced")
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label(LABEL)


FOLLOWS_UPSTREAM = follows_upstream()
"""Requested once upstream changed, debounced, with nothing upstream or itself in progress."""
