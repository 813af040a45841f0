"""Run a Python module as `python -m` would, noting when it first opens a network connection.

    python -m benchmarks.first_request REPORT MODULE [ARGS...]

REPORT gets {"epoch": time.time(), "cpu": time.process_time()} at the module's first
`socket.connect`: for an HTTP client, the moment its first request leaves. The module runs in
this interpreter (`runpy`, as `__main__`), so what is measured is its own start-up plus the few
milliseconds this trampoline adds, the same for every module measured through it.
"""

import json
import runpy
import socket
import sys
import time
from pathlib import Path


def _note_first_connect(report: Path) -> None:
    connect = socket.socket.connect

    def first_connect(self: socket.socket, address: object) -> None:
        socket.socket.connect = connect
        report.write_text(json.dumps({"epoch": time.time(), "cpu": time.process_time()}))
        connect(self, address)

    socket.socket.connect = first_connect


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: python -m benchmarks.first_request REPORT MODULE [ARGS...]")
    report_path, module, *arguments = sys.argv[1:]
    _note_first_connect(Path(report_path))
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
