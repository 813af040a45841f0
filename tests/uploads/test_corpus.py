"""Every file of the checked-in corpus (tests/uploads/corpus) has the outcome its manifest
entry names: rejected with the reason, or validated/imported with these rows, problems (row,
column, problem) and dashboard rows. Each runs on a fresh seeded SQLite warehouse, with the
teams (active and archived) its entry names. Every user file has the same outcome again with
its header respelled as the dashboard's help page writes it (`help_page_headers`)."""

import json
from pathlib import Path
from typing import Any

import pytest

from resources.dashboard.store import DashboardStore
from resources.uploads.files import report_path
from resources.uploads.reading import Limits
from resources.uploads.report import FORMULA_STARTS
from schemas.uploads import UPLOAD_FORMATS
from tests.uploads.help_page_headers import respelled
from tests.uploads.helpers import LIMITS, count, create_teams, report_lines, rows, run

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = CORPUS / "manifest.json"
CASES: list[dict[str, Any]] = json.loads(MANIFEST.read_text(encoding="utf-8"))["cases"]
USER_CASES = [case for case in CASES if case.get("format", "user_csv") == "user_csv"]
WRITTEN_TABLES = (
    "dashboard_users",
    "dashboard_user_fields",
    "dashboard_teams",
    "dashboard_team_members",
    "dashboard_group_mappings",
    "dashboard_seat_assignments",
    "dashboard_seat_allocations",
    "dashboard_audit_log",
)


def _case_id(case: dict[str, Any]) -> str:
    return ascii(case["name"]) if "name" in case else case["file"]


def _counts(store: DashboardStore) -> list[int]:
    return [count(store, table) for table in WRITTEN_TABLES]


def _check_dashboard(store: DashboardStore, expect: dict[str, Any]) -> None:
    users = rows(store, "dashboard_users", "email", "first_name", "last_name")
    assert {tuple(user) for user in expect.get("users", [])} <= users
    teams = {name for (name,) in rows(store, "dashboard_teams", "name")}
    assert set(expect.get("teams", [])) <= teams
    members = rows(store, "dashboard_team_members", "team", "email", "role")
    assert {tuple(member) for member in expect.get("members", [])} <= members
    seats = rows(store, "dashboard_seat_assignments", "team", "email", "product_id")
    assert {tuple(seat) for seat in expect.get("seats", [])} <= seats
    fields = rows(store, "dashboard_user_fields", "email", "field", "value")
    assert {tuple(field) for field in expect.get("fields", [])} <= fields
    mappings = rows(store, "dashboard_group_mappings", "group_id", "team", "role")
    assert {tuple(mapping) for mapping in expect.get("mappings", [])} <= mappings
    if "allocations" in expect:
        allocations = rows(store, "dashboard_seat_allocations", "team", "product_id", "seats")
        assert {tuple(allocation) for allocation in expect["allocations"]} == allocations


def test_manifest_names_every_corpus_file_and_at_least_forty():
    files = {path.name for path in CORPUS.glob("*.csv")}
    assert files == {case["file"] for case in CASES}
    assert len(files) >= 40


@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
def test_corpus_file_has_the_outcome_its_manifest_names(
    case: dict[str, Any], tmp_path: Path, sqlite_store: DashboardStore
):
    _check_outcome(case, (CORPUS / case["file"]).read_bytes(), tmp_path, sqlite_store)


@pytest.mark.parametrize("case", USER_CASES, ids=[_case_id(case) for case in USER_CASES])
def test_corpus_user_file_with_the_help_page_headers_has_the_outcome_its_manifest_names(
    case: dict[str, Any], tmp_path: Path, sqlite_store: DashboardStore
):
    content = respelled((CORPUS / case["file"]).read_bytes())
    _check_outcome(case, content, tmp_path, sqlite_store)


def _check_outcome(
    case: dict[str, Any], content: bytes, tmp_path: Path, sqlite_store: DashboardStore
) -> None:
    """Uploads `content` as the case says and checks the outcome its manifest entry names."""
    fmt = UPLOAD_FORMATS[case.get("format", "user_csv")]
    path = tmp_path / fmt.folder / case.get("name", case["file"])
    path.parent.mkdir()
    path.write_bytes(content)
    limits = Limits(**{**vars(LIMITS), **case.get("limits", {})})
    mode = case.get("mode", "import")
    create_teams(sqlite_store, case.get("teams", []), case.get("archived_teams", []))
    before = _counts(sqlite_store)
    outcome = run(sqlite_store, path, fmt, mode=mode, limits=limits)
    expect = case["expect"]

    assert outcome.status == expect["status"], outcome.reason
    assert expect.get("reason", "") in (outcome.reason or "")
    if outcome.status == "rejected" or mode == "validate":
        assert _counts(sqlite_store) == before
    if outcome.status == "rejected":
        assert not report_path(path).exists()
        return
    assert (outcome.rows, outcome.rows_valid) == (expect["rows"], expect["rows_valid"])
    for name in ("encoding", "delimiter"):
        if name in expect:
            assert getattr(outcome.layout, name) == expect[name]
    if "ignored" in expect:
        assert list(outcome.layout.ignored) == expect["ignored"]
    if "additional_fields" in expect:
        assert list(outcome.layout.fields) == expect["additional_fields"]
    header, *problems = report_lines(path)
    assert header == ["row", "column", "problem", "value"]
    assert [(int(row), column) for row, column, _, _ in problems] == [
        (row, column) for row, column, _ in expect["problems"]
    ]
    for (_, _, problem, _), (_, _, start) in zip(problems, expect["problems"], strict=True):
        assert problem.startswith(start), problem
    assert not [cell for line in problems for cell in line if cell.startswith(FORMULA_STARTS)]
    assert set(expect.get("report_values", [])) <= {value for *_, value in problems}
    assert expect.get("counts", {}).items() <= outcome.counts.items()
    if mode == "import":
        _check_dashboard(sqlite_store, expect)
