"""`python -m simulator`: serve a simulated Thinkific site until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from simulator.config import RESET_FORMATS, SimulatorConfig
from simulator.server import SimulatorServer

DEFAULT_PORT = 8765
CONFIG_OPTIONS: dict[str, tuple[type, str]] = {
    "seed": (int, "seed of the generated site (same seed, same data)"),
    "users": (int, "number of users"),
    "groups": (int, "number of groups"),
    "courses": (int, "number of courses (each gets a product)"),
    "bundles": (int, "number of bundles (each gets a product)"),
    "enrollments": (int, "number of enrollments (at most users x courses)"),
    "api_key": (str, "value expected in X-Auth-API-Key"),
    "subdomain": (str, "value expected in X-Auth-Subdomain"),
    "access_token": (str, "token accepted as Authorization: Bearer"),
    "requests_per_minute": (int, "REST rate limit per 60 s sliding window"),
    "max_in_flight": (int, "concurrent requests above this get 429"),
    "graphql_points_per_minute": (int, "GraphQL cost budget per rolling minute"),
    "latency_ms": (int, "every REST and GraphQL answer waits this long, like a real page time"),
    "latency_jitter_ms": (int, "plus a uniform 0..this, drawn from the seed"),
}


def build_parser() -> argparse.ArgumentParser:
    defaults = SimulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="A local Thinkific REST Admin API v1 with fake demo credentials.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (0 picks a free one)")
    for name, (kind, help_text) in CONFIG_OPTIONS.items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=kind, default=getattr(defaults, name), help=help_text)
    parser.add_argument(
        "--reset-format",
        choices=RESET_FORMATS,
        default=defaults.reset_format,
        help="meaning of the RateLimit-Reset header on 429",
    )
    parser.add_argument(
        "--rate-limit-html", action="store_true", help="answer 429 with an HTML body"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = {name: getattr(args, name) for name in CONFIG_OPTIONS}
    try:
        config = SimulatorConfig(
            **settings, reset_format=args.reset_format, rate_limit_html=args.rate_limit_html
        )
    except ValueError as error:
        parser.error(str(error))  # a usage message and exit status 2, not a traceback
    stopping = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stopping.set())
    with SimulatorServer(config, host=args.host, port=args.port) as sim:
        print(f"Thinkific simulator serving {sim.base_url}", flush=True)
        print(f"  X-Auth-API-Key: {config.api_key}", flush=True)
        print(f"  X-Auth-Subdomain: {config.subdomain}", flush=True)
        print(f"  Authorization: Bearer {config.access_token}", flush=True)
        print(f"  GraphQL: POST {sim.graphql_url}", flush=True)
        print(f"  admin routes: {sim.admin_url}  (stop with Ctrl-C)", flush=True)
        while not stopping.wait(0.2):
            pass
    print("Thinkific simulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
