"""Adding a GraphQL stream is one registry entry, as adding a REST stream is
(`tests/pipelines/test_adding_a_stream.py`): a copy of the registry with one more declared
connection gets its asset, its checks and its table, and the generic pager loads it equal to the
simulator's data, at the points the contract's rule gives its declaration.

The simulator serves two top-level connections, `site.courses` (certificates' special reader
pages it) and `site.quizSubmissions`: the new stream is quiz submissions again, under another
name, filtered to some courses (`courseIds`), in pages of its own size.
"""

import dagster as dg
import pandas as pd

from assets.thinkific.checks import reference_checks
from assets.thinkific.graphql import LearningRecordsConfig, graphql_assets
from assets.thinkific.rest import asset_of
from assets.thinkific.run_reads import GRAPHQL_OP_NAME
from schemas.tables import records_to_frame
from schemas.thinkific import STREAMS, TABLES
from schemas.thinkific.models import QuizResult
from schemas.thinkific.streams import (
    QUIZ_SUBMISSIONS_QUERY,
    GraphQLConnection,
    Reference,
    Stream,
    tables_of,
)
from tests.graphql.helpers import LEARNING_SITE, graphql_resource

NAME = "course_quiz_results"
KEY = dg.AssetKey(["thinkific", NAME])
ROOMY_BUDGET = {"graphql_points_per_minute": 100_000}
PAGE_SIZE = 30


def course_quiz_results(*course_ids: int) -> Stream:
    """The one registry entry the new stream takes (its courses: those the test site has)."""
    return Stream(
        name=NAME,
        model=QuizResult,
        primary_key=("id",),
        read=GraphQLConnection(
            query=QUIZ_SUBMISSIONS_QUERY,
            path=("site", "quizSubmissions"),
            page_size=PAGE_SIZE,
            node_points=2,  # each submission asks for its quiz and its user
            filter=(("courseIds", tuple(str(course_id) for course_id in course_ids)),),
            filter_by_users="userIds",
            refresh_by="user_id",
        ),
        description="The quiz submissions of some courses, from Thinkific's GraphQL API.",
        references=(Reference(column="user_id", stream="users"),),
    )


def _registry(*course_ids: int) -> tuple[Stream, ...]:
    return (*STREAMS, course_quiz_results(*course_ids))


def _definitions(registry: tuple[Stream, ...]) -> list:
    new = [stream for stream in registry if stream.name == NAME]
    return [graphql_assets(registry), asset_of("users"), *reference_checks(new)]


def _course_of_each_quiz(sim) -> dict[int, int]:
    quizzes = sim.site.tables.quizzes
    return dict(
        zip(quizzes.column("id").tolist(), quizzes.column("course_id").tolist(), strict=True)
    )


def _in_courses(sim, course_ids: list[int]) -> list[dict]:
    course_of = _course_of_each_quiz(sim)
    truth = sim.ground_truth()["quiz_results"]
    return [result for result in truth if course_of[int(result["quiz"]["id"])] in course_ids]


def _assert_loaded(warehouse, stream: Stream, truth: list[dict]) -> None:
    expected = records_to_frame(stream.spec, truth).sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(warehouse.read_frame(stream.table), expected, check_dtype=False)


def _metadata(result, key: dg.AssetKey) -> dict:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return {name: value.value for name, value in event.materialization.metadata.items()}


def test_the_new_stream_gets_an_asset_in_the_graphql_step_with_its_checks():
    (step, _users, *checks) = _definitions(_registry(1, 2))

    assert KEY in step.keys
    assert step.node_def.name == GRAPHQL_OP_NAME
    assert {spec.name for spec in step.check_specs if spec.asset_key == KEY} == {
        "primary_key_unique"
    }
    assert [key.name for check in checks for key in check.check_keys] == [
        "user_id_references_known_users"
    ]
    assert tables_of(_registry(1, 2))["thinkific_course_quiz_results"].primary_key == ("id",)


def test_the_copy_loads_the_new_table_equal_to_the_simulators_data(start_simulator, warehouse):
    sim = start_simulator(**LEARNING_SITE, **ROOMY_BUDGET)
    course_ids = sorted({course["id"] for course in sim.ground_truth()["courses"]})[:2]
    registry = _registry(*course_ids)
    (new,) = [stream for stream in registry if stream.name == NAME]
    with_new_table = warehouse.with_tables(tables_of(registry).values())

    result = dg.materialize(
        _definitions(registry),
        resources={"thinkific": graphql_resource(sim), "warehouse": with_new_table},
        selection=[KEY, dg.AssetKey(["thinkific", "users"])],
        raise_on_error=False,
    )

    assert result.success
    truth = _in_courses(sim, course_ids)
    assert len(truth) > PAGE_SIZE  # more than one page
    _assert_loaded(with_new_table, new, truth)
    metadata = _metadata(result, KEY)
    assert metadata["load"] == "full read"
    assert metadata["pages"] == -(-len(truth) // PAGE_SIZE)
    # Each page costs what the contract's rule gives the declaration: 3 + 30 x 2 points.
    assert isinstance(new.read, GraphQLConnection) and new.read.page_points == 63
    assert metadata["cost_points"] == metadata["pages"] * new.read.page_points
    assert sim.stats.snapshot()["graphql"]["points"] == metadata["cost_points"]
    evaluations = {
        (e.asset_key, e.check_name): e.passed
        for e in result.get_asset_check_evaluations()
        if e.asset_key == KEY
    }
    assert evaluations == {
        (KEY, "primary_key_unique"): True,
        (KEY, "user_id_references_known_users"): True,
    }
    with_new_table.dispose()


def test_a_targeted_refresh_of_the_new_stream_reads_only_the_named_users(
    start_simulator, sqlite_warehouse
):
    sim = start_simulator(**LEARNING_SITE, **ROOMY_BUDGET)
    course_ids = sorted({course["id"] for course in sim.ground_truth()["courses"]})[:2]
    registry = _registry(*course_ids)
    (new,) = [stream for stream in registry if stream.name == NAME]
    with_new_table = sqlite_warehouse.with_tables(tables_of(registry).values())
    user_id = int(_in_courses(sim, course_ids)[0]["user"]["id"])
    config = LearningRecordsConfig(quiz_user_ids=[user_id])

    result = dg.materialize(
        _definitions(registry),
        resources={"thinkific": graphql_resource(sim), "warehouse": with_new_table},
        selection=[KEY],
        run_config={"ops": {GRAPHQL_OP_NAME: {"config": config.model_dump()}}},
        raise_on_error=False,
    )

    assert result.success
    theirs = [r for r in _in_courses(sim, course_ids) if int(r["user"]["id"]) == user_id]
    _assert_loaded(with_new_table, new, theirs)
    assert _metadata(result, KEY)["load"] == "refresh of 1 users"
    with_new_table.dispose()


def test_the_registry_itself_is_left_as_it_was(warehouse):
    assert f"thinkific_{NAME}" not in TABLES
    assert f"thinkific_{NAME}" not in warehouse.tables
