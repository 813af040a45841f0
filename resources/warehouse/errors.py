"""What went wrong with the warehouse database, in words that say what to do about it.

SQLAlchemy hands over the driver's error (sqlite3, psycopg); the causes a user can act on are
few and recognisable: the server cannot be reached or refuses the login, the database does not
exist, the file or its folder is read-only, the disk is full, another process holds the lock.
PostgreSQL names them by SQLSTATE; SQLite only by message, so both are read. Anything else is
not recognised and keeps its own message (and traceback): it is a bug to report, not a cause.
"""

import re
from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class WarehouseProblem:
    cause: str
    """A stable name of the cause, like `warehouse_disk_full` (failures are grouped by it)."""
    explanation: str
    """What happened and what to do, without the URL's password."""


_UNREACHABLE = (
    "WAREHOUSE_URL points at a database that cannot be reached: start PostgreSQL or correct "
    "host and port in WAREHOUSE_URL"
)
_MISSING_DATABASE = (
    "the database named in WAREHOUSE_URL does not exist: create it (createdb NAME) or correct "
    "the name"
)
_LOGIN_REFUSED = "the database refused the login: check the user and password in WAREHOUSE_URL"
_PROBLEMS_BY_SQLSTATE_CLASS = {
    "08": ("warehouse_unreachable", _UNREACHABLE),
    "57": (
        "warehouse_unreachable",
        "the database server shut down or restarted during the run: start it again, then rerun; "
        "the rerun resumes where this one stopped",
    ),
    "28": ("warehouse_login_refused", _LOGIN_REFUSED),
    "3D": ("warehouse_database_missing", _MISSING_DATABASE),
    "53": (
        "warehouse_disk_full",
        "the disk holding the warehouse is full (the database server's): free space or grow the "
        "volume, then rerun; nothing was lost, the rerun resumes",
    ),
    "25": (
        "warehouse_read_only",
        "the database is in read-only mode (a standby, or default_transaction_read_only): "
        "point WAREHOUSE_URL at the primary",
    ),
}
_PROBLEMS_BY_MESSAGE = (
    # (pattern in the driver's message, lower case; cause, explanation): the first match wins.
    # PostgreSQL reports a refused connection without a SQLSTATE, so those are read here too.
    (r'database ".*" does not exist', "warehouse_database_missing", _MISSING_DATABASE),
    (r"password authentication failed", "warehouse_login_refused", _LOGIN_REFUSED),
    (r'role ".*" does not exist', "warehouse_login_refused", _LOGIN_REFUSED),
    (
        "readonly database",
        "warehouse_read_only",
        "the warehouse file (or its folder) is read-only: make both writable for this user, "
        "or point WAREHOUSE_URL at a writable place",
    ),
    (
        "database or disk is full",
        "warehouse_disk_full",
        "the disk holding the warehouse is full: free space, then rerun; nothing was lost, "
        "the rerun resumes",
    ),
    (
        "disk i/o error",
        "warehouse_disk_full",
        "the warehouse file could not be written (disk I/O error: usually a full or failing "
        "disk): free space or check the disk, then rerun; nothing was lost, the rerun resumes",
    ),
    (
        "no space left on device",
        "warehouse_disk_full",
        "the disk holding the warehouse is full: free space, then rerun; nothing was lost, the "
        "rerun resumes",
    ),
    (
        "unable to open database file",
        "warehouse_unreachable",
        "the warehouse file cannot be opened: check that its folder exists and is writable, "
        "or correct WAREHOUSE_URL",
    ),
    (
        "database is locked",
        "warehouse_locked",
        "another process held the warehouse's write lock for longer than the busy timeout: let "
        "it finish (another sync or import?), then rerun",
    ),
    ("connection refused", "warehouse_unreachable", _UNREACHABLE),
    ("could not connect", "warehouse_unreachable", _UNREACHABLE),
    ("could not translate host name", "warehouse_unreachable", _UNREACHABLE),
    ("server closed the connection", "warehouse_unreachable", _UNREACHABLE),
    ("connection is closed", "warehouse_unreachable", _UNREACHABLE),
)


def warehouse_problem(error: BaseException) -> WarehouseProblem | None:
    """The recognised cause of a database error raised through SQLAlchemy (or of the warehouse
    error made of one), else None."""
    known = getattr(error, "problem", None)
    if isinstance(known, WarehouseProblem):
        return known
    original = error.orig if isinstance(error, sa.exc.DBAPIError) else error
    sqlstate = getattr(original, "sqlstate", None) or ""
    if sqlstate[:2] in _PROBLEMS_BY_SQLSTATE_CLASS:
        return WarehouseProblem(*_PROBLEMS_BY_SQLSTATE_CLASS[sqlstate[:2]])
    text = str(original).lower()
    for pattern, cause, explanation in _PROBLEMS_BY_MESSAGE:
        if re.search(pattern, text):
            return WarehouseProblem(cause, explanation)
    return None
