"""Seat allocation uploads, on SQLite and PostgreSQL: valid rows buy seats in one transaction
with one audit row, refused rows are reported, and no file buys seats twice."""

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from resources.dashboard.overview import recalculate_overview
from resources.dashboard.seats import recalculate_seat_usage
from resources.dashboard.store import DashboardStore
from schemas.uploads import SEAT_ALLOCATIONS
from tests.uploads.helpers import AT, count, create_teams, drop, report_lines, rows, run

HEADER = "team,product,seats,mode,expires_at\n"


@pytest.fixture
def teams(store: DashboardStore) -> DashboardStore:
    """Red and Blue, and Old, archived."""
    create_teams(store, ["Red", "Blue"], ["Old"])
    return store


def upload(store: DashboardStore, path: Path, run_id: str = "run-1", mode: str = "import"):
    return run(store, path, SEAT_ALLOCATIONS, mode=mode, run_id=run_id)


def bought(store: DashboardStore) -> dict[tuple[str, int], int]:
    """Seats bought per (team, product), all purchases added up."""
    totals: dict[tuple[str, int], int] = {}
    for team, product_id, _, seats in rows(
        store, "dashboard_seat_allocations", "team", "product_id", "purchased_at", "seats"
    ):
        totals[team, product_id] = totals.get((team, product_id), 0) + seats
    return totals


def audit(store: DashboardStore) -> list[tuple[str, int, str | None]]:
    """(run, rows affected, detail) of each audit row, by run."""
    return sorted(rows(store, "dashboard_audit_log", "run_id", "rows_affected", "detail"))


def test_a_valid_file_buys_the_seats_and_seat_usage_and_the_teams_tab_show_them(
    teams: DashboardStore, tmp_path: Path
):
    path = drop(
        tmp_path, "seats.csv", HEADER + "Red,Intro to Python,10,,\nblue,102,5,add,2027-01-31\n"
    )
    outcome = upload(teams, path)
    assert (outcome.status, outcome.rows_valid, outcome.problems) == ("imported", 2, 0)
    assert outcome.counts["allocations_changed"] == 2
    assert rows(teams, "dashboard_seat_allocations", "team", "product_id", "seats") == {
        ("red", 101, 10),
        ("blue", 102, 5),
    }
    (expiry,) = [e for (e,) in rows(teams, "dashboard_seat_allocations", "expires_at") if e]
    assert expiry.replace(tzinfo=dt.UTC) == dt.datetime(2027, 1, 31, tzinfo=dt.UTC)
    recalculate_seat_usage(teams, AT)
    recalculate_overview(teams, AT)
    assert rows(teams, "dashboard_seat_usage", "team", "product_id", "purchased") == {
        ("red", 101, 10),
        ("blue", 102, 5),
    }
    assert rows(teams, "dashboard_teams_overview", "name", "seats_purchased") == {
        ("Red", 10),
        ("Blue", 5),
    }


def test_refused_rows_are_reported_by_row_and_only_the_valid_rows_buy_seats(
    teams: DashboardStore, tmp_path: Path
):
    path = drop(
        tmp_path,
        "seats.csv",
        "Team name;Product name;Number of seats;Mode\n"
        "Red;Intro to Python;10;set\n"
        "Red;Nope Course;3;add\n"
        "Old;Intro to Python;4;set\n"
        "Blue;Data Bundle;-2;set\n"
        "Blue;Intro to Python;ten;set\n"
        "red;101;7;add\n"
        "Nobody;101;1;\n"
        "Blue;Data Bundle;2;add\n",
    )
    outcome = upload(teams, path)
    assert (outcome.rows, outcome.rows_valid) == (8, 2)
    problems = [(int(row), column, problem) for row, column, problem, _ in report_lines(path)[1:]]
    assert [(row, column) for row, column, _ in problems] == [
        (3, "product"),
        (4, "team"),
        (5, "seats"),
        (6, "seats"),
        (7, "team"),
        (8, "team"),
    ]
    assert problems[1][2].startswith("is an archived team")
    assert problems[2][2].startswith("is negative")
    assert problems[3][2].startswith("is not a whole number")
    assert problems[4][2] == "duplicate of row 2: same team and product"
    assert problems[5][2].startswith("is not a dashboard team")
    assert bought(teams) == {("red", 101): 10, ("blue", 102): 2}


