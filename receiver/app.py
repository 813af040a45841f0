"""The receiver as a starlette app: `POST /webhooks/thinkific`.

Checks, in order: the body's size (413 beyond `max_body_bytes`: starlette stops reading it), the
signature (401 unless it is the body's HMAC; nothing of an unsigned body is even parsed), the
envelope (400 when malformed). Then the event is stored, once per id, before the answer:

| answer | meaning |
|---|---|
| 200 `stored` | new, committed to the events table |
| 200 `duplicate` | an event with this id is already stored (a retry or a replay): nothing written |
| 200 `ignored` | signed and well-formed, but a topic this project does not keep |
| 503 | the warehouse could not store it: Thinkific delivers it again |
"""

import datetime as dt
import logging

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from receiver.envelope import MalformedEvent, event_record
from receiver.signature import SIGNATURE_HEADER, signature_is_valid
from resources.webhooks.store import WebhookStore

WEBHOOK_PATH = "/webhooks/thinkific"
DEFAULT_MAX_BODY_BYTES = 256 * 1024
"""Thinkific's events are a few kilobytes; anything far larger is not one of them."""

log = logging.getLogger(__name__)


def create_app(
    store: WebhookStore, secret: str, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> Starlette:
    """The receiver, verifying with `secret` and storing into `store`."""

    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        if not signature_is_valid(body, request.headers.get(SIGNATURE_HEADER), secret):
            log.warning("webhook refused: missing or wrong %s", SIGNATURE_HEADER)
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        try:
            record = event_record(body, dt.datetime.now(dt.UTC))
        except MalformedEvent as problem:
            log.warning("webhook refused: %s", problem)
            return JSONResponse({"error": str(problem)}, status_code=400)
        if record is None:
            return JSONResponse({"status": "ignored"})
        try:
            stored = await run_in_threadpool(store.add, record)
        except Exception:
            log.exception("webhook %s could not be stored", record["id"])
            return JSONResponse({"error": "not stored; send it again"}, status_code=503)
        return JSONResponse({"status": "stored" if stored else "duplicate", "id": record["id"]})

    return Starlette(
        routes=[Route(WEBHOOK_PATH, receive, methods=["POST"], max_body_size=max_body_bytes)]
    )
