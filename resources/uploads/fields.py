"""A user upload's additional fields into the dashboard: `dashboard_user_fields`, one value per
user and field.

The first valid row of each email gives the user's fields, as it gives the user's name: a
filled cell sets the field (counted in `fields_set` when the value is new or changed), a blank
cell removes it (counted in `fields_cleared` when the user had it). Fields the file has no
column for are left as they are. Like the rest of a user import, a chunk's fields are staged in
a temporary table and merged, or counted, by set-based statements (`resources.uploads.users`).
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from resources.dashboard.sql import insert_from
from resources.dashboard.store import DashboardStore
from resources.uploads.report import neutralised
from resources.uploads.staging import TIMESTAMP, Batch, count, temporary_table

FIELDS = "dashboard_user_fields"
PREVIEW_VALUES = 20
"""Field values the run's metadata shows; the table has them all."""
UPDATED = ("value", "updated_at", "updated_by_run")
"""What a new value of a field changes."""


@dataclass(frozen=True)
class FieldCells:
    """A chunk's fields, prepared to be staged."""

    batch: Batch
    clears: bool
    """Whether a cell is blank: only then is there anything to remove."""


class StagedFields:
    """The additional fields of one user upload, a chunk at a time."""

    def __init__(
        self, store: DashboardStore, names: Sequence[str], at: dt.datetime, run_id: str
    ) -> None:
        self.names = list(names)
        self.store = store
        self.at = at
        self.run_id = run_id
        self.table = temporary_table(
            "upload_fields", *(sa.Column(name, sa.Text) for name in ("email", "field", "value"))
        )
        self.preview: list[dict[str, Any]] = []
        """The first values set (row, email, field, value), neutralised: shown as written."""

    def cells(self, dialect: str, valid: pd.DataFrame, first_of_email: np.ndarray) -> FieldCells:
        """The fields the chunk's first row of each email gives: (email, field, value), None
        for a blank cell."""
        firsts = valid.loc[first_of_email, ["email", *self.names]]
        cells = firsts.reset_index(names="row").melt(["row", "email"], var_name="field")
        filled = cells["value"] != ""
        room = PREVIEW_VALUES - len(self.preview)
        if room > 0:
            shown = cells[filled].sort_values("row", kind="stable").head(room)
            self.preview += [
                {
                    "row": int(row),
                    "email": neutralised(email),
                    "field": field,
                    "value": neutralised(value),
                }
                for row, email, field, value in shown.itertuples(index=False)
            ]
        values = cells["value"].where(filled, None)
        columns = [cells["email"].tolist(), cells["field"].tolist(), values.tolist()]
        return FieldCells(Batch.of(dialect, self.table, columns), clears=not filled.all())

    def _fields(self) -> sa.Table:
        return self.store.table(FIELDS)

    def _same_key(self, fields: sa.Table) -> sa.ColumnElement[bool]:
        s = self.table.c
        return sa.and_(fields.c.email == s.email, fields.c.field == s.field)

    def _set_rows(self) -> sa.Select:
        s = self.table.c
        return sa.select(
            s.email,
            s.field,
            s.value,
            sa.literal(self.at, TIMESTAMP).label("updated_at"),
            sa.literal(self.run_id).label("updated_by_run"),
        ).where(s.value.is_not(None))

    def count(self, connection: sa.Connection, staged: FieldCells) -> dict[str, int]:
        """What `merge` would change in the staged chunk's fields; writes nothing."""
        fields, s = self._fields(), self.table.c
        same = sa.select(1).where(self._same_key(fields), fields.c.value == s.value).exists()
        had = sa.select(1).where(self._same_key(fields)).exists()
        cleared = sa.select(s.email).where(s.value.is_(None), had)
        return {
            "fields_set": count(connection, sa.select(s.email).where(s.value.is_not(None), ~same)),
            "fields_cleared": count(connection, cleared) if staged.clears else 0,
        }

    def merge(self, connection: sa.Connection, staged: FieldCells) -> dict[str, int]:
        """Sets and removes the staged chunk's fields."""
        fields, s = self._fields(), self.table.c
        insert = insert_from(connection, fields, self._set_rows())
        changed = {
            name: insert.excluded[name] for name in ("value", "updated_at", "updated_by_run")
        }
        upsert = insert.on_conflict_do_update(
            index_elements=["email", "field"],
            set_=changed,
            where=fields.c.value != insert.excluded.value,
        )
        cleared = 0
        if staged.clears:
            staged_blank = sa.select(1).where(self._same_key(fields), s.value.is_(None)).exists()
            cleared = connection.execute(sa.delete(fields).where(staged_blank)).rowcount
        return {"fields_set": connection.execute(upsert).rowcount, "fields_cleared": cleared}
