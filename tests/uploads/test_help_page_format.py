"""The CSV Import tab as the dashboard's help page documents it: `User name`, `User email`,
`Team name (optional)`, then additional fields, kept per user; on SQLite and PostgreSQL."""

from pathlib import Path

import pytest

from resources.dashboard.store import DashboardStore
from resources.uploads.reading import Limits, UploadRejected, inspect
from resources.uploads.resource import PROJECT_ROOT
from schemas.uploads import USER_CSV, header_key
from tests.uploads.helpers import LIMITS, count, drop, rows, run

HELP_PAGE = "User name,User email,Team name (optional),Department,Employee ID\n"


def fields(store: DashboardStore) -> set[tuple[str, str, str]]:
    return rows(store, "dashboard_user_fields", "email", "field", "value")


def test_the_template_starts_with_the_help_page_columns():
    template = (PROJECT_ROOT / USER_CSV.template).read_text(encoding="utf-8")
    assert template.startswith("User name,User email,Team name,")


@pytest.mark.parametrize(
    ("cell", "column"),
    [
        ("User name", "name"),
        ("User email", "email"),
        ("Team name (optional)", "team"),
        ("TEAM NAME (OPTIONAL)", "team"),
        ("team_name-optional", "team"),
        ("Team name", "team"),
        ("name", "name"),
        ("email", "email"),
        ("team", "team"),
        ("E-mail address", "email"),
    ],
)
def test_help_page_spellings_and_earlier_names_name_the_same_column(cell: str, column: str):
    assert USER_CSV.aliases[header_key(cell)] == column


def test_a_file_built_from_the_help_page_column_list_imports_every_valid_row(
    store: DashboardStore, tmp_path: Path
):
    path = drop(
        tmp_path,
        "staff.csv",
        HELP_PAGE + "Ada Lovelace,ada@example.com,Analytics,Research,E-1\n"
        "Grace Hopper,grace@example.com,,Navy,E-2\n"
        "Alan Turing,alan@,Analytics,Research,E-3\n",
    )
    outcome = run(store, path)
    assert (outcome.rows, outcome.rows_valid, outcome.problems) == (3, 2, 1)
    assert rows(store, "dashboard_users", "email", "first_name", "last_name") == {
        ("ada@example.com", "Ada", "Lovelace"),
        ("grace@example.com", "Grace", "Hopper"),
    }
    assert rows(store, "dashboard_team_members", "team", "email", "role") == {
        ("analytics", "ada@example.com", "member")
    }
    assert fields(store) == {
        ("ada@example.com", "department", "Research"),
        ("ada@example.com", "employee id", "E-1"),
        ("grace@example.com", "department", "Navy"),
        ("grace@example.com", "employee id", "E-2"),
    }


def test_a_row_without_a_team_creates_its_user_and_joins_no_team(
    store: DashboardStore, tmp_path: Path
):
    path = drop(tmp_path, "staff.csv", "User name,User email,Team name\nAda L,ada@example.com,\n")
    outcome = run(store, path)
    assert (outcome.rows_valid, outcome.counts["users_created"]) == (1, 1)
    assert (outcome.counts["teams_created"], outcome.counts["memberships_added"]) == (0, 0)
    assert count(store, "dashboard_teams") == count(store, "dashboard_team_members") == 0


def test_a_file_without_a_team_column_imports_its_users_into_no_team(
    store: DashboardStore, tmp_path: Path
):
    path = drop(tmp_path, "staff.csv", "User name,User email\nAda L,ada@example.com\n")
    outcome = run(store, path)
    assert (outcome.status, outcome.rows_valid, outcome.counts["users_created"]) == (
        "imported",
        1,
        1,
    )
    assert count(store, "dashboard_team_members") == 0


def test_a_reimport_sets_new_and_changed_fields_removes_blank_ones_and_keeps_the_others(
    store: DashboardStore, tmp_path: Path
):
    first = drop(tmp_path, "first.csv", HELP_PAGE + "Ada L,ada@example.com,,Research,E-1\n")
    run(store, first, run_id="run-1")
    second = drop(
        tmp_path,
        "second.csv",
        "User name,User email,Employee ID,Location,Department\nAda L,ada@example.com,,London,"
        "Sales\n",
    )
    outcome = run(store, second, run_id="run-2")
    assert (outcome.counts["fields_set"], outcome.counts["fields_cleared"]) == (2, 1)
    assert rows(store, "dashboard_user_fields", "field", "value", "updated_by_run") == {
        ("department", "Sales", "run-2"),
        ("location", "London", "run-2"),
    }


