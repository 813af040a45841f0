"""The webhook sensor: new events become one run refreshing what they change, past its cursor."""

import datetime as dt
import json

import dagster as dg
import pandas as pd

from assets.thinkific.graphql import CERTIFICATES, QUIZ_RESULTS, certificates_and_quiz_results
from assets.thinkific.rest import asset_of
from pipelines.sensors.webhooks import ENROLLMENTS, USERS, thinkific_webhook_events
from receiver.envelope import event_record
from resources.thinkific.resource import ThinkificResource
from resources.webhooks.store import WebhookStore
from schemas.thinkific import to_frame
from simulator.webhook_events import WebhookEvents
from tests.graphql.helpers import LEARNING_SITE, graphql_resource

users = asset_of("users")
enrollments = asset_of("enrollments")

THINKIFIC_ELSEWHERE = ThinkificResource(api_key="k", subdomain="s")
"""Loading definitions calls no API."""


def _land(warehouse, events: list[dict]) -> None:
    """Store events as the receiver does."""
    records = [
        event_record(json.dumps(event).encode(), dt.datetime.now(dt.UTC)) for event in events
    ]
    WebhookStore(warehouse).add_many(records)


def _tick(warehouse, cursor: str | None = None):
    with dg.build_sensor_context(cursor=cursor, resources={"warehouse": warehouse}) as context:
        return thinkific_webhook_events(context)


def test_without_new_events_the_sensor_skips(sqlite_warehouse):
    result = _tick(sqlite_warehouse)
    assert isinstance(result, dg.SkipReason)


def test_new_events_become_one_run_refreshing_what_they_change(sqlite_warehouse, events):
    quiz = [events.event("quiz.attempted") for _ in range(3)]
    completed = events.event("enrollment.completed")
    _land(sqlite_warehouse, [*quiz, events.event("user.signup"), completed])
    result = _tick(sqlite_warehouse)
    assert result.cursor == "5"
    (request,) = result.run_requests
    assert set(request.asset_selection) == {QUIZ_RESULTS, CERTIFICATES, ENROLLMENTS, USERS}
    assert request.run_key == "webhook-events-1-5"
    config = request.run_config["ops"][certificates_and_quiz_results.node_def.name]["config"]
    assert config["quiz_user_ids"] == sorted({e["payload"]["user"]["id"] for e in quiz})
    assert config["certificate_user_emails"] == [completed["payload"]["user"]["email"]]


def test_the_next_tick_reads_only_events_after_its_cursor(sqlite_warehouse, events):
    _land(sqlite_warehouse, [events.event("quiz.attempted"), events.event("user.updated")])
    first = _tick(sqlite_warehouse)
    _land(sqlite_warehouse, [events.event("enrollment.progress")])
    second = _tick(sqlite_warehouse, cursor=first.cursor)
    (request,) = second.run_requests
    assert (second.cursor, request.asset_selection) == ("3", [ENROLLMENTS])
    assert request.run_config == {}
    assert isinstance(_tick(sqlite_warehouse, cursor=second.cursor), dg.SkipReason)


def test_the_requested_run_refreshes_only_the_users_the_events_name(
    start_simulator, sqlite_warehouse
):
    sim = start_simulator(**LEARNING_SITE, graphql_points_per_minute=100_000)
    quiz_events = WebhookEvents(sim, seed=4).sample(2, ("quiz.attempted",))
    _land(sqlite_warehouse, quiz_events)
    (request,) = _tick(sqlite_warehouse).run_requests
    result = dg.materialize(
        [users, enrollments, certificates_and_quiz_results],
        selection=request.asset_selection,
        run_config=request.run_config,
        resources={"thinkific": graphql_resource(sim), "warehouse": sqlite_warehouse},
    )
    assert result.success
    named = {event["payload"]["user"]["id"] for event in quiz_events}
    expected = [r for r in sim.ground_truth()["quiz_results"] if int(r["user"]["id"]) in named]
    pd.testing.assert_frame_equal(
        sqlite_warehouse.read_frame("thinkific_quiz_results"),
        to_frame("thinkific_quiz_results", expected).sort_values("id").reset_index(drop=True),
        check_dtype=False,
    )


def test_the_sensor_and_the_assets_it_targets_load_as_one_code_location(sqlite_warehouse):
    defs = dg.Definitions(
        assets=[users, enrollments, certificates_and_quiz_results],
        sensors=[thinkific_webhook_events],
        resources={"warehouse": sqlite_warehouse, "thinkific": THINKIFIC_ELSEWHERE},
    )
    dg.Definitions.validate_loadable(defs)
    targets = defs.resolve_sensor_def("thinkific_webhook_events").asset_selection
    assert targets.resolve(defs.resolve_asset_graph()) == {
        USERS,
        ENROLLMENTS,
        CERTIFICATES,
        QUIZ_RESULTS,
    }
