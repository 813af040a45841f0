"""The dashboard follows upstream changes by itself: the `dashboard_follows_upstream` condition
(`assets.dashboard.automation`), evaluated tick by tick as the daemon's automation condition
sensor evaluates it. What sets it in motion is an upstream materialization, whoever reports it;
what a run that changed nothing reports sets nothing in motion; a burst is debounced."""

import datetime as dt

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    AutomationCondition,
    DagsterInstance,
    DefaultSensorStatus,
    Definitions,
    map_asset_specs,
)

from assets.dashboard.automation import FOLLOWS_UPSTREAM
from assets.dashboard.common import thinkific_key
from assets.dashboard.derived import (
    dashboard_checks,
    seat_usage,
    seats_not_over_allocated,
    team_members,
    teams_overview,
)
from assets.dashboard.teams import TEAMS_KEY, teams
from pipelines.definitions import defs as code_location
from pipelines.sensors.automation import TICK_SECONDS, dashboard_automation
from resources.dashboard.store import DashboardStore
from tests.dashboard.automation import LEARNING_RECORD_STAND_INS, REFRESH, Automation
from tests.dashboard.team_setup import (
    PRODUCT,
    act,
    automation,
    overview_after,
    refresh_requested,
    seed_teams,
)

ENROLLMENTS = thinkific_key("enrollments")
BURST = 200
UPDATES_PER_TICK = 30
"""200 updates over 100 s: two a second, 30 between two ticks of 15 s."""


@pytest.fixture
def store(sqlite_warehouse) -> DashboardStore:
    store = DashboardStore(sqlite_warehouse)
    seed_teams(store)
    return store


def refreshed_assets(
    store: DashboardStore, condition: AutomationCondition | None = None
) -> Definitions:
    """The refreshed assets, under `condition` instead of their own if given, with what is
    upstream of them."""
    assets = [team_members, seat_usage, teams_overview]
    if condition is not None:
        assets = map_asset_specs(
            lambda spec: spec.replace_attributes(automation_condition=condition), assets
        )
    return Definitions(
        assets=[teams, *assets, *LEARNING_RECORD_STAND_INS],
        asset_checks=dashboard_checks,
        resources={"warehouse": store._warehouse},
    )


def report(instance: DagsterInstance, *keys: AssetKey) -> None:
    for key in keys:
        instance.report_runless_asset_event(AssetMaterialization(key))


def update(automation: Automation, *keys: AssetKey) -> None:
    """Materializations of `keys` reported between the last tick and the next."""
    with automation.after_tick():
        report(automation.instance, *keys)


def minute_started() -> dt.datetime:
    """A second past the next minute boundary: the ticks of a test then cross boundaries at
    known places, whenever it runs."""
    return dt.datetime.now(dt.UTC).replace(second=1, microsecond=0) + dt.timedelta(minutes=1)


