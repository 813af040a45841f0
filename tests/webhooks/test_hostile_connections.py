"""Hostile connections, some over raw sockets: slow or silent ones are closed at the request
deadline, oversized header blocks are cut off, an early answer ends the connection; valid events
are stored all the while."""

import json
import socket
import threading
import time

from receiver.app import MAX_HEADERS
from receiver.server import MAX_HEADER_BYTES
from tests.webhooks.conftest import IMPATIENT_REQUEST_SECONDS, Receiver

REQUEST_HEAD = b"POST /webhooks/thinkific HTTP/1.1\r\nHost: receiver\r\n"
CHUNK = 65536


def _read_until_closed(connection: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started = time.monotonic()
    received = b""
    while chunk := connection.recv(CHUNK):
        received += chunk
    return received, time.monotonic() - started


def test_a_connection_that_sends_nothing_is_closed_at_the_request_deadline(impatient_receiver):
    with impatient_receiver.connect() as connection:
        received, waited = _read_until_closed(connection)
    assert received == b""
    assert IMPATIENT_REQUEST_SECONDS / 2 < waited < 5  # asyncio may fire a timer a little early


def test_a_request_that_stops_in_its_headers_is_closed_at_the_request_deadline(
    impatient_receiver, events
):
    with impatient_receiver.connect() as connection:
        connection.sendall(REQUEST_HEAD + b"Content-Length: 40\r\nX-Thinkific-Hm")
        received, waited = _read_until_closed(connection)
    assert (received, waited < 5) == (b"", True)
    assert impatient_receiver.stores(events.event("quiz.attempted"))


def test_a_request_that_stops_in_its_body_is_closed_and_nothing_is_stored(
    impatient_receiver, events
):
    with impatient_receiver.connect() as connection:
        connection.sendall(REQUEST_HEAD + b'Content-Length: 400\r\n\r\n{"id": "1", "reso')
        received, waited = _read_until_closed(connection)
    assert (received, waited < 5) == (b"", True)
    assert impatient_receiver.stored() == []
    assert impatient_receiver.stores(events.event("quiz.attempted"))


def test_a_keep_alive_connection_idle_after_its_answer_is_closed(impatient_receiver):
    with impatient_receiver.connect() as connection:
        connection.sendall(REQUEST_HEAD + b"Content-Length: 2\r\n\r\n{}")
        received, waited = _read_until_closed(connection)
    assert received.startswith(b"HTTP/1.1 401 ")
    assert waited < 5


def _send_a_header_of(receiver: Receiver, size: int) -> tuple[int, bytes]:
    """Send a request head with one header of `size` bytes: how much of it was sent before the
    server cut the connection, and what the server answered (nothing when a reset lost it)."""
    sent = 0
    with receiver.connect() as connection:
        connection.sendall(REQUEST_HEAD + b"X-Padding: ")
        try:
            while sent < size:
                sent += connection.send(b"a" * min(CHUNK, size - sent))
            return sent, _read_until_closed(connection)[0]
        except (BrokenPipeError, ConnectionResetError):
            return sent, b""


def test_a_100_mb_header_is_cut_off_while_valid_events_are_stored(receiver, events):
    cut_off: list[tuple[int, bytes]] = []
    size = 100 * 2**20
    sender = threading.Thread(target=lambda: cut_off.append(_send_a_header_of(receiver, size)))
    sender.start()
    started = time.monotonic()
    assert receiver.stores(events.event("quiz.attempted"))
    assert time.monotonic() - started < 5
    sender.join(timeout=60)
    ((sent, answer),) = cut_off
    assert sent < size
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400 ")
    assert len(receiver.stored()) == 1


def test_a_header_block_just_over_the_limit_gets_400(receiver):
    _, answer = _send_a_header_of(receiver, MAX_HEADER_BYTES)
    assert answer.startswith(b"HTTP/1.1 400 ")


def test_headers_within_the_limit_are_accepted(receiver, events):
    event = events.event("quiz.attempted")
    padding = {"X-Padding": "a" * (MAX_HEADER_BYTES - 1024)}
    response = receiver.post_signed(json.dumps(event).encode(), extra_headers=padding)
    assert response.json()["status"] == "stored"


def test_more_headers_than_allowed_get_431_and_nothing_is_stored(receiver, events):
    extra = {f"X-Extra-{n}": "1" for n in range(MAX_HEADERS)}
    response = receiver.post_signed(json.dumps(events.event("user.signup")).encode(), extra)
    assert response.status_code == 431
    assert receiver.stored() == []
    assert receiver.stores(events.event("user.signup"))


def test_after_an_early_413_the_connection_is_closed_not_read_to_the_end(receiver, events):
    with receiver.connect() as connection:
        connection.sendall(REQUEST_HEAD + b"Content-Length: 100000000\r\n\r\n" + b"x" * 1000)
        received, waited = _read_until_closed(connection)
    assert received.startswith(b"HTTP/1.1 413 ")
    assert waited < 5  # the request deadline (10 s) did not close it
    assert receiver.stored() == []
    assert receiver.stores(events.event("user.signup"))


def test_an_oversized_body_sent_whole_still_gets_its_413(receiver):
    response = receiver.post_signed(b"x" * 10 * 2**20)
    assert response.status_code == 413
