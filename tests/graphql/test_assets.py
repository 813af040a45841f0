"""`thinkific/certificates` and `thinkific/quiz_results` run in Dagster against the simulator."""

import dagster as dg
import pandas as pd

from assets.thinkific.checks import thinkific_graphql_checks
from assets.thinkific.graphql import (
    CERTIFICATES,
    QUIZ_RESULTS,
    LearningRecordsConfig,
    certificates_and_quiz_results,
)
from assets.thinkific.rest import asset_of
from resources.thinkific.learning_queries import QUIZ_SUBMISSIONS_COST, QUIZ_SUBMISSIONS_PER_PAGE
from schemas.thinkific import to_frame
from tests.graphql.helpers import LEARNING_SITE, graphql_resource

users = asset_of("users")
courses = asset_of("courses")

ROOMY_BUDGET = {"graphql_points_per_minute": 100_000}
"""Real-time runs: a budget no small site exhausts (pacing is proven on the simulated clock)."""
TABLES = {"certificates": "thinkific_certificates", "quiz_results": "thinkific_quiz_results"}


def _run(sim, warehouse, *assets, run_config=None, selection=None, **resource_settings):
    return dg.materialize(
        [certificates_and_quiz_results, *assets],
        resources={"thinkific": graphql_resource(sim, **resource_settings), "warehouse": warehouse},
        run_config=run_config,
        selection=selection,
        raise_on_error=False,
    )


def _assert_table_equals(warehouse, stream: str, truth: list[dict]) -> None:
    table = TABLES[stream]
    expected = to_frame(table, truth).sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(warehouse.read_frame(table), expected, check_dtype=False)


def _metadata(result, key: dg.AssetKey) -> dict:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return {name: value.value for name, value in event.materialization.metadata.items()}


