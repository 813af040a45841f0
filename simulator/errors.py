"""The error answers of the Thinkific API, raised by the site and turned into HTTP by the server."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An answer other than success: an HTTP status with the JSON body Thinkific sends for it."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def record_not_found() -> ApiError:
    return ApiError(404, {"error": "Record not found."})


def unprocessable(errors: dict[str, Any] | list[Any]) -> ApiError:
    """422 in one of Thinkific's three shapes: field → [messages], [messages], field → message."""
    return ApiError(422, {"errors": errors})


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"error": message})