def test_a_field_the_file_has_no_column_for_is_kept(store: DashboardStore, tmp_path: Path):
    run(store, drop(tmp_path, "first.csv", HELP_PAGE + "Ada L,ada@example.com,,Research,E-1\n"))
    second = "User name,User email,Location\nAda L,ada@example.com,Paris\n"
    run(store, drop(tmp_path, "second.csv", second))
    assert fields(store) == {
        ("ada@example.com", "department", "Research"),
        ("ada@example.com", "employee id", "E-1"),
        ("ada@example.com", "location", "Paris"),
    }


def test_the_same_file_imported_again_changes_no_field(store: DashboardStore, tmp_path: Path):
    path = drop(tmp_path, "staff.csv", HELP_PAGE + "Ada L,ada@example.com,T,Research,\n")
    run(store, path, run_id="run-1")
    again = run(store, path, run_id="run-2")
    assert (again.counts["fields_set"], again.counts["fields_cleared"]) == (0, 0)
    assert rows(store, "dashboard_user_fields", "field", "value", "updated_by_run") == {
        ("department", "Research", "run-1")
    }


def test_validation_counts_field_changes_and_writes_none(store: DashboardStore, tmp_path: Path):
    run(store, drop(tmp_path, "first.csv", HELP_PAGE + "Ada L,ada@example.com,,Research,E-1\n"))
    path = drop(tmp_path, "second.csv", HELP_PAGE + "Ada L,ada@example.com,,Sales,\n")
    planned = run(store, path, mode="validate", run_id="run-2")
    assert (planned.counts["fields_set"], planned.counts["fields_cleared"]) == (1, 1)
    assert ("ada@example.com", "department", "Research") in fields(store)
    imported = run(store, path, run_id="run-3")
    assert planned.counts == imported.counts


def test_the_first_row_of_each_email_gives_its_fields(store: DashboardStore, tmp_path: Path):
    path = drop(
        tmp_path,
        "staff.csv",
        HELP_PAGE + "Ada L,ada@example.com,Red,Research,E-1\nAda L,ada@example.com,Blue,Sales,\n",
    )
    run(store, path)
    assert fields(store) == {
        ("ada@example.com", "department", "Research"),
        ("ada@example.com", "employee id", "E-1"),
    }


def test_a_file_of_many_chunks_imports_as_a_whole_file_does(store: DashboardStore, tmp_path: Path):
    lines = [f"User {i},u{i % 5}@example.com,Team {i % 3},Dept {i},\n" for i in range(11)]
    path = drop(tmp_path, "staff.csv", HELP_PAGE + "".join(lines))
    chunked = Limits(max_bytes=10_000_000, max_rows=1_000, chunk_rows=2)
    planned = run(store, path, mode="validate", limits=chunked)
    imported = run(store, path, limits=chunked)
    assert planned.counts == imported.counts
    assert (imported.rows_valid, imported.counts["users_created"]) == (11, 5)
    assert (imported.counts["memberships_added"], imported.counts["fields_set"]) == (11, 5)
    assert fields(store) == {(f"u{i}@example.com", "department", f"Dept {i}") for i in range(5)}


def test_a_field_name_is_the_header_in_lower_case_with_its_accents(tmp_path: Path):
    path = drop(tmp_path, "staff.csv", "User name,User email,Équipe d'origine, Cost-Centre \n")
    assert inspect(path, USER_CSV, LIMITS).fields == ("équipe d origine", "cost centre")


def test_two_headers_naming_the_same_field_are_refused(tmp_path: Path):
    path = drop(tmp_path, "staff.csv", "User name,User email,Cost centre,COST-CENTRE\n")
    with pytest.raises(UploadRejected) as refused:
        inspect(path, USER_CSV, LIMITS)
    assert str(refused.value) == (
        "the header names field 'cost centre' twice ('Cost centre' and 'COST-CENTRE'): keep one"
    )


def test_fifty_additional_columns_are_kept(tmp_path: Path):
    header = ",".join(f"Field {i}" for i in range(50))
    path = drop(tmp_path, "staff.csv", f"User name,User email,{header}\n")
    assert len(inspect(path, USER_CSV, LIMITS).fields) == 50


def test_fifty_one_additional_columns_are_refused(tmp_path: Path):
    header = ",".join(f"Field {i}" for i in range(51))
    path = drop(tmp_path, "staff.csv", f"User name,User email,{header}\n")
    with pytest.raises(UploadRejected) as refused:
        inspect(path, USER_CSV, LIMITS)
    assert str(refused.value) == (
        "the header has 51 additional columns, more than the 50 kept per user: remove the "
        "columns the dashboard does not need"
    )