def test_both_tables_equal_ground_truth_with_load_and_cost_metadata(start_simulator, warehouse):
    sim = start_simulator(**LEARNING_SITE, **ROOMY_BUDGET)
    result = _run(sim, warehouse)
    assert result.success
    truth = sim.ground_truth()
    for stream in TABLES:
        _assert_table_equals(warehouse, stream, truth[stream])
    certificates = _metadata(result, CERTIFICATES)
    assert certificates["dagster/row_count"] == len(truth["certificates"])
    assert certificates["rows_inserted"] == len(truth["certificates"])
    assert certificates["pages"] >= 2  # the first page of courses, and follow-ups
    quiz_results = _metadata(result, QUIZ_RESULTS)
    assert quiz_results["pages"] == -(-len(truth["quiz_results"]) // QUIZ_SUBMISSIONS_PER_PAGE)
    assert quiz_results["cost_points"] == quiz_results["pages"] * QUIZ_SUBMISSIONS_COST
    assert (
        certificates["cost_points"] + quiz_results["cost_points"]
        == (sim.stats.snapshot()["graphql"]["points"])
    )
    assert "duration_seconds" in quiz_results and "dagster/column_schema" in quiz_results


def test_the_checks_pass_once_users_and_courses_are_loaded(start_simulator, sqlite_warehouse):
    sim = start_simulator(**LEARNING_SITE, **ROOMY_BUDGET)
    result = _run(sim, sqlite_warehouse, users, courses, *thinkific_graphql_checks)
    evaluations = [
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.asset_key in (CERTIFICATES, QUIZ_RESULTS)
    ]
    # Each table's primary-key check (run in the GraphQL step) and the three reference checks.
    assert len(evaluations) == 2 + len(thinkific_graphql_checks)
    assert all(evaluation.passed for evaluation in evaluations)


def test_a_later_run_marks_certificates_of_a_deleted_course_deleted(
    start_simulator, sqlite_warehouse
):
    sim = start_simulator(**LEARNING_SITE, **ROOMY_BUDGET)
    assert _run(sim, sqlite_warehouse).success
    course_id = int(sim.ground_truth()["certificates"][0]["course"]["id"])
    sim.site.delete("courses", course_id)
    result = _run(sim, sqlite_warehouse)
    assert result.success
    _assert_table_equals(sqlite_warehouse, "certificates", sim.ground_truth()["certificates"])
    stored = sqlite_warehouse.read_frame("thinkific_certificates", include_deleted=True)
    gone = stored[stored["course_id"] == course_id]
    assert len(gone) and gone["deleted_at"].notna().all()
    assert _metadata(result, CERTIFICATES)["rows_deleted"] == len(gone)


def test_a_targeted_refresh_upserts_only_the_named_users(start_simulator, sqlite_warehouse):
    sim = start_simulator(**LEARNING_SITE, **ROOMY_BUDGET)
    truth = sim.ground_truth()
    user_id = int(truth["quiz_results"][0]["user"]["id"])
    email = truth["certificates"][0]["user"]["email"]
    config = LearningRecordsConfig(certificate_user_emails=[email], quiz_user_ids=[user_id])
    step = certificates_and_quiz_results.node_def.name
    run_config = {"ops": {step: {"config": config.model_dump()}}}
    result = _run(sim, sqlite_warehouse, run_config=run_config)
    assert result.success
    certificates = [c for c in truth["certificates"] if c["user"]["email"] == email]
    quiz_results = [r for r in truth["quiz_results"] if int(r["user"]["id"]) == user_id]
    _assert_table_equals(sqlite_warehouse, "certificates", certificates)
    _assert_table_equals(sqlite_warehouse, "quiz_results", quiz_results)
    assert _metadata(result, QUIZ_RESULTS)["load"] == "refresh of 1 users"


def test_without_a_token_the_run_succeeds_and_says_why_nothing_was_loaded(
    start_simulator, sqlite_warehouse
):
    sim = start_simulator()
    result = _run(sim, sqlite_warehouse, users, access_token=None)
    assert result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert materialized == {users.key}
    observations = result.asset_observations_for_node(certificates_and_quiz_results.node_def.name)
    assert {observation.asset_key for observation in observations} == {CERTIFICATES, QUIZ_RESULTS}
    for observation in observations:
        assert "THINKIFIC_ACCESS_TOKEN is not set" in observation.description
    assert sim.stats.snapshot()["graphql"]["requests"] == 0


def test_a_partial_answer_that_persists_fails_the_step_and_loads_nothing(
    start_simulator, sqlite_warehouse
):
    sim = start_simulator(**LEARNING_SITE, **ROOMY_BUDGET)
    assert _run(sim, sqlite_warehouse, selection=[QUIZ_RESULTS]).success
    before = sqlite_warehouse.read_frame("thinkific_quiz_results")
    sim.site.delete("users", int(sim.ground_truth()["quiz_results"][0]["user"]["id"]))
    sim.graphql.field_faults.add("quizSubmissions")
    result = _run(sim, sqlite_warehouse, selection=[QUIZ_RESULTS], max_attempts=2)
    assert not result.success
    (failure,) = result.get_step_failure_events()
    assert not [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    assert "quizSubmissions" in failure.step_failure_data.error.message
    pd.testing.assert_frame_equal(sqlite_warehouse.read_frame("thinkific_quiz_results"), before)


def test_a_first_sync_spends_graphql_points_while_its_rest_reads_run(start_simulator, warehouse):
    # 300 ms a request: the users' later pages cannot leave before the first page has answered.
    sim = start_simulator(users=600, enrollments=400, latency_ms=300, **ROOMY_BUDGET)
    result = _run(sim, warehouse, users, courses)

    assert result.success
    log = sim.stats.snapshot()
    last_rest_arrival = max(request["time"] for request in log["requests"])
    first_graphql_arrival = min(query["time"] for query in log["graphql"]["queries"])
    assert first_graphql_arrival < last_rest_arrival
    truth = sim.ground_truth()
    for stream in TABLES:
        _assert_table_equals(warehouse, stream, truth[stream])
    metadata = [_metadata(result, key) for key in (CERTIFICATES, QUIZ_RESULTS)]
    assert all(each["started_early"] for each in metadata)
    assert sum(each["cost_points"] for each in metadata) == log["graphql"]["points"]
