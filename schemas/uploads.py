"""The CSV upload formats: one pandera model each, with their header aliases and templates.

A model describes one row after reading: every cell is text (the reader keeps cells as written,
blanks as ""). Parsers normalise before the checks run: cells are trimmed, emails, roles and
modes lower-cased, a blank role is `member`, a blank mode `set`. Every check carries the
sentence the admin reads in the error report, so a failure case is a report line as it is.
Checks that need the warehouse or the upload's instant (products, groups and teams that exist,
expiry dates still ahead) are added at run time (`resources.uploads.validation`), as are the
columns of a user file's additional fields (`field_column`): every column the format does not
interpret is a field kept per user, its name the header as `header_key` writes it. Email
syntax is `schemas.upload_cells.email_syntax`, emails at most MAX_EMAIL characters long.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import get_args

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.dashboard import WHITESPACE, Role
from schemas.team_actions import moment
from schemas.upload_cells import (
    at_most,
    bools,
    cells_check,
    check,
    email_syntax,
    filled,
    per_value,
    printable,
    too_long,
    trimmed,
    trimmed_lower,
)

ROLES: tuple[str, ...] = get_args(Role)
"""Allowed roles, the default first."""
MAX_EMAIL = 254
MAX_NAME = 200
MAX_TEAM = 100
MAX_GROUP = 255
MAX_PRODUCT = 255
MAX_SEATS = 1_000_000
MODES = ("set", "add")
"""Seat allocation modes, the default first (`resources.dashboard.seat_allocations`)."""
PRODUCT_SEPARATOR = ";"
"""Products in one cell: `Course A; Bundle B` (quote the cell when the file uses `;`)."""
MAX_FIELDS = 50
"""Additional fields a user file may have: more columns than this is not a user list."""
MAX_FIELD_NAME = 64
MAX_FIELD_VALUE = 500

BLANK = "is blank"
UNPRINTABLE_TEXT = "contains control or invisible formatting characters"
NOT_AN_EMAIL = "is not an email address (name@example.com)"
NOT_A_ROLE = f"is not a role: use {' or '.join(ROLES)} (blank means member)"
NOT_A_NUMBER = "is not a whole number of seats: write digits only (12)"
NEGATIVE = "is negative: give 0 or more seats"
TOO_MANY_SEATS = f"is more than {MAX_SEATS:,} seats: check the number"
NOT_A_MODE = f"is not a mode: use {' or '.join(MODES)} (blank means set)"
NOT_A_DATE = "is not a date: write it as YYYY-MM-DD (2026-12-31)"
PRODUCTS_WITHOUT_TEAM = (
    "names products but no team: seats are bought per team, so give the team the seats are in"
)


Cell = Series[object]
"""A cell as read: always a `str` (the reader reads every cell as text, a blank as ""). Declared
`object` because pandera's `str` dtype check tests every cell again, a third of the time taken."""


def _role(cell: str) -> str:
    return cell.strip(WHITESPACE).lower() or ROLES[0]


def _mode(cell: str) -> str:
    return cell.strip(WHITESPACE).lower() or MODES[0]


def seat_count(cell: str) -> int | None:
    """The seats a cell gives (ASCII digits only), None when it gives none."""
    return int(cell) if cell.isascii() and cell.isdigit() else None


def _negative(cell: str) -> bool:
    return cell.startswith("-") and seat_count(cell[1:]) is not None


def _a_date(cell: str) -> bool:
    try:
        moment(cell)
    except ValueError:
        return False
    return True


class UploadModel(pa.DataFrameModel):
    """Exactly the format's columns, all text; the reader has made them so."""

    class Config:
        strict = True


class UserCsvRow(UploadModel):
    """A row of a user upload: a person, the team they join (if any), their role, and their
    seats; the file's additional fields are columns added at run time (`field_column`)."""

    name: Cell = pa.Field(description="Full name: first word first name, rest last name.")
    email: Cell = pa.Field(description="Unique per user; trimmed and lower-cased.")
    team: Cell = pa.Field(
        description="Optional: dashboard team, created if new (any case); blank, the user "
        "joins no team."
    )
    role: Cell = pa.Field(description="The role in the team: member (default) or manager.")
    products: Cell = pa.Field(
        description=f"Optional: Thinkific products by name or id, separated by "
        f"'{PRODUCT_SEPARATOR}'; the user gets a seat in each, in the row's team."
    )

    @pa.parser("name", "team", "products")
    @classmethod
    def _trim(cls, cells: pd.Series) -> pd.Series:
        return trimmed(cells)

    @pa.parser("email")
    @classmethod
    def _normalise_email(cls, cells: pd.Series) -> pd.Series:
        return trimmed_lower(cells)

    @pa.parser("role")
    @classmethod
    def _normalise_role(cls, cells: pd.Series) -> pd.Series:
        return per_value(cells, _role)

    @check("name", "email", error=BLANK)
    @classmethod
    def _not_blank(cls, cells: pd.Series) -> pd.Series:
        return filled(cells)

    @check("name", error=too_long(MAX_NAME))
    @classmethod
    def _short_name(cls, cells: pd.Series) -> pd.Series:
        return at_most(cells, MAX_NAME)

    @check("team", error=too_long(MAX_TEAM))
    @classmethod
    def _short_team(cls, cells: pd.Series) -> pd.Series:
        return at_most(cells, MAX_TEAM)

    @check("name", "team", error=UNPRINTABLE_TEXT)
    @classmethod
    def _printable(cls, cells: pd.Series) -> pd.Series:
        return printable(cells)

    @check("email", error=too_long(MAX_EMAIL))
    @classmethod
    def _short_email(cls, cells: pd.Series) -> pd.Series:
        return at_most(cells, MAX_EMAIL)

    @check("email", error=NOT_AN_EMAIL)
    @classmethod
    def _email_syntax(cls, cells: pd.Series) -> pd.Series:
        return email_syntax(cells, MAX_EMAIL)

    @check("role", error=NOT_A_ROLE)
    @classmethod
    def _known_role(cls, cells: pd.Series) -> pd.Series:
        return cells.isin(ROLES)


