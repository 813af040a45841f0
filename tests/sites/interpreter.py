"""A script run in a fresh interpreter, as a code server or a user's Python would run it, whose
last line of output is the JSON the test reads."""

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def json_of_script(script: str, env: Mapping[str, str], *arguments: str) -> Any:
    ended = subprocess.run(
        [sys.executable, "-c", script, *arguments],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ended.returncode == 0, ended.stderr[-3000:]
    return json.loads(ended.stdout.splitlines()[-1])