def test_the_same_file_imported_again_buys_nothing_even_with_add_rows(
    teams: DashboardStore, tmp_path: Path
):
    path = drop(tmp_path, "seats.csv", HEADER + "Red,Intro to Python,3,add,\nBlue,102,10,set,\n")
    upload(teams, path, run_id="run-1")
    again = upload(teams, path, run_id="run-2")
    assert again.counts == {
        "allocations_changed": 0,
        "allocations_unchanged": 0,
        "rows_already_imported": 2,
    }
    assert bought(teams) == {("red", 101): 3, ("blue", 102): 10}
    assert audit(teams) == [
        ("run-1", 2, None),
        ("run-2", 0, "already imported by run run-1: the same file imports nothing"),
    ]


def test_the_same_content_under_another_name_buys_nothing(teams: DashboardStore, tmp_path: Path):
    path = drop(tmp_path, "seats.csv", HEADER + "Red,Intro to Python,3,add,\n")
    upload(teams, path, run_id="run-1")
    copy = shutil.copyfile(path, tmp_path / "seats (1).csv")
    assert upload(teams, copy, run_id="run-2").counts["rows_already_imported"] == 1
    assert bought(teams) == {("red", 101): 3}


def test_a_corrected_file_adds_only_the_rows_it_corrects(teams: DashboardStore, tmp_path: Path):
    drop(tmp_path, "seats.csv", HEADER + "Red,Intro to Python,3,add,\nBlue,Nope,2,add,\n")
    upload(teams, tmp_path / "seats.csv", run_id="run-1")
    drop(tmp_path, "seats.csv", HEADER + "Red,Intro to Python,3,add,\nBlue,Data Bundle,2,add,\n")
    corrected = upload(teams, tmp_path / "seats.csv", run_id="run-2")
    assert (corrected.counts["allocations_changed"], corrected.counts["rows_already_imported"]) == (
        1,
        1,
    )
    assert bought(teams) == {("red", 101): 3, ("blue", 102): 2}


def test_validation_writes_nothing_and_counts_what_the_import_then_does(
    teams: DashboardStore, tmp_path: Path
):
    teams.allocate_seats("Red", 101, 10, AT - dt.timedelta(days=1))
    path = drop(
        tmp_path,
        "seats.validate.csv",
        HEADER + "Red,Intro to Python,10,set,\nBlue,102,4,add,\nBlue,101,0,add,\n",
    )
    planned = upload(teams, path, mode="validate")
    assert count(teams, "dashboard_audit_log") == 0
    assert bought(teams) == {("red", 101): 10}
    imported = upload(teams, path)
    assert (
        planned.counts
        == imported.counts
        == {
            "allocations_changed": 1,
            "allocations_unchanged": 2,
            "rows_already_imported": 0,
        }
    )


def test_an_import_is_one_audit_row_with_the_file_and_the_rows_it_changed(
    teams: DashboardStore, tmp_path: Path
):
    teams.allocate_seats("Red", 101, 4, AT - dt.timedelta(days=1))
    path = drop(tmp_path, "seats.csv", HEADER + "Red,Intro to Python,10,set,\nBlue,102,1,add,\n")
    upload(teams, path, run_id="run-1")
    ((*entry, config),) = rows(
        teams, "dashboard_audit_log", "action", "status", "team", "rows_affected", "config"
    )
    assert entry == ["upload_seat_allocations", "applied", None, 3]
    config = json.loads(config)
    assert (config["file"], config["rows"], config["added"]) == (
        "seats.csv",
        2,
        [["blue", 102, 1, None]],
    )
