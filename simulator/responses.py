"""HTTP answers as plain values, built by the routes and written to the socket by the server."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Response:
    """One answer. `reset_connection` means: send nothing, drop the TCP connection with a RST."""

    status: int
    body: bytes = b""
    content_type: str | None = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    reset_connection: bool = False


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, JSON_TYPE, headers or {})


def empty_response(status: int) -> Response:
    """A bodiless answer (204, or Thinkific's 201 without a body)."""
    return Response(status, b"", None)


def text_response(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    """A non-JSON body: HTML when it looks like markup, plain text otherwise."""
    kind = "text/html" if text.lstrip().startswith("<") else "text/plain"
    return Response(status, text.encode("utf-8"), f"{kind}; charset=utf-8", headers or {})


def html_error_page(status: int, footer: str = "") -> str:
    """The kind of HTML page a proxy answers with instead of the API's JSON."""
    try:
        title = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:  # Cloudflare's 52x codes are not standard statuses
        title = str(status)
    return (
        f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center>"
        f"<hr><center>{footer}</center></body></html>"
    )
