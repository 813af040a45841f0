"""The warehouse's schema has one owner: this module issues every CREATE and ALTER the project
makes (schemas, tables, columns, indexes, triggers, views, and a single-site warehouse's move
into its site).

Where each thing is declared:

- a table: a `schemas.tables.TableSpec` in `schemas/` (its columns from the spec's pandera
  model), made a SQLAlchemy table by `resources.warehouse.ddl.define_table`;
- an index: with its table, in `TableSpec.indexes` (a tuple of columns, or a
  `schemas.tables.IndexSpec` for an expression, a partial or a dialect's own index);
- a trigger: a `schemas.change_log.Watch` (the table, the subjects it logs, for whom);
- a view: the cross-site views of a deployment with a sites file, one per project table
  (`refresh_cross_site_views`).

What creates them, all here and each safe to repeat: `create_schema` (every table of every
registry, their indexes and triggers, in one place: a warehouse file, or a PostgreSQL schema),
`create_tables` (some tables with their indexes, for code that uses only those),
`install_triggers`, `refresh_cross_site_views` and `adopt_single_site_warehouse`. A load's
working tables (staging, temporary) are defined by the load and created through
`create_working_table`, so that no CREATE is issued anywhere else.

They run explicitly: from the commands, and before a step first writes a table
(`WarehouseResource`, `DashboardStore` and the webhook stores call `create_tables` for the
tables they use); never from a resource's set-up or teardown. Every creation takes the schema
lock first (`serialise_ddl`): PostgreSQL's IF NOT EXISTS is no guard against two processes
creating the same object at once.

A table made by an earlier version gains the nullable columns added since (`upgrade`); a
missing column that is not nullable means the table is not one of ours, and that is an error
(`IncompatibleTableError`), not a guess.
"""

import os
import sqlite3
from collections.abc import Collection, Iterable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.schema import CreateColumn, CreateIndex, CreateSchema, CreateTable

from resources.warehouse.ddl import define_table, index_is_for, site_table, sync_state_table
from resources.warehouse.engine import WarehouseError, create_engine, serialise_ddl, transaction
from resources.warehouse.sites import (
    SQLITE_SIDE_FILES,
    checked_site,
    cross_site_schema,
    project_tables,
    site_location,
    site_schema,
    sqlite_file,
)
from schemas.change_log import (
    EVENTS,
    EVERYTHING,
    LOG,
    STATEMENT_SUBJECTS,
    TRIGGER_FUNCTION_PREFIX,
    WATCHES,
    Watch,
    trigger_name,
)
from schemas.dashboard import DASHBOARD_TABLES
from schemas.tables import TableSpec
from schemas.thinkific import TABLES as THINKIFIC_TABLES
from schemas.webhooks import RECORD_VERSIONS, WEBHOOK_EVENTS

# Tables, columns and indexes.


class IncompatibleTableError(RuntimeError):
    """A table exists under a model's name but lacks a column that cannot be added in place."""


def registries() -> tuple[TableSpec, ...]:
    """Every table spec of the project: the Thinkific streams', the dashboard's, the webhooks'."""
    return (*THINKIFIC_TABLES.values(), *DASHBOARD_TABLES.values(), WEBHOOK_EVENTS, RECORD_VERSIONS)


def schema_tables(schema: str | None) -> list[sa.Table]:
    """Every table of the project in `schema` (None: the database's default, or SQLite)."""
    metadata = sa.MetaData(schema=schema)
    tables = [define_table(metadata, spec) for spec in registries()]
    return [*tables, sync_state_table(metadata), site_table(metadata)]


def upgraded_tables(tables: Iterable[sa.Table]) -> list[sa.Table]:
    """The tables an earlier version's may be upgraded to in place: the project's own (the
    dashboard's and the bookkeeping ones), whose columns only this project writes."""
    return [
        table
        for table in tables
        if table.name in DASHBOARD_TABLES or table.name.startswith("warehouse_")
    ]


def create_schema(engine: sa.Engine, schema: str | None = None) -> None:
    """Creates, where missing, every table of the project in `schema` (and the schema), with
    their indexes, the columns added since an earlier version made them, and the change log's
    triggers. Safe to repeat, and to run beside another process doing the same."""
    tables = schema_tables(schema)
    with transaction(engine, write=True) as connection:
        serialise_ddl(connection)
        create_tables(connection, tables, upgrade=upgraded_tables(tables))
        install_triggers(connection, schema)


