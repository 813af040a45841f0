"""The Tools cards launched from run config exactly as the Launchpad launches them."""

import pytest
from dagster import AssetKey, DagsterConfigMappingFunctionError, Definitions, asset

from assets.conventions import OWNER
from assets.dashboard.teams import TEAMS_KEY
from resources.dashboard.store import DashboardStore
from schemas.dashboard import normalised
from tests.dashboard.conftest import tools_definitions
from tests.dashboard.site_helpers import launch, materialized, synced
from tests.pipelines.sync_harness import failure_messages


@pytest.fixture
def store(sqlite_warehouse) -> DashboardStore:
    return DashboardStore(sqlite_warehouse)


def test_import_users_from_thinkific_creates_every_user_and_adds_them_to_the_team(site, store):
    truth = synced(site, store._warehouse)
    store.create_teams("Acme")

    result = launch(
        tools_definitions(site, store._warehouse), "import_users_from_thinkific", {"team": " ACME "}
    )

    assert result.success, failure_messages(result)
    emails = {normalised(u["email"]) for u in truth["users"]}
    users = store.read("dashboard_users")
    assert set(users["email"]) == emails
    assert users["thinkific_user_id"].notna().all()
    members = store.read("dashboard_team_members")
    assert set(members["email"]) == emails
    assert set(members["source"]) == {"thinkific_import"}
    assert list(store.read("dashboard_import_log")["users_created"]) == [len(emails)]


def test_allow_emails_queues_one_welcome_message_per_user_the_import_created(site, store):
    truth = synced(site, store._warehouse)
    store.add_users([{"email": truth["users"][0]["email"]}])
    defs = tools_definitions(site, store._warehouse)

    first = launch(defs, "import_users_from_thinkific", {"allow_emails": True})
    again = launch(defs, "import_users_from_thinkific", {"allow_emails": True})

    assert first.success and again.success
    outbox = store.read("dashboard_notification_outbox")
    assert set(outbox["kind"]) == {"welcome"}
    expected = {normalised(u["email"]) for u in truth["users"][1:]}
    assert sorted(outbox["recipient"]) == sorted(expected)


def test_contradictory_email_settings_are_refused_at_launch_before_anything_is_written(site, store):
    synced(site, store._warehouse)

    with pytest.raises(DagsterConfigMappingFunctionError) as refused:
        launch(
            tools_definitions(site, store._warehouse),
            "import_users_from_thinkific",
            {"allow_emails": True, "prohibit_emails": True},
        )

    assert "contradict each other" in str(refused.value.__cause__)
    assert store.read("dashboard_users").empty


def test_an_unknown_team_is_a_config_error_and_nothing_is_written(site, store):
    synced(site, store._warehouse)
    store.create_teams("Acme")

    result = launch(
        tools_definitions(site, store._warehouse), "import_users_from_thinkific", {"team": "Nope"}
    )

    assert not result.success
    assert "config error: unknown team 'Nope'; known teams: 'Acme'" in failure_messages(result)
    assert store.read("dashboard_users").empty
    assert store.read("dashboard_import_log").empty


def test_import_users_from_groups_adds_the_groups_members_by_name_or_id_with_the_role(site, store):
    truth = synced(site, store._warehouse)
    store.create_teams("Leads")
    sales, support = truth["groups"][0], truth["groups"][1]

    result = launch(
        tools_definitions(site, store._warehouse),
        "import_users_from_groups",
        {"groups": [sales["name"].upper(), str(support["id"])], "team": "leads", "role": "manager"},
    )

    assert result.success, failure_messages(result)
    email_of = {u["id"]: normalised(u["email"]) for u in truth["users"]}
    expected = {
        email_of[m["user_id"]]
        for m in truth["group_memberships"]
        if m["group_id"] in (sales["id"], support["id"])
    }
    members = store.read("dashboard_team_members")
    assert set(members["email"]) == expected
    assert set(members[["team", "role", "source"]].itertuples(index=False, name=None)) == {
        ("leads", "manager", "group_import")
    }