def settled_automation(defs: Definitions, instance: DagsterInstance) -> Automation:
    """The automation after every asset was materialized once and two quiet minutes passed,
    as on a deployment that has been running: the next update is its first in a while."""
    report(instance, *defs.resolve_asset_graph().get_all_asset_keys())
    automation = Automation(defs, instance, minute_started())
    for _ in range(120 // TICK_SECONDS):
        assert automation.tick() == set()
    return automation


def refreshes_during_a_stream(
    automation: Automation, instance: DagsterInstance, updates: int, per_tick: int
) -> int:
    """How many times the Teams tab is requested while `updates` updates of enrollments arrive,
    `per_tick` between two ticks, and in the quiet minute after them."""
    refreshes = 0
    for sent in range(0, updates, per_tick):
        update(automation, *[ENROLLMENTS] * min(per_tick, updates - sent))
        refreshes += teams_overview.key in automation.tick()
    for _ in range(60 // TICK_SECONDS):
        refreshes += teams_overview.key in automation.tick()
    return refreshes


def test_an_applied_team_action_requests_team_members_seat_usage_its_check_and_the_teams_tab(
    store, instance
):
    result = act(store, instance, "allocate_seats", {"team": "Red", "product": PRODUCT, "seats": 9})

    (reported,) = [e for e in result.get_asset_materialization_events() if e.asset_key == TEAMS_KEY]
    metadata = {name: value.value for name, value in reported.materialization.metadata.items()}
    assert metadata == {
        "changed_by": "allocate_seats",
        "rows_affected": 2,  # the purchase replaced, the new one
        "teams_changed": 1,
        "teams": "red",
    }
    assert refresh_requested(store, instance) == REFRESH


def test_a_refused_action_and_a_repeat_request_no_refresh(store, instance):
    refused = act(store, instance, "archive_team", {"team": "Nope"})
    repeat = act(store, instance, "remove_members", {"team": "Red", "emails": ["c@x.com"]})

    assert not refused.success and repeat.success
    assert refresh_requested(store, instance) == set()


def test_an_update_within_a_minute_of_the_last_refresh_waits_for_a_quiet_tick(store, instance):
    automation = Automation(refreshed_assets(store), instance, minute_started())
    update(automation, ENROLLMENTS)

    assert automation.tick() == set()
    assert automation.tick() == {
        seat_usage.key,
        teams_overview.key,
        seats_not_over_allocated.check_key,
    }
    assert automation.tick() == set()


def test_new_quiz_results_request_the_teams_tab_which_reads_them(store, instance):
    automation = settled_automation(refreshed_assets(store), instance)
    update(automation, thinkific_key("quiz_results"))

    assert automation.tick() == {teams_overview.key}


@pytest.mark.parametrize(
    ("condition", "follows"),
    [(None, True), (AutomationCondition.eager(), False)],
    ids=["dashboard_follows_upstream", "eager"],
)
def test_an_update_landing_as_the_previous_refresh_ends_is_not_lost(
    store, instance, condition, follows
):
    automation = settled_automation(refreshed_assets(store, condition), instance)
    update(automation, ENROLLMENTS)
    requested = automation.tick()
    assert teams_overview.key in requested

    automation.run(requested)  # the refresh ends, and a batch of events lands before the tick
    update(automation, ENROLLMENTS)

    assert (teams_overview.key in automation.settle()) is follows


def test_a_refresh_calls_for_no_refresh_behind_it(store, instance):
    automation = settled_automation(refreshed_assets(store), instance)
    update(automation, TEAMS_KEY)
    requested = automation.tick()
    assert requested == REFRESH

    automation.run(requested)

    assert automation.settle() == set()


def test_a_burst_of_200_updates_between_two_ticks_requests_one_refresh(store, instance):
    automation = settled_automation(refreshed_assets(store), instance)
    update(automation, *[ENROLLMENTS] * BURST)

    requests = [automation.tick() for _ in range(4)]

    assert [teams_overview.key in requested for requested in requests] == [
        True,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("condition", "refreshes"),
    [(None, 3), (AutomationCondition.eager(), 4)],
    ids=["dashboard_follows_upstream", "eager"],
)
def test_200_updates_over_100_seconds_request_three_refreshes_where_eager_requests_four(
    store, instance, condition, refreshes
):
    """Eager requests every other tick here (the tick after a request sees it as handled);
    in the daemon, each of its refreshes would start as soon as the one before ended."""
    automation = settled_automation(refreshed_assets(store, condition), instance)

    assert refreshes_during_a_stream(automation, instance, BURST, UPDATES_PER_TICK) == refreshes


@pytest.mark.parametrize(
    ("condition", "refreshes"),
    [(None, 12), (AutomationCondition.eager(), 20)],
    ids=["dashboard_follows_upstream", "eager"],
)
def test_a_steady_stream_for_ten_minutes_refreshes_about_once_a_minute(
    store, instance, condition, refreshes
):
    automation = settled_automation(refreshed_assets(store, condition), instance)

    assert refreshes_during_a_stream(automation, instance, 40, 1) == refreshes


def test_the_automation_sensor_is_on_by_default_and_targets_the_refreshed_assets_only():
    sensor = code_location.resolve_sensor_def(dashboard_automation.name)

    assert sensor.default_status == DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == TICK_SECONDS
    graph = code_location.resolve_asset_graph()
    automated = {key for key in graph.get_all_asset_keys() if graph.get(key).automation_condition}
    assert automated == {team_members.key, seat_usage.key, teams_overview.key}
    assert sensor.asset_selection.resolve(graph) == automated
    assert sensor.asset_selection.resolve_checks(graph) == {seats_not_over_allocated.check_key}


def test_the_condition_is_named_and_its_runs_execute_in_process():
    graph = code_location.resolve_asset_graph()
    for key in (team_members.key, seat_usage.key, teams_overview.key):
        assert graph.get(key).automation_condition.get_label() == "dashboard_follows_upstream"
    (check,) = seats_not_over_allocated.check_specs
    assert check.automation_condition == FOLLOWS_UPSTREAM
    job = code_location.resolve_implicit_global_asset_job_def()
    assert job.executor_def.name == "in_process"


def test_no_run_status_sensor_refreshes_seats_any_more():
    names = {sensor.name for sensor in code_location.sensors}
    assert "seats_after_team_action" not in names


def test_the_refresh_after_an_action_names_the_teams_whose_row_changed(store, instance):
    automation(store, instance).run(REFRESH)  # the Teams tab as it was
    result = act(
        store, instance, "allocate_seats", {"team": "Blue", "product": PRODUCT, "seats": 9}
    )

    overview_after(store, instance, result)

    event = instance.get_latest_materialization_event(teams_overview.key)
    metadata = event.asset_materialization.metadata
    assert (metadata["teams_changed"].value, metadata["teams_changed_names"].value) == (1, "Blue")
