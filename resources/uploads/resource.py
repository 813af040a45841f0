"""The uploads folder as a Dagster resource: where files are dropped, limits, retention.

UPLOADS_DIR names the folder (a relative path is taken from the project root); its layout is in
`resources.uploads.files`. The limits are per file and checked before any row is imported.
"""

import os
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from resources.uploads import files as upload_files
from resources.uploads.reading import Limits
from schemas.uploads import UploadFormat

PROJECT_ROOT = Path(__file__).resolve().parents[2]
UPLOADS_DIR_ENV = "UPLOADS_DIR"


def default_uploads_dir() -> str:
    return str(PROJECT_ROOT / "uploads")


class UploadsResource(ConfigurableResource):
    """Where uploads are dropped and what a file may be."""

    folder: str = Field(
        default_factory=default_uploads_dir,
        description=f"The uploads folder ({UPLOADS_DIR_ENV}; relative to the project root; "
        "default uploads/): user files in users/, group matching files in group_matching/, "
        "seat allocation files in seat_allocations/.",
    )
    max_bytes: int = Field(
        default=200_000_000, gt=0, description="Largest file accepted, in bytes (checked by stat)."
    )
    max_rows: int = Field(default=1_000_000, gt=0, description="Most rows a file may hold.")
    chunk_rows: int = Field(
        default=100_000, gt=0, description="Rows read, validated and staged at a time."
    )
    settle_seconds: float = Field(
        default=2.0,
        ge=0,
        description="A file modified more recently than this is still being written: the "
        "sensor looks at it on a later tick.",
    )
    retention_days: int = Field(
        default=90,
        ge=0,
        description="Partitions last run by the sensor longer ago than this are deleted (their "
        "runs and reports stay); 0 keeps every partition.",
    )

    @property
    def root(self) -> Path:
        folder = Path(self.folder)
        return folder if folder.is_absolute() else PROJECT_ROOT / folder

    def folder_of(self, fmt: UploadFormat, site: str | None = None) -> Path:
        """The format's folder; with a sites file, under the site's own folder."""
        return self.root / site / fmt.folder if site else self.root / fmt.folder

    def quarantine_of(self, fmt: UploadFormat, site: str | None = None) -> Path:
        quarantine = self.root / upload_files.QUARANTINE
        return quarantine / site / fmt.folder if site else quarantine / fmt.folder

    def folder_of_key(self, fmt: UploadFormat, key: str) -> Path:
        """The folder of a partition's file (`upload_files.site_key`)."""
        return self.folder_of(fmt, upload_files.split_site_key(key)[0])

    @property
    def limits(self) -> Limits:
        return Limits(max_bytes=self.max_bytes, max_rows=self.max_rows, chunk_rows=self.chunk_rows)

    def locate(self, fmt: UploadFormat, key: str) -> Path | None:
        """The file of a partition, if it is still there with the same content."""
        site, own = upload_files.split_site_key(key)
        return upload_files.locate(self.folder_of(fmt, site), own)

    def quarantine(
        self, fmt: UploadFormat, upload: Path, key: str, reason: str, run_id: str
    ) -> Path:
        """Moves a rejected file (and any report of an earlier version) out of the folder."""
        upload_files.report_path(upload).unlink(missing_ok=True)
        site, own = upload_files.split_site_key(key)
        return upload_files.quarantine(upload, self.quarantine_of(fmt, site), own, reason, run_id)


def uploads_resource() -> UploadsResource:
    """The resource as the code location configures it: UPLOADS_DIR when set."""
    folder = os.environ.get(UPLOADS_DIR_ENV)
    return UploadsResource(folder=folder) if folder else UploadsResource()
