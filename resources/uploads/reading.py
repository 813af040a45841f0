"""Reading an upload: file-level checks, encoding, delimiter and header, then rows in chunks.

A file-level problem raises `UploadRejected` with a sentence for the admin; nothing of such a file
is imported. In order:

1. size: empty, or over the limit (from `stat`, before a byte is read);
2. what the first bytes say: an archive, a workbook, a PDF or an image under a .csv name;
3. encoding, over the whole file: a UTF-8 or UTF-16 byte-order mark decides (UTF-16 LE/BE is
   what Excel's "Unicode Text" writes); without one, UTF-8 if the whole file decodes as UTF-8,
   else Windows-1252 (Excel's "CSV" on Windows). A statistical detector such as
   charset-normalizer is not used: Excel writes exactly these encodings, and on short files a
   detector guesses other code pages (cp1250, latin-2) that turn `Müller` into other letters.
   NUL characters (binary data, or UTF-16 without a byte-order mark) and text that is mostly
   control characters are refused;
4. the header: an Excel `sep=;` first line names the delimiter; otherwise the delimiter among
   comma, semicolon, tab and pipe that splits the header into the most known columns. Header
   cells are matched to columns through the format's aliases; a required column missing, or
   one column named twice, is refused. Other columns are additional fields in a format that
   keeps them (user files): a field named twice (as `header_key` writes names), a name over
   MAX_FIELD_NAME characters or more than MAX_FIELDS fields are refused. Cells that name no
   field (blank, or punctuation only), and other columns in the other formats, are ignored
   (and listed);
5. the rows, in chunks of `chunk_rows`: a row with more cells than the header, a quote that
   never closes, no rows at all or more than `max_rows` rows refuse the file.

Rows are numbered as a spreadsheet shows them: the header is row 1 (after any blank lines
above it), the first row under it row 2. Wholly empty rows are skipped and not counted.
"""

import codecs
import csv
import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pandas as pd

from schemas.uploads import MAX_FIELD_NAME, MAX_FIELDS, UploadFormat, header_key

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes"}
SNIFF_BYTES = 8192
BLOCK_BYTES = 1 << 20
MOSTLY_CONTROL = 0.1
"""Share of control characters in the first block above which a file is binary, not text."""
SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 (.xls) workbook"),
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "a program"),
)
SAVE_AS_CSV = "open it in Excel and save it as CSV UTF-8"
_SEP_LINE = re.compile(r"sep=([,;\t|])", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x19\x1b-\x1f]")
_TOO_MANY_CELLS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
OVERFLOW = "_overflow"


class UploadRejected(ValueError):
    """A file-level problem: the whole file is refused. The message is for the admin."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    chunk_rows: int


@dataclass(frozen=True)
class Layout:
    """What the file-level checks found out about a file: how to read its rows."""

    encoding: str
    delimiter: str
    header: tuple[str | None, ...]
    """Each header cell's column or additional field, None for an ignored one, in file order."""
    ignored: tuple[str, ...]
    """Header cells that name no column and no field, as written."""
    lines_before_rows: int
    """Text lines up to and including the header."""
    first_row: int
    """The spreadsheet row number of the first row under the header."""
    fields: tuple[str, ...] = ()
    """The additional fields, in file order, as `header_key` writes their names."""


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count:,} bytes"


def _check_size(path: Path, limits: Limits) -> None:
    size = path.stat().st_size
    if size == 0:
        raise UploadRejected("the file is empty")
    if size > limits.max_bytes:
        raise UploadRejected(
            f"the file is {_size(size)}, over the limit of {_size(limits.max_bytes)}: split it "
            "into smaller files"
        )


