"""The sensor that turns files dropped into the uploads folder into partitions and runs.

Each tick lists each format's folder under UPLOADS_DIR (`users/`, `group_matching/`,
`seat_allocations/`; the layout is in `resources.uploads.files`; with a sites file, each site's
under the site's own folder, `acme/users/`, and its runs tagged with the site) and compares
every file with what the cursor remembers of it:

- a file whose size and modification time are the remembered ones keeps its remembered sha256
  (it is not read again); any other is hashed;
- a file whose sha256 differs from the remembered one, or that is not remembered, is new: its
  partition (`<safe name>-<hash>`) is added and a run of it requested. The run key names the
  format, the key and the modification time, so a tick evaluated twice requests one run, while
  the same content dropped again later (after the file was removed) runs again;
- a file modified less than `settle_seconds` ago is still being written: a later tick takes it;
- a file no longer there is forgotten.

The cursor holds this whole seen state as JSON: every file (name, sha256, size, mtime) and every
partition the sensor added, with when it last requested a run of it. Partitions last requested
more than `retention_days` ago are deleted (their runs stay in the run history); their files,
if still there unchanged, are not requested again.
"""

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from dagster import (
    AddDynamicPartitionsRequest,
    DefaultSensorStatus,
    DeleteDynamicPartitionsRequest,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from assets.conventions import SITE_TAG, SITES
from assets.uploads.files import PARTITIONS, upload_key
from resources.uploads.files import (
    hostile_name_reason,
    partition_key,
    sha256_of,
    site_key,
    uploads_in,
)
from resources.uploads.resource import UploadsResource
from schemas.uploads import UPLOAD_FORMATS, UploadFormat

TICK_SECONDS = 30
DAY_SECONDS = 86_400
SITE_FOLDERS: tuple[str | None, ...] = tuple(site.name for site in SITES) if SITES else (None,)
"""With a sites file each site has its own folder under UPLOADS_DIR (`acme/users/`, …)."""


@dataclass(frozen=True)
class Seen:
    """What the cursor remembers of a file."""

    sha256: str
    size: int
    mtime_ns: int


@dataclass
class Cursor:
    files: dict[str, Seen]
    """`<format folder>/<name>` -> what was seen."""
    partitions: dict[str, float]
    """`<format>:<partition key>` -> when its last run was requested (epoch seconds)."""

    @classmethod
    def load(cls, text: str | None) -> "Cursor":
        if not text:
            return cls({}, {})
        state = json.loads(text)
        files = {name: Seen(**seen) for name, seen in state["files"].items()}
        return cls(files, dict(state["partitions"]))

    def dump(self) -> str:
        files = {name: asdict(seen) for name, seen in sorted(self.files.items())}
        return json.dumps({"files": files, "partitions": self.partitions}, sort_keys=True)


@dataclass
class Tick:
    """What one evaluation asks for."""

    runs: list[RunRequest]
    added: dict[str, list[str]]
    """partitions definition name -> keys to add."""


def _seen_now(path: Path, size: int, mtime_ns: int, before: Seen | None) -> Seen:
    if before is not None and (before.size, before.mtime_ns) == (size, mtime_ns):
        return before
    return Seen(sha256_of(path), size, mtime_ns)


def _scan(
    fmt: UploadFormat,
    site: str | None,
    folder: Path,
    before: Cursor,
    cursor: Cursor,
    tick: Tick,
    settle: float,
) -> None:
    """Records the format's files present now in `cursor` (hashed, or as `before` saw them)
    and asks for a run of every new or changed one (with a sites file, of `site`'s folder)."""
    settled_before = time.time_ns() - int(settle * 1e9)
    place = f"{site}/{fmt.folder}" if site else fmt.folder
    for name, info in sorted(uploads_in(folder).items()):
        remembered = f"{place}/{name}"
        seen_before = before.files.get(remembered)
        if info.st_mtime_ns > settled_before:
            if seen_before is not None:
                cursor.files[remembered] = seen_before
            continue
        try:
            seen = _seen_now(folder / name, info.st_size, info.st_mtime_ns, seen_before)
        except FileNotFoundError:  # removed since the listing
            continue
        cursor.files[remembered] = seen
        if seen_before is not None and seen_before.sha256 == seen.sha256:
            continue
        key = site_key(site, partition_key(name, seen.sha256))
        cursor.partitions[f"{fmt.name}:{key}"] = time.time()
        added = tick.added.setdefault(PARTITIONS[fmt.name].name, [])
        if key not in added:
            added.append(key)
        shown = f"{place}/{name}" if hostile_name_reason(name) is None else key
        tags = {"uploads/file": shown[:200], "uploads/format": fmt.name}
        tick.runs.append(
            RunRequest(
                run_key=f"{fmt.name}:{key}:{seen.mtime_ns}",
                asset_selection=[upload_key(fmt)],
                partition_key=key,
                tags=tags | ({SITE_TAG: site} if site else {}),
            )
        )


def _expired(cursor: Cursor, retention_days: int) -> dict[str, list[str]]:
    """Partitions past retention, forgotten by the cursor: definition name -> keys."""
    if retention_days == 0:
        return {}
    oldest = time.time() - retention_days * DAY_SECONDS
    expired: dict[str, list[str]] = {}
    for remembered, requested in list(cursor.partitions.items()):
        if requested < oldest:
            format_name, key = remembered.split(":", 1)
            expired.setdefault(PARTITIONS[format_name].name, []).append(key)
            del cursor.partitions[remembered]
    return expired


def build_upload_sensor(minimum_interval_seconds: int = TICK_SECONDS) -> SensorDefinition:
    """The sensor; a test code location builds one that ticks faster."""

    @sensor(
        name="upload_files",
        description="Turns each new or changed file in the uploads folder (users/, "
        "group_matching/, seat_allocations/) into a partition of uploads/user_csv, "
        "uploads/group_matching or uploads/seat_allocations and runs it; deletes partitions "
        "past the retention.",
        asset_selection=[upload_key(fmt) for fmt in UPLOAD_FORMATS.values()],
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def upload_files(context: SensorEvaluationContext, uploads: UploadsResource) -> SensorResult:
        before = Cursor.load(context.cursor)
        cursor = Cursor({}, dict(before.partitions))
        tick = Tick(runs=[], added={})
        for site in SITE_FOLDERS:
            for fmt in UPLOAD_FORMATS.values():
                folder = uploads.folder_of(fmt, site)
                _scan(fmt, site, folder, before, cursor, tick, uploads.settle_seconds)
        expired = _expired(cursor, uploads.retention_days)
        requests = [AddDynamicPartitionsRequest(name, keys) for name, keys in tick.added.items()]
        requests += [DeleteDynamicPartitionsRequest(name, keys) for name, keys in expired.items()]
        skip = None if tick.runs or requests else "No new or changed upload."
        return SensorResult(
            run_requests=tick.runs,
            dynamic_partitions_requests=requests,
            cursor=cursor.dump(),
            skip_reason=skip,
        )

    return upload_files


upload_sensor = build_upload_sensor()
