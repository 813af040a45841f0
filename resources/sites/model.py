"""A site of the sites file, and the one error every problem with that file raises.

A `Site` holds the NAMES of the variables with its credentials, never their values, so it can
be logged, compared and passed to child processes' setup without leaking a key.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

SITE_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
"""A site's name is a Dagster partition key, a PostgreSQL schema name suffix and part of a file
name: lower-case letters, digits and underscores, starting with a letter, at most 40. Test with
`fullmatch`: `$` alone also matches before a final newline."""


@dataclass(frozen=True)
class Site:
    """One Thinkific site to sync; `line` is where its entry starts in the file (0: no file)."""

    name: str
    subdomain: str
    api_key_env: str
    line: int
    access_token_env: str | None = None
    base_url: str | None = None
    graphql_url: str | None = None
    requests_per_minute: int | None = None
    timezone: str = "UTC"


class SitesFileError(ValueError):
    """One clear message naming the file, the line and (when known) the site, and the fix."""

    @classmethod
    def listing(cls, summary: str, problems: Sequence[str]) -> "SitesFileError":
        """One problem as it is; several each on its own line under `summary`, so the user fixes
        them all at once."""
        if len(problems) == 1:
            return cls(problems[0])
        return cls("\n".join([f"{summary}: {len(problems)} problems", *problems]))
