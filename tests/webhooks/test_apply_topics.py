"""Each topic applied from its payload, on SQLite and PostgreSQL, against a simulated site."""

import datetime as dt

import pandas as pd

from schemas.thinkific import to_frame
from simulator.webhook_events import WebhookEvents
from tests.contract_examples import load_example
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth
from tests.webhooks.applying import KEPT_EXAMPLES, apply, requests_made, thinkific


def rows(warehouse, table: str, ids: list[int]) -> pd.DataFrame:
    frame = warehouse.read_frame(table)
    return frame[frame["id"].isin(ids)].reset_index(drop=True)


def _unenrolled_pair(truth: dict) -> tuple[int, int]:
    """A user and a course of the site with no enrollment between them."""
    enrolled = {(e["user_id"], e["course_id"]) for e in truth["enrollments"]}
    return next(
        (user["id"], course["id"])
        for user in truth["users"]
        for course in truth["courses"]
        if (user["id"], course["id"]) not in enrolled
    )


def test_events_of_every_change_bring_the_tables_to_the_truth_without_a_request(
    synced_site, warehouse
):
    site, truth = synced_site.site, synced_site.ground_truth()
    progressing, completing = [e for e in truth["enrollments"] if not e["completed"]][:2]
    site.update("enrollments", progressing["id"], {"percentage_completed": 0.61})
    now = synced_site.clock.now()
    site.update("enrollments", completing["id"], {"percentage_completed": 1.0, "completed_at": now})
    user_id, course_id = _unenrolled_pair(truth)
    created = site.create("enrollments", {"user_id": user_id, "course_id": course_id})
    updated_user = truth["users"][3]["id"]
    site.update("users", updated_user, {"company": "Webhooks Ltd", "headline": "Tester"})
    signed_up = site.create(
        "users", {"first_name": "New", "last_name": "Person", "email": "n@p.io"}
    )
    events = WebhookEvents(synced_site, seed=3)

    reports = apply(
        warehouse,
        thinkific(synced_site),
        events.event("enrollment.progress", progressing["id"]),
        events.event("enrollment.completed", completing["id"]),
        events.event("enrollment.created", created["id"]),
        events.event("user.updated", updated_user),
        events.event("user.signup", signed_up["id"]),
    )

    assert requests_made(synced_site) == []
    assert reports["enrollments"].events == {"applied": 3}
    assert reports["users"].events == {"applied": 2}
    assert_warehouse_equals_ground_truth(warehouse, synced_site.ground_truth())


def test_a_quiz_attempt_at_a_stored_quiz_is_applied_without_a_request(synced_site, warehouse):
    result = synced_site.ground_truth()["quiz_results"][0]
    event = WebhookEvents(synced_site, seed=5).event("quiz.attempted", int(result["id"]))

    reports = apply(warehouse, thinkific(synced_site), event)

    assert requests_made(synced_site) == []
    assert reports["quiz_results"].events == {"applied": 1}
    expected = to_frame("thinkific_quiz_results", [result])
    expected["completed_at"] = pd.Timestamp(event["created_at"])
    pd.testing.assert_frame_equal(
        rows(warehouse, "thinkific_quiz_results", [int(result["id"])]), expected, check_dtype=False
    )


def test_thinkifics_example_payloads_are_applied_and_what_they_name_unknown_read_once_each(
    live_site, warehouse
):
    examples = [load_example(path.stem) for path in KEPT_EXAMPLES]

    reports = apply(warehouse, thinkific(live_site), *examples)

    assert sorted(requests_made(live_site)) == [
        "/courses/25",
        "/courses/4",
        "/courses/68",
        "/users/94",
        "/users/95",
        "graphql",  # the quiz is unknown: its user's quiz results
    ]
    assert reports["enrollments"].events == {"applied": 3}
    assert reports["users"].events == {"applied": 1}
    assert reports["quiz_results"].events == {"read": 1}
    progress = rows(warehouse, "thinkific_enrollments", [97472, 3, 4]).set_index("id")
    assert progress["percentage_completed"].to_dict() == {3: 0.0, 4: 0.24, 97472: 0.0}
    user = rows(warehouse, "thinkific_users", [123456]).iloc[0]
    assert (user["email"], user["full_name"]) == ("ninjas@thinkific.com", "Robert Smith")
    assert user["created_at"] == dt.datetime(2018, 1, 23, 22, 2, 44, 987000, tzinfo=dt.UTC)
