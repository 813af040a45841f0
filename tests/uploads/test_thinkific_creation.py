"""Creating an upload's missing users in Thinkific (the local simulator over HTTP): POST /users
for each valid user Thinkific lacks, linked in the import; welcome emails only when allowed."""

from collections.abc import Callable
from pathlib import Path

import pytest

from resources.dashboard.store import DashboardStore
from simulator import SimulatorServer
from tests.pipelines.sync_harness import thinkific_for
from tests.uploads.helpers import drop, report_lines, rows, run

HEADER = "name,email,team\n"


@pytest.fixture
def site(start_simulator: Callable[..., SimulatorServer]) -> SimulatorServer:
    return start_simulator(requests_per_minute=6000, users=5, enrollments=10)


def upload(site: SimulatorServer, tmp_path: Path) -> tuple[Path, str]:
    """A file of two new users, one Thinkific has but the warehouse has not synced yet, one
    Thinkific refuses (no last name), and Ada, whom the warehouse knows."""
    unsynced = site.ground_truth()["users"][0]["email"]
    path = drop(
        tmp_path,
        "staff.csv",
        HEADER + "Alan Turing,alan@example.com,T\nGrace Hopper,grace@example.com,T\n"
        f"Someone Synced,{unsynced},T\nCher,cher@example.com,T\nAda Lovelace,ada@example.com,T\n",
    )
    return path, unsynced.lower()


def test_missing_users_are_created_in_thinkific_and_linked(
    sqlite_store: DashboardStore, site: SimulatorServer, tmp_path: Path
):
    path, unsynced = upload(site, tmp_path)
    client = thinkific_for(site, requests_per_minute=6000).get_client()
    outcome = run(sqlite_store, path, thinkific=client)
    created = {u["email"]: u["id"] for u in site.ground_truth()["users"]}
    assert outcome.counts["thinkific_users_created"] == 2
    linked = dict(rows(sqlite_store, "dashboard_users", "email", "thinkific_user_id"))
    assert linked == {
        "alan@example.com": created["alan@example.com"],
        "grace@example.com": created["grace@example.com"],
        unsynced: next(i for e, i in created.items() if e.lower() == unsynced),
        "cher@example.com": None,
        "ada@example.com": 1,
    }


def test_a_user_thinkific_refuses_is_reported_and_still_imported(
    sqlite_store: DashboardStore, site: SimulatorServer, tmp_path: Path
):
    path, _ = upload(site, tmp_path)
    outcome = run(sqlite_store, path, thinkific=thinkific_for(site).get_client())
    assert (outcome.rows_valid, outcome.problems) == (5, 1)
    (_, (row, column, problem, value)) = report_lines(path)
    assert (row, column, value) == ("5", "email", "cher@example.com")
    assert problem == "Thinkific did not create the user: last_name: can't be blank"


@pytest.mark.parametrize("allowed", [True, False])
def test_thinkific_sends_welcome_emails_only_when_emails_are_allowed(
    allowed: bool, sqlite_store: DashboardStore, site: SimulatorServer, tmp_path: Path
):
    path, _ = upload(site, tmp_path)
    run(sqlite_store, path, thinkific=thinkific_for(site).get_client(), send_welcome=allowed)
    welcomed = site.ground_truth()["welcome_emails"]
    assert welcomed == (["alan@example.com", "grace@example.com"] if allowed else [])


def test_validation_creates_no_thinkific_user(
    sqlite_store: DashboardStore, site: SimulatorServer, tmp_path: Path
):
    path, _ = upload(site, tmp_path)
    before = len(site.ground_truth()["users"])
    run(sqlite_store, path, mode="validate", thinkific=thinkific_for(site).get_client())
    assert len(site.ground_truth()["users"]) == before
