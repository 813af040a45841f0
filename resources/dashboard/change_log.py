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

Triggers are installed by the first recalculation that finds them missing (and for the
optional tables, certificates and quiz results, once the tables exist): what changed before
is unknown, so installing logs `everything` for the consumers concerned, which then
recalculate in full once.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from resources.dashboard.store import DashboardStore
from resources.warehouse.engine import serialise_ddl

LOG = "dashboard_pending_changes"
SEATS, OVERVIEW = "seat_usage", "teams_overview"
EVERYTHING, TEAM, EMAIL, USER, PRODUCT, BUNDLE = (
    "everything",
    "team",
    "email",
    "user",
    "product",
    "bundle",
)
EVENTS = ("insert", "update", "delete")
STATEMENT_SUBJECTS = 10_000
"""On PostgreSQL, a statement changing more subjects than this logs `everything` instead: a bulk
load then costs its consumers one full recalculation (which that many changes would cost them
anyway, beyond `recalculation.MAX_INCREMENTAL_TEAMS` teams), not a log entry per subject."""


@dataclass(frozen=True)
class Watch:
    """A table whose changes concern `consumers`: each change logs, per (kind, column), the
    column's value in the old and the new row."""

    table: str
    subjects: tuple[tuple[str, str], ...]
    consumers: tuple[str, ...]
    optional: bool = False
    """Created by an extraction that may not have run (the Teams tab reads it if it exists)."""


BOTH = (SEATS, OVERVIEW)
WATCHES = (
    Watch("thinkific_enrollments", ((USER, "user_id"),), BOTH),
    Watch("thinkific_users", ((USER, "id"), (EMAIL, "email")), BOTH),
    Watch("dashboard_users", ((EMAIL, "email"),), BOTH),
    Watch("dashboard_team_members", ((TEAM, "team"),), BOTH),
    Watch("dashboard_teams", ((TEAM, "team"),), BOTH),
    Watch("thinkific_products", ((PRODUCT, "id"),), (SEATS,)),
    Watch("thinkific_bundle_courses", ((BUNDLE, "bundle_id"),), (SEATS,)),
    Watch("dashboard_seat_allocations", ((TEAM, "team"),), (SEATS,)),
    Watch("dashboard_seat_releases", ((TEAM, "team"),), (SEATS,)),
    Watch("dashboard_seat_usage", ((TEAM, "team"),), (OVERVIEW,)),
    Watch("thinkific_certificates", ((USER, "user_id"),), (OVERVIEW,), optional=True),
    Watch("thinkific_quiz_results", ((USER, "user_id"),), (OVERVIEW,), optional=True),
)


@dataclass(frozen=True)
class Changes:
    """The subjects changed since a consumer last took its changes."""

    everything: bool = False
    subjects: dict[str, set[str]] = field(default_factory=dict)

    def of(self, kind: str) -> set[str]:
        return self.subjects.get(kind, set())


def _trigger_name(table: str, event: str) -> str:
    return f"{LOG}__{table}__{event}"


def _existing_triggers(connection: sa.Connection, store: DashboardStore) -> set[str]:
    if store.dialect == "sqlite":
        query = sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return set(connection.execute(query).scalars())
    query = sa.text(
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE NOT t.tgisinternal AND n.nspname = coalesce(:schema, current_schema())"
    )
    return set(connection.execute(query, {"schema": store.schema}).scalars())


def _quoted(connection: sa.Connection, store: DashboardStore, name: str) -> str:
    preparer = connection.dialect.identifier_preparer
    quoted = preparer.quote(name)
    return f"{preparer.quote_schema(store.schema)}.{quoted}" if store.schema else quoted


def _literal(text: str) -> str:
    """An SQL string literal of one of this module's own names (no quotes in them)."""
    return f"'{text}'"


