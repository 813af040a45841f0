"""The webhook sensor: new events become one run applying them, past its cursor; the run reports
the tables it changed as materializations of their assets."""

import dagster as dg

from pipelines.definitions import defs
from pipelines.jobs.webhook_events import JOB_NAME, apply_webhook_events
from pipelines.sensors.webhooks import thinkific_webhook_events
from resources.webhooks.apply import STREAMS
from simulator.webhook_events import WebhookEvents
from tests.webhooks.applying import land, thinkific

ENROLLMENTS = dg.AssetKey(["thinkific", "enrollments"])
USERS = dg.AssetKey(["thinkific", "users"])


def _tick(warehouse, cursor: str | None = None):
    with dg.build_sensor_context(cursor=cursor, resources={"warehouse": warehouse}) as context:
        return thinkific_webhook_events(context)


def test_without_new_events_the_sensor_skips(sqlite_warehouse):
    result = _tick(sqlite_warehouse)
    assert isinstance(result, dg.SkipReason)


def test_new_events_become_one_run_applying_them(sqlite_warehouse, events):
    land(sqlite_warehouse, [events.event(topic) for topic in ("quiz.attempted", "user.signup")])
    land(sqlite_warehouse, [events.event("enrollment.completed")])

    result = _tick(sqlite_warehouse)

    assert result.cursor == "3"
    (request,) = result.run_requests
    assert request.run_key == "webhook-events-1-3"
    assert request.run_config == {"after": 0, "through": 3}


def test_the_next_tick_reads_only_events_after_its_cursor(sqlite_warehouse, events):
    land(sqlite_warehouse, [events.event("quiz.attempted"), events.event("user.updated")])
    first = _tick(sqlite_warehouse)
    land(sqlite_warehouse, [events.event("enrollment.progress")])

    second = _tick(sqlite_warehouse, cursor=first.cursor)

    (request,) = second.run_requests
    assert (second.cursor, request.run_config) == ("3", {"after": 2, "through": 3})
    assert isinstance(_tick(sqlite_warehouse, cursor=second.cursor), dg.SkipReason)


def test_the_run_materializes_what_it_changed_and_observes_what_it_did_not(synced_site, warehouse):
    enrollment = synced_site.ground_truth()["enrollments"][0]
    synced_site.site.update("enrollments", enrollment["id"], {"percentage_completed": 0.55})
    events = WebhookEvents(synced_site)
    stale_user = events.event("user.updated")
    stale_user["created_at"] = "2000-01-01T00:00:00.000Z"
    land(warehouse, [events.event("enrollment.progress", enrollment["id"]), stale_user])
    (request,) = _tick(warehouse).run_requests

    result = apply_webhook_events.execute_in_process(
        run_config=request.run_config,
        resources={"thinkific": thinkific(synced_site), "warehouse": warehouse},
    )

    (materialized,) = result.asset_materializations_for_node("apply_events_as_changes")
    assert materialized.asset_key == ENROLLMENTS
    metadata = {key: value.value for key, value in materialized.metadata.items()}
    assert {key: metadata[key] for key in ("events", "events_applied", "rows_updated")} == {
        "events": 1,
        "events_applied": 1,
        "rows_updated": 1,
    }
    (observed,) = result.asset_observations_for_node("apply_events_as_changes")
    assert observed.asset_key == USERS
    assert observed.metadata["events_stale"].value == 1


def test_the_sensor_launches_the_job_and_the_job_changes_only_assets_of_the_code_location():
    assert defs.resolve_sensor_def("thinkific_webhook_events").job_name == JOB_NAME
    keys = defs.resolve_asset_graph().get_all_asset_keys()
    assert {dg.AssetKey(["thinkific", stream]) for stream in STREAMS} <= keys


def test_the_sensor_looks_for_new_events_every_20_seconds():
    assert defs.resolve_sensor_def(thinkific_webhook_events.name).minimum_interval_seconds == 20
