"""A frame's rows as the database drivers take them, converted column by column.

Converting whole columns at once (numpy and C string methods) costs a fraction of
`DataFrame.astype(object).to_dict("records")`, whose per-row dicts and per-value pandas
Timestamps cost more than writing the rows. Bulk loads convert a batch of rows at a time
(`batches`), so a million rows never exist as sixteen million Python objects at once.

- `plain_rows` / `plain_records`: plain Python values (None for every kind of null), for any
  driver or SQLAlchemy statement.
- `sqlite_rows` / `sqlite_values`: values as SQLite stores them, for sqlite3's executemany with
  no SQLAlchemy type processing per value: timestamps as the text SQLAlchemy's SQLite dialect
  writes (the UTC time, `YYYY-MM-DD HH:MM:SS.ffffff`), so a row written either way compares
  equal.
- `copy_text`: rows in PostgreSQL COPY's text format, one string per batch, so psycopg adapts
  no value one by one; `copy_text_of_lists` the same for rows given as lists of Python values
  (an upload's staged rows), without the round trip through a frame.
"""

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

COPY_NULL = "\\N"
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
_JOINED = "\x00"
"""Joins a batch's text values to escape them in one pass: no PostgreSQL text holds it."""


def batches(frame: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    """The frame in consecutive slices of at most `rows` rows."""
    for start in range(0, len(frame), rows):
        yield frame.iloc[start : start + rows]


def plain_rows(frame: pd.DataFrame, names: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """The frame's rows as tuples in `names` order."""
    return zip(*(_plain_column(frame[name]) for name in names), strict=True)


def plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as dicts keyed by column name."""
    names = list(frame.columns)
    return [dict(zip(names, row, strict=True)) for row in plain_rows(frame, names)]


def sqlite_rows(frame: pd.DataFrame, names: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """The frame's rows as tuples in `names` order, each value as SQLite stores it."""
    return zip(*(sqlite_values(frame[name]) for name in names), strict=True)


def copy_text(frame: pd.DataFrame, names: Sequence[str]) -> str:
    """The frame's rows in PostgreSQL COPY's text format, columns in `names` order: tab
    between values, a newline after each row, \\N for NULL, backslash escapes in text."""
    if frame.empty:
        return ""
    columns = [_copy_column(frame[name]) for name in names]
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


def copy_text_of_lists(columns: Sequence[list[Any]]) -> str:
    """Rows given as one list per column (text, numbers, booleans; None for NULL) in COPY's
    text format, as `copy_text` writes them. Values other than text are written by `str`,
    which PostgreSQL reads back (`12`, `True`)."""
    if not len(columns[0]):
        return ""
    fields = [_copy_values(values) for values in columns]
    return "\n".join(map("\t".join, zip(*fields, strict=True))) + "\n"


def _copy_values(values: list[Any]) -> list[str]:
    texts = _escaped_text(
        [
            value if value.__class__ is str else "" if value is None else str(value)
            for value in values
        ]
    )
    if None in values:
        for position, value in enumerate(values):
            if value is None:
                texts[position] = COPY_NULL
    return texts


def _plain_column(column: pd.Series) -> np.ndarray:
    """The column's values as Python objects: timezone-aware timestamps as `datetime`s (not
    pandas Timestamps), nulls as None."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        values = column.array.to_pydatetime().astype(object)
        values[column.isna().to_numpy()] = None
        return values
    return column.to_numpy(dtype=object, na_value=None)


def _timestamp_text(column: pd.Series, separator: str, zone: str) -> np.ndarray:
    """The UTC times of a timestamp column as ISO text to the microsecond (object array; the
    text of a null is meaningless): `2024-05-06<separator>07:08:09.123456<zone>`."""
    utc = column.dt.tz_convert("UTC").to_numpy(dtype="datetime64[us]")
    text = np.datetime_as_string(utc, unit="us")  # 2024-05-06T07:08:09.123456
    if separator != "T":  # overwrite the T in place, through a view of the characters
        text.view(np.uint32).reshape(len(text), -1)[:, 10] = ord(separator)
    values = text.astype(object)
    return values + zone if zone else values


def sqlite_values(column: pd.Series) -> list[Any]:
    """The column's values as SQLite stores them, Python objects sqlite3 binds as they are:
    timestamps as SQLAlchemy's SQLite text, nulls as None."""
    if not isinstance(column.dtype, pd.DatetimeTZDtype):
        return column.to_numpy(dtype=object, na_value=None).tolist()
    missing = column.isna().to_numpy()
    if missing.all():
        return [None] * len(column)
    values = _timestamp_text(column, " ", "")
    if missing.any():
        values[missing] = None
    return values.tolist()


def _copy_column(column: pd.Series) -> list[str]:
    """The column's values as COPY text fields."""
    missing = column.isna().to_numpy()
    if missing.all():
        return [COPY_NULL] * len(column)
    dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        values = _timestamp_text(column, " ", "+00").tolist()
    elif pd.api.types.is_bool_dtype(dtype):
        flags = column.to_numpy(dtype=bool, na_value=False)
        values = np.where(flags, "t", "f").astype(object).tolist()
    elif pd.api.types.is_integer_dtype(dtype):
        values = list(map(str, column.to_numpy(dtype="int64", na_value=0).tolist()))
    elif pd.api.types.is_float_dtype(dtype):
        # repr: the shortest text that reads back as the same float (nan, inf as PostgreSQL
        # reads them too).
        values = list(map(repr, column.to_numpy(dtype="float64", na_value=0.0).tolist()))
    else:
        texts = column.to_numpy(dtype=object, na_value="").tolist()
        if not isinstance(dtype, pd.StringDtype):
            texts = list(map(str, texts))
        values = _escaped_text(texts)
    for position in np.flatnonzero(missing).tolist():
        values[position] = COPY_NULL
    return values


def _escaped_text(values: list[str]) -> list[str]:
    """Text values with COPY's backslash escapes, escaped as one joined string."""
    joined = _JOINED.join(values)
    if joined.count(_JOINED) != len(values) - 1:
        raise ValueError("PostgreSQL text cannot hold the NUL character")
    if not any(special in joined for special, _ in _COPY_ESCAPES):
        return values  # the common case: nothing to escape
    for special, escaped in _COPY_ESCAPES:
        joined = joined.replace(special, escaped)
    return joined.split(_JOINED)
