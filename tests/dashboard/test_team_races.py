"""Team actions racing: two threads, each with its own engine, act on the same database at once,
on SQLite and PostgreSQL; the outcome is the one of running them one after the other."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from assets.dashboard.team_actions import AllocateSeatsConfig, AssignSeatsConfig, TeamActionConfig
from resources.dashboard.audit_log import AuditEntry
from resources.dashboard.store import DashboardStore, utc_now
from resources.dashboard.team_actions import ActionRun, perform
from resources.warehouse import WarehouseResource
from tests.dashboard.seed import NOW
from tests.dashboard.team_setup import PRODUCT, audit, seats_bought, seed_teams
from tests.dashboard.test_seat_usage import COURSE


def race(warehouse_url: str, *configs: TeamActionConfig) -> list[AuditEntry]:
    """Performs the actions at the same moment, each as its own run on its own connection, as
    the ops do."""
    start = threading.Barrier(len(configs))

    def one(config: TeamActionConfig) -> AuditEntry:
        warehouse = WarehouseResource(url=warehouse_url)
        try:
            store = DashboardStore(warehouse)
            store.ensure_tables()
            run_id = str(uuid.uuid4())
            start.wait()
            run = ActionRun(run_id, run_id, utc_now())
            return perform(store, run, config.request(), lambda c: config.apply(c, store, run))
        finally:
            warehouse.dispose()

    with ThreadPoolExecutor(len(configs)) as pool:
        return list(pool.map(one, configs))


def test_two_allocations_adding_seats_at_once_both_count(store, warehouse_url):
    seed_teams(store)

    race(
        warehouse_url,
        AllocateSeatsConfig(team="Red", product=PRODUCT, seats=3, mode="add"),
        AllocateSeatsConfig(team="Red", product=PRODUCT, seats=4, mode="add"),
    )

    assert seats_bought(store)[("red", COURSE)] == 5 + 3 + 4
    assert audit(store) == [("allocate_seats", "applied", 1)] * 2


def test_two_allocations_setting_seats_at_once_leave_one_purchase(store, warehouse_url):
    seed_teams(store)

    race(
        warehouse_url,
        AllocateSeatsConfig(team="Red", product=PRODUCT, seats=7),
        AllocateSeatsConfig(team="Red", product=PRODUCT, seats=9),
    )

    allocations = store.read("dashboard_seat_allocations")
    red = allocations[(allocations["team"] == "red") & (allocations["product_id"] == COURSE)]
    assert list(red["seats"]) in ([7], [9])  # whichever came second; never both


def test_two_assignments_racing_for_the_last_seat_cannot_both_take_it(store, warehouse_url):
    seed_teams(store)
    store.add_users([{"email": "d@x.com"}])
    store.add_members("Red", ["d@x.com"], "member", "csv_import")
    store.allocate_seats("Red", COURSE, 2, NOW)  # replaces the 5 seeded: a uses one, 1 left

    entries = race(
        warehouse_url,
        AssignSeatsConfig(team="Red", product=PRODUCT, emails=["b@x.com"]),
        AssignSeatsConfig(team="Red", product=PRODUCT, emails=["d@x.com"]),
    )

    assert sorted(entry.status for entry in entries) == ["applied", "refused"]
    assert len(store.read("dashboard_seat_assignments")) == 1
