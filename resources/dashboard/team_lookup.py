"""Names in a team action's config resolved inside its transaction, or a refusal saying why.

Every refusal is a `Refused` whose message says what to do instead; it is raised before the
action writes anything (see `resources.dashboard.team_actions.perform`).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from resources.dashboard.sql import live
from resources.dashboard.store import DashboardStore
from schemas.dashboard import normalised

MAX_NAMES_LISTED = 20


class Refused(ValueError):
    """A team action that cannot be applied as asked; the message says what to do."""


@dataclass(frozen=True)
class TeamRow:
    team: str
    name: str
    archived_at: dt.datetime | None
    merged_into: str | None


def listed(names: Iterable[str]) -> str:
    """Names quoted and comma-separated, the first MAX_NAMES_LISTED of them."""
    names = sorted(names)
    shown = ", ".join(repr(name) for name in names[:MAX_NAMES_LISTED]) or "none"
    more = len(names) - MAX_NAMES_LISTED
    return shown + (f" (and {more} more)" if more > 0 else "")


def find_team(connection: sa.Connection, store: DashboardStore, name: str) -> TeamRow | None:
    teams = store.table("dashboard_teams")
    columns = (teams.c.team, teams.c.name, teams.c.archived_at, teams.c.merged_into)
    row = connection.execute(sa.select(*columns).where(teams.c.team == normalised(name))).first()
    return TeamRow(*row) if row else None


def existing_team(connection: sa.Connection, store: DashboardStore, name: str) -> TeamRow:
    """The team by name (trimmed, any case), archived or not."""
    found = find_team(connection, store, name)
    if found is None:
        teams = store.table("dashboard_teams")
        active = sa.select(teams.c.name).where(teams.c.archived_at.is_(None))
        known = connection.execute(active).scalars()
        raise Refused(f"unknown team {name!r}: check the spelling; known teams: {listed(known)}")
    return found


def active_team(connection: sa.Connection, store: DashboardStore, name: str) -> TeamRow:
    """The team by name, refused when it is archived (its history is read-only)."""
    team = existing_team(connection, store, name)
    if team.archived_at is not None:
        how = f"archived (merged into {team.merged_into!r})" if team.merged_into else "archived"
        raise Refused(
            f"team {team.name!r} is {how}: an archived team's history is read-only; "
            "act on an active team instead"
        )
    return team


@dataclass(frozen=True)
class Product:
    id: int
    name: str


def find_product(connection: sa.Connection, store: DashboardStore, product: str) -> Product:
    """A live Thinkific product by id or by name (trimmed, any case); a name shared by
    several products is refused, listing their ids."""
    products = store.table("thinkific_products")
    rows = connection.execute(sa.select(products.c.id, products.c.name).where(live(products))).all()
    wanted = product.strip()
    matches = [
        Product(id_, name or str(id_))
        for id_, name in rows
        if str(id_) == wanted or normalised(name or "") == normalised(wanted)
    ]
    if not matches:
        known = [name or str(id_) for id_, name in rows]
        raise Refused(
            f"unknown product {product!r}: give its Thinkific id or exact name (sync products "
            f"first if it is new); known products: {listed(known)}"
        )
    if len(matches) > 1:
        ids = ", ".join(str(match.id) for match in matches)
        raise Refused(f"several products are named {product!r} (ids {ids}): give the id instead")
    return matches[0]


def emails_in(
    connection: sa.Connection, store: DashboardStore, team: str, emails: Sequence[str]
) -> set[str]:
    """Which of the (normalised) emails are members of the team."""
    members = store.table("dashboard_team_members")
    query = sa.select(members.c.email).where(members.c.team == team, members.c.email.in_(emails))
    return set(connection.execute(query).scalars())


def require_members(
    connection: sa.Connection, store: DashboardStore, team: TeamRow, emails: Sequence[str]
) -> None:
    missing = sorted(set(emails) - emails_in(connection, store, team.team, emails))
    if missing:
        raise Refused(
            f"not members of team {team.name!r}: {', '.join(missing)}; add them to the team "
            "first (move_members, or an import into the team) or check the spelling"
        )
