"""A sync claims its warehouse for its site before it reads anything (see
`resources.warehouse.site_identity`): the Thinkific steps of every run, and the main command
before its run starts."""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from resources.thinkific import ThinkificResource
from resources.thinkific.pages import list_answer
from resources.warehouse import WarehouseResource
from resources.warehouse.site_identity import SiteIdentity

USERS_COMPARED = 25
"""Users of the site's first page compared with the stored ones, for an unrecorded warehouse."""


def site_of(thinkific: ThinkificResource) -> SiteIdentity:
    return SiteIdentity(thinkific.subdomain, thinkific.base_url)


def claim_the_warehouse(
    thinkific: ThinkificResource, warehouse: WarehouseResource, log: logging.Logger | Any = None
) -> None:
    """Raises `WarehouseSiteMismatch` when the warehouse holds another site's rows."""

    def first_users() -> Sequence[Mapping[str, Any]]:
        client = thinkific.get_client(log)
        answer = client.get("/users", params={"page": 1, "limit": USERS_COMPARED})
        return list_answer(answer, "/users")[0]

    warehouse.claim_for(site_of(thinkific), first_users)
