"""Reading the sites file: every problem of the file at once, each with its line, no secrets.

The file is composed (not loaded) with PyYAML so every key keeps its line for the messages. All
problems are collected and raised as one `SitesFileError`, so a user fixes the file in one go.
Keys and values are the user's text and may be a key pasted into the wrong place: a value that
looks like a key is never echoed, and a long one only in part.
"""

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from yaml.constructor import SafeConstructor

from resources.sites.model import SITE_NAME_PATTERN, Site, SitesFileError

SITES_FILE_ENV = "THINKIFIC_SITES_FILE"

DEFAULT_BASE_URL = "https://api.thinkific.com/api/public/v1"
"""`ThinkificResource`'s REST default: a site without `base_url` calls it, so two entries of one
subdomain are the same site whether or not one of them spells it out."""

REQUIRED_KEYS = ("name", "subdomain", "api_key_env")
OPTIONAL_KEYS = ("access_token_env", "base_url", "graphql_url", "requests_per_minute", "timezone")
ALLOWED_KEYS = ", ".join(REQUIRED_KEYS + OPTIONAL_KEYS)

SECRET_KEYS = {
    "api_key": "api_key_env",
    "access_token": "access_token_env",
    "token": "access_token_env",
    "password": "api_key_env / access_token_env",
}
"""Keys that would hold a credential in the file (as would any key with `secret` in it), and the
key that names the variable holding it instead."""

SUBDOMAIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
VARIABLE_NAME_PATTERN = re.compile(r"^[A-Z_][A-Z0-9_]*$")
KEY_LIKE_PATTERN = re.compile(r"^[A-Za-z0-9_\-.+/=~]{20,}$")
"""One long word (no spaces, no `:`): with letters and digits in it, most likely a key."""

MAX_SHOWN = 40
"""A value longer than this is shown only in part (its first half): it may be a pasted secret."""

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR, _INT, _BOOL, _NULL = (f"tag:yaml.org,2002:{kind}" for kind in ("str", "int", "bool", "null"))
_KINDS = {
    _STR: "text",
    _INT: "a number",
    "tag:yaml.org,2002:float": "a number",
    _BOOL: "true/false",
    _NULL: "empty",
    "tag:yaml.org,2002:timestamp": "a date",
}


def load_sites(path: Path) -> tuple[Site, ...]:
    """The sites of the file at `path`, in file order; a `SitesFileError` listing every problem
    (and the file's line of each) when there is any."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SitesFileError(f"{path}: cannot be read ({error.strerror})") from None
    return _sites(raw, _Problems(str(path)))


def sites_from_env(environ: Mapping[str, str] = os.environ) -> tuple[Site, ...] | None:
    """The sites of the file `THINKIFIC_SITES_FILE` names; None when it is unset or empty."""
    value = environ.get(SITES_FILE_ENV, "").strip()
    if not value:
        return None
    path = Path(value)
    if not path.exists():
        raise SitesFileError(
            f"{path}: no such file; {SITES_FILE_ENV} names it (a relative path is read from "
            f"{Path.cwd()}): correct the variable, or unset it"
        )
    return load_sites(path)


@dataclass
class _Problems:
    path: str
    found: list[tuple[int, str]] = field(default_factory=list)

    def add(self, line: int, site: str | None, text: str) -> None:
        where = f"{self.path} line {line}: " + (f"site {site!r}: " if site else "")
        self.found.append((line, where + text))

    def error(self) -> SitesFileError:
        ordered = sorted(self.found, key=lambda problem: problem[0])
        return SitesFileError.listing(self.path, [text for _, text in ordered])


class _Invalid(Exception):
    """A value's problem, without the file position (added by the caller)."""