def _check_not_binary(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    for signature, what in SIGNATURES:
        if head.startswith(signature):
            raise UploadRejected(f"the file is {what}, not CSV text: {SAVE_AS_CSV}")
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise UploadRejected(f"the file is UTF-32 text, which is not read: {SAVE_AS_CSV}")


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes; refuses NUL characters and mostly-control text. A NUL
    byte is looked for before decoding (binary data rarely decodes), except in UTF-16, where
    NUL bytes are half of every ASCII character."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    wide = encoding == "utf-16"
    first = True
    with path.open("rb") as handle:
        while True:
            block = handle.read(BLOCK_BYTES)
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError:
                text = None
            nul = "\x00" in (text or "") if wide else b"\x00" in block
            if nul:
                raise UploadRejected(
                    "the file contains NUL characters: it is binary, or UTF-16 text without a "
                    f"byte-order mark; {SAVE_AS_CSV}"
                )
            if text is None:
                return False
            if first and len(_CONTROL.findall(text[:SNIFF_BYTES])) > MOSTLY_CONTROL * min(
                len(text), SNIFF_BYTES
            ):
                raise UploadRejected(f"the file is binary data, not CSV text: {SAVE_AS_CSV}")
            first = False
            if not block:
                return True


def candidate_encodings(head: bytes) -> tuple[str, ...]:
    """The encodings a file starting with `head` (3 bytes or more) may be in, in the order
    they are tried: its byte-order mark's, else UTF-8 then Windows-1252."""
    if head.startswith(codecs.BOM_UTF8):
        return ("utf-8-sig",)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ("utf-16",)
    return ("utf-8", "cp1252")


def _detect_encoding(path: Path) -> str:
    """The file's encoding (see the module docstring), checked over the whole file."""
    with path.open("rb") as handle:
        candidates = candidate_encodings(handle.read(3))
    for encoding in candidates:
        if _decodes(path, encoding):
            return encoding
    expected = "UTF-16" if candidates == ("utf-16",) else "UTF-8 or Windows-1252"
    raise UploadRejected(f"the file is not {expected} text: {SAVE_AS_CSV}")


def _header_lines(stream: TextIO) -> tuple[str | None, str, int, int]:
    """(delimiter named by a `sep=` line, the header text, text lines read, blank lines skipped
    above the header). A header cell in quotes may run over several lines."""
    lines, blank = 0, 0
    hint = None
    while True:
        line = stream.readline()
        lines += 1
        if not line:
            raise UploadRejected("the file holds no header, only blank lines")
        sep = _SEP_LINE.fullmatch(line.rstrip("\r\n"))
        if sep and lines == 1:
            hint = sep.group(1)
        elif line.strip():
            break
        else:
            blank += 1
    while line.count('"') % 2:
        more = stream.readline()
        if not more:
            break
        line += more
        lines += 1
    return hint, line, lines, blank


def _cells(header: str, delimiter: str) -> list[str]:
    row = next(csv.reader(io.StringIO(header), delimiter=delimiter), [])
    return [cell.strip().lstrip("\ufeff").strip() for cell in row]


def _delimiter(header: str, fmt: UploadFormat, hint: str | None) -> str:
    """The `sep=` line's delimiter, else the one giving the most known columns (then cells)."""
    if hint is not None:
        return hint

    def score(delimiter: str) -> tuple[int, int]:
        cells = _cells(header, delimiter)
        return sum(header_key(cell) in fmt.aliases for cell in cells), len(cells)

    return max(DELIMITERS, key=score)


def _named_twice(kind: str, name: str, first: str, second: str) -> UploadRejected:
    return UploadRejected(
        f"the header names {kind} {name} twice ({first!r} and {second!r}): keep one"
    )


def _columns(cells: list[str], fmt: UploadFormat) -> dict[str, str]:
    """The columns the cells name: column -> the cell naming it."""
    named: dict[str, str] = {}
    for cell in cells:
        column = fmt.aliases.get(header_key(cell))
        if column in named:
            raise _named_twice("column", column, named[column], cell)
        if column is not None:
            named[column] = cell
    expected = ", ".join(fmt.columns)
    if not named:
        raise UploadRejected(
            f"the first row is not a header: it names none of the columns {expected} "
            f"(see {fmt.template})"
        )
    missing = [column for column in fmt.required if column not in named]
    if missing:
        raise UploadRejected(
            f"required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} missing; the "
            f"header has {', '.join(repr(c) for c in cells if c)}; expected {expected} "
            f"(see {fmt.template})"
        )
    return named


def _fields(cells: list[str], fmt: UploadFormat) -> dict[str, str]:
    """The additional fields the cells name (none unless the format keeps them): name -> the
    cell naming it."""
    fields: dict[str, str] = {}
    if not fmt.keeps_fields:
        return fields
    for cell in cells:
        name = header_key(cell)
        if not name or name in fmt.aliases:
            continue
        if name in fields:
            raise _named_twice("field", repr(name), fields[name], cell)
        if len(name) > MAX_FIELD_NAME:
            raise UploadRejected(
                f"the header's column {cell[:MAX_FIELD_NAME]!r}... is a field name longer than "
                f"{MAX_FIELD_NAME} characters: shorten it"
            )
        fields[name] = cell
    if len(fields) > MAX_FIELDS:
        raise UploadRejected(
            f"the header has {len(fields)} additional columns, more than the {MAX_FIELDS} kept "
            "per user: remove the columns the dashboard does not need"
        )
    return fields


def inspect(path: Path, fmt: UploadFormat, limits: Limits) -> Layout:
    """Every file-level check up to the header; the layout to read the rows with."""
    _check_size(path, limits)
    _check_not_binary(path)
    encoding = _detect_encoding(path)
    with path.open(encoding=encoding, newline="") as stream:
        hint, header, lines, blank = _header_lines(stream)
    delimiter = _delimiter(header, fmt, hint)
    cells = _cells(header, delimiter)
    columns = {cell: column for column, cell in _columns(cells, fmt).items()}
    fields = {cell: name for name, cell in _fields(cells, fmt).items()}
    named = [columns.get(cell, fields.get(cell)) for cell in cells]
    return Layout(
        encoding=encoding,
        delimiter=delimiter,
        header=tuple(named),
        ignored=tuple(cell for cell, name in zip(cells, named, strict=True) if cell and not name),
        lines_before_rows=lines,
        first_row=blank + 2,
        fields=tuple(fields.values()),
    )


def _parser_problem(error: pd.errors.ParserError, layout: Layout) -> UploadRejected:
    cells = _TOO_MANY_CELLS.search(str(error))
    if cells:
        line = int(cells.group(2)) + layout.lines_before_rows
        return _too_many_cells(f"line {line}", int(cells.group(3)), layout)
    detail = str(error).replace("Error tokenizing data. C error: ", "").strip()
    return UploadRejected(
        f"the file is not valid CSV ({detail}): look for a double quote that is never closed"
    )


def _too_many_cells(where: str, cells: int | None, layout: Layout) -> UploadRejected:
    count = f"{cells} cells" if cells else "more cells"
    delimiter = DELIMITER_NAMES.get(layout.delimiter, repr(layout.delimiter))
    return UploadRejected(
        f"{where} has {count} but the header has {len(layout.header)}: put values that "
        f"contain {delimiter} in double quotes"
    )


def _chunks(
    stream: TextIO, names: list[str], layout: Layout, limits: Limits
) -> Iterator[pd.DataFrame]:
    """pandas' C parser over the stream, its errors turned into rejections. The one extra name
    catches a row with a cell too many; pandas refuses rows with more (`ParserError`)."""
    with warnings.catch_warnings():
        # index_col=False warns when the first row is longer than the names; OVERFLOW catches it.
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        try:
            yield from pd.read_csv(
                stream,
                sep=layout.delimiter,
                header=None,
                names=names,
                index_col=False,
                dtype=str,
                na_filter=False,
                skip_blank_lines=False,
                chunksize=limits.chunk_rows,
                engine="c",
            )
        except pd.errors.ParserError as error:
            raise _parser_problem(error, layout) from None


def read_rows(
    path: Path, fmt: UploadFormat, layout: Layout, limits: Limits
) -> Iterator[pd.DataFrame]:
    """The rows under the header in chunks: the format's columns (a missing optional column
    blank), then the additional fields, every cell text as written, indexed by spreadsheet row
    number."""
    names = [column or f"_ignored_{i}" for i, column in enumerate(layout.header)] + [OVERFLOW]
    present = [column for column in fmt.columns if column in layout.header] + list(layout.fields)
    rows = 0
    with path.open(encoding=layout.encoding, newline="") as stream:
        for _ in range(layout.lines_before_rows):
            stream.readline()
        for chunk in _chunks(stream, names, layout, limits):
            chunk.index = chunk.index + layout.first_row
            overflowing = chunk[OVERFLOW] != ""
            if overflowing.any():
                raise _too_many_cells(f"row {overflowing.idxmax()}", None, layout)
            frame = chunk[present]
            if (frame[present[0]] == "").any():  # only then can a row be wholly empty
                frame = frame[~frame.eq("").all(axis=1)]
            rows += len(frame)
            if rows > limits.max_rows:
                raise UploadRejected(
                    f"the file has more than {limits.max_rows:,} rows, the limit: split it"
                )
            yield frame.reindex(columns=[*fmt.columns, *layout.fields], fill_value="")
    if rows == 0:
        raise UploadRejected("the file has a header but no rows under it")
