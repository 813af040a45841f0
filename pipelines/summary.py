"""The table the main command prints at the end of a sync: what each asset loaded and cost."""

from dagster import ExecuteInProcessResult

COLUMNS = [
    ("table", "dagster/table_name"),
    ("rows", "dagster/row_count"),
    ("read", "rows_read"),
    ("inserted", "rows_inserted"),
    ("updated", "rows_updated"),
    ("deleted", "rows_deleted"),
    ("requests", "requests"),
    ("retries", "retries"),
    ("429s", "rate_limited_responses"),
    ("seconds", "duration_seconds"),
]
TOTALLED = {"requests", "retries", "429s", "seconds"}


def summary_rows(result: ExecuteInProcessResult) -> list[dict[str, object]]:
    rows = []
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        metadata = {key: value.value for key, value in materialization.metadata.items()}
        rows.append({label: metadata.get(key, "") for label, key in COLUMNS})
    return sorted(rows, key=lambda row: str(row["table"]))


def render_summary(result: ExecuteInProcessResult, elapsed_seconds: float) -> str:
    rows = summary_rows(result)
    totals: dict[str, object] = {label: "" for label, _ in COLUMNS}
    totals["table"] = "total"
    for label in TOTALLED:
        total = sum(float(row[label] or 0) for row in rows)
        totals[label] = int(total) if total.is_integer() else round(total, 2)
    totals["seconds"] = round(elapsed_seconds, 2)
    table = [*rows, totals]
    widths = {
        label: max(len(label), *(len(str(row[label])) for row in table)) for label, _ in COLUMNS
    }
    lines = ["  ".join(label.ljust(widths[label]) for label, _ in COLUMNS)]
    lines.append("  ".join("-" * widths[label] for label, _ in COLUMNS))
    lines += [
        "  ".join(str(row[label]).ljust(widths[label]) for label, _ in COLUMNS) for row in table
    ]
    return "\n".join(lines)


def render_failures(result: ExecuteInProcessResult) -> str:
    lines = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        message = error.message.strip() if error else "unknown error"
        lines.append(f"step {event.step_key} failed: {message}")
    return "\n".join(lines)