def _sqlite_triggers(connection: sa.Connection, store: DashboardStore, watch: Watch) -> list[str]:
    log, table = _quoted(connection, store, LOG), _quoted(connection, store, watch.table)

    def values(row: str) -> list[str]:
        return [
            f'({_literal(consumer)}, {_literal(kind)}, CAST({row}."{column}" AS TEXT))'
            for consumer in watch.consumers
            for kind, column in watch.subjects
        ]

    rows = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}
    # NOT EXISTS, not INSERT OR IGNORE: a trigger's conflict clause gives way to the writing
    # statement's, so under an upsert a subject logged already would fail the write.
    return [
        f'CREATE TRIGGER IF NOT EXISTS "{_trigger_name(watch.table, event)}" '
        f"AFTER {event.upper()} ON {table} BEGIN "
        f"INSERT INTO {log} (consumer, kind, subject) "
        "SELECT DISTINCT column1, column2, column3 FROM (VALUES "
        + ", ".join(value for row in rows[event] for value in values(row))
        + f") AS v WHERE column3 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {log} l "
        "WHERE l.consumer = v.column1 AND l.kind = v.column2 AND l.subject = v.column3); END"
        for event in EVENTS
    ]


def _postgresql_triggers(
    connection: sa.Connection, store: DashboardStore, watch: Watch
) -> list[str]:
    log, table = _quoted(connection, store, LOG), _quoted(connection, store, watch.table)
    function = _quoted(connection, store, f"{LOG}__{watch.table}")
    consumers = ", ".join(f"({_literal(consumer)})" for consumer in watch.consumers)
    subjects = ", ".join(
        f'({_literal(kind)}, r."{column}"::text)' for kind, column in watch.subjects
    )

    def logged(rows: str) -> str:
        counted = f"(SELECT count(*) FROM subjects) > {STATEMENT_SUBJECTS}"
        return (
            "WITH subjects AS (SELECT DISTINCT s.kind, s.subject "
            f"FROM {rows} r CROSS JOIN LATERAL (VALUES {subjects}) AS s(kind, subject) "
            "WHERE s.subject IS NOT NULL) "
            f"INSERT INTO {log} (consumer, kind, subject) "
            "SELECT c.consumer, x.kind, x.subject FROM ("
            f"SELECT kind, subject FROM subjects WHERE NOT {counted} "
            f"UNION ALL SELECT {_literal(EVERYTHING)}, '' WHERE {counted}"
            f") AS x CROSS JOIN (VALUES {consumers}) AS c(consumer) "
            # DO UPDATE, not DO NOTHING: it locks the entry, so that a recalculation taking
            # it meanwhile is waited for, and the subject logged again after it.
            "ON CONFLICT (consumer, kind, subject) DO UPDATE SET subject = EXCLUDED.subject;"
        )

    transition = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
    }
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {logged('new_rows')} "
        f"ELSIF TG_OP = 'DELETE' THEN {logged('old_rows')} "
        f"ELSE {logged('(SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows)')} END IF; "
        "RETURN NULL; END $$",
        *(
            f'CREATE OR REPLACE TRIGGER "{_trigger_name(watch.table, event)}" '
            f"AFTER {event.upper()} ON {table} {transition[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            for event in EVENTS
        ),
    ]


def _log_everything(connection: sa.Connection, store: DashboardStore, consumers: set[str]) -> None:
    log = store.table(LOG)
    rows = [{"consumer": c, "kind": EVERYTHING, "subject": ""} for c in sorted(consumers)]
    if rows:
        connection.execute(sa.delete(log).where(log.c.consumer.in_(consumers)))
        connection.execute(sa.insert(log), rows)


def install_triggers(connection: sa.Connection, store: DashboardStore) -> None:
    """Creates the triggers that are missing (on the optional tables, once they exist); the
    consumers of a table whose triggers were missing get `everything` logged."""
    existing = _existing_triggers(connection, store)
    if all(
        {_trigger_name(watch.table, event) for event in EVENTS} <= existing for watch in WATCHES
    ):
        return
    serialise_ddl(connection)
    existing = _existing_triggers(connection, store)  # another process may have made them
    inspector = sa.inspect(connection)
    build = _sqlite_triggers if store.dialect == "sqlite" else _postgresql_triggers
    unknown: set[str] = set()
    for watch in WATCHES:
        if {_trigger_name(watch.table, event) for event in EVENTS} <= existing:
            continue
        if watch.optional and not inspector.has_table(watch.table, schema=store.schema):
            continue
        for statement in build(connection, store, watch):
            connection.exec_driver_sql(statement)
        unknown.update(watch.consumers)
    _log_everything(connection, store, unknown)


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
