"""Row validation of an upload, chunk by chunk: the format's pandera model, lazily (every failing
cell of every row in one pass), plus what needs the warehouse, the upload's instant or the rows
before:

- references: products (user and seat allocation files) and groups (group matching files) must
  be live Thinkific records, named by id or by name (trimmed, any case); a name several records
  share must be given as an id. Seat allocation rows must name existing teams that are not
  archived, and expire after the upload. These are pandera checks added to the model's schema
  at run time, from what `load_known` read when the upload started;
- cells that need another: a filled cell of a column the format says needs another column
  (`UploadFormat.needs`: products need a team) is refused when that column is blank;
- duplicates: a row whose key (email and team; group and team; team and product) repeats an
  earlier valid row of the file is refused, naming that row. Keys are remembered as 64-bit
  hashes, sorted, so memory stays small whatever the file's size (two different keys sharing a
  hash: about 3 chances in 100 million at a million rows; it would report a false duplicate,
  never import one twice).

A user file's additional fields are columns of the schema too (`schemas.uploads.field_column`).
The valid rows come back parsed, with `team_key` (the team as the dashboard keys it) and the ids
their products (`product_ids`, where they name any), product (`product_id`) or group
(`group_id`) resolve to.
"""

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa
import sqlalchemy as sa

from resources.dashboard.sql import live
from resources.dashboard.store import DashboardStore
from resources.uploads.report import problem_frame
from schemas.dashboard import normalised
from schemas.team_actions import moment
from schemas.uploads import PRODUCT_SEPARATOR, UploadFormat, field_column

UNKNOWN_PRODUCT = "names a product that is not in Thinkific: use the product's name or id"
SHARED_PRODUCT = "names a product by a name several products share: use the product's id"
UNKNOWN_GROUP = "is not a Thinkific group: use the group's name or id"
SHARED_GROUP = "is the name of several Thinkific groups: use the group's id"
UNKNOWN_TEAM = (
    "is not a dashboard team: check the spelling, or create the team first (a user or group "
    "matching upload creates teams)"
)
ARCHIVED_TEAM = "is an archived team, whose history is read-only: name an active team"
EXPIRED = "is not after the upload: give a later date, or none"


@dataclass(frozen=True)
class Lookup:
    """Live Thinkific records that rows may name: ids, and ids by name (trimmed, any case)."""

    ids: frozenset[int]
    by_name: Mapping[str, tuple[int, ...]]

    def resolve(self, entry: str) -> tuple[int, ...]:
        """The ids `entry` names: one for a known id or a unique name, several for a shared
        name, none for an unknown one. An id wins over a group named like one."""
        if entry.isdigit() and int(entry) in self.ids:
            return (int(entry),)
        return self.by_name.get(normalised(entry), ())


def product_entries(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(PRODUCT_SEPARATOR) if part.strip()]


def _whole(cell: str) -> list[str]:
    return [cell]


@dataclass(frozen=True)
class Reference:
    """A column that names live Thinkific records, by id or by name."""

    table: str
    entries: Callable[[str], list[str]]
    """The names or ids a cell gives."""
    resolved: str
    """The valid rows' column of the ids a cell names: a list, or (`several` false) the id."""
    several: bool
    unknown: str
    shared: str


REFERENCES = {
    "products": Reference(
        "thinkific_products", product_entries, "product_ids", True, UNKNOWN_PRODUCT, SHARED_PRODUCT
    ),
    "product": Reference(
        "thinkific_products", _whole, "product_id", False, UNKNOWN_PRODUCT, SHARED_PRODUCT
    ),
    "group": Reference("thinkific_groups", _whole, "group_id", False, UNKNOWN_GROUP, SHARED_GROUP),
}
"""Columns that name Thinkific records, whichever format has them."""
KEYED_BY = {"team": "team_key"} | {
    column: reference.resolved for column, reference in REFERENCES.items() if not reference.several
}
"""Row key columns compared through another column of the valid rows: a team by its key, a
product or group by the id it names."""


@dataclass(frozen=True)
class Teams:
    """The dashboard's teams by key (trimmed, lower case), and the archived ones among them."""

    keys: frozenset[str]
    archived: frozenset[str]


@dataclass(frozen=True)
class Known:
    """What rows are checked against, read when the upload starts."""

    records: Mapping[str, Lookup]
    """Column (of `REFERENCES`) -> the live records it may name."""
    teams: Teams | None
    """The dashboard's teams, for formats whose rows need existing ones."""
    at: dt.datetime
    """The upload's instant: expiry dates must come after it."""


