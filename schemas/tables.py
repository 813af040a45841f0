"""How a warehouse table is described, and how raw API records become a validated frame of it.

A table is a pandera `DataFrameModel` (column names, pandas types, nullability, checks) plus a
`TableSpec` (name, primary key, soft deletes, indexes: `IndexSpec`). Each column's description
(what its value means, for the data dictionary) and how it is read from an API record are
declared next to it, as Field arguments set by the helpers below:

- `json_array()`: an array (or array of objects) stored as JSON text; a null array becomes "[]".
- `READ_FROM`: other keys, or dotted paths into nested objects, read when the field's own key is
  absent (a spec key spelled `"created at"`, a webhook's `free_trial` or nested `user.id`).
- `PERCENT_STRINGS`: a string is a percentage (0-100) and is divided by 100; a number is already
  a fraction.

`records_to_frame` reads each column from each record, coerces the known variants (ids as `1.0`,
numbers as strings, ISO timestamps with or without milliseconds, `Z` or an offset), ignores
unknown keys, validates lazily, and reports every failing value at once as a
`RecordValidationError`. `records_to_rows` does the same for a few records at a time, as plain
rows, without pandera's cost per call (for models that check only types and nullability).
`carried_columns` tells the columns a record carries from those it leaves out.
"""

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import pandas as pd
import pandera.errors
import pandera.pandas as pa

JSON_ARRAY = "json_array"
READ_FROM = "read_from"
PERCENT_STRINGS = "percent_strings"


def key(description: str) -> Any:
    """A primary-key or foreign-key column: never null."""
    return pa.Field(nullable=False, description=description)


def optional(description: str, *read_from: str) -> Any:
    """A column the API may leave null or out, optionally also read from other keys."""
    return pa.Field(nullable=True, description=description, metadata=_read_from(read_from))


def required(description: str, *read_from: str) -> Any:
    """A column the data model relies on: a null fails validation."""
    return pa.Field(nullable=False, description=description, metadata=_read_from(read_from))


def _read_from(keys: tuple[str, ...]) -> dict[str, tuple[str, ...]] | None:
    return {READ_FROM: keys} if keys else None


def json_array(description: str) -> Any:
    """An array field kept as JSON text; never null because a null array is stored as "[]"."""
    return pa.Field(nullable=False, description=description, metadata={JSON_ARRAY: True})


def fraction_or_percent_string(description: str) -> Any:
    """A 0-1 fraction that may arrive as a number (a fraction) or a string (a percentage)."""
    return pa.Field(
        nullable=True,
        in_range={"min_value": 0, "max_value": 1},
        description=description,
        metadata={PERCENT_STRINGS: True},
    )


ColumnKind = Literal["integer", "number", "flag", "text", "json", "timestamp"]

_KIND_OF_DTYPE: tuple[tuple[type, ColumnKind], ...] = (
    (pd.Int64Dtype, "integer"),
    (pd.Float64Dtype, "number"),
    (pd.BooleanDtype, "flag"),
    (pd.StringDtype, "text"),
    (pd.DatetimeTZDtype, "timestamp"),
)


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a table, as the warehouse and the record reader need it."""

    name: str
    kind: ColumnKind
    nullable: bool
    description: str
    """What the value means, for whoever reads the table (the data dictionary)."""
    read_from: tuple[str, ...] = ()
    percent_strings: bool = False

    @classmethod
    def from_pandera(cls, name: str, column: pa.Column) -> "ColumnSpec":
        metadata = column.metadata or {}
        return cls(
            name=name,
            kind="json" if metadata.get(JSON_ARRAY) else _kind_of(column),
            nullable=column.nullable,
            description=column.description or "",
            read_from=tuple(metadata.get(READ_FROM, ())),
            percent_strings=bool(metadata.get(PERCENT_STRINGS)),
        )


def _kind_of(column: pa.Column) -> ColumnKind:
    dtype = column.dtype.type
    for dtype_class, kind in _KIND_OF_DTYPE:
        if isinstance(dtype, dtype_class):
            return kind
    raise TypeError(f"column {column.name}: no warehouse kind for dtype {dtype}")


SOFT_DELETE_COLUMN = ColumnSpec(
    "deleted_at",
    "timestamp",
    nullable=True,
    description="When the sync found the row gone from a complete read of Thinkific (UTC): "
    "the row is kept, marked deleted. Null on live rows; cleared when the row comes back. "
    "Filter on deleted_at IS NULL for what Thinkific has now.",
)
"""The column a `soft_delete` table gets besides its model's."""


