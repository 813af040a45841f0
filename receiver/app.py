"""The receiver as a starlette app: `POST /webhooks/thinkific` (with a sites file, one path per
site, `/webhooks/thinkific/<site>`, each verified with that site's key into its own table).

Checks, in order: the number of headers (431 beyond `MAX_HEADERS`), the body's size (413 beyond
`max_body_bytes`: starlette stops reading it; after either answer the server closes the
connection rather than read the rest, see `receiver.server`), the signature (401 unless it is
the body's HMAC; nothing of an unsigned body is even parsed), the envelope (400 when it is not
strict JSON or not an envelope: see `receiver.envelope`). Then the event is stored, once per id,
before the answer; events arriving together are stored together (`receiver.group_commit`), so a
burst costs a commit per batch, not per event:

| answer | meaning |
|---|---|
| 200 `stored` | new, committed to the events table |
| 200 `duplicate` | an event with this id is already stored (a retry or a replay): nothing written |
| 200 `ignored` | signed and well-formed, but a topic this project does not keep |
| 400 | signed but malformed, or a value that does not fit the events table: nothing stored |
| 503 | the warehouse could not store it: Thinkific delivers it again |

Every 4xx is the sender's permanent fault and a 5xx only ours: no body, however hostile, gets a
5xx, since Thinkific would send it again forever.
"""

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from receiver.envelope import MalformedEvent, event_record
from receiver.group_commit import MAX_BATCH, GroupCommit
from receiver.signature import SIGNATURE_HEADER, signature_is_valid
from resources.webhooks.store import Refused, WebhookStore

WEBHOOK_PATH = "/webhooks/thinkific"
DEFAULT_MAX_BODY_BYTES = 256 * 1024
"""Thinkific's events are a few kilobytes; anything far larger is not one of them."""
MAX_HEADERS = 64
"""Thinkific sends about ten; the server bounds their total size (see `receiver.server`)."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Endpoint:
    """One site's webhooks: the path Thinkific posts to, where its events go, its signing key."""

    path: str
    store: WebhookStore
    secret: str = field(repr=False)


def site_path(site: str) -> str:
    """With a sites file, each site's events come to a path of their own."""
    return f"{WEBHOOK_PATH}/{site}"


def create_app(
    store: WebhookStore,
    secret: str,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_batch: int = MAX_BATCH,
) -> Starlette:
    """The receiver, verifying with `secret` and storing into `store` from its startup on, at
    most `max_batch` events per transaction."""
    endpoint = Endpoint(WEBHOOK_PATH, store, secret)
    return create_sites_app([endpoint], max_body_bytes=max_body_bytes, max_batch=max_batch)


def create_sites_app(
    endpoints: Sequence[Endpoint],
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_batch: int = MAX_BATCH,
) -> Starlette:
    """The receiver of several sites: each endpoint verifies with its own secret and stores into
    its own store, through a writer of its own."""
    writers = [GroupCommit(endpoint.store, max_batch=max_batch) for endpoint in endpoints]

    @asynccontextmanager
    async def writing(_: Starlette) -> AsyncIterator[None]:
        for writer in writers:
            writer.start()
        try:
            yield
        finally:
            for writer in writers:
                await asyncio.to_thread(writer.stop)

    return Starlette(
        routes=[
            Route(
                endpoint.path,
                _receiver(endpoint.secret, writer),
                methods=["POST"],
                max_body_size=max_body_bytes,
            )
            for endpoint, writer in zip(endpoints, writers, strict=True)
        ],
        lifespan=writing,
    )


def _receiver(secret: str, writer: GroupCommit) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def receive(request: Request) -> JSONResponse:
        if len(request.headers.raw) > MAX_HEADERS:
            return JSONResponse({"error": f"more than {MAX_HEADERS} headers"}, status_code=431)
        try:
            body = await request.body()
        except ClientDisconnect:  # gone, or closed by the server for being too slow
            return JSONResponse({"error": "the request did not arrive whole"}, status_code=400)
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
            outcome = await asyncio.wrap_future(writer.submit(record))
        except Exception as error:  # logged with its traceback by the writer, once per batch
            log.warning("webhook %s not stored: %s", record["id"], type(error).__name__)
            return JSONResponse({"error": "not stored; send it again"}, status_code=503)
        if isinstance(outcome, Refused):
            log.warning("webhook %s refused: %s", record["id"], outcome.reason)
            return JSONResponse({"error": f"does not fit: {outcome.reason}"}, status_code=400)
        return JSONResponse({"status": outcome, "id": record["id"]})

    return receive
