"""Team actions refused for what the admin asked, each with a message saying what to do and
an audit row with status refused; on SQLite (the rules are checked in Python, not SQL).

The refusals that depend on SQL (renaming onto an existing name, allocating to an archived
team, assigning past the available seats) run on both databases in test_team_seats.py and
test_team_changes.py.
"""

import datetime as dt

import pytest
from dagster import DagsterConfigMappingFunctionError

from resources.dashboard.store import DashboardStore
from tests.dashboard.team_setup import PRODUCT, act, audit, seed_teams
from tests.pipelines.sync_harness import failure_messages


@pytest.fixture
def store(sqlite_warehouse) -> DashboardStore:
    store = DashboardStore(sqlite_warehouse)
    seed_teams(store)
    return store


def test_an_unknown_product_is_refused_listing_the_known_products(store, instance):
    result = act(store, instance, "allocate_seats", {"team": "Red", "product": "Nope", "seats": 1})

    assert "unknown product 'Nope'" in failure_messages(result)
    assert f"'{PRODUCT}'" in failure_messages(result)
    assert audit(store) == [("allocate_seats", "refused", 0)]


def test_an_expiry_in_the_past_is_refused(store, instance):
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    config = {"team": "Red", "product": PRODUCT, "seats": 1, "expires_at": yesterday}

    result = act(store, instance, "allocate_seats", config)

    assert "has passed: give a future date" in failure_messages(result)


def test_negative_seats_are_refused_at_launch_before_any_run(store, instance):
    with pytest.raises(DagsterConfigMappingFunctionError) as refused:
        act(store, instance, "allocate_seats", {"team": "Red", "product": PRODUCT, "seats": -1})

    assert "seats is -1: give 0 or more" in str(refused.value.__cause__)
    assert audit(store) == []


def test_assigning_to_someone_outside_the_team_is_refused(store, instance):
    config = {"team": "Red", "product": PRODUCT, "emails": ["c@x.com"]}

    result = act(store, instance, "assign_seats", config)

    assert "not members of team 'Red': c@x.com" in failure_messages(result)


def test_merging_a_team_into_itself_is_refused(store, instance):
    result = act(store, instance, "merge_teams", {"team": "Red", "into": " RED"})

    assert "cannot merge team 'Red' into itself" in failure_messages(result)


def test_merging_into_an_archived_team_is_refused(store, instance):
    act(store, instance, "archive_team", {"team": "Blue"})

    result = act(store, instance, "merge_teams", {"team": "Red", "into": "Blue"})

    assert "team 'Blue' is archived" in failure_messages(result)
    assert audit(store) == [("archive_team", "applied", 1), ("merge_teams", "refused", 0)]


def test_moving_someone_who_is_in_neither_team_is_refused(store, instance):
    store.add_users([{"email": "d@x.com"}])

    result = act(
        store, instance, "move_members", {"team": "Blue", "to": "Red", "emails": ["d@x.com"]}
    )

    assert "not members of team 'Blue': 'd@x.com'" in failure_messages(result)


def test_moving_a_member_added_by_group_matching_is_refused(store, instance):
    store.add_members("Red", ["a@x.com"], "member", "group_matching")

    result = act(
        store, instance, "move_members", {"team": "Red", "to": "Blue", "emails": ["a@x.com"]}
    )

    assert "through group matching" in failure_messages(result)
    assert "change the group mapping" in failure_messages(result)


def test_removing_an_unknown_user_is_refused(store, instance):
    result = act(store, instance, "remove_members", {"team": "Blue", "emails": ["zed@x.com"]})

    assert "unknown users 'zed@x.com': check the emails" in failure_messages(result)
