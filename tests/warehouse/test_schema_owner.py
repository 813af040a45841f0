"""The schema has one owner: `resources.warehouse.migrate` issues every CREATE and ALTER, and
creates everything the project declares on an empty database, as often as it is run."""

import ast
import re
from pathlib import Path

import sqlalchemy as sa

from resources.warehouse.ddl import index_is_for
from resources.warehouse.engine import create_engine, transaction
from resources.warehouse.migrate import create_schema, schema_tables
from schemas.change_log import EVENTS, LOG, WATCHES, trigger_name

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("schemas", "resources", "assets", "receiver", "pipelines")
OWNER = Path("resources/warehouse/migrate.py")
NOT_THE_WAREHOUSE = {
    Path("pipelines/commands/deploy_databases.py"): "CREATE DATABASE: the deployment's databases "
    "on the server (Dagster's storage among them), made before any schema is",
}
"""Files that issue DDL of something other than the warehouse's schema, and why."""

DDL_CONSTRUCTS = {"CreateTable", "CreateIndex", "CreateSchema", "CreateColumn", "DDL"}
DDL_METHODS = {"create", "create_all"}
DDL_TEXT = re.compile(
    r"\b(CREATE|ALTER)\s+(OR\s+REPLACE\s+)?(UNIQUE\s+)?(TEMP\w*\s+)?"
    r"(TABLE|INDEX|VIEW|SCHEMA|TRIGGER|FUNCTION)\b",
    re.IGNORECASE,
)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string nodes that are docstrings (prose, not statements)."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for statement, following in zip(body, [None, *body], strict=False):
                # A module's, class's or function's first statement, or the string after an
                # assignment (an attribute's docstring).
                if (
                    isinstance(statement, ast.Expr)
                    and isinstance(statement.value, ast.Constant)
                    and isinstance(statement.value.value, str)
                    and (following is None or isinstance(following, ast.Assign | ast.AnnAssign))
                ):
                    found.add(id(statement.value))
    return found


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def ddl_in(source: str) -> list[tuple[int, str]]:
    """Where the source issues DDL: a SQLAlchemy DDL construct or `.create(...)`, or SQL text
    that creates or alters a table, index, view, schema, trigger or function."""
    tree = ast.parse(source)
    prose = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = _name(node.func)
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            if called in DDL_CONSTRUCTS or (
                called in DDL_METHODS and receiver is not None and _name(receiver) != "URL"
            ):
                found.append((node.lineno, f"{called}(...)"))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in prose
            and DDL_TEXT.search(node.value)
        ):
            found.append((node.lineno, node.value.strip()[:60]))
    return sorted(found)


def test_the_detector_finds_each_kind_of_ddl():
    source = (
        '"""CREATE TABLE in a docstring is prose."""\n'
        "connection.execute(CreateTable(table))\n"
        "sa.Index('ix', column).create(connection)\n"
        "connection.exec_driver_sql(f'CREATE OR REPLACE TRIGGER {name} AFTER INSERT')\n"
        "connection.exec_driver_sql('alter table t add column c')\n"
        "event.listen(table, 'after_create', DDL('CREATE VIEW v AS SELECT 1'))\n"
        "metadata.create_all(engine)\n"
        "sa.URL.create('sqlite')\n"
    )
    assert [line for line, _ in ddl_in(source)] == [2, 3, 4, 5, 6, 6, 7]


def test_only_the_schema_owner_issues_ddl():
    offenders = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative == OWNER or relative in NOT_THE_WAREHOUSE:
                continue
            offenders += [f"{relative}:{line}: {what}" for line, what in ddl_in(path.read_text())]
    assert offenders == [], "DDL outside resources/warehouse/migrate.py:\n" + "\n".join(offenders)


def test_the_owner_issues_ddl():
    """The scan above would pass on a module it cannot read: it reads the owner's DDL."""
    assert len(ddl_in((ROOT / OWNER).read_text())) >= 8


def _catalogue(engine: sa.Engine, schema: str | None) -> dict[str, set[str]]:
    """Every table, index and trigger the database holds (in `schema` on PostgreSQL)."""
    with transaction(engine, write=False) as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.execute(
                sa.text("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
            ).all()
            kinds: dict[str, set[str]] = {}
            for kind, name in rows:
                kinds.setdefault(kind, set()).add(name)
            return {kind: kinds.get(kind, set()) for kind in ("table", "index", "trigger")}
        where = {"schema": schema}
        return {
            "table": set(
                connection.execute(
                    sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"), where
                ).scalars()
            ),
            "index": set(
                connection.execute(
                    sa.text("SELECT indexname FROM pg_indexes WHERE schemaname = :schema"), where
                ).scalars()
            ),
            "trigger": set(
                connection.execute(
                    sa.text(
                        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE NOT t.tgisinternal AND n.nspname = :schema"
                    ),
                    where,
                ).scalars()
            ),
        }


def test_create_schema_makes_everything_declared_and_can_run_again(warehouse_url):
    engine = create_engine(sa.make_url(warehouse_url))
    try:
        # On PostgreSQL both the default schema and a named one (a site's).
        schemas = [None] if engine.dialect.name == "sqlite" else [None, "site_acme"]
        for schema in schemas:
            _creates_everything_twice(engine, schema)
    finally:
        engine.dispose()


def _creates_everything_twice(engine: sa.Engine, schema: str | None) -> None:
    dialect = engine.dialect.name
    where = schema or ("public" if dialect == "postgresql" else None)
    create_schema(engine, schema)
    first = _catalogue(engine, where)
    tables = schema_tables(schema)
    assert {table.name for table in tables} <= first["table"]
    declared = {
        index.name for table in tables for index in table.indexes if index_is_for(index, dialect)
    }
    assert declared <= first["index"]
    assert "ix_thinkific_users_normalised_email" in declared  # an expression index
    assert "ix_thinkific_enrollments_expiry_date" in declared  # a partial one
    assert ("ix_thinkific_enrollments_user_course" in declared) == (dialect == "sqlite")
    triggers = {trigger_name(watch.table, event) for watch in WATCHES for event in EVENTS}
    assert triggers <= first["trigger"]

    log = next(table for table in tables if table.name == LOG)
    with transaction(engine, write=True) as connection:
        connection.execute(sa.delete(log))  # what installing the triggers logged
    create_schema(engine, schema)
    assert _catalogue(engine, where) == first
    with transaction(engine, write=False) as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(log)).scalar() == 0