def load_lookup(store: DashboardStore, table: str) -> Lookup:
    records = store.table(table)
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(records.c.id, records.c.name).where(live(records)))
        by_name: dict[str, tuple[int, ...]] = {}
        ids = set()
        for record_id, name in rows:
            ids.add(record_id)
            if name:
                key = normalised(name)
                by_name[key] = (*by_name.get(key, ()), record_id)
    return Lookup(frozenset(ids), by_name)


def load_teams(store: DashboardStore) -> Teams:
    teams = store.table("dashboard_teams")
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(teams.c.team, teams.c.archived_at)).all()
    return Teams(
        frozenset(team for team, _ in rows),
        frozenset(team for team, archived_at in rows if archived_at is not None),
    )


def load_known(store: DashboardStore, fmt: UploadFormat, at: dt.datetime) -> Known:
    """What the format's rows are checked against, as the warehouse holds it now."""
    records = {
        column: load_lookup(store, REFERENCES[column].table)
        for column in fmt.columns
        if column in REFERENCES
    }
    return Known(records, load_teams(store) if fmt.existing_teams else None, at)


def _cells_passing(passes: Callable[[str], bool], error: str) -> pa.Check:
    """A column check that each cell passes, deciding each distinct cell once; cells are never
    missing, as in `schemas.uploads.check`."""

    def check(cells: pd.Series) -> pd.Series:
        texts = cells.tolist()
        verdicts = {cell: passes(cell) for cell in set(texts)}
        return pd.Series([verdicts[cell] for cell in texts], index=cells.index, dtype=bool)

    return pa.Check(check, error=error, ignore_na=False)


def _resolving(
    reference: Reference, lookup: Lookup, wanted: Callable[[int], bool]
) -> Callable[[str], bool]:
    """Whether every entry a cell names resolves to a number of ids `wanted` accepts. Blank
    cells pass (they name nothing)."""
    return lambda cell: (
        not cell or all(wanted(len(lookup.resolve(entry))) for entry in reference.entries(cell))
    )


def _after(at: dt.datetime) -> Callable[[str], bool]:
    """Whether a date cell is after `at`; blank and unreadable cells pass (the model's checks
    report those)."""

    def passes(cell: str) -> bool:
        try:
            return not cell or moment(cell) > at
        except ValueError:
            return True

    return passes


def _run_time_checks(fmt: UploadFormat, known: Known) -> dict[str, list[pa.Check]]:
    checks: dict[str, list[pa.Check]] = {}
    for column, lookup in known.records.items():
        reference = REFERENCES[column]
        checks[column] = [
            _cells_passing(_resolving(reference, lookup, bool), reference.unknown),
            _cells_passing(_resolving(reference, lookup, lambda n: n < 2), reference.shared),
        ]
    teams = known.teams
    if teams is not None:
        checks["team"] = [
            _cells_passing(lambda cell: not cell or cell.lower() in teams.keys, UNKNOWN_TEAM),
            _cells_passing(lambda cell: cell.lower() not in teams.archived, ARCHIVED_TEAM),
        ]
    if "expires_at" in fmt.columns:
        checks["expires_at"] = [_cells_passing(_after(known.at), EXPIRED)]
    return checks


def hashed(*columns: list[Any]) -> np.ndarray:
    """Each row's values as one 64-bit hash (Python's own string hash, several times faster
    than pandas' here; it differs between processes, and a file is read in one)."""
    values = columns[0] if len(columns) == 1 else zip(*columns, strict=True)
    return np.fromiter(map(hash, values), dtype=np.int64, count=len(columns[0]))


