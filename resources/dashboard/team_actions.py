"""How every team action runs: serialised, validated before writing, applied once, audited.

`perform` opens one write transaction and first takes the team-actions lock (PostgreSQL: an
advisory transaction lock; SQLite: the write lock BEGIN IMMEDIATE already holds), so actions
racing on the same teams run one after the other and each sees what the other did: two `add`
allocations add both, two assignments cannot both take the last seat.

Inside it, the change runs in a savepoint. A `Refused` rolls the savepoint back, so a refusal
writes nothing but its audit row (status `refused`, 0 rows) and the caller fails the run with
the message. A run whose re-execution chain already applied the action applies nothing again
(audit row `applied`, 0 rows): retrying or re-executing a run never adds seats twice. Beyond
that each change is idempotent by state, so the same config launched again changes 0 rows.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from resources.dashboard.audit_log import AuditEntry, applied_in_chain, record
from resources.dashboard.store import DashboardStore
from resources.dashboard.team_lookup import Refused
from schemas.team_actions import TeamAction

ADVISORY_LOCK_KEY = 7_402
"""`pg_advisory_xact_lock(key)`: one lock for all team actions (7401 is the enrollment push's)."""


@dataclass(frozen=True)
class ActionRun:
    """The run performing an action, and the instant it acts at."""

    run_id: str
    root_run_id: str
    at: dt.datetime


@dataclass(frozen=True)
class ActionRequest:
    action: TeamAction
    config: Mapping[str, Any]
    team: str | None
    """The team acted on and the other team (rename: the new name), normalised, for the log."""
    target_team: str | None = None


Change = Callable[[sa.Connection], int]
"""Applies an action on the connection; returns the rows it changed or raises `Refused`."""


def lock(connection: sa.Connection) -> None:
    """Serialises team actions (and anything else that writes under this lock)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))


def perform(
    store: DashboardStore, run: ActionRun, request: ActionRequest, change: Change
) -> AuditEntry:
    """Applies the change once, and logs the outcome, in one transaction; returns the entry."""
    with store.transaction() as connection:
        lock(connection)
        status, rows, detail = "applied", 0, None
        earlier = applied_in_chain(connection, store, run.root_run_id, run.run_id)
        if earlier is not None:
            detail = f"already applied by run {earlier} (a re-execution applies nothing again)"
        else:
            try:
                with connection.begin_nested():
                    rows = change(connection)
            except Refused as refusal:
                status, detail = "refused", str(refusal)
        entry = AuditEntry(
            run_id=run.run_id,
            root_run_id=run.root_run_id,
            action=request.action,
            team=request.team,
            target_team=request.target_team,
            config=request.config,
            status=status,
            rows_affected=rows,
            detail=detail,
            recorded_at=run.at,
        )
        record(connection, store, entry)
    return entry
