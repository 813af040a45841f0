"""Which teams a Teams-tab recalculation changed: what the `teams_changed` metadata names."""

import datetime as dt
from typing import Any

import pandas as pd

from resources.dashboard.overview_diff import teams_changed
from schemas.dashboard import DASHBOARD_TABLES
from schemas.tables import records_to_frame

EARLIER = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
LATER = EARLIER + dt.timedelta(minutes=1)


def row(team: str, at: dt.datetime = EARLIER, **figures: Any) -> dict[str, Any]:
    return {
        "team": team.lower(),
        "name": team,
        "members": 2,
        "managers": 1,
        "seats_purchased": 5,
        "seats_used": 1,
        "seats_available": 4,
        "active_enrollments": 1,
        "completed_enrollments": 0,
        "completion_rate": 0.0,
        "certificates": None,
        "average_quiz_grade": None,
        "calculated_at": at,
    } | figures


def overview(*rows: dict[str, Any]) -> pd.DataFrame:
    return records_to_frame(DASHBOARD_TABLES["dashboard_teams_overview"], list(rows))


def test_a_recalculation_that_changes_only_its_time_names_no_team():
    before = overview(row("Red"), row("Blue"))

    assert teams_changed(before, overview(row("Red", LATER), row("Blue", LATER))) == []


def test_a_team_whose_figures_changed_is_named():
    before = overview(row("Red"), row("Blue"))
    after = overview(row("Red", LATER, active_enrollments=2), row("Blue", LATER))

    assert teams_changed(before, after) == ["Red"]


def test_a_team_that_appeared_or_left_is_named():
    before = overview(row("Red"), row("Blue"))

    assert teams_changed(before, overview(row("Red"), row("Green"))) == ["Blue", "Green"]


def test_a_first_quiz_grade_changes_its_team():
    before = overview(row("Red"))

    assert teams_changed(before, overview(row("Red", LATER, average_quiz_grade=0.8))) == ["Red"]
