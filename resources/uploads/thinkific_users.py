"""Creating an upload's missing users in Thinkific: `POST /users`, one request per user.

Runs before the import's transaction (a write transaction must not wait on HTTP), so the import
can link the new dashboard users to their Thinkific ids. Thinkific sends its own welcome email
only when asked (`send_welcome_email`), which the upload does only when emails are allowed.

A user Thinkific refuses (422: a blank last name, say) is a problem on that row; the row is still
imported into the dashboard, unlinked. An email Thinkific already has (created by an earlier,
interrupted run, or since the last sync) is looked up and linked. Anything else (wrong key,
Thinkific down) fails the run before anything is written; its rerun finds the users created so
far and links them.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from resources.thinkific.resource import ThinkificClient, ThinkificValidationError
from resources.uploads.report import problem_frame
from resources.uploads.users import MissingUser

REFUSED = "Thinkific did not create the user"
TAKEN = "has already been taken"


@dataclass(frozen=True)
class Creation:
    ids: dict[str, int]
    """email -> Thinkific user id, for every user created or found."""
    created: int
    problems: pd.DataFrame


def _existing_id(client: ThinkificClient, email: str) -> int | None:
    answer = client.get("/users", {"query[email]": email})
    for user in answer.get("items", []) if isinstance(answer, dict) else []:
        if str(user.get("email", "")).strip().lower() == email:
            return int(user["id"])
    return None


def create_users(
    client: ThinkificClient, users: Sequence[MissingUser], send_welcome: bool
) -> Creation:
    ids: dict[str, int] = {}
    refused: list[tuple[int, str, str]] = []
    created = 0
    for user in users:
        body = {
            "first_name": user.first_name,
            "last_name": user.last_name or "",
            "email": user.email,
            "send_welcome_email": send_welcome,
        }
        try:
            record = client.post("/users", body)
        except ThinkificValidationError as error:
            found = (
                _existing_id(client, user.email)
                if any(TAKEN in p for p in error.problems)
                else None
            )
            if found is None:
                reasons = "; ".join(error.problems) or str(error)
                refused.append((user.row, f"{REFUSED}: {reasons}", user.email))
            else:
                ids[user.email] = found
            continue
        ids[user.email] = int(record["id"])
        created += 1
    rows, problems, values = zip(*refused, strict=True) if refused else ((), (), ())
    return Creation(
        ids=ids,
        created=created,
        problems=problem_frame(list(rows), "email", list(problems), list(values), kind=REFUSED),
    )