class GroupMatchingRow(UploadModel):
    """A row of a group matching upload: members of the Thinkific group belong to the team."""

    group: Cell = pa.Field(description="Thinkific group, by name (any case) or id.")
    team: Cell = pa.Field(description="Dashboard team, created if new (any case).")
    role: Cell = pa.Field(description="The members' role: member (default) or manager.")

    @pa.parser("group", "team")
    @classmethod
    def _trim(cls, cells: pd.Series) -> pd.Series:
        return trimmed(cells)

    @pa.parser("role")
    @classmethod
    def _normalise_role(cls, cells: pd.Series) -> pd.Series:
        return per_value(cells, _role)

    @check("group", "team", error=BLANK)
    @classmethod
    def _not_blank(cls, cells: pd.Series) -> pd.Series:
        return filled(cells)

    @check("group", error=too_long(MAX_GROUP))
    @classmethod
    def _short_group(cls, cells: pd.Series) -> pd.Series:
        return at_most(cells, MAX_GROUP)

    @check("team", error=too_long(MAX_TEAM))
    @classmethod
    def _short_team(cls, cells: pd.Series) -> pd.Series:
        return at_most(cells, MAX_TEAM)

    @check("group", "team", error=UNPRINTABLE_TEXT)
    @classmethod
    def _printable(cls, cells: pd.Series) -> pd.Series:
        return printable(cells)

    @check("role", error=NOT_A_ROLE)
    @classmethod
    def _known_role(cls, cells: pd.Series) -> pd.Series:
        return cells.isin(ROLES)


class SeatAllocationRow(UploadModel):
    """A row of a seat allocation upload: seats a team bought of a product."""

    team: Cell = pa.Field(description="An existing, active dashboard team (any case).")
    product: Cell = pa.Field(description="Thinkific product, by name (any case) or id.")
    seats: Cell = pa.Field(
        description="How many seats: the new total (set) or how many more (add; 0 adds none)."
    )
    mode: Cell = pa.Field(
        description="set (default): the team has exactly `seats` of the product from now on; "
        "add: the team bought `seats` more."
    )
    expires_at: Cell = pa.Field(
        description="Optional: when these seats stop counting (YYYY-MM-DD, UTC; or an ISO 8601 "
        "time with an offset). Blank: never."
    )

    @pa.parser("team", "product", "seats", "expires_at")
    @classmethod
    def _trim(cls, cells: pd.Series) -> pd.Series:
        return trimmed(cells)

    @pa.parser("mode")
    @classmethod
    def _normalise_mode(cls, cells: pd.Series) -> pd.Series:
        return per_value(cells, _mode)

    @check("team", "product", "seats", error=BLANK)
    @classmethod
    def _not_blank(cls, cells: pd.Series) -> pd.Series:
        return filled(cells)

    @check("team", error=too_long(MAX_TEAM))
    @classmethod
    def _short_team(cls, cells: pd.Series) -> pd.Series:
        return at_most(cells, MAX_TEAM)

    @check("product", error=too_long(MAX_PRODUCT))
    @classmethod
    def _short_product(cls, cells: pd.Series) -> pd.Series:
        return at_most(cells, MAX_PRODUCT)

    @check("team", "product", error=UNPRINTABLE_TEXT)
    @classmethod
    def _printable(cls, cells: pd.Series) -> pd.Series:
        return printable(cells)

    @check("seats", error=NEGATIVE)
    @classmethod
    def _not_negative(cls, cells: pd.Series) -> pd.Series:
        return bools(cells, [not _negative(cell) for cell in cells.tolist()])

    @check("seats", error=NOT_A_NUMBER)
    @classmethod
    def _whole_number(cls, cells: pd.Series) -> pd.Series:
        """Blank and negative cells pass: the checks that say so report them."""
        return bools(
            cells,
            [
                not cell or _negative(cell) or seat_count(cell) is not None
                for cell in cells.tolist()
            ],
        )

    @check("seats", error=TOO_MANY_SEATS)
    @classmethod
    def _not_too_many(cls, cells: pd.Series) -> pd.Series:
        return bools(cells, [(seat_count(cell) or 0) <= MAX_SEATS for cell in cells.tolist()])

    @check("mode", error=NOT_A_MODE)
    @classmethod
    def _known_mode(cls, cells: pd.Series) -> pd.Series:
        return cells.isin(MODES)

    @check("expires_at", error=NOT_A_DATE)
    @classmethod
    def _date(cls, cells: pd.Series) -> pd.Series:
        return bools(cells, [not cell or _a_date(cell) for cell in cells.tolist()])


