"""A full GraphQL read too big for one run's bound ends each run on its bound, continues in the
next, and ends complete, having spent what one read costs."""

import dagster as dg

from assets.thinkific.graphql import QUIZ_RESULTS, certificates_and_quiz_results
from resources.thinkific.learning_queries import QUIZ_SUBMISSIONS_COST, QUIZ_SUBMISSIONS_PER_PAGE
from tests.graphql.helpers import graphql_resource
from tests.pipelines.ground_truth import assert_tables_equal

SITE = {"users": 50, "groups": 3, "courses": 30, "bundles": 1, "enrollments": 1400}
BOUND = QUIZ_SUBMISSIONS_COST - 3
"""Points a run may spend on a full read: each run stops after one page of quiz results."""


def _run(sim, warehouse) -> tuple[dict, int]:
    """One run of the quiz results read under the bound: its metadata and points."""
    before = sim.stats.snapshot()["graphql"]["points"]
    result = dg.materialize(
        [certificates_and_quiz_results],
        resources={
            "thinkific": graphql_resource(
                sim, graphql_points_per_minute=100_000, graphql_full_read_max_points=BOUND
            ),
            "warehouse": warehouse,
        },
        selection=[QUIZ_RESULTS],
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = {name: value.value for name, value in event.materialization.metadata.items()}
    return metadata, sim.stats.snapshot()["graphql"]["points"] - before


def test_a_bounded_full_read_stops_on_its_bound_each_run_and_ends_complete(
    start_simulator, warehouse
):
    sim = start_simulator(**SITE)
    truth = sim.ground_truth()["quiz_results"]
    pages = -(-len(truth) // QUIZ_SUBMISSIONS_PER_PAGE)
    runs = []
    for number in range(1, pages):
        metadata, points = _run(sim, warehouse)
        assert metadata["stopped_on_bound"] == f"{points} points spent, bound {BOUND}"
        assert points == QUIZ_SUBMISSIONS_COST
        assert metadata["continues_at"] == f"read 1 of 1, page {number + 1}"
        assert metadata["rows_staged"] == number * QUIZ_SUBMISSIONS_PER_PAGE
        assert warehouse.count("thinkific_quiz_results") == 0  # changed only when it ends
        runs.append((metadata, points))
    runs.append(_run(sim, warehouse))
    last, points = runs[-1]
    assert last["complete_read"] and "stopped_on_bound" not in last
    assert [metadata["resumed"] for metadata, _ in runs] == [False] + [True] * (pages - 1)
    assert sum(points for _, points in runs) == pages * QUIZ_SUBMISSIONS_COST
    assert_tables_equal(warehouse, {"thinkific_quiz_results": truth})
