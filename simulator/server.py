"""The simulator over real HTTP: `SimulatorServer`, and the gate every API request passes.

Built on the standard library's `ThreadingHTTPServer` (HTTP/1.1, so clients keep connections
alive) rather than an ASGI framework such as starlette because the faults need the socket
itself: a TCP reset is SO_LINGER 0 then close on the accepted connection, and a truncated
body is written with a Content-Length the framework would otherwise compute for us.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import socket
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from simulator.admin import ADMIN_BASE, AdminApi
from simulator.api import API_BASE, ApiRequest, RestApi
from simulator.clock import SimClock
from simulator.config import SimulatorConfig
from simulator.faults import Fault, FaultSet
from simulator.generate import generate_site
from simulator.graphql_api import GRAPHQL_PATH, GraphQLAnswer, GraphQLApi
from simulator.latency import Latency, sleep_ms
from simulator.ratelimit import IN_FLIGHT_RETRY_SECONDS, RateLimiter, Refusal, reset_header
from simulator.responses import (
    Response,
    html_error_page,
    json_response,
    text_response,
)
from simulator.site import Site
from simulator.stats import CONNECTION_RESET, LoggedQuery, LoggedRequest, Stats

SHUTDOWN_POLL_SECONDS = 0.05
"""How often the serving loop checks for `stop()`: the longest a stop waits."""
REDIRECT_HOST = "http://login.thinkific-elsewhere.invalid"
GRAPHQL_ENDPOINT = "graphql"
"""The name GraphQL requests go by for faults (`Fault(endpoint="graphql", ...)`)."""
RATE_LIMIT_MESSAGE = "Too many requests. Please retry after the rate limit resets."
FAULT_JSON_BODIES: dict[int, Any] = {
    400: {"error": "Parameter ID is required."},
    401: {"error": "Authentication Error"},
    403: {"error": "Access to Apps is not available on your plan. Upgrade to gain access"},
    404: {"error": "Record not found."},
    422: {"errors": ["Unprocessable Entity"]},
    500: {"error": "Internal Server Error"},
}
"""What a status fault answers when it gives no body (the contract's or Thinkific's examples)."""


class SimulatorServer:
    """A simulated Thinkific site served on `host:port` (port 0 picks a free port).

    Use as a context manager, or call `start()` and `stop()`. The site is generated from the
    config on construction; `site`, `clock`, `faults`, `stats` and `graphql.field_faults`
    (partial GraphQL answers) are the Python API.
    """

    def __init__(
        self, config: SimulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or SimulatorConfig()
        self.clock = SimClock(self.config.start_time)
        self.site = Site(generate_site(self.config), self.clock, self.config.seed)
        self.faults = FaultSet(self.config.seed)
        self.stats = Stats()
        self._latency = Latency(
            self.config.latency_ms, self.config.latency_jitter_ms, self.config.seed
        )
        self._limiter = RateLimiter(
            self.clock, self.config.requests_per_minute, self.config.max_in_flight
        )
        self._api = RestApi(self.site)
        self.graphql = GraphQLApi(self.site, self.clock, self.config)
        self._admin = AdminApi(self)
        self._address = (host, port)
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> SimulatorServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            raise RuntimeError("the simulator is already running")
        self._httpd = _HttpServer(self._address, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="thinkific-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection, kept-alive ones included."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # Addresses and credentials

    @property
    def origin(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the simulator is not running: call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return self.origin + API_BASE

    @property
    def graphql_url(self) -> str:
        return self.origin + GRAPHQL_PATH

    @property
    def admin_url(self) -> str:
        return self.origin + ADMIN_BASE

    @property
    def auth_headers(self) -> dict[str, str]:
        """The REST credential headers of this site."""
        return {"X-Auth-API-Key": self.config.api_key, "X-Auth-Subdomain": self.config.subdomain}

    def ground_truth(self) -> dict[str, list]:
        """Every record exactly as the REST list/get endpoints render it now, plus the
        `certificates` and `quiz_results` as GraphQL serves them (every listed field)."""
        return self.site.ground_truth() | self.graphql.ground_truth()

    # Answering

    def answer(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes, client_host: str
    ) -> Response:
        """The answer to one HTTP request, faults and rate limit included."""
        url = urlsplit(target)
        if url.path == ADMIN_BASE or url.path.startswith(ADMIN_BASE + "/"):
            if not ipaddress.ip_address(client_host).is_loopback:
                return json_response(403, {"error": "the admin routes answer loopback only"})
            return self._answer_admin(method, url.path, body)
        if url.path.startswith(API_BASE + "/"):
            return self._answer_api(method, url.path, url.query, headers, body)
        if url.path == GRAPHQL_PATH:
            return self._answer_graphql(method, url.path, headers, body)
        return json_response(404, {"error": "Not Found"})

    def _answer_admin(self, method: str, path: str, body: bytes) -> Response:
        segments = tuple(s for s in path[len(ADMIN_BASE) :].split("/") if s)
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            return json_response(400, {"error": "the body is not JSON"})
        return self._admin.handle(method, segments, payload)

    def _answer_api(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        arrived = self.clock.timestamp()
        segments = tuple(s for s in path[len(API_BASE) :].split("/") if s)
        endpoint = segments[0] if segments else ""
        response, refused = self._gate(method, path, query, segments, headers, body)
        status = CONNECTION_RESET if response.reset_connection else response.status
        finished = self.clock.timestamp()
        self.stats.record(
            LoggedRequest(arrived, finished, method, endpoint, path, query, status, refused)
        )
        return response

    def _answer_graphql(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        """The configured latency, faults (latency and answers; there is no list to drift), then
        the GraphQL API."""
        arrived = self.clock.timestamp()
        self._latency.wait()
        fired = self.faults.fire(GRAPHQL_ENDPOINT, drift_eligible=False)
        sleep_ms(fired.latency_ms)
        answered: list[GraphQLAnswer] = []  # empty when a fault answered instead

        def respond() -> Response:
            answered.append(self.graphql.answer(method, headers, body))
            return answered[0].response

        response = self._faulted(fired.answer, respond, path)
        charged, refused = (answered[0].charged, answered[0].refused) if answered else (0, False)
        status = CONNECTION_RESET if response.reset_connection else response.status
        self.stats.record_query(LoggedQuery(arrived, status, charged, refused))
        return response

    def _gate(
        self,
        method: str,
        path: str,
        query: str,
        segments: tuple[str, ...],
        headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[Response, bool]:
        """Authentication, then the rate limit, then the request; True when refused (429).

        Every answer first waits the configured latency. An admitted request waits holding its
        in-flight slot, as a request in progress occupies a real server.
        """
        if not self._authenticated(headers):
            self._latency.wait()
            return json_response(401, {"error": "Authentication Error"}), False
        refusal = self._limiter.enter()
        try:
            self._latency.wait()
            if refusal is not None:
                return self._rate_limited(refusal), True
            return self._serve(method, path, query, segments, body), False
        finally:
            if refusal is None:
                self._limiter.leave()

    def _serve(
        self,
        method: str,
        path: str,
        query: str,
        segments: tuple[str, ...],
        body: bytes,
    ) -> Response:
        """Faults first (latency, page drift, a replaced answer), then the route."""
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            return json_response(400, {"error": "The request body is not valid JSON."})
        params = {name: values[0] for name, values in parse_qs(query).items()}
        request = ApiRequest(method, segments, params, payload)
        drift_target = self._api.drift_target(request)
        endpoint = segments[0] if segments else ""
        fired = self.faults.fire(endpoint, drift_eligible=drift_target is not None)
        sleep_ms(fired.latency_ms)
        for drift in fired.drifts:
            if drift.kind == "insert_rows":
                self.site.insert_front(drift_target, drift.rows)
            else:
                self.site.delete_front(drift_target, drift.rows)
        return self._faulted(fired.answer, lambda: self._api.handle(request), path)

    def _faulted(self, fault: Fault | None, respond: Callable[[], Response], path: str) -> Response:
        """The real answer (`respond()`), or what an answering fault makes of it."""
        if fault is None:
            return respond()
        if fault.kind == "truncate":
            response = respond()
            response.body = response.body[: len(response.body) // 2]
            return response
        if fault.kind == "reset":
            return Response(0, reset_connection=True)
        if fault.kind == "redirect":
            location = REDIRECT_HOST + path
            page = f'<html><body>You are being <a href="{location}">redirected</a>.</body></html>'
            return text_response(302, page, {"Location": location})
        return self._fault_status(fault)

    def _authenticated(self, headers: Mapping[str, str]) -> bool:
        """API key + subdomain headers, or a bearer token; compared in constant time."""
        key, subdomain = headers.get("X-Auth-API-Key"), headers.get("X-Auth-Subdomain")
        if key is not None and subdomain is not None:
            return _same(key, self.config.api_key) & _same(subdomain, self.config.subdomain)
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and _same(token.strip(), self.config.access_token)

    def _rate_limited(self, refusal: Refusal) -> Response:
        value = reset_header(self.config.reset_format, refusal)
        headers = {"RateLimit-Reset": value} if value is not None else {}
        if self.config.rate_limit_html:
            return text_response(429, html_error_page(429, RATE_LIMIT_MESSAGE), headers)
        return json_response(429, {"error": RATE_LIMIT_MESSAGE}, headers)

    def _fault_status(self, fault: Fault) -> Response:
        status = fault.status
        if fault.body is not None:
            if isinstance(fault.body, str):
                return text_response(status, fault.body)
            return json_response(status, fault.body)
        if status == 429:
            now = self.clock.timestamp()
            return self._rate_limited(Refusal("fault", now + IN_FLIGHT_RETRY_SECONDS, now))
        if status in FAULT_JSON_BODIES:
            return json_response(status, FAULT_JSON_BODIES[status])
        if 520 <= status <= 530:
            return text_response(status, f"error code: {status}")
        return text_response(status, html_error_page(status, "cloudflare"))


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class _HttpServer(ThreadingHTTPServer):
    """Knows its simulator and its open connections, so `stop` can close kept-alive ones."""

    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 would delay concurrent clients' connects

    def __init__(self, address: tuple[str, int], simulator: SimulatorServer) -> None:
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer (a killed run, a timeout) is normal for a server;
        anything else is printed as the standard library does."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its handler
                connection.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server_version = "ThinkificSimulator/1.0"
    timeout = 120  # seconds an idle kept-alive connection stays open
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        self.server.track(self.connection, open_=False)
        super().finish()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            response = self.server.simulator.answer(
                self.command, self.path, self.headers, body, self.client_address[0]
            )
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = json_response(500, {"error": "Internal Server Error"})
        if response.reset_connection:
            self._reset()
            return
        self.send_response(response.status)
        if response.content_type is not None:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 204:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def _reset(self) -> None:
        """Abort the connection: SO_LINGER with a zero timeout makes close() send a TCP RST."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log lives in `stats`."""
