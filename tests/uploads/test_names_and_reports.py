"""File names, partition keys, the report writer and formula neutralisation."""

from pathlib import Path

import pandas as pd
import pytest

from resources.uploads.files import (
    hostile_name_reason,
    is_upload,
    locate,
    partition_key,
    quarantine,
    sha256_of,
)
from resources.uploads.report import Report, neutralise, neutralised, problem_frame
from tests.uploads.helpers import drop

SHA = "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Sales Team (2).CSV", "sales_team_2-0123456789ab"),
        ("Équipe Nord.csv", "equipe_nord-0123456789ab"),
        ("staff.validate.csv", "staff.validate-0123456789ab"),
        ("???.csv", "upload-0123456789ab"),
        ("a" * 80 + ".csv", "a" * 48 + "-0123456789ab"),
    ],
)
def test_a_partition_key_is_a_safe_name_and_the_hash(name: str, key: str):
    assert partition_key(name, SHA) == key


@pytest.mark.parametrize(
    "name", ["staff.csv", "Sales Team (2).CSV", "O'Brien & Co, 2026.csv", "équipe+nord@q3.csv"]
)
def test_ordinary_names_are_safe(name: str):
    assert hostile_name_reason(name) is None


@pytest.mark.parametrize(
    "name", [".staff.csv", "staff.report.csv", "staff.csv.part", "staff.csv.crdownload", "x~"]
)
def test_hidden_reports_and_partial_downloads_are_not_uploads(name: str):
    assert not is_upload(name)


@pytest.mark.parametrize("cell", ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_start_a_formula_get_an_apostrophe(cell: str):
    assert neutralised(cell) == "'" + cell
    assert neutralise(pd.Series([cell])).tolist() == ["'" + cell]


@pytest.mark.parametrize("cell", ["Ada", "", " =1", "a=b", "'=1"])
def test_other_cells_are_written_as_they_are(cell: str):
    assert neutralised(cell) == cell
    assert neutralise(pd.Series([cell])).tolist() == [cell]


def test_a_report_replaces_the_earlier_one_only_when_committed(tmp_path: Path):
    target = tmp_path / "staff.report.csv"
    target.write_text("the report of the earlier version")
    problems = problem_frame([2], "email", ["is blank"], [""])
    with pytest.raises(RuntimeError), Report(target) as report:
        report.add(problems)
        raise RuntimeError("the upload failed")
    assert target.read_text() == "the report of the earlier version"
    with Report(target) as report:
        report.add(problems)
        report.commit()
    assert target.read_text(encoding="utf-8-sig").splitlines() == [
        "row,column,problem,value",
        "2,email,is blank,",
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["staff.report.csv"]


def test_a_partition_key_finds_its_file_only_while_its_content_is_unchanged(tmp_path: Path):
    path = drop(tmp_path, "staff.csv", "name,email,team\n")
    key = partition_key(path.name, sha256_of(path))
    assert locate(tmp_path, key) == path
    path.write_text("name,email,team\nAda,ada@example.com,T\n")
    assert locate(tmp_path, key) is None


def test_quarantine_moves_the_file_under_its_key_beside_its_reason(tmp_path: Path):
    path = drop(tmp_path / "users", "-rf.csv", "x")
    moved = quarantine(path, tmp_path / "quarantine", "rf-0123456789ab", "a reason", "run-9")
    assert moved == tmp_path / "quarantine" / "rf-0123456789ab.csv"
    assert not path.exists() and moved.read_text() == "x"
    reason = (tmp_path / "quarantine" / "rf-0123456789ab.reason.txt").read_text()
    assert reason == "file: '-rf.csv'\nrun: run-9\nreason: a reason\n"
