"""The Thinkific streams: their pandera models (`models`) and the stream registry (`streams`).
`STREAMS` declares each stream once; `TABLES` is its warehouse table registry, `to_frame` reads."""

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from schemas.tables import TableSpec, records_to_frame
from schemas.thinkific.streams import STREAMS, Stream, tables_of

__all__ = ["STREAMS", "TABLES", "Stream", "get_table", "stream_of", "to_frame"]

TABLES: dict[str, TableSpec] = tables_of(STREAMS)


def get_table(table_name: str) -> TableSpec:
    """The registered table of that name; the KeyError lists the known names."""
    try:
        return TABLES[table_name]
    except KeyError:
        raise KeyError(f"unknown table {table_name!r}; known tables: {sorted(TABLES)}") from None


def stream_of(name: str) -> Stream:
    """The registered stream of that name."""
    return next(stream for stream in STREAMS if stream.name == name)


def to_frame(table_name: str, records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One page of raw API records as a validated frame of the table (see `schemas.tables`).

    Raises `RecordValidationError` naming the table and each failing record's key, column,
    check and value; an empty page gives an empty, correctly typed frame.
    """
    return records_to_frame(get_table(table_name), records)
