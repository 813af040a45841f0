"""The nightly GraphQL read follows the day's activity: after the first (full) read, only the
users whose enrollments changed are read again, at a small share of a full read's points."""

import dagster as dg

from assets.thinkific.graphql import CERTIFICATES, QUIZ_RESULTS, certificates_and_quiz_results
from assets.thinkific.rest import asset_of
from assets.thinkific.run_reads import FULL_REFRESH_TAG
from simulator.learner_activity import progress
from tests.graphql.helpers import graphql_resource
from tests.pipelines.ground_truth import assert_tables_equal, learning_records

SITE = {"users": 50, "groups": 3, "courses": 30, "bundles": 1, "enrollments": 1200}
ROOMY_BUDGET = {"graphql_points_per_minute": 100_000}
PROGRESSED = 0.02
"""The share of users who progressed in the simulated day."""
NIGHTLY_SHARE = 0.10
"""The most a nightly read after such a day may cost, as a share of a full read's points."""
SOURCES = [asset_of(name) for name in ("users", "courses", "products", "enrollments")]


def _sync(sim, warehouse, tags=None):
    """The streams the GraphQL read follows, then the GraphQL read; its GraphQL points."""
    before = sim.stats.snapshot()["graphql"]["points"]
    result = dg.materialize(
        [*SOURCES, certificates_and_quiz_results],
        resources={"thinkific": graphql_resource(sim), "warehouse": warehouse},
        tags=tags,
    )
    assert result.success
    return result, sim.stats.snapshot()["graphql"]["points"] - before


def _load(result, key: dg.AssetKey) -> str:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return event.materialization.metadata["load"].value


def test_after_a_day_in_which_two_percent_progressed_the_nightly_read_follows_them(
    start_simulator, warehouse
):
    sim = start_simulator(**SITE, **ROOMY_BUDGET)
    first, full_points = _sync(sim, warehouse)
    assert _load(first, QUIZ_RESULTS) == "full read"
    before = sim.ground_truth()
    progressed = progress(sim.site, PROGRESSED, seed=1)
    truth = sim.ground_truth()
    assert len(truth["quiz_results"]) > len(before["quiz_results"])
    assert len(truth["certificates"]) > len(before["certificates"])
    nightly, nightly_points = _sync(sim, warehouse)
    assert _load(nightly, QUIZ_RESULTS).startswith(f"activity of {len(progressed)} users")
    assert _load(nightly, CERTIFICATES).startswith(f"activity of {len(progressed)} users")
    assert_tables_equal(warehouse, learning_records(truth))
    assert 0 < nightly_points <= NIGHTLY_SHARE * full_points, (nightly_points, full_points)


def test_a_nightly_read_after_a_quiet_day_reads_nothing(start_simulator, sqlite_warehouse):
    sim = start_simulator(**SITE, **ROOMY_BUDGET)
    _sync(sim, sqlite_warehouse)
    nightly, points = _sync(sim, sqlite_warehouse)
    assert _load(nightly, QUIZ_RESULTS).startswith("activity of 0 users")
    assert points == 0


def test_the_full_refresh_tag_reads_everything_again(start_simulator, sqlite_warehouse):
    sim = start_simulator(**SITE, **ROOMY_BUDGET)
    _, full_points = _sync(sim, sqlite_warehouse)
    weekly, points = _sync(sim, sqlite_warehouse, tags={FULL_REFRESH_TAG: "true"})
    assert _load(weekly, QUIZ_RESULTS) == "full read"
    assert points == full_points


def test_a_first_read_that_ends_before_the_enrollments_are_loaded_still_marks_them(
    start_simulator, sqlite_warehouse
):
    # REST paced to one request a second: the full GraphQL read, started with the first REST
    # step and free of any budget wait, ends long before the enrollments are loaded.
    sim = start_simulator(**SITE, **ROOMY_BUDGET)
    resource = graphql_resource(sim, requests_per_minute=60, pacing="smooth")
    first = dg.materialize(
        [*SOURCES, certificates_and_quiz_results],
        resources={"thinkific": resource, "warehouse": sqlite_warehouse},
    )
    assert first.success and _load(first, QUIZ_RESULTS) == "full read"

    nightly, _ = _sync(sim, sqlite_warehouse)

    assert _load(nightly, QUIZ_RESULTS).startswith("activity of 0 users")
    assert _load(nightly, CERTIFICATES).startswith("activity of 0 users")
