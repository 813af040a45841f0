"""Launching an action again with the same config changes nothing further: the run succeeds
and its audit row says `applied` with 0 rows affected (SQLite; the first runs of each action
are covered on both databases in test_team_seats.py and test_team_changes.py)."""

import pytest

from resources.dashboard.store import DashboardStore
from tests.dashboard.team_setup import PRODUCT, act, audit, seed_teams
from tests.pipelines.sync_harness import failure_messages


@pytest.fixture
def store(sqlite_warehouse) -> DashboardStore:
    store = DashboardStore(sqlite_warehouse)
    seed_teams(store)
    return store


def test_unassigning_again_changes_nothing(store, instance):
    config = {"team": "Blue", "product": PRODUCT, "emails": ["c@x.com"]}
    act(store, instance, "unassign_seats", config)

    again = act(store, instance, "unassign_seats", config)

    assert again.success
    assert audit(store) == [("unassign_seats", "applied", 1), ("unassign_seats", "applied", 0)]


def test_renaming_again_changes_nothing_and_does_not_fail(store, instance):
    config = {"team": "Red", "new_name": "Crimson"}
    act(store, instance, "rename_team", config)

    again = act(store, instance, "rename_team", config)

    assert again.success, failure_messages(again)
    assert audit(store)[-1] == ("rename_team", "applied", 0)


def test_merging_again_changes_nothing(store, instance):
    act(store, instance, "merge_teams", {"team": "Red", "into": "Blue"})

    again = act(store, instance, "merge_teams", {"team": "Red", "into": "Blue"})

    assert again.success, failure_messages(again)
    assert audit(store)[-1] == ("merge_teams", "applied", 0)


def test_archiving_again_changes_nothing(store, instance):
    act(store, instance, "archive_team", {"team": "Blue"})

    again = act(store, instance, "archive_team", {"team": "Blue"})

    assert again.success
    assert audit(store) == [("archive_team", "applied", 1), ("archive_team", "applied", 0)]


def test_moving_members_again_changes_nothing(store, instance):
    config = {"team": "Red", "to": "Blue", "emails": ["a@x.com"]}
    act(store, instance, "move_members", config)

    again = act(store, instance, "move_members", config)

    assert again.success
    assert audit(store)[-1] == ("move_members", "applied", 0)


def test_assigning_again_changes_nothing(store, instance):
    config = {"team": "Red", "product": PRODUCT, "emails": ["b@x.com"]}
    act(store, instance, "assign_seats", config)

    again = act(store, instance, "assign_seats", config)

    assert again.success
    assert audit(store) == [("assign_seats", "applied", 1), ("assign_seats", "applied", 0)]


def test_removing_members_again_changes_nothing(store, instance):
    config = {"team": "Blue", "emails": ["c@x.com"]}
    act(store, instance, "remove_members", config)

    again = act(store, instance, "remove_members", config)

    assert again.success
    assert audit(store) == [("remove_members", "applied", 1), ("remove_members", "applied", 0)]
