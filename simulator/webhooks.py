"""Sends signed Thinkific webhooks to a URL, as Thinkific does, and as it misbehaves.

Each body is signed like Thinkific signs it: header `X-Thinkific-Hmac-Sha256` = hex HMAC-SHA256
of the raw body, keyed with the site's API key. On top of faithful deliveries, `deliveries` can
add what a receiver must survive: exact duplicates (Thinkific retries), a shuffled order (delivery
order is not documented) and tampered copies (the body changed after signing).

    python -m simulator.webhooks http://127.0.0.1:8000/webhooks/thinkific --count 20 \\
        --duplicates 5 --reorder --tamper 2

The command draws events from the simulator's site for `--seed` (the demo site by default) and
signs with the simulator's API key (`SimulatorConfig.api_key`, unless `--secret`), so it pairs
with a receiver keyed with THINKIFIC_API_KEY, or with one started with no key set: that one
verifies with the same key (the demo path of `python -m pipelines.webhooks`).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import random
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

from simulator.config import SimulatorConfig
from simulator.server import SimulatorServer
from simulator.webhook_events import TOPICS, WebhookEvents

SIGNATURE_HEADER = "X-Thinkific-Hmac-Sha256"
SEND_TIMEOUT_SECONDS = 10


def sign(body: bytes, secret: str) -> str:
    """Thinkific's signature of a raw body."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Delivery:
    """One POST: a body and the signature header sent with it."""

    event_id: str
    body: bytes
    signature: str
    tampered: bool = False


def deliveries(
    events: Sequence[dict[str, Any]],
    secret: str,
    *,
    duplicates: int = 0,
    reorder: bool = False,
    tamper: int = 0,
    seed: int = 0,
) -> list[Delivery]:
    """One signed delivery per event, plus `duplicates` exact repeats of random ones and
    `tamper` forged copies (a payload value changed, the original signature kept), in event
    order or, with `reorder`, shuffled."""
    rng = random.Random(seed)
    signed = []
    for event in events:
        body = json.dumps(event).encode("utf-8")
        signed.append(Delivery(str(event["id"]), body, sign(body, secret)))
    extra = [rng.choice(signed) for _ in range(duplicates if signed else 0)]
    for original in rng.sample(signed, min(tamper, len(signed))):
        event = json.loads(original.body)
        event["payload"]["id" if "id" in event["payload"] else "attempts"] = 999_999_999
        body = json.dumps(event).encode("utf-8")
        extra.append(Delivery(original.event_id, body, original.signature, tampered=True))
    sent = signed + extra
    if reorder:
        rng.shuffle(sent)
    return sent


def send(url: str, outgoing: Sequence[Delivery]) -> list[int]:
    """POST each delivery in order; the status codes the receiver answered."""
    with requests.Session() as session:
        return [
            session.post(
                url,
                data=delivery.body,
                headers={"Content-Type": "application/json", SIGNATURE_HEADER: delivery.signature},
                timeout=SEND_TIMEOUT_SECONDS,
            ).status_code
            for delivery in outgoing
        ]


def build_parser() -> argparse.ArgumentParser:
    defaults = SimulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m simulator.webhooks",
        description="POST signed Thinkific webhook events about a simulated site to a URL.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("url", help="the receiver, e.g. http://127.0.0.1:8000/webhooks/thinkific")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="site and event seed")
    parser.add_argument("--secret", default=defaults.api_key, help="signing key (the API key)")
    parser.add_argument("--count", type=int, default=10, help="distinct events to send")
    parser.add_argument("--topics", nargs="+", choices=TOPICS, default=list(TOPICS))
    parser.add_argument("--duplicates", type=int, default=0, help="extra exact repeats")
    parser.add_argument("--reorder", action="store_true", help="shuffle the delivery order")
    parser.add_argument("--tamper", type=int, default=0, help="forged copies to add")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    site = SimulatorServer(SimulatorConfig(seed=args.seed))
    events = WebhookEvents(site, seed=args.seed).sample(args.count, tuple(args.topics))
    outgoing = deliveries(
        events,
        args.secret,
        duplicates=args.duplicates,
        reorder=args.reorder,
        tamper=args.tamper,
        seed=args.seed,
    )
    statuses = send(args.url, outgoing)
    print(f"sent {len(outgoing)} deliveries of {len(events)} events: {dict(Counter(statuses))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
