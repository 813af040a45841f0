"""Files in the uploads folder: which are uploads, which names are safe, partition keys, hashes,
the report beside a file, and the quarantine.

Layout (under UPLOADS_DIR):

    users/                  user files, e.g. users/sales-team.csv
    group_matching/         group matching files
    seat_allocations/       seat allocation files
    quarantine/<folder>/    rejected files as <partition key>.<ext>, each with <key>.reason.txt

A file named `*.validate.csv` is only validated, never imported. Each processed file gets its
error report beside it as `<name without .csv>.report.csv`. Hidden files, reports and files still
being written by a browser or a copy (`.part`, `.tmp`, `.crdownload`, `~`) are not uploads.
"""

import hashlib
import os
import re
import stat
import unicodedata
from pathlib import Path

CSV_SUFFIX = ".csv"
VALIDATE_SUFFIX = ".validate.csv"
REPORT_SUFFIX = ".report.csv"
REASON_SUFFIX = ".reason.txt"
QUARANTINE = "quarantine"
NOT_UPLOADS = (REPORT_SUFFIX, ".part", ".tmp", ".crdownload", "~")
MAX_NAME_LENGTH = 150
SAFE_STEM_LENGTH = 48
HASH_IN_KEY = 12
"""Hex digits of the content hash in a partition key (48 bits: no clash among real uploads)."""
NAME_PUNCTUATION = " ._-()+,&'@"
WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10))} | {
    f"lpt{n}" for n in range(1, 10)
}
_BLOCK = 1 << 20


def is_upload(name: str) -> bool:
    """Whether a directory entry's name is one to process (see the module docstring)."""
    return not name.startswith(".") and not name.lower().endswith(NOT_UPLOADS)


def hostile_name_reason(name: str) -> str | None:
    """Why a file name is refused, or None for a safe one.

    Safe: valid UTF-8, at most 150 characters of letters, digits, spaces and ``._-()+,&'@``,
    not starting with `-` or a space, not ending in a space or dot, not a Windows device name,
    ending in `.csv`. Control characters, bidi overrides and shell metacharacters are refused.
    """
    if any("\udc80" <= char <= "\udcff" for char in name):
        return "the file name is not valid UTF-8"
    if len(name) > MAX_NAME_LENGTH:
        return f"the file name is longer than {MAX_NAME_LENGTH} characters"
    odd = sorted({char for char in name if not (char.isalnum() or char in NAME_PUNCTUATION)})
    if odd:
        shown = ", ".join(repr(char) for char in odd[:5])
        return (
            f"the file name contains {shown}: use letters, digits, spaces and "
            f"{NAME_PUNCTUATION.strip()} only"
        )
    if name[0] in "- " or name[-1] in " .":
        return "the file name starts with '-' or a space, or ends with a space or a dot"
    if name.split(".")[0].lower() in WINDOWS_DEVICES:
        return "the file name is a reserved Windows device name"
    if not name.lower().endswith(CSV_SUFFIX):
        return "only .csv files are read: save the sheet as CSV (UTF-8)"
    return None


def safe_stem(name: str) -> str:
    """The name without `.csv`, reduced to lower-case ASCII letters, digits, `.`, `_`, `-`."""
    stem = name[: -len(CSV_SUFFIX)] if name.lower().endswith(CSV_SUFFIX) else name
    ascii_only = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    reduced = re.sub(r"[^a-z0-9._-]+", "_", ascii_only.lower()).strip("._-")
    return reduced[:SAFE_STEM_LENGTH].rstrip("._-") or "upload"


def partition_key(name: str, sha256: str) -> str:
    """`<safe stem>-<first 12 hex digits of the content hash>`: a changed file is a new key."""
    return f"{safe_stem(name)}-{sha256[:HASH_IN_KEY]}"


def site_key(site: str | None, key: str) -> str:
    """With a sites file, a partition key names its site too: `<site>/<key>` (a file's own key
    holds no `/`), so that the same file dropped for two sites makes two partitions."""
    return f"{site}/{key}" if site else key


def split_site_key(key: str) -> tuple[str | None, str]:
    """(site or None, the file's own key) of a partition key."""
    site, _, own = key.rpartition("/")
    return site or None, own


def is_validate_only(name: str) -> bool:
    return name.lower().endswith(VALIDATE_SUFFIX)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def uploads_in(folder: Path) -> dict[str, os.stat_result]:
    """The uploads in a folder (not its subfolders): name -> stat. Only regular files: a
    symbolic link, a FIFO or a device is never opened (a FIFO would block the reader)."""
    if not folder.is_dir():
        return {}
    found = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if not is_upload(entry.name):
                continue
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode):
                found[entry.name] = info
    return found


def locate(folder: Path, key: str) -> Path | None:
    """The upload in `folder` whose partition key is `key` (its content unchanged), if any."""
    stem = key.rsplit("-", 1)[0]
    for name in sorted(uploads_in(folder)):
        if safe_stem(name) == stem:
            path = folder / name
            if partition_key(name, sha256_of(path)) == key:
                return path
    return None


def report_path(upload: Path) -> Path:
    """Where the error report of an upload goes: beside it, `<name without .csv>.report.csv`."""
    name = upload.name
    stem = name[: -len(CSV_SUFFIX)] if name.lower().endswith(CSV_SUFFIX) else name
    return upload.with_name(stem + REPORT_SUFFIX)


def quarantine(upload: Path, folder: Path, key: str, reason: str, run_id: str) -> Path:
    """Moves a rejected upload to `folder` as `<key><ext>`, with `<key>.reason.txt` beside it
    naming the original file, the reason and the run; returns the new path."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = (
        upload.suffix.lower() if re.fullmatch(r"\.[a-z0-9]{1,8}", upload.suffix.lower()) else ""
    )
    target = folder / f"{key}{suffix or '.bin'}"
    (folder / f"{key}{REASON_SUFFIX}").write_text(
        f"file: {upload.name!r}\nrun: {run_id}\nreason: {reason}\n", encoding="utf-8"
    )
    os.replace(upload, target)
    return target
