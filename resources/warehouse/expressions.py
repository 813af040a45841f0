"""SQL expressions the warehouse's DDL shares with the queries that use them: an index of an
expression is only used by a query that spells the expression the same way.
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from schemas.dashboard import WHITESPACE


class normalised(FunctionElement[str]):
    """`schemas.dashboard.normalised` in SQL: trimmed of the same whitespace, lower case.

    SQLite spells two-argument trim `trim(x, chars)`, PostgreSQL `btrim(x, chars)`. The
    characters are rendered inline, so that the same expression in a SELECT and its GROUP BY
    reads as the same expression to PostgreSQL (two bind parameters would not).
    """

    type = sa.Text()
    inherit_cache = True


def _whitespace() -> sa.BindParameter[str]:
    return sa.bindparam(None, WHITESPACE, type_=sa.Text(), literal_execute=True)


@compiles(normalised, "sqlite")
def _normalised_sqlite(element: normalised, compiler: Any, **kw: Any) -> str:
    (text,) = element.clauses
    return compiler.process(sa.func.lower(sa.func.trim(text, _whitespace())), **kw)


@compiles(normalised, "postgresql")
def _normalised_postgresql(element: normalised, compiler: Any, **kw: Any) -> str:
    (text,) = element.clauses
    return compiler.process(sa.func.lower(sa.func.btrim(text, _whitespace())), **kw)