def _sites(raw: bytes, problems: _Problems) -> tuple[Site, ...]:
    try:
        root = yaml.compose(raw, Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        started = error.context_mark if error.problem_mark else None
        since = f" ({error.context} on line {started.line + 1})" if started else ""
        problems.add(mark.line + 1 if mark else 1, None, f"not valid YAML: {error.problem}{since}")
        raise problems.error() from None
    except yaml.reader.ReaderError as error:  # undecodable bytes, control characters
        problems.add(raw[: error.position].count(b"\n") + 1, None, f"not text: {error.reason}")
        raise problems.error() from None
    parsed = [_entry(node, problems) for node in _entries(root, problems)]
    _check_unique([entry for entry in parsed if entry], problems)
    if problems.found:
        raise problems.error()
    return tuple(Site(**entry.values, line=entry.line) for entry in parsed if entry)


def _entries(root: yaml.Node | None, problems: _Problems) -> list[yaml.Node]:
    shape = "it should be a mapping with a `sites:` list of sites"
    if root is None:
        problems.add(1, None, f"the file is empty: {shape}")
        return []
    if not isinstance(root, yaml.MappingNode):
        problems.add(_line(root), None, f"the file is {_kind(root)}: {shape}")
        return []
    sites = None
    for key, value in root.value:
        if _text(key) == "sites":
            sites = (key, value)
        else:
            problems.add(_line(key), None, f"unknown key {_key(key)}: {shape} and nothing else")
    if sites is None:
        problems.add(_line(root), None, f"no `sites:` key: {shape}")
        return []
    key, value = sites
    if isinstance(value, yaml.SequenceNode) and value.value:
        return value.value
    if isinstance(value, yaml.SequenceNode) or value.tag == _NULL:
        problems.add(_line(key), None, "`sites:` lists no sites: add at least one")
    else:
        problems.add(_line(key), None, f"`sites:` is {_kind(value)}: it should be a list of sites")
    return []


@dataclass
class _Entry:
    line: int
    label: str | None
    values: dict[str, Any]
    """The keys given with a valid value."""
    lines: dict[str, int]
    """The line of each allowed key given."""
    invalid: set[str]
    """The keys given with a value that is not valid."""


def _entry(node: yaml.Node, problems: _Problems) -> _Entry | None:
    if not isinstance(node, yaml.MappingNode):
        problems.add(
            _line(node),
            None,
            f"an entry of `sites:` is {_kind(node)}: it should be a mapping of keys "
            f"({ALLOWED_KEYS})",
        )
        return None
    line = _line(node.value[0][0]) if node.value else _line(node)
    name = next((_text(value) for key, value in node.value if _text(key) == "name"), None)
    label = name if name and SITE_NAME_PATTERN.fullmatch(name) else None
    given: dict[str, tuple[int, yaml.Node]] = {}
    for key, value in node.value:
        word = _text(key)
        normal = (word or "").lower().replace("-", "_")
        if word in given:
            problems.add(_line(key), label, f"{word} is given twice (also line {given[word][0]})")
        elif normal in SECRET_KEYS or "secret" in normal:
            problems.add(_line(key), label, _secret_refused(word or "", normal))
        elif word in REQUIRED_KEYS or word in OPTIONAL_KEYS:
            given[word] = (_line(key), value)
        else:
            problems.add(_line(key), label, f"unknown key {_key(key)}: allowed are {ALLOWED_KEYS}")
    for missing in (key for key in REQUIRED_KEYS if key not in given):
        problems.add(line, label, f"{missing} is missing (required: {', '.join(REQUIRED_KEYS)})")
    values, invalid = {}, set()
    for key, (key_line, value) in given.items():
        if value.tag == _NULL and key in OPTIONAL_KEYS:
            continue  # `timezone:` with nothing after it: the default
        try:
            values[key] = _PARSERS[key](value)
        except _Invalid as problem:
            invalid.add(key)
            problems.add(key_line, label, f"{key} {problem}")
    lines = {key: key_line for key, (key_line, _) in given.items()}
    return _Entry(line, label, values, lines, invalid)


def _secret_refused(key: str, normal: str) -> str:
    naming = SECRET_KEYS.get(normal, "api_key_env / access_token_env")
    return (
        f"{key} holds a secret, which must not be in this file: put it in an environment "
        f"variable, name that variable in {naming}, and delete {key} here"
    )


def _check_unique(entries: list[_Entry], problems: _Problems) -> None:
    names: dict[str, _Entry] = {}
    hosts: dict[tuple[str, str], _Entry] = {}
    for entry in entries:
        name = entry.values.get("name")
        if name in names:
            problems.add(
                entry.lines["name"],
                entry.label,
                f"the name is also the name of the site on line {names[name].line}: "
                "each site needs a name of its own",
            )
        elif name:
            names[name] = entry
        if "subdomain" not in entry.values or "base_url" in entry.invalid:
            continue  # not comparable until the entry's own problems are fixed
        base_url = (entry.values.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        host = (entry.values["subdomain"], base_url)
        if host in hosts:
            problems.add(
                entry.line,
                entry.label,
                f"subdomain {host[0]!r} with the same base_url is also the site on line "
                f"{hosts[host].line}: one site listed twice would be called at twice its rate "
                "limit; keep one entry",
            )
        else:
            hosts[host] = entry


def _name(node: yaml.Node) -> str:
    value = _string(node)
    if not SITE_NAME_PATTERN.fullmatch(value):
        raise _Invalid(
            f"{_shown(value)} is not a usable site name: lower-case letters, digits and "
            "underscores, starting with a letter, at most 40 characters (it becomes a Dagster "
            "partition key, part of a PostgreSQL schema name and of file names)"
        )
    return value


def _subdomain(node: yaml.Node) -> str:
    value = _string(node)
    if not SUBDOMAIN_PATTERN.fullmatch(value):
        raise _Invalid(
            f"{_shown(value)} is not a subdomain: lower-case letters, digits and hyphens, "
            "the <subdomain> of <subdomain>.thinkific.com"
        )
    return value


def _variable(example: str) -> Callable[[yaml.Node], str]:
    def parse(node: yaml.Node) -> str:
        value = _string(node)
        if VARIABLE_NAME_PATTERN.fullmatch(value):
            return value
        if _looks_like_key(value):
            raise _Invalid(
                "looks like the secret itself (not shown): put it in an environment variable "
                f"and write that variable's NAME here, e.g. {example}"
            )
        raise _Invalid(
            f"{_shown(value)} is not an environment variable name: upper-case letters, digits "
            f"and underscores, e.g. {example} (the variable holds the secret, the file its name)"
        )

    return parse


def _url(node: yaml.Node) -> str:
    value = _string(node)
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
    except ValueError:
        parts, hostname = None, None
    if parts and (parts.username or parts.password):
        raise _Invalid(
            "holds credentials (user:password@, not shown): remove them; the API key goes in "
            "the variable named by api_key_env"
        )
    if not parts or parts.scheme not in ("http", "https") or not hostname:
        raise _Invalid(f"{_shown(value)} is not an http(s) URL with a host")
    return value


def _requests_per_minute(node: yaml.Node) -> int:
    if not isinstance(node, yaml.ScalarNode) or node.tag != _INT:
        raise _Invalid(f"must be a whole number, not {_kind(node)}")
    value = SafeConstructor().construct_object(node)
    if value <= 0:
        raise _Invalid(f"must be a positive whole number, not {value}")
    return value


def _timezone(node: yaml.Node) -> str:
    value = _string(node)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Invalid(
            f"{_shown(value)} is not a known time zone: an IANA name such as UTC or Europe/Berlin"
        ) from None
    return value


_PARSERS: dict[str, Callable[[yaml.Node], Any]] = {
    "name": _name,
    "subdomain": _subdomain,
    "api_key_env": _variable("ACME_THINKIFIC_API_KEY"),
    "access_token_env": _variable("ACME_THINKIFIC_TOKEN"),
    "base_url": _url,
    "graphql_url": _url,
    "requests_per_minute": _requests_per_minute,
    "timezone": _timezone,
}


def _string(node: yaml.Node) -> str:
    value = _text(node)
    if value is None:
        hint = "; quote it if it is meant as text" if isinstance(node, yaml.ScalarNode) else ""
        raise _Invalid(f"must be text, not {_kind(node)}{hint}")
    return value


def _text(node: yaml.Node | None) -> str | None:
    """The node's string, if it is one (a plain `123` or `yes` is not)."""
    is_text = isinstance(node, yaml.ScalarNode) and node.tag == _STR
    return node.value if is_text else None


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return _KINDS.get(node.tag, "a value of another type")


def _key(node: yaml.Node) -> str:
    text = _text(node)
    return _shown(text) if text is not None else f"that is {_kind(node)}"


def _shown(value: str) -> str:
    if _looks_like_key(value):
        return "(a value that looks like a key, not shown)"
    if len(value) > MAX_SHOWN:
        return f"{value[: MAX_SHOWN // 2]!r}… ({len(value)} characters)"
    return repr(value)


def _looks_like_key(value: str) -> bool:
    letters = sum(character.isalpha() for character in value)
    digits = sum(character.isdigit() for character in value)
    return bool(KEY_LIKE_PATTERN.fullmatch(value)) and letters >= 3 and digits >= 3


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1
