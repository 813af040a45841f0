"""What changed since a recalculation last looked: database triggers log the subjects of every
change to the tables seat usage and the Teams tab read, and each recalculation takes its own.

Why triggers. The warehouse keeps no change times a recalculation could compare against: a
Thinkific row's `updated_at` is Thinkific's clock, and a row synced late carries an old one;
inserts into snapshot tables (users, memberships, products) and the dashboard's own deletes
leave no time at all. The tables are written by the load engine's merge, COPY and snapshots,
the webhook applier, uploads, team actions and the admin's forms: a log written by each of
them would be forgotten by the next. A trigger sees every write, whoever makes it, in the
writer's own transaction, so a change and its entry commit together or not at all.

What is logged is the subject, not the row: for an enrollment the Thinkific user, for a
membership the team, for a Thinkific user its id and email (before and after). One row per
(consumer, kind, subject) in `dashboard_pending_changes`, however often the subject changes,
so the log stays as small as the set of subjects touched (a full enrollment read of 1M rows
logs each user once). On PostgreSQL the triggers are per statement, with transition tables:
one INSERT ... SELECT DISTINCT per statement, not one per row, and `everything` for a statement
of more than `STATEMENT_SUBJECTS` subjects. SQLite has row triggers only: one lookup and insert
per changed row and subject. Updates that change nothing fire nothing: the warehouse's merge
writes only rows whose values differ. What the log costs a writer is measured in
benchmarks/RESULTS.md ("Seat recalculation").

Taking is a DELETE of the consumer's rows in the recalculation's own transaction. A change
committed meanwhile is either seen by the recalculation that deleted its entry, or logged
again after it: on PostgreSQL a writer logging a subject whose entry is being taken waits for
the taker's commit (the upsert locks the entry), then logs it anew; SQLite has one writer at
a time.

The triggers are declared in `schemas.change_log` (`WATCHES`) and created by the schema's owner,
`resources.warehouse.migrate`: by `create_schema`, and by the first recalculation that finds
them missing (for the optional tables, certificates and quiz results, once the tables exist).
What changed before is unknown, so installing logs `everything` for the consumers concerned,
which then recalculate in full once.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from resources.dashboard.store import DashboardStore
from resources.warehouse import migrate
from schemas.change_log import (
    BUNDLE,
    EMAIL,
    EVERYTHING,
    LOG,
    OVERVIEW,
    PRODUCT,
    SEATS,
    STATEMENT_SUBJECTS,
    TEAM,
    USER,
)

__all__ = [  # the change log's names, as the recalculations and benchmarks import them
    "BUNDLE",
    "EMAIL",
    "OVERVIEW",
    "PRODUCT",
    "SEATS",
    "STATEMENT_SUBJECTS",
    "TEAM",
    "USER",
    "Changes",
    "install_triggers",
    "take_changes",
]


@dataclass(frozen=True)
class Changes:
    """The subjects changed since a consumer last took its changes."""

    everything: bool = False
    subjects: dict[str, set[str]] = field(default_factory=dict)

    def of(self, kind: str) -> set[str]:
        return self.subjects.get(kind, set())


def install_triggers(connection: sa.Connection, store: DashboardStore) -> None:
    """Creates the triggers that are missing, in the caller's transaction; the consumers of a
    table whose triggers were missing get `everything` logged (`migrate.install_triggers`)."""
    migrate.install_triggers(connection, store.schema)


def take_changes(connection: sa.Connection, store: DashboardStore, consumer: str) -> Changes:
    """Removes and returns the consumer's pending changes, in the caller's transaction (so
    they come back if it rolls back); installs the triggers first where missing."""
    install_triggers(connection, store)
    log = store.table(LOG)
    taken = connection.execute(
        sa.delete(log).where(log.c.consumer == consumer).returning(log.c.kind, log.c.subject)
    ).all()
    subjects: dict[str, set[str]] = {}
    for kind, subject in taken:
        subjects.setdefault(kind, set()).add(subject)
    return Changes(everything=EVERYTHING in subjects, subjects=subjects)
