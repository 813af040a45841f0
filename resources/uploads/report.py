"""The error report of an upload: one line per problem (row, column, problem, value), streamed
to a CSV beside the upload, counted by kind, with the first problems kept for the Dagster UI.

Every text cell the project writes to a CSV goes through `neutralise`: a cell starting with `=`,
`+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe (OWASP, "CSV injection"),
so a spreadsheet shows it as text instead of evaluating it. A report quotes the uploaded
values, which are exactly where such formulas would come from.
"""

import os
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pandas as pd

REPORT_COLUMNS = ["row", "column", "problem", "value"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SAMPLE_SIZE = 200
"""Problems kept for the UI; the report file has them all."""
KIND = "kind"
"""A problem frame's column of the problem's kind: its text without the row-specific part."""


def neutralised(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def neutralise(cells: pd.Series) -> pd.Series:
    """`neutralised` over a column of text (vectorised)."""
    return cells.mask(cells.str.startswith(FORMULA_STARTS), "'" + cells)


def problem_frame(
    rows: Any, column: Any, problem: Any, values: Any, kind: Any = None
) -> pd.DataFrame:
    """Problems as a frame of REPORT_COLUMNS plus KIND (the problem itself by default)."""
    frame = pd.DataFrame(
        {"row": rows, "column": column, "problem": problem, "value": values}
    ).astype({"column": object, "problem": object, "value": object})
    frame[KIND] = frame["problem"] if kind is None else kind
    return frame


class Report:
    """The problems of one upload, as they are found.

    With a target path, problems stream into a hidden file beside it that `commit` moves into
    place (replacing the report of an earlier version of the upload); leaving the `with` block
    without committing deletes it. Without a target, problems are only counted.
    """

    def __init__(self, target: Path | None) -> None:
        self.target = target
        self.total = 0
        self.counts: Counter[tuple[str, str]] = Counter()
        self.sample: list[dict[str, Any]] = []
        self._partial = target.with_name(f".{target.name}.partial") if target else None
        self._handle = None
        if self._partial is not None:
            self._handle = self._partial.open("w", encoding="utf-8-sig", newline="")
            self._write(pd.DataFrame(columns=REPORT_COLUMNS), header=True)

    def add(self, problems: pd.DataFrame) -> None:
        """Problems in row order (a frame made by `problem_frame`)."""
        if problems.empty:
            return
        self.total += len(problems)
        self.counts.update(zip(problems["column"], problems[KIND], strict=True))
        room = SAMPLE_SIZE - len(self.sample)
        if room > 0:
            self.sample += problems[REPORT_COLUMNS].head(room).to_dict("records")
        if self._handle is not None:
            self._write(problems[REPORT_COLUMNS], header=False)

    def _write(self, problems: pd.DataFrame, header: bool) -> None:
        text = problems.astype({"column": str, "problem": str, "value": str})
        for column in ("column", "problem", "value"):
            text[column] = neutralise(text[column])
        text.to_csv(self._handle, index=False, header=header, lineterminator="\r\n")

    def commit(self) -> None:
        if self._handle is not None and self._partial is not None and self.target is not None:
            self._handle.close()
            os.replace(self._partial, self.target)
            self._handle = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._handle is not None and self._partial is not None:
            self._handle.close()
            self._partial.unlink(missing_ok=True)