@pytest.mark.parametrize("groups", [[], ["  "]])
def test_an_empty_group_selection_is_refused_at_launch(site, store, groups):
    store.create_teams("Leads")

    with pytest.raises(DagsterConfigMappingFunctionError) as refused:
        launch(
            tools_definitions(site, store._warehouse),
            "import_users_from_groups",
            {"groups": groups, "team": "Leads"},
        )

    assert "groups is empty" in str(refused.value.__cause__)


def test_unknown_groups_are_a_config_error_listing_the_known_groups(site, store):
    truth = synced(site, store._warehouse)
    store.create_teams("Leads")

    result = launch(
        tools_definitions(site, store._warehouse),
        "import_users_from_groups",
        {"groups": [truth["groups"][0]["name"], "Hooli"], "team": "Leads"},
    )

    assert not result.success
    message = failure_messages(result)
    assert "config error: unknown group 'Hooli'; known groups: " in message
    assert all(repr(g["name"]) in message for g in truth["groups"])
    assert store.read("dashboard_team_members").empty


def test_sync_groups_refreshes_groups_their_members_and_the_team_mapping(site, store):
    truth = synced(site, store._warehouse)
    group = truth["groups"][0]
    members = {m["user_id"] for m in truth["group_memberships"] if m["group_id"] == group["id"]}
    newcomer = next(u for u in truth["users"] if u["id"] not in members)
    site.site.add_group_member(group["id"], newcomer["id"])
    store.create_teams("Sales")
    store.map_group(group["id"], "Sales")

    result = launch(tools_definitions(site, store._warehouse), "sync_groups")

    assert result.success, failure_messages(result)
    assert normalised(newcomer["email"]) in set(store.read("dashboard_team_members")["email"])
    ran = materialized(result)
    assert {"thinkific/groups", "thinkific/group_memberships", "dashboard/team_members"} <= ran


def test_sync_products_refreshes_products_bundles_and_seat_usage(site, store):
    synced(site, store._warehouse)
    course = site.site.create("courses", {"name": "Brand new course"})

    result = launch(tools_definitions(site, store._warehouse), "sync_products")

    assert result.success, failure_messages(result)
    products = store._warehouse.read_frame("thinkific_products")
    assert course["product_id"] in set(products["id"])
    ran = materialized(result)
    assert {"thinkific/products", "thinkific/bundles", "dashboard/seat_usage"} <= ran


def test_sync_certificates_selects_the_certificates_asset_once_it_exists(site, store):
    @asset(key=["thinkific", "certificates"], group_name="thinkific", owners=[OWNER])
    def certificates() -> None:
        """Stands in for the GraphQL extraction's asset."""

    base = tools_definitions(site, store._warehouse)
    defs = Definitions.merge(base, Definitions(assets=[certificates]))

    job = defs.resolve_job_def("sync_certificates")

    assert AssetKey(["thinkific", "certificates"]) in job.asset_layer.executable_asset_keys


def test_recalculate_seats_runs_seat_usage_its_check_and_the_teams_overview(site, store):
    synced(site, store._warehouse)

    result = launch(tools_definitions(site, store._warehouse), "recalculate_seats")

    assert result.success, failure_messages(result)
    ran = materialized(result)
    assert ran == {"dashboard/seat_usage", "dashboard/teams_overview"}
    assert [c.check_name for c in result.get_asset_check_evaluations()] == [
        "seats_not_over_allocated"
    ]


def _teams_reported(result) -> list[dict]:
    """The metadata of each `dashboard/teams` materialization the run reported."""
    return [
        {name: value.value for name, value in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
        if event.asset_key == TEAMS_KEY
    ]


def test_an_import_reports_the_teams_it_changed_and_its_repeat_reports_nothing(site, store):
    synced(site, store._warehouse)
    store.create_teams("Acme")
    defs = tools_definitions(site, store._warehouse)

    first = launch(defs, "import_users_from_thinkific", {"team": "Acme"})
    again = launch(defs, "import_users_from_thinkific", {"team": "Acme"})

    (reported,) = _teams_reported(first)
    assert (reported["teams_changed"], reported["teams"]) == (1, "acme")
    assert reported["memberships_added"] == len(site.ground_truth()["users"])
    assert _teams_reported(again) == []
