"""PostgreSQL loads go through COPY: no row-by-row INSERT, text comes back byte for byte, and
the temporary batch table is gone with its transaction."""

import pandas as pd
import pytest
import sqlalchemy as sa

from resources.warehouse import WarehouseResource
from resources.warehouse.merge import LoadResult
from tests.warehouse.frames import emails, users

AWKWARD_TEXT = {
    1: "tab\there@x.io",
    2: "new\nline@x.io",
    3: "back\\slash@x.io",
    4: "\\N",  # COPY's own spelling of NULL
    5: "",
    6: "NULL",
    7: "quote'\"@x.io",
    8: "ünïcødé-✓@x.io",
    9: "carriage\rreturn@x.io",
}


@pytest.fixture
def postgresql_warehouse(postgresql_url):
    warehouse = WarehouseResource(url=postgresql_url)
    yield warehouse
    warehouse.dispose()


def _statements(engine: sa.Engine) -> list[tuple[str, bool]]:
    """Every statement SQLAlchemy sends from now on, with whether it was an executemany."""
    sent: list[tuple[str, bool]] = []

    def record(_conn, _cursor, statement, _parameters, _context, executemany) -> None:
        sent.append((statement, executemany))

    sa.event.listen(engine, "before_cursor_execute", record)
    return sent


@pytest.mark.postgres
def test_postgresql_upsert_copies_into_its_staging_table_and_merges_with_one_insert(
    postgresql_warehouse,
):
    postgresql_warehouse.ensure_tables("thinkific_users")
    sent = _statements(postgresql_warehouse.engine)

    result = postgresql_warehouse.upsert(
        "thinkific_users", users({n: f"{n}@x.io" for n in range(1, 1001)})
    )

    inserts = [statement for statement, _ in sent if statement.lstrip().startswith("INSERT")]
    assert result == LoadResult(inserted=1000)
    assert not [statement for statement, executemany in sent if executemany]
    assert len(inserts) == 1  # staging -> target; the rows reached staging by COPY
    assert "__upsert_" in inserts[0]


@pytest.mark.postgres
def test_postgresql_snapshot_pages_are_copied_then_merged_into_staging(postgresql_warehouse):
    with postgresql_warehouse.snapshot("thinkific_users") as loader:
        sent = _statements(postgresql_warehouse.engine)
        loader.append(users({n: f"{n}@x.io" for n in range(1, 1001)}))
        inserts = [s for s, _ in sent if s.lstrip().startswith("INSERT")]
        loader.commit()

    assert not [statement for statement, executemany in sent if executemany]
    assert len(inserts) == 1  # batch -> staging; the rows reached the batch by COPY
    assert "__batch_" in inserts[0]


def test_text_that_copy_escapes_comes_back_unchanged(warehouse):
    warehouse.upsert("thinkific_users", users(AWKWARD_TEXT))

    assert emails(warehouse) == AWKWARD_TEXT


def test_nulls_and_empty_text_stay_apart(warehouse):
    frame = users({1: "a@x.io", 2: "b@x.io"})
    frame["company"] = pd.array([None, ""], dtype="string")

    warehouse.upsert("thinkific_users", frame)

    stored = warehouse.read_frame("thinkific_users")["company"]
    assert stored.isna().tolist() == [True, False]
    assert stored.iloc[1] == ""


@pytest.mark.postgres
def test_no_batch_table_outlives_the_transaction_that_loaded_it(postgresql_warehouse):
    with postgresql_warehouse.snapshot("thinkific_users") as loader:
        loader.append(users({1: "a@x.io"}))
        loader.append(users({2: "b@x.io"}))
        loader.commit()

    # The pool keeps the loading session open: a temporary table left in it would still be listed.
    with postgresql_warehouse.engine.connect() as connection:
        leftovers = connection.exec_driver_sql(
            "SELECT relname FROM pg_class WHERE relpersistence = 't' AND relname LIKE %(batch)s",
            {"batch": "%\\_\\_batch\\_%"},
        ).all()
    assert leftovers == []
    assert emails(postgresql_warehouse) == {1: "a@x.io", 2: "b@x.io"}