def create_site_schemas(url: str, base_schema: str | None, sites: list[str]) -> None:
    """`create_schema` in each site's place of the warehouse at `url`
    (`resources.warehouse.sites.site_location`)."""
    for site in sites:
        site_url, schema = site_location(url, base_schema, site)
        engine = create_engine(sa.make_url(site_url))
        try:
            create_schema(engine, schema)
        finally:
            engine.dispose()


def ensure_tables(
    engine: sa.Engine, tables: Collection[sa.Table], *, upgrade: Collection[sa.Table] = ()
) -> None:
    """`create_tables` in a write transaction of its own, under the schema lock."""
    with transaction(engine, write=True) as connection:
        serialise_ddl(connection)
        create_tables(connection, tables, upgrade=upgrade)


def create_tables(
    connection: sa.Connection,
    tables: Collection[sa.Table],
    *,
    upgrade: Collection[sa.Table] = (),
) -> None:
    """In the caller's transaction (which holds the schema lock): the tables' PostgreSQL
    schemas, the tables, the nullable columns `upgrade`'s tables lack, and the tables' indexes
    (those made on this database), each where missing."""
    if connection.dialect.name == "postgresql":
        for schema in sorted({table.schema for table in tables if table.schema}):
            connection.execute(CreateSchema(schema, if_not_exists=True))
    for table in tables:
        connection.execute(CreateTable(table, if_not_exists=True))
    for table in upgrade:
        add_missing_columns(connection, table)
    for table in tables:
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            if index_is_for(index, connection.dialect.name):
                connection.execute(CreateIndex(index, if_not_exists=True))


def add_missing_columns(connection: sa.Connection, table: sa.Table) -> list[str]:
    """Adds the model's nullable columns that the existing `table` lacks; returns their names."""
    existing = {
        column["name"]
        for column in sa.inspect(connection).get_columns(table.name, schema=table.schema)
    }
    missing = [column for column in table.columns if column.name not in existing]
    required = [column.name for column in missing if not column.nullable]
    if required:
        raise IncompatibleTableError(
            f"Table {table.name} exists without the required column(s) {', '.join(required)}: "
            "it was not made by this project, or by a version too old to upgrade in place. "
            "Rename or drop it (after a backup) and run again to recreate it."
        )
    preparer = connection.dialect.identifier_preparer
    for column in missing:
        definition = CreateColumn(column).compile(dialect=connection.dialect)
        connection.execute(
            sa.text(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {definition}")
        )
    return [column.name for column in missing]


def create_working_table(
    connection: sa.Connection, table: sa.Table, *, if_not_exists: bool = False
) -> None:
    """A load's working table (a staging or temporary table the load defines), with its
    indexes, in the caller's transaction."""
    connection.execute(CreateTable(table, if_not_exists=if_not_exists))
    for index in table.indexes:
        connection.execute(CreateIndex(index, if_not_exists=if_not_exists))


# The change log's triggers (`schemas.change_log`; why triggers: `resources.dashboard.change_log`).


def _existing_triggers(connection: sa.Connection, schema: str | None) -> set[str]:
    if connection.dialect.name == "sqlite":
        query = sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return set(connection.execute(query).scalars())
    query = sa.text(
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE NOT t.tgisinternal AND n.nspname = coalesce(:schema, current_schema())"
    )
    return set(connection.execute(query, {"schema": schema}).scalars())


def _quoted(connection: sa.Connection, schema: str | None, name: str) -> str:
    preparer = connection.dialect.identifier_preparer
    quoted = preparer.quote(name)
    return f"{preparer.quote_schema(schema)}.{quoted}" if schema else quoted


def _literal(text: str) -> str:
    """An SQL string literal of one of the change log's own names (no quotes in them)."""
    return f"'{text}'"


def _sqlite_triggers(connection: sa.Connection, schema: str | None, watch: Watch) -> list[str]:
    log, table = _quoted(connection, schema, LOG), _quoted(connection, schema, watch.table)

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
        f'CREATE TRIGGER IF NOT EXISTS "{trigger_name(watch.table, event)}" '
        f"AFTER {event.upper()} ON {table} BEGIN "
        f"INSERT INTO {log} (consumer, kind, subject) "
        "SELECT DISTINCT column1, column2, column3 FROM (VALUES "
        + ", ".join(value for row in rows[event] for value in values(row))
        + f") AS v WHERE column3 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {log} l "
        "WHERE l.consumer = v.column1 AND l.kind = v.column2 AND l.subject = v.column3); END"
        for event in EVENTS
    ]


