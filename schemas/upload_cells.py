"""Checks and parsers over a column of upload cells, each cell a `str` (the reader reads every
cell as text, a blank as "").

They go over a column's cells in a list comprehension that calls no Python function per cell
(or one per distinct cell, `per_value`): on text that is several times faster than pandas'
`.str` methods, and validation is most of an import's time. Their results become arrays before
Series: pandas builds a Series from a list of strings several times slower than numpy builds
the array.

Email syntax (email-validator is not a dependency, so the rule is spelled out here): after
trimming and lower-casing, a local part of 1-64 characters of letters, digits and
``!#$%&'*+/=?^_`{|}~-`` in dot-separated runs (no leading, trailing or doubled dot); ``@``; a
domain of at least two dot-separated labels of letters, digits and inner hyphens (each 1-63
characters), ending in an alphabetic top-level label or a punycode one (``xn--``). Quoted local
parts, IP-address domains and non-ASCII addresses are refused.
"""

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from schemas.dashboard import WHITESPACE

UNPRINTABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069]"
)
"""Control characters and the invisible ones that reorder or hide text (bidi overrides)."""
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL_PATTERN = re.compile(
    rf"(?=[^@]{{1,64}}@){_ATOM}(?:\.{_ATOM})*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
)


def bools(cells: pd.Series, values: list[bool] | np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=bool), index=cells.index, copy=False)


def texts(cells: pd.Series, values: list[str]) -> pd.Series:
    return pd.Series(np.array(values, dtype=object), index=cells.index, copy=False)


def check(*columns: str, error: str) -> Any:
    """`pa.check` for cells that are never missing (the reader reads a blank as ""): without
    pandera's search for missing values before each check."""
    return pa.check(*columns, error=error, ignore_na=False)


def cells_check(passes: Callable[[pd.Series], pd.Series], error: str) -> pa.Check:
    """`check` for a column built at run time."""
    return pa.Check(passes, error=error, ignore_na=False)


def too_long(limit: int) -> str:
    return f"is longer than {limit} characters"


def at_most(cells: pd.Series, limit: int) -> pd.Series:
    lengths = np.fromiter(map(len, cells.tolist()), dtype=np.int64, count=len(cells))
    return bools(cells, lengths <= limit)


def per_value(cells: pd.Series, function: Callable[[str], str]) -> pd.Series:
    """`function` of each cell, called once per distinct cell: for a column of a few values
    (roles), a dictionary lookup per cell instead of a call."""
    values = cells.tolist()
    results = {cell: function(cell) for cell in set(values)}
    return texts(cells, [results[cell] for cell in values])


def trimmed(cells: pd.Series) -> pd.Series:
    return texts(cells, [cell.strip(WHITESPACE) for cell in cells.tolist()])


def trimmed_lower(cells: pd.Series) -> pd.Series:
    return texts(cells, [cell.strip(WHITESPACE).lower() for cell in cells.tolist()])


def filled(cells: pd.Series) -> pd.Series:
    return cells != ""


def printable(cells: pd.Series) -> pd.Series:
    """`isprintable` (C, fast) passes most cells; the pattern decides for the rest, so that a
    no-break space, say, passes while control and bidi characters do not."""
    search = UNPRINTABLE.search
    return bools(cells, [cell.isprintable() or search(cell) is None for cell in cells.tolist()])


def email_syntax(cells: pd.Series, limit: int) -> pd.Series:
    """The rule of the module docstring; a blank cell or one over `limit` characters passes
    here, as the checks that say so report it."""
    match = EMAIL_PATTERN.fullmatch
    return bools(
        cells,
        [not cell or len(cell) > limit or match(cell) is not None for cell in cells.tolist()],
    )
