"""Renaming, merging and archiving teams, and moving or removing members, from the Teams tab.

The seeded teams (tests/dashboard/team_setup.py): Red has a (enrolled) and b (manager), Blue
has b and c (enrolled); each bought 5 seats of the course and 5 of a bundle.
"""

import pytest

from tests.dashboard.team_setup import (
    PRODUCT,
    act,
    audit,
    members,
    overview_after,
    seats_bought,
    seed_teams,
)
from tests.dashboard.test_seat_usage import BUNDLE, COURSE
from tests.pipelines.sync_harness import failure_messages


@pytest.fixture(autouse=True)
def teams(store):
    seed_teams(store)


def team_names(store) -> dict[str, str | None]:
    """Team name -> the team it was merged into (None when it was not)."""
    frame = store.read("dashboard_teams")
    merged = frame["merged_into"].astype(object).where(frame["merged_into"].notna(), None)
    return dict(zip(frame["name"], merged, strict=True))


def test_rename_team_moves_everything_to_the_new_name(store, instance):
    result = act(store, instance, "rename_team", {"team": "red", "new_name": " Crimson "})

    assert result.success, failure_messages(result)
    assert {team for team, _, _ in members(store)} == {"crimson", "blue"}
    assert seats_bought(store)[("crimson", COURSE)] == 5
    assert {
        name: row["members"] for name, row in overview_after(store, instance, result).items()
    } == {
        "Crimson": 2,
        "Blue": 2,
    }


def test_renaming_onto_an_existing_name_in_any_case_is_refused(store, instance):
    result = act(store, instance, "rename_team", {"team": "Red", "new_name": "BLUE"})

    assert not result.success
    assert (
        "a team named 'Blue' exists already (names are compared trimmed and in any case): "
        "choose another name, or merge the two teams (merge_teams)"
    ) in failure_messages(result)
    assert set(team_names(store)) == {"Red", "Blue"}
    assert audit(store) == [("rename_team", "refused", 0)]


def test_a_team_can_be_renamed_to_its_own_name_in_another_case(store, instance):
    act(store, instance, "rename_team", {"team": "Red", "new_name": "RED"})

    assert set(team_names(store)) == {"RED", "Blue"}
    assert audit(store) == [("rename_team", "applied", 1)]


def test_merging_teams_with_overlapping_members_collapses_them(store, instance):
    act(store, instance, "assign_seats", {"team": "Red", "product": PRODUCT, "emails": ["b@x.com"]})
    act(
        store, instance, "assign_seats", {"team": "Blue", "product": PRODUCT, "emails": ["b@x.com"]}
    )

    result = act(store, instance, "merge_teams", {"team": "Red", "into": "blue"})

    assert result.success, failure_messages(result)
    assert members(store) == {
        ("blue", "a@x.com", "member"),
        ("blue", "b@x.com", "manager"),  # a manager in either team stays a manager
        ("blue", "c@x.com", "member"),
    }
    assert seats_bought(store) == {("blue", COURSE): 10, ("blue", BUNDLE): 10}
    assignments = store.read("dashboard_seat_assignments")
    assert list(assignments[["team", "email"]].itertuples(index=False, name=None)) == [
        ("blue", "b@x.com")
    ]
    assert team_names(store) == {"Red": "blue", "Blue": None}
    assert overview_after(store, instance, result) == {
        "Blue": {
            "members": 3,
            "managers": 1,
            "seats_purchased": 20,
            "seats_used": 2,
            "seats_available": 18,
        }
    }


def test_an_archived_team_keeps_its_history_but_leaves_overview_and_seat_counting(store, instance):
    result = act(store, instance, "archive_team", {"team": "Blue"})

    assert set(overview_after(store, instance, result)) == {"Red"}
    assert set(store.read("dashboard_seat_usage")["team"]) == {"red"}
    assert ("blue", "c@x.com", "member") in members(store)
    assert seats_bought(store)[("blue", COURSE)] == 5


def test_move_members_moves_them_with_their_role_and_leaves_their_seats(store, instance):
    act(store, instance, "assign_seats", {"team": "Red", "product": PRODUCT, "emails": ["a@x.com"]})

    result = act(
        store, instance, "move_members", {"team": "Red", "to": "Blue", "emails": ["A@x.com"]}
    )

    assert result.success, failure_messages(result)
    assert ("blue", "a@x.com", "member") in members(store)
    assert store.read("dashboard_seat_assignments").empty
    teams = overview_after(store, instance, result)
    assert (teams["Red"]["members"], teams["Blue"]["members"]) == (1, 3)
    assert (teams["Red"]["seats_used"], teams["Blue"]["seats_used"]) == (0, 2)
    assert audit(store)[-1] == ("move_members", "applied", 2)  # a moved, a's assignment dropped


def test_remove_members_removes_them_and_keeps_users_and_enrollments(store, instance):
    result = act(store, instance, "remove_members", {"team": "Blue", "emails": ["c@x.com"]})

    assert result.success, failure_messages(result)
    assert ("blue", "c@x.com", "member") not in members(store)
    assert "c@x.com" in set(store.read("dashboard_users")["email"])
    assert len(store._warehouse.read_frame("thinkific_enrollments")) == 2
    blue = overview_after(store, instance, result)["Blue"]
    assert (blue["members"], blue["seats_used"]) == (1, 0)
