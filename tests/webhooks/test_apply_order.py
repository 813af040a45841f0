"""Duplicate, replayed, reordered and stale events never move a row backwards (SQLite and
PostgreSQL)."""

import copy
import datetime as dt

import pytest

from resources.warehouse.merge import LoadResult
from schemas.thinkific import to_frame
from simulator.webhook_events import WebhookEvents
from tests.contract_examples import load_example
from tests.webhooks.applying import (
    apply,
    apply_range,
    envelope,
    land,
    requests_made,
    sync,
    thinkific,
)

EARLIER, LATER = "2024-05-01T10:00:00.000Z", "2024-05-01T11:00:00.000Z"
ENROLLMENT = 97472  # webhook_enrollment_created's, of user 123456 in course 4
USER = 123456


@pytest.fixture
def known(warehouse) -> None:
    """The tables hold the user and course the example enrollment names: its events are
    complete and cost no request."""
    user = {"id": USER, "email": "ninjas@thinkific.com"}
    warehouse.upsert("thinkific_users", to_frame("thinkific_users", [user]))
    warehouse.upsert("thinkific_courses", to_frame("thinkific_courses", [{"id": 4}]))


def progress(percent: str, updated_at: str, event_id: str) -> dict:
    """The example enrollment's progress event: `percent` done as of `updated_at`."""
    event = copy.deepcopy(load_example("webhook_enrollment_created"))
    event |= {"action": "progress", "id": event_id, "created_at": updated_at}
    event["payload"] |= {"percentage_completed": percent, "updated_at": updated_at}
    return event


def user_updated(company: str, at: str, event_id: str) -> dict:
    payload = load_example("webhook_user_signup")["payload"] | {"company": company}
    return envelope("user.updated", payload, at, event_id)


def percentage(warehouse) -> float:
    frame = warehouse.read_frame("thinkific_enrollments").set_index("id")
    return frame.loc[ENROLLMENT, "percentage_completed"]


def company(warehouse, user_id: int = USER) -> str:
    return warehouse.read_frame("thinkific_users").set_index("id").loc[user_id, "company"]


@pytest.mark.usefixtures("known")
def test_a_replayed_batch_changes_nothing(warehouse, live_site):
    site = thinkific(live_site)
    batch = land(warehouse, [progress("40.0", LATER, "2")])
    apply_range(warehouse, site, *batch)

    replay = apply_range(warehouse, site, *batch)

    assert replay["enrollments"].events == {"duplicate": 1}
    assert replay["enrollments"].rows == LoadResult()
    assert percentage(warehouse) == 0.4
    assert requests_made(live_site) == []


@pytest.mark.usefixtures("known")
@pytest.mark.parametrize(
    ("stream", "newer", "older", "value"),
    [
        ("enrollments", progress("40.0", LATER, "2"), progress("20.0", EARLIER, "1"), percentage),
        (
            "users",
            user_updated("New Ltd", LATER, "2"),
            user_updated("Old Ltd", EARLIER, "1"),
            company,
        ),
    ],
    ids=["enrollment-by-its-updated_at", "user-by-the-event-time"],
)
def test_an_older_event_arriving_after_a_newer_one_changes_nothing(
    warehouse, live_site, stream, newer, older, value
):
    site = thinkific(live_site)
    apply(warehouse, site, newer)
    before = value(warehouse)

    late = apply(warehouse, site, older)

    assert late[stream].events == {"stale": 1}
    assert late[stream].rows == LoadResult()
    assert value(warehouse) == before


@pytest.mark.usefixtures("known")
@pytest.mark.parametrize("newer_first", [True, False], ids=["newer-first", "older-first"])
def test_events_of_one_row_in_one_batch_end_at_the_newest_whatever_their_order(
    warehouse, live_site, newer_first
):
    newer, older = progress("40.0", LATER, "2"), progress("20.0", EARLIER, "1")

    reports = apply(
        warehouse, thinkific(live_site), *([newer, older] if newer_first else [older, newer])
    )

    assert reports["enrollments"].events == {"applied": 1, "stale": 1}
    assert reports["enrollments"].rows == LoadResult(inserted=1)
    assert percentage(warehouse) == 0.4


def test_a_user_event_from_before_the_last_complete_sync_changes_nothing(synced_site, warehouse):
    user = next(user for user in synced_site.ground_truth()["users"] if user["company"])
    event = WebhookEvents(synced_site).event("user.updated", user["id"])
    event["payload"]["company"] = "Before The Sync Ltd"
    event["created_at"] = "2000-01-01T00:00:00.000Z"  # long before the sync began

    reports = apply(warehouse, thinkific(synced_site), event)

    assert reports["users"].events == {"stale": 1}
    assert company(warehouse, user["id"]) == user["company"]


def test_an_enrollment_event_older_than_its_stored_row_changes_nothing(synced_site, warehouse):
    enrollment = synced_site.ground_truth()["enrollments"][0]
    event = WebhookEvents(synced_site).event("enrollment.progress", enrollment["id"])
    updated = dt.datetime.fromisoformat(enrollment["updated_at"]) - dt.timedelta(days=1)
    event["payload"] |= {"percentage_completed": "99.0", "updated_at": updated.isoformat()}
    event["created_at"] = synced_site.clock.now().isoformat()  # delivered late, after the sync

    reports = apply(warehouse, thinkific(synced_site), event)

    assert reports["enrollments"].events == {"stale": 1}
    stored = warehouse.read_frame("thinkific_enrollments").set_index("id")
    assert (
        stored.loc[enrollment["id"], "percentage_completed"] == enrollment["percentage_completed"]
    )


def test_an_event_newer_than_the_sync_that_deleted_its_user_brings_the_user_back(
    synced_site, warehouse
):
    user = synced_site.ground_truth()["users"][0]
    event = WebhookEvents(synced_site).event("user.updated", user["id"])
    synced_site.site.delete("users", user["id"])
    sync(synced_site, warehouse)
    event["created_at"] = synced_site.clock.now().isoformat()

    reports = apply(warehouse, thinkific(synced_site), event)

    assert reports["users"].rows == LoadResult(restored=1)
    assert user["id"] in set(warehouse.read_frame("thinkific_users")["id"])
