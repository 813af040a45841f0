"""What a run reads: where an incremental stream starts, and the run's reads warmed up front.

Dagster's in-process executor runs one step after another, so without warming a small site's
sync would send one stream's requests, stage them, record the step's events, and only then send
the next stream's. The first Thinkific step of a run instead asks for the first answer of every
REST read the run will make (`warm_the_run`); the later steps take what has arrived (see
`resources.thinkific.read_ahead`). Each step still reads, validates and loads its own stream,
with its own checkpoints, metadata and failures.
"""

import threading
from collections.abc import Sequence
from functools import partial
from typing import Any

from dagster import AssetExecutionContext, Config
from pydantic import Field

from resources.extraction.engine import WARM_READS
from resources.extraction.learning_records import read_learning_records, reads_in_full
from resources.extraction.plan import parent_ids, per_parent_reads, rest_reads
from resources.extraction.reads import Read
from resources.thinkific import ThinkificResource
from resources.thinkific.client import ThinkificClient
from resources.thinkific.early_reads import LogRelay
from resources.thinkific.graphql import ThinkificGraphQLClient
from resources.thinkific.read_ahead import AnswerHook
from resources.warehouse import WarehouseResource
from schemas.thinkific import STREAMS
from schemas.thinkific.streams import TABLE_PREFIX, GraphQLConnection, PerParent, RestList, Stream

FULL_REFRESH_TAG = "thinkific/full_refresh"
"""Run tag that makes every incremental stream read everything (weekly reconciliation sets it)."""
GRAPHQL_OP_NAME = "certificates_and_quiz_results"
"""The step that reads every GraphQL stream (`assets.thinkific.graphql`)."""


class LearningRecordsConfig(Config):
    """Left empty (the nightly run), each selected table is read in full the first time and
    then only for the users whose enrollments changed (`resources.extraction.learning_records`)."""

    full_refresh: bool = Field(
        default=False,
        description="Read every row and mark rows gone deleted, instead of following the "
        "enrollments that changed. Also set by the run tag thinkific/full_refresh (the weekly "
        "reconciliation).",
    )

    certificate_user_emails: list[str] = Field(
        default_factory=list,
        description="Only refresh (upsert) these users' certificates; nothing is deleted.",
    )
    quiz_user_ids: list[int] = Field(
        default_factory=list,
        description="Only refresh (upsert) these users' quiz results; nothing is deleted.",
    )

    def users(self, stream: Stream) -> Sequence[Any]:
        """The users a targeted refresh of the stream names (by its `refresh_by`), if any."""
        assert isinstance(stream.read, GraphQLConnection)
        if stream.read.refresh_by == "email":
            return self.certificate_user_emails
        return self.quiz_user_ids


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
    _start_graphql_full_reads(context, thinkific, warehouse, selected)
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


def _start_graphql_full_reads(
    context: AssetExecutionContext,
    thinkific: ThinkificResource,
    warehouse: WarehouseResource,
    selected: set[tuple[str, ...]],
) -> None:
    """Starts the run's full GraphQL reads (`resources.thinkific.early_reads`), which need
    nothing from its REST reads, so that the site's points are spent while its requests are:
    each GraphQL stream the run reads in full, in the order of their names."""
    if not thinkific.access_token:
        return
    op_config = context.run.run_config.get("ops", {}).get(GRAPHQL_OP_NAME, {})
    config = LearningRecordsConfig(**(op_config.get("config") or {}))
    full_refresh = graphql_full_refresh(context, config)
    early = thinkific.early_reads
    early.log = early.log or LogRelay(context.log)
    client = thinkific.get_early_graphql_client(early.log)
    for stream in sorted(STREAMS, key=lambda stream: stream.name):
        if not stream.graphql or ("thinkific", stream.name) not in selected:
            continue
        if config.users(stream) or not reads_in_full(warehouse, stream.table, full_refresh):
            continue
        read = partial(
            read_graphql_table, thinkific, warehouse, stream, client, full_refresh, early.log
        )
        early.start(f"thinkific/{stream.name}", read, lambda: client.stats)


def graphql_full_refresh(context: AssetExecutionContext, config: LearningRecordsConfig) -> bool:
    """The GraphQL tables are read in full: the step's config or the run's tag says so."""
    return config.full_refresh or context.run.tags.get(FULL_REFRESH_TAG) == "true"


def read_graphql_table(
    thinkific: ThinkificResource,
    warehouse: WarehouseResource,
    stream: Stream,
    client: ThinkificGraphQLClient,
    full_refresh: bool,
    log: Any,
) -> dict[str, Any]:
    """The GraphQL table read in full or following activity, within the site's full-read
    bounds (`resources.extraction.learning_records`); its load's metadata."""
    return read_learning_records(
        warehouse,
        stream,
        client,
        full_refresh=full_refresh,
        max_points=thinkific.graphql_full_read_max_points,
        max_minutes=thinkific.graphql_full_read_max_minutes,
        log=log,
    )


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
