"""The Teams tab: per team people, seats, enrollments, certificates and quiz grades."""

import sqlalchemy as sa
from dagster import materialize

from assets.dashboard.derived import seat_usage, teams_overview
from resources.dashboard.store import DashboardStore
from tests.dashboard.seed import DAY, NOW, enrollment, put
from tests.dashboard.test_seat_usage import COURSE_ID, seed, unlink


def overview(store: DashboardStore) -> dict[str, dict]:
    result = materialize([seat_usage, teams_overview], resources={"warehouse": store._warehouse})
    metadata = result.asset_materializations_for_node("dashboard__teams_overview")[0].metadata
    return {record.data["team"]: record.data for record in metadata["teams"].value.records}


def seed_learning(store: DashboardStore) -> None:
    seed(store, (1, "a@x.com", ("red",)), (2, "b@x.com", ("red",)), (3, "c@x.com", ("blue",)))
    store.add_members("red", ["b@x.com"], "manager", "csv_import")
    put(
        store._warehouse,
        "enrollments",
        [
            enrollment(1, 1, COURSE_ID, completed=True),
            enrollment(2, 2, COURSE_ID),
            enrollment(3, 2, 2, expired=True, expiry_date=NOW - DAY),
            enrollment(4, 1, 3, is_free_trial=True, activated_at=None),
        ],
    )


def test_teams_overview_shows_people_seats_enrollments_and_completion_per_team(store):
    seed_learning(store)

    red = overview(store)["red"]

    assert red == red | {
        "members": 2,
        "managers": 1,
        "seats bought": 10,
        "seats used": 2,
        "seats available": 8,
        "active enrollments": 2,
        "completed enrollments": 1,
        "completion rate": "33%",
    }


def test_certificates_and_quiz_grades_are_na_until_their_tables_exist(store):
    seed_learning(store)

    red = overview(store)["red"]

    assert (red["certificates"], red["average quiz grade"]) == ("n/a", "n/a")


def test_certificates_and_quiz_grades_are_counted_once_their_tables_exist(store):
    seed_learning(store)
    metadata = sa.MetaData(schema=store.schema)
    certificates = sa.Table(
        "thinkific_certificates",
        metadata,
        sa.Column("id", sa.Text),
        sa.Column("user_id", sa.BigInteger),
    )
    quizzes = sa.Table(
        "thinkific_quiz_results",
        metadata,
        sa.Column("id", sa.Text),
        sa.Column("user_id", sa.BigInteger),
        sa.Column("correct_count", sa.BigInteger),
        sa.Column("incorrect_count", sa.BigInteger),
    )
    with store.engine.begin() as connection:
        metadata.create_all(connection)
        connection.execute(
            certificates.insert(), [{"id": "c1", "user_id": 1}, {"id": "c2", "user_id": 3}]
        )
        connection.execute(
            quizzes.insert(),
            [
                {"id": "q1", "user_id": 1, "correct_count": 8, "incorrect_count": 2},
                {"id": "q2", "user_id": 2, "correct_count": 6, "incorrect_count": 4},
            ],
        )

    teams = overview(store)

    assert (teams["red"]["certificates"], teams["red"]["average quiz grade"]) == ("1", "70%")
    assert (teams["blue"]["certificates"], teams["blue"]["average quiz grade"]) == ("1", "n/a")


def test_a_member_without_a_thinkific_id_link_counts_by_email(store):
    seed_learning(store)
    unlink(store, "a@x.com")

    red = overview(store)["red"]

    assert (red["active enrollments"], red["completed enrollments"]) == (2, 1)
