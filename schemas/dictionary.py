"""The data dictionary: every table of the warehouse and every upload format, column by column,
as `docs/data-dictionary.md` shows it to whoever queries the tables.

Written from the same specs the warehouse defines its tables from and the Dagster UI shows as
each asset's column schema, so the three cannot disagree. Regenerate the file after changing a
model with `python -m schemas.dictionary` (a test compares it with what this module writes).
"""

import inspect
from pathlib import Path

from schemas.dashboard import DASHBOARD_TABLES
from schemas.tables import ColumnKind, TableSpec
from schemas.thinkific import STREAMS, TABLES
from schemas.uploads import UPLOAD_FORMATS, UploadFormat, field_column
from schemas.webhooks import RECORD_VERSIONS, WEBHOOK_EVENTS

PATH = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"
REGENERATE = "./scripts/uv run --frozen python -m schemas.dictionary"

WAREHOUSE_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (*TABLES.values(), WEBHOOK_EVENTS, RECORD_VERSIONS, *DASHBOARD_TABLES.values())
}
"""Every table the code location writes to the warehouse, by name (but the sync's own
bookkeeping, `warehouse_sync_state`)."""

KINDS: dict[ColumnKind, str] = {
    "integer": "whole number (64-bit)",
    "number": "decimal number (double precision)",
    "flag": "true or false",
    "text": "text",
    "json": "JSON text of an array; an empty array is `[]`, never null",
    "timestamp": "date and time with time zone, always written in UTC",
}
OTHER_COLUMNS = "any other column"
"""How the dictionary names the additional fields of a format that keeps them."""
TABLE_DESCRIPTIONS = {stream.table: stream.description for stream in STREAMS}
"""What each Thinkific table holds, as its asset describes it; other tables say it in their
model's docstring."""


def _cell(text: str) -> str:
    """Text fit for one cell of a markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def _table_description(spec: TableSpec) -> str:
    own = spec.model.__dict__.get("__doc__")
    return TABLE_DESCRIPTIONS.get(spec.name) or (inspect.cleandoc(own) if own else "")


def _table_section(spec: TableSpec) -> list[str]:
    key = ", ".join(f"`{column}`" for column in spec.row_key)
    lines = [f"### {spec.name}", ""]
    if description := _table_description(spec):
        lines += [" ".join(description.split()), ""]
    lines += [
        f"Primary key: {key}.",
        "",
        "| column | type | nullable | description |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{column.name}` | {column.kind} | {'yes' if column.nullable else 'no'} "
        f"| {_cell(column.description)} |"
        for column in spec.table_columns
    ]
    return [*lines, ""]


def _upload_section(fmt: UploadFormat) -> list[str]:
    columns = dict(fmt.model.to_schema().columns)
    if fmt.keeps_fields:
        columns[OTHER_COLUMNS] = field_column(OTHER_COLUMNS)
    lines = [
        f"### uploads/{fmt.name}",
        "",
        _cell(inspect.getdoc(fmt.model) or ""),
        "",
        f"Files dropped into the uploads folder's `{fmt.folder}/`; template `{fmt.template}`. "
        "Every cell is read as text.",
        "",
        "| column | required | description |",
        "|---|---|---|",
    ]
    lines += [
        f"| {name if name == OTHER_COLUMNS else f'`{name}`'} "
        f"| {'yes' if name in fmt.required else 'no'} "
        f"| {_cell(column.description or '')} |"
        for name, column in columns.items()
    ]
    return [*lines, ""]


def data_dictionary() -> str:
    """The markdown of `docs/data-dictionary.md`."""
    lines = [
        "# Data dictionary",
        "",
        f"Generated from the table models (`schemas/`) by `{REGENERATE}`: edit the models' "
        "descriptions, not this file. The Dagster UI shows the same descriptions as each "
        "asset's column schema.",
        "",
        "Column types:",
        "",
        *(f"- {kind}: {meaning}" for kind, meaning in KINDS.items()),
        "",
        "The `thinkific_*` tables other than the webhook tables keep rows Thinkific no longer "
        "has, with `deleted_at` set: filter on `deleted_at IS NULL` for the live rows.",
        "",
        "## Warehouse tables",
        "",
    ]
    for spec in WAREHOUSE_TABLES.values():
        lines += _table_section(spec)
    lines += ["## Upload files", ""]
    for fmt in UPLOAD_FORMATS.values():
        lines += _upload_section(fmt)
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    PATH.write_text(data_dictionary())
    print(f"wrote {PATH}")
