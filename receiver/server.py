"""How the receiver is served: uvicorn, with limits on what one connection may cost.

uvicorn's own settings do most of it (`ReceiverConfig`): its h11 protocol (httptools, its
default when installed, has no limit on header size) with the header block limited to
`MAX_HEADER_BYTES` (beyond it: 400, connection closed), keep-alive connections closed after
`KEEP_ALIVE_SECONDS` idle, and at most `MAX_CONNECTIONS` connections served (beyond them: 503).

Two things uvicorn has no setting for are added by `ReceiverProtocol`, a small subclass of its
h11 protocol (uvicorn's issue #157 lists request timeouts as not done):

- a deadline for each request to arrive whole, headers and body: `request_seconds` from the
  connection's opening or the previous answer. uvicorn's only timeout is the keep-alive one,
  armed after an answer and disarmed by the first byte of the next request, so a connection
  that sends nothing, or stops part-way, was never closed.
- an answer given before the request was all in (413, 431) ends the connection: uvicorn would
  otherwise read the rest of the body, however large, to reuse the connection. The connection
  is half-closed, so the client reads the answer to its end, and what the client still sends
  is dropped unread until it closes or `LINGER_SECONDS` pass (closing at once would reset the
  connection under a client still sending, losing it the answer).
"""

import asyncio
from typing import Any

import h11
from uvicorn import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

MAX_HEADER_BYTES = 8 * 1024
"""The request line and headers: Thinkific's take a few hundred bytes."""
KEEP_ALIVE_SECONDS = 5
REQUEST_SECONDS = 10.0
"""Thinkific's events are a few kilobytes, sent in milliseconds."""
LINGER_SECONDS = 2.0
MAX_CONNECTIONS = 256

RECEIVED = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED)
"""h11's states of a peer whose request has arrived whole."""


class ReceiverConfig(Config):
    """uvicorn's settings for the receiver, and the request deadline read by ReceiverProtocol."""

    def __init__(
        self, app: Any, *, request_seconds: float = REQUEST_SECONDS, **settings: Any
    ) -> None:
        super().__init__(
            app,
            http=ReceiverProtocol,
            ws="none",
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            limit_concurrency=MAX_CONNECTIONS,
            **settings,
        )
        self.request_seconds = request_seconds


class ReceiverProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline per request and no reading past an early answer."""

    def __init__(
        self,
        config: ReceiverConfig,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._request_seconds = config.request_seconds
        self._deadline: asyncio.TimerHandle | None = None
        self._lingering = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._lingering:
            super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state in RECEIVED:
            self._cancel_deadline()

    def on_response_complete(self) -> None:
        if self.conn.their_state in RECEIVED:
            self._await_request()  # the next one; a pipelined one already in disarms it
            super().on_response_complete()
        else:
            super().on_response_complete()
            self._linger()

    def _await_request(self) -> None:
        self._cancel_deadline()
        self._deadline = self.loop.call_later(self._request_seconds, self._request_too_slow)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _request_too_slow(self) -> None:
        self.logger.warning("closing a connection whose request did not arrive in time")
        self.transport.close()

    def _linger(self) -> None:
        self._lingering = True
        self._cancel_deadline()
        self._unset_keepalive_if_required()
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
