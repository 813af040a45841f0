"""`python -m pipelines.webhooks`: the Thinkific webhook receiver, served by uvicorn.

    THINKIFIC_API_KEY=... ./scripts/uv run --frozen python -m pipelines.webhooks --port 8000

Thinkific signs each event with the site's API key (THINKIFIC_API_KEY), or with an OAuth app's
client secret (set THINKIFIC_WEBHOOK_SECRET, which then wins). Events land in the warehouse at
WAREHOUSE_URL (and WAREHOUSE_SCHEMA), table `thinkific_webhook_events`; the sensor
`thinkific_webhook_events` turns them into refresh runs. Point Thinkific's webhooks at
`https://<public address>/webhooks/thinkific`, with TLS terminated in front of this process.
With a sites file (THINKIFIC_SITES_FILE) each site has its own path, `/webhooks/thinkific/<site>`,
verified with that site's key and stored in that site's tables.
With neither variable set (nor a sites file) it runs on the demo path, as `make sync` does: it
verifies with the demo simulator's key, the one `python -m simulator.webhooks` signs with by
default, and stores into the demo's warehouse when WAREHOUSE_URL is unset (`.data/demo.db`).
uvicorn serves it with the limits of `receiver.server` (header size, timeouts, connections).
"""

import argparse
import contextlib
import os
import sys

import uvicorn

from receiver.app import (
    DEFAULT_MAX_BODY_BYTES,
    WEBHOOK_PATH,
    Endpoint,
    create_sites_app,
    site_path,
)
from receiver.group_commit import MAX_BATCH
from receiver.server import ReceiverConfig
from resources.sites import Site, SitesFileError, check_environment, sites_from_env
from resources.warehouse import WarehouseResource
from resources.warehouse.engine import warehouse_url_from_env
from resources.warehouse.sites import site_warehouse
from resources.webhooks.store import WebhookStore
from simulator import SimulatorConfig

SECRET_VARIABLES = ("THINKIFIC_WEBHOOK_SECRET", "THINKIFIC_API_KEY")
DEMO_KEY_NOTICE = (
    "no THINKIFIC_API_KEY or THINKIFIC_WEBHOOK_SECRET set: verifying with the demo simulator's "
    "key, as `python -m simulator.webhooks` signs by default"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.webhooks",
        description=f"Receive signed Thinkific webhooks on POST {WEBHOOK_PATH}.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES, help="larger bodies get 413"
    )
    parser.add_argument(
        "--max-batch",
        type=int,
        default=MAX_BATCH,
        help="events stored in one transaction at most (1: a commit per event)",
    )
    return parser


def _single_site_endpoint() -> Endpoint:
    """The one path, verified with the first of SECRET_VARIABLES set (an empty one counts as
    unset); with neither, on the demo path, saying so: the demo simulator's key, the demo's
    warehouse."""
    secret = next((os.environ[name] for name in SECRET_VARIABLES if os.environ.get(name)), None)
    if secret is None:
        print(DEMO_KEY_NOTICE, flush=True)
    warehouse = WarehouseResource(
        url=warehouse_url_from_env(demo=secret is None),
        schema_name=os.environ.get("WAREHOUSE_SCHEMA") or None,
    )
    return Endpoint(WEBHOOK_PATH, WebhookStore(warehouse), secret or SimulatorConfig().api_key)


def _site_endpoints(sites: tuple[Site, ...]) -> list[Endpoint]:
    """With a sites file: a path per site, verified with the site's key, into its tables."""
    check_environment(sites, os.environ)
    return [
        Endpoint(
            site_path(site.name),
            WebhookStore(site_warehouse(site.name)),
            os.environ[site.api_key_env],
        )
        for site in sites
    ]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        sites = sites_from_env()
        endpoints = _site_endpoints(sites) if sites else [_single_site_endpoint()]
    except SitesFileError as error:
        print(f"Not started: {error}", file=sys.stderr)
        return 2
    for endpoint in endpoints:
        endpoint.store.create_table()
        print(f"Receiving webhooks on http://{args.host}:{args.port}{endpoint.path}", flush=True)
        print(f"  into {endpoint.store.safe_url}, table {endpoint.store.table.name}", flush=True)
    app = create_sites_app(endpoints, max_body_bytes=args.max_body_bytes, max_batch=args.max_batch)
    server = uvicorn.Server(ReceiverConfig(app, host=args.host, port=args.port))
    with contextlib.suppress(KeyboardInterrupt):  # re-raised by uvicorn once it has shut down
        server.run()
    return 0 if server.started else 1