def _postgresql_triggers(connection: sa.Connection, schema: str | None, watch: Watch) -> list[str]:
    log, table = _quoted(connection, schema, LOG), _quoted(connection, schema, watch.table)
    function = _quoted(connection, schema, f"{TRIGGER_FUNCTION_PREFIX}{watch.table}")
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
            f'CREATE OR REPLACE TRIGGER "{trigger_name(watch.table, event)}" '
            f"AFTER {event.upper()} ON {table} {transition[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            for event in EVENTS
        ),
    ]


def _log_everything(connection: sa.Connection, schema: str | None, consumers: set[str]) -> None:
    log = define_table(sa.MetaData(schema=schema), DASHBOARD_TABLES[LOG])
    rows = [{"consumer": c, "kind": EVERYTHING, "subject": ""} for c in sorted(consumers)]
    if rows:
        connection.execute(sa.delete(log).where(log.c.consumer.in_(consumers)))
        connection.execute(sa.insert(log), rows)


def install_triggers(connection: sa.Connection, schema: str | None) -> None:
    """In the caller's transaction: creates the change log's triggers that are missing (on the
    optional tables, once they exist). What changed before a table's triggers existed is
    unknown, so its consumers get `everything` logged: they recalculate in full once."""
    existing = _existing_triggers(connection, schema)
    if all({trigger_name(watch.table, event) for event in EVENTS} <= existing for watch in WATCHES):
        return
    serialise_ddl(connection)
    existing = _existing_triggers(connection, schema)  # another process may have made them
    inspector = sa.inspect(connection)
    build = _sqlite_triggers if connection.dialect.name == "sqlite" else _postgresql_triggers
    unknown: set[str] = set()
    for watch in WATCHES:
        if {trigger_name(watch.table, event) for event in EVENTS} <= existing:
            continue
        if watch.optional and not inspector.has_table(watch.table, schema=schema):
            continue
        for statement in build(connection, schema, watch):
            connection.exec_driver_sql(statement)
        unknown.update(watch.consumers)
    _log_everything(connection, schema, unknown)


# Sites: moving a single-site warehouse into its site, and the cross-site views
# (`resources.warehouse.sites` says where a site's tables live).