@dataclass(frozen=True)
class IndexSpec:
    """An index of a table besides its key, declared with the table (`TableSpec.indexes`) when
    a plain tuple of column names does not say enough.

    `columns`: what is indexed, in order; a column also named in `normalised` is indexed as its
    normalised value (trimmed and lower-cased, as `schemas.dashboard.normalised`: an expression
    index). `where_not_null`: a partial index of the rows where that column is not null.
    `dialects`: made only on these databases (`sqlite`, `postgresql`); on every one when empty.
    `name`: `ix_<table>_<columns>` unless given.
    """

    columns: tuple[str, ...]
    name: str | None = None
    normalised: tuple[str, ...] = ()
    where_not_null: str | None = None
    dialects: tuple[str, ...] = ()

    def name_in(self, table: str) -> str:
        return self.name or f"ix_{table}_{'_'.join(self.columns)}"


@dataclass(frozen=True)
class TableSpec:
    """A warehouse table: its model (the columns), primary key, and what the DDL adds.

    `soft_delete`: the table gets a `deleted_at` column (`SOFT_DELETE_COLUMN`), set on rows
    missing from a complete snapshot and cleared when they come back (the Thinkific tables);
    without it rows are really deleted (the dashboard's). `numbered_by`: a leading column
    numbering the rows (an append-only log's order), which becomes the primary key while the
    spec's key stays unique. `indexes`: what to index besides the key, each a tuple of column
    names (named `ix_<table>_<columns>`) or an `IndexSpec` (an expression, a partial or a
    dialect's own index). `resources.warehouse.ddl.define_table` defines all of them, and
    `resources.warehouse.migrate` creates them with the table.
    """

    name: str
    model: type[pa.DataFrameModel]
    primary_key: tuple[str, ...]
    soft_delete: bool = True
    numbered_by: ColumnSpec | None = None
    indexes: tuple["tuple[str, ...] | IndexSpec", ...] = ()

    @property
    def index_specs(self) -> tuple[IndexSpec, ...]:
        """Every index of `indexes` as an `IndexSpec`."""
        return tuple(
            index if isinstance(index, IndexSpec) else IndexSpec(tuple(index))
            for index in self.indexes
        )

    @cached_property
    def columns(self) -> tuple[ColumnSpec, ...]:
        """The model's columns: what a record carries."""
        schema = self.model.to_schema()
        return tuple(ColumnSpec.from_pandera(name, col) for name, col in schema.columns.items())

    @property
    def table_columns(self) -> tuple[ColumnSpec, ...]:
        """Every column of the warehouse table, in order: the numbering column, the model's,
        then `deleted_at` where the table soft-deletes."""
        numbering = (self.numbered_by,) if self.numbered_by else ()
        deleted_at = (SOFT_DELETE_COLUMN,) if self.soft_delete else ()
        return (*numbering, *self.columns, *deleted_at)

    @property
    def row_key(self) -> tuple[str, ...]:
        """The column(s) of the table's primary key: the numbering column, else the spec's key."""
        return (self.numbered_by.name,) if self.numbered_by else self.primary_key

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def key_columns(self) -> list[ColumnSpec]:
        return [column for column in self.columns if column.name in self.primary_key]


@dataclass(frozen=True)
class ValueFailure:
    """One value that failed: its record (primary key, and position in the page), column,
    the check it failed and the value as received."""

    position: int | None
    record: str
    column: str
    check: str
    value: Any

    def __str__(self) -> str:
        return f"record {self.record}, column {self.column}: {self.check} (value {self.value!r})"


class RecordValidationError(ValueError):
    """A page of records did not fit its table; `failures` lists every failing value."""

    MAX_LISTED = 20

    def __init__(self, table_name: str, failures: list[ValueFailure]) -> None:
        self.table_name = table_name
        self.failures = failures
        lines = [f"{table_name}: {failure}" for failure in failures[: self.MAX_LISTED]]
        if len(failures) > self.MAX_LISTED:
            lines.append(f"{table_name}: ... and {len(failures) - self.MAX_LISTED} more failures")
        super().__init__("\n".join(lines))


class _Unreadable(ValueError):
    """A raw value that cannot be read as its column's kind; the message is the failed check."""


