"""The fault matrix: every failure the main command is proven against, and what it says.

The tests in this folder drive each fault through the real command, and the README's table
"When something fails" is rendered from this list (`tests/faults/test_readme_table.py` checks
it is there word for word), so the two cannot drift apart.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    """What went wrong, as the README's first column says it."""
    says: str
    """A fragment of what the command prints for it: once, whatever the number of streams."""
    fix: str
    """What to do, as the README says it."""
    exit_status: int = 1


FAULTS = [
    Fault(
        "Wrong API key or subdomain, or a plan without API access",
        "was refused (401, Authentication Error)",
        "Set `THINKIFIC_API_KEY` and `THINKIFIC_SUBDOMAIN` to the same site's values, and check "
        "that its plan includes API access: Thinkific answers 401 for all three. After the first "
        "401 nothing more is sent (the requests already on their way with it, at most ten, get "
        "401 too).",
    ),
    Fault(
        "A sync of another site than the one the warehouse holds",
        "which was asked for; nothing was read or written",
        "Point `WAREHOUSE_URL` (or `WAREHOUSE_SCHEMA`) at a warehouse of the new site's own, or "
        "delete the old one to start over. The demo site writes to `.data/demo.db`, so the first "
        "real site synced after it starts from empty tables in `.data/warehouse.db`.",
        exit_status=2,
    ),
    Fault(
        "The plan or the key's scope forbids a call",
        "was forbidden (403",
        "Upgrade the plan, or use a key or token with that access.",
    ),
    Fault(
        "No API access token",
        "THINKIFIC_ACCESS_TOKEN is not set",
        "Not a failure: certificates and quiz results are skipped and say why; set "
        "`THINKIFIC_ACCESS_TOKEN` to sync them.",
        exit_status=0,
    ),
    Fault(
        "API access token refused",
        "Thinkific did not accept the API access token",
        "Create a new token (Settings → Code & analytics → API access tokens) and set "
        "`THINKIFIC_ACCESS_TOKEN`; every REST stream still loads.",
    ),
    Fault(
        "Nothing answers at the Thinkific URL",
        "Nothing answered at",
        "Check `THINKIFIC_BASE_URL` and the network or proxy to it.",
    ),
    Fault(
        "Thinkific stops answering during the sync",
        "still failing after",
        "Run again when it is back: the streams loaded before stay, the rerun resumes the rest.",
    ),
    Fault(
        "Thinkific answers 5xx for longer than the retries",
        "(last: status 503)",
        "Run again later (the rerun resumes); `THINKIFIC_MAX_ATTEMPTS` buys more patience.",
    ),
    Fault(
        "The warehouse database cannot be reached",
        "WAREHOUSE_URL points at a database that cannot be reached",
        "Start PostgreSQL, or correct host and port in `WAREHOUSE_URL`.",
    ),
    Fault(
        "The warehouse database does not exist",
        "the database named in WAREHOUSE_URL does not exist",
        "Create it (`createdb NAME`) or correct the name in `WAREHOUSE_URL`.",
    ),
    Fault(
        "The warehouse file is read-only",
        "the warehouse file (or its folder) is read-only",
        "Make the file and its folder writable, or point `WAREHOUSE_URL` elsewhere.",
    ),
    Fault(
        "The warehouse database is in read-only mode",
        "the database is in read-only mode",
        "Point `WAREHOUSE_URL` at the primary, not a standby (or turn off "
        "`default_transaction_read_only`).",
    ),
    Fault(
        "The warehouse's disk is full",
        "the disk holding the warehouse is full",
        "Free space, then rerun: nothing was lost, the rerun resumes.",
    ),
    Fault(
        "Stopped with Ctrl-C or SIGTERM",
        "the sync was interrupted",
        "Run again: the rerun resumes after the last page staged. Every process the command "
        "started is gone within seconds.",
        exit_status=130,
    ),
    Fault(
        "A setting that is not a number",
        "is not an integer",
        "Fix or unset the variable the message names (exit status 2, nothing started).",
        exit_status=2,
    ),
    Fault(
        "A setting outside the values it takes",
        "must be one of burst, smooth",
        "Fix or unset the variable the message names (exit status 2, nothing started).",
        exit_status=2,
    ),
]

BY_NAME = {fault.name: fault for fault in FAULTS}


def readme_table() -> str:
    """The README's table of failures, as Markdown."""
    lines = [
        "| what went wrong | `scripts/sync` says (once, exit status) | what to do |",
        "|---|---|---|",
    ]
    for fault in FAULTS:
        lines.append(f"| {fault.name} | `…{fault.says}…` ({fault.exit_status}) | {fault.fix} |")
    return "\n".join(lines)
