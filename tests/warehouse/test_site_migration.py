"""A single-site warehouse moves, once, into the place of the site that owns it; on SQLite and
on PostgreSQL, against a warehouse a real sync (and the dashboard's change log) wrote."""

import pytest
import sqlalchemy as sa

from pipelines.commands.site_entry import adopt_single_site_warehouse_if_any
from resources.dashboard.change_log import SEATS, take_changes
from resources.dashboard.store import DashboardStore
from resources.sites import Site, SitesFileError
from resources.warehouse import WarehouseResource
from resources.warehouse.engine import WarehouseError, transaction
from resources.warehouse.migrate import adopt_single_site_warehouse, refresh_cross_site_views
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth
from tests.pipelines.sync_harness import failure_messages, run_sync
from tests.sites.simulated import site_warehouse_at, users_per_site

FAST_SITE = {"users": 40, "enrollments": 80, "requests_per_minute": 6000}


@pytest.fixture
def synced(start_simulator, warehouse):
    """A single-site warehouse after a sync, with the dashboard's triggers installed."""
    sim = start_simulator(**FAST_SITE)
    result = run_sync(sim, warehouse)
    assert result.success, failure_messages(result)
    store = DashboardStore(warehouse)
    store.ensure_tables()
    with transaction(store.engine, write=True) as connection:
        take_changes(connection, store, SEATS)
    warehouse.dispose()
    return sim, warehouse


def test_the_sites_tables_hold_what_the_single_site_warehouse_held(synced):
    sim, warehouse = synced
    watermark = warehouse.watermark("thinkific_enrollments")
    warehouse.dispose()

    moved = adopt_single_site_warehouse(warehouse.url, None, "acme")

    assert {"thinkific_users", "warehouse_sync_state", "dashboard_pending_changes"} <= set(moved)
    site = site_warehouse_at(warehouse.url, "acme")
    assert_warehouse_equals_ground_truth(site, sim.ground_truth())
    assert site.watermark("thinkific_enrollments") == watermark
    site.dispose()


def test_nothing_of_the_project_is_left_in_the_base_place(synced):
    _, warehouse = synced
    adopt_single_site_warehouse(warehouse.url, None, "acme")
    base = WarehouseResource(url=warehouse.url)
    with transaction(base.engine, write=False) as connection:
        left = sa.inspect(connection).get_table_names()
    base.dispose()
    assert not [name for name in left if name.startswith(("thinkific_", "dashboard_"))]


def test_adopting_twice_moves_nothing_the_second_time(synced):
    _, warehouse = synced
    assert adopt_single_site_warehouse(warehouse.url, None, "acme")
    assert adopt_single_site_warehouse(warehouse.url, None, "acme") == []


def test_the_next_sync_of_the_site_continues_from_the_moved_tables(synced):
    sim, warehouse = synced
    adopt_single_site_warehouse(warehouse.url, None, "acme")
    changed = sim.ground_truth()["enrollments"][0]["id"]
    sim.site.update("enrollments", changed, {"percentage_completed": 0.5})
    site = site_warehouse_at(warehouse.url, "acme")

    result = run_sync(sim, site)

    assert result.success, failure_messages(result)
    assert_warehouse_equals_ground_truth(site, sim.ground_truth())
    site.dispose()


def test_the_change_log_works_in_the_sites_place(synced):
    _, warehouse = synced
    adopt_single_site_warehouse(warehouse.url, None, "acme")
    site = site_warehouse_at(warehouse.url, "acme")
    store = DashboardStore(site)
    store.ensure_tables()
    users = site.table("thinkific_users")
    with transaction(store.engine, write=True) as connection:
        take_changes(connection, store, SEATS)  # whatever the move left to recalculate
        first = connection.execute(sa.select(users.c.id).limit(1)).scalar_one()
        connection.execute(sa.update(users).where(users.c.id == first).values(last_name="X"))
    with transaction(store.engine, write=True) as connection:
        changes = take_changes(connection, store, SEATS)
    site.dispose()
    assert changes.everything or str(first) in changes.of("user")


def test_a_site_that_already_has_tables_is_not_overwritten(synced, start_simulator):
    sim, warehouse = synced
    site = site_warehouse_at(warehouse.url, "acme")
    assert run_sync(sim, site).success
    site.dispose()

    with pytest.raises(WarehouseError, match=r"site 'acme'.*both exist"):
        adopt_single_site_warehouse(warehouse.url, None, "acme")

    assert WarehouseResource(url=warehouse.url).count("thinkific_users") == 40


@pytest.mark.postgres
def test_postgresql_shows_every_sites_rows_in_one_view_with_a_site_column(
    start_simulator, postgresql_url
):
    counts = {"acme": 30, "globex": 20}
    for name, users in counts.items():
        sim = start_simulator(users=users, enrollments=40, requests_per_minute=6000)
        site = site_warehouse_at(postgresql_url, name)
        assert run_sync(sim, site).success
        site.dispose()

    views = refresh_cross_site_views(postgresql_url, None, list(counts))

    assert "thinkific_users" in views
    assert users_per_site(postgresql_url, "all_sites") == counts


def _site(subdomain: str, base_url: str) -> Site:
    return Site(name="acme", subdomain=subdomain, api_key_env="ACME_KEY", line=2, base_url=base_url)


def test_a_warehouse_recording_another_site_is_not_moved_to_the_owner(synced):
    sim, warehouse = synced
    other = _site("globex", sim.base_url)

    with pytest.raises(SitesFileError, match="not site 'acme'"):
        adopt_single_site_warehouse_if_any([other], "globex", warehouse.url, None)

    assert WarehouseResource(url=warehouse.url).count("thinkific_users") > 0


def test_a_warehouse_recording_its_owner_is_moved(synced):
    sim, warehouse = synced
    owner = _site(sim.config.subdomain, sim.base_url)

    adopted = adopt_single_site_warehouse_if_any([owner], None, warehouse.url, None)

    assert adopted is not None and "warehouse_site" in adopted[1]