def adopt_single_site_warehouse(url: str, base_schema: str | None, site: str) -> list[str]:
    """Moves the project's tables from the base place to the site's, if the base place has any;
    returns the names moved (none: nothing to adopt). Refuses, changing nothing, when both
    places hold tables: which of them is the site's is the user's call.

    On PostgreSQL `ALTER TABLE ... SET SCHEMA` in one transaction (the change log's trigger
    functions are dropped with it and recreated in the site's schema on next use, which makes
    the next seat calculation a full one); on SQLite the file is renamed after its write-ahead
    log is folded in."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _adopt_sqlite(parsed, sa.make_url(site_location(url, base_schema, site)[0]), site)
    return _adopt_postgresql(parsed, base_schema, site)


def _conflict(site: str, base: str, target: str) -> WarehouseError:
    return WarehouseError(
        f"site '{site}': the single-site warehouse in {base} and the site's own tables in "
        f"{target} both exist; keep one (drop or rename the other) and start again"
    )


def _adopt_postgresql(url: sa.URL, base_schema: str | None, site: str) -> list[str]:
    target = site_schema(base_schema, site)
    engine = create_engine(url)
    try:
        with transaction(engine, write=True) as connection:
            serialise_ddl(connection)
            base = base_schema or connection.execute(sa.text("SELECT current_schema()")).scalar()
            moving = project_tables(connection, base)
            if not moving:
                return []
            inspector = sa.inspect(connection)
            if inspector.has_schema(target) and project_tables(connection, target):
                raise _conflict(site, f"schema {base}", f"schema {target}")
            preparer = connection.dialect.identifier_preparer
            connection.execute(CreateSchema(target, if_not_exists=True))
            _drop_change_log_functions(connection, base)
            for name in moving:
                connection.exec_driver_sql(
                    f"ALTER TABLE {preparer.quote(base)}.{preparer.quote(name)} "
                    f"SET SCHEMA {preparer.quote(target)}"
                )
            return moving
    finally:
        engine.dispose()


def _drop_change_log_functions(connection: sa.Connection, schema: str) -> None:
    """The trigger functions name tables unqualified in the schema they were made for, so they
    cannot move with them."""
    functions = connection.execute(
        sa.text(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = :schema AND p.proname LIKE :prefix"
        ),
        {"schema": schema, "prefix": f"{TRIGGER_FUNCTION_PREFIX}%"},
    ).scalars()
    preparer = connection.dialect.identifier_preparer
    for name in list(functions):
        connection.exec_driver_sql(
            f"DROP FUNCTION {preparer.quote(schema)}.{preparer.quote(name)}() CASCADE"
        )


def _adopt_sqlite(base_url: sa.URL, site_url: sa.URL, site: str) -> list[str]:
    base, target = sqlite_file(base_url), sqlite_file(site_url)
    if not base.exists():
        return []
    engine = create_engine(base_url)
    try:
        with transaction(engine, write=False) as connection:
            moving = project_tables(connection, None)
        if not moving:
            return []
        if target.exists():
            raise _conflict(site, str(base), str(target))
    finally:
        engine.dispose()
    # Fold the write-ahead log into the file and stop using one, so that the file alone holds
    # every committed transaction when it is renamed (outside any transaction: sqlite3's own
    # autocommit connection, not the warehouse engine's).
    connection = sqlite3.connect(base, isolation_level=None)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.OperationalError:
        raise WarehouseError(
            f"site '{site}': cannot move {base} to {target} while another process has it open "
            "(the UI, the daemon or the webhook receiver): stop them and start again"
        ) from None
    finally:
        connection.close()
    os.replace(base, target)
    for suffix in SQLITE_SIDE_FILES:
        Path(f"{base}{suffix}").unlink(missing_ok=True)
    return moving


def refresh_cross_site_views(url: str, base_schema: str | None, sites: list[str]) -> list[str]:
    """On PostgreSQL, (re)creates a view per project table in the cross-site schema: the union
    of every site's table that exists, with the site's name as column `site` first; returns
    the views made. Columns are taken by name from the first site's table, so a site whose
    table lacks one of them (an older column set) is left out of that view until its schema
    is brought up to date. SQLite cannot keep a view over several files: nothing is made
    there."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return []
    engine = create_engine(parsed)
    try:
        with transaction(engine, write=True) as connection:
            serialise_ddl(connection)
            return _create_views(connection, base_schema, sites)
    finally:
        engine.dispose()


def _create_views(
    connection: sa.Connection, base_schema: str | None, sites: list[str]
) -> list[str]:
    inspector = sa.inspect(connection)
    quote = connection.dialect.identifier_preparer.quote
    columns_of: dict[str, dict[str, list[str]]] = {}
    for site in sites:
        schema = site_schema(base_schema, site)
        if not inspector.has_schema(schema):
            continue
        for table in project_tables(connection, schema):
            if "__" in table:  # staging and resume tables of a load in progress
                continue
            names = [column["name"] for column in inspector.get_columns(table, schema=schema)]
            columns_of.setdefault(table, {})[site] = names
    views = cross_site_schema(base_schema)
    connection.execute(CreateSchema(views, if_not_exists=True))
    for table, by_site in sorted(columns_of.items()):
        columns = next(iter(by_site.values()))
        selects = [
            # A site's name is checked (`checked_site`) and every identifier quoted.
            f"SELECT '{checked_site(site)}'::text AS site, "
            f"{', '.join(quote(c) for c in columns)} "
            f"FROM {quote(site_schema(base_schema, site))}.{quote(table)}"
            for site, present in by_site.items()
            if set(columns) <= set(present)
        ]
        connection.exec_driver_sql(f"DROP VIEW IF EXISTS {quote(views)}.{quote(table)}")
        connection.exec_driver_sql(
            f"CREATE VIEW {quote(views)}.{quote(table)} AS " + " UNION ALL ".join(selects)
        )
    return sorted(columns_of)
