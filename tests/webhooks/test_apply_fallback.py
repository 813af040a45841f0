"""An event that is not enough falls back to a targeted read of just its record, counted at the
simulated site over HTTP (SQLite and PostgreSQL)."""

import pandas as pd
import pytest

from schemas.thinkific import to_frame
from simulator import Fault
from simulator.webhook_events import WebhookEvents
from tests.pipelines.sync_harness import run_sync
from tests.webhooks.applying import apply, requests_made, thinkific


def assert_rows_equal_truth(warehouse, table: str, records: list[dict]) -> None:
    ids = [int(record["id"]) for record in records]
    stored = warehouse.read_frame(table)
    actual = stored[stored["id"].isin(ids)].reset_index(drop=True)
    expected = to_frame(table, records).sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)


def _truth_of(sim, stream: str, record_id: int) -> dict:
    return next(r for r in sim.ground_truth()[stream] if int(r["id"]) == record_id)


@pytest.mark.parametrize(
    ("topic", "stream", "change", "left_out"),
    [
        ("enrollment.progress", "enrollments", {"percentage_completed": 0.77}, "expiry_date"),
        ("user.updated", "users", {"company": "Read Instead Ltd"}, "email"),
    ],
    ids=["enrollment-without-expiry_date", "user-without-email"],
)
def test_an_event_lacking_what_its_row_needs_reads_just_that_record(
    synced_site, warehouse, topic, stream, change, left_out
):
    record_id = synced_site.ground_truth()[stream][5]["id"]
    synced_site.site.update(stream, record_id, change)
    event = WebhookEvents(synced_site).event(topic, record_id)
    del event["payload"][left_out]

    reports = apply(warehouse, thinkific(synced_site), event)

    assert requests_made(synced_site) == [f"/{stream}/{record_id}"]
    assert reports[stream].events == {"read": 1}
    truth = _truth_of(synced_site, stream, record_id)
    assert_rows_equal_truth(warehouse, f"thinkific_{stream}", [truth])


def test_an_enrollment_of_a_user_and_a_course_not_stored_reads_both(synced_site, warehouse):
    site = synced_site.site
    user = site.create("users", {"first_name": "Una", "last_name": "Known", "email": "u@k.io"})
    course = site.create("courses", {"name": "Unheard Of"})
    enrollment = site.create("enrollments", {"user_id": user["id"], "course_id": course["id"]})
    event = WebhookEvents(synced_site).event("enrollment.created", enrollment["id"])

    reports = apply(warehouse, thinkific(synced_site), event)

    assert sorted(requests_made(synced_site)) == [
        f"/courses/{course['id']}",
        f"/users/{user['id']}",
    ]
    assert reports["enrollments"].events == {"applied": 1}
    assert (reports["users"].reads, reports["courses"].reads) == (1, 1)
    for stream, record in (("users", user), ("courses", course), ("enrollments", enrollment)):
        assert_rows_equal_truth(warehouse, f"thinkific_{stream}", [record])


def test_a_quiz_attempt_at_a_quiz_not_stored_reads_its_users_quiz_results(live_site, warehouse):
    assert run_sync(live_site, warehouse).success  # REST only: no quiz results stored
    live_site.stats.reset()
    result = live_site.ground_truth()["quiz_results"][0]
    event = WebhookEvents(live_site).event("quiz.attempted", int(result["id"]))

    reports = apply(warehouse, thinkific(live_site), event)

    assert requests_made(live_site) == ["graphql"]
    assert reports["quiz_results"].events == {"read": 1}
    user_id = result["user"]["id"]
    theirs = [r for r in live_site.ground_truth()["quiz_results"] if r["user"]["id"] == user_id]
    assert_rows_equal_truth(warehouse, "thinkific_quiz_results", theirs)
    assert len(warehouse.read_frame("thinkific_quiz_results")) == len(theirs)


def test_a_quiz_attempt_that_needs_a_read_without_an_access_token_waits_for_the_nightly_sync(
    live_site, warehouse
):
    assert run_sync(live_site, warehouse).success
    live_site.stats.reset()
    result = live_site.ground_truth()["quiz_results"][0]
    event = WebhookEvents(live_site).event("quiz.attempted", int(result["id"]))

    reports = apply(warehouse, thinkific(live_site, access_token=None), event)

    assert requests_made(live_site) == []
    assert reports["quiz_results"].events == {"unresolved": 1}
    assert warehouse.count("thinkific_quiz_results") == 0


def test_an_event_about_a_record_gone_from_thinkific_writes_nothing(synced_site, warehouse):
    enrollment = synced_site.ground_truth()["enrollments"][9]
    event = WebhookEvents(synced_site).event("enrollment.progress", enrollment["id"])
    del event["payload"]["updated_at"]
    synced_site.site.delete("enrollments", enrollment["id"])
    before = warehouse.read_frame("thinkific_enrollments")

    reports = apply(warehouse, thinkific(synced_site), event)

    assert requests_made(synced_site) == [f"/enrollments/{enrollment['id']}"]
    assert reports["enrollments"].events == {"read": 1}
    pd.testing.assert_frame_equal(warehouse.read_frame("thinkific_enrollments"), before)


def test_a_targeted_read_thinkific_fails_leaves_its_event_unresolved_and_applies_the_rest(
    synced_site, warehouse
):
    enrollment, user = (
        synced_site.ground_truth()[stream][0] for stream in ("enrollments", "users")
    )
    synced_site.site.update("users", user["id"], {"company": "Still Applied Ltd"})
    events = WebhookEvents(synced_site)
    lacking = events.event("enrollment.progress", enrollment["id"])
    del lacking["payload"]["updated_at"]
    synced_site.faults.add(Fault(endpoint="enrollments", kind="status", status=401))

    reports = apply(
        warehouse, thinkific(synced_site), lacking, events.event("user.updated", user["id"])
    )

    assert reports["enrollments"].events == {"unresolved": 1}
    assert reports["users"].events == {"applied": 1}
    assert_rows_equal_truth(
        warehouse, "thinkific_users", [_truth_of(synced_site, "users", user["id"])]
    )