class FirstSeen:
    """Which rows repeat the key of an earlier row, across chunks (hashes, see module doc)."""

    def __init__(self) -> None:
        self._hashes = np.empty(0, dtype=np.int64)
        """The keys seen, sorted; `_rows` holds the row where each first appeared."""
        self._rows = np.empty(0, dtype=np.int64)

    def first_rows(self, rows: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        """For each row (in order) with its key's hash, the row where the key first appeared:
        its own row, or an earlier one. Remembers the new keys."""
        # Sort by hash (stably, so rows stay in order): each run of equal hashes is one key,
        # first seen at the run's start unless an earlier chunk had it.
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        starts = np.ones(len(ordered), dtype=bool)
        starts[1:] = ordered[1:] != ordered[:-1]
        run_start = np.maximum.accumulate(np.where(starts, np.arange(len(ordered)), 0))
        first = rows[order][run_start]
        # Sorted needles make the search through the remembered keys cache-friendly.
        position = np.searchsorted(self._hashes, ordered)
        found = position < len(self._hashes)
        found[found] = self._hashes[position[found]] == ordered[found]
        first[found] = self._rows[position[found]]
        new = starts & ~found
        self._hashes = np.insert(self._hashes, position[new], ordered[new])
        self._rows = np.insert(self._rows, position[new], first[new])
        in_order = np.empty_like(first)
        in_order[order] = first
        return in_order


class RowValidator:
    """Validates the chunks of one file in order; see the module docstring."""

    def __init__(self, fmt: UploadFormat, known: Known, fields: Sequence[str] = ()) -> None:
        schema = fmt.model.to_schema()
        for column, extra in _run_time_checks(fmt, known).items():
            schema = schema.update_column(column, checks=[*schema.columns[column].checks, *extra])
        self.fmt = fmt
        self.schema = schema.add_columns({name: field_column(name) for name in fields})
        self.known = known
        self.columns = [*fmt.columns, *fields]
        self._seen = FirstSeen()
        self._key = " and ".join(fmt.row_key)

    def validate(self, chunk: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(the valid rows, parsed and with the ids they name; the problems, in row order)."""
        try:
            parsed = self.schema.validate(chunk, lazy=True)
            failures = pd.DataFrame(columns=["index", "column", "check"])
        except pandera.errors.SchemaErrors as errors:
            parsed, failures = errors.data, errors.failure_cases
        problems = problem_frame(
            failures["index"].to_numpy(),
            failures["column"].to_numpy(),
            failures["check"].to_numpy(),
            _cells_at(chunk, failures["index"], failures["column"]),
        )
        problems = pd.concat([problems, *self._lacking(chunk, parsed)], ignore_index=True)
        invalid = problems["row"].dropna().unique()
        valid = self._resolved(parsed.drop(index=invalid) if len(invalid) else parsed)
        duplicates, valid = self._duplicates(chunk, valid)
        order = {column: i for i, column in enumerate(self.columns)}
        found = pd.concat([problems, duplicates], ignore_index=True)
        found = found.sort_values(
            ["row", "column"], key=lambda c: c.map(order) if c.name == "column" else c
        )
        return valid, found.reset_index(drop=True)

    def _lacking(self, chunk: pd.DataFrame, parsed: pd.DataFrame) -> list[pd.DataFrame]:
        """Problems of filled cells whose row leaves blank the column they need."""
        found = []
        for column, (needed, problem) in self.fmt.needs.items():
            lacking = parsed.index[((parsed[column] != "") & (parsed[needed] == "")).to_numpy()]
            if len(lacking):
                cells = chunk.loc[lacking, column].to_numpy()
                found.append(problem_frame(lacking.to_numpy(), column, problem, cells))
        return found

    def _resolved(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The valid rows with their team's key (trimmed, lower case) and the ids they name."""
        rows = rows.copy(deep=False)  # new columns, on a frame of its own: nothing is copied
        rows["team_key"] = [team.lower() for team in rows["team"].tolist()]
        for column, lookup in self.known.records.items():
            reference = REFERENCES[column]
            named = rows.loc[rows[column] != "", column]
            ids = {
                cell: [lookup.resolve(entry)[0] for entry in reference.entries(cell)]
                for cell in set(named.tolist())
            }
            if not reference.several:
                ids = {cell: found for cell, (found,) in ids.items()}
            rows[reference.resolved] = named.map(ids)
        return rows

    def _duplicates(
        self, chunk: pd.DataFrame, valid: pd.DataFrame
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        keys = [valid[KEYED_BY.get(column, column)].tolist() for column in self.fmt.row_key]
        first = self._seen.first_rows(valid.index.to_numpy(dtype=np.int64), hashed(*keys))
        repeated = first != valid.index.to_numpy()
        rows = valid.index[repeated]
        column = self.fmt.row_key[0]
        problems = problem_frame(
            rows.to_numpy(),
            column,
            [f"duplicate of row {row}: same {self._key}" for row in first[repeated]],
            chunk.loc[rows, column].to_numpy(),
            kind=f"duplicate of an earlier row: same {self._key}",
        )
        return problems, valid[~repeated] if repeated.any() else valid


def _cells_at(chunk: pd.DataFrame, rows: pd.Series, columns: pd.Series) -> np.ndarray:
    """The cells as written at (row, column) pairs; None where a failure names no cell."""
    row_at = chunk.index.get_indexer(rows)
    column_at = chunk.columns.get_indexer(columns)
    cells = chunk.to_numpy()
    known = (row_at >= 0) & (column_at >= 0)
    values = np.full(len(rows), None, dtype=object)
    values[known] = cells[row_at[known], column_at[known]]
    return values
