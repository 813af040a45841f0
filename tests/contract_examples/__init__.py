"""Thinkific's documented example payloads, shared by the client, schema and simulator tests."""

import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).parent


def load_example(name: str) -> Any:
    """The payload of `<name>.json`, e.g. `load_example("rest_users_list")`."""
    return json.loads((EXAMPLES / f"{name}.json").read_text())
