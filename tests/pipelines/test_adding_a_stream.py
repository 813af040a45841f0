"""Adding a stream is one registry entry: a copy of the registry with two more streams gets
their assets, their checks and their tables, and loads them equal to the simulator's data."""

import dagster as dg

from assets.thinkific.checks import reference_checks
from assets.thinkific.rest import rest_assets
from pipelines.definitions import defs
from schemas.tables import key, optional
from schemas.thinkific import STREAMS, TABLES
from schemas.thinkific.models import Flag, Integer, Text, ThinkificModel
from schemas.thinkific.streams import Reference, RestList, Stream, Unpacked, tables_of
from tests.pipelines.sync_harness import failure_messages, thinkific_for


class CustomProfileFieldDefinition(ThinkificModel):
    id: Integer = key("The field definition's Thinkific id.")
    label: Text = optional("The field's label.")
    field_type: Text = optional("The field's type.")
    required: Flag = optional("True when users must fill the field in.")


class CourseAdministrator(ThinkificModel):
    user_id: Integer = key("The administrator (thinkific_users.id).")
    course_id: Integer = key("The course administered (thinkific_courses.id).")


DEFINITIONS = Stream(
    name="custom_profile_field_definitions",
    model=CustomProfileFieldDefinition,
    primary_key=("id",),
    read=RestList(path="/custom_profile_field_definitions"),
    description="The site's custom profile fields: label, type, whether required.",
)
ADMINISTRATORS = Stream(
    name="course_administrators",
    model=CourseAdministrator,
    primary_key=("user_id", "course_id"),
    read=Unpacked(
        source="users",
        array="administered_course_ids",
        source_column="user_id",
        item_column="course_id",
    ),
    description="Which users administer which course, unpacked from `thinkific/users`.",
    references=(
        Reference(column="user_id", stream="users"),
        Reference(column="course_id", stream="courses"),
    ),
)
REGISTRY = (*STREAMS, DEFINITIONS, ADMINISTRATORS)
NEW_KEYS = {
    dg.AssetKey(["thinkific", "custom_profile_field_definitions"]),
    dg.AssetKey(["thinkific", "course_administrators"]),
}


def _definitions() -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    wanted = {"users", "courses", DEFINITIONS.name, ADMINISTRATORS.name}
    streams = [stream for stream in REGISTRY if stream.name in wanted]
    return rest_assets(streams), reference_checks(streams)


def test_each_new_stream_gets_an_asset_with_its_dependencies_and_checks():
    assets, checks = _definitions()
    by_key = {asset.key: asset for asset in assets}

    assert set(by_key) >= NEW_KEYS
    administrators = by_key[dg.AssetKey(["thinkific", "course_administrators"])]
    assert set(administrators.dependency_keys) == {dg.AssetKey(["thinkific", "users"])}
    assert {
        check.name for asset in assets if asset.key in NEW_KEYS for check in asset.check_specs
    } == {"primary_key_unique"}
    assert {key.name for check in checks for key in check.check_keys} == {
        "user_id_references_known_users",
        "course_id_references_known_courses",
    }


def test_the_copy_loads_the_new_tables_equal_to_the_simulators_data(start_simulator, warehouse):
    sim = start_simulator(users=300, courses=8, requests_per_minute=6000)
    assets, checks = _definitions()
    with_new_tables = warehouse.with_tables(tables_of(REGISTRY).values())

    result = dg.materialize(
        [*assets, *checks],
        resources={"thinkific": thinkific_for(sim), "warehouse": with_new_tables},
        raise_on_error=False,
    )

    assert result.success, failure_messages(result)
    truth = sim.ground_truth()
    definitions = with_new_tables.read_frame("thinkific_custom_profile_field_definitions")
    assert definitions["label"].tolist() == [
        d["label"] for d in truth["custom_profile_field_definitions"]
    ]
    administered = with_new_tables.read_frame("thinkific_course_administrators")
    expected = sorted(
        (user["id"], course_id)
        for user in truth["users"]
        for course_id in user["administered_course_ids"]
    )
    assert expected
    assert list(administered.itertuples(index=False, name=None)) == expected
    evaluations = {
        (e.asset_key, e.check_name): e.passed for e in result.get_asset_check_evaluations()
    }
    assert {key for key, _ in evaluations} >= NEW_KEYS
    assert all(evaluations.values()), evaluations
    with_new_tables.dispose()


def test_the_registry_itself_is_left_as_it_was(warehouse):
    assert "thinkific_course_administrators" not in TABLES
    assert "thinkific_course_administrators" not in warehouse.tables


def test_the_code_locations_thinkific_assets_are_the_registrys_streams():
    nodes = {
        node.key.path[-1]: node
        for node in defs.resolve_asset_graph().asset_nodes
        if node.key.path[0] == "thinkific"
    }

    assert set(nodes) == {stream.name for stream in STREAMS}
    for stream in STREAMS:
        node = nodes[stream.name]
        assert node.description == stream.description
        assert {key.path[-1] for key in node.parent_keys} == set(stream.depends_on)
        checks = {check.name for check in node.check_keys}
        expected = {f"{r.column}_references_known_{r.stream}" for r in stream.references}
        assert checks == {"primary_key_unique", *expected}
