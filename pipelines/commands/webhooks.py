"""`python -m pipelines.webhooks`: the Thinkific webhook receiver, served by uvicorn.

    THINKIFIC_API_KEY=... ./scripts/uv run --frozen python -m pipelines.webhooks --port 8000

Thinkific signs each event with the site's API key (THINKIFIC_API_KEY), or with an OAuth app's
client secret (set THINKIFIC_WEBHOOK_SECRET, which then wins). Events land in the warehouse at
WAREHOUSE_URL (and WAREHOUSE_SCHEMA), table `thinkific_webhook_events`; the sensor
`thinkific_webhook_events` turns them into refresh runs. Point Thinkific's webhooks at
`https://<public address>/webhooks/thinkific`, with TLS terminated in front of this process.
uvicorn serves it with the limits of `receiver.server` (header size, timeouts, connections).
"""

import argparse
import contextlib
import os
import sys

import uvicorn

from receiver.app import DEFAULT_MAX_BODY_BYTES, WEBHOOK_PATH, create_app
from receiver.group_commit import MAX_BATCH
from receiver.server import ReceiverConfig
from resources.warehouse import WarehouseResource
from resources.warehouse.engine import warehouse_url_from_env
from resources.webhooks.store import WebhookStore

SECRET_VARIABLES = ("THINKIFIC_WEBHOOK_SECRET", "THINKIFIC_API_KEY")


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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    secret = next((os.environ[name] for name in SECRET_VARIABLES if os.environ.get(name)), None)
    if secret is None:
        print(
            "Set THINKIFIC_API_KEY (or THINKIFIC_WEBHOOK_SECRET): webhooks are verified with it.",
            file=sys.stderr,
        )
        return 2
    warehouse = WarehouseResource(
        url=warehouse_url_from_env(), schema_name=os.environ.get("WAREHOUSE_SCHEMA") or None
    )
    store = WebhookStore(warehouse)
    store.create_table()
    print(f"Receiving webhooks on http://{args.host}:{args.port}{WEBHOOK_PATH}", flush=True)
    print(f"  into {warehouse.safe_url}, table {store.table.name}", flush=True)
    app = create_app(store, secret, max_body_bytes=args.max_body_bytes, max_batch=args.max_batch)
    server = uvicorn.Server(ReceiverConfig(app, host=args.host, port=args.port))
    with contextlib.suppress(KeyboardInterrupt):  # re-raised by uvicorn once it has shut down
        server.run()
    return 0 if server.started else 1
