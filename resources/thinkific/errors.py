"""The errors the Thinkific client raises, each with a message that says what went wrong and what
to do about it.

Messages carry the endpoint (`GET /users`), the status and the API's own explanation, flattened
from whichever of Thinkific's error body shapes arrived. They never carry request headers.
"""

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

BODY_EXCERPT_CHARS = 200

# Keys that wrap messages without naming a field ("base" is Rails' whole-record error key).
_UNNAMED_KEYS = frozenset({"error", "errors", "base"})


class ThinkificError(Exception):
    """Any failure talking to Thinkific; `endpoint` reads like `GET /users`.

    `short_circuited` marks an error raised again for another request without sending it,
    because the run already met it (see `breaker`).
    """

    short_circuited: bool = False

    def __init__(self, message: str, endpoint: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status


class ThinkificAuthenticationError(ThinkificError):
    """401: wrong key or subdomain, or a plan without API access. Never retried."""


class ThinkificForbiddenError(ThinkificError):
    """403 (other than the legacy rate-limit form): plan or scope. Never retried."""


class ThinkificNotFoundError(ThinkificError):
    """404: the record does not exist (any more)."""


class ThinkificBadRequestError(ThinkificError):
    """400, or another 4xx without a more specific class."""


class ThinkificValidationError(ThinkificError):
    """422: the API rejected a write; `problems` lists each message as `field: message`."""

    def __init__(
        self,
        message: str,
        endpoint: str = "",
        status: int | None = None,
        problems: Sequence[str] = (),
    ) -> None:
        super().__init__(message, endpoint, status)
        self.problems = list(problems)


class ThinkificRedirectError(ThinkificError):
    """3xx: the client never follows redirects, so the base URL is almost certainly wrong."""


class ThinkificServerError(ThinkificError):
    """A 5xx that was not retried: a write that may have been applied, or a status that is not
    transient (501, say)."""


class ThinkificUnavailableError(ThinkificError):
    """Thinkific kept failing (5xx, 52x, connection errors, broken bodies, 429s) until the retry
    budget ran out."""


_NO_CONNECTION_SIGNS = ("NewConnectionError", "NameResolutionError", "Connection refused")
"""Causes that mean no server answered at all (a wrong URL, a proxy), rather than a sick one."""


def unavailable_advice(cause: str, url: str, setting: str, example: str) -> str:
    """What to do after retries ran out on `cause`: check `setting` when nothing answered at
    `url` at all, else wait for Thinkific."""
    if any(sign in cause for sign in _NO_CONNECTION_SIGNS):
        return (
            f"Nothing answered at {url}: check {setting} (it should look like {example}) and "
            "the network or proxy to it."
        )
    return (
        "Thinkific or the network to it is having trouble: run again later (the rerun resumes), "
        "and check Thinkific's status page if it persists."
    )


def error_messages(body: Any, field: str | None = None) -> list[str]:
    """Every message in a Thinkific error body, as `field: message` where a field is named.

    Handles every shape in the API's examples: `{"errors": {field: [messages]}}`,
    `{"errors": [messages]}`, `{"errors": {field: message}}`, `{"errors": [{field: message}]}`,
    a top-level array of such objects, and the same shapes under `"error"`.
    """
    if isinstance(body, dict):
        return [
            message
            for key, value in body.items()
            for message in error_messages(value, _field_name(field, str(key)))
        ]
    if isinstance(body, list):
        return [message for item in body for message in error_messages(item, field)]
    if body is None or body == "":
        return []
    return [f"{field}: {body}" if field else str(body)]


def _field_name(parent: str | None, key: str) -> str | None:
    if key in _UNNAMED_KEYS:
        return parent
    return f"{parent}.{key}" if parent else key


def body_messages(body_text: str) -> list[str]:
    """The messages of a JSON error body; none when the body is not JSON (an HTML page, say)."""
    try:
        return error_messages(json.loads(body_text))
    except ValueError:
        return []


def describe_body(messages: list[str], body_text: str) -> str:
    """The API's explanation in one line: its messages, else an excerpt of the body."""
    if messages:
        return "; ".join(messages)
    excerpt = " ".join(body_text.split())
    if not excerpt:
        return "no explanation in the response body"
    if len(excerpt) > BODY_EXCERPT_CHARS:
        excerpt = excerpt[:BODY_EXCERPT_CHARS] + "…"
    return f"response body: {excerpt}"


KEY_SETTINGS = "THINKIFIC_API_KEY and THINKIFIC_SUBDOMAIN"
"""Where the key and the site it belongs to are set, as a refused key's advice names them (with
a sites file, the site's own variable and entry instead)."""


def error_for_response(
    endpoint: str,
    status: int,
    body_text: str,
    *,
    location: str | None = None,
    write_may_have_applied: bool = False,
    key_settings: str = KEY_SETTINGS,
) -> ThinkificError:
    """The error for a final, unsuccessful answer (the caller has already redacted `body_text`).

    `location` is the redirect target of a 3xx; `write_may_have_applied` marks a 5xx answer to a
    request that is unsafe to repeat; `key_settings` names where the key is set.
    """
    messages = body_messages(body_text)
    detail = describe_body(messages, body_text)
    if 300 <= status < 400:
        host = urlsplit(location or "").hostname or "an unnamed location"
        return ThinkificRedirectError(
            f"{endpoint} answered {status}, a redirect to {host}. Redirects are never followed "
            "(the auth headers must not travel to another address): THINKIFIC_BASE_URL is "
            "probably wrong; it should be the API base, like "
            "https://api.thinkific.com/api/public/v1.",
            endpoint,
            status,
        )
    if status == 401:
        return ThinkificAuthenticationError(
            f"{endpoint} was refused (401, {detail}): Thinkific did not accept the credentials. "
            f"Check {key_settings} (the key must belong to that site), and that the site's plan "
            "includes API access: Thinkific answers 401 for both.",
            endpoint,
            status,
        )
    if status == 403:
        return ThinkificForbiddenError(
            f"{endpoint} was forbidden (403, {detail}): the site's plan or the credential's scope "
            "does not allow this call. Upgrade the plan or use a key or token with that access.",
            endpoint,
            status,
        )
    if status == 404:
        return ThinkificNotFoundError(f"{endpoint} found nothing (404): {detail}", endpoint, status)
    if status == 422:
        return ThinkificValidationError(
            f"{endpoint} rejected (422): {detail}", endpoint, status, messages
        )
    if status >= 500:
        advice = (
            "Not retried automatically because the write may already have been applied: check "
            "it on Thinkific before running again."
            if write_may_have_applied
            else "Try again later; if it persists, report it to Thinkific support."
        )
        return ThinkificServerError(
            f"{endpoint} failed on Thinkific's side ({status}): {detail}. {advice}",
            endpoint,
            status,
        )
    return ThinkificBadRequestError(f"{endpoint} rejected ({status}): {detail}", endpoint, status)
