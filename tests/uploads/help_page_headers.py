"""Corpus files respelled the way the dashboard's help page writes the user columns: `User
name`, `User email`, `Team name (optional)` (and `Role`, `Products`), so that every corpus case
also runs with the documented headers.

Only the header line changes, in the file's own encoding, delimiter and line ending; a file
without a header line to respell (binary, blank, not text, NUL characters) comes back as it is.
"""

import csv
import io
import re

from resources.uploads.reading import DELIMITERS, candidate_encodings
from schemas.uploads import USER_CSV, header_key

HELP_PAGE = {
    "name": "User name",
    "email": "User email",
    "team": "Team name (optional)",
    "role": "Role",
    "products": "Products",
}
SEP_LINE = re.compile(r"sep=(.)", re.IGNORECASE)


def _text(content: bytes) -> tuple[str, str] | None:
    """(the text, its encoding) as the reader decodes it, or None for no text."""
    for encoding in candidate_encodings(content[:3]):
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def _cells(header: str, delimiter: str) -> list[str]:
    return next(csv.reader([header], delimiter=delimiter), [])


def respelled(content: bytes) -> bytes:
    """The file with its header cells respelled (see the module docstring)."""
    decoded = _text(content)
    if decoded is None:
        return content
    text, encoding = decoded
    if "\x00" in text:
        return content
    lines = io.StringIO(text, newline="").readlines()
    hint = SEP_LINE.fullmatch(lines[0].rstrip("\r\n")) if lines else None
    at = next(
        (i for i, line in enumerate(lines) if line.strip() and not SEP_LINE.match(line)), None
    )
    if at is None:
        return content
    header = lines[at].rstrip("\r\n")
    delimiter = (
        hint.group(1)
        if hint
        else max(
            DELIMITERS,
            key=lambda d: sum(header_key(cell) in USER_CSV.aliases for cell in _cells(header, d)),
        )
    )
    cells = _cells(header, delimiter)
    spelled = [HELP_PAGE.get(USER_CSV.aliases.get(header_key(cell), ""), cell) for cell in cells]
    if spelled == cells:
        return content
    written = io.StringIO()
    csv.writer(written, delimiter=delimiter, lineterminator=lines[at][len(header) :]).writerow(
        spelled
    )
    lines[at] = written.getvalue()
    return "".join(lines).encode(encoding)
