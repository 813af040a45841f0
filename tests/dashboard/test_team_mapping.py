"""Domain rules of users, teams and memberships, and the team mapping from Thinkific groups."""

import pandas as pd
import pytest

from resources.dashboard.imports import ImportRequest, import_users
from resources.dashboard.store import DashboardStore, utc_now
from resources.dashboard.team_mapping import map_teams
from tests.dashboard.seed import put, user


def memberships(store: DashboardStore) -> set[tuple[str, str, str, str]]:
    frame = store.read("dashboard_team_members")
    return set(frame[["team", "email", "role", "source"]].itertuples(index=False, name=None))


def seed_groups(store: DashboardStore) -> None:
    warehouse = store._warehouse
    put(
        warehouse,
        "users",
        [user(1, "Ann@Example.com"), user(2, "bob@example.com"), user(3, "cy@example.com")],
    )
    put(warehouse, "groups", [{"id": 10, "name": "Sales"}, {"id": 20, "name": "Support"}])
    put(
        warehouse,
        "group_memberships",
        [
            {"group_id": 10, "user_id": 1},
            {"group_id": 10, "user_id": 2},
            {"group_id": 20, "user_id": 1},
        ],
    )
    put(warehouse, "group_analysts", [{"group_id": 20, "user_id": 3}])


def test_a_dashboard_user_is_unique_by_trimmed_case_insensitive_email(store):
    put(store._warehouse, "users", [user(7, "alice@example.com")])
    store.add_users([{"email": "  ALICE@Example.COM\t"}])

    request = ImportRequest("import_users_from_thinkific", None, "member", "thinkific_import")
    result = import_users(store, request, "run-1", utc_now())

    users = store.read("dashboard_users")
    assert list(users["email"]) == ["alice@example.com"]
    assert list(users["thinkific_user_id"]) == [7]
    assert (result.users_created, result.users_linked) == (0, 1)


def test_a_team_is_unique_by_trimmed_case_insensitive_name(store):
    store.create_teams("Acme Corp", "  acme corp ", "ACME CORP")

    assert store.team_names() == {"acme corp": "Acme Corp"}


def test_a_user_may_belong_to_several_teams_each_with_its_role_and_source(store):
    seed_groups(store)
    store.create_teams("Sales team", "Support team")
    store.map_group(10, "Sales team", "member")
    store.map_group(20, "support TEAM", "manager")

    map_teams(store, utc_now(), "run-1")

    ann = {m for m in memberships(store) if m[1] == "ann@example.com"}
    assert ann == {
        ("sales team", "ann@example.com", "member", "group_matching"),
        ("support team", "ann@example.com", "manager", "group_matching"),
    }


def test_team_mapping_derives_members_from_mapped_groups_and_analysts_as_managers(store):
    seed_groups(store)
    store.create_teams("Support team")
    store.map_group(20, "Support team", "member")

    result = map_teams(store, utc_now(), "run-1")

    assert memberships(store) == {
        ("support team", "ann@example.com", "member", "group_matching"),
        ("support team", "cy@example.com", "manager", "group_matching"),
    }
    users = store.read("dashboard_users").set_index("email")
    assert users.loc["cy@example.com", "thinkific_user_id"] == 3
    assert (result.users_created, result.members_added) == (2, 2)


def test_team_mapping_removes_who_left_the_group_and_keeps_memberships_from_imports(store):
    seed_groups(store)
    store.create_teams("Sales team")
    store.map_group(10, "Sales team")
    store.add_users([{"email": "dee@example.com"}])
    store.add_members("Sales team", ["dee@example.com"], "manager", "csv_import")
    map_teams(store, utc_now(), "run-1")

    put(store._warehouse, "group_memberships", [{"group_id": 10, "user_id": 1}])
    with store._warehouse.snapshot("thinkific_group_memberships") as load:
        load.append(pd.DataFrame([{"group_id": 10, "user_id": 1}, {"group_id": 20, "user_id": 1}]))
        load.commit()
    result = map_teams(store, utc_now(), "run-2")

    assert memberships(store) == {
        ("sales team", "ann@example.com", "member", "group_matching"),
        ("sales team", "dee@example.com", "manager", "csv_import"),
    }
    assert result.members_removed == 1


def test_team_mapping_ignores_groups_deleted_in_thinkific(store):
    seed_groups(store)
    store.create_teams("Sales team")
    store.map_group(10, "Sales team")
    with store._warehouse.snapshot("thinkific_groups") as load:
        load.append(pd.DataFrame([{"id": 20, "name": "Support"}]))
        load.commit()

    map_teams(store, utc_now(), "run-1")

    assert memberships(store) == set()


def test_a_role_change_in_the_mapping_reaches_its_members(store):
    seed_groups(store)
    store.create_teams("Sales team")
    store.map_group(10, "Sales team", "member")
    map_teams(store, utc_now(), "run-1")

    store.map_group(10, "Sales team", "manager")
    result = map_teams(store, utc_now(), "run-2")

    assert {m[2] for m in memberships(store)} == {"manager"}
    assert result.roles_changed == 2


def test_a_membership_role_outside_member_and_manager_is_refused(store):
    store.create_teams("Sales team")

    with pytest.raises(ValueError, match="role"):
        store.add_members("Sales team", ["x@example.com"], "owner", "csv_import")