def _read_integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise _Unreadable("not an integer")


def _read_number(value: Any) -> float:
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            number = float(value)
        except ValueError:
            raise _Unreadable("not a number") from None
        if math.isfinite(number):
            return number
    raise _Unreadable("not a number")


def _read_percent_or_fraction(value: Any) -> float:
    """A string is a percentage (webhooks: "24.0" is 24 %), a number is a fraction (REST)."""
    return _read_number(value) / 100 if isinstance(value, str) else _read_number(value)


def _read_flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _Unreadable("not a boolean")


def _read_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _Unreadable("not text")


def _integral_floats_as_ints(value: Any) -> Any:
    """Ids inside arrays arrive as `1.0` or `1`: store one spelling so equal data compares equal."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral_floats_as_ints(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral_floats_as_ints(item) for key, item in value.items()}
    return value


def _read_json_array(value: Any) -> str:
    """An array as compact JSON text; JSON text of an array is accepted too (read back as is)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise _Unreadable("not an array") from None
    if not isinstance(value, list):
        raise _Unreadable("not an array")
    return json.dumps(_integral_floats_as_ints(value), ensure_ascii=False, separators=(",", ":"))


def _read_timestamp(value: Any) -> dt.datetime:
    """ISO 8601 with or without fractional seconds, `Z` or an offset; without a zone it is UTC."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _Unreadable("not a timestamp") from None
    if not isinstance(value, dt.datetime):
        raise _Unreadable("not a timestamp")
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


_READERS: dict[ColumnKind, Callable[[Any], Any]] = {
    "integer": _read_integer,
    "number": _read_number,
    "flag": _read_flag,
    "text": _read_text,
    "json": _read_json_array,
    "timestamp": _read_timestamp,
}


def _read_cell(column: ColumnSpec, raw: Any) -> Any:
    """The column's value read from the raw value; null stays null, except a null array is []."""
    if raw is None:
        return "[]" if column.kind == "json" else None
    reader = _read_percent_or_fraction if column.percent_strings else _READERS[column.kind]
    return reader(raw)


_MISSING = object()


def _lookup(record: Mapping[str, Any], key: str) -> Any:
    """The value under `key`, or under a dotted path into nested objects; _MISSING if absent."""
    if key in record:
        return record[key]
    value: Any = record
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def carried_columns(spec: TableSpec, record: Mapping[str, Any]) -> list[str]:
    """The columns a record carries, null included: those whose own key, or a key they are read
    from, is present. The others are absent from it, which is not the same as null (a webhook
    payload leaves out fields a REST record has)."""
    return [
        column.name
        for column in spec.columns
        if any(_lookup(record, key) is not _MISSING for key in (column.name, *column.read_from))
    ]


def read_integer(value: Any) -> int | None:
    """The value read as an integer id (`7`, `7.0`, `"7"`), None when it is not one."""
    try:
        return _read_integer(value)
    except _Unreadable:
        return None


def _raw_value(record: Mapping[str, Any], column: ColumnSpec) -> Any:
    """The column's value in the record: its own key, else the first alternative key present."""
    for key in (column.name, *column.read_from):
        value = _lookup(record, key)
        if value is not _MISSING:
            return value
    return None


def _record_label(spec: TableSpec, record: Mapping[str, Any], position: int) -> str:
    """The record's primary key as received (`id=17`), or its position when it has none."""
    key = {column.name: _raw_value(record, column) for column in spec.key_columns}
    if all(value is None for value in key.values()):
        return f"at position {position}"
    return ", ".join(f"{name}={_display_key(value)}" for name, value in key.items())


def _display_key(value: Any) -> Any:
    integer = read_integer(value)
    return repr(value) if integer is None else integer


VALIDATED_FOR = "validated_for_table"
"""`DataFrame.attrs` key naming the table whose model validated the frame."""


