"""What a run reads: where an incremental stream starts, and the run's reads warmed up front.

Dagster's in-process executor runs one step after another, so without warming a small site's
sync would send one stream's requests, stage them, record the step's events, and only then send
the next stream's. The first Thinkific step of a run instead asks for the first answer of every
REST read the run will make (`warm_the_run`); the later steps take what has arrived (see
`resources.thinkific.read_ahead`). Each step still reads, validates and loads its own stream,
with its own checkpoints, metadata and failures.
"""

import threading
from typing import Any

from dagster import AssetExecutionContext

from resources.extraction.engine import WARM_READS
from resources.extraction.plan import parent_ids, per_parent_reads, rest_reads
from resources.extraction.reads import Read
from resources.thinkific import ThinkificResource
from resources.thinkific.client import ThinkificClient
from resources.thinkific.read_ahead import AnswerHook
from resources.warehouse import WarehouseResource
from schemas.thinkific import STREAMS
from schemas.thinkific.streams import TABLE_PREFIX, PerParent, RestList, Stream

FULL_REFRESH_TAG = "thinkific/full_refresh"
"""Run tag that makes every incremental stream read everything (weekly reconciliation sets it)."""


def full_refresh_requested(context: AssetExecutionContext, stream: Stream) -> bool:
    """The stream's asset config says `full_refresh`, or the run carries `FULL_REFRESH_TAG`."""
    op_config = context.run.run_config.get("ops", {}).get(stream_op_name(stream), {})
    configured = (op_config.get("config") or {}).get("full_refresh", False)
    return bool(configured) or context.run.tags.get(FULL_REFRESH_TAG) == "true"


def stream_op_name(stream: Stream) -> str:
    return f"thinkific__{stream.name}"


def read_since(stream: Stream, warehouse: WarehouseResource, full: bool) -> str | None:
    """The day an incremental stream's read starts at (its watermark's), or None: everything."""
    watermark = warehouse.watermark(stream.table)
    return None if full or watermark is None else watermark.date().isoformat()


def warm_the_run(
    context: AssetExecutionContext, thinkific: ThinkificResource, warehouse: WarehouseResource
) -> None:
    """Once per run whose steps share this process: ask for the first answers of every REST
    read of the run's streams.

    Listings go first (their later pages can only be asked for once the first has said how many
    there are), then the reads per parent row: planned from the parent table as the last sync
    left it, or, on a first sync, from the parent listing's answers as they arrive. A stream
    with a load to resume is left alone (its read starts at a later page). Whatever a step then
    reads differently is simply fetched when it asks.
    """
    if not _steps_share_this_process(context) or not thinkific.read_ahead.claim_warming():
        return
    selected = {tuple(key.path) for key in context.job_def.asset_layer.executable_asset_keys}
    streams = [
        stream
        for stream in STREAMS
        if ("thinkific", stream.name) in selected
        and isinstance(stream.read, RestList | PerParent)
        and not warehouse.has_checkpoint(stream.table)
    ]
    listings: dict[str, Read] = {}
    for stream in sorted(streams, key=lambda stream: isinstance(stream.read, PerParent)):
        read = stream.read
        # A client per stream: what is warmed and never read counts to the stream's asset.
        client = thinkific.get_client(context.log, asset=f"thinkific/{stream.name}")
        if (
            isinstance(read, PerParent)
            and read.parent in listings
            and not warehouse.count(f"{TABLE_PREFIX}{read.parent}")
        ):
            listings[read.parent].warm(on_answer=_children_warmer(stream, read, client, context))
            continue
        full = full_refresh_requested(context, stream)
        since = read_since(stream, warehouse, full) if stream.incremental else None
        reads = rest_reads(stream, warehouse, client, log=context.log, since=since)
        for each in reads[:WARM_READS]:
            each.warm()
        if isinstance(read, RestList):
            listings[stream.name] = reads[0]


IN_PROCESS_EXECUTORS = {"execute_in_process_executor", "in_process"}


def _steps_share_this_process(context: AssetExecutionContext) -> bool:
    """Whether the run's other steps run in this process and can take what is warmed here: the
    main command, the Launchpad's in-process runs and tests do; a deployment's multiprocess
    runs give each step a process of its own (each still reads its own pages ahead)."""
    return context.job_def.executor_def.name in IN_PROCESS_EXECUTORS


def _children_warmer(
    stream: Stream, read: PerParent, client: ThinkificClient, context: AssetExecutionContext
) -> AnswerHook:
    """Warms a per-parent stream's reads from its parent listing's answers (a first sync), the
    first `WARM_READS` of them; answers of several pages may arrive in two workers at once."""
    budget = WARM_READS
    lock = threading.Lock()

    def on_answer(body: Any) -> None:
        nonlocal budget
        items = body.get("items") if isinstance(body, dict) else None
        with lock:
            ids = parent_ids(read, items or [])[:budget]
            budget -= len(ids)
        for each in per_parent_reads(stream.name, read, ids, client, context.log):
            each.warm()

    return on_answer
