"""A columnar table in numpy arrays: the storage of every simulated resource.

Rows are kept in ascending id order, which is also the order the API lists them in. Deletes only
clear a row's `alive` flag (ids are never reused); inserts append with amortised doubling of the
arrays, or, for an id below the current maximum (the page-drift fault), shift the arrays.
Numeric columns keep a million enrollments in about 80 MB; object columns hold Python
values (strings drawn from shared pools cost one pointer per row) and nested lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

import numpy as np

from simulator.timestamps import NULL_MS


class Kind(Enum):
    """How a column is stored and which stored value stands for null."""

    INT = "int"  # int64, never null (ids, foreign keys, positions)
    TIMESTAMP = "timestamp"  # int64 epoch milliseconds, NULL_MS for null
    FLOAT = "float"  # NaN for null
    BOOL = "bool"
    FLAGS = "flags"  # a uint8 bitmask
    OBJECT = "object"  # any Python value, None for null

    @property
    def dtype(self) -> np.dtype:
        return _DTYPES[self]

    @property
    def empty(self) -> Any:
        """The stored value of a column that a new row does not give."""
        return _EMPTY[self]

    def to_python(self, values: np.ndarray) -> list[Any]:
        """Stored values as plain Python values, nulls as None."""
        if self is Kind.TIMESTAMP:
            return [None if v == NULL_MS else v for v in values.tolist()]
        if self is Kind.FLOAT:
            return [None if v != v else v for v in values.tolist()]  # NaN is the only v != v
        return values.tolist()

    def to_stored(self, value: Any) -> Any:
        """A Python value (None for null) as the column stores it."""
        return self.empty if value is None else value


_DTYPES = {
    Kind.INT: np.dtype(np.int64),
    Kind.TIMESTAMP: np.dtype(np.int64),
    Kind.FLOAT: np.dtype(np.float64),
    Kind.BOOL: np.dtype(np.bool_),
    Kind.FLAGS: np.dtype(np.uint8),
    Kind.OBJECT: np.dtype(object),
}
_EMPTY = {
    Kind.INT: 0,
    Kind.TIMESTAMP: NULL_MS,
    Kind.FLOAT: np.nan,
    Kind.BOOL: False,
    Kind.FLAGS: 0,
    Kind.OBJECT: None,
}


class Table:
    """Columns of equal length, one row per record, `id` ascending, with an `alive` mask."""

    def __init__(self, schema: Mapping[str, Kind], columns: Mapping[str, np.ndarray]) -> None:
        """`columns` must hold every column of `schema`, with `id` strictly ascending."""
        self.schema: dict[str, Kind] = {"id": Kind.INT, **schema, "alive": Kind.BOOL}
        size = len(columns["id"])
        self._size = size
        self._data: dict[str, np.ndarray] = {}
        for name, kind in self.schema.items():
            if name == "alive":
                self._data[name] = np.ones(size, dtype=np.bool_)
                continue
            column = np.asarray(columns[name])
            if kind is Kind.OBJECT and column.dtype != object:
                column = object_array(column.tolist())
            self._data[name] = column.astype(kind.dtype, copy=False)
            if len(column) != size:
                raise ValueError(f"column {name} has {len(column)} rows, id has {size}")
        if size > 1 and not np.all(np.diff(self._data["id"]) > 0):
            raise ValueError("ids must be strictly ascending")

    def __len__(self) -> int:
        """Rows ever stored, dead ones included."""
        return self._size

    def column(self, name: str) -> np.ndarray:
        """A read-only view of one column (dead rows included), for vectorised filters."""
        view = self._data[name][: self._size]
        view.flags.writeable = False
        return view

    @property
    def ids(self) -> np.ndarray:
        return self.column("id")

    @property
    def alive(self) -> np.ndarray:
        return self.column("alive")

    def live_rows(self) -> np.ndarray:
        """Row positions of the records that exist, in id order."""
        return np.flatnonzero(self.alive)

    def live_count(self) -> int:
        return int(np.count_nonzero(self.alive))

    def max_id(self) -> int:
        """The largest id ever stored (0 when empty): new ids go above it."""
        return int(self._data["id"][self._size - 1]) if self._size else 0

    def min_id(self) -> int:
        """The smallest id ever stored (0 when empty)."""
        return int(self._data["id"][0]) if self._size else 0

    def row_of(self, record_id: Any, include_dead: bool = False) -> int | None:
        """The row position of `record_id`, or None when no such (live) record exists."""
        try:
            record_id = int(record_id)
        except (TypeError, ValueError):
            return None
        ids = self.ids
        row = int(np.searchsorted(ids, record_id))
        if row == self._size or ids[row] != record_id:
            return None
        if not include_dead and not self._data["alive"][row]:
            return None
        return row

    def rows_of(self, record_ids: np.ndarray) -> np.ndarray:
        """Row positions of ids known to be stored (dead rows included), vectorised."""
        return np.searchsorted(self.ids, record_ids)

    def get(self, row: int, name: str) -> Any:
        """One value as plain Python, null as None."""
        return self.schema[name].to_python(self._data[name][row : row + 1])[0]

    def records(self, rows: Iterable[int] | np.ndarray, names: Iterable[str]) -> list[dict]:
        """Rows as dicts of plain Python values, converted column by column."""
        rows = np.asarray(rows, dtype=np.intp)
        names = list(names)
        values = [self.schema[n].to_python(self._data[n][: self._size][rows]) for n in names]
        return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]

    def set(self, row: int, name: str, value: Any) -> None:
        """Overwrite one value (None stores the column's null)."""
        if name in ("id", "alive"):
            raise ValueError(f"{name} cannot be set directly")
        self._data[name][row] = self.schema[name].to_stored(value)

    def kill(self, rows: np.ndarray | int) -> None:
        """Mark rows deleted: they stop appearing but their id is never reused."""
        self._data["alive"][rows] = False

    def insert(self, values: Mapping[str, Any]) -> int:
        """Store one record (values by column name; `id` required) and return its row."""
        unknown = set(values) - set(self.schema)
        if unknown:
            raise ValueError(f"unknown columns: {sorted(unknown)}")
        record_id = int(values["id"])
        if self.row_of(record_id, include_dead=True) is not None:
            raise ValueError(f"id {record_id} is already taken")
        row_values = {
            name: kind.to_stored(values.get(name)) for name, kind in self.schema.items()
        } | {"id": record_id, "alive": True}
        if record_id > self.max_id():
            return self._append(row_values)
        return self._insert_before(int(np.searchsorted(self.ids, record_id)), row_values)

    def _append(self, row_values: Mapping[str, Any]) -> int:
        if self._size == len(self._data["id"]):
            capacity = max(16, 2 * self._size)
            for name, column in self._data.items():
                grown = np.empty(capacity, dtype=column.dtype)
                grown[: self._size] = column[: self._size]
                self._data[name] = grown
        row = self._size
        for name, value in row_values.items():
            self._data[name][row] = value
        self._size += 1
        return row

    def _insert_before(self, row: int, row_values: Mapping[str, Any]) -> int:
        for name, value in row_values.items():
            column = self._data[name][: self._size]
            self._data[name] = np.insert(column, row, _one_value_array(value, column.dtype))
        self._size += 1
        return row


def object_array(values: list[Any]) -> np.ndarray:
    """A 1-d object array even when the values are lists (numpy would make them a 2-d array)."""
    return np.fromiter(values, dtype=object, count=len(values))


def _one_value_array(value: Any, dtype: np.dtype) -> np.ndarray:
    """A one-element array holding `value` as is, even when it is a list."""
    array = np.empty(1, dtype=dtype)
    array[0] = value
    return array
