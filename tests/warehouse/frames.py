"""Small frames and probes shared by the warehouse tests."""

import pandas as pd
import sqlalchemy as sa

from resources.warehouse import WarehouseResource
from resources.warehouse.ddl import SYNC_STATE_TABLE
from schemas.thinkific import to_frame


def users(emails: dict[int, str]) -> pd.DataFrame:
    """A thinkific_users frame: one user per id, with that email."""
    return to_frame("thinkific_users", [{"id": i, "email": email} for i, email in emails.items()])


def emails(warehouse: WarehouseResource, include_deleted: bool = False) -> dict[int, str]:
    frame = warehouse.read_frame("thinkific_users", include_deleted=include_deleted)
    return dict(zip(frame["id"], frame["email"], strict=True))


def table_names(warehouse: WarehouseResource) -> set[str]:
    """Every data table in the warehouse's schema (staging tables show up here while they
    exist), leaving out the bookkeeping table of watermarks and checkpoints."""
    names = set(sa.inspect(warehouse.engine).get_table_names(schema=warehouse.schema))
    return names - {SYNC_STATE_TABLE}
