"""A warehouse knows whose data it holds: the first sync records its site, another site's sync
is refused while the warehouse holds rows, and a warehouse from before the record is adopted only
by the site whose users it holds."""

import pandas as pd
import pytest

from resources.warehouse import WarehouseResource
from resources.warehouse.site_identity import (
    SiteIdentity,
    WarehouseSiteMismatch,
    claim_warehouse,
    recorded_site,
)

ACME = SiteIdentity("acme", "https://api.thinkific.com/api/public/v1")
GLOBEX = SiteIdentity("globex", "https://api.thinkific.com/api/public/v1")
USERS = [{"id": 1, "email": "ada@acme.test"}, {"id": 2, "email": "bob@acme.test"}]


def _no_request():
    raise AssertionError("the site's users were read, though no comparison was needed")


def _claim(warehouse: WarehouseResource, site: SiteIdentity, users=_no_request) -> str:
    return claim_warehouse(warehouse.engine, warehouse.schema, site, users)


def _store_users(warehouse: WarehouseResource, users: list[dict]) -> None:
    frame = pd.DataFrame(
        [{**user, "first_name": "A", "last_name": "B", "full_name": "A B"} for user in users]
    )
    warehouse.upsert("thinkific_users", frame)


def test_the_first_sync_records_its_site(warehouse):
    assert _claim(warehouse, ACME) == "recorded"

    assert recorded_site(warehouse.engine, warehouse.schema) == ACME


def test_the_same_site_syncs_again_without_reading_anything(warehouse):
    _claim(warehouse, ACME)
    _store_users(warehouse, USERS)

    assert _claim(warehouse, ACME) == "same site"


def test_another_site_is_refused_naming_both_sites_and_the_fix(warehouse):
    _claim(warehouse, ACME)
    _store_users(warehouse, USERS)

    with pytest.raises(WarehouseSiteMismatch) as refused:
        _claim(warehouse, GLOBEX)

    message = str(refused.value)
    assert "Thinkific site 'acme'" in message
    assert "Thinkific site 'globex'" in message
    assert "WAREHOUSE_URL" in message
    assert "nothing was read or written" in message
    assert recorded_site(warehouse.engine, warehouse.schema) == ACME


def test_another_site_claims_a_warehouse_that_holds_no_rows_yet(warehouse):
    """A first sync that failed before loading anything (a mistyped subdomain) locks nothing."""
    _claim(warehouse, SiteIdentity("acme-typo", ACME.base_url))

    assert _claim(warehouse, ACME) == "recorded"
    assert recorded_site(warehouse.engine, warehouse.schema) == ACME


def test_the_same_subdomain_on_another_api_is_another_site(warehouse):
    _claim(warehouse, ACME)
    _store_users(warehouse, USERS)

    with pytest.raises(WarehouseSiteMismatch):
        _claim(warehouse, SiteIdentity("acme", "https://eu.example.test/api/public/v1"))


def test_the_local_simulator_is_one_site_whatever_its_port(warehouse):
    _claim(warehouse, SiteIdentity("sim-site", "http://127.0.0.1:41234/api/public/v1"))
    _store_users(warehouse, USERS)

    again = SiteIdentity("sim-site", "http://127.0.0.1:50111/api/public/v1/")
    assert _claim(warehouse, again) == "same site"


def test_an_unrecorded_warehouse_is_adopted_by_the_site_whose_users_it_holds(warehouse):
    _store_users(warehouse, USERS)

    assert _claim(warehouse, ACME, users=lambda: [*USERS, {"id": 3, "email": "new@acme.test"}])
    assert recorded_site(warehouse.engine, warehouse.schema) == ACME


def test_an_unrecorded_warehouse_refuses_a_site_whose_users_differ(warehouse):
    _store_users(warehouse, USERS)
    other = [{"id": 1, "email": "carol@globex.test"}, {"id": 2, "email": "dan@globex.test"}]

    with pytest.raises(WarehouseSiteMismatch) as refused:
        _claim(warehouse, GLOBEX, users=lambda: other)

    assert "its user 1 has another email" in str(refused.value)
    assert recorded_site(warehouse.engine, warehouse.schema) is None


def test_an_unrecorded_warehouse_refuses_a_site_with_none_of_its_users(warehouse):
    _store_users(warehouse, USERS)

    with pytest.raises(WarehouseSiteMismatch) as refused:
        _claim(warehouse, GLOBEX, users=lambda: [{"id": 900, "email": "eve@globex.test"}])

    assert "none of the site's first users" in str(refused.value)
