"""Certificates and quiz results read page by page over HTTP equal the simulator's ground truth,
and a big site is read without ever exceeding the per-minute cost budget."""

from collections import Counter

import pandas as pd

from resources.thinkific.connections import connection_pages
from resources.thinkific.learning_queries import (
    CERTIFICATES_PER_COURSE,
    QUIZ_SUBMISSIONS_CONNECTION,
    certificate_pages,
    user_certificate_pages,
)
from schemas.thinkific import to_frame
from tests.graphql.helpers import LEARNING_SITE, graphql_client

BIG_SITE = {"courses": 2000, "users": 40, "groups": 1, "bundles": 0, "enrollments": 600}
"""2,000 courses, the rest small: reading it needs far more points than one minute allows."""
BUDGET_RATIO = 0.9
"""The client's share of the site's 2,000 points a minute; the server alone would allow all."""


def _frame(table: str, records: list[dict]) -> pd.DataFrame:
    return to_frame(table, records).sort_values("id").reset_index(drop=True)


def _assert_same(table: str, read: list[dict], truth: list[dict]) -> None:
    assert len(read) == len(truth)
    pd.testing.assert_frame_equal(_frame(table, read), _frame(table, truth))


def test_certificates_read_course_by_course_equal_ground_truth(start_simulator):
    sim = start_simulator(**LEARNING_SITE)
    truth = sim.ground_truth()["certificates"]
    per_course = Counter(certificate["course"]["id"] for certificate in truth)
    assert max(per_course.values()) > CERTIFICATES_PER_COURSE  # follow-up pages are needed
    read = [record for page in certificate_pages(graphql_client(sim)) for record in page.records]
    _assert_same("thinkific_certificates", read, truth)


def test_quiz_results_equal_ground_truth(start_simulator):
    sim = start_simulator(**LEARNING_SITE)
    read = [
        record
        for page in connection_pages(graphql_client(sim), QUIZ_SUBMISSIONS_CONNECTION)
        for record in page.records
    ]
    _assert_same("thinkific_quiz_results", read, sim.ground_truth()["quiz_results"])


def test_quiz_results_of_some_users_equal_their_ground_truth(start_simulator):
    sim = start_simulator(**LEARNING_SITE)
    truth = sim.ground_truth()["quiz_results"]
    users = sorted({int(result["user"]["id"]) for result in truth[:5]})
    read = [
        record
        for page in connection_pages(graphql_client(sim), QUIZ_SUBMISSIONS_CONNECTION, users)
        for record in page.records
    ]
    theirs = [result for result in truth if int(result["user"]["id"]) in users]
    _assert_same("thinkific_quiz_results", read, theirs)


def test_certificates_of_some_users_equal_their_ground_truth(start_simulator):
    sim = start_simulator(**LEARNING_SITE)
    truth = sim.ground_truth()["certificates"]
    emails = sorted({certificate["user"]["email"] for certificate in truth[:3]})
    client = graphql_client(sim)
    read = [
        record
        for email in [*emails, "gone@example.com"]
        for page in user_certificate_pages(client, email)
        for record in page.records
    ]
    theirs = [certificate for certificate in truth if certificate["user"]["email"] in emails]
    _assert_same("thinkific_certificates", read, theirs)


def test_a_2000_course_site_is_read_without_exceeding_the_cost_budget(start_simulator):
    sim = start_simulator(**BIG_SITE)
    client = graphql_client(sim, graphql_budget_ratio=BUDGET_RATIO)
    certificates = [record for page in certificate_pages(client) for record in page.records]
    quiz_results = [
        record
        for page in connection_pages(client, QUIZ_SUBMISSIONS_CONNECTION)
        for record in page.records
    ]
    truth = sim.ground_truth()
    _assert_same("thinkific_certificates", certificates, truth["certificates"])
    _assert_same("thinkific_quiz_results", quiz_results, truth["quiz_results"])
    graphql = sim.stats.snapshot()["graphql"]
    assert graphql["points"] > 3 * sim.config.graphql_points_per_minute  # pacing was needed
    assert graphql["max_points_in_60s"] <= BUDGET_RATIO * sim.config.graphql_points_per_minute
    assert graphql["refused"] == 0
    assert client.stats.budget_wait_seconds > 0


def test_a_small_site_is_read_without_waiting_for_the_budget(start_simulator):
    """Certificates (4 queries, 462 points) and quiz results (3 pages, 1,209 points) fit one
    minute's 1,800: each query, before its first answer, is expected at its own cost, not the
    per-query maximum, and pages are small enough that the last one wastes little."""
    sim = start_simulator(users=300, groups=5, courses=6, bundles=1, enrollments=600)
    client = graphql_client(sim)
    certificates = [record for page in certificate_pages(client) for record in page.records]
    quiz_results = [
        record
        for page in connection_pages(client, QUIZ_SUBMISSIONS_CONNECTION)
        for record in page.records
    ]
    assert certificates and quiz_results
    assert client.stats.budget_wait_seconds == 0
    assert sim.stats.snapshot()["graphql"]["refused"] == 0