def records_to_frame(spec: TableSpec, records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Raw API records as a frame typed and validated by the table's model.

    Raises `RecordValidationError` naming every failing record (by primary key), column, check
    and value. No records give an empty frame with the table's columns and dtypes.
    """
    cells, failures = _read_records(spec, records)
    frame = pd.DataFrame(cells, dtype=object)
    try:
        validated = spec.model.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        failures += _check_failures(spec, records, errors.failure_cases, already=failures)
    _raise_failures(spec, failures)
    validated.attrs[VALIDATED_FOR] = spec.name
    return validated


INT64_RANGE = (-(2**63), 2**63 - 1)
TIMESTAMP_RANGE = tuple(
    moment.tz_localize("UTC").to_pydatetime()
    for moment in (pd.Timestamp.min.ceil("us"), pd.Timestamp.max.floor("us"))
)
"""What a nanosecond timestamp column holds: 1677-09-21 to 2262-04-11."""


def records_to_rows(spec: TableSpec, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Raw records read and checked as `records_to_frame` reads and checks them, as rows of
    plain Python values (None for null) rather than a frame.

    For a few records at a time, such as a batch of webhook events: pandera's cost per call
    hardly depends on the number of records, and is most of the time of storing a handful.
    What pandera checks of such a model is done here instead: nulls in non-nullable columns,
    integers beyond Int64 and timestamps beyond nanosecond range. So only for tables whose model
    checks nothing else (no Field checks, no uniqueness): others raise TypeError. Raises
    `RecordValidationError` as `records_to_frame` does.
    """
    schema = spec.model.to_schema()
    columns = schema.columns.values()
    if schema.checks or schema.unique or any(c.checks or c.unique for c in columns):
        raise TypeError(f"{spec.name}: its model has checks that only pandera runs")
    cells, failures = _read_records(spec, records)
    unreadable = {(failure.position, failure.column) for failure in failures}
    rows = [
        {column.name: cells[column.name][position] for column in spec.columns}
        for position in range(len(records))
    ]
    for position, row in enumerate(rows):
        for column in spec.columns:
            value = row[column.name]
            problem = None if (position, column.name) in unreadable else _out_of_type(column, value)
            if problem:
                label = _record_label(spec, records[position], position)
                failures.append(ValueFailure(position, label, column.name, problem, value))
    _raise_failures(spec, failures)
    return rows


def _out_of_type(column: ColumnSpec, value: Any) -> str | None:
    """Why a value read for the column does not fit its type, None when it does."""
    if value is None:
        return None if column.nullable else "not nullable"
    if column.kind == "integer" and not INT64_RANGE[0] <= value <= INT64_RANGE[1]:
        return "out of range for Int64"
    if column.kind == "timestamp" and not TIMESTAMP_RANGE[0] <= value <= TIMESTAMP_RANGE[1]:
        return "out of range for a timestamp"
    return None


def _read_records(
    spec: TableSpec, records: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, list[Any]], list[ValueFailure]]:
    """Each column's values read from the records, and the values that could not be read
    (null in their place)."""
    cells: dict[str, list[Any]] = {column.name: [] for column in spec.columns}
    failures: list[ValueFailure] = []
    for position, record in enumerate(records):
        for column in spec.columns:
            raw = _raw_value(record, column)
            try:
                value = _read_cell(column, raw)
            except _Unreadable as problem:
                label = _record_label(spec, record, position)
                failures.append(ValueFailure(position, label, column.name, str(problem), raw))
                value = None
            cells[column.name].append(value)
    return cells, failures


def _raise_failures(spec: TableSpec, failures: list[ValueFailure]) -> None:
    """A RecordValidationError listing the failures by record and column, if there are any."""
    if failures:
        order = {name: index for index, name in enumerate(spec.column_names)}
        failures.sort(key=lambda f: (f.position is None, f.position or 0, order.get(f.column, 0)))
        raise RecordValidationError(spec.name, failures)


def _check_failures(
    spec: TableSpec,
    records: Sequence[Mapping[str, Any]],
    failure_cases: pd.DataFrame,
    already: list[ValueFailure],
) -> list[ValueFailure]:
    """Pandera's failure cases as ValueFailures, minus the cells already reported as unreadable
    (an unreadable value becomes null and would fail `not nullable` too)."""
    reported = {(failure.position, failure.column) for failure in already}
    failures = []
    for case in failure_cases.to_dict("records"):
        position = None if pd.isna(case["index"]) else int(case["index"])
        column = case["column"]
        if (position, column) in reported:
            continue
        reported.add((position, column))
        label = (
            "(all records)"
            if position is None
            else _record_label(spec, records[position], position)
        )
        check = "not nullable" if case["check"] == "not_nullable" else str(case["check"])
        value = None if pd.isna(case["failure_case"]) else case["failure_case"]
        failures.append(ValueFailure(position, label, column, check, value))
    return failures
