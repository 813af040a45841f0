"""What an import writes, on SQLite and PostgreSQL: each valid row once, in one transaction."""

import datetime as dt
from pathlib import Path

import pytest

from resources.dashboard.outbox import Template
from resources.dashboard.store import DashboardStore
from resources.uploads.users import StagedUsers
from schemas.uploads import GROUP_MATCHING
from tests.uploads.helpers import count, drop, rows, run

HEADER = "name,email,team,role,products\n"
TEAM = "Analytics,member,\n"
WELCOME = Template(subject="Welcome", body="Hello")


def test_the_same_file_imported_again_adds_nothing(store: DashboardStore, tmp_path: Path):
    path = drop(tmp_path, "staff.csv", HEADER + "Ada Lovelace,ada@example.com," + TEAM)
    first = run(store, path, run_id="run-1")
    again = run(store, path, run_id="run-2")
    assert (first.counts["users_created"], first.counts["memberships_added"]) == (1, 1)
    assert again.counts == {
        "teams_created": 0,
        "users_created": 0,
        "users_existing": 1,
        "users_in_thinkific": 1,
        "memberships_added": 0,
        "roles_changed": 0,
        "seats_assigned": 0,
        "welcome_messages": 0,
    }
    assert count(store, "dashboard_team_members") == 1


def test_a_corrected_file_imports_what_it_corrects(store: DashboardStore, tmp_path: Path):
    drop(
        tmp_path,
        "staff.csv",
        HEADER + "Ada Lovelace,ada@,Analytics,member,\nAlan Turing,alan@example.com," + TEAM,
    )
    run(store, tmp_path / "staff.csv", run_id="run-1")
    drop(
        tmp_path,
        "staff.csv",
        HEADER + "Ada Lovelace,ada@example.com," + TEAM + "Alan Turing,alan@example.com,"
        "Analytics,manager,\n",
    )
    corrected = run(store, tmp_path / "staff.csv", run_id="run-2")
    assert (corrected.rows_valid, corrected.problems) == (2, 0)
    assert corrected.counts["users_created"] == 1
    assert (corrected.counts["memberships_added"], corrected.counts["roles_changed"]) == (1, 1)
    assert rows(store, "dashboard_team_members", "email", "role", "source") == {
        ("ada@example.com", "member", "csv_import"),
        ("alan@example.com", "manager", "csv_import"),
    }


def test_validation_writes_nothing_and_counts_what_the_import_then_does(
    store: DashboardStore, tmp_path: Path
):
    path = drop(
        tmp_path,
        "staff.csv",
        HEADER + "Ada Lovelace,ada@example.com,Analytics,manager,Intro to Python\n"
        "Alan Turing,alan@example.com,Research,member,101;102\n",
    )
    planned = run(store, path, mode="validate", welcome=WELCOME)
    assert count(store, "dashboard_users") == count(store, "dashboard_teams") == 0
    imported = run(store, path, welcome=WELCOME)
    assert planned.counts == imported.counts
    assert imported.counts["seats_assigned"] == 3


def test_a_failing_import_writes_nothing(
    store: DashboardStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def fail(self: StagedUsers, at: dt.datetime) -> None:
        raise RuntimeError("the seat step failed")

    monkeypatch.setattr(StagedUsers, "_seat_rows", fail)
    path = drop(tmp_path, "staff.csv", HEADER + "Ada Lovelace,ada@example.com," + TEAM)
    with pytest.raises(RuntimeError, match="seat step"):
        run(store, path)
    for table in ("dashboard_users", "dashboard_teams", "dashboard_team_members"):
        assert count(store, table) == 0


def test_other_sources_keep_their_role_and_csv_memberships_take_the_files(
    store: DashboardStore, tmp_path: Path
):
    store.create_teams("Analytics")
    store.add_users([{"email": "ada@example.com"}, {"email": "bob@example.com"}])
    store.add_members("Analytics", ["ada@example.com"], "member", "group_matching")
    store.add_members("Analytics", ["bob@example.com"], "member", "csv_import")
    path = drop(
        tmp_path,
        "staff.csv",
        HEADER
        + "Ada L,ada@example.com,Analytics,manager,\nBob B,bob@example.com,Analytics,manager,\n",
    )
    outcome = run(store, path)
    assert outcome.counts["roles_changed"] == 1
    assert rows(store, "dashboard_team_members", "email", "role", "source") == {
        ("ada@example.com", "member", "group_matching"),
        ("bob@example.com", "manager", "csv_import"),
    }


def test_existing_users_keep_their_row_and_are_counted(store: DashboardStore, tmp_path: Path):
    store.add_users([{"email": "ada@example.com", "first_name": "Augusta"}])
    path = drop(tmp_path, "staff.csv", HEADER + "Ada Lovelace,ADA@example.com," + TEAM)
    outcome = run(store, path)
    assert (outcome.counts["users_created"], outcome.counts["users_existing"]) == (0, 1)
    assert rows(store, "dashboard_users", "email", "first_name") == {("ada@example.com", "Augusta")}


def test_welcome_messages_are_queued_only_for_created_users_when_allowed(
    store: DashboardStore, tmp_path: Path
):
    first = drop(tmp_path, "first.csv", HEADER + "Ada Lovelace,ada@example.com," + TEAM)
    run(store, first, run_id="run-1")
    second = drop(
        tmp_path,
        "second.csv",
        HEADER + "Ada Lovelace,ada@example.com," + TEAM + "Alan Turing,alan@example.com," + TEAM,
    )
    outcome = run(store, second, run_id="run-2", welcome=WELCOME, emails="allowed")
    assert outcome.counts["welcome_messages"] == 1
    assert rows(store, "dashboard_notification_outbox", "recipient", "kind", "run_id") == {
        ("alan@example.com", "welcome", "run-2")
    }


def test_an_import_is_logged_with_what_it_did(store: DashboardStore, tmp_path: Path):
    path = drop(tmp_path, "staff.csv", HEADER + "Ada Lovelace,ada@example.com," + TEAM)
    run(store, path, run_id="run-7", emails="prohibited")
    assert rows(
        store, "dashboard_import_log", "run_id", "job", "emails", "users_created", "users_linked"
    ) == {("run-7", "uploads/user_csv", "prohibited", 1, 1)}


def test_group_matching_changes_the_role_of_a_mapping_the_file_changes(
    store: DashboardStore, tmp_path: Path
):
    folder = tmp_path / "group_matching"
    run(
        store, drop(folder, "map.csv", "group,team,role\nSales,Sales Team,member\n"), GROUP_MATCHING
    )
    changed = drop(folder, "map.csv", "group,team,role\n11,Sales Team,manager\n")
    outcome = run(store, changed, GROUP_MATCHING, run_id="run-2")
    assert (outcome.counts["mappings_added"], outcome.counts["roles_changed"]) == (0, 1)
    assert rows(store, "dashboard_group_mappings", "group_id", "team", "role") == {
        (11, "sales team", "manager")
    }
    assert rows(store, "dashboard_team_members", "email", "role", "source") == {
        ("ada@example.com", "manager", "group_matching"),
        ("bob@example.com", "manager", "group_matching"),
    }