def header_key(cell: str) -> str:
    """A header cell as aliases and field names are written: lower case, its words of letters
    and digits separated by one space (`E-mail_Address ` and `email address` are the same, as
    are `Team name (optional)` and `team name optional`). NFKC first, so that an accented
    letter typed as one character or as two compares equal."""
    return " ".join(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", cell).casefold()))


def field_column(name: str) -> pa.Column:
    """The column of an additional field: text, trimmed, of printable characters, at most
    MAX_FIELD_VALUE of them; a blank cell is valid (it clears the field)."""
    return pa.Column(
        object,
        name=name,
        parsers=pa.Parser(trimmed),
        checks=[
            cells_check(lambda cells: at_most(cells, MAX_FIELD_VALUE), too_long(MAX_FIELD_VALUE)),
            cells_check(printable, UNPRINTABLE_TEXT),
        ],
        description="Additional field, kept per user (dashboard_user_fields).",
    )


@dataclass(frozen=True)
class UploadFormat:
    """One kind of upload: its model, which columns it needs, and what headers mean them."""

    name: str
    """`uploads/<name>` is its asset."""
    folder: str
    """The subfolder of the uploads folder its files are dropped into."""
    model: type[UploadModel]
    required: tuple[str, ...]
    aliases: Mapping[str, str]
    """Header text (as `header_key` writes it) -> column."""
    row_key: tuple[str, ...]
    """The columns that identify a row: a later row with the same values (in any case; a
    group as the group it names) is a duplicate."""
    template: str
    """The template file, relative to the project root."""
    existing_teams: bool = False
    """Rows must name existing, active teams: the format does not create teams."""
    keeps_fields: bool = False
    """Columns the format does not interpret are additional fields, kept per row's user;
    otherwise they are ignored."""
    needs: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Column -> (the column a filled cell of it needs filled too, the problem otherwise)."""

    @property
    def columns(self) -> list[str]:
        return list(self.model.to_schema().columns)

    @property
    def optional(self) -> list[str]:
        return [column for column in self.columns if column not in self.required]


def _aliases(columns: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {header_key(alias): column for column, names in columns.items() for alias in names}


USER_CSV = UploadFormat(
    name="user_csv",
    folder="users",
    model=UserCsvRow,
    required=("name", "email"),
    aliases=_aliases(
        {
            "name": ("name", "user name", "username", "full name"),
            "email": (
                "email",
                "e-mail",
                "email address",
                "e-mail address",
                "mail",
                "user email",
                "user e-mail",
                "user email address",
            ),
            "team": ("team", "team name", "team name (optional)", "team (optional)"),
            "role": ("role", "team role"),
            "products": ("products", "product", "product names"),
        }
    ),
    row_key=("email", "team"),
    template="templates/users.csv",
    keeps_fields=True,
    needs={"products": ("team", PRODUCTS_WITHOUT_TEAM)},
)

GROUP_MATCHING = UploadFormat(
    name="group_matching",
    folder="group_matching",
    model=GroupMatchingRow,
    required=("group", "team"),
    aliases=_aliases(
        {
            "group": ("group", "group name", "group id", "thinkific group"),
            "team": ("team", "team name"),
            "role": ("role", "default role"),
        }
    ),
    row_key=("group", "team"),
    template="templates/group_matching.csv",
)

SEAT_ALLOCATIONS = UploadFormat(
    name="seat_allocations",
    folder="seat_allocations",
    model=SeatAllocationRow,
    required=("team", "product", "seats"),
    aliases=_aliases(
        {
            "team": ("team", "team name"),
            "product": ("product", "product name", "product id", "course", "course name"),
            "seats": ("seats", "number of seats", "seat count", "seats purchased", "quantity"),
            "mode": ("mode", "allocation mode"),
            "expires_at": (
                "expires at",
                "expires",
                "expires on",
                "expiry",
                "expiry date",
                "expiration date",
            ),
        }
    ),
    row_key=("team", "product"),
    template="templates/seat_allocations.csv",
    existing_teams=True,
)

UPLOAD_FORMATS: dict[str, UploadFormat] = {
    fmt.name: fmt for fmt in (USER_CSV, GROUP_MATCHING, SEAT_ALLOCATIONS)
}
