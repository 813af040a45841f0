"""How the GraphQL client reads Thinkific's GraphQL errors, and the errors it raises for them.

GraphQL answers errors as a top-level `errors` list (`message`, `path`, `extensions.code`),
possibly alongside partial `data`. Three kinds matter: the budget is spent (RATE_LIMITED, or the
message "API rate limit exceeded"), the query itself is wrong (never worth repeating), and
everything else: a failure on Thinkific's side that left parts of the answer out.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from resources.thinkific.errors import (
    ThinkificAuthenticationError,
    ThinkificBadRequestError,
    ThinkificError,
    ThinkificForbiddenError,
    ThinkificRedirectError,
    describe_body,
    error_for_response,
    error_messages,
)

RATE_LIMITED = "RATE_LIMITED"
RATE_LIMIT_MESSAGE = "api rate limit exceeded"
QUERY_ERROR_CODES = frozenset(
    {
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "BAD_USER_INPUT",
        "MAX_QUERY_COST_EXCEEDED",
        "UNAUTHENTICATED",
        "FORBIDDEN",
    }
)
"""Codes saying the query (or the token) is at fault: the same request would fail again."""
LISTED_ERRORS = 3


class ThinkificGraphQLQueryError(ThinkificBadRequestError):
    """Thinkific refused the query itself (parse, validation, cost, arguments, access)."""


class ThinkificPartialAnswerError(ThinkificError):
    """Errors alongside (partial) data persisted through every retry: nothing was loaded."""


def _code(error: Any) -> str | None:
    extensions = error.get("extensions") if isinstance(error, Mapping) else None
    return extensions.get("code") if isinstance(extensions, Mapping) else None


def is_rate_limited(errors: Sequence[Any]) -> bool:
    return any(
        _code(error) == RATE_LIMITED
        or (
            isinstance(error, Mapping)
            and str(error.get("message", "")).lower().rstrip(".") == RATE_LIMIT_MESSAGE
        )
        for error in errors
    )


def is_query_error(errors: Sequence[Any]) -> bool:
    return any(_code(error) in QUERY_ERROR_CODES for error in errors)


def describe_errors(errors: Sequence[Any]) -> str:
    """The first few errors as `message (code, at a.b.0.c)`, and how many more there were."""
    described = []
    for error in errors[:LISTED_ERRORS]:
        if not isinstance(error, Mapping):
            described.append(repr(error))
            continue
        details = [str(_code(error) or "no code")]
        if error.get("path"):
            details.append("at " + ".".join(str(part) for part in error["path"]))
        described.append(f"{error.get('message', 'no message')} ({', '.join(details)})")
    if len(errors) > LISTED_ERRORS:
        described.append(f"and {len(errors) - LISTED_ERRORS} more")
    return "; ".join(described)


TOKEN_SETTING = "THINKIFIC_ACCESS_TOKEN"  # noqa: S105 (a variable's name, not a token)
"""Where the token is set, as a refused token's advice names it (with a sites file, the site's
own variable)."""


def graphql_error_for_response(
    endpoint: str,
    status: int,
    body_text: str,
    location: str | None,
    token_setting: str = TOKEN_SETTING,
) -> ThinkificError:
    """The error for a final non-200 answer (`body_text` already redacted); the advice names the
    GraphQL settings (`token_setting`), not the REST ones."""
    detail = describe_body(_messages(body_text), body_text)
    if 300 <= status < 400:
        return ThinkificRedirectError(
            f"{endpoint} answered {status}, a redirect, which is never followed (the token must "
            "not travel to another address): THINKIFIC_GRAPHQL_URL is probably wrong; it should "
            "be https://api.thinkific.com/stable/graphql.",
            endpoint,
            status,
        )
    if status == 401:
        return ThinkificAuthenticationError(
            f"{endpoint} was refused (401, {detail}): Thinkific did not accept the API access "
            f"token. Check {token_setting}: GraphQL takes an API access token (Thinkific "
            "admin → Settings → Code & analytics → API access tokens), not the REST API key, "
            "and tokens can expire.",
            endpoint,
            status,
        )
    if status == 403:
        return ThinkificForbiddenError(
            f"{endpoint} was forbidden (403, {detail}): the token or the site's plan does not "
            "allow this query.",
            endpoint,
            status,
        )
    return error_for_response(endpoint, status, body_text, location=location)


def _messages(body_text: str) -> list[str]:
    """The `errors[].message`s of a GraphQL error body, else the messages of a REST-shaped one
    (`{"error": ...}`, which Thinkific's gateway answers for a plan or a token it refuses)."""
    try:
        body = json.loads(body_text)
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, Mapping) else None
    if isinstance(errors, list) and all(isinstance(e, Mapping) for e in errors):
        return [str(e.get("message")) for e in errors if e.get("message")]
    return error_messages(body)
