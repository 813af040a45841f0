"""The audit log of team actions (`dashboard_audit_log`): one row per run, applied or refused;
seat allocation uploads write theirs too (`resources.uploads.seat_allocations`).

Rows are written in the action's own transaction (see `resources.dashboard.team_actions`), so an
action is logged exactly when it is applied, and a refusal is logged with nothing else written.
"""

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from resources.dashboard.sql import upsert
from resources.dashboard.store import DashboardStore
from schemas.team_actions import ActionStatus, TeamAction

AUDIT_LOG = "dashboard_audit_log"


@dataclass(frozen=True)
class AuditEntry:
    run_id: str
    root_run_id: str
    action: TeamAction
    team: str | None
    target_team: str | None
    config: Mapping[str, Any]
    status: ActionStatus
    rows_affected: int
    detail: str | None
    recorded_at: dt.datetime


def record(connection: sa.Connection, store: DashboardStore, entry: AuditEntry) -> None:
    """Writes the run's row (a step retry of the same run replaces it)."""
    row = {**asdict(entry), "config": json.dumps(entry.config, sort_keys=True, default=str)}
    connection.execute(upsert(connection, store.table(AUDIT_LOG), ["run_id"]), [row])


def applied_in_chain(
    connection: sa.Connection, store: DashboardStore, root_run_id: str, run_id: str
) -> str | None:
    """The earlier run of this re-execution chain that applied the action, if one did."""
    log = store.table(AUDIT_LOG)
    query = sa.select(log.c.run_id).where(
        log.c.root_run_id == root_run_id, log.c.status == "applied", log.c.run_id != run_id
    )
    return connection.execute(query.limit(1)).scalar()


def was_applied(
    connection: sa.Connection,
    store: DashboardStore,
    action: TeamAction,
    team: str,
    target_team: str,
) -> bool:
    """Whether an action on `team` with `target_team` (normalised names) was ever applied."""
    log = store.table(AUDIT_LOG)
    query = sa.select(1).where(
        log.c.action == action,
        log.c.team == team,
        log.c.target_team == target_team,
        log.c.status == "applied",
    )
    return connection.execute(query.limit(1)).first() is not None


def applied_configs(
    connection: sa.Connection, store: DashboardStore, action: TeamAction
) -> list[tuple[str, dict[str, Any]]]:
    """(run id, config) of every applied run of the action, oldest first."""
    log = store.table(AUDIT_LOG)
    query = (
        sa.select(log.c.run_id, log.c.config)
        .where(log.c.action == action, log.c.status == "applied")
        .order_by(log.c.recorded_at, log.c.run_id)
    )
    return [(run_id, json.loads(config)) for run_id, config in connection.execute(query)]


def latest(store: DashboardStore, limit: int) -> list[dict[str, Any]]:
    """The newest rows, newest first."""
    log = store.table(AUDIT_LOG)
    query = sa.select(log).order_by(log.c.recorded_at.desc(), log.c.run_id).limit(limit)
    with store.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def count(store: DashboardStore) -> int:
    log = store.table(AUDIT_LOG)
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(log)).scalar_one()


def rows_affected(store: DashboardStore, run_id: str) -> int | None:
    """What the run changed, or None when it logged nothing."""
    log = store.table(AUDIT_LOG)
    query = sa.select(log.c.rows_affected).where(log.c.run_id == run_id)
    with store.engine.connect() as connection:
        return connection.execute(query).scalar()
