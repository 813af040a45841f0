"""The dashboard's automation evaluated tick by tick over an instance, as the daemon's sensor
evaluates it, and the refresh it requests run in process as its run would be."""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetSpec,
    DagsterInstance,
    Definitions,
    evaluate_automation_conditions,
)
from dagster._core.definitions.asset_daemon_cursor import AssetDaemonCursor
from dagster._core.test_utils import freeze_time

from assets.dashboard.derived import (
    LEARNING_RECORDS,
    seat_usage,
    seats_not_over_allocated,
    team_members,
    teams_overview,
)
from pipelines.sensors.automation import TICK_SECONDS

TICK = dt.timedelta(seconds=TICK_SECONDS)
REFRESH: set[AssetKey | AssetCheckKey] = {
    team_members.key,
    seat_usage.key,
    seats_not_over_allocated.check_key,
    teams_overview.key,
}
"""What the automation refreshes: team members, seat usage with its check, the Teams tab."""
LEARNING_RECORD_STAND_INS = [AssetSpec(key) for key in LEARNING_RECORDS]
"""Stand-ins for the GraphQL assets whose updates the Teams tab follows (the code location has
them; a condition cannot be evaluated over keys the definitions lack)."""
QUIET_TICKS = 2
"""Ticks from an update to its refresh: the one that sees it, then a quiet one (the debounce)."""


class Automation:
    """The automation condition sensor's evaluations, each `TICK` after the one before."""

    def __init__(self, defs: Definitions, instance: DagsterInstance, start: dt.datetime) -> None:
        self.defs, self.instance, self.now = defs, instance, start
        self.cursor: AssetDaemonCursor | None = None
        self.tick()  # the first evaluation only starts the cursor: it never requests

    def tick(self, after: dt.timedelta = TICK) -> set[AssetKey | AssetCheckKey]:
        """Evaluates every condition `after` the previous tick; what it requests."""
        self.now += after
        result = evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, cursor=self.cursor, evaluation_time=self.now
        )
        self.cursor = result.cursor
        return {r.key for r in result.results if not r.true_subset.is_empty}

    @contextmanager
    def after_tick(self) -> Iterator[None]:
        """Dagster's clock stopped a second after the last tick: what happens meanwhile is
        stamped between that tick and the next, as in the daemon (an update and a request are
        told apart by their times)."""
        with freeze_time(self.now + dt.timedelta(seconds=1)):
            yield

    def settle(self) -> set[AssetKey | AssetCheckKey]:
        """What the ticks until a burst has settled request, together."""
        return set().union(*(self.tick() for _ in range(QUIET_TICKS)))

    def run(self, requested: set[AssetKey | AssetCheckKey]) -> None:
        """Runs the requested assets (with their checks), as the sensor's run does."""
        keys = [key for key in requested if isinstance(key, AssetKey)]
        job = self.defs.resolve_implicit_global_asset_job_def()
        with self.after_tick():
            assert job.execute_in_process(instance=self.instance, asset_selection=keys).success
